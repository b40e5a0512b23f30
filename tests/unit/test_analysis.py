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
    y[22050 * 70: 22050 * 80] = 0
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
    assert any("more than 10 s" in w for w in a.warnings)


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
    proc = subprocess.run([sys.executable, "-m", "music01_core", "analyze", str(examples["groove-a-minor"]), "--json"],
                          capture_output=True, text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    for key in ("duration_s", "tempo_bpm", "key", "vocals", "suggested_purpose", "suggested_segment", "warnings"):
        assert key in d
    assert set(d["suggested_segment"]) >= {"start_s", "end_s"}
