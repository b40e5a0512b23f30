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


def drum_loop(
    bpm: float,
    duration_s: float,
    sample_rate: int = 22050,
    *,
    swing: float = 0.0,
    accent_every: int = 0,
    noise: float = 0.0,
    seed: int = 0,
) -> np.ndarray:
    """A mono kick/hi-hat loop at ``bpm`` with a held bass note, shape (n,), float32.

    Kicks fall on the beats (starting at 0.5 s), hi-hats on the off-beats, delayed by
    ``swing`` (a share of half a beat); with ``accent_every`` every n-th kick is loud and
    the others soft; ``noise`` adds white noise at that amplitude.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sample_rate))
    y = np.zeros(n, dtype=np.float64)
    t = np.arange(int(0.15 * sample_rate)) / sample_rate
    kick = np.sin(2 * np.pi * (50 + 100 * np.exp(-t * 30)) * t) * np.exp(-t * 18)
    hat_n = int(0.03 * sample_rate)
    hat = rng.standard_normal(hat_n) * np.exp(-np.arange(hat_n) / (0.006 * sample_rate))
    beat_s = 60.0 / bpm
    for k, start_s in enumerate(np.arange(0.5, duration_s - 0.2, beat_s)):
        gain = 1.0 if not accent_every or k % accent_every == 0 else 0.4
        for sound, at_s, level in ((kick, start_s, gain), (hat, start_s + beat_s * (0.5 + swing / 2), 0.25)):
            i = int(at_s * sample_rate)
            if i < n:
                y[i : i + len(sound)] += level * sound[: n - i]
    y += 0.1 * np.sin(2 * np.pi * 110.0 * np.arange(n) / sample_rate)
    y += noise * rng.standard_normal(n)
    return (0.5 * y / max(np.abs(y).max(), 1e-9)).astype(np.float32)


def lead_synth(
    duration_s: float = 20.0,
    sample_rate: int = 22050,
    *,
    wave: str = "saw",
    vibrato_cents: float = 25.0,
    vibrato_hz: float = 5.5,
    vibrato_every: int = 1,
    glide_s: float = 0.06,
    bed: bool = True,
    seed: int = 0,
) -> np.ndarray:
    """A monophonic synthesiser lead over a drum and bass bed, shape (n,), float32.

    The lead plays a melody on a major scale (notes of 0.25–1 s, legato), gliding
    ``glide_s`` into each note (portamento) with a delayed ``vibrato_hz`` vibrato of
    ``±vibrato_cents`` (an LFO) on every ``vibrato_every``-th note.  ``wave`` is ``saw``
    (all harmonics at 1/k, up to 9 kHz: bright), ``square`` (odd ones at 1/k) or ``soft``
    (three harmonics, a flute-like, dark lead).  The bed: kick and snare on the beats at
    120 BPM, hi-hats between, a bass on the root.
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration_s * sample_rate))
    t_all = np.arange(n) / sample_rate
    midi = np.zeros(n)
    vib = np.zeros(n)
    i, k, prev = 0, 0, None
    while i < n:
        note = 67 + (0, 2, 4, 5, 7, 9, 11, 12)[rng.integers(0, 8)]
        m = int(float(rng.choice([0.25, 0.5, 0.75, 1.0])) * sample_rate)
        t = np.arange(min(m, n - i)) / sample_rate
        bend = (prev - note) * np.clip(1 - t / glide_s, 0, 1) if prev is not None and glide_s > 0 else 0.0
        midi[i : i + len(t)] = note + bend
        if k % vibrato_every == 0:
            vib[i : i + len(t)] = np.sin(2 * np.pi * vibrato_hz * t) * np.clip((t - 0.15) / 0.2, 0, 1)
        i, k, prev = i + len(t), k + 1, note
    f0 = 440.0 * 2 ** ((midi + vibrato_cents * vib / 100 - 69) / 12)
    phase = 2 * np.pi * np.cumsum(f0) / sample_rate
    harmonics = {"saw": range(1, 80), "square": range(1, 80, 2), "soft": (1, 2, 3)}[wave]
    lead = np.zeros(n)
    for h in harmonics:
        # Each harmonic stops where it would pass 9 kHz (no aliasing as the pitch moves).
        lead += np.where(h * f0 < 9000, np.sin(h * phase), 0.0) / h
    lead /= np.abs(lead).max()
    y = 0.6 * lead
    if bed:
        beat_s = 0.5
        tk = np.arange(int(0.2 * sample_rate)) / sample_rate
        kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-tk * 30)) * tk) * np.exp(-tk * 14)
        hat = rng.standard_normal(int(0.04 * sample_rate)) * np.exp(-np.arange(int(0.04 * sample_rate)) / 150)
        snare = rng.standard_normal(int(0.15 * sample_rate)) * np.exp(-np.arange(int(0.15 * sample_rate)) / 700)
        for b, start_s in enumerate(np.arange(0.0, duration_s - 0.3, beat_s)):
            j = int(start_s * sample_rate)
            hit = kick if b % 2 == 0 else snare
            y[j : j + len(hit)] += 0.5 * hit[: n - j]
            jh = int((start_s + beat_s / 2) * sample_rate)
            y[jh : jh + len(hat)] += 0.15 * hat[: n - jh]
        y += 0.25 * (np.sin(2 * np.pi * 98.0 * t_all) + 0.3 * np.sin(2 * np.pi * 196.0 * t_all))
    return (0.8 * y / np.abs(y).max()).astype(np.float32)


def pitch_track(midi_runs, *, frame_rate=21.5):
    """A :class:`~music01_core.analysis.PitchTrack` of the given runs (MIDI per frame), each followed
    by two unvoiced frames: the vocals verdict's input without any audio."""
    from music01_core.analysis import PitchTrack

    midi, voiced = [], []
    for run in midi_runs:
        midi += list(run) + [np.nan, np.nan]
        voiced += [True] * len(run) + [False, False]
    midi = np.array(midi, dtype=float)
    return PitchTrack(midi=midi, voiced=np.array(voiced), level_db=np.zeros(len(midi)), frame_rate=frame_rate)
