"""YIN and probabilistic YIN (pYIN) pitch tracking, with numpy and scipy.

Ports of ``librosa.yin``, ``librosa.pyin`` and ``librosa.hz_to_midi`` (librosa 0.11) that
give the same answers: the same frames, difference function, trough priors, hidden Markov
model and Viterbi decoding.  librosa's versions live in modules that import
scipy.signal and numba and compile numba kernels the first time they run after an
install (about 20 s), and a second or more at every cold start; these need only numpy,
scipy's FFT (the one librosa uses, so the numbers agree to the last bit) and
``scipy.special.betainc`` (loaded with scipy's FFT anyway).
The keyword names follow librosa's (``fmin``/``fmax`` in Hz, ``sr`` in Hz, lengths in
samples), so a call can move from one to the other unchanged.

References: de Cheveigné & Kawahara, "YIN, a fundamental frequency estimator for speech
and music", JASA 111(4), 2002; Mauch & Dixon, "pYIN: a fundamental frequency estimator
using probabilistic threshold distributions", ICASSP 2014.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.fft
import scipy.special
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["yin", "pyin", "hz_to_midi"]


def hz_to_midi(frequencies_hz: np.ndarray | float) -> np.ndarray:
    """MIDI note numbers (fractional; A4 = 440 Hz = 69) of frequencies in Hz."""
    return 12 * (np.log2(np.asanyarray(frequencies_hz)) - np.log2(440.0)) + 69


def _frames(y: np.ndarray, frame_length: int, hop_length: int, center: bool) -> np.ndarray:
    """Frames of ``y`` as columns, shape ``(frame_length, n_frames)`` (a view); centred frames are zero-padded."""
    if center:
        y = np.pad(y, (frame_length // 2, frame_length // 2))
    return sliding_window_view(y, frame_length)[::hop_length].T


def _check(y: np.ndarray, fmin: float, fmax: float, sr: float, frame_length: int) -> None:
    if y.ndim != 1 or not np.all(np.isfinite(y)):
        raise ValueError("the signal must be one finite mono channel")
    if not 0 < fmin < fmax <= sr / 2:
        raise ValueError(f"need 0 < fmin < fmax <= sr/2, not fmin={fmin}, fmax={fmax}, sr={sr}")
    if sr / fmin >= frame_length - 1:
        raise ValueError(f"fmin={fmin} Hz needs frames longer than {frame_length} samples at sr={sr}")


def _difference(frames: np.ndarray, min_period: int, max_period: int) -> np.ndarray:
    """YIN's cumulative-mean-normalised difference, rows = periods ``min_period … max_period``."""
    n_pad = scipy.fft.next_fast_len(2 * frames.shape[0] - 1, real=True)
    spectrum = scipy.fft.rfft(frames, n=n_pad, axis=0)
    acf = scipy.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=n_pad, axis=0)[: max_period + 1]
    diff = np.square(frames)
    np.cumsum(diff, out=diff, axis=0)
    diff[0] = 0
    diff[1 : max_period + 1] = 2 * (acf[0:1] - acf[1 : max_period + 1]) - diff[:max_period]
    numerator = diff[min_period : max_period + 1]
    cumulative_mean = np.cumsum(diff[1 : max_period + 1], axis=0) / np.arange(1, max_period + 1)[:, None]
    denominator = cumulative_mean[min_period - 1 : max_period]
    return numerator / (denominator + np.finfo(denominator.dtype).tiny)


def _parabolic_shifts(x: np.ndarray) -> np.ndarray:
    """Offset (in rows) of the vertex of the parabola through each point and its neighbours (0 at the edges)."""
    shifts = np.zeros_like(x)
    a = x[2:] + x[:-2] - 2 * x[1:-1]
    b = (x[2:] - x[:-2]) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        shifts[1:-1] = np.where(np.abs(b) >= np.abs(a), 0, -b / a)
    return shifts


def _troughs(x: np.ndarray) -> np.ndarray:
    """Local minima along rows: strictly below the row before, not above the row after (edges: one side)."""
    out = np.zeros(x.shape, dtype=bool)
    out[1:-1] = (x[1:-1] < x[:-2]) & (x[1:-1] <= x[2:])
    out[0] = x[0] < x[1]
    out[-1] = x[-1] < x[-2]
    return out


def _periods(y, fmin, fmax, sr, frame_length, hop_length, center):
    _check(y, fmin, fmax, sr, frame_length)
    hop_length = frame_length // 4 if hop_length is None else hop_length
    min_period = int(np.floor(sr / fmax))
    max_period = min(int(np.ceil(sr / fmin)), frame_length - 1)
    diff = _difference(_frames(y, frame_length, hop_length, center), min_period, max_period)
    return diff, _parabolic_shifts(diff), min_period, hop_length


def yin(
    y: np.ndarray,
    *,
    fmin: float,
    fmax: float,
    sr: float = 22050,
    frame_length: int = 2048,
    hop_length: int | None = None,
    trough_threshold: float = 0.1,
    center: bool = True,
) -> np.ndarray:
    """Fundamental frequency per frame by YIN, in Hz, as ``librosa.yin``.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    fmin, fmax : float
        Lowest and highest frequency searched, in Hz.
    sr : float
        Sample rate in Hz.
    frame_length, hop_length : int
        Frame length and hop in samples (hop: a quarter frame when not given).
    trough_threshold : float
        The first dip of the difference function below this is the period; without one,
        the deepest dip.
    center : bool
        Centre frame ``k`` on sample ``k * hop_length`` (zero padding at both ends).

    Returns
    -------
    np.ndarray, shape (frames,)
    """
    diff, shifts, min_period, _ = _periods(y, fmin, fmax, sr, frame_length, hop_length, center)
    low = _troughs(diff) & (diff < trough_threshold)
    period = np.argmax(low, axis=0)
    no_low = ~low.any(axis=0)
    period[no_low] = np.argmin(diff, axis=0)[no_low]
    cols = np.arange(diff.shape[1])
    return sr / (min_period + period + shifts[period, cols])


def _triangle(width: int) -> np.ndarray:
    """Symmetric triangular window of ``width`` points, non-zero at both ends."""
    n = np.arange(1, (width + 1) // 2 + 1)
    if width % 2 == 0:
        w = (2 * n - 1.0) / width
        return np.r_[w, w[::-1]]
    w = 2 * n / (width + 1.0)
    return np.r_[w, w[-2::-1]]


def _local_transitions(n_states: int, width: int) -> np.ndarray:
    """Row-stochastic matrix: from each state, a triangular spread over the ``width`` nearest states."""
    trans = np.zeros((n_states, n_states))
    window = _triangle(width)
    lpad = (n_states - width) // 2
    row = np.pad(window, (lpad, n_states - width - lpad))
    for i in range(n_states):
        r = np.roll(row, n_states // 2 + i + 1)
        r[min(n_states, i + width // 2 + 1) :] = 0
        r[: max(0, i - width // 2)] = 0
        trans[i] = r
    return trans / trans.sum(axis=1, keepdims=True)


def _viterbi(prob: np.ndarray, transition: np.ndarray, p_init: np.ndarray) -> np.ndarray:
    """Most likely state sequence of an HMM, given per-frame state likelihoods ``prob`` (states, frames)."""
    eps = np.finfo(prob.dtype).tiny
    log_trans = np.log(transition + eps)
    log_prob = np.log(prob + eps).T
    n_steps, n_states = log_prob.shape
    ptr = np.zeros((n_steps, n_states), dtype=np.int64)
    value = log_prob[0] + np.log(p_init + eps)
    cols = np.arange(n_states)
    for t in range(1, n_steps):
        scores = value[:, None] + log_trans  # [from, to]
        ptr[t] = np.argmax(scores, axis=0)
        value = log_prob[t] + scores[ptr[t], cols]
    states = np.zeros(n_steps, dtype=np.int64)
    states[-1] = np.argmax(value)
    for t in range(n_steps - 2, -1, -1):
        states[t] = ptr[t + 1, states[t + 1]]
    return states


def pyin(
    y: np.ndarray,
    *,
    fmin: float,
    fmax: float,
    sr: float = 22050,
    frame_length: int = 2048,
    hop_length: int | None = None,
    n_thresholds: int = 100,
    beta_parameters: tuple[float, float] = (2, 18),
    boltzmann_parameter: float = 2,
    resolution: float = 0.1,
    max_transition_rate: float = 35.92,
    switch_prob: float = 0.01,
    no_trough_prob: float = 0.01,
    center: bool = True,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Fundamental frequency, voicing and voicing probability per frame by pYIN, as ``librosa.pyin``.

    Every dip of the YIN difference function is a pitch candidate, weighted by how likely it is to be
    the first dip below a threshold drawn from a Beta distribution; a hidden Markov model over pitch
    bins (``resolution`` semitones wide) times voiced/unvoiced picks the most likely path, with pitch
    moving at most ``max_transition_rate`` octaves per second.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    fmin, fmax, sr : float
        Pitch range, and the sample rate, in Hz.
    frame_length, hop_length : int
        Frame length and hop in samples (hop: a quarter frame when not given).
    n_thresholds : int
        Thresholds the Beta prior is sampled at.
    beta_parameters : (float, float)
        Shape of the Beta prior over thresholds.
    boltzmann_parameter : float
        How strongly earlier dips are preferred.
    resolution, max_transition_rate : float
        Pitch bin width in semitones; fastest pitch change in octaves per second.
    switch_prob : float
        Probability of switching between voiced and unvoiced from one frame to the next.
    no_trough_prob : float
        Weight given to the deepest dip when none is below the threshold.
    center : bool
        Centre frame ``k`` on sample ``k * hop_length``.

    Returns
    -------
    f0 : np.ndarray, shape (frames,)
        Hz; NaN where unvoiced.
    voiced : np.ndarray of bool, shape (frames,)
    voiced_prob : np.ndarray, shape (frames,)
    """
    diff, shifts, min_period, hop_length = _periods(y, fmin, fmax, sr, frame_length, hop_length, center)
    dip_probs = _dip_probabilities(diff, n_thresholds, beta_parameters, boltzmann_parameter, no_trough_prob)
    grid = _PitchGrid.spanning(fmin, fmax, resolution)
    observation, voiced_prob = _observations(dip_probs, shifts, min_period, sr, grid)
    f0, voiced = _decode_pitch(observation, grid, max_transition_rate * 12 * hop_length / sr, switch_prob)
    return f0, voiced, voiced_prob


def _dip_probabilities(
    diff: np.ndarray,
    n_thresholds: int,
    beta_parameters: tuple[float, float],
    boltzmann_parameter: float,
    no_trough_prob: float,
) -> np.ndarray:
    """Probability of each dip of ``diff`` being the period, frame by frame (zero off the dips)."""
    thresholds = np.linspace(0, 1, n_thresholds + 1)
    beta_probs = np.diff(scipy.special.betainc(beta_parameters[0], beta_parameters[1], thresholds))
    dip_probs = np.zeros_like(diff)
    troughs = _troughs(diff)
    for i in range(diff.shape[1]):
        (idx,) = np.nonzero(troughs[:, i])
        if len(idx) == 0:
            continue
        dip_probs[idx, i] = _frame_dip_probs(diff[idx, i], thresholds, beta_probs, boltzmann_parameter, no_trough_prob)
    return dip_probs


def _frame_dip_probs(
    heights: np.ndarray, thresholds: np.ndarray, beta_probs: np.ndarray, lam: float, no_trough_prob: float
) -> np.ndarray:
    """One frame's dip probabilities, from the heights of its dips."""
    below = np.less.outer(heights, thresholds[1:])  # [dip, threshold]
    position = np.cumsum(below, axis=0) - 1
    n_below = np.count_nonzero(below, axis=0)
    prior = np.zeros(below.shape)
    # Boltzmann prior on the dip's rank among the dips below the threshold.
    with np.errstate(divide="ignore", invalid="ignore"):
        fact = np.broadcast_to((1 - np.exp(-lam)) / (1 - np.exp(-lam * n_below)), below.shape)
    prior[below] = fact[below] * np.exp(-lam * position[below])
    probs = prior.dot(beta_probs)
    deepest = np.argmin(heights)
    n_thresholds_below_min = np.count_nonzero(~below[deepest, :])
    probs[deepest] += no_trough_prob * np.sum(beta_probs[:n_thresholds_below_min])
    return probs


@dataclass(frozen=True)
class _PitchGrid:
    """pYIN's pitch bins: ``n_bins`` bins, ``bins_per_semitone`` to a semitone, from ``fmin`` Hz up."""

    fmin: float
    bins_per_semitone: int
    n_bins: int

    @classmethod
    def spanning(cls, fmin: float, fmax: float, resolution: float) -> _PitchGrid:
        """The grid from ``fmin`` to ``fmax`` with bins ``resolution`` semitones wide."""
        bins_per_semitone = int(np.ceil(1.0 / resolution))
        return cls(fmin, bins_per_semitone, int(np.floor(12 * bins_per_semitone * np.log2(fmax / fmin))) + 1)


def _observations(
    dip_probs: np.ndarray, shifts: np.ndarray, min_period: int, sr: float, grid: _PitchGrid
) -> tuple[np.ndarray, np.ndarray]:
    """The HMM's observation likelihoods (voiced pitch bins, then unvoiced ones) and each frame's voicing probability."""
    n_bins = grid.n_bins
    period_idx, frame_idx = np.nonzero(dip_probs)
    f0_candidates = sr / (min_period + period_idx + shifts[period_idx, frame_idx])
    bin_idx = 12 * grid.bins_per_semitone * np.log2(f0_candidates / grid.fmin)
    bin_idx = np.clip(np.round(bin_idx), 0, n_bins).astype(int)
    observation = np.zeros((2 * n_bins, dip_probs.shape[1]))
    observation[bin_idx, frame_idx] = dip_probs[period_idx, frame_idx]
    voiced_prob = np.clip(np.sum(observation[:n_bins], axis=0, keepdims=True), 0, 1)
    observation[n_bins:] = (1 - voiced_prob) / n_bins
    return observation, voiced_prob[0]


def _decode_pitch(
    observation: np.ndarray, grid: _PitchGrid, semitones_per_frame: float, switch_prob: float
) -> tuple[np.ndarray, np.ndarray]:
    """Viterbi path through pitch bins times voiced/unvoiced: (f0 in Hz, NaN where unvoiced; voiced).

    Pitch moves by at most ``semitones_per_frame`` (rounded) from one frame to the next.
    """
    n_bins = grid.n_bins
    max_semitones_per_frame = round(semitones_per_frame)
    pitch_moves = _local_transitions(n_bins, max_semitones_per_frame * grid.bins_per_semitone + 1)
    stay = 1 - switch_prob
    switch = np.array([[stay, 1.0 - stay], [1.0 - stay, stay]])
    transition = np.kron(switch, pitch_moves)
    states = _viterbi(observation, transition, np.ones(2 * n_bins) / (2 * n_bins))
    freqs = grid.fmin * 2 ** (np.arange(n_bins) / (12 * grid.bins_per_semitone))
    f0 = freqs[states % n_bins]
    voiced = states < n_bins
    f0[~voiced] = np.nan
    return f0, voiced
