"""The app's "Lyrics for you" through ``gradio_client`` (issue 24): the public ``/write_lyrics`` endpoint writes a
draft that lands in the lyrics box as plain text within the model's limit — with the server's key on the emulator
(counted against the shared allowance), and offline."""

from __future__ import annotations

import re

import pytest

from music01_core.lyrics import check_lyrics
from tests.appserver import AppServer
from tests.audiogen import KEY

pytestmark = pytest.mark.app
THEME, MOOD = "a lighthouse keeper who misses the sea", "melancholy"
HIDDEN = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\x00-\x08\x0b-\x1f\x7f]")
PER_HOUR = 3


def write(client, model: str, *, theme=THEME, follow_up="", draft="", prompt="", into_prompt=False, chat_model=""):
    """``/write_lyrics``'s inputs in its order: theme, mood, model, chat model, follow-up, draft, prompt,
    into-prompt, key; returns (lyrics box, prompt box, status line)."""
    return client.predict(
        theme, MOOD, model, chat_model, follow_up, draft, prompt, into_prompt, "", api_name="/write_lyrics"
    )


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-writer")) as server:
        yield server


@pytest.fixture(scope="module")
def shared_app(emu, tmp_path_factory):
    """The app on the emulator's key, as a shared server allowing PER_HOUR generations a person."""
    srv = AppServer(
        tmp_path_factory.mktemp("app-writer") / "home",
        AIML_API_KEY=KEY,
        AIML_API_BASE=emu.url,
        MUSIC01_SHARED="1",
        MUSIC01_GENERATIONS_PER_HOUR=str(PER_HOUR),
    ).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(shared_app):
    from gradio_client import Client

    return Client(shared_app.url, verbose=False)


def test_a_draft_lands_as_plain_checked_text_and_counts_against_the_shared_allowance(client, emu, shared_app):
    chats = lambda: emu.stats()["methods"].get("POST /v1/chat/completions", 0)  # noqa: E731
    # Refused before anything is counted or sent: a model that does not sing.
    with pytest.raises(Exception) as exc:
        write(client, "stable-audio")
    assert "stable-audio takes no lyrics" in str(exc.value) and "Traceback" not in str(exc.value) and chats() == 0
    # Strangers do not choose what a call costs on the server's key: a dearer chat model (the emulator lists
    # openai/gpt-4o), or a draft far over the limit sent as the prompt, are refused before they are counted.
    with pytest.raises(Exception, match="not in the list of choices|shared key"):
        write(client, "minimax-music", chat_model="openai/gpt-4o")
    with pytest.raises(Exception, match="far over"):
        write(client, "minimax-music", theme="", follow_up="shorter", draft="[Verse]\n" + "la la la la\n" * 2000)
    # Refused after it was counted (the key in the text): the allowance is given back.
    with pytest.raises(Exception, match="hold your API key"):
        write(client, "minimax-music", theme=f"a song about {KEY}")
    assert chats() == 0

    lyrics, prompt, status = write(client, "minimax-music")
    report = check_lyrics(lyrics, model="minimax-music")
    assert report.ok and report.chars <= 600 and lyrics.startswith("##") and prompt == ""
    assert "<" not in lyrics and "think" not in lyrics.lower() and not HIDDEN.search(lyrics)
    assert f"**{report.chars} / 600 characters** in the lyrics" in status and "written by minimax/m2" in status

    emu.faults(chat=["chat:hostile"])
    hostile, _, _ = write(client, "minimax-music")
    assert check_lyrics(hostile, model="minimax-music").ok and not HIDDEN.search(hostile)
    assert not re.search(r"[<>]|script|alert|```|Sure!", hostile)

    short, _, status = write(client, "minimax-music", theme="", follow_up="shorter", draft=lyrics)
    assert check_lyrics(short, model="minimax-music").chars < report.chars and chats() == 3

    with pytest.raises(Exception) as exc:
        write(client, "minimax-music")
    assert "Limit reached" in str(exc.value) or f"{PER_HOUR} generations per hour" in str(exc.value)
    assert chats() == 3  # the fourth was refused before it was sent
    assert KEY not in shared_app.logs()


def test_offline_the_writer_says_it_is_not_a_language_model(tmp_path_factory):
    from gradio_client import Client

    srv = AppServer(tmp_path_factory.mktemp("app-writer-off") / "home").start()
    try:
        c = Client(srv.url, verbose=False)
        lyrics, _, status = write(c, "minimax/music-2.6")
        report = check_lyrics(lyrics, model="minimax/music-2.6")
        assert report.ok and "[Verse]" in lyrics and "[Chorus]" in lyrics and report.chars <= 3000
        assert "written by music01's offline writer, not a language model" in status and "free" in status
        style = "sea shanty, accordion and a male choir"
        box, prompt, status = write(c, "elevenlabs/eleven_music", prompt=style, into_prompt=True)
        assert box == "" and prompt.startswith(style + "\n\nLyrics:\n[") and "in the prompt" in status
        # Writing again, then "shorter": the prompt box is sent back as it is, and keeps one "Lyrics:" block.
        _, again, _ = write(c, "elevenlabs/eleven_music", theme="a city at night", prompt=prompt, into_prompt=True)
        _, short, _ = write(
            c, "elevenlabs/eleven_music", theme="", follow_up="shorter", draft=box, prompt=again, into_prompt=True
        )
        for text in (prompt, again, short):
            assert text.count("Lyrics:") == 1 and text.startswith(style + "\n\nLyrics:\n[")
        assert again != prompt and len(short) < len(again) and short.split("Lyrics:\n")[1] in again
        again, _, _ = write(c, "minimax/music-2.6")
        assert again == lyrics  # the same request, the same draft
    finally:
        srv.stop()
