"""The vocals verdict on instruments that waver like a voice, and the purpose it suggests for speech.

A lead synthesiser with vibrato and portamento holds notes that waver as a singer's do; before
these tests it was called "singing" at 70 %, and pure speech was offered the purpose
"instrumental".
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from music01_core.analysis import (
    UNSURE_BELOW,
    VOICE_BRIGHTNESS_MAX_DB,
    _vocals,
    _with_words,
    analyze,
)
from tests.audiogen import lead_synth, pitch_track

ROOT = Path(__file__).resolve().parents[2]
SR = 22050


@pytest.mark.parametrize("wave, bed", [("saw", True), ("square", True), ("saw", False)])
def test_a_bright_lead_synth_with_vibrato_is_not_singing(wave, bed):
    a = analyze("lead", audio=(lead_synth(wave=wave, bed=bed), SR))
    assert a.vocals != "singing", a.vocals_detail
    assert a.suggested_purpose not in ("song", "voice")
    # What tells it from a voice: harmonics far brighter than a voice's.
    assert a.vocals_detail.brightness_db > VOICE_BRIGHTNESS_MAX_DB


@pytest.mark.parametrize("bed", [True, False])
def test_vibrato_on_one_note_in_four_of_a_steady_lead_is_not_singing(bed):
    # A dark, flute-like lead (a voice's brightness) whose notes are dead steady but for a
    # vibrato on every fourth: a few wavering notes do not make a voice carrying the tune.
    a = analyze("lead", audio=(lead_synth(wave="soft", vibrato_every=4, bed=bed), SR))
    assert a.vocals in ("none", "unsure"), a.vocals_detail
    assert a.vocals_detail.voice_like_share < 0.5


def test_a_vibrato_share_from_one_note_is_no_evidence():
    # Steady held notes; the partial tracker found one note, with vibrato: a share of 100 %.
    steady = pitch_track([np.full(20, 60.0 + k % 5) for k in range(30)])
    v = _vocals(steady, 1.0, 0.0, vibrato_notes=1)
    assert v.kind == "none", v
    # The same share over many notes of the melody is a voice's vibrato (or a lead's: no words).
    many = _vocals(steady, 1.0, 0.0, vibrato_notes=8)
    assert many.kind == "singing" and UNSURE_BELOW <= many.confidence <= 0.7


def test_a_voice_wavering_through_the_clip_is_still_singing():
    # Held notes that all waver (a voice's jitter, ~6 cents), as the dev set's sung vowels do.
    rng = np.random.default_rng(2)
    notes = [60.0 + k % 7 + 0.06 * rng.standard_normal(20) for k in range(30)]
    v = _vocals(pitch_track(notes), 0.0, 0.0, vibrato_notes=0)
    assert v.kind == "singing" and v.voice_like_share > 0.5, v
    # The same notes, bright as a saw wave: an instrument.
    assert _vocals(pitch_track(notes), 0.0, 0.0, vibrato_notes=0, brightness_db=-15.0).kind == "none"


def test_words_over_gliding_pitch_with_few_held_notes_are_speech():
    # Drawn-out dialogue: some syllables held, words throughout, pitch gliding between them.
    assert _with_words("singing", 0.5, 0.8, held=True, voice_like_share=0.15, glide=0.15) == ("speech", 0.7)
    # Words on notes held through the clip: sung words or acted speech, still not told apart.
    kind, conf = _with_words("singing", 0.8, 0.8, held=True, voice_like_share=0.7, glide=0.03)
    assert kind == "singing" and conf < UNSURE_BELOW


def test_speech_suggests_no_purpose_and_says_why(speech_wav):
    a = analyze(speech_wav)
    assert a.vocals == "speech"
    assert a.suggested_purpose is None
    (said,) = [w for w in a.warnings if "sounds like speech" in w]
    assert "no purpose is suggested" in said and "sing the words" in said


def test_the_cli_suggests_no_purpose_for_speech(speech_wav):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "music01_core", "analyze", str(speech_wav)],
        capture_output=True,
        text=True,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout + proc.stderr
    assert "suggested purpose: instrumental" not in out
    assert "suggested purpose: none" in out and "no purpose is suggested" in out
