"""The job path (submit → pending record → poll → download → save) against mocked HTTP."""

import json
from pathlib import Path

import pytest
import requests
import responses

from music01_core import errors as E
from music01_core.backends.api import ApiBackend
from music01_core.backends.base import MusicRequest
from music01_core.history import History
from music01_core.settings import JOB_PATH
from tests.audiogen import KEY

BASE = "https://api.example.test"
URL = BASE + JOB_PATH
CDN = "https://cdn.example.test/music/abc.mp3"
GID = "906aec79-1111-2222-3333-444455556666:music-2.6"
REQ = MusicRequest(model="minimax/music-2.6", prompt="warm lofi hip hop", lyrics="[Verse]\nhello moon\nhello sky")


class FakeTime:
    """A clock that moves only when the code sleeps."""

    def __init__(self):
        self.now_s = 0.0
        self.sleeps = []

    def sleep(self, s):
        self.sleeps.append(s)
        self.now_s += s

    def now(self):
        return self.now_s


@pytest.fixture
def clock():
    return FakeTime()


@pytest.fixture
def api(tmp_path, clock):
    return ApiBackend(
        api_key=KEY,
        base_url=BASE,
        home=tmp_path / "home",
        sleep=clock.sleep,
        clock=clock.now,
        backoff_s=0.5,
        poll_delays=lambda: iter([2.0] * 10_000),
        log_waits_s=(0.0, 1.0),  # two looks in the usage log, on the fake clock
    )


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory):
    from tests.audiogen import tone, write_audio

    return write_audio(tmp_path_factory.mktemp("a") / "g.mp3", tone(3.0), 44100).read_bytes()


def done(audio, **extra):
    return {
        "id": GID,
        "status": "completed",
        "audio_file": {"url": CDN, "file_size": len(audio), **extra},
        "meta": {"usage": {"credits_used": 84000, "usd_spent": 0.06}},
    }


def posts():
    return [c for c in responses.calls if c.request.method == "POST"]


def no_key_anywhere(home: Path):
    for f in home.rglob("*"):
        if f.is_file():
            assert KEY.encode() not in f.read_bytes(), f"the key leaked into {f}"


@responses.activate
def test_submit_poll_download_save(api, mp3_bytes, tmp_path):
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    seen_pending = []

    def poll_cb(request):
        # The id is on disk before the first poll, with everything but the key.
        seen_pending.append(History(api.home).get_pending(GID))
        n = len(seen_pending)
        return (
            200,
            {},
            json.dumps(
                {"id": GID, "status": "queued"}
                if n == 1
                else {"id": GID, "status": "generating"}
                if n == 2
                else done(mp3_bytes)
            ),
        )

    responses.add_callback(responses.GET, URL, callback=poll_cb)
    responses.get(CDN, body=mp3_bytes)
    statuses = []
    r = api.make(REQ, on_status=lambda s, t: statuses.append(s))
    job = seen_pending[0]
    assert job is not None and job.model == "minimax/music-2.6" and job.prompt == "warm lofi hip hop"
    assert job.audio_setting == {"audio_sample_rate": 44100, "bitrate": 256000, "format": "mp3"}
    assert statuses[0] == "queued" and "generating" in statuses and statuses[-1] == "completed"
    assert len(posts()) == 1
    body = json.loads(posts()[0].request.body)
    assert body["model"] == "minimax/music-2.6" and body["audio_setting"]["audio_sample_rate"] == 44100
    polls = [c for c in responses.calls if c.request.method == "GET" and c.request.url.startswith(URL)]
    assert all("generation_id=906aec79-1111-2222-3333-444455556666%3Amusic-2.6" in c.request.url for c in polls)
    cdn = [c for c in responses.calls if c.request.url == CDN]
    assert len(cdn) == 1 and "Authorization" not in cdn[0].request.headers
    assert r.generation_id == GID and r.credits_used == "84000" and r.model == "minimax/music-2.6"
    entry = History(api.home).list()[0]
    assert entry.generation_id == GID and Path(entry.audio_path).read_bytes() == mp3_bytes == r.audio
    assert History(api.home).pending() == []
    no_key_anywhere(api.home)


LOGS = BASE + "/v2/logs"


def logs_page(*rows, has_more=False, offset=0):
    return {
        "data": list(rows),
        "pagination": {"limit": 100, "offset": offset, "total": len(rows), "has_more": has_more},
    }


def log_row(crid, *, status="succeeded", inference_id=GID, credits=84000):
    return {
        "created": "2026-12-06T10:00:00.000Z",
        "status": status,
        "origin": "api",
        "model": "minimax/music-2.6",
        "cost": {"usd": credits / 2_000_000, "credits": credits if status == "succeeded" else 0},
        "tokens": {"input": 0, "output": 0, "total": 0},
        "request_id": "req-1",
        "inference_id": inference_id,
        "client_request_id": crid,
    }


def lose_the_answer(failure):
    if failure == "timeout":
        responses.post(URL, body=requests.exceptions.ReadTimeout("read timed out"))
    elif failure == "reset":
        responses.post(URL, body=requests.exceptions.ConnectionError("Connection reset by peer"))
    else:
        responses.post(URL, status=int(failure[4:]), json={"message": "boom", "statusCode": failure[4:]})


def sent_crid():
    return posts()[0].request.headers["X-Client-Request-Id"]


@pytest.mark.parametrize("failure", ["timeout", "reset", "http500", "http504"])
@responses.activate
def test_submit_is_never_resent_once_it_may_have_arrived(api, failure):
    lose_the_answer(failure)
    responses.get(LOGS, json=logs_page())  # the log does not list it (yet)
    with pytest.raises(E.JobPendingError) as exc:
        api.make(REQ)
    assert len(posts()) == 1 and exc.value.status == "answer lost"
    assert "not sent again" in str(exc.value) and "usage log does not list it yet" in str(exc.value)
    # The record stays: the request can still be found, never re-sent.
    (rec,) = History(api.home).pending()
    assert rec.state == "lost" and rec.answer_lost and rec.client_request_id == sent_crid()
    assert rec.model == "minimax/music-2.6" and rec.prompt == "warm lofi hip hop"
    no_key_anywhere(api.home)


@responses.activate
def test_a_lost_answer_found_in_the_logs_is_followed_and_saved_without_a_second_submit(api, mp3_bytes):
    lose_the_answer("timeout")
    calls = []

    def logs_cb(request):
        calls.append(request.url)
        # The analytics pipeline lags: the row shows up on the second look.
        rows = [] if len(calls) == 1 else [log_row("someone-else"), log_row(sent_crid())]
        return 200, {}, json.dumps(logs_page(*rows))

    responses.add_callback(responses.GET, LOGS, callback=logs_cb)
    responses.get(URL, json=done(mp3_bytes) | {"meta": None})
    responses.get(CDN, body=mp3_bytes)
    r = api.make(REQ)
    assert len(posts()) == 1 and len(calls) == 2 and "model=minimax%2Fmusic-2.6" in calls[0]
    assert r.generation_id == GID and r.client_request_id == sent_crid() and r.credits_used == "84000"
    assert History(api.home).pending() == [] and History(api.home).find_generation(GID) is not None


@responses.activate
def test_a_lost_answer_the_logs_show_failed_was_not_billed_and_the_record_closes(api):
    lose_the_answer("http500")
    responses.add_callback(
        responses.GET,
        LOGS,
        callback=lambda req: (200, {}, json.dumps(logs_page(log_row(sent_crid(), status="failed")))),
    )
    with pytest.raises(E.JobError, match="it was not billed and nothing was made"):
        api.make(REQ)
    assert len(posts()) == 1 and History(api.home).pending() == []


@responses.activate
def test_a_logs_endpoint_that_refuses_keeps_the_record_and_says_why(api, mp3_bytes):
    lose_the_answer("reset")
    responses.get(LOGS, status=429, json={"message": "Too many requests", "statusCode": 429})
    with pytest.raises(E.JobPendingError, match="usage log could not be read") as exc:
        api.make(REQ)
    lost = exc.value.generation_id
    assert len(posts()) == 1 and [j.state for j in History(api.home).pending()] == ["lost"]
    # Later the log lists it: resume follows it, still without a second submit.
    responses.replace(responses.GET, LOGS, json=logs_page(log_row(sent_crid())))
    responses.get(URL, json=done(mp3_bytes))
    responses.get(CDN, body=mp3_bytes)
    r = api.resume(lost)
    assert r.generation_id == GID and len(posts()) == 1 and History(api.home).pending() == []


@responses.activate
def test_the_submit_carries_a_client_request_id_and_its_answer_gives_the_cost(api, mp3_bytes):
    responses.post(
        URL,
        status=201,
        json={"id": GID, "status": "queued", "meta": {"usage": {"credits_used": 390000, "usd_spent": 0.195}}},
        headers={"x-inference-id": GID},
    )
    responses.get(  # no meta, url only; the poll's trace_id and extra_info are kept
        URL,
        json={
            "id": GID,
            "status": "completed",
            "audio_file": {"url": CDN},
            "trace_id": "t-42",
            "extra_info": {"music_duration": 3000},
        },
    )
    responses.get(CDN, body=mp3_bytes)
    r = api.make(REQ)
    crid = sent_crid()
    assert 1 <= len(crid) <= 128 and all(c.isalnum() or c in "._:-" for c in crid)
    assert r.credits_used == "390000" and r.usd_spent == "0.195" and r.client_request_id == crid
    assert r.inference_id == GID and r.format == "mp3"
    assert r.trace_id == "t-42" and r.extra_info == {"music_duration": 3000}
    entry = History(api.home).find_generation(GID)
    assert entry.credits_used == "390000" and entry.client_request_id == crid


@responses.activate
def test_a_status_outside_the_documented_enum_ends_the_wait_with_the_job_kept(api):
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    responses.get(URL, json={"id": GID, "status": "waiting_for_gpu"})
    with pytest.raises(E.JobPendingError, match="waiting_for_gpu"):
        api.make(REQ)
    assert [j.status for j in History(api.home).pending()] == ["waiting_for_gpu"]


@responses.activate
def test_submit_rejected_with_429_is_retried_honouring_retry_after(api, clock, mp3_bytes):
    responses.post(URL, status=429, json={"message": "Too many requests"}, headers={"Retry-After": "7"})
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    responses.get(URL, json=done(mp3_bytes))
    responses.get(CDN, body=mp3_bytes)
    api.make(REQ)
    assert len(posts()) == 2 and 7.0 in clock.sleeps


@responses.activate
def test_failed_polls_are_polled_again_never_resubmitted(api, clock, mp3_bytes):
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    responses.get(URL, status=503, json={"message": "Service unavailable"})
    responses.get(URL, body=requests.exceptions.ConnectionError("reset"))
    responses.get(URL, body="<html>oops</html>", status=200)
    responses.get(URL, status=429, json={"message": "slow down"}, headers={"Retry-After": "5"})
    responses.get(URL, json=done(mp3_bytes))
    responses.get(CDN, body=mp3_bytes)
    r = api.make(REQ)
    assert r.audio == mp3_bytes and len(posts()) == 1 and 5.0 in clock.sleeps


@responses.activate
def test_job_error_carries_the_servers_name_and_message(api):
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    responses.get(
        URL, json={"id": GID, "status": "error", "error": {"name": "ContentPolicy", "message": "lyrics rejected"}}
    )
    with pytest.raises(E.JobFailedError, match="ContentPolicy: lyrics rejected") as exc:
        api.make(REQ)
    assert exc.value.generation_id == GID and exc.value.error_name == "ContentPolicy"
    assert History(api.home).get_pending(GID).state == "failed"


@responses.activate
def test_wait_runs_out_then_resume_fetches_without_submitting(api, clock, mp3_bytes, tmp_path):
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    responses.get(URL, json={"id": GID, "status": "generating"})
    with pytest.raises(E.JobPendingError, match="still running at the provider.*resume") as exc:
        api.make(REQ, wait_s=30)
    assert exc.value.generation_id == GID and "failed" not in str(exc.value)
    assert [j.generation_id for j in History(api.home).pending()] == [GID]
    # A new process (a new backend on the same home) resumes it.
    responses.replace(responses.GET, URL, json=done(mp3_bytes))
    responses.get(CDN, body=mp3_bytes)
    again = ApiBackend(
        api_key=KEY,
        base_url=BASE,
        home=api.home,
        sleep=clock.sleep,
        clock=clock.now,
        poll_delays=lambda: iter([1.0] * 100),
    )
    r = again.resume(GID)
    assert r.audio == mp3_bytes and len(posts()) == 1 and History(api.home).pending() == []
    assert again.resume(GID).history_id == r.history_id  # already saved: nothing is fetched again


@responses.activate
def test_stuck_polls_failing_end_as_pending_not_failed(api):
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    responses.get(URL, status=502, json={"message": "Bad gateway"})
    with pytest.raises(E.JobPendingError, match="did not answer the status checks"):
        api.make(REQ)
    assert History(api.home).get_pending(GID).state == "pending" and len(posts()) == 1


@pytest.mark.parametrize(
    "case,cls,match",
    [
        ("size", E.BadAudioError, "cut short or damaged"),
        ("notaudio", E.BadAudioError, "does not decode"),
        ("expired", E.ResultExpiredError, "expired"),
    ],
)
@responses.activate
def test_download_faults(api, mp3_bytes, case, cls, match):
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    if case == "size":
        responses.get(URL, json=done(mp3_bytes, file_size=len(mp3_bytes) + 1000))
        responses.get(CDN, body=mp3_bytes)
    elif case == "notaudio":
        responses.get(URL, json={**done(b"x" * 500), "audio_file": {"url": CDN}})
        responses.get(CDN, body=b"<html>not audio</html>" * 20)
    else:
        responses.get(URL, json=done(mp3_bytes))
        responses.get(CDN, status=403, body="<Error><Code>AccessDenied</Code></Error>")
    with pytest.raises(cls, match=match):
        api.make(REQ)
    assert History(api.home).list() == [], "no partial or wrong file may be saved"
    job = History(api.home).get_pending(GID)
    assert job is not None and (job.state == "failed") == (case == "expired")
    assert len(posts()) == 1


@responses.activate
def test_unknown_id_is_said_plainly(api):
    responses.get(URL, status=404, json={"message": "Generation not found", "statusCode": 404})
    with pytest.raises(E.JobNotFoundError, match="does not know this job"):
        api.resume("nope:minimax-music")


@responses.activate
def test_music01_retired_says_which_model_replaces_it(api):
    from music01_core.settings import GENERATE_PATH

    responses.post(
        BASE + GENERATE_PATH,
        status=400,
        json={
            "message": ["model must be one of the following values: minimax-music, minimax/music-2.6"],
            "statusCode": 400,
        },
    )
    with pytest.raises(E.ModelRetiredError, match="retired music-01.*Choose minimax-music"):
        api.generate("##hello##", voice_id="vocal-2025011003141025-d5ZEMxmp")


def test_url_only_model_without_a_way_in_names_the_three_ways(api, make_audio):
    from music01_core.references import reference_from_file

    ref = reference_from_file(make_audio("ref20.mp3", 20.0), model="minimax-music")
    with pytest.raises(E.NoReferenceRouteError, match=r"\(1\).*URL.*\(2\).*music-cover.*\(3\).*MUSIC01_PUBLIC_URL"):
        api.make(MusicRequest(model="minimax-music", lyrics="##hello##", reference=ref))


@responses.activate
def test_cover_sends_base64_and_history_keeps_only_its_hash(api, make_audio, mp3_bytes):
    from music01_core.references import reference_from_file

    ref = reference_from_file(make_audio("ref8.mp3", 8.0), model="minimax/music-cover")
    responses.post(URL, status=201, json={"id": GID, "status": "queued"})
    responses.get(URL, json=done(mp3_bytes))
    responses.get(CDN, body=mp3_bytes)
    api.make(MusicRequest(model="minimax/music-cover", prompt="quiet jazz with brushes", reference=ref))
    sent = json.loads(posts()[0].request.body)["reference_audio_url"]
    assert sent.startswith("data:audio/mpeg;base64,")
    rec = (Path(History(api.home).list()[0].audio_path).parent / "record.json").read_text()
    assert "base64" in rec and sent[30:90] not in rec and ref.sha256 in rec


def test_a_job_finished_twice_is_saved_once(tmp_path, mp3_bytes):
    from music01_core.backends.base import GenerationResult

    h = History(tmp_path)
    r = GenerationResult(
        audio=mp3_bytes,
        format="mp3",
        sample_rate=44100,
        bitrate=0,
        channels=2,
        duration_s=3.0,
        voice_id=None,
        instrumental_id=None,
        backend="api",
        trace_id="",
        seed=None,
        lyrics="",
        model="minimax/music-2.6",
        generation_id=GID,
    )
    first, second = h.save(r), h.save(r)
    assert first.id == second.id and len(h.list()) == 1


@responses.activate
def test_a_malformed_log_row_never_closes_the_record_as_not_billed(api):
    lose_the_answer("reset")
    responses.add_callback(
        responses.GET,
        LOGS,
        callback=lambda req: (200, {}, json.dumps(logs_page(log_row(sent_crid()) | {"status": None}))),
    )
    with pytest.raises(E.JobPendingError, match="no readable status"):
        api.make(REQ)
    assert len(posts()) == 1 and [j.state for j in History(api.home).pending()] == ["lost"]
