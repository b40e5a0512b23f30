"""The spectral transforms the analysis needs, with numpy and two parts of scipy.

Each function computes what the librosa function of the same name computes with the
parameters :mod:`music01_core.analysis` uses (same framing, windows, filter banks, dB
scales, and the same FFT, scipy's), to float rounding.  librosa's own modules cost
seconds to import from a cold start (each pulls in scipy.signal, numba-compiled kernels
and, for the harmonic/percussive split, scikit-learn), which made a one-off ``music01
analyze`` of a 13 s clip take as long as the clip; these take milliseconds.  From scipy
they use only ``scipy.fft`` and ``scipy.ndimage``'s median filter (together about 0.25 s
to import).

Spectrograms are shaped ``(frequency bins, frames)``; frame ``k`` is centred on sample
``k * hop_length`` (the signal is zero-padded by half a frame at both ends).
"""

from __future__ import annotations

import numpy as np
import scipy.fft
import soxr
from numpy.lib.stride_tricks import sliding_window_view
from scipy.ndimage import median_filter

__all__ = [
    "hann_window",
    "stft",
    "istft",
    "frame_rms",
    "hpss",
    "harmonic",
    "power_to_db",
    "amplitude_to_db",
    "chroma_filterbank",
    "chroma",
    "mel_filterbank",
    "mfcc",
    "resample",
]

#: Frames per block where a whole-file frame matrix would be large (10-min files).
_BLOCK_FRAMES = 4096


def hann_window(n: int) -> np.ndarray:
    """Periodic Hann window of ``n`` samples, float64, computed as ``scipy.signal.get_window("hann", n)`` does."""
    phase = np.linspace(-np.pi, np.pi, n + 1)
    w = np.zeros(n + 1)
    w += 0.5 * np.cos(0 * phase)
    w += 0.5 * np.cos(phase)
    return w[:n]


def _centered_frames(y: np.ndarray, frame_length: int, hop_length: int) -> np.ndarray:
    """Frames of ``y`` zero-padded by half a frame at both ends, shape ``(frames, frame_length)`` (a view)."""
    padded = np.pad(y, (frame_length // 2, frame_length // 2))
    return sliding_window_view(padded, frame_length)[::hop_length]


def stft(y: np.ndarray, *, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
    """Short-time Fourier transform with a Hann window, centred frames.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    n_fft : int
        Frame length in samples.
    hop_length : int
        Samples between frame starts.

    Returns
    -------
    np.ndarray, shape (1 + n_fft // 2, 1 + n // hop_length)
        Complex spectrum (complex64 for float32 input), as ``librosa.stft(y, n_fft=…, hop_length=…)``.
    """
    frames = _centered_frames(y, n_fft, hop_length)
    window = hann_window(n_fft)  # float64: the transform runs in double precision, as librosa's does
    out = np.empty((1 + n_fft // 2, len(frames)), dtype=np.complex64 if y.dtype == np.float32 else np.complex128)
    for a in range(0, len(frames), _BLOCK_FRAMES):
        out[:, a : a + _BLOCK_FRAMES] = scipy.fft.rfft(frames[a : a + _BLOCK_FRAMES] * window, axis=-1).T
    return out


def istft(spectrum: np.ndarray, *, hop_length: int = 512, length: int) -> np.ndarray:
    """Inverse of :func:`stft` by windowed overlap-add, ``length`` samples long, as ``librosa.istft``.

    Where frames overlap, the sum of squared windows is divided out.  A complex64 spectrum
    gives float32 samples, summed in float32 frame by frame as librosa sums them.
    """
    n_fft = 2 * (spectrum.shape[0] - 1)
    dtype = np.float32 if spectrum.dtype == np.complex64 else np.float64
    window = hann_window(n_fft)
    n_frames = spectrum.shape[1]
    # Overlap-add in ceil(n_fft / hop) strided passes instead of one pass per frame; the
    # passes run from the last to the first so each sample adds its frames in time order.
    passes = -(-n_fft // hop_length)
    tail = passes * hop_length - n_fft
    y = np.zeros((n_frames + passes - 1) * hop_length, dtype=dtype)
    norm = np.zeros_like(y)
    frames = scipy.fft.irfft(spectrum, n=n_fft, axis=0).T * window
    frames = np.pad(frames, ((0, 0), (0, tail))).reshape(n_frames, passes, hop_length)
    win_sq = np.pad(window**2, (0, tail)).reshape(passes, hop_length)
    for j in reversed(range(passes)):
        y[j * hop_length : (j + n_frames) * hop_length] += frames[:, j, :].ravel()
        norm[j * hop_length : (j + n_frames) * hop_length] += np.tile(win_sq[j], n_frames)
    start = n_fft // 2
    y, norm = y[start : start + length], norm[start : start + length]
    y = np.pad(y, (0, length - len(y)))
    norm = np.pad(norm, (0, length - len(norm)))
    nonzero = norm > np.finfo(dtype).tiny
    y[nonzero] /= norm[nonzero]
    return y


def frame_rms(y: np.ndarray, *, frame_length: int = 2048, hop_length: int = 512) -> np.ndarray:
    """Root-mean-square level of centred frames (linear, 1.0 = full scale), shape ``(1 + n // hop_length,)``.

    As ``librosa.feature.rms(y=y, frame_length=…, hop_length=…)[0]``.
    """
    frames = _centered_frames(y, frame_length, hop_length)
    power = np.empty(len(frames), dtype=np.float32)
    for a in range(0, len(frames), _BLOCK_FRAMES):
        block = frames[a : a + _BLOCK_FRAMES].astype(np.float32)
        power[a : a + _BLOCK_FRAMES] = np.mean(block * block, axis=-1)
    return np.sqrt(power)


def _softmask(x: np.ndarray, x_ref: np.ndarray, *, power: float, split_zeros: bool) -> np.ndarray:
    """Wiener-like mask ``x^p / (x^p + x_ref^p)``, computed relative to the larger of the two (no overflow)."""
    z = np.maximum(x, x_ref)
    bad = z < np.finfo(z.dtype).tiny
    z[bad] = 1
    mask = (x / z) ** power
    ref_mask = (x_ref / z) ** power
    good = ~bad
    mask[good] /= mask[good] + ref_mask[good]
    mask[bad] = 0.5 if split_zeros else 0.0
    return mask


def hpss(magnitude: np.ndarray, *, kernel_size: int = 31, margin: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """Split a magnitude spectrogram into harmonic and percussive parts by median filtering.

    Harmonic sounds are smooth along time, percussive ones along frequency; soft masks
    (power 2) share each bin between the two.  With ``margin`` > 1 each part keeps only
    bins where it dominates the other by that factor.

    Parameters
    ----------
    magnitude : np.ndarray, shape (bins, frames)
        Non-negative spectrogram (complex input is not taken: pass ``np.abs``).
    kernel_size : int
        Median filter length, in frames (harmonic) and bins (percussive).
    margin : float
        >= 1.

    Returns
    -------
    harmonic, percussive : np.ndarray
        Same shape as ``magnitude``, as ``librosa.decompose.hpss(magnitude, kernel_size=…, margin=…)``.
    """
    harm = median_filter(magnitude, size=(1, kernel_size), mode="reflect")
    perc = median_filter(magnitude, size=(kernel_size, 1), mode="reflect")
    split_zeros = margin == 1
    mask_harm = _softmask(harm, perc * margin, power=2.0, split_zeros=split_zeros)
    mask_perc = _softmask(perc, harm * margin, power=2.0, split_zeros=split_zeros)
    return magnitude * mask_harm, magnitude * mask_perc


def harmonic(y: np.ndarray, *, margin: float = 1.0, n_fft: int = 2048, hop_length: int = 512) -> np.ndarray:
    """The harmonic part of a signal (drums removed), as ``librosa.effects.harmonic`` with kernel 31.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono samples.
    margin : float
        >= 1; larger keeps only what is clearly harmonic.
    n_fft, hop_length : int
        Frame length and hop in samples.

    Returns
    -------
    np.ndarray, shape (n,)
        Same dtype as ``y``.
    """
    spectrum = stft(y, n_fft=n_fft, hop_length=hop_length)
    mag = np.abs(spectrum)
    # Unit phase per bin (1 where the bin is silent), real and imaginary parts divided
    # separately: a complex division can give NaN for denormal values.
    zeros = mag == 0
    phase = np.empty_like(spectrum)
    phase.real = spectrum.real / (mag + zeros) + zeros
    phase.imag = spectrum.imag / (mag + zeros)
    harm_mag, _ = hpss(mag, kernel_size=31, margin=margin)
    return istft(harm_mag * phase, hop_length=hop_length, length=len(y)).astype(y.dtype)


def power_to_db(power: np.ndarray, *, amin: float = 1e-10, top_db: float | None = 80.0) -> np.ndarray:
    """Power (1.0 = reference) in dB, floored at ``amin`` and at ``top_db`` below the maximum."""
    db = 10.0 * np.log10(np.maximum(amin, power))
    if top_db is not None:
        db = np.maximum(db, db.max() - top_db)
    return db


def amplitude_to_db(amplitude: np.ndarray, *, amin: float = 1e-5, top_db: float | None = 80.0) -> np.ndarray:
    """Amplitude (1.0 = reference) in dB, floored at ``amin`` and at ``top_db`` below the maximum."""
    return power_to_db(np.square(np.abs(amplitude)), amin=amin**2, top_db=top_db)


def _normalize_max(x: np.ndarray, axis: int) -> np.ndarray:
    """``x`` divided by its largest magnitude along ``axis`` (left alone where that is ~0)."""
    length = np.max(np.abs(x), axis=axis, keepdims=True).astype(float)
    length[length < np.finfo(x.dtype).tiny] = 1.0
    return (x / length).astype(x.dtype)


def chroma_filterbank(*, sample_rate: int, n_fft: int, n_chroma: int = 12, tuning: float = 0.0) -> np.ndarray:
    """Weights from FFT bins to pitch classes (C first), as ``librosa.filters.chroma``.

    Each bin adds to the pitch classes near its frequency (a Gaussian one bin wide), each
    class's column is normalised (L2), and a Gaussian over octaves centred on C5 (two
    octaves wide) fades out the extremes.

    Returns
    -------
    np.ndarray, shape (n_chroma, 1 + n_fft // 2), float32
    """
    freqs_hz = np.linspace(0, sample_rate, n_fft, endpoint=False)[1:]
    a440 = 440.0 * 2.0 ** (tuning / n_chroma)
    frqbins = n_chroma * np.log2(freqs_hz / (a440 / 16))
    frqbins = np.concatenate(([frqbins[0] - 1.5 * n_chroma], frqbins))
    binwidthbins = np.concatenate((np.maximum(frqbins[1:] - frqbins[:-1], 1.0), [1]))
    d = np.subtract.outer(frqbins, np.arange(0, n_chroma, dtype="d")).T
    half = np.round(float(n_chroma) / 2)
    d = np.remainder(d + half + 10 * n_chroma, n_chroma) - half
    wts = np.exp(-0.5 * (2 * d / np.tile(binwidthbins, (n_chroma, 1))) ** 2)
    norms = np.sqrt(np.sum(wts**2, axis=0, keepdims=True))
    norms[norms < np.finfo(wts.dtype).tiny] = 1.0
    wts = wts / norms
    wts *= np.tile(np.exp(-0.5 * ((frqbins / n_chroma - 5.0) / 2.0) ** 2), (n_chroma, 1))
    wts = np.roll(wts, -3 * (n_chroma // 12), axis=0)
    return np.ascontiguousarray(wts[:, : int(1 + n_fft / 2)], dtype=np.float32)


def chroma(power: np.ndarray, *, sample_rate: int, tuning: float = 0.0) -> np.ndarray:
    """Chromagram of a power spectrogram, each frame scaled to a maximum of 1.

    As ``librosa.feature.chroma_stft(S=power, sr=sample_rate, tuning=tuning)``.

    Returns
    -------
    np.ndarray, shape (12, frames)
    """
    n_fft = 2 * (power.shape[0] - 1)
    raw = chroma_filterbank(sample_rate=sample_rate, n_fft=n_fft, tuning=tuning) @ power
    return _normalize_max(raw, axis=0)


def _hz_to_mel(freqs_hz: np.ndarray) -> np.ndarray:
    """Slaney's mel scale: linear below 1 kHz, logarithmic above."""
    freqs_hz = np.asanyarray(freqs_hz, dtype=float)
    mels = freqs_hz / (200.0 / 3)
    logstep = np.log(6.4) / 27.0
    high = freqs_hz >= 1000.0
    mels[high] = 15.0 + np.log(freqs_hz[high] / 1000.0) / logstep
    return mels


def _mel_to_hz(mels: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_hz_to_mel`."""
    mels = np.asanyarray(mels, dtype=float)
    freqs_hz = (200.0 / 3) * mels
    logstep = np.log(6.4) / 27.0
    high = mels >= 15.0
    freqs_hz[high] = 1000.0 * np.exp(logstep * (mels[high] - 15.0))
    return freqs_hz


def mel_filterbank(*, sample_rate: int, n_fft: int, n_mels: int = 128) -> np.ndarray:
    """Triangular mel filters from 0 Hz to Nyquist, area-normalised (Slaney), as ``librosa.filters.mel``.

    Returns
    -------
    np.ndarray, shape (n_mels, 1 + n_fft // 2), float32
    """
    fft_hz = np.fft.rfftfreq(n_fft, 1.0 / sample_rate)
    low_mel, high_mel = _hz_to_mel(np.array([0.0, sample_rate / 2]))
    mel_hz = _mel_to_hz(np.linspace(low_mel, high_mel, n_mels + 2))
    fdiff = np.diff(mel_hz)
    ramps = np.subtract.outer(mel_hz, fft_hz)
    lower = -ramps[:n_mels] / fdiff[:n_mels, None]
    upper = ramps[2 : n_mels + 2] / fdiff[1 : n_mels + 1, None]
    weights = np.maximum(0, np.minimum(lower, upper)).astype(np.float32)
    weights *= (2.0 / (mel_hz[2 : n_mels + 2] - mel_hz[:n_mels]))[:, None]
    return weights


def mfcc(power: np.ndarray, *, sample_rate: int, n_mfcc: int = 13, n_mels: int = 128) -> np.ndarray:
    """Mel-frequency cepstral coefficients of a power spectrogram.

    As ``librosa.feature.mfcc(S=librosa.power_to_db(librosa.feature.melspectrogram(S=power, sr=…)), n_mfcc=…)``.

    Returns
    -------
    np.ndarray, shape (n_mfcc, frames)
    """
    n_fft = 2 * (power.shape[0] - 1)
    mel_db = power_to_db(mel_filterbank(sample_rate=sample_rate, n_fft=n_fft, n_mels=n_mels) @ power)
    return scipy.fft.dct(mel_db, axis=0, type=2, norm="ortho")[:n_mfcc]


def resample(y: np.ndarray, *, orig_sr: int, target_sr: int, quality: str = "HQ") -> np.ndarray:
    """Resample with libsoxr to ``ceil(n * target_sr / orig_sr)`` samples, as ``librosa.resample`` (soxr_hq).

    ``quality`` is a libsoxr quality: ``"HQ"`` (the default) or ``"MQ"`` (faster, for pitch tracking).
    """
    if orig_sr == target_sr:
        return y
    n_out = int(np.ceil(len(y) * float(target_sr) / orig_sr))
    out = soxr.resample(y, orig_sr, target_sr, quality=quality)
    out = out[:n_out] if len(out) >= n_out else np.pad(out, (0, n_out - len(out)))
    return np.asarray(out, dtype=y.dtype)
