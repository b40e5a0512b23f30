"""music-01 on Replicate end to end against the Replicate emulator on 127.0.0.1: the adapter, the CLI,
lost create answers, kill and resume — one create per user action, counted in the emulator's journal."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from music01_core import errors as E
from music01_core.backends.api import ApiBackend
from music01_core.emulator import EmulatorServer
from music01_core.history import History
from music01_core.providers import replicate as adapter
from music01_core.references import reference_from_file
from music01_core.types import MusicRequest
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
TOKEN = "r8_" + "Zq7" * 12
MODEL = "replicate/minimax/music-01"
LYRICS = "##Swing to the rhythm of the night\nlet the music take control##"
FAST = lambda: iter([0.2] * 100_000)  # noqa: E731 - poll often: the emulator's run time is short


def _fp(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


@pytest.fixture(scope="module")
def rep(tmp_path_factory):
    with EmulatorServer(
        service="replicate", token=TOKEN, home=tmp_path_factory.mktemp("emu-rep"), run_s=1.0, hang_s=3.0
    ) as server:
        yield server


@pytest.fixture
def client(rep, tmp_path):
    rep.reset()
    return ApiBackend(
        tokens={"replicate": TOKEN},
        home=tmp_path / "home",
        backoff_s=0.05,
        poll_delays=FAST,
        log_waits_s=(0.2, 1.0),
        session=None,
    )


@pytest.fixture(autouse=True)
def _replicate_env(rep, monkeypatch):
    monkeypatch.setenv("REPLICATE_BASE_URL", rep.url)
    for name in ("REPLICATE_API_TOKEN", "AIML_API_KEY", "AIMLAPI_API_KEY"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(scope="module")
def clip(examples, tmp_path_factory):
    """A 20 s MP3 reference (over the 256 KB a data URI may hold: it goes through the Files API)."""
    from music01_core import prepare_clip

    out = tmp_path_factory.mktemp("rep-clip") / "song.mp3"
    prepare_clip(examples["song-e-minor"], out, start_s=0, end_s=20, format="mp3", model=MODEL)
    return out


def _request(clip, **kw):
    return MusicRequest(model=MODEL, lyrics=LYRICS, reference=reference_from_file(clip, model=MODEL), **kw)


def test_music01_with_a_voice_reference_uploads_once_creates_once_and_deletes_the_upload(client, rep, clip):
    seen = []
    r = client.make(_request(clip, purpose="voice"), on_status=lambda s, t: seen.append(s))
    stats = rep.stats()
    assert len(stats["creates"]) == 1 and stats["creates"][0]["model"] == "minimax/music-01"
    assert len(stats["files"]) == 1 and len(stats["deletes"]) == 1  # uploaded once, deleted once fetched
    assert r.backend == "replicate" and r.model == MODEL and 5 <= r.duration_s <= 60 and r.format == "mp3"
    assert "list price $0.035" in r.extra_info["list_price"] and r.extra_info["predict_time_s"] > 0
    assert r.usd_spent is None and r.credits_used is None  # Replicate reports no cost: nothing is made up
    (entry,) = History(client.home).list()
    assert entry.generation_id == stats["creates"][0]["id"] and entry.extra_info["list_price"]
    assert set(stats["tokens_seen"]) == {_fp(TOKEN)}
    assert {"queued", "generating"} & set(seen)


def test_a_small_clip_goes_inside_the_request_as_a_data_uri(client, rep, clip, tmp_path):
    from music01_core import prepare_clip

    small = prepare_clip(clip, tmp_path / "small.mp3", start_s=0, end_s=16, format="mp3", bitrate_kbps=64, model=MODEL)
    assert small.bytes <= adapter.DATA_URI_MAX_BYTES
    client.make(_request(small.path))
    assert len(rep.stats()["creates"]) == 1 and rep.stats()["files"] == []


def test_the_pinned_version_is_used_when_the_model_route_is_refused(tmp_path, clip, monkeypatch):
    with EmulatorServer(service="replicate", token=TOKEN, home=tmp_path / "emu", run_s=0.5, model_route=False) as rep:
        monkeypatch.setenv("REPLICATE_BASE_URL", rep.url)
        c = ApiBackend(tokens={"replicate": TOKEN}, home=tmp_path / "home", poll_delays=FAST)
        c.make(_request(clip))
        (create,) = rep.stats()["creates"]
        assert create["route"] == "version"


def test_refusals_before_anything_is_uploaded_or_created(client, rep, clip, tmp_path):
    from music01_core import prepare_clip
    from music01_core.settings import AudioSetting

    with pytest.raises(E.LyricsTooLongError, match="350"):
        client.make(MusicRequest(model=MODEL, lyrics="a" * 351, reference=reference_from_file(clip, model=MODEL)))
    with pytest.raises(E.SettingError, match="mp3 only"):
        client.make(_request(clip, audio_setting=AudioSetting(format="wav")))
    short = tmp_path / "short.mp3"
    prepare_clip(clip, short, start_s=0, end_s=12, format="mp3", model="music-01")
    with pytest.raises(E.AudioInputError, match="15"):
        reference_from_file(short, model=MODEL)
    stats = rep.stats()
    assert stats["creates"] == [] and stats["files"] == []


@pytest.mark.parametrize("fault", ["lost:reset", "lost:504", "lost:hang"])
def test_a_lost_create_answer_is_found_in_the_prediction_list_never_created_twice(client, rep, clip, fault):
    rep.faults(create=[fault])
    client.timeout = (5.0, 1.5)  # lost:hang holds the answer 3 s: the read times out first
    client._providers.clear()
    r = client.make(_request(clip))
    (create,) = rep.stats()["creates"]
    assert r.generation_id == create["id"] and History(client.home).pending() == []


def test_a_create_that_never_arrived_is_said_plainly_and_kept_for_resume(client, rep, clip):
    rep.faults(create=["reset"])  # the connection drops before any prediction is made
    with pytest.raises(E.JobPendingError, match="not sent again") as exc:
        client.make(_request(clip))
    assert "prediction list" in str(exc.value)
    (rec,) = History(client.home).pending()
    assert rec.answer_lost and rec.fingerprint and TOKEN not in json.dumps(rec.to_dict())
    with pytest.raises(E.JobPendingError):
        client.resume(rec.generation_id)
    assert rep.stats()["creates"] == []  # looked up twice, never re-sent


def test_errors_say_what_to_do(client, rep, clip):
    rep.faults(create=["http:402"])
    with pytest.raises(E.InsufficientCreditsError, match="billing"):
        client.make(_request(clip))
    bad = ApiBackend(tokens={"replicate": "r8_" + "x1" * 20}, home=client.home)
    with pytest.raises(E.AuthenticationError, match="REPLICATE_API_TOKEN"):
        bad.make(_request(clip))
    assert rep.stats()["creates"] == [] and History(client.home).pending() == []


def test_a_failed_prediction_closes_its_record_with_replicates_reason(client, rep, clip):
    rep.faults(prediction=["fail"])
    with pytest.raises(E.JobFailedError, match="failed"):
        client.make(_request(clip))
    (rec,) = History(client.home).pending()
    assert rec.state == "failed"


def test_cancel_a_running_prediction(client, rep, clip):
    rep.faults(prediction=["stuck"])
    with pytest.raises(E.JobPendingError) as exc:
        client.make(_request(clip), wait_s=1.0)
    status = client.cancel(exc.value.generation_id)
    assert status.status == "error" and status.error_name in ("canceled", "aborted")
    assert History(client.home).pending()[0].state == "failed"


def _cli(env, *args, cwd):
    return subprocess.Popen(
        [sys.executable, "-m", "music01_core", *map(str, args)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
    )


def test_killed_while_the_create_is_on_its_way_then_resume_finds_it(rep, clip, tmp_path):
    """kill -9 between the POST and its answer: the "sent" record (with the input's fingerprint) is on disk
    first, and `music01 resume` finds the prediction in Replicate's list and saves the piece. One create."""
    rep.reset()
    rep.faults(create=["lost:hang"])
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "REPLICATE"))}
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), REPLICATE_BASE_URL=rep.url)
    env["REPLICATE_API_TOKEN"] = TOKEN
    args = ["generate", "--model", "music-01", "--lyrics", LYRICS, "--reference", clip, "--purpose", "song"]
    p = _cli(env, *args, "-o", tmp_path / "never.mp3", cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not rep.stats()["creates"] and time.monotonic() < deadline:
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait(timeout=10)
    (rec,) = History(tmp_path / "home").pending()
    assert rec.answer_lost and rec.model == MODEL and TOKEN not in json.dumps(rec.to_dict())
    done = subprocess.run(
        [sys.executable, "-m", "music01_core", "resume"], env=env, cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert "saved " in done.stdout and "list price $0.035" in done.stdout
    (entry,) = History(tmp_path / "home").list()
    assert entry.generation_id == rep.stats()["creates"][0]["id"] and len(rep.stats()["creates"]) == 1
    assert TOKEN not in done.stdout + done.stderr


def test_the_two_tokens_each_reach_only_their_own_service(clip, tmp_path, monkeypatch):
    """With both credentials set, a Replicate row sends only the Replicate token to Replicate and an AI/ML
    row only the AI/ML key to the AI/ML API."""
    with (
        EmulatorServer(service="replicate", home=tmp_path / "r", run_s=0.3) as rep,
        EmulatorServer(home=tmp_path / "a", latency_s=0.3, key=KEY) as aiml,
    ):
        monkeypatch.setenv("REPLICATE_BASE_URL", rep.url)
        c = ApiBackend(
            api_key=KEY, base_url=aiml.url, tokens={"replicate": TOKEN}, home=tmp_path / "h", poll_delays=FAST
        )
        c.make(_request(clip))
        c.make(MusicRequest(model="minimax/music-2.6", prompt="lofi beats, rain", is_instrumental=True))
        # The Replicate emulator accepts any token and journals each; the AI/ML one requires KEY (anything else: 401).
        assert set(rep.stats()["tokens_seen"]) == {_fp(TOKEN)} and len(rep.stats()["creates"]) == 1
        assert len(aiml.stats()["submits"]) == 1


def test_a_lost_answer_is_matched_to_our_prediction_not_a_later_identical_one(client, rep):
    """On a shared token two people may send the same input: ours is the first made after our record was
    written; one this machine already follows is never taken."""
    import requests

    from music01_core.history import PendingJob
    from music01_core.providers.replicate import input_fingerprint

    body = {"input": {"lyrics": "[Verse]\nthe same words", "prompt": "calm piano"}}
    headers = {"Authorization": f"Bearer {TOKEN}"}
    sent_at = time.time()
    ids = []
    for _ in range(2):  # ours, then another person's with the same input
        r = requests.post(f"{rep.url}/v1/models/minimax/music-2.5/predictions", json=body, headers=headers, timeout=10)
        ids.append(r.json()["id"])
        time.sleep(0.05)
    record = PendingJob(
        generation_id="sent-x:replicate/minimax/music-2.5",
        model="replicate/minimax/music-2.5",
        created=sent_at,
        base_url=rep.url,
        key_fp="",
        fingerprint=input_fingerprint(body["input"]),
    )
    adapter_ = client.provider_for("replicate/minimax/music-2.5")
    assert adapter_.recover(record).generation_id == ids[0]
    assert adapter_.recover(record, known=frozenset({ids[0]})).generation_id == ids[1]


def test_cancelling_a_job_that_already_finished_keeps_it_for_resume(client, rep, clip):
    with pytest.raises(E.JobPendingError) as exc:
        client.make(_request(clip), wait_s=0.1)
    gid = exc.value.generation_id
    deadline = time.monotonic() + 60
    while client.provider_for(MODEL).poll(gid).status != "completed" and time.monotonic() < deadline:
        time.sleep(0.2)  # until it is done (the render takes longer on a busy machine)
    assert client.cancel(gid).status == "completed"
    (rec,) = History(client.home).pending()
    assert rec.state == "pending"
    assert client.resume(gid).generation_id == gid and History(client.home).pending() == []


def test_a_refusal_on_create_is_said_as_one_and_leaves_no_lost_record(client, rep, clip):
    rep.faults(create=["http:403"])
    with pytest.raises(E.ApiInvalidRequestError, match="nothing was made"):
        client.make(_request(clip))
    assert History(client.home).pending() == [] and rep.stats()["creates"] == []


def test_a_replicate_job_without_the_replicate_token_says_which_token_resumes_it(client, rep, clip, tmp_path):
    with pytest.raises(E.JobPendingError) as exc:
        client.make(_request(clip), wait_s=0.1)
    other = ApiBackend(api_key=KEY, home=client.home)
    with pytest.raises(E.InputError, match="REPLICATE_API_TOKEN"):
        other.resume(exc.value.generation_id)
    with pytest.raises(E.InputError, match="REPLICATE_API_TOKEN"):
        other.cancel(exc.value.generation_id)


def test_an_id_from_elsewhere_is_resumed_at_the_service_that_knows_it(rep, tmp_path):
    """With both credentials set and no record here, `resume ID` asks each service whose prediction it is."""
    import requests

    body = {"input": {"lyrics": "[Verse]\nmade on another laptop", "prompt": "calm piano"}}
    r = requests.post(
        f"{rep.url}/v1/models/minimax/music-2.5/predictions",
        json=body,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    gid = r.json()["id"]
    both = ApiBackend(
        api_key=KEY, base_url="http://127.0.0.1:9", tokens={"replicate": TOKEN}, home=tmp_path / "h", poll_delays=FAST
    )
    piece = both.resume(gid)
    assert piece.generation_id == gid and piece.model == "replicate/minimax/music-2.5" and piece.backend == "replicate"
