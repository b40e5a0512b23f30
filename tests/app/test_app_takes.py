"""Compare models (issue 24) through the app's public /takes endpoint, started here on 127.0.0.1.

- offline: the plan sends nothing and hands back a one-time confirmation; with it, four takes come back
  (files, lengths, costs), saved to the session's history; a confirmation is used once, and confirms only the
  plan it was given for; a model that needs a reference is refused in the plan, which then gives none;
- a room on the emulator: every take counts against the room's cap, and a grid that would exceed what is left
  is refused before anything is billed, saying how many are left (zero submits).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests

from tests.appserver import AppServer, make_args
from tests.audiogen import KEY

pytestmark = pytest.mark.app
FOUR = ["minimax/music-2.6", "elevenlabs/eleven_music", "google/lyria2", "stable-audio"]
PROMPT = "warm indie pop, acoustic guitar and soft drums"
LYRICS = "[Verse]\nMorning light across the river\n[Chorus]\nHold on, hold on"


def args(models, confirm="", *, prompt=PROMPT, length_s=10, seed=1) -> tuple:
    """/takes inputs: models, prompt, lyrics, length (s), negative prompt, seed, confirmation (then the key boxes)."""
    return (models, prompt, LYRICS, length_s, "", seed, confirm)


@pytest.fixture(scope="module")
def offline_app(tmp_path_factory):
    srv = AppServer(tmp_path_factory.mktemp("app-takes") / "home").start()
    yield srv
    srv.stop()


def test_plan_then_confirm_offline(offline_app):
    from gradio_client import Client

    c = Client(offline_app.url, verbose=False)
    md, info, files, confirm = c.predict(*args(FOUR), api_name="/takes")
    assert info["sent"] is False and info["takes"] == [] and files is None
    assert confirm and info["confirm"] == confirm and info["plan"]["ready"]
    assert "Free: 4 takes on the offline engine; nothing is billed." in md and "Nothing was sent" in md
    assert info["plan"]["send_words"] == "Make 4 takes (free: offline engine)"
    assert not list((offline_app.home / "history").glob("*/record.json")), "a plan makes nothing"

    md, info, files, confirm = c.predict(*args(FOUR, confirm), api_name="/takes")
    assert info["sent"] is True and confirm == "" and "4 takes made · free: nothing was billed." in md
    takes = info["takes"]
    assert [t["model"] for t in takes] == FOUR and all(t["ok"] and t["error"] is None for t in takes)
    assert {t["model"]: t["duration_s"] for t in takes}["stable-audio"] == 10.0
    assert all(t["cost_words"] == "free (offline engine)" and t["history_id"] for t in takes)
    assert len(files) == 4 and all(Path(f).exists() for f in files)
    assert "path" not in json.dumps(takes) and str(offline_app.home) not in json.dumps(info)
    assert len(list((offline_app.home / "history").glob("*/record.json"))) == 4


def test_a_confirmation_is_used_once_and_only_for_its_plan(offline_app):
    from gradio_client import Client

    c = Client(offline_app.url, verbose=False)
    two = ["stable-audio", "elevenlabs/eleven_music"]
    before = len(list((offline_app.home / "history").glob("*/record.json")))
    _, info, _, confirm = c.predict(*args(two), api_name="/takes")
    with pytest.raises(Exception, match="The plan changed since its total was shown"):
        c.predict(*args(two, confirm, prompt=PROMPT + ", with strings"), api_name="/takes")
    with pytest.raises(Exception, match="used already or has expired"):
        c.predict(*args(two, confirm), api_name="/takes")  # consumed by the refused try
    with pytest.raises(Exception, match="used already or has expired"):
        c.predict(*args(two, "made-up"), api_name="/takes")
    assert len(list((offline_app.home / "history").glob("*/record.json"))) == before, "nothing was sent"


def test_a_model_that_needs_a_reference_is_refused_in_the_plan(offline_app):
    from gradio_client import Client

    c = Client(offline_app.url, verbose=False)
    md, info, _, confirm = c.predict(*args(["minimax-music", "stable-audio"]), api_name="/takes")
    assert confirm == "" and info["confirm"] is None and not info["plan"]["ready"]
    assert "❌ refused" in md and "reference track" in md and "Nothing was sent." in md
    with pytest.raises(Exception, match="choose 2 to 4 models"):
        c.predict(*args(["stable-audio"]), api_name="/takes")


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-takes-room"), latency_s=0.5) as emu:
        srv = AppServer(
            tmp_path_factory.mktemp("app-takes-room") / "home",
            AIML_API_KEY=KEY,
            AIML_API_BASE=emu.url,
            MUSIC01_SHARED="1",
            MUSIC01_GENERATIONS_PER_HOUR="10",
            MUSIC01_ROOM_GENERATIONS_PER_HOUR="3",
        ).start()
        yield srv, emu
        srv.stop()


def test_the_room_cap_refuses_a_grid_before_anything_is_billed(room):
    from gradio_client import Client

    srv, emu = room
    a, b = Client(srv.url, verbose=False), Client(srv.url, verbose=False)
    # Four takes, three left: the plan says so and gives no confirmation.
    md, info, _, confirm = a.predict(*args(FOUR), api_name="/takes")
    assert confirm == "" and info["shared"] == 4 and info["left"] == 3
    assert "These takes need 4 generations on the shared key and this hour has **3 left**" in md
    assert emu.stats()["submits"] == []
    # Two takes planned while three are left; meanwhile another person makes two pieces: one is left.
    two = ["stable-audio", "google/lyria2"]
    _, info, _, confirm = a.predict(*args(two), api_name="/takes")
    assert confirm and info["left"] == 3
    ARGS = make_args("minimax/music-2.6", "[Verse]\nla la la la la", "warm lofi hip hop", sample_rate=24000)
    b.predict(*ARGS, api_name="/make")
    b.predict(*ARGS, api_name="/make")
    assert len(emu.stats()["submits"]) == 2
    with pytest.raises(
        Exception, match=r"This room has 1 of its 3 generations per hour left .* need 2: nothing was sent"
    ):
        a.predict(*args(two, confirm), api_name="/takes")
    assert len(emu.stats()["submits"]) == 2, "a refused grid reaches nothing"
    # A new plan agrees: nothing of the refused grid was counted.
    _, info, _, confirm = a.predict(*args(two), api_name="/takes")
    assert info["left"] == 1 and confirm == ""
    for text in (requests.get(srv.url + "config", timeout=10).text, srv.logs(), json.dumps(info)):
        assert KEY not in text


def test_a_grid_within_the_cap_counts_every_take_and_never_shows_the_shared_balance(tmp_path_factory):
    import time

    from gradio_client import Client

    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-takes-cap"), latency_s=0.5) as emu:
        home = tmp_path_factory.mktemp("app-takes-cap") / "home"
        srv = AppServer(home, AIML_API_KEY=KEY, AIML_API_BASE=emu.url, MUSIC01_ROOM_GENERATIONS_PER_HOUR="4").start()
        try:
            deadline = time.monotonic() + 30  # the provider's list (its prices), read in the background
            while not (home / "catalogue" / "aimlapi.json").exists():
                assert time.monotonic() < deadline, "the background check never wrote the list's copy"
                time.sleep(0.2)
            c = Client(srv.url, verbose=False)
            two = ["stable-audio", "elevenlabs/eleven_music"]
            md, info, _, confirm = c.predict(*args(two), api_name="/takes")
            assert "local emulator of AI/ML API" in md and "at the provider: ≈ $0.042 (84,000 credits)" in md
            md, info, files, _ = c.predict(*args(two, confirm), api_name="/takes")
            assert [t["ok"] for t in info["takes"]] == [True, True] and len(files) == 2
            assert sorted(s["model"] for s in emu.stats()["submits"]) == sorted(two), "two takes, two submits"
            assert all("it reports" in t["cost_words"] for t in info["takes"])
            _, info, _, confirm = c.predict(*args(two), api_name="/takes")
            assert info["left"] == 2, "both takes counted against the room's 4"
            # The shared key's balance drops below one take's price: that take is refused before it is sent,
            # in words that never show the balance (the teacher's to read); the other is made.
            emu.billing(balance_usd=0.05)
            md, info, files, _ = c.predict(*args(two, confirm), api_name="/takes")
            by = {t["model"]: t for t in info["takes"]}
            assert by["stable-audio"]["ok"] and not by["elevenlabs/eleven_music"]["ok"]
            assert by["elevenlabs/eleven_music"]["error"].startswith("The shared key cannot pay for this take")
            assert len(emu.stats()["submits"]) == 3, "the refused take was not sent"
            for text in (md, json.dumps(info)):
                assert "$0.05" not in text and "100,000 credits" not in text and "balance $" not in text.lower()
        finally:
            srv.stop()
