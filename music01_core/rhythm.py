"""Onset strength, tempo and beats, with numpy and scipy.fft.

The beat tracker is Ellis's dynamic program ("Beat tracking by dynamic programming",
Journal of New Music Research 36(1), 2007) as librosa 0.11 implements it
(``librosa.beat.beat_track``): the tempo is the strongest period of the onset envelope's
windowed autocorrelation under a log-normal prior around 120 BPM; the beats are the path
through the onset envelope that best trades onset strength against even spacing at that
period.  Written here because importing librosa's beat module costs a cold ``music01
analyze`` about 3 s, part of it compiling numba kernels that cannot be cached; here the
tempo estimate and the dynamic program (one numpy step per onset frame) take about 30 ms
per minute of audio.

Frame rates are onset frames per second (``sample_rate / hop_length``).
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from numpy.lib.stride_tricks import sliding_window_view

from .dsp import hann_window

__all__ = ["onset_strength", "autocorrelate", "tempogram", "estimate_tempo_bpm", "track_beats"]

#: The tempo prior: log-normal around this tempo, one octave wide (librosa's defaults).
PRIOR_BPM = 120.0
PRIOR_OCTAVES = 1.0
#: Length of the autocorrelation window for the tempo estimate, in seconds.
TEMPO_WINDOW_S = 8.0
#: Tempi above this are never chosen.
MAX_BPM = 320.0
#: How strongly the dynamic program holds the beats to the estimated period.
TIGHTNESS = 100.0


def onset_strength(db_spectrogram: np.ndarray, *, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
    """Spectral flux: the mean rise in dB per bin from one frame to the next.

    As ``librosa.onset.onset_strength(S=db_spectrogram)``: the first difference along
    time, negatives dropped, averaged over bins, and delayed by ``1 + n_fft // (2 *
    hop_length)`` frames so a peak lines up with its onset in centred frames.

    Parameters
    ----------
    db_spectrogram : np.ndarray, shape (bins, frames)
        A spectrogram in dB.
    n_fft, hop_length : int
        The frame length and hop (in samples) the spectrogram was made with.

    Returns
    -------
    np.ndarray, shape (frames,)
    """
    rise = np.maximum(0.0, db_spectrogram[:, 1:] - db_spectrogram[:, :-1])
    env = np.mean(rise, axis=0)
    delay = 1 + n_fft // (2 * hop_length)
    return np.pad(env, (delay, 0))[: db_spectrogram.shape[1]]


def autocorrelate(x: np.ndarray, *, axis: int = -1) -> np.ndarray:
    """Autocorrelation of ``x`` along ``axis`` for lags 0 … n-1 (not normalised), via the FFT."""
    n = x.shape[axis]
    n_pad = scipy.fft.next_fast_len(2 * n - 1, real=True)  # any length >= 2n - 1 gives the linear autocorrelation
    spectrum = scipy.fft.rfft(x, n=n_pad, axis=axis)
    ac = scipy.fft.irfft(spectrum.real**2 + spectrum.imag**2, n=n_pad, axis=axis)
    return np.take(ac, np.arange(n), axis=axis)


def _window_frames(frame_rate_hz: float) -> int:
    """Autocorrelation window length in onset frames (``floor(TEMPO_WINDOW_S * frame rate)``)."""
    return int(np.floor(TEMPO_WINDOW_S * frame_rate_hz + 1e-9))


def tempogram(onset_env: np.ndarray, *, win_frames: int) -> np.ndarray:
    """Local autocorrelation of the onset envelope, one column per onset frame.

    Each column is the autocorrelation of a Hann-windowed stretch of ``win_frames``
    frames centred on that frame (the envelope ramps linearly to zero outside), scaled
    to a maximum of 1, as ``librosa.feature.tempogram``.

    Returns
    -------
    np.ndarray, shape (win_frames, frames)
        Row ``k`` is lag ``k`` frames.
    """
    n = len(onset_env)
    half = win_frames // 2
    padded = np.pad(np.asarray(onset_env, dtype=float), (half, half), mode="linear_ramp", end_values=(0, 0))
    frames = sliding_window_view(padded, win_frames)[:n]
    window = hann_window(win_frames)
    ac = autocorrelate(frames * window, axis=-1).T
    peak = np.max(np.abs(ac), axis=0, keepdims=True)
    peak[peak < np.finfo(float).tiny] = 1.0
    return ac / peak


def estimate_tempo_bpm(onset_env: np.ndarray, *, frame_rate_hz: float) -> float:
    """The global tempo of an onset envelope, in BPM.

    The period with the strongest mean local autocorrelation, weighted by a log-normal
    prior around :data:`PRIOR_BPM` (so that of two related periods the one nearer a
    common tempo wins), as ``librosa.feature.tempo``.

    Parameters
    ----------
    onset_env : np.ndarray, shape (frames,)
        Onset strength per frame.
    frame_rate_hz : float
        Onset frames per second.
    """
    win = _window_frames(frame_rate_hz)
    strength = tempogram(onset_env, win_frames=win).mean(axis=1)
    with np.errstate(divide="ignore"):
        bpms = 60.0 * frame_rate_hz / np.arange(win, dtype=float)  # lag 0 is an infinite tempo
        log_prior = -0.5 * ((np.log2(bpms) - np.log2(PRIOR_BPM)) / PRIOR_OCTAVES) ** 2
    log_prior[: int(np.argmax(bpms < MAX_BPM))] = -np.inf
    return float(bpms[int(np.argmax(np.log1p(1e6 * strength) + log_prior))])


def _local_score(onset_env: np.ndarray, frames_per_beat: float) -> np.ndarray:
    """The onset envelope, scaled by its standard deviation and smoothed by a Gaussian (σ = period / 32)."""
    norm = onset_env / (onset_env.std(ddof=1) + np.finfo(onset_env.dtype).tiny)
    # (librosa's loop leaves the envelope's first frame out of the sum; onset_strength's is always 0.)
    offsets = np.arange(-frames_per_beat, frames_per_beat + 1)
    window = np.exp(-0.5 * (offsets * 32.0 / frames_per_beat) ** 2)
    return np.convolve(norm, window, mode="same")


def _dynamic_program(local: np.ndarray, frames_per_beat: float, tightness: float) -> tuple[np.ndarray, np.ndarray]:
    """Best cumulative score per frame and the beat before it (-1: none).

    A beat at frame ``i`` may follow one between half and twice a period earlier; the
    step's cost grows with the squared log-ratio of the gap to the period.  Before the
    first frame whose score reaches 1 % of the maximum, no frame links back (leading
    noise does not start the chain).
    """
    n = len(local)
    min_gap, max_gap = max(1, int(np.round(frames_per_beat / 2))), int(2 * frames_per_beat)
    gaps = np.arange(max_gap, min_gap - 1, -1)  # gaps for predecessors in increasing frame order
    cost = tightness * (np.log(gaps) - np.log(frames_per_beat)) ** 2
    cumscore = np.empty(n)
    backlink = np.full(n, -1, dtype=np.int64)
    threshold = 0.01 * local.max()
    started = False
    for i in range(n):
        best = -1
        score = local[i]
        hi = i - min_gap  # latest possible predecessor
        if hi >= 0:
            lo = max(0, i - max_gap)
            cand = cumscore[lo : hi + 1] - cost[len(cost) - (hi + 1 - lo) :]
            # Of equal candidates, take the latest (the reference loop scans backwards, strictly greater wins).
            k = len(cand) - 1 - int(np.argmax(cand[::-1]))
            best = lo + k
            score += cand[k]
        cumscore[i] = score
        if started or local[i] >= threshold:
            backlink[i] = best
            started = True
    return cumscore, backlink


def _last_beat(cumscore: np.ndarray) -> int:
    """The last local maximum of the cumulative score that reaches half the median local maximum."""
    peaks = np.zeros(len(cumscore), dtype=bool)
    peaks[1:-1] = (cumscore[1:-1] > cumscore[:-2]) & (cumscore[1:-1] >= cumscore[2:])
    if len(cumscore) > 1:
        peaks[-1] = cumscore[-1] > cumscore[-2]
    if not peaks.any():
        return len(cumscore) - 1
    threshold = 0.5 * np.median(cumscore[peaks])
    ok = np.flatnonzero(peaks & (cumscore >= threshold))
    return int(ok[-1]) if ok.size else len(cumscore) - 1


def _trim(local: np.ndarray, beats: np.ndarray) -> np.ndarray:
    """Drop the weak beats at both ends: frames up to the first (and from the last) whose local
    score exceeds half the RMS of the smoothed beat scores."""
    w = np.hanning(5)
    smooth = np.convolve(local[beats], w)[len(w) // 2 : len(local) + len(w) // 2]
    threshold = 0.5 * np.sqrt(np.mean(smooth**2))
    strong = np.flatnonzero(local > threshold)
    trimmed = beats.copy()
    if strong.size == 0:
        trimmed[:] = False
        return trimmed
    trimmed[: strong[0]] = False
    trimmed[strong[-1] + 1 :] = False
    return trimmed


def track_beats(
    onset_env: np.ndarray, *, frame_rate_hz: float, tempo_bpm: float | None = None, tightness: float = TIGHTNESS
) -> tuple[float, np.ndarray]:
    """Tempo and beat positions of an onset envelope.

    Parameters
    ----------
    onset_env : np.ndarray, shape (frames,)
        Onset strength per frame (e.g. :func:`onset_strength`).
    frame_rate_hz : float
        Onset frames per second.
    tempo_bpm : float, optional
        The tempo to track at; estimated with :func:`estimate_tempo_bpm` when not given.
    tightness : float
        How strongly beats keep to the period (larger: more even).

    Returns
    -------
    tempo_bpm : float
        The tempo tracked at, in BPM (0.0 when the envelope is all zero).
    beat_frames : np.ndarray of int
        Frame indices of the beats, ascending (empty when the envelope is all zero).
    """
    env = np.asarray(onset_env, dtype=float)
    if not env.any():
        return 0.0, np.array([], dtype=int)
    if tempo_bpm is None:
        tempo_bpm = estimate_tempo_bpm(env, frame_rate_hz=frame_rate_hz)
    if tempo_bpm <= 0:
        raise ValueError(f"tempo_bpm must be positive, not {tempo_bpm}")
    frames_per_beat = float(np.round(frame_rate_hz * 60.0 / tempo_bpm))
    local = _local_score(env, frames_per_beat)
    cumscore, backlink = _dynamic_program(local, frames_per_beat, tightness)
    beats = np.zeros(len(env), dtype=bool)
    n = _last_beat(cumscore)
    while n >= 0:
        beats[n] = True
        n = backlink[n]
    return float(tempo_bpm), np.flatnonzero(_trim(local, beats))
