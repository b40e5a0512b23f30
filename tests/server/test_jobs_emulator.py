"""The job models end to end against the emulator on 127.0.0.1: library, CLI, faults, crash and resume."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from music01_core import errors as E
from music01_core.backends.api import ApiBackend
from music01_core.backends.base import MusicRequest
from music01_core.emulator import EmulatorServer
from music01_core.history import History
from music01_core.references import reference_from_file, reference_from_url
from music01_core.settings import JOB_PATH
from tests.audiogen import KEY
from tests.fileserver import serve_folder

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
FAST = lambda: iter([0.2] * 100_000)  # noqa: E731 - poll often: the emulator's latency is short
LYRICS = "##Swing to the rhythm of the night\nlet the music take control##"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-jobs"), latency_s=1.0, hang_s=3.0) as server:
        yield server


@pytest.fixture
def api(emu, tmp_path):
    emu.reset()
    return ApiBackend(
        api_key=KEY,
        base_url=emu.url,
        home=tmp_path / "home",
        backoff_s=0.05,
        poll_delays=FAST,
        log_waits_s=(0.2, 1.0, 4.0),
    )


@pytest.fixture(scope="module")
def files_server(examples, tmp_path_factory):
    """A loopback web server holding reference files (the emulator fetches from it, as the provider would)."""
    root = tmp_path_factory.mktemp("www")
    from music01_core import prepare_clip

    prepare_clip(examples["song-e-minor"], root / "song.mp3", start_s=0, end_s=20, model="minimax-music")
    (root / "page.mp3").write_text("<html>not a song</html>")
    prepare_clip(examples["song-e-minor"], root / "short.mp3", start_s=0, end_s=12, model="music-01")

    with serve_folder(root) as url:
        yield url


def test_minimax_music_by_url(api, emu, files_server, tmp_path):
    ref = reference_from_url(files_server + "/song.mp3", model="minimax-music", allow_private=True, cache_dir=tmp_path)
    seen = []
    r = api.make(
        MusicRequest(model="minimax-music", lyrics=LYRICS, reference=ref), on_status=lambda s, t: seen.append(s)
    )
    assert {"queued", "generating", "completed"} <= set(seen)
    assert r.generation_id.endswith(":minimax-music") and 10 <= r.duration_s <= 60 and r.credits_used
    assert [s["model"] for s in emu.stats()["submits"]] == ["minimax-music"]
    entry = History(api.home).list()[0]
    assert entry.reference["kind"] == "url" and entry.reference["sha256"] == ref.sha256
    assert emu.stats()["file_auth_headers"] == 0


def test_reference_urls_are_checked_before_anything_is_billed(files_server, tmp_path):
    with pytest.raises(E.ReferenceUrlError, match="not audio"):
        reference_from_url(files_server + "/page.mp3", model="minimax-music", allow_private=True)
    with pytest.raises(E.ReferenceUrlError, match="needs more than 15 s"):
        reference_from_url(files_server + "/short.mp3", model="minimax-music", allow_private=True)
    with pytest.raises(E.ReferenceUrlError, match="HTTP 404"):
        reference_from_url(files_server + "/missing.mp3", model="minimax-music", allow_private=True)
    with pytest.raises(E.ReferenceUrlError, match="private or local address"):
        reference_from_url(files_server + "/song.mp3", model="minimax-music")
    with pytest.raises(E.ReferenceUrlError, match="http:// or https://"):
        reference_from_url("file:///etc/passwd", model="minimax-music")


def test_cover_by_base64_and_text_only_model(api, emu, examples, tmp_path):
    from music01_core import prepare_clip

    clip = prepare_clip(
        examples["acappella-g-major"], tmp_path / "c.mp3", start_s=0, end_s=8, model="minimax/music-cover"
    )
    r = api.make(
        MusicRequest(
            model="minimax/music-cover",
            prompt="bossa nova guitar and soft brushes",
            reference=reference_from_file(clip.path, model="minimax/music-cover"),
        )
    )
    assert r.generation_id.endswith(":music-cover") and r.reference["kind"] == "base64"
    r = api.make(MusicRequest(model="minimax/music-2.6", prompt="warm lofi hip hop", lyrics="[Verse]\nhello moon"))
    assert r.model == "minimax/music-2.6" and r.duration_s > 5
    assert len(emu.stats()["submits"]) == 2


@pytest.mark.parametrize(
    "where,fault,cls,match",
    [
        ("submit", "http:400", E.ApiInvalidRequestError, "rejected"),
        ("submit", "http:403", E.InsufficientCreditsError, "credits"),
        # The usage log shows the request failed there: not billed (issue 22).
        ("submit", "http:503", E.JobError, "it was not billed"),
        ("submit", "reset", E.JobError, "it was not billed"),
        ("job", "job:error", E.JobFailedError, "GenerationError"),
        ("job", "job:expired", E.ResultExpiredError, "expired"),
        ("job", "job:size", E.BadAudioError, "cut short"),
        ("job", "job:notaudio", E.BadAudioError, "does not decode"),
    ],
)
def test_job_faults(api, emu, where, fault, cls, match):
    emu.faults(**{where: [fault]})
    with pytest.raises(cls, match=match):
        api.make(MusicRequest(model="minimax/music-2.6", prompt="warm lofi hip hop", lyrics="[Verse]\nhello"))
    assert len(emu.stats()["submits"]) <= 1, "a submit is never sent twice"
    assert History(api.home).list() == []


def test_a_hung_submit_is_found_in_the_usage_log_and_saved_sent_once(emu, tmp_path):
    """No answer within the read timeout: the job is looked up by its client request id, never re-sent."""
    emu.reset()
    api = ApiBackend(
        api_key=KEY,
        base_url=emu.url,
        home=tmp_path / "h",
        connect_timeout_s=2,
        poll_delays=FAST,
        log_waits_s=(0.2, 1.0, 4.0),
    )
    api.jobs.timeout = (2.0, 1.0)
    emu.faults(submit=["hang"])
    r = api.make(MusicRequest(model="minimax/music-2.6", prompt="warm lofi beats", lyrics="[Verse]\nhello moon"))
    assert r.generation_id and r.client_request_id and r.credits_used and History(api.home).pending() == []
    assert emu.stats()["methods"][f"POST {JOB_PATH}"] == 1 and len(emu.stats()["submits"]) == 1


def test_poll_faults_are_survived(api, emu):
    emu.faults(poll=["http:502", "reset", "badjson", "http:503"])
    r = api.make(MusicRequest(model="minimax/music-2.6", prompt="warm lofi hip hop", lyrics="[Verse]\nhello"))
    assert r.generation_id and len(emu.stats()["submits"]) == 1


def test_stuck_job_stays_pending(api, emu):
    emu.faults(job=["job:stuck"])
    with pytest.raises(E.JobPendingError, match="still running"):
        api.make(
            MusicRequest(model="minimax/music-2.6", prompt="warm lofi beats", lyrics="[Verse]\nhello moon"), wait_s=2
        )
    assert History(api.home).pending()[0].status == "queued"


def test_retired_music01_emulated(tmp_path, examples):
    from music01_core import prepare_clip

    clip = prepare_clip(examples["song-e-minor"], tmp_path / "s.mp3", start_s=0, end_s=20)
    with EmulatorServer(key=KEY, home=tmp_path / "emu", retire_music01=True) as retired:
        api = ApiBackend(api_key=KEY, base_url=retired.url, home=tmp_path / "h")
        with pytest.raises(E.ModelRetiredError, match="retired music-01.*minimax-music"):
            api.upload(clip, "song")
        with pytest.raises(E.ModelRetiredError, match="minimax-music"):
            api.generate("##hello##", voice_id="vocal-2025011003141025-d5ZEMxmp")


def cli(env, *args, cwd, **kw):
    return subprocess.Popen(
        [sys.executable, "-m", "music01_core", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        **kw,
    )


def test_killed_between_submit_and_completion_then_resume(tmp_path, files_server):
    """A crash after the billed submit loses nothing: `resume` fetches the same job, with one submit in all.

    The emulator runs as a person would start it (`music01 emulate`), in its own process.
    """
    from tests.appserver import free_port

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01"))}
    env.update(
        PYTHONPATH=str(ROOT),
        MUSIC01_HOME=str(tmp_path / "home"),
        AIML_API_BASE=f"http://127.0.0.1:{port}",
        AIML_API_KEY=KEY,
    )
    emu = subprocess.Popen(
        [sys.executable, "-m", "music01_core", "emulate", "--port", str(port), "--key", KEY, "--latency-s", "6"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
        cwd=tmp_path,
    )
    stats = f"http://127.0.0.1:{port}/_emulator/stats"
    try:
        for _ in range(300):
            try:
                requests.get(stats, timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        p = cli(
            env,
            "generate",
            "--reference-url",
            files_server + "/song.mp3",
            "--lyrics",
            LYRICS,
            "-o",
            tmp_path / "never.mp3",
            cwd=tmp_path,
        )
        deadline = time.monotonic() + 60
        while not History(tmp_path / "home").pending() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert History(tmp_path / "home").pending(), "the id must be on disk before the first poll"
        p.send_signal(signal.SIGKILL)
        p.wait(10)
        assert not (tmp_path / "never.mp3").exists()
        gid = History(tmp_path / "home").pending()[0].generation_id
        jobs = subprocess.run(
            [sys.executable, "-m", "music01_core", "jobs"], env=env, cwd=tmp_path, capture_output=True, text=True
        )
        assert gid in jobs.stdout
        done = subprocess.run(
            [sys.executable, "-m", "music01_core", "resume", gid, "-o", tmp_path / "out.mp3", "--json"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["generation_id"] == gid and (tmp_path / "out.mp3").stat().st_size > 10_000
        s = requests.get(stats, timeout=5).json()
        assert [x["id"] for x in s["submits"]] == [gid], "exactly one submit in the emulator's log"
        assert s["file_auth_headers"] == 0
        assert [e.generation_id for e in History(tmp_path / "home").list()] == [gid]
        assert History(tmp_path / "home").pending() == []
        for out in (jobs.stdout, jobs.stderr, done.stdout, done.stderr):
            assert KEY not in out
    finally:
        emu.terminate()
        emu.wait(10)


def test_cli_pending_exits_4_and_says_how_to_resume(emu, tmp_path):
    emu.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01"))}
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
    emu.faults(job=["job:stuck"])
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "music01_core",
            "generate",
            "--model",
            "minimax/music-2.6",
            "--prompt",
            "warm lofi beats",
            "--lyrics",
            "[Verse]\\nhello moon",
            "--wait-s",
            "2",
            "-o",
            tmp_path / "x.mp3",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert p.returncode == 4 and "music01 resume" in p.stderr and "Traceback" not in p.stderr
    p = subprocess.run(
        [
            sys.executable,
            "-m",
            "music01_core",
            "generate",
            "--reference",
            "/nonexistent.wav",
            "--lyrics",
            "hi",
            "-o",
            tmp_path / "y.mp3",
        ],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert p.returncode == 2 and p.stderr.count("error: ") == 1


def test_ctrl_c_during_a_job_says_the_id_and_how_to_resume(emu, tmp_path):
    # Issue 20.7: Ctrl-C printed only "error: interrupted", and without a terminal nothing came between
    # "submitting…" and the end. The id now comes as soon as it is known, on any stream, and Ctrl-C
    # says the job is kept and how to fetch it (a second generate would pay twice).
    emu.reset()
    emu.faults(job=["job:stuck"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01"))}
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
    args = [
        "generate",
        "--model",
        "minimax/music-2.6",
        "--prompt",
        "lofi beats, rain",
        "--instrumental",
        "--wait-s",
        "60",
        "-o",
        tmp_path / "x.mp3",
    ]
    p = subprocess.Popen(
        [sys.executable, "-m", "music01_core", *map(str, args)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen = []
    for line in p.stderr:  # not a terminal: no status line, but the id all the same
        seen.append(line)
        if line.startswith("generation "):
            break
    gid = seen[-1].split()[1]
    assert f"`music01 resume {gid}`" in seen[-1], seen
    p.send_signal(signal.SIGINT)
    rest = p.stderr.read()
    assert p.wait(30) == 130
    assert f"generation {gid} is kept" in rest and f"music01 resume {gid}" in rest and "Traceback" not in rest
    assert [x["id"] for x in emu.stats()["submits"]] == [gid]
    assert [j.generation_id for j in History(tmp_path / "home").pending()] == [gid]
    assert KEY not in "".join(seen) + rest


def test_killed_while_the_submit_is_on_its_way_then_resume_finds_it_in_the_usage_log(emu, tmp_path):
    """kill -9 between the POST and its answer: the 'sent' record (with its client request id) is on disk
    first, `music01 jobs` says the answer was lost, and `music01 resume` alone finds the job in the provider's
    usage log and saves the piece. One POST in all, counted by the emulator."""
    emu.reset()
    emu.faults(submit=["lost:hang"])  # the job is made and billed; its answer takes 3 s to come
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01"))}
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
    args = ["generate", "--model", "minimax/music-2.6", "--prompt", "lofi beats, rain", "--instrumental"]
    p = cli(env, *args, "-o", tmp_path / "never.mp3", cwd=tmp_path)
    deadline = time.monotonic() + 30
    while not emu.stats()["submits"] and time.monotonic() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    (rec,) = History(tmp_path / "home").pending()
    assert rec.answer_lost and rec.client_request_id and KEY not in json.dumps(rec.to_dict())
    jobs = subprocess.run(
        [sys.executable, "-m", "music01_core", "jobs"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert "answer lost — checking the provider's logs" in jobs.stdout
    done = subprocess.run(
        [sys.executable, "-m", "music01_core", "resume"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "saved " in done.stdout and "credits" in done.stdout
    (entry,) = History(tmp_path / "home").list()
    assert entry.client_request_id == rec.client_request_id and entry.generation_id == emu.stats()["submits"][0]["id"]
    assert emu.stats()["methods"][f"POST {JOB_PATH}"] == 1 and History(tmp_path / "home").pending() == []


def test_a_nanoid_job_resumed_on_another_machine_gets_its_model_from_the_usage_log(tmp_path):
    """Newer generation ids carry no ':model': a resume with no record here asks the provider's log."""
    with EmulatorServer(key=KEY, home=tmp_path / "emu", latency_s=1.0, id_style="nanoid") as server:
        here = ApiBackend(api_key=KEY, base_url=server.url, home=tmp_path / "a", poll_delays=FAST)
        with pytest.raises(E.JobPendingError) as exc:
            here.make(
                MusicRequest(model="minimax/music-2.0", prompt="warm lofi beats", lyrics="[Verse]\nhello moon"),
                wait_s=0,
            )
        gid = exc.value.generation_id
        assert ":" not in gid and len(gid) == 21
        elsewhere = ApiBackend(api_key=KEY, base_url=server.url, home=tmp_path / "b", poll_delays=FAST)
        r = elsewhere.resume(gid, wait_s=60)
    assert r.model == "minimax/music-2.0" and r.generation_id == gid
    assert History(tmp_path / "b").find_generation(gid).model == "minimax/music-2.0"
