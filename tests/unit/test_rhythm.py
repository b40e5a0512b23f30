"""music01_core.rhythm and music01_core.dsp: the same results as the librosa functions they replace.

The analysis stopped calling librosa's beat tracker and spectral functions because their
modules take seconds to import; these tests hold the numpy versions to librosa's answers
on generated audio, and to the tempo the audio was made at.
"""

import subprocess
import sys
from pathlib import Path

import librosa
import numpy as np
import pytest
import soundfile as sf

from music01_core import dsp, rhythm
from tests.audiogen import drum_loop

ROOT = Path(__file__).resolve().parents[2]
SR = 22050
HOP = 512

LOOPS = {
    "straight-97": dict(bpm=97.0, duration_s=20.0),
    "swing-128": dict(bpm=128.0, duration_s=15.0, swing=0.35),
    "accents-150": dict(bpm=150.0, duration_s=20.0, accent_every=3),
    "slow-72-noisy": dict(bpm=72.0, duration_s=25.0, noise=0.05),
    "fast-176": dict(bpm=176.0, duration_s=13.0, seed=3),
}


def _onset_env(y: np.ndarray) -> np.ndarray:
    """The analysis's onset envelope: flux of the percussive-weighted dB spectrum."""
    mag = np.abs(dsp.stft(y, n_fft=2048, hop_length=HOP))
    harm, perc = dsp.hpss(mag, kernel_size=17)
    return rhythm.onset_strength(dsp.amplitude_to_db(perc**2 + harm**2 * 0.3), n_fft=2048, hop_length=HOP)


@pytest.fixture(scope="module", params=sorted(LOOPS))
def loop(request):
    spec = LOOPS[request.param]
    return spec, drum_loop(sample_rate=SR, **spec)


def test_beats_match_librosa(loop):
    _, y = loop
    env = _onset_env(y)
    tempo_ref, beats_ref = librosa.beat.beat_track(onset_envelope=env, sr=SR, hop_length=HOP, units="frames")
    tempo, beats = rhythm.track_beats(env, frame_rate_hz=SR / HOP)
    assert tempo == pytest.approx(float(np.atleast_1d(tempo_ref)[0]))
    np.testing.assert_array_equal(beats, beats_ref)


def test_beats_match_librosa_on_an_envelope_without_a_pulse():
    env = np.random.default_rng(7).random(900).astype(np.float32) ** 4
    tempo_ref, beats_ref = librosa.beat.beat_track(onset_envelope=env, sr=SR, hop_length=HOP, units="frames")
    tempo, beats = rhythm.track_beats(env, frame_rate_hz=SR / HOP)
    assert tempo == pytest.approx(float(np.atleast_1d(tempo_ref)[0]))
    np.testing.assert_array_equal(beats, beats_ref)


def test_tempo_and_beats_follow_the_loop(loop):
    spec, y = loop
    tempo, beats = rhythm.track_beats(_onset_env(y), frame_rate_hz=SR / HOP)
    bpm = spec["bpm"]
    # The estimate comes in steps of one onset frame of period: within one step of the truth
    # (or of the half or double tempo, which the prior may prefer for slow or fast music).
    step = bpm * bpm / (60.0 * SR / HOP)
    assert min(abs(tempo - bpm * r) / r for r in (0.5, 1.0, 2.0)) <= step * 1.01, tempo
    period_frames = 60.0 * SR / HOP / tempo
    assert np.median(np.diff(beats)) == pytest.approx(period_frames, abs=1.0)
    # Tracked at the loop's own tempo, the beats keep one phase of the loop's pulse all through
    # (the tempo estimate is a whole number of frames; the beats are not).
    if abs(tempo - bpm) <= step * 1.01:
        phase = (beats * HOP / SR - 0.5) * bpm / 60.0
        assert abs(np.mean(np.exp(2j * np.pi * phase))) > 0.95


def test_a_silent_envelope_has_no_beats():
    tempo, beats = rhythm.track_beats(np.zeros(500), frame_rate_hz=SR / HOP)
    assert tempo == 0.0 and beats.size == 0


def test_a_given_tempo_is_tracked():
    y = drum_loop(120.0, 15.0, SR)
    tempo, beats = rhythm.track_beats(_onset_env(y), frame_rate_hz=SR / HOP, tempo_bpm=60.0)
    assert tempo == 60.0
    assert np.median(np.diff(beats)) == pytest.approx(60.0 * SR / HOP / 60.0, abs=1.0)


def test_autocorrelation_matches_the_direct_sum():
    x = np.random.default_rng(1).standard_normal(301)
    direct = np.array([np.dot(x[: len(x) - k], x[k:]) for k in range(len(x))])
    np.testing.assert_allclose(rhythm.autocorrelate(x), direct, atol=1e-9)
    np.testing.assert_allclose(rhythm.autocorrelate(x), librosa.autocorrelate(x), atol=1e-9)


def test_spectral_features_match_librosa():
    y = drum_loop(110.0, 9.0, SR, noise=0.02) + 0.2 * np.sin(2 * np.pi * 329.6 * np.arange(9 * SR) / SR).astype(
        np.float32
    )
    spec = librosa.stft(y, n_fft=2048, hop_length=HOP)
    mag = np.abs(spec)
    assert dsp.stft(y).dtype == spec.dtype
    np.testing.assert_allclose(np.abs(dsp.stft(y)), mag, rtol=1e-6, atol=1e-6 * mag.max())
    np.testing.assert_allclose(
        dsp.frame_rms(y), librosa.feature.rms(y=y, frame_length=2048, hop_length=HOP)[0], rtol=1e-5, atol=1e-7
    )
    harm_ref, perc_ref = librosa.decompose.hpss(mag, kernel_size=17)
    harm, perc = dsp.hpss(mag, kernel_size=17)
    np.testing.assert_allclose(harm, harm_ref, rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(perc, perc_ref, rtol=1e-5, atol=1e-7)
    db_ref = librosa.amplitude_to_db(perc_ref**2 + harm_ref**2 * 0.3)
    np.testing.assert_allclose(dsp.amplitude_to_db(perc_ref**2 + harm_ref**2 * 0.3), db_ref, atol=1e-4)
    np.testing.assert_allclose(
        rhythm.onset_strength(db_ref), librosa.onset.onset_strength(S=db_ref, sr=SR), rtol=1e-5, atol=1e-5
    )
    np.testing.assert_allclose(
        dsp.chroma(harm_ref**2, sample_rate=SR),
        librosa.feature.chroma_stft(S=harm_ref**2, sr=SR, hop_length=HOP, tuning=0.0),
        atol=1e-5,
    )
    mfcc_ref = librosa.feature.mfcc(S=librosa.power_to_db(librosa.feature.melspectrogram(S=mag**2, sr=SR)), n_mfcc=13)
    np.testing.assert_allclose(dsp.mfcc(mag**2, sample_rate=SR, n_mfcc=13), mfcc_ref, rtol=1e-5, atol=1e-4)


def test_resample_and_harmonic_part_match_librosa():
    y = drum_loop(100.0, 6.0, SR, noise=0.01)
    y11 = dsp.resample(y, orig_sr=SR, target_sr=11025, quality="soxr_mq")
    y11_ref = librosa.resample(y, orig_sr=SR, target_sr=11025, res_type="soxr_mq")
    assert y11.dtype == y11_ref.dtype and len(y11) == len(y11_ref)
    np.testing.assert_allclose(y11, y11_ref, atol=1e-6)
    harm = dsp.harmonic(y11_ref, margin=2.0, n_fft=1024, hop_length=256)
    harm_ref = librosa.effects.harmonic(y11_ref, margin=2.0, n_fft=1024, hop_length=256)
    assert harm.dtype == harm_ref.dtype and harm.shape == harm_ref.shape
    np.testing.assert_allclose(harm, harm_ref, atol=1e-6)


def test_analyze_leaves_librosa_beat_and_onset_modules_unloaded(tmp_path):
    # The point of the numpy versions: a one-off `music01 analyze` need not import (and
    # numba-compile) librosa's beat tracker.
    path = tmp_path / "loop.wav"
    sf.write(path, drum_loop(120.0, 12.0, SR), SR)
    code = (
        "import sys; from music01_core.analysis import analyze; a = analyze(sys.argv[1]); "
        "print(a.tempo_bpm, *sorted(m for m in sys.modules if m.startswith(('librosa.beat', 'librosa.onset'))))"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    words = out.stdout.split()
    assert abs(float(words[0]) - 120.0) < 2.0 and words[1:] == [], out.stdout


def test_inverse_stft_gives_the_signal_back():
    y = drum_loop(90.0, 3.0, SR, noise=0.01)
    for n_fft, hop in ((2048, 512), (1024, 256), (1000, 300)):
        back = dsp.istft(dsp.stft(y, n_fft=n_fft, hop_length=hop), hop_length=hop, length=len(y))
        assert back.dtype == y.dtype and back.shape == y.shape
        np.testing.assert_allclose(back, y, atol=1e-5)
