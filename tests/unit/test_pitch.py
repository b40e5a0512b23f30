"""music01_core.pitch: YIN and pYIN give librosa's answers, and the pitch the audio was made at."""

import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest

from music01_core import pitch

ROOT = Path(__file__).resolve().parents[2]
SR = 11025
# The analysis's settings (music01_core.analysis.track_pitch).
KW = dict(fmin=70.0, fmax=900.0, sr=SR, frame_length=1024, hop_length=512, center=True)


def _voice(seconds: float, notes_hz: list[float], *, vibrato_cents: float = 30.0, seed: int = 0) -> np.ndarray:
    """Held notes with harmonics and vibrato, a short gap of noise between them."""
    rng = np.random.default_rng(seed)
    per = int(seconds * SR / len(notes_hz))
    parts = []
    for f in notes_hz:
        t = np.arange(per) / SR
        inst = f * 2 ** (vibrato_cents / 1200 * np.sin(2 * np.pi * 5.5 * t))
        phase = 2 * np.pi * np.cumsum(inst) / SR
        tone = sum(np.sin(k * phase) / k for k in range(1, 6)) * np.hanning(per) ** 0.2
        parts += [tone, 0.02 * rng.standard_normal(SR // 5)]
    return (0.3 * np.concatenate(parts) / 2.3).astype(np.float32)


SIGNALS = {
    "melody": lambda: _voice(6.0, [196.0, 220.0, 261.6, 329.6, 440.0]),
    "low-and-high": lambda: _voice(4.0, [82.4, 698.5], vibrato_cents=0.0),
    "glide": lambda: (
        0.3 * np.sin(2 * np.pi * np.cumsum(np.geomspace(110, 660, 4 * SR)) / SR) * np.hanning(4 * SR) ** 0.1
    ).astype(np.float32),
    "noise": lambda: (0.1 * np.random.default_rng(5).standard_normal(3 * SR)).astype(np.float32),
    "silence-then-tone": lambda: np.concatenate([np.zeros(SR, np.float32), _voice(2.0, [300.0])]),
}


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_pyin_matches_librosa(name):
    y = SIGNALS[name]()
    f0_ref, voiced_ref, prob_ref = librosa.pyin(y, resolution=0.25, **KW)
    f0, voiced, prob = pitch.pyin(y, resolution=0.25, **KW)
    np.testing.assert_array_equal(voiced, voiced_ref)
    np.testing.assert_array_equal(np.isnan(f0), np.isnan(f0_ref))
    np.testing.assert_allclose(f0[voiced], f0_ref[voiced], rtol=1e-12)
    np.testing.assert_allclose(prob, prob_ref, atol=1e-9)


@pytest.mark.parametrize("name", sorted(SIGNALS))
def test_yin_matches_librosa(name):
    y = SIGNALS[name]()
    np.testing.assert_allclose(pitch.yin(y, **KW), librosa.yin(y, **KW), rtol=1e-5)


def test_pyin_defaults_match_librosa():
    y = _voice(3.0, [150.0, 400.0], seed=2)
    kw = dict(fmin=100.0, fmax=800.0, sr=SR)
    f0_ref, voiced_ref, _ = librosa.pyin(y, **kw)
    f0, voiced, _ = pitch.pyin(y, **kw)
    np.testing.assert_array_equal(voiced, voiced_ref)
    np.testing.assert_allclose(f0[voiced], f0_ref[voiced], rtol=1e-12)


def test_pyin_hears_the_notes_it_was_given():
    notes = [196.0, 261.6, 440.0]
    f0, voiced, _ = pitch.pyin(_voice(4.5, notes, vibrato_cents=0.0), resolution=0.25, **KW)
    frames_per_note = len(f0) // len(notes)
    for k, hz in enumerate(notes):
        middle = f0[k * frames_per_note + frames_per_note // 3 : (k + 1) * frames_per_note - frames_per_note // 3]
        assert np.all(np.isfinite(middle))
        assert np.max(np.abs(pitch.hz_to_midi(middle) - pitch.hz_to_midi(hz))) < 0.25  # within a bin
    f0, voiced, _ = pitch.pyin(SIGNALS["noise"](), resolution=0.25, **KW)
    assert voiced.mean() < 0.2


def test_hz_to_midi():
    np.testing.assert_allclose(pitch.hz_to_midi(np.array([440.0, 261.6256, 880.0])), [69.0, 60.0, 81.0], atol=1e-4)
    np.testing.assert_allclose(pitch.hz_to_midi(np.array([123.4])), librosa.hz_to_midi(np.array([123.4])))


def test_bad_ranges_are_refused():
    y = np.zeros(SR, np.float32)
    with pytest.raises(ValueError):
        pitch.pyin(y, fmin=900.0, fmax=70.0, sr=SR)
    with pytest.raises(ValueError):
        pitch.yin(y, fmin=5.0, fmax=900.0, sr=SR, frame_length=1024)


def test_pitch_tracking_needs_neither_numba_nor_scipy_signal():
    code = (
        "import sys, numpy as np; from music01_core import pitch; "
        "y = np.sin(np.arange(11025) * 0.1).astype(np.float32); "
        "pitch.pyin(y, fmin=70.0, fmax=900.0, sr=11025, frame_length=1024); "
        "print(*sorted(m for m in ('numba', 'scipy.signal', 'librosa') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split() == []
