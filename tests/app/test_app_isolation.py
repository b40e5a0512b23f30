"""Two sessions of one shared app (``MUSIC01_SHARED=1``) on 127.0.0.1, through ``gradio_client``
and raw HTTP: neither reads the other's files, history, pending jobs or key.

Session A pastes a key and makes a piece on the job path (the emulator plays the provider);
session B has no key.  What links a session to its work is the browser's session; a file
link or a generation id is a capability (long, random, shown only to its session) — the
same way the provider's own API treats a generation id.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
import requests

from tests.appserver import AppServer, make_args
from tests.audiogen import KEY

pytestmark = pytest.mark.app
LA = "[Verse]\nla la la la la"
STYLE = "warm lofi hip hop"


@pytest.fixture(scope="module")
def shared(tmp_path_factory):
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-iso"), latency_s=5.0) as emu:
        srv = AppServer(tmp_path_factory.mktemp("app-iso") / "home", AIML_API_BASE=emu.url, MUSIC01_SHARED="1")
        srv.start()
        yield srv, emu
        srv.stop()


def session_dirs(home: Path) -> list[Path]:
    return sorted(p for p in (home / "sessions").iterdir() if p.is_dir()) if (home / "sessions").is_dir() else []


def test_two_sessions_cannot_read_each_other(shared):
    from gradio_client import Client

    srv, emu = shared
    a = Client(srv.url, verbose=False, download_files=False)
    b = Client(srv.url, verbose=False)

    # A submits with its own key; while A's job is pending, B looks for it.
    job = a.submit(*make_args("minimax/music-2.6", LA, STYLE, key=KEY), api_name="/make")
    deadline = time.monotonic() + 30
    while not any((d / "history" / "pending").glob("*.json") for d in session_dirs(srv.home)):
        assert time.monotonic() < deadline, "A's job never became pending"
        time.sleep(0.2)
    (a_dir,) = session_dirs(srv.home)
    with pytest.raises(Exception, match="Pick a pending job"):
        b.predict("", "", api_name="/resume")  # B has no pending job: A's is not B's

    # B makes a piece with no key: the offline engine, never A's key.
    b_audio, b_info = b.predict(*make_args("minimax/music-2.6", LA, STYLE), api_name="/make")
    assert b_info["backend"] == "offline" and Path(b_audio).stat().st_size > 0
    a_file, a_info = job.result(timeout=120)
    assert a_info["backend"] == "api" and a_info["generation_id"].endswith(":music-2.6")
    assert len(emu.stats()["submits"]) == 1, "B's generation must not use A's key"

    # Two session folders, each holding only its own generation.
    dirs = session_dirs(srv.home)
    assert len(dirs) == 2 and a_dir in dirs
    (b_dir,) = [d for d in dirs if d != a_dir]
    from music01_core.history import History

    a_hist, b_hist = History(a_dir).list(), History(b_dir).list()
    assert [e.generation_id for e in a_hist] == [a_info["generation_id"]] and a_hist[0].backend == "api"
    assert [e.trace_id for e in b_hist] == [b_info["trace_id"]] and b_hist[0].backend == "offline"
    assert History(a_dir).pending() == [] and History(b_dir).pending() == []

    # A's link is a capability: a long random component, served from Gradio's cache, not from
    # the data folder.
    url = a_file["url"]
    assert re.search(r"/[0-9a-f]{32,}/", url), url
    assert str(srv.home) not in url

    # The data folder itself is never served, whatever path B asks for.
    a_audio = next((a_dir / "history").rglob("*.mp3"))
    probes = [
        str(a_audio),
        str(next((a_dir / "history").rglob("record.json"))),
        str(srv.home),
        "/etc/passwd",
        "/tmp/gradio/../../etc/passwd",
        "../../../../etc/passwd",
    ]
    for path in probes:
        r = requests.get(srv.url + "gradio_api/file=" + path, timeout=10)
        assert r.status_code in (400, 403, 404), (path, r.status_code)
        assert b"generation_id" not in r.content and b"root:" not in r.content and b"ID3" not in r.content[:3]

    # The key A pasted is in no file on the server, no log line and no page.
    for f in srv.home.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f
    assert KEY not in srv.logs()
    assert KEY not in requests.get(srv.url + "config", timeout=10).text
