"""The emulator's tracing and cost headers, ids, polls and ``GET /v2/logs``, as the provider documents them.

Sources (``aimlapi/api-docs`` at f14fa72): ``docs/capabilities/request-tracing-and-cost.md``,
``docs/api-references/service-endpoints/usage-logs.md`` and ``logs-v2.json``, and the music-2.6
page's example answers.  The emulator runs on 127.0.0.1.
"""

from __future__ import annotations

import re
import time

import pytest
import requests

from music01_core.emulator import EmulatorServer
from music01_core.emulator.contract import CREDITS
from music01_core.settings import GENERATE_PATH, JOB_PATH
from tests.audiogen import KEY

pytestmark = pytest.mark.server
AUTH = {"Authorization": f"Bearer {KEY}"}
JOB = {"model": "minimax/music-2.6", "prompt": "warm lofi hip hop", "lyrics": "[Verse]\nhello moon"}
JOB_20 = {"model": "minimax/music-2.0", "prompt": "warm lofi hip hop", "lyrics": "[Verse]\nhello moon"}
NANOID = re.compile(r"[A-Za-z0-9_-]{21}")
ROW_FIELDS = {
    "created",
    "status",
    "origin",
    "model",
    "cost",
    "tokens",
    "request_id",
    "inference_id",
    "client_request_id",
}
# A fault sent in the header is answered after validation: a 503 means "the body passed".
ACCEPTED = {"X-Music01-Fault": "http:503"}


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-logs"), hang_s=2.0) as server:
        yield server


@pytest.fixture
def fresh(emu):
    emu.reset()
    return emu


def submit(emu, body=JOB, *, cid=None, fault=None, timeout=30):
    headers = dict(AUTH)
    if cid is not None:
        headers["X-Client-Request-Id"] = cid
    if fault is not None:
        headers["X-Music01-Fault"] = fault
    return requests.post(emu.url + JOB_PATH, json=body, headers=headers, timeout=timeout)


def logs(emu, params=(("period", "1h"),), *, headers=AUTH):
    return requests.get(emu.url + "/v2/logs", params=list(params), headers=headers, timeout=30)


def rows(emu, params=(("period", "1h"),)):
    r = logs(emu, params)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def poll_until_done(emu, gid, *, wait_s=90.0, seen=None):
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        r = requests.get(emu.url + JOB_PATH, params={"generation_id": gid}, headers=AUTH, timeout=30)
        assert r.status_code == 200, r.text
        body = r.json()
        if seen is not None:
            seen.append(body["status"])
        if body["status"] in ("completed", "error"):
            return r
        time.sleep(0.1)
    raise AssertionError(f"job {gid} did not finish")


# --- the submit's answer -------------------------------------------------------------------------


def test_the_submit_answer_carries_usage_and_the_tracing_and_cost_headers(fresh):
    r = submit(fresh, cid="order-8f21c4:a_b.c")
    assert r.status_code == 201
    body = r.json()
    credits = CREDITS["minimax/music-2.6"]
    # usd = credits / 2,000,000, the ratio of the provider's examples (390000 = $0.195).
    assert body["meta"] == {"usage": {"credits_used": credits, "usd_spent": pytest.approx(credits / 2_000_000)}}
    assert body["status"] == "queued" and r.headers["x-inference-id"] == body["id"]
    assert r.headers["x-client-request-id"] == "order-8f21c4:a_b.c"
    assert int(r.headers["x-aimlapi-credits-used"]) == credits
    assert float(r.headers["x-aimlapi-usd-spent"]) == pytest.approx(credits / 2_000_000)
    [row] = rows(fresh)
    assert set(row) == ROW_FIELDS
    assert row["status"] == "succeeded" and row["origin"] == "api" and row["model"] == "minimax/music-2.6"
    assert row["cost"] == {"usd": pytest.approx(credits / 2_000_000), "credits": credits}
    assert row["tokens"] == {"input": 0, "output": 0, "total": 0}
    assert row["inference_id"] == body["id"] and row["client_request_id"] == "order-8f21c4:a_b.c"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", row["created"])
    assert isinstance(row["request_id"], str) and row["request_id"]


@pytest.mark.parametrize(
    "cid", ["has space", "x" * 129, "ünï", "a/b", ""], ids=["space", "129", "unicode", "slash", "empty"]
)
def test_an_invalid_client_request_id_is_silently_dropped(fresh, cid):
    r = submit(fresh, cid=cid)
    assert r.status_code == 201, "a malformed header never fails the request"
    assert "x-client-request-id" not in r.headers and r.headers["x-inference-id"] == r.json()["id"]
    [row] = rows(fresh)
    assert row["client_request_id"] is None and row["status"] == "succeeded"


def test_the_longest_valid_client_request_id_is_echoed(fresh):
    cid = "A-z0.9_:" * 16
    assert len(cid) == 128
    assert submit(fresh, cid=cid).headers["x-client-request-id"] == cid


def test_a_failed_music01_generate_is_traced_and_logged_with_zero_cost(fresh):
    body = {"model": "music-01", "lyrics": "hello there", "refer_voice": "vocal-2025010100000000-a0AAAaaa"}
    r = requests.post(
        fresh.url + GENERATE_PATH,
        json=body,
        headers={**AUTH, "X-Client-Request-Id": "m01", "X-Music01-Fault": "http:503"},
        timeout=30,
    )
    assert r.status_code == 503 and r.headers["x-client-request-id"] == "m01" and r.headers["x-inference-id"]
    assert "x-aimlapi-credits-used" not in r.headers
    [row] = rows(fresh)
    assert row["model"] == "music-01" and row["status"] == "failed"
    assert row["cost"] == {"usd": 0, "credits": 0} and row["inference_id"] == r.headers["x-inference-id"]


# --- ids and polls -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emu_nano(tmp_path_factory):
    home = tmp_path_factory.mktemp("emu-nano")
    with EmulatorServer(key=KEY, home=home, id_style="nanoid", sparse_audio_file=True, poll_meta=False) as server:
        yield server


def test_nanoid_ids_and_a_sparse_completed_poll(emu_nano):
    r = submit(emu_nano, cid="nano-1")
    gid = r.json()["id"]
    assert NANOID.fullmatch(gid) and r.headers["x-inference-id"] == gid
    done = poll_until_done(emu_nano, gid)
    body = done.json()
    assert body["status"] == "completed" and set(body["audio_file"]) == {"url"} and "meta" not in body
    assert done.headers["x-inference-id"] == gid
    assert requests.get(body["audio_file"]["url"], timeout=30).content


def test_the_default_ids_and_polls_are_unchanged(fresh):
    gid = submit(fresh).json()["id"]
    assert re.fullmatch(r"[0-9a-f-]{36}:music-2\.6", gid)
    body = poll_until_done(fresh, gid).json()
    assert set(body["audio_file"]) == {"url", "content_type", "file_name", "file_size"}
    assert body["meta"]["usage"]["credits_used"] == CREDITS["minimax/music-2.6"]


def test_a_poll_with_an_id_the_provider_could_not_have_issued_gets_no_inference_id(fresh):
    r = requests.get(fresh.url + JOB_PATH, params={"generation_id": "not an id!"}, headers=AUTH, timeout=30)
    assert r.status_code == 404 and "x-inference-id" not in r.headers


def test_an_unknown_status_is_reported_for_a_few_polls_then_the_job_completes(fresh):
    fresh.faults(job=["job:unknown_status;polls=2"])
    gid = submit(fresh).json()["id"]
    seen = []
    poll_until_done(fresh, gid, seen=seen)
    assert seen[:2] == ["waiting_for_gpu", "waiting_for_gpu"] and seen[-1] == "completed"
    assert "waiting_for_gpu" not in seen[2:]


# --- GET /v2/logs: window, filters, paging -------------------------------------------------------


def test_logs_need_the_key(fresh):
    assert logs(fresh, headers={}).status_code == 401
    assert logs(fresh, headers={"Authorization": "Bearer wrong"}).status_code == 401


BAD_WINDOWS = {
    "neither": [],
    "both": [("period", "1h"), ("start", "2026-07-01T00:00:00Z"), ("end", "2026-07-02T00:00:00Z")],
    "start-only": [("start", "2026-07-01T00:00:00Z")],
    "end-only": [("end", "2026-07-01T00:00:00Z")],
    "zero-period": [("period", "0h")],
    "weeks": [("period", "2w")],
    "period-over-92-days": [("period", "93d")],
    "hours-over-92-days": [("period", "2209h")],
    "window-over-92-days": [("start", "2026-01-01T00:00:00Z"), ("end", "2026-04-03T00:00:01Z")],
    "end-before-start": [("start", "2026-07-02T00:00:00Z"), ("end", "2026-07-01T00:00:00Z")],
    "not-a-date": [("start", "yesterday"), ("end", "2026-07-01T00:00:00Z")],
}


@pytest.mark.parametrize("params", BAD_WINDOWS.values(), ids=BAD_WINDOWS.keys())
def test_a_bad_window_is_a_400_with_the_gateways_body(fresh, params):
    r = logs(fresh, params)
    assert r.status_code == 400
    assert set(r.json()) == {"message", "path", "requestId", "statusCode", "timestamp"}
    assert r.json()["path"] == "/v2/logs"


def test_good_windows(fresh):
    gid = submit(fresh).json()["id"]
    assert [r["inference_id"] for r in rows(fresh, [("period", "92d")])] == [gid]
    assert [r["inference_id"] for r in rows(fresh, [("period", "2208h")])] == [gid]
    assert rows(fresh, [("start", "2020-01-01T00:00:00"), ("end", "2020-01-02")]) == []
    # No offset means UTC; an explicit offset is honoured.
    now = time.gmtime()
    day = time.strftime("%Y-%m-%d", now)
    later = time.strftime("%Y-%m-%dT23:59:59", now)
    assert len(rows(fresh, [("start", day + "T00:00:00"), ("end", later)])) == 1
    assert len(rows(fresh, [("start", day + "T00:00:00+14:00"), ("end", later + "-12:00")])) == 1


def test_filters_repeat_params_and_the_comma_trick(fresh):
    a, b = submit(fresh, JOB).json()["id"], submit(fresh, JOB_20).json()["id"]
    failed = submit(fresh, JOB, fault="http:503")
    assert failed.status_code == 503
    ids = lambda params: {r["inference_id"] for r in rows(fresh, [("period", "1h"), *params])}  # noqa: E731
    assert ids([("model", "minimax/music-2.6")]) == {a, failed.headers["x-inference-id"]}
    assert ids([("model", "minimax/music-2.0")]) == {b}
    assert ids([("model", "minimax/music-2.6"), ("model", "minimax/music-2.0")]) == {
        a,
        b,
        failed.headers["x-inference-id"],
    }
    assert ids([("model", "music-2.0")]) == set(), "matched exactly"
    page = logs(fresh, [("period", "1h"), ("model", "minimax/music-2.6,minimax/music-2.0")])
    assert page.status_code == 200 and page.json() == {
        "data": [],
        "pagination": {"limit": 50, "offset": 0, "total": 0, "has_more": False},
    }
    assert ids([("status", "failed")]) == {failed.headers["x-inference-id"]}
    assert ids([("status", "succeeded")]) == {a, b}
    assert len(ids([("status", "succeeded"), ("status", "failed")])) == 3
    assert logs(fresh, [("period", "1h"), ("status", "succeeded,failed")]).status_code == 400
    assert logs(fresh, [("period", "1h"), ("status", "ok")]).status_code == 400
    assert ids([("key_prefix", KEY[:8])]) == {a, b, failed.headers["x-inference-id"]}
    assert logs(fresh, [("period", "1h"), ("key_prefix", "zzzz9999")]).status_code == 404


def test_paging_newest_first(fresh):
    sent = [submit(fresh, cid=f"page-{i}").json()["id"] for i in range(5)]
    seen, offset = [], 0
    pages = []
    while True:
        body = logs(fresh, [("period", "1h"), ("limit", "2"), ("offset", str(offset))]).json()
        pages.append(body["pagination"])
        seen += [r["inference_id"] for r in body["data"]]
        if not body["pagination"]["has_more"]:
            break
        offset += 2
    assert seen == sent[::-1], "newest first, each row once"
    assert [p["has_more"] for p in pages] == [True, True, False]
    assert all(p["total"] == 5 and p["limit"] == 2 for p in pages)
    created = [r["created"] for r in rows(fresh)]
    assert created == sorted(created, reverse=True)
    past = logs(fresh, [("period", "1h"), ("offset", "9")]).json()
    assert past["data"] == [] and past["pagination"]["has_more"] is False and past["pagination"]["total"] == 5


@pytest.mark.parametrize("limit,offset", [("0", "0"), ("101", "0"), ("2", "-1"), ("x", "0")])
def test_paging_limits(fresh, limit, offset):
    assert logs(fresh, [("period", "1h"), ("limit", limit), ("offset", offset)]).status_code == 400


def test_limit_bounds_are_accepted(fresh):
    for limit in ("1", "100"):
        assert logs(fresh, [("period", "1h"), ("limit", limit)]).json()["pagination"]["limit"] == int(limit)


def test_a_row_shows_only_after_the_lag(tmp_path):
    with EmulatorServer(key=KEY, home=tmp_path, logs_lag_s=1.5) as emu:
        gid = submit(emu).json()["id"]
        assert rows(emu) == [], "the analytics pipeline lags"
        time.sleep(1.7)
        assert [r["inference_id"] for r in rows(emu)] == [gid]


def test_more_than_200_calls_in_60_s_get_429(fresh):
    with requests.Session() as s:
        s.headers.update(AUTH)
        codes = [s.get(fresh.url + "/v2/logs", params={"period": "1h"}, timeout=30).status_code for _ in range(200)]
        assert set(codes) == {200}
        r = s.get(fresh.url + "/v2/logs", params={"period": "1h"}, timeout=30)
    assert r.status_code == 429 and r.json()["path"] == "/v2/logs"


def test_the_rate_window_slides(tmp_path):
    with EmulatorServer(key=KEY, home=tmp_path, logs_rate_limit=3, logs_rate_window_s=0.6) as emu:
        assert [logs(emu).status_code for _ in range(4)] == [200, 200, 200, 429]
        time.sleep(0.7)
        assert logs(emu).status_code == 200


def test_logs_faults(fresh):
    for _ in range(3):
        submit(fresh)
    fresh.faults(logs=["http:503", "malformed"])
    assert logs(fresh).status_code == 503
    bent = logs(fresh).json()["data"]
    assert len(bent) == 3
    assert all(
        not ROW_FIELDS <= set(r) or not isinstance(r["status"], str) or not isinstance(r["created"], str) for r in bent
    )
    assert len(rows(fresh)) == 3 and all(set(r) == ROW_FIELDS for r in rows(fresh))


def test_the_key_appears_in_no_row_or_answer(fresh):
    submit(fresh, cid="k1")
    submit(fresh, fault="http:500")
    for r in (logs(fresh), logs(fresh, [])):
        assert KEY not in r.text and KEY not in str(r.headers)


# --- failed and lost submits ---------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 502, 503])
def test_a_5xx_submit_creates_no_job_and_is_a_failed_row(fresh, status):
    r = submit(fresh, cid=f"fail-{status}", fault=f"http:{status}")
    assert r.status_code == status
    assert fresh.stats()["submits"] == []
    [row] = rows(fresh)
    assert row["status"] == "failed" and row["cost"] == {"usd": 0, "credits": 0}
    assert row["client_request_id"] == f"fail-{status}" and row["inference_id"] == r.headers["x-inference-id"]


@pytest.mark.parametrize("fault", ["lost:reset", "lost:hang", "lost:504"])
def test_a_lost_submit_answer_leaves_one_billed_job_findable_by_client_request_id(fresh, fault):
    cid = f"order-{fault.replace(':', '-')}"
    fresh.faults(submit=[fault])
    if fault == "lost:504":
        r = submit(fresh, cid=cid)
        assert r.status_code == 504 and set(r.json()) == {"message", "path", "requestId", "statusCode", "timestamp"}
    else:
        err = requests.ConnectionError if fault == "lost:reset" else requests.ReadTimeout
        with pytest.raises(err):
            submit(fresh, cid=cid, timeout=(5, 0.5))
    assert fresh.stats()["methods"][f"POST {JOB_PATH}"] == 1
    assert len(fresh.stats()["submits"]) == 1, "exactly one job was created"
    # The client matches client_request_id on its side (the endpoint has no filter for it).
    [row] = [r for r in rows(fresh) if r["client_request_id"] == cid]
    assert row["status"] == "succeeded" and row["cost"]["credits"] == CREDITS["minimax/music-2.6"]
    assert row["inference_id"] == fresh.stats()["submits"][0]["id"]
    assert poll_until_done(fresh, row["inference_id"]).json()["status"] == "completed"
    if fault == "lost:hang":
        time.sleep(2.2)  # the hung answer ends; nothing else was created
        assert len(fresh.stats()["submits"]) == 1 and len(rows(fresh)) == 1


# --- text lengths as the JavaScript gateway counts them -----------------------------------------


def test_lengths_are_counted_in_utf16_code_units(fresh):
    limit = 300  # minimax/music-1.5's prompt maxLength
    body = {"model": "minimax/music-1.5", "lyrics": "[Verse]\nhello moon"}
    at = requests.post(
        fresh.url + JOB_PATH, json={**body, "prompt": "🎵" * (limit // 2)}, headers={**AUTH, **ACCEPTED}, timeout=30
    )
    assert at.status_code == 503, at.text
    past = requests.post(
        fresh.url + JOB_PATH, json={**body, "prompt": "🎵" * (limit // 2 + 1)}, headers=AUTH, timeout=30
    )
    assert past.status_code == 400 and "shorter than or equal to 300" in str(past.json()["message"])
