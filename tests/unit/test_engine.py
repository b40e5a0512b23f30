"""The offline backend and engine, measured on references with a known tempo and key."""

import io
import re

import numpy as np
import pytest
import soundfile as sf

from music01_core import (
    ClipTooShortError,
    InvalidRequestError,
    LyricsTooLongError,
    SettingError,
    UnknownIdError,
    UnsupportedFormatError,
)
from music01_core.backends.base import ID_PATTERNS
from music01_core.examples import EXAMPLES
from music01_core.settings import AudioSetting
from tests.audiogen import tone, write_audio

LYRICS = "##Swing to the rhythm of the night\nlet the music take control\n\ndancing in the silver light\nwe will never let it go##"
SCALES = {"major": (0, 2, 4, 5, 7, 9, 11), "minor": (0, 2, 3, 5, 7, 8, 10)}
NOTES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
WAV = AudioSetting(format="wav")


def decode(result):
    y, sr = sf.read(io.BytesIO(result.audio), dtype="float32")
    return y, sr


def features(y, sr):
    import librosa

    mono = y.mean(axis=1) if y.ndim == 2 else y
    tempo, _ = librosa.beat.beat_track(y=mono, sr=sr)
    chroma = librosa.feature.chroma_stft(y=mono, sr=sr, tuning=0.0).mean(axis=1)
    S = np.abs(librosa.stft(mono, n_fft=2048))
    H, P = librosa.decompose.hpss(S)
    low = librosa.fft_frequencies(sr=sr, n_fft=2048) < 200  # where kick drums and bass live
    total = (S**2).sum()
    return float(np.atleast_1d(tempo)[0]), chroma, ((P**2).sum() / total, (P[low] ** 2).sum() / total)


@pytest.fixture(scope="module")
def ref_features(examples):
    out = {}
    for name in ("song-e-minor", "groove-a-minor", "acappella-g-major"):
        y, sr = sf.read(examples[name], dtype="float32")
        out[name] = features(y, sr)
    return out


@pytest.fixture(scope="module")
def renders(offline, uploaded):
    s, g, v = uploaded["song"], uploaded["groove"], uploaded["voice"]
    cases = {
        "song": (s.voice_id, s.instrumental_id),
        "song-instrumental-only": (None, s.instrumental_id),
        "groove-instrumental-only": (None, g.instrumental_id),
        "voice-only": (v.voice_id, None),
        "song-voice-only": (s.voice_id, None),
    }
    return {
        k: offline.generate(LYRICS, voice_id=vi, instrumental_id=ii, audio_setting=WAV, seed=7)
        for k, (vi, ii) in cases.items()
    }


def test_upload_ids_have_music01_shapes(uploaded):
    s, g, v = uploaded["song"], uploaded["groove"], uploaded["voice"]
    assert ID_PATTERNS["voice_id"].match(s.voice_id) and ID_PATTERNS["instrumental_id"].match(s.instrumental_id)
    assert g.voice_id is None and ID_PATTERNS["instrumental_id"].match(g.instrumental_id)
    assert v.instrumental_id is None and ID_PATTERNS["voice_id"].match(v.voice_id)
    assert re.fullmatch(r"[0-9a-f]{32}", s.trace_id) and s.backend == "offline"


@pytest.mark.parametrize(
    "case,ref",
    [
        ("song", "song-e-minor"),
        ("song-instrumental-only", "song-e-minor"),
        ("groove-instrumental-only", "groove-a-minor"),
    ],
)
def test_tempo_and_key_follow_the_reference(renders, ref_features, case, ref):
    tempo_ref, chroma_ref, _ = ref_features[ref]
    y, sr = decode(renders[case])
    tempo, chroma, _ = features(y, sr)
    assert abs(tempo - tempo_ref) / tempo_ref <= 0.03
    assert np.corrcoef(chroma, chroma_ref)[0, 1] >= 0.8


@pytest.mark.parametrize(
    "case,ref", [("song-instrumental-only", "song-e-minor"), ("groove-instrumental-only", "groove-a-minor")]
)
def test_the_analysis_reads_the_output_at_the_reference_tempo(renders, examples, as_file, case, ref):
    # The card shows the reference's tempo; the same analysis must read the piece at that tempo.
    from music01_core.analysis import analyze

    want = analyze(examples[ref]).tempo_bpm
    got = analyze(as_file(renders[case])).tempo_bpm
    assert abs(got - want) / want <= 0.02, (got, want)


@pytest.mark.parametrize("case,ref", [("voice-only", "acappella-g-major"), ("song-voice-only", "song-e-minor")])
def test_voice_only_is_an_a_cappella_hum_in_key(renders, ref_features, case, ref, as_file):
    from music01_core.analysis import analyze

    spec = EXAMPLES[ref]
    y, sr = decode(renders[case])
    _, _, (perc, perc_low) = features(y, sr)
    _, _, (_, band_low) = ref_features["groove-a-minor"]
    _, _, (perc_voice, _) = ref_features["acappella-g-major"]
    # No drums: no low percussive energy at all (the band has plenty), and no more
    # transients than a sung a cappella take has of its own (consonants, attacks).
    assert perc_low < 0.02 * band_low, "voice-only output has a kick/bass accompaniment"
    assert perc <= 1.5 * perc_voice + 0.02, "voice-only output is more percussive than a cappella singing"
    # The sung pitches themselves (not a spectral chroma, which a voice's harmonics smear)
    # stay in the reference's key.
    from music01_core.analysis import track_pitch

    track = track_pitch(y.mean(axis=1), sr)
    pcs = np.round(track.midi[track.voiced]).astype(int) % 12
    tonic = NOTES.index(spec.tonic)
    scale = {(tonic + d) % 12 for d in SCALES[spec.mode]}
    assert len(pcs) > 50
    assert np.isin(pcs, list(scale)).mean() >= 0.9
    a = analyze(as_file(renders[case]))
    assert a.vocals == "singing" and not a.vocals_detail.accompaniment


@pytest.fixture
def as_file(tmp_path):
    """Write a result's audio to a file in the test's temporary directory."""

    def _write(result):
        path = tmp_path / f"{result.trace_id}.{result.format}"
        path.write_bytes(result.audio)
        return path

    return _write


def test_instrumental_only_adds_no_voice(renders, examples, as_file):
    from music01_core.analysis import analyze

    ref = analyze(examples["groove-a-minor"])
    out = analyze(as_file(renders["groove-instrumental-only"]))
    assert out.vocals == "none"
    assert out.vocals_detail.voiced_ratio <= ref.vocals_detail.voiced_ratio + 0.1


def test_song_has_a_voice_over_accompaniment(renders, as_file):
    from music01_core.analysis import analyze

    a = analyze(as_file(renders["song"]))
    assert a.vocals == "singing" and a.vocals_detail.accompaniment


def test_never_clips(renders):
    for r in renders.values():
        y, _ = decode(r)
        assert np.abs(y).max() <= 10 ** (-1 / 20) + 1e-3


def test_same_seed_same_bytes_other_seed_other_piece(offline, uploaded):
    s = uploaded["song"]
    a = offline.generate(LYRICS, voice_id=s.voice_id, instrumental_id=s.instrumental_id, seed=11)
    b = offline.generate(LYRICS, voice_id=s.voice_id, instrumental_id=s.instrumental_id, seed=11)
    c = offline.generate(LYRICS, voice_id=s.voice_id, instrumental_id=s.instrumental_id, seed=12)
    assert a.audio == b.audio and a.format == "mp3"
    assert a.audio != c.audio
    assert a.seed == 11 and a.trace_id != b.trace_id


def test_longer_lyrics_never_make_a_shorter_piece(offline, uploaded):
    g = uploaded["groove"]
    lines = ["morning light again", "walk along the river", "sleeping in the rain", "voices call my name"]
    durations = []
    for n in range(1, 25, 2):
        text = "\n".join(lines[i % 4] for i in range(n))
        r = offline.generate(
            text, instrumental_id=g.instrumental_id, audio_setting=AudioSetting(format="pcm", sample_rate=16000), seed=1
        )
        durations.append(r.duration_s)
    assert durations == sorted(durations)
    assert durations[-1] > durations[0] + 30
    assert max(durations) <= 60.0
    assert min(durations) >= 10.0  # short lyrics still make a piece


def test_accompaniment_wrap_adds_instrumental_sections(offline, uploaded):
    s = uploaded["song"]
    body = "la la la la\nla la la la\nla la la la\nla la la la"
    plain = offline.generate(
        body,
        voice_id=s.voice_id,
        instrumental_id=s.instrumental_id,
        seed=3,
        audio_setting=AudioSetting(format="pcm", sample_rate=16000),
    )
    wrapped = offline.generate(
        f"##{body}##",
        voice_id=s.voice_id,
        instrumental_id=s.instrumental_id,
        seed=3,
        audio_setting=AudioSetting(format="pcm", sample_rate=16000),
    )
    bar_s = 4 * 60 / 92
    assert wrapped.duration_s - plain.duration_s == pytest.approx(4 * bar_s, rel=0.1)


@pytest.mark.parametrize("rate", [16000, 24000, 32000, 44100])
def test_audio_setting_sample_rates(offline, uploaded, rate):
    r = offline.generate(
        "la la la",
        instrumental_id=uploaded["groove"].instrumental_id,
        seed=1,
        audio_setting=AudioSetting(sample_rate=rate, format="wav"),
    )
    y, sr = decode(r)
    assert sr == rate and r.sample_rate == rate and y.shape[1] == 2
    assert abs(len(y) / sr - r.duration_s) < 0.01


def test_audio_setting_pcm_and_mp3_bitrate(offline, uploaded, tmp_path):
    from music01_core.ffmpeg import _run

    gid = uploaded["groove"].instrumental_id
    pcm = offline.generate(
        "la la la", instrumental_id=gid, seed=1, audio_setting=AudioSetting(sample_rate=24000, format="pcm")
    )
    assert abs(len(pcm.audio) / 4 / 24000 - pcm.duration_s) < 0.001 and len(pcm.audio) % 4 == 0
    for kbps in (32, 128):
        mp3 = offline.generate(
            "la la la", instrumental_id=gid, seed=1, audio_setting=AudioSetting(bitrate=kbps * 1000, format="mp3")
        )
        path = tmp_path / f"b{kbps}.mp3"
        path.write_bytes(mp3.audio)
        err = _run(["-i", str(path)]).stderr.decode()
        assert f"{kbps} kb/s" in err


def test_generate_validates_like_the_api(offline, uploaded):
    s = uploaded["song"]
    with pytest.raises(LyricsTooLongError):
        offline.generate("a" * 601, voice_id=s.voice_id)
    with pytest.raises(InvalidRequestError, match="voice_id or an instrumental_id"):
        offline.generate("hello")
    with pytest.raises(UnknownIdError, match="upload the reference again"):
        offline.generate("hello", voice_id="vocal-2025010100000000-a0AAAaaa")
    with pytest.raises(InvalidRequestError, match="pass it as instrumental_id"):
        offline.generate("hello", voice_id=s.instrumental_id)
    with pytest.raises(InvalidRequestError, match="not a music-01"):
        offline.generate("hello", instrumental_id="banana")
    with pytest.raises(SettingError, match="16000, 24000, 32000, 44100"):
        AudioSetting(sample_rate=48000)
    with pytest.raises(SettingError):
        AudioSetting(bitrate=192000)
    with pytest.raises(SettingError):
        AudioSetting(format="ogg")


def test_upload_validates_like_the_api(offline, make_audio, tmp_path):
    with pytest.raises(InvalidRequestError, match="song, voice or instrumental"):
        offline.upload(make_audio("u.wav", 12.0), "choir")
    with pytest.raises(UnsupportedFormatError, match="prepare"):
        offline.upload(make_audio("u.flac", 12.0), "instrumental")
    with pytest.raises(ClipTooShortError):
        offline.upload(make_audio("u9.wav", 9.0), "instrumental")
    # A renamed file is judged by its content, not its name.
    fake = tmp_path / "really_ogg.mp3"
    fake.write_bytes(make_audio("u.ogg", 12.0).read_bytes())
    with pytest.raises(UnsupportedFormatError):
        offline.upload(fake, "instrumental")
    # Exactly what the API accepts: 10.2 s is fine for the service (no music01 margin here).
    ok = write_audio(tmp_path / "ok.wav", tone(10.2), 44100)
    assert offline.upload(ok, "instrumental").instrumental_id


@pytest.mark.parametrize(
    "prompt, sing, name, words",
    [
        ("Upbeat summer pop, bright synths!", True, "bright-d-major", "bright, upbeat, summer, pop"),
        ("warm lo-fi hip hop, rain on the window", True, "groove-a-minor", "hip hop, lo-fi, rain"),
        ("a cappella choir", True, "acappella-g-major", "a cappella, choir"),
        ("a cappella choir", False, "groove-a-minor", ""),  # an instrumental never gets a voice-only reference
        ("dreamy synthwave", True, "song-e-minor", ""),
        ("", False, "groove-a-minor", ""),
        (None, True, "song-e-minor", ""),
    ],
)
def test_a_style_prompt_picks_the_example_whose_mood_it_names(prompt, sing, name, words):
    from music01_core.examples import example_for_prompt

    assert example_for_prompt(prompt, sing=sing) == (name, words)


def test_text_only_models_offline_follow_the_prompt(offline, as_file):
    # Offline, a text-only model's prompt changes the music: an upbeat pop prompt plays at the bright
    # example's 120 BPM in D major, a lo-fi one at the groove's 100 BPM in A minor, and each says so.
    from music01_core.analysis import analyze
    from music01_core.backends.base import MusicRequest

    got = {}
    for prompt in ("upbeat summer pop", "warm lofi hip hop"):
        r = offline.make(
            MusicRequest(model="minimax/music-2.6", prompt=prompt, lyrics="[Verse]\nneon lights\nwe ride", seed=3)
        )
        a = analyze(as_file(r))
        got[prompt] = (r.reference["name"], a.tempo_bpm, a.key, r.warnings[0])
    name, tempo, key, note = got["upbeat summer pop"]
    assert name == "bright-d-major" and abs(tempo - 120) <= 3 and key == "D major", got
    assert "'bright-d-major'" in note and "its words: upbeat, summer, pop" in note
    name, tempo, key, note = got["warm lofi hip hop"]
    assert name == "groove-a-minor" and abs(tempo - 100) <= 3 and key == "A minor", got
