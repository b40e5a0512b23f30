"""Generated audio for tests: tones written in any format through the project's ffmpeg."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import soundfile as sf

from music01_core.ffmpeg import find_ffmpeg

KEY = "sk-test-LEAKCHECK-0123456789abcdef"  # recognisable test key: must never show up anywhere

ENCODE_ARGS = {
    "wav": ["-c:a", "pcm_s16le"],
    "mp3": ["-c:a", "libmp3lame", "-b:a", "128k"],
    "flac": ["-c:a", "flac"],
    "ogg": ["-c:a", "libvorbis", "-q:a", "3"],
    "opus": ["-c:a", "libopus", "-b:a", "64k"],
    "m4a": ["-c:a", "aac", "-b:a", "128k"],
    # What Chrome's MediaRecorder produces: Opus in WebM, 48 kHz, often without a duration.
    "webm": ["-c:a", "libopus", "-b:a", "64k", "-ar", "48000", "-f", "webm"],
}


def tone(
    duration_s: float, sample_rate: int = 44100, channels: int = 2, freq: float = 220.0, amplitude: float = 0.3
) -> np.ndarray:
    """A quiet chord-ish tone, shape (n, channels)."""
    t = np.arange(int(round(duration_s * sample_rate))) / sample_rate
    y = amplitude * (np.sin(2 * np.pi * freq * t) + 0.5 * np.sin(2 * np.pi * freq * 1.5 * t)) / 1.5
    return np.repeat(y[:, None], channels, axis=1).astype(np.float32)


def write_audio(path: Path, y: np.ndarray, sample_rate: int, *, metadata: dict | None = None) -> Path:
    """Write samples (n, channels) to ``path`` in the format its suffix names."""
    fmt = path.suffix.lstrip(".")
    if fmt == "wav" and not metadata:
        sf.write(path, y, sample_rate, subtype="PCM_16")
        return path
    raw = (np.clip(y, -1, 1) * 32767).astype("<i2").tobytes()
    meta = []
    for k, v in (metadata or {}).items():
        meta += ["-metadata", f"{k}={v}"]
    cmd = [
        find_ffmpeg(),
        "-v",
        "error",
        "-y",
        "-f",
        "s16le",
        "-ar",
        str(sample_rate),
        "-ac",
        str(y.shape[1]),
        "-i",
        "-",
        *meta,
        *ENCODE_ARGS[fmt],
        str(path),
    ]
    subprocess.run(cmd, input=raw, check=True)
    return path
