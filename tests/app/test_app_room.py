"""Room mode: two sessions share one allowance on the teacher's key; the teacher sees the
counter and collects the room's pieces, behind a token."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
import requests

from tests.appserver import AppServer, make_args
from tests.audiogen import KEY

pytestmark = pytest.mark.app
TOKEN = "teacher-7f3a9c"
# A small, quick piece: 24 kHz, 64 kbit/s.
ARGS = make_args("minimax/music-2.6", "[Verse]\nla la la la la", "warm lofi hip hop", sample_rate=24000, bitrate=64000)


@pytest.fixture(scope="module")
def room(tmp_path_factory):
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-room"), latency_s=0.5) as emu:
        srv = AppServer(
            tmp_path_factory.mktemp("app-room") / "home",
            AIML_API_KEY=KEY,
            AIML_API_BASE=emu.url,
            MUSIC01_SHARED="1",
            MUSIC01_GENERATIONS_PER_HOUR="5",
            MUSIC01_ROOM_GENERATIONS_PER_HOUR="2",
            MUSIC01_TEACHER_TOKEN=TOKEN,
        ).start()
        yield srv, emu
        srv.stop()


def test_two_sessions_share_one_room_cap_and_the_teacher_sees_it(room, tmp_path):
    from gradio_client import Client

    srv, emu = room
    a, b = Client(srv.url, verbose=False), Client(srv.url, verbose=False)
    teacher = Client(srv.url, verbose=False)
    with pytest.raises(Exception, match="not this server's teacher token"):
        teacher.predict("guess", "minimax/music-2.6", api_name="/room")
    assert "0 of 2" in teacher.predict(TOKEN, "minimax/music-2.6", api_name="/room")

    a.predict(*ARGS, api_name="/make")
    b.predict(*ARGS, api_name="/make")
    # Each person has 5 of their own, but the room's 2 are spent: A and B are both stopped.
    for c in (a, b):
        with pytest.raises(Exception, match="This room's 2 generations per hour on the shared key are used up"):
            c.predict(*ARGS, api_name="/make")
    assert len(emu.stats()["submits"]) == 2, "a capped generation must not reach the provider"

    panel = teacher.predict(TOKEN, "minimax/music-2.6", api_name="/room")
    assert "**2 of 2**" in panel and "0 left" in panel
    assert "2 sessions · 2 generations in the last hour (2 billed)" in panel
    assert "credits recorded" in panel and "At most, per hour of class: 2 generations of minimax/music-2.6" in panel

    # Collecting the room's results: one zip, a folder per session, each with its piece.
    zpath = teacher.predict(TOKEN, api_name="/room_export")
    with zipfile.ZipFile(zpath) as z:
        names = z.namelist()
    sessions = {n.split("/")[0] for n in names}
    assert len(sessions) == 2 and sum(n.endswith(".mp3") for n in names) == 2, names
    with pytest.raises(Exception, match="not this server's teacher token"):
        Client(srv.url, verbose=False).predict("", api_name="/room_export")

    # The token is a secret like the key: in no page, config or log.
    for text in (requests.get(srv.url + "config", timeout=10).text, srv.logs(), Path(zpath).name):
        assert TOKEN not in text and KEY not in text
