import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from music01_core import InputError
from music01_core.analysis import analyze, estimate_key
from music01_core.examples import EXAMPLES, ExampleSpec, synthesize_example
from music01_core.settings import MAX_CLIP_S, MIN_CLIP_S
from tests.audiogen import pitch_track

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("name", ["groove-a-minor", "bright-d-major"])
def test_instrumental_examples(examples, name):
    spec = EXAMPLES[name]
    a = analyze(examples[name])
    assert abs(a.tempo_bpm - spec.tempo_bpm) / spec.tempo_bpm < 0.03
    assert a.key == f"{spec.tonic} {spec.mode}"
    assert a.vocals == "none" and a.suggested_purpose == "instrumental"
    assert abs(a.duration_s - spec.duration_s) < 0.05
    assert -40 < a.rms_dbfs < 0 and a.peak_dbfs <= 0.01


def test_song_example_is_singing_with_accompaniment(examples):
    a = analyze(examples["song-e-minor"])
    assert a.vocals == "singing" and a.vocals_detail.accompaniment
    assert a.suggested_purpose == "song"
    assert a.key == "E minor"
    assert abs(a.tempo_bpm - 92) / 92 < 0.03


def test_acappella_example_is_voice(examples):
    a = analyze(examples["acappella-g-major"])
    assert a.vocals == "singing" and not a.vocals_detail.accompaniment
    assert a.suggested_purpose == "voice"
    assert a.key == "G major"
    lo, hi = a.pitch_range_midi
    assert 60 <= lo < hi <= 84


def test_speech_is_caught(speech_wav):
    a = analyze(speech_wav, purpose="voice")
    assert a.vocals == "speech"
    assert a.vocals_confidence >= 0.6
    assert any("sounds like speech" in w for w in a.warnings)
    assert a.suggested_purpose != "voice"


def test_purpose_warnings(examples):
    a = analyze(examples["acappella-g-major"], purpose="song")
    assert any("use 'voice'" in w for w in a.warnings)
    a = analyze(examples["groove-a-minor"], purpose="voice")
    assert any("use 'instrumental'" in w for w in a.warnings)
    a = analyze(examples["song-e-minor"], purpose="instrumental")
    assert any("use 'song'" in w for w in a.warnings)
    a = analyze(examples["song-e-minor"], purpose="song")
    assert a.warnings == ()
    with pytest.raises(InputError):
        analyze(examples["song-e-minor"], purpose="choir")


def test_suggested_segment_of_a_long_file(tmp_path):
    spec = ExampleSpec("long", 110.0, "F", "major", duration_s=150.0)
    y = synthesize_example(spec, sample_rate=22050)
    # A quiet intro and a silent gap in the middle: the suggestion must avoid them.
    y[: 22050 * 10] *= 0.01
    y[22050 * 70 : 22050 * 80] = 0
    path = tmp_path / "long.wav"
    sf.write(path, y, 22050)
    a = analyze(path)
    seg = a.suggested_segment
    length = seg["end_s"] - seg["start_s"]
    assert seg["valid"] and 30 <= length <= 60 and MIN_CLIP_S <= length <= MAX_CLIP_S
    assert seg["start_s"] >= 7.5 and seg["end_s"] <= 150
    assert not (seg["start_s"] < 75 < seg["end_s"]), "segment spans the silent gap"
    assert min(abs(np.asarray(a.beat_times_s) - seg["start_s"])) < 0.01, "segment starts on a beat"


def test_short_file_has_no_valid_segment(tmp_path):
    path = tmp_path / "short.wav"
    sf.write(path, synthesize_example(ExampleSpec("s", 100, "C", "major", duration_s=8.0), sample_rate=22050), 22050)
    a = analyze(path)
    assert not a.suggested_segment["valid"]
    # The length verdict names the model that will be used (issue 20.9), not the retired music-01.
    assert any("minimax-music needs more than 15 s" in w for w in a.warnings), a.warnings
    assert any("music-01 needs more than 10 s" in w for w in analyze(path, model="music-01").warnings)
    assert not any("needs" in w for w in analyze(path, model="minimax/music-cover").warnings)  # 6 s is enough


def test_silence_warns(tmp_path):
    path = tmp_path / "silence.wav"
    sf.write(path, np.zeros(22050 * 12, dtype=np.float32), 22050)
    a = analyze(path)
    assert a.vocals == "none" and any("silent" in w for w in a.warnings)


def test_estimate_key_from_profiles():
    # The C major scale's pitch classes, tonic and fifth strongest.
    c = np.array([1.0, 0, 0.5, 0, 0.6, 0.5, 0, 0.8, 0, 0.5, 0, 0.4])
    assert estimate_key(c)[:2] == ("C", "major")
    assert estimate_key(np.roll(c, 9)[::1])[:2] == ("A", "major")
    assert estimate_key(np.zeros(12)) == ("C", "major", 0.0)


def test_analyze_json_cli(examples):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "music01_core", "analyze", str(examples["groove-a-minor"]), "--json"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    for key in ("duration_s", "tempo_bpm", "key", "vocals", "suggested_purpose", "suggested_segment", "warnings"):
        assert key in d
    assert set(d["suggested_segment"]) >= {"start_s", "end_s"}


def test_short_steady_instrument_notes_are_not_speech():
    # Plucked, syllable-fast notes at fixed scale pitches: pitch in short pieces, as in speech,
    # but it does not glide.  Real soundtracks like this were called "speech" before.
    sr = 22050
    rng = np.random.default_rng(4)
    scale = [57, 59, 60, 62, 64, 65, 67, 69]
    parts = []
    for _ in range(110):  # ~20 s at 5.5 notes per second
        f = 440 * 2 ** ((rng.choice(scale) - 69) / 12)
        t = np.arange(int(0.12 * sr)) / sr
        note = 0.3 * np.sin(2 * np.pi * f * t) * np.exp(-t * 12)
        parts += [note, np.zeros(int(0.06 * sr))]
    a = analyze("plucks", audio=(np.concatenate(parts).astype(np.float32), sr))
    assert a.vocals in ("none", "unsure"), a.vocals_detail


def test_a_borderline_verdict_is_unsure_and_suggests_nothing():
    from music01_core.analysis import UNSURE_BELOW, _vocals

    # Syllable-short pieces whose pitch moves a little (0.09 semitone a frame): neither clearly
    # an instrument's steady notes nor clearly speech.
    v = _vocals(pitch_track([60 + 0.09 * np.arange(4)] * 60))
    assert v.kind == "unsure" and v.confidence < UNSURE_BELOW
    # Clear talking: short pieces sliding a third of a semitone a frame.
    talk = _vocals(pitch_track([60 + 0.35 * np.arange(4) * (-1) ** k for k in range(60)]))
    assert talk.kind == "speech" and talk.confidence >= UNSURE_BELOW


def test_unsure_is_said_plainly_in_the_app_card():
    from music01_ui.reference import analysis_card

    info = {
        "duration_s": 20.0,
        "tempo_bpm": 100.0,
        "key": "C major",
        "vocals": "unsure",
        "vocals_confidence": 0.55,
        "vocals_detail": {"accompaniment": True},
        "rms_dbfs": -18.0,
        "suggested_purpose": None,
        "suggested_segment": {"start_s": 0.0, "end_s": 20.0},
        "warnings": [],
    }
    card = analysis_card(info, "music-01")
    assert "we could not tell" in card and "choose it yourself" in card


def test_speech_warning_names_the_seconds(speech_wav):
    y, sr = sf.read(speech_wav, dtype="float32")
    y = y if y.ndim == 1 else y.mean(axis=1)
    padded = np.concatenate([np.zeros(5 * sr, dtype=np.float32), y])  # 5 s of silence, then the talk
    a = analyze("talk", audio=(padded, sr))
    assert a.vocals == "speech" and a.speech_s
    first, last = a.speech_s[0], a.speech_s[-1]
    assert 4.5 <= first[0] <= 6.0 and last[1] <= len(padded) / sr + 0.1
    assert f"{first[0]:.1f}–{first[1]:.1f} s" in next(w for w in a.warnings if "speech" in w)
    d = a.to_dict()
    assert d["confidence"] == a.vocals_confidence and d["speech_s"][0] == list(first)


def test_a_long_file_is_measured_on_windows(tmp_path):
    from music01_core.analysis import SAMPLE_ABOVE_S, analyze_with_features

    spec = ExampleSpec("long", 110.0, "F", "major", duration_s=240.0)
    y = synthesize_example(spec, sample_rate=22050)
    y = (y.mean(axis=1) if y.ndim == 2 else y).astype(np.float32)
    y[22050 * 100 : 22050 * 110] = 0  # a silent gap the suggestion must avoid
    a = analyze("long", audio=(y, 22050))
    assert 240.0 > SAMPLE_ABOVE_S and a.sampled and any("sampled" in w for w in a.warnings)
    # The same measures as the whole file, and beats in the file's own time.
    assert abs(a.tempo_bpm - 110.0) / 110.0 < 0.03 and a.key == "F major" and a.vocals == "none"
    assert max(a.beat_times_s) > 200
    seg = a.suggested_segment
    assert seg["valid"] and not (seg["start_s"] < 105 < seg["end_s"])
    assert min(abs(np.asarray(a.beat_times_s) - seg["start_s"])) < 0.01, "segment starts on a beat"
    # The offline engine measures every bar of a clip: no sampling there.
    whole, _ = analyze_with_features("long", audio=(y, 22050))
    assert not whole.sampled


def _clicks(bpm: float, seconds: float = 20.0, sr: int = 22050, accent_every: int = 0) -> np.ndarray:
    y = np.zeros(int(seconds * sr), dtype=np.float32)
    click = (np.sin(2 * np.pi * 1500 * np.arange(int(0.02 * sr)) / sr) * np.hanning(int(0.02 * sr))).astype(np.float32)
    for k, t in enumerate(np.arange(0.5, seconds - 0.1, 60.0 / bpm)):
        i = int(t * sr)
        gain = 1.0 if not accent_every or k % accent_every == 0 else 0.45
        y[i : i + len(click)] += gain * click[: len(y) - i]
    return y * 0.5


@pytest.mark.parametrize("bpm", [97.0, 133.0])
def test_tempo_is_read_between_the_tracker_steps(bpm):
    # The beat tracker alone answers in steps (95.7, 99.4 …); the beats themselves say 97.
    a = analyze("clicks", audio=(_clicks(bpm), 22050))
    assert abs(a.tempo_bpm - bpm) / bpm < 0.005, a.tempo_bpm


def test_a_competing_reading_is_reported():
    # Accents on every third beat: a 3:2 (or 1:3) grid competes with the plain pulse.
    a = analyze("waltz", audio=(_clicks(150.0, accent_every=3), 22050))
    assert a.tempo_alternative_bpm is not None
    ratio = a.tempo_alternative_bpm / a.tempo_bpm
    assert any(abs(ratio - r) < 0.02 for r in (0.5, 2 / 3, 1.5, 2.0))
    assert "tempo_alternative_bpm" in a.to_dict()


@pytest.mark.parametrize(
    "model, vocals, accompaniment, expect, absent",
    [
        ("music-01", "singing", True, "Suggested purpose: **song**", "what minimax-music asks"),
        ("minimax-music", "singing", True, "✅ music and vocals — what minimax-music asks", "Suggested purpose"),
        ("minimax-music", "none", True, "⚠️ no singing heard — minimax-music's reference should contain", "✅"),
        ("minimax-music", "speech", True, "speech, not singing", "✅"),
        ("minimax-music", "singing", False, "no accompaniment heard", "✅"),
        ("minimax-music", "unsure", True, "we could not tell whether this one has a voice", "⚠️ no"),
        ("minimax/music-cover", "none", False, "Suggested segment", "should contain"),
    ],
)
def test_the_card_says_what_the_chosen_model_asks_of_a_reference(model, vocals, accompaniment, expect, absent):
    from music01_ui.reference import analysis_card

    info = {
        "duration_s": 20.0,
        "tempo_bpm": 100.0,
        "key": "C major",
        "vocals": vocals,
        "vocals_confidence": 0.8,
        "vocals_detail": {"accompaniment": accompaniment},
        "rms_dbfs": -18.0,
        "suggested_purpose": "song",
        "suggested_segment": {"start_s": 0.0, "end_s": 20.0},
        "warnings": [],
    }
    card = analysis_card(info, model)
    assert expect in card and absent not in card
