"""Example references made by the project itself (no licence questions, no downloads).

A newcomer, a workshop or a test needs a reference with no file of their own.  These
are synthesised with numpy: a chord progression with bass and drums at a known tempo and
key, so tests can check that analysis and the offline engine recover them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ExampleSpec", "EXAMPLES", "synthesize_example", "write_example", "example_for_prompt"]

NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")


@dataclass(frozen=True)
class ExampleSpec:
    """How an example reference is made.

    Attributes
    ----------
    name : str
        Short identifier, e.g. ``"groove-a-minor"``.
    tempo_bpm : float
        Beats per minute.
    tonic : str
        Key tonic, one of ``NOTE_NAMES``.
    mode : {"major", "minor"}
    duration_s : float
        Length in seconds.
    """

    name: str
    tempo_bpm: float
    tonic: str
    mode: str
    duration_s: float = 40.0
    kind: str = "instrumental"  # "instrumental", "song" (voice + band) or "voice" (a cappella)
    description: str = ""


EXAMPLES = {
    "groove-a-minor": ExampleSpec("groove-a-minor", 100.0, "A", "minor", description="band, no vocals (instrumental)"),
    "bright-d-major": ExampleSpec("bright-d-major", 120.0, "D", "major", description="band, no vocals (instrumental)"),
    "song-e-minor": ExampleSpec(
        "song-e-minor", 92.0, "E", "minor", kind="song", description="a sung melody over a band (song)"
    ),
    "acappella-g-major": ExampleSpec(
        "acappella-g-major", 84.0, "G", "major", kind="voice", description="a sung melody alone (voice)"
    ),
}

# Progressions as scale degrees (0-based) of triads: i-iv-V-i and I-V-vi-IV.
_PROGRESSIONS = {"minor": (0, 3, 4, 0), "major": (0, 4, 5, 3)}
_SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}


def _midi_hz(m):
    import numpy as np

    return 440.0 * 2.0 ** ((np.asarray(m, dtype=float) - 69) / 12)


def synthesize_example(spec: ExampleSpec, *, sample_rate: int = 44100, seed: int = 0):
    """Synthesise an example: a band, a sung melody over a band, or a sung melody alone.

    Returns
    -------
    np.ndarray
        Stereo float32 samples, shape ``(n, 2)``, peak about 0.8.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    n = int(spec.duration_s * sample_rate)
    out = np.zeros((n, 2), dtype=np.float64)
    kick, hat = _drum_sounds(sample_rate, rng)
    _play_band(out, spec, sample_rate, kick, hat)
    if spec.kind in ("song", "voice"):
        voice = _sung_line(spec, sample_rate, rng)[:n]
        band_rms = np.sqrt(np.mean(out**2)) if spec.kind == "song" else 0.0
        level = (band_rms * 1.6 / (np.sqrt(np.mean(voice**2)) + 1e-9)) if band_rms else 0.5
        out[: len(voice)] += (voice * level)[:, None]
    peak = np.abs(out).max() or 1.0
    fade = np.minimum(1.0, np.minimum(np.arange(n), n - 1 - np.arange(n)) / (0.02 * sample_rate))
    return (out / peak * 0.8 * fade[:, None]).astype(np.float32)


def _add(out, start_s, sig, sample_rate, pan=0.5):
    """Mix ``sig`` into the stereo ``out`` from ``start_s`` on, panned (0 left, 1 right), cut at the end."""
    n = len(out)
    i = int(start_s * sample_rate)
    if i >= n:
        return
    sig = sig[: n - i]
    out[i : i + len(sig), 0] += sig * (1 - pan) * 2**0.5
    out[i : i + len(sig), 1] += sig * pan * 2**0.5


def _note(freq, dur_s, sample_rate, *, decay=3.0, harmonics=(1, 0.5, 0.25, 0.12)):
    """A plucked note: a few harmonics under a fast attack and an exponential decay."""
    import numpy as np

    t = np.arange(int(dur_s * sample_rate)) / sample_rate
    env = np.minimum(1.0, t / 0.01) * np.exp(-decay * t)
    sig = sum(a * np.sin(2 * np.pi * freq * (k + 1) * t) for k, a in enumerate(harmonics))
    return env * sig


def _drum_sounds(sample_rate: int, rng):
    """(kick, hi-hat) samples; the hat's noise comes from ``rng``."""
    import numpy as np

    t_kick = np.arange(int(0.25 * sample_rate)) / sample_rate
    kick = np.sin(2 * np.pi * (50 + 90 * np.exp(-t_kick * 30)) * t_kick) * np.exp(-t_kick * 14)
    hat = rng.standard_normal(int(0.05 * sample_rate)) * np.exp(
        -np.arange(int(0.05 * sample_rate)) / (0.008 * sample_rate)
    )
    hat = np.diff(hat, prepend=0.0)  # brighter
    return kick, hat


def _triad(spec: ExampleSpec, degree: int, root: int) -> list[int]:
    """The MIDI notes of the chord on scale ``degree`` (root ``root``), an octave up."""
    scale = _SCALES[spec.mode]
    third = (scale[(degree + 2) % 7] - scale[degree]) % 12
    if spec.mode == "minor" and degree == 4:
        third = 4  # harmonic minor: a major dominant, which is what makes the key unmistakable
    return [root + 12, root + 12 + third, root + 12 + (scale[(degree + 4) % 7] - scale[degree]) % 12]


def _play_band(out, spec: ExampleSpec, sample_rate: int, kick, hat) -> None:
    """Add the band into ``out``, beat by beat: chords, bass, drums, and a melody for an instrumental."""
    beat_s = 60.0 / spec.tempo_bpm
    tonic = NOTE_NAMES.index(spec.tonic)
    scale = _SCALES[spec.mode]
    prog = _PROGRESSIONS[spec.mode]
    n_beats = int(spec.duration_s / beat_s)
    if spec.kind == "voice":
        n_beats = 0  # no band at all
    for b in range(n_beats):
        t0 = b * beat_s
        bar, beat = divmod(b, 4)
        degree = prog[bar % len(prog)]
        root = 48 + tonic + scale[degree]
        triad = _triad(spec, degree, root)
        if beat == 0:
            for m, pan in zip(triad, (0.3, 0.5, 0.7), strict=True):
                _add(out, t0, 0.16 * _note(float(_midi_hz(m)), 4 * beat_s, sample_rate, decay=0.8), sample_rate, pan)
        bass = _note(float(_midi_hz(root - 12)), beat_s * 0.9, sample_rate, decay=2.5, harmonics=(1, 0.3))
        _add(out, t0, 0.35 * bass, sample_rate)
        # Melody: a scale walk that lands on chord tones, one note per beat.
        if spec.kind == "instrumental":
            mel_deg = (degree + (0, 2, 4, 2)[beat] + (bar // 4) % 3) % 7
            midi = 72 + tonic + scale[mel_deg] - (12 if tonic > 6 else 0)
            _add(out, t0, 0.12 * _note(float(_midi_hz(midi)), beat_s * 0.8, sample_rate, decay=4.0), sample_rate, 0.6)
        if beat in (0, 2):
            _add(out, t0, 0.6 * kick, sample_rate)
        _add(out, t0 + beat_s / 2, 0.08 * hat, sample_rate, 0.4)
        _add(out, t0, 0.1 * hat, sample_rate, 0.6)


def _sung_line(spec: ExampleSpec, sample_rate: int, rng):
    """A sung melody: two-bar phrases on the scale, with rests, vibrato and vowels."""
    import numpy as np

    from .engine.voice import Note, sing

    beat_s = 60.0 / spec.tempo_bpm
    tonic = NOTE_NAMES.index(spec.tonic)
    scale = _SCALES[spec.mode]
    base = 57 + (tonic - 9) % 12  # a comfortable middle range
    notes, t, deg = [], beat_s, 0
    vowels = "aeoiuao"
    while t < spec.duration_s - 2 * beat_s:
        for i in range(6):  # six syllables, the last one held on a chord tone
            deg = int(np.clip(deg + rng.choice([-1, 1, 1, -2, 2, 0]), 0, 7))
            if i == 5:
                deg = min((0, 2, 4, 7), key=lambda d, cur=deg: abs(d - cur))
            midi = base + scale[deg % 7] + 12 * (deg // 7)
            dur = beat_s * (0.5 if i < 5 else 2.0)
            notes.append(
                Note(t, dur * 0.95, float(midi), vowels[(i + len(notes)) % len(vowels)], "noise" if i % 3 == 0 else "")
            )
            t += dur
        deg = 0 if rng.random() < 0.5 else 4
        t += beat_s * 1.5 + (beat_s * 4 - (t % (beat_s * 4))) % (beat_s * 4)  # rest to the next bar line
    return sing(notes, sample_rate=sample_rate, duration_s=spec.duration_s, seed=int(rng.integers(1 << 30)))


def write_example(name: str, path: str | os.PathLike, *, sample_rate: int = 44100) -> Path:
    """Write the example ``name`` (see :data:`EXAMPLES`) as a 16-bit WAV file and return its path."""
    import soundfile as sf

    from .errors import InputError

    if name not in EXAMPLES:
        raise InputError(f"unknown example {name!r}: choose one of {', '.join(EXAMPLES)}.")
    import io

    from .storage import atomic_write_bytes

    path = Path(path)
    buf = io.BytesIO()
    sf.write(
        buf, synthesize_example(EXAMPLES[name], sample_rate=sample_rate), sample_rate, format="WAV", subtype="PCM_16"
    )
    # Atomic: the app, the CLI and the emulator's job threads may write the same example at once.
    atomic_write_bytes(path, buf.getvalue())
    return path


# Words of a style prompt that point at one example's mood.  The offline engine has four
# built-in references, not a text model: this is how a prompt still changes what it plays.
_PROMPT_WORDS = {
    "acappella-g-major": (
        "a cappella",
        "acappella",
        "a capella",
        "choir",
        "unaccompanied",
        "voice only",
        "vocals only",
        "no instruments",
        "solo voice",
        "chant",
    ),
    "bright-d-major": (
        "happy",
        "bright",
        "upbeat",
        "sunny",
        "summer",
        "cheerful",
        "joyful",
        "joy",
        "pop",
        "dance",
        "party",
        "energetic",
        "uplifting",
        "major",
        "fast",
        "festive",
        "disco",
    ),
    "groove-a-minor": (
        "groove",
        "funk",
        "hip hop",
        "hip-hop",
        "hiphop",
        "lofi",
        "lo-fi",
        "chill",
        "jazz",
        "dark",
        "minor",
        "moody",
        "night",
        "rain",
        "sad",
        "melancholic",
        "noir",
        "trip hop",
    ),
}


def example_for_prompt(prompt: str | None, *, sing: bool) -> tuple[str, str]:
    """The built-in example that best matches a style prompt's words.

    Parameters
    ----------
    prompt : str or None
        A style prompt ("upbeat summer pop").
    sing : bool
        Whether the piece has a voice: then the default is the sung example and the
        a cappella one can be chosen; an instrumental never gets a voice-only reference.

    Returns
    -------
    name : str
        A key of :data:`EXAMPLES`.
    why : str
        The prompt's words that chose it ("" when none matched and the default was used).
    """
    import re

    text = " " + re.sub(r"[^\w\s-]+", " ", (prompt or "").lower()) + " "
    best, best_hits = ("song-e-minor" if sing else "groove-a-minor"), []
    for name, words in _PROMPT_WORDS.items():
        if name == "acappella-g-major" and not sing:
            continue
        hits = [w for w in words if f" {w} " in text]
        if len(hits) > len(best_hits):
            best, best_hits = name, hits
    return best, ", ".join(best_hits)
