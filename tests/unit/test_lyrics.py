import pytest

from music01_core import (
    PAUSE,
    EmptyLyricsError,
    InputError,
    LyricsError,
    LyricsTooLongError,
    build_lyrics,
    check_lyrics,
    prepare_lyrics,
)


def test_lines_pauses_and_wrap():
    r = check_lyrics("##Hello moon\nhello sky\n\ngoodnight##")
    assert r.ok
    assert r.lines == ("Hello moon", "hello sky", "goodnight")
    assert r.pauses == 1
    assert r.accompaniment is True
    assert r.chars == len("##Hello moon\nhello sky\n\ngoodnight##")


def test_no_wrap_and_crlf_normalised():
    r = check_lyrics("one\r\ntwo\r\n\r\nthree")
    assert r.text == "one\ntwo\n\nthree"
    assert r.accompaniment is False
    assert r.pauses == 1
    assert r.removed == {}


def test_invisible_characters_removed_and_reported():
    dirty = "\ufeffHel\u200blo\u200d moon\u00a0light\x07"
    r = check_lyrics(dirty)
    assert r.text == "Hello moon light"
    assert sum(r.removed.values()) == 5
    assert "ZERO WIDTH SPACE" in r.removed
    assert any("invisible" in w for w in r.warnings)
    assert r.chars == len("Hello moon light")


def test_counts_exactly_what_is_sent():
    text = "a" * 598 + "\u200b\u200b" + "bb"
    r = check_lyrics(text)
    assert r.chars == 600 and r.ok


def test_too_long_reports_count_and_excess():
    r = check_lyrics("la " * 201)  # 603 characters
    assert not r.ok
    assert r.chars == 603 and r.excess == 3
    assert "603" in r.errors[0] and "remove 3" in r.errors[0]
    with pytest.raises(LyricsTooLongError):
        r.raise_for_errors()


@pytest.mark.parametrize("text", ["", "   \n\n ", "####", "## \n ##", "\u200b\u200b"])
def test_empty_rejected(text):
    with pytest.raises(EmptyLyricsError) as exc:
        prepare_lyrics(text)
    assert isinstance(exc.value, ValueError) and isinstance(exc.value, InputError)


def test_empty_between_marks_says_so():
    r = check_lyrics("####")
    assert "between the ## marks" in r.errors[0]


def test_build_lyrics():
    assert build_lyrics(["a", "b", PAUSE, "c"]) == "a\nb\n\nc"
    assert build_lyrics(["a", PAUSE, PAUSE, "c", PAUSE], accompaniment=True) == "##a\n\nc##"
    with pytest.raises(LyricsError):
        build_lyrics(["a\nb"])
    # round trip through the checker
    r = check_lyrics(build_lyrics(["x", PAUSE, "y"], accompaniment=True))
    assert r.lines == ("x", "y") and r.pauses == 1 and r.accompaniment


def test_not_text():
    with pytest.raises(LyricsError):
        check_lyrics(None)  # type: ignore[arg-type]


def test_set_accompaniment_adds_and_removes_the_wrap():
    from music01_core.lyrics import set_accompaniment

    text = "Hello moon\nhello sky\n\ngoodnight"
    on = set_accompaniment(text, True)
    assert on == f"##{text}##" and check_lyrics(on).accompaniment
    assert set_accompaniment(on, True) == on  # already wrapped: not wrapped twice
    assert set_accompaniment(f"  {on}\n", False) == text
    assert set_accompaniment(text, False) == text
    assert set_accompaniment("##", False) == "##"  # too short to be a wrap
