"""The fault matrix: every row of the contract's error tables, as a fault on the emulator.

Rows come from ``../shared/api/README.md`` (music-01: the HTTP table, the ``base_resp``
table, the hex/size/status rules) and ``../shared/api/live-models.md`` (the job interface:
submit, poll, fetch).  Each row asserts, as issue 13 asks:

- the right exception class, and a message that says what to do;
- uploads and polls retried within the contract's limits;
- a billed call (generate, submit) sent at most once, unless the server surely did not take
  it (an explicit 429);
- no partial or corrupt file in the history;
- after a restart (a fresh :class:`History` on the same folder), every completed output and
  every pending job is listed.

``test_every_contract_row_is_in_the_matrix`` fails when a status or code is added to the
contract tables in :mod:`music01_core.errors` without a row here.
"""

from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from music01_core import errors as E
from music01_core.backends.api import ApiBackend
from music01_core.backends.base import MusicRequest
from music01_core.emulator import EmulatorServer
from music01_core.history import History
from music01_core.settings import GENERATE_PATH, JOB_PATH, UPLOAD_PATH
from tests.audiogen import KEY
from tests.fileserver import closed_port

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
FAST = lambda: iter([0.1] * 100_000)  # noqa: E731 - poll often: the emulator's latency is short

# The contract's rows, written out from ../shared/api/README.md ("Errors").
CONTRACT_HTTP = {400, 401, 403, 404, 429, 500, 502, 503, 504}
CONTRACT_CODES = {1000, 1001, 1002, 1004, 1008, 1024, 1026, 1027, 1033, 1039, 1041, 1042, 2013, 2045, 2049, 2056}


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(
        key=KEY, home=tmp_path_factory.mktemp("emu-matrix"), latency_s=0.6, queue_s=0.2, hang_s=2.5
    ) as server:
        yield server


@pytest.fixture(scope="module")
def clip(examples, tmp_path_factory):
    from music01_core import prepare_clip

    return prepare_clip(examples["song-e-minor"], tmp_path_factory.mktemp("mclip") / "song.mp3", start_s=0, end_s=20)


def backend(emu, home, **kw):
    emu.reset()
    kw.setdefault("read_timeout_s", 60)
    return ApiBackend(
        api_key=KEY, base_url=emu.url, home=home, backoff_s=0.01, poll_delays=FAST, log_waits_s=(0.2, 1.0, 4.0), **kw
    )


def sends(emu, path, method="POST"):
    return emu.stats()["methods"].get(f"{method} {path}", 0)


def assert_settled(home: Path, *, completed: int, pending: int = 0):
    """The history after a restart: complete outputs that decode, the pending jobs, no debris."""
    from music01_core.backends.api import check_job_audio

    h = History(home)  # a fresh object reads only what is on disk, as a restarted process does
    entries = h.list()
    assert len(entries) == completed, [e.to_dict() for e in entries]
    for e in entries:
        data = Path(e.audio_path).read_bytes()
        assert data and check_job_audio(data, e.format)[0] > 1.0
    assert len(h.pending()) == pending
    debris = [p for p in Path(home).rglob("*") if p.is_file() and (".tmp" in p.name or p.name.endswith(".part"))]
    assert not debris, debris


# --- music-01: generate -------------------------------------------------------------------
# (fault, class, message, generate requests sent, may be billed)
GENERATE_ROWS = [
    ("http:400", E.ApiInvalidRequestError, "rejected the request as invalid", 1, False),
    ("http:401", E.AuthenticationError, "copy the key again", 1, False),
    ("http:403", E.InsufficientCreditsError, "top up", 1, False),
    ("http:404", E.ModelRetiredError, "Choose minimax-music instead", 1, False),
    ("http:429;retry-after=0", None, "", 2, False),  # explicit rejection: retried once, then made
    ("http:500", E.ServerError, "try again later", 1, True),
    ("http:502", E.ServerError, "gateway failed", 1, True),
    ("http:503", E.ServerError, "under maintenance", 1, True),
    ("http:504", E.GenerationTimeoutError, "timed out at the gateway", 1, True),
    ("code:1000", E.ServerError, "try another clip", 1, True),
    ("code:1001", E.GenerationTimeoutError, "timed out (1001)", 1, True),
    ("code:1002", E.RateLimitError, "wait a minute", 1, False),
    ("code:1004", E.AuthenticationError, "check AIML_API_KEY", 1, False),
    ("code:1008", E.InsufficientCreditsError, "top up", 1, False),
    ("code:1024", E.ServerError, "internal error (1024)", 1, True),
    ("code:1026", E.LyricsFlaggedError, "change the lyrics", 1, False),
    ("code:1027", E.OutputFlaggedError, "change the lyrics or the reference", 1, True),
    ("code:1033", E.ServerError, "behind music-01 failed", 1, True),
    ("code:1039", E.ApiInvalidRequestError, "shorten the lyrics", 1, False),
    ("code:1041", E.RateLimitError, "wait a little", 1, False),
    ("code:1042", E.ApiInvalidRequestError, "clean them", 1, False),
    ("code:2013;msg=invalid params, lyrics", E.ApiInvalidRequestError, "fix what the message names", 1, False),
    ("code:2045", E.RateLimitError, "slow down", 1, False),
    ("code:2049", E.AuthenticationError, "API key is invalid", 1, False),
    ("code:2056", E.UsageLimitError, "raise the limit", 1, False),
    # The same codes through a gateway that maps them to statuses: the code still decides.
    ("code:1026;http=400", E.LyricsFlaggedError, "change the lyrics", 1, False),
    ("code:1008;http=403", E.InsufficientCreditsError, "balance is insufficient", 1, False),
    ("code:1024;http=500", E.ServerError, "internal error (1024)", 1, True),
    # Answers that are not what the contract says a success is.
    ("status1", E.IncompleteResultError, "no way to fetch it later", 1, True),
    ("badjson", E.ProtocolError, "not JSON", 1, True),
    ("oddhex", E.BadAudioError, "hex", 1, True),
    ("size", E.BadAudioError, "damaged on the way", 1, True),
    ("notaudio", E.BadAudioError, "does not decode", 1, True),
    ("reset", E.ApiConnectionError, "connection broke", 1, True),
    ("hang", E.GenerationTimeoutError, "no answer to the generate", 1, True),
    ("slow", None, "", 1, False),  # the answer dribbles in: read all of it, once
    ("url", None, "", 1, False),  # audio as a download URL instead of hex
]


@pytest.mark.parametrize("fault,cls,message,sent,billed", GENERATE_ROWS, ids=[r[0] for r in GENERATE_ROWS])
def test_music01_generate_row(emu, clip, tmp_path, fault, cls, message, sent, billed):
    api = backend(emu, tmp_path / "home", read_timeout_s=1.0 if fault == "hang" else 60)
    up = api.upload(clip, "voice")
    emu.faults(generate=[fault])
    if cls is None:
        r = api.generate("hello moon", voice_id=up.voice_id)
        assert r.bytes > 0 and r.path
    else:
        with pytest.raises(cls, match=re.escape(message)) as exc:
            api.generate("hello moon", voice_id=up.voice_id)
        err = exc.value
        assert "Traceback" not in str(err) and KEY not in str(err)
        assert err.may_be_billed is billed, "billed-maybe must be said exactly when it is true"
        assert not (err.may_be_billed and err.retryable), "a billed-maybe error is never retryable"
        if fault not in ("reset", "hang", "badjson"):
            assert err.trace_id or err.request_id or err.http_status, "support needs an id"
    assert sends(emu, GENERATE_PATH) == sent, "a billed generate was sent again"
    assert sends(emu, UPLOAD_PATH) == 1
    assert_settled(api.home, completed=1 if cls is None else 0)


# --- music-01: upload (free, so retried within limits) ------------------------------------
# (fault, class when it keeps failing, message, upload requests sent when it keeps failing)
UPLOAD_ROWS = [
    ("http:400", E.ApiInvalidRequestError, "rejected the request as invalid", 1),
    ("http:401", E.AuthenticationError, "copy the key again", 1),
    ("http:403", E.InsufficientCreditsError, "top up", 1),
    ("http:404", E.ModelRetiredError, "Choose minimax-music instead", 1),
    ("http:429;retry-after=0", E.RateLimitError, "Gave up after 4 attempts", 4),
    ("http:500", E.ServerError, "Gave up after 4 attempts", 4),
    ("http:502", E.ServerError, "Gave up after 4 attempts", 4),
    ("http:503", E.ServerError, "Gave up after 4 attempts", 4),
    ("http:504", E.GenerationTimeoutError, "Gave up after 4 attempts", 4),
    ("code:1000", E.ServerError, "Gave up after 2 attempts", 2),  # "at most once"
    ("code:1001", E.GenerationTimeoutError, "Gave up after 4", 4),
    ("code:1002", E.RateLimitError, "Gave up after 4", 4),
    ("code:1004", E.AuthenticationError, "check AIML_API_KEY", 1),
    ("code:1008", E.InsufficientCreditsError, "top up", 1),
    ("code:1024", E.ServerError, "Gave up after 4", 4),
    ("code:1026", E.LyricsFlaggedError, "change the lyrics", 1),
    ("code:1027", E.OutputFlaggedError, "flagged", 1),
    ("code:1033", E.ServerError, "Gave up after 4", 4),
    ("code:1039", E.ApiInvalidRequestError, "token limit", 1),
    ("code:1041", E.RateLimitError, "Gave up after 4", 4),
    ("code:1042", E.ApiInvalidRequestError, "invisible", 1),
    ("code:2013", E.ApiInvalidRequestError, "check the purpose", 1),
    ("code:2045", E.RateLimitError, "Gave up after 4", 4),
    ("code:2049", E.AuthenticationError, "API key is invalid", 1),
    ("code:2056", E.UsageLimitError, "raise the limit", 1),
    ("badjson", E.ProtocolError, "not JSON", 1),
    ("reset", E.ApiConnectionError, "Gave up after 4", 4),
]


@pytest.mark.parametrize("fault,cls,message,sent", UPLOAD_ROWS, ids=[r[0] for r in UPLOAD_ROWS])
def test_music01_upload_row(emu, clip, tmp_path, fault, cls, message, sent):
    api = backend(emu, tmp_path / "home")
    emu.faults(upload=[fault] * 6)
    with pytest.raises(cls, match=re.escape(message)) as exc:
        api.upload(clip, "song")
    assert KEY not in str(exc.value) and not exc.value.may_be_billed
    assert sends(emu, UPLOAD_PATH) == sent
    if sent > 1:
        # A transient fault that clears is survived: one failure, then the upload goes through.
        emu.reset()
        emu.faults(upload=[fault])
        assert api.upload(clip, "song").voice_id
        assert sends(emu, UPLOAD_PATH) == 2
    assert_settled(api.home, completed=0)


def test_connection_refused_sends_nothing_and_says_so(tmp_path, clip):
    api = ApiBackend(api_key=KEY, base_url=f"http://127.0.0.1:{closed_port()}", home=tmp_path / "h", backoff_s=0.01)
    with pytest.raises(E.ApiConnectionError, match="check the network") as exc:
        api.upload(clip, "voice")
    assert not exc.value.may_be_billed
    with pytest.raises(E.ApiConnectionError, match="Nothing was sent") as exc:
        api.generate("hello", voice_id="vocal-2025010100000000-a0AAAaaa", instrumental_id=None)
    assert not exc.value.may_be_billed
    with pytest.raises(E.ApiConnectionError, match="Nothing was sent"):
        api.make(MusicRequest(model="minimax/music-2.6", prompt="warm lofi beats", lyrics="[Verse]\nhello moon"))
    assert_settled(api.home, completed=0)


# --- the job interface: submit, poll, fetch ----------------------------------------------
TEXT_JOB = dict(model="minimax/music-2.6", prompt="warm lofi hip hop", lyrics="[Verse]\nhello moon")
# (endpoint, fault, class, message, submits sent, pending after)
JOB_ROWS = [
    ("submit", "http:400", E.ApiInvalidRequestError, "rejected the request as invalid", 1, 0),
    ("submit", "http:401", E.AuthenticationError, "copy the key again", 1, 0),
    ("submit", "http:403", E.InsufficientCreditsError, "top up", 1, 0),
    ("submit", "http:404", E.EndpointNotFoundError, "check AIML_API_BASE", 1, 0),
    ("submit", "http:429;retry-after=0", None, "", 2, 0),
    # A lost or failed answer is settled by the provider's usage log (issue 22), never by sending again:
    # failed there (no job) -> "not billed"; the job exists -> followed and saved from its log row.
    ("submit", "http:500", E.JobError, "it was not billed", 1, 0),
    ("submit", "http:502", E.JobError, "it was not billed", 1, 0),
    ("submit", "http:503", E.JobError, "it was not billed", 1, 0),
    ("submit", "http:504", E.JobError, "it was not billed", 1, 0),
    ("submit", "badjson", E.JobError, "it was not billed", 1, 0),
    ("submit", "reset", E.JobError, "it was not billed", 1, 0),
    ("submit", "hang", None, "", 1, 0),
    ("submit", "lost:reset", None, "", 1, 0),
    ("submit", "lost:hang", None, "", 1, 0),
    ("submit", "lost:504", None, "", 1, 0),
    # Polls are GETs: any number of failures is polled again, never submitted again.
    ("poll", "http:429", None, "", 1, 0),
    ("poll", "http:500", None, "", 1, 0),
    ("poll", "http:502", None, "", 1, 0),
    ("poll", "http:503", None, "", 1, 0),
    ("poll", "http:504", None, "", 1, 0),
    ("poll", "reset", None, "", 1, 0),
    ("poll", "badjson", None, "", 1, 0),
    ("poll", "slow", None, "", 1, 0),
    ("poll", "http:401", E.AuthenticationError, "copy the key again", 1, 1),
    ("poll", "http:403", E.InsufficientCreditsError, "top up", 1, 1),
    # What the provider says about the job itself.
    ("job", "job:error", E.JobFailedError, "GenerationError", 1, 1),
    ("job", "job:stuck", E.JobPendingError, "still running at the provider", 1, 1),
    ("job", "job:expired", E.ResultExpiredError, "expired", 1, 1),
    ("job", "job:size", E.BadAudioError, "cut short", 1, 1),
    ("job", "job:notaudio", E.BadAudioError, "does not decode", 1, 1),
]


@pytest.mark.parametrize("where,fault,cls,message,sent,pending", JOB_ROWS, ids=[f"{r[0]}-{r[1]}" for r in JOB_ROWS])
def test_job_row(emu, tmp_path, where, fault, cls, message, sent, pending):
    api = backend(emu, tmp_path / "home")
    if fault in ("hang", "lost:hang"):
        api.jobs.timeout = (2.0, 1.0)
    emu.faults(**{where: [fault] * (3 if where == "poll" else 1)})
    if cls is None:
        r = api.make(MusicRequest(**TEXT_JOB), wait_s=60)
        assert r.generation_id and r.credits_used
    else:
        with pytest.raises(cls, match=re.escape(message)) as exc:
            api.make(MusicRequest(**TEXT_JOB), wait_s=3 if fault == "job:stuck" else 60)
        assert KEY not in str(exc.value) and "Traceback" not in str(exc.value)
        assert not (getattr(exc.value, "may_be_billed", False) and getattr(exc.value, "retryable", False))
    if fault in ("hang", "lost:hang"):
        time.sleep(3)  # the hung submit reaches the provider after all: exactly the may-be-billed case
        assert len(emu.stats()["submits"]) == 1
    posts = emu.stats()["methods"].get(f"POST {JOB_PATH}", 0)
    assert posts == sent, "a submit is sent once, or twice only after an explicit 429"
    assert len(emu.stats()["submits"]) <= 1, "the provider took at most one job"
    # A failed job stays listed (with its state), so the person sees what happened to a paid id.
    assert_settled(api.home, completed=1 if cls is None else 0, pending=pending)


def test_unknown_generation_id_is_said_plainly(emu, tmp_path):
    api = backend(emu, tmp_path / "home")
    with pytest.raises(E.JobNotFoundError, match="the provider does not know this job"):
        api.resume("00000000-0000-0000-0000-000000000000:music-2.6", wait_s=5)
    assert len(emu.stats()["submits"]) == 0
    assert History(api.home).pending()[0].state == "unknown"


# --- the disk and the process ------------------------------------------------------------
def _disk_full(*a, **k):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.mark.parametrize("path", ["music-01", "job"])
def test_disk_full_while_saving_keeps_the_paid_audio(emu, clip, tmp_path, monkeypatch, path):
    from music01_core import history as history_mod

    api = backend(emu, tmp_path / "home")
    rescue = tmp_path / "rescue"
    monkeypatch.setenv("MUSIC01_RESCUE_DIR", str(rescue))
    up = api.upload(clip, "voice") if path == "music-01" else None
    monkeypatch.setattr(history_mod.History, "_save", _disk_full)
    if path == "music-01":
        r = api.generate("hello moon", voice_id=up.voice_id)
    else:
        r = api.make(MusicRequest(**TEXT_JOB), wait_s=60)
    assert any("the history could not be written (No space left on device)" in w for w in r.warnings)
    assert Path(r.path).parent == rescue and Path(r.path).read_bytes() == r.audio
    monkeypatch.undo()
    # Nothing half-written in the history; the job's id stays pending, so it can be saved later.
    assert_settled(api.home, completed=0, pending=0 if path == "music-01" else 1)
    assert sends(emu, GENERATE_PATH) + len(emu.stats()["submits"]) == 1


KILL_AT_SAVE = """
import os, sys
from music01_core import history
from music01_core.backends.api import ApiBackend
from music01_core.backends.base import MusicRequest

def die(*a, **k):
    os._exit(9)  # killed between the answer and the save: no finally, no atexit

history.History.keep = die
api = ApiBackend(api_key=os.environ["KEY"], base_url=os.environ["BASE"], home=os.environ["HOME_DIR"])
if sys.argv[1] == "music-01":
    up = api.upload(sys.argv[2], "voice")
    api.generate("hello moon", voice_id=up.voice_id)
else:
    api.make(MusicRequest(model="minimax/music-2.6", prompt="warm lofi beats", lyrics="[Verse]\\nhello moon"), wait_s=60)
"""


def cli(home, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if k not in ("AIML_API_KEY", "AIMLAPI_API_KEY")}
    env.update(MUSIC01_HOME=str(home), PYTHONPATH=str(ROOT), **(env_extra or {}))
    return subprocess.run(
        [sys.executable, "-m", "music01_core", *map(str, args)], capture_output=True, text=True, env=env, cwd=ROOT
    )


@pytest.mark.parametrize("path", ["music-01", "job"])
def test_killed_between_the_answer_and_the_save(emu, clip, tmp_path, path):
    emu.reset()
    home = tmp_path / "home"
    env = {**os.environ, "KEY": KEY, "BASE": emu.url, "HOME_DIR": str(home), "PYTHONPATH": str(ROOT)}
    p = subprocess.run(
        [sys.executable, "-c", KILL_AT_SAVE, path, str(clip.path)], env=env, capture_output=True, text=True
    )
    assert p.returncode == 9, p.stderr
    assert sends(emu, GENERATE_PATH) + len(emu.stats()["submits"]) == 1
    # After the restart the paid request is listed, never silently gone ...
    listed = cli(home, "jobs")
    assert listed.returncode == 0 and ("interrupted" if path == "music-01" else "completed") in listed.stdout
    gid = listed.stdout.split()[0]
    # ... and resuming never sends it again.
    resumed = cli(home, "resume", gid, "--wait-s", "30", env_extra={"AIML_API_KEY": KEY, "AIML_API_BASE": emu.url})
    if path == "music-01":
        # music-01 has no poll: say so, and what it may have cost, once.
        assert resumed.returncode == 2 and "may have been billed" in resumed.stderr
        assert "Traceback" not in resumed.stderr
        assert_settled(home, completed=0, pending=0)
    else:
        assert resumed.returncode == 0, resumed.stderr
        assert_settled(home, completed=1, pending=0)
    assert sends(emu, GENERATE_PATH) + len(emu.stats()["submits"]) == 1, "resume sent a billed request"


def test_every_contract_row_is_in_the_matrix():
    rows = {r[0] for r in GENERATE_ROWS} | {r[0] for r in UPLOAD_ROWS}
    statuses = {int(f.split(";")[0][5:]) for f in rows if f.startswith("http:")}
    codes = {int(f.split(";")[0][5:]) for f in rows if f.startswith("code:")}
    assert statuses == CONTRACT_HTTP == set(E.HTTP_STATUS_ERRORS)
    assert codes == CONTRACT_CODES == set(E.BASE_RESP_ERRORS)
    for table in (GENERATE_ROWS, UPLOAD_ROWS):
        faults = {r[0].split(";")[0] for r in table}
        assert {f"http:{s}" for s in CONTRACT_HTTP} <= faults
        assert {f"code:{c}" for c in CONTRACT_CODES} <= faults
    job = {(r[0], r[1].split(";")[0]) for r in JOB_ROWS}
    assert {("submit", f"http:{s}") for s in CONTRACT_HTTP} <= job
    assert {("job", f) for f in ("job:error", "job:stuck", "job:expired", "job:size", "job:notaudio")} <= job
