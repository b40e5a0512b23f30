"""The model table and the per-model rules that read it (lyrics, prompts, clip bounds, payloads)."""

import pytest

from music01_core import errors as E
from music01_core.audio import check_segment
from music01_core.jobs import job_payload
from music01_core.lyrics import check_lyrics, prepare_text_fields
from music01_core.models import DEFAULT_MODEL, MODELS, get_model, model_ids
from music01_core.settings import AudioSetting


def test_table_shape():
    assert DEFAULT_MODEL == "minimax-music" and MODELS[DEFAULT_MODEL].live
    legacy = get_model("music-01")
    assert not legacy.live and legacy.replacement == "minimax-music" and legacy.protocol == "music01"
    assert all(m.protocol == "job" for m in MODELS.values() if m.live and m.provider == "aimlapi")
    assert model_ids(live_only=True)[-1] != "music-01" and "music-01" in model_ids()
    assert get_model("music-2.6").id == "minimax/music-2.6"  # the short form people type
    with pytest.raises(E.InputError, match="unknown model 'music-99'.*minimax-music"):
        get_model("music-99")
    # audio_setting names differ: sample_rate (cover, music-01) vs audio_sample_rate (2.x)
    assert get_model("minimax/music-cover").audio_setting.sample_rate_field == "sample_rate"
    assert get_model("minimax/music-2.0").audio_setting.sample_rate_field == "audio_sample_rate"
    assert get_model("minimax-music").audio_setting is None


def test_lyrics_limits_follow_the_model():
    long = "la " * 250  # 750 characters
    assert not check_lyrics(long).ok and "600" in check_lyrics(long).errors[0]
    assert not check_lyrics(long, model="minimax-music").ok
    assert check_lyrics(long, model="minimax/music-2.0").ok
    short = check_lyrics("hi there", model="minimax/music-2.0")
    assert not short.ok and "at least 10" in short.errors[0]
    tagged = check_lyrics("[Verse]\nhello moon\n[Chorus]\nhello sky", model="minimax/music-1.5")
    assert tagged.ok and tagged.tags == ("[Verse]", "[Chorus]") and tagged.lines == ("hello moon", "hello sky")
    assert not tagged.accompaniment
    wrapped = check_lyrics("##hello moon, hello sky##", model="minimax/music-2.0")
    assert not wrapped.accompaniment and any("##" in w for w in wrapped.warnings)
    assert check_lyrics("##hello##", model="minimax-music").accompaniment


def test_text_fields_per_model():
    f = prepare_text_fields("minimax-music", lyrics="##hello moon\nhello sky##")
    assert f.lyrics == "##hello moon\nhello sky##" and f.prompt is None
    with pytest.raises(E.PromptError, match="takes no style prompt"):
        prepare_text_fields("minimax-music", lyrics="hello", prompt="jazz")
    with pytest.raises(E.PromptError, match="needs a style prompt"):
        prepare_text_fields("minimax/music-cover", lyrics="")
    with pytest.raises(E.PromptError, match="at most 300"):
        prepare_text_fields("minimax/music-1.5", lyrics="[Verse] hello there moon", prompt="x" * 301)
    with pytest.raises(E.PromptError, match="at least 10"):
        prepare_text_fields("minimax/music-2.0", lyrics="[Verse] hello there moon", prompt="jazz")
    cover = prepare_text_fields("minimax/music-cover", prompt="quiet jazz with brushes")
    assert cover.lyrics is None and cover.prompt == "quiet jazz with brushes"
    inst = prepare_text_fields(
        "minimax/music-2.6", prompt="warm lofi beats", lyrics="ignored words here", is_instrumental=True
    )
    assert inst.lyrics is None and any("not sent" in w for w in inst.warnings)
    with pytest.raises(E.InputError, match="no is instrumental switch"):
        prepare_text_fields(
            "minimax/music-2.0", prompt="warm lofi beats", lyrics="[Verse] hello there", is_instrumental=True
        )
    with pytest.raises(E.LyricsError, match="needs lyrics unless a switch is on"):
        prepare_text_fields("minimax/music-2.6")


def test_clip_bounds_follow_the_model():
    assert check_segment(60, 0, 12, model="music-01")[1] == 12  # music-01: more than 10 s
    with pytest.raises(E.ClipTooShortError, match="minimax-music needs more than 15 s"):
        check_segment(60, 0, 12, model="minimax-music")
    assert check_segment(60, 0, 7, model="minimax/music-cover")[1] == 7
    with pytest.raises(E.ClipTooLongError, match="6:00"):
        check_segment(600, 0, 400, model="minimax/music-cover")
    with pytest.raises(E.InputError, match="takes no reference"):
        check_segment(60, 0, 20, model="minimax/music-2.6")


def test_payload_names_come_from_the_table():
    class Ref:
        value = "https://example.com/a.mp3"

    s = AudioSetting(sample_rate=32000, bitrate=128000, format="wav")
    mm = job_payload("minimax-music", lyrics="##hi##", prompt=None, reference=Ref(), audio_setting=s)
    assert mm == {"model": "minimax-music", "prompt": "##hi##", "reference_audio_url": "https://example.com/a.mp3"}
    p26 = job_payload("minimax/music-2.6", lyrics="[Verse] hi", prompt="pop", audio_setting=s, is_instrumental=True)
    assert p26["audio_setting"] == {"audio_sample_rate": 32000, "bitrate": 128000, "format": "wav"}
    assert p26["is_instrumental"] is True and p26["prompt"] == "pop" and p26["lyrics"] == "[Verse] hi"
    cover = job_payload("minimax/music-cover", lyrics=None, prompt="jazz trio", reference=Ref(), audio_setting=s)
    assert cover["audio_setting"]["sample_rate"] == 32000 and "lyrics" not in cover
    assert "is_instrumental" not in job_payload(
        "minimax/music-2.0", lyrics="x" * 12, prompt="y" * 12, is_instrumental=True
    )
