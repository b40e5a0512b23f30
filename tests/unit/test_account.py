"""The balance and the spend report, pure: words and credits, the window, and the history beside made-up log rows.

The adapter's readers of ``GET /v2/billing`` and ``GET /v2/logs`` are checked against mocked HTTP
(``responses``): paging by ``offset`` until ``has_more`` is false, a 429 waited out, answers that are
not the documented ones refused.
"""

from __future__ import annotations

import json
import time

import pytest
import responses

from music01_core import errors as E
from music01_core.account import (
    Balance,
    LogRow,
    ShortBalanceError,
    credits_of,
    money,
    parse_since,
    reconcile,
)
from music01_core.history import HistoryEntry, PendingJob
from music01_core.lyrics_writer import ChatCall
from music01_core.pricing import Price
from music01_core.providers.aimlapi import JobClient
from music01_core.settings import BILLING_PATH, CREDITS_PER_USD, LOGS_PATH

NOW = 1_800_000_000.0  # a fixed clock
BASE = "https://api.example.test"
KEY = "sk-test-LEAKCHECK-0123456789abcdef"


def _hhmm(t: float) -> str:
    return time.strftime("%H:%M", time.localtime(t))


def _iso(t: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def _entry(name: str, *, ago_s: float = 60.0, backend: str = "api", usd="0.042", credits="84000", **ids):
    return HistoryEntry(
        format="mp3",
        sample_rate=44100,
        bitrate=256000,
        duration_s=30.0,
        backend=backend,
        model="minimax/music-2.6",
        id=f"20260101T000000-{name:0>8}"[:24],
        created=NOW - ago_s,
        bytes=1000,
        audio_file="a.mp3",
        usd_spent=usd,
        credits_used=credits,
        **ids,
    )


def _row(
    inference_id, *, usd=0.042, credits=84000, status="succeeded", cid=None, ago_s=60.0, model="minimax/music-2.6"
):
    return {
        "created": _iso(NOW - ago_s),
        "status": status,
        "origin": "api",
        "model": model,
        "cost": {"usd": usd if status == "succeeded" else 0, "credits": credits if status == "succeeded" else 0},
        "tokens": {"input": 0, "output": 0, "total": 0},
        "request_id": f"req-{inference_id}",
        "inference_id": inference_id,
        "client_request_id": cid,
    }


# --- words and credits -------------------------------------------------------------------------------


def test_credits_are_the_providers_own_rate():
    # The music-2.6 page: 390,000 credits = $0.195; its reference example: 120,000 = $0.06.
    assert CREDITS_PER_USD == 2_000_000
    assert credits_of(0.195) == 390_000 and credits_of(0.06) == 120_000
    assert money(12.34) == "$12.34" and money(0.1) == "$0.10" and money(0.195) == "$0.195" and money(0.042) == "$0.042"
    assert money(1234.5) == "$1,234.50" and money(-0.5) == "-$0.50"


def test_balance_words_say_dollars_credits_source_and_time():
    b = Balance(usd=12.34, currency="USD", checked_at=NOW, service="aimlapi")
    assert b.credits == 24_680_000
    assert b.words(now=NOW) == f"$12.34 (24,680,000 credits) · AI/ML API balance, checked {_hhmm(NOW)}"
    day_before = b.words(now=NOW + 86400)
    assert time.strftime("%Y-%m-%d", time.localtime(NOW)) in day_before
    d = b.to_dict()
    assert d["usd"] == 12.34 and d["credits"] == 24_680_000 and d["currency"] == "USD" and d["service"] == "aimlapi"
    json.dumps(d)
    other = Balance(usd=5.0, currency="EUR", checked_at=NOW)
    assert other.amount() == "5.00 EUR" and other.to_dict()["credits"] is None


def test_short_balance_error_gives_both_figures_and_what_to_do():
    price = Price(0.195, source="provider's list", detail="checked 10:42")
    err = ShortBalanceError(Balance(0.10, "USD", NOW), price)
    assert isinstance(err, E.InsufficientCreditsError) and not err.may_be_billed
    assert str(err) == (
        "balance $0.10 (200,000 credits) is below this piece's price ≈ $0.195 (390,000 credits) a piece · "
        "provider's list, checked 10:42: top up at https://aimlapi.com/app/billing or choose a cheaper model; "
        "nothing was sent."
    )
    assert err.balance.usd == 0.10 and err.price is price


# --- the window ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "period", "seconds"),
    [("24h", "24h", 86400), ("7d", "7d", 7 * 86400), (" 7D ", "7d", 7 * 86400), ("92d", "92d", 92 * 86400)],
)
def test_since_is_the_logs_period(given, period, seconds):
    assert parse_since(given) == (period, seconds)


@pytest.mark.parametrize("bad", ["", "24", "0h", "-1d", "1w", "1.5h", "93d", "2209h", "yesterday", None])
def test_a_bad_window_says_what_to_type(bad):
    with pytest.raises(E.InputError, match=r"such as 24h or 7d \(at most 92d\)") as info:
        parse_since(bad)
    assert isinstance(info.value, ValueError)


# --- the log's rows -----------------------------------------------------------------------------------


def test_a_row_is_read_as_documented_and_an_unreadable_one_is_none():
    r = LogRow.from_api(_row("inf-1", cid="music01-x"))
    assert r.created == NOW - 60 and r.usd == 0.042 and r.credits == 84000 and r.billed
    assert r.inference_id == "inf-1" and r.client_request_id == "music01-x"
    only_credits = LogRow.from_api({**_row("inf-2"), "cost": {"credits": 390000}})
    assert only_credits.usd == pytest.approx(0.195)
    assert LogRow.from_api({**_row("inf-3"), "cost": None}) is None
    assert LogRow.from_api({**_row("inf-4"), "status": None}) is None
    assert LogRow.from_api("not a row") is None
    assert LogRow.from_api({**_row("inf-5"), "created": 12345}).created is None


# --- the reconciliation -------------------------------------------------------------------------------


@pytest.fixture
def report():
    entries = [
        _entry("a", generation_id="gen-A:music-2.6", inference_id="gen-A:music-2.6"),
        # music-01's answer has no generation id: its row is found by the request id music01 sent.
        _entry(
            "b",
            generation_id=None,
            inference_id="inf-B-local",
            client_request_id="music01-bbb",
            usd="0.0003",
            credits="600",
        ),
        _entry("c", generation_id="gen-C", inference_id="inf-C"),
        _entry("d", ago_s=120.0, generation_id="gen-D"),  # no row yet: the log lags
        _entry("e", backend="offline", generation_id=None),  # the offline engine bills nothing
        _entry("g", ago_s=10 * 86400, generation_id="gen-G"),  # outside the window
        _entry("h", generation_id="gen-H", usd=None, credits=None),  # an answer that carried no cost
    ]
    open_jobs = [
        PendingJob(generation_id="gen-P", model="minimax/music-2.6", created=NOW - 30, base_url=BASE, key_fp="fp"),
        PendingJob(
            generation_id="sent-music01-lll:minimax/music-2.6",
            model="minimax/music-2.6",
            created=NOW - 20,
            base_url=BASE,
            key_fp="fp",
            state="lost",
            client_request_id="music01-lll",
        ),
    ]
    rows = [
        _row("gen-A:music-2.6", cid="music01-aaa"),
        _row("inf-B-provider", usd=0.000315, credits=630, cid="music01-bbb"),
        _row("inf-C"),
        _row("gen-H", usd=0.195, credits=390000),
        _row("gen-P"),
        _row("gen-L", cid="music01-lll"),
        _row("gen-X:music-2.6", ago_s=300),  # made elsewhere: submit…
        _row("gen-X:music-2.6", usd=0, credits=0, ago_s=290),  # …and a zero-cost row of the same generation
        _row("gen-Y", usd=0.015, credits=30000, ago_s=400, model="minimax/music-2.0"),
        _row("gen-F", status="failed"),  # failed: billed nothing, never "made elsewhere"
        {**_row("gen-Z"), "cost": "lots"},  # unreadable
    ]
    return reconcile(entries, rows, since="24h", open_jobs=open_jobs, checked_at=NOW)


def test_each_piece_is_matched_to_its_row_by_the_id_that_names_it(report):
    by = {x.history_id or x.generation_id: x for x in report.matched}
    assert by["20260101T000000-0000000a"].matched_by == "generation id"
    assert by["20260101T000000-0000000b"].matched_by == "client request id"
    assert by["20260101T000000-0000000c"].matched_by == "inference id"
    b = by["20260101T000000-0000000b"]
    assert (b.local_usd, b.provider_usd, b.provider_credits) == (0.0003, 0.000315, 630)
    a = by["20260101T000000-0000000a"]
    assert (a.local_usd, a.local_credits, a.provider_usd, a.provider_credits) == (0.042, 84000, 0.042, 84000)
    h = by["20260101T000000-0000000h"]
    assert h.local_usd is None and h.provider_usd == 0.195


def test_open_jobs_here_are_known_and_a_lost_answer_gets_its_id_from_the_log(report):
    opened = {x.generation_id: x for x in report.matched if x.state == "open"}
    assert set(opened) == {"gen-P", "gen-L"}
    assert opened["gen-L"].matched_by == "client request id" and opened["gen-P"].matched_by == "generation id"


def test_rows_no_record_knows_are_listed_once_per_generation(report):
    assert [r.inference_id for r in report.unknown] == ["gen-X:music-2.6", "gen-Y"]  # newest first
    x = report.unknown[0]
    assert x.rows == 2 and x.usd == 0.042 and x.credits == 84000 and x.created == NOW - 300
    assert report.failed_rows == 1 and report.unreadable_rows == 1


def test_pieces_without_a_row_are_said_and_old_or_offline_ones_are_not(report):
    assert [x.history_id for x in report.not_logged] == ["20260101T000000-0000000d"]


def test_totals_of_both_sides(report):
    # Here: the saved pieces A, B, C, D (H reported no cost); open jobs are not saved pieces.
    assert report.local_usd == pytest.approx(0.042 + 0.0003 + 0.042 + 0.042)
    assert report.local_credits == pytest.approx(84000 + 600 + 84000 + 84000)
    assert report.unpriced == 1
    # The log: every billed row, matched or not (A, B, C, H, P, L, X, Y).
    assert report.provider_usd == pytest.approx(0.042 * 5 + 0.000315 + 0.195 + 0.015)
    assert report.provider_credits == pytest.approx(84000 * 5 + 630 + 390000 + 30000)
    d = report.to_dict()
    json.dumps(d)
    assert d["totals"]["local"]["pieces"] == 5 and d["totals"]["provider"]["generations"] == 8
    assert d["unknown"][0]["generation_id"] == "gen-X:music-2.6" and d["since"] == "24h"
    assert {x["state"] for x in d["matched"]} == {"saved", "open"}


def test_the_report_reads_as_a_table_with_resume_hints(report):
    text = "\n".join(report.lines(now=NOW))
    assert "billed on this key but not in your history (2):" in text
    assert "gen-X:music-2.6" in text and "fetch one with: music01 resume <id>" in text
    assert "$0.042 (84,000 credits)  gen-X:music-2.6" in text
    assert "made here, no row in the provider's log yet, or made with another key (1):" in text
    assert "lags a few minutes" in text
    assert "total here: $0.1263 (252,600 credits) for 5 pieces (1 with no cost reported)" in text
    assert "total in the provider's log: $0.420315 (840,630 credits) for 8 generations · 1 failed request" in text
    assert "not saved yet: music01 resume gen-P" in text
    assert "1 row(s) of the log could not be read" in text


def test_an_unlogged_piece_older_than_the_lag_may_be_another_keys():
    report = reconcile([_entry("q", ago_s=3600, generation_id="gen-Q")], [], since="7d", checked_at=NOW)
    assert "likely made with another key" in "\n".join(report.lines(now=NOW))
    assert report.provider_usd == 0 and report.unknown == () and report.matched == ()


def test_reconcile_refuses_a_bad_window():
    with pytest.raises(E.InputError):
        reconcile([], [], since="a fortnight")


# --- the adapter's readers, against mocked HTTP ------------------------------------------------------


class _Key:
    def reveal(self) -> str:
        return KEY


def _client(sleeps: list) -> JobClient:
    import requests

    return JobClient(BASE, _Key(), session=requests.Session(), sleep=sleeps.append, backoff_s=0.01, max_backoff_s=0.05)


@responses.activate
def test_balance_reads_the_documented_answer_with_a_short_timeout_and_the_key():
    responses.get(BASE + BILLING_PATH, json={"current_balance": 12.34, "currency": "USD"})
    assert _client([]).balance(timeout=(2.0, 4.0)) == (12.34, "USD")
    assert responses.calls[0].request.headers["Authorization"] == f"Bearer {KEY}"
    assert responses.calls[0].request.req_kwargs["timeout"] == (2.0, 4.0)


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (401, {"message": "Unauthorized", "statusCode": 401}, E.AuthenticationError),
        (503, {"message": "down"}, E.ServerError),
        (200, {"current_balance": "12.34", "currency": "USD"}, E.ProtocolError),
        (200, {"currency": "USD"}, E.ProtocolError),
    ],
)
def test_balance_refusals_and_odd_answers_are_errors(status, body, error):
    responses.get(BASE + BILLING_PATH, status=status, json=body)
    with pytest.raises(error) as info:
        _client([]).balance()
    assert KEY not in str(info.value)


@responses.activate
def test_logs_pages_by_offset_until_has_more_is_false_and_waits_out_a_429():
    sleeps: list = []
    pages = [
        {"data": [_row(f"g{i}") for i in range(100)], "pagination": {"limit": 100, "offset": 0, "has_more": True}},
        {
            "data": [_row(f"g{i}") for i in range(100, 200)],
            "pagination": {"limit": 100, "offset": 100, "has_more": True},
        },
        {"data": [_row("g200")], "pagination": {"limit": 100, "offset": 200, "has_more": False}},
    ]
    responses.get(BASE + LOGS_PATH, json=pages[0])
    responses.get(BASE + LOGS_PATH, status=429, json={"message": "Too many requests"}, headers={"Retry-After": "0.01"})
    responses.get(BASE + LOGS_PATH, json=pages[1])
    responses.get(BASE + LOGS_PATH, json=pages[2])
    rows, complete = _client(sleeps).logs(period="24h")
    assert complete and [r["inference_id"] for r in rows] == [f"g{i}" for i in range(201)]
    offsets = [c.request.params["offset"] for c in responses.calls]
    assert offsets == ["0", "100", "100", "200"]
    assert all(c.request.params["limit"] == "100" and c.request.params["period"] == "24h" for c in responses.calls)
    assert len(sleeps) == 1


@responses.activate
def test_logs_stop_at_max_pages_and_say_so_and_a_lasting_429_is_raised():
    more = {"data": [_row("g")], "pagination": {"limit": 100, "offset": 0, "has_more": True}}
    responses.get(BASE + LOGS_PATH, json=more)
    rows, complete = _client([]).logs(period="7d", max_pages=3)
    assert len(rows) == 3 and complete is False
    responses.reset()
    responses.get(BASE + LOGS_PATH, status=429, json={"message": "Too many requests"})
    sleeps: list = []
    with pytest.raises(E.RateLimitError):
        _client(sleeps).logs(period="7d", rate_retries=2)
    assert len(responses.calls) == 3 and len(sleeps) == 2


def test_a_job_that_failed_here_is_known_not_made_elsewhere():
    failed = PendingJob(
        generation_id="gen-K", model="minimax/music-2.6", created=NOW - 50, base_url=BASE, key_fp="fp", state="failed"
    )
    report = reconcile([], [_row("gen-K")], since="24h", open_jobs=[failed], checked_at=NOW)
    assert report.unknown == () and [(x.generation_id, x.state) for x in report.matched] == [("gen-K", "failed")]
    assert report.local_usd == 0 and report.provider_usd == 0.042
    assert "(failed here: `music01 jobs` lists it)" in "\n".join(report.lines(now=NOW))


# --- lyrics requests, and records of another key ------------------------------------------------------

MINE = "fp-this-key"


def _chat(crid: str, state: str, *, ago_s: float = 60.0, key_fp: str = MINE, base_url: str = BASE, usd=None):
    return ChatCall(
        client_request_id=crid,
        chat_model="minimax/m2",
        music_model="minimax/music-2.6",
        created=NOW - ago_s,
        state=state,
        base_url=base_url,
        key_fp=key_fp,
        usd_spent=usd,
        credits_used=None if usd is None else str(round(float(usd) * CREDITS_PER_USD)),
    )


def test_a_failed_lyrics_request_is_left_out_and_a_lost_one_is_open_not_saved():
    calls = [
        _chat("music01-failed", "failed"),  # refused before any work: never billed
        _chat("music01-answered", "answered", usd="0.00045"),
        _chat("music01-lost", "lost"),  # its answer lost: the log's row says what it cost
    ]
    rows = [_row("chat-inf-1", usd=0.00045, credits=900, cid="music01-answered", model="minimax/m2")]
    rows += [_row("chat-inf-2", usd=0.0005, credits=1000, cid="music01-lost", model="minimax/m2")]
    report = reconcile(calls, rows, since="24h", checked_at=NOW)
    states = {x.history_id: x.state for x in report.matched}
    assert states == {"lyrics-music01-answered": "saved", "lyrics-music01-lost": "open"}
    assert report.not_logged == () and report.unpriced == 0 and report.unknown == ()
    assert report.local_usd == pytest.approx(0.00045) and report.provider_usd == pytest.approx(0.00095)
    text = "\n".join(report.lines(now=NOW))
    assert "no cost reported" not in text and "no row in the provider's log" not in text
    assert "music01 resume" not in text.replace("fetch one with: music01 resume <id>", "")
    assert "lyrics request, its answer lost here" in text
    # Without a row, the failed request is still nowhere and the lost one is not a "saved piece with no row".
    alone = reconcile(calls[:1] + calls[2:], [], since="24h", checked_at=NOW)
    assert alone.matched == () and alone.not_logged == () and alone.local_usd == 0 and alone.unpriced == 0


def test_records_of_another_key_or_address_are_not_reconciled_with_this_key():
    emulator = "http://127.0.0.1:8765"
    calls = [
        _chat("music01-mine", "answered", usd="0.00045"),
        _chat("music01-theirs", "answered", usd="0.00045", key_fp="fp-pasted-elsewhere"),  # another key
        _chat("music01-emu", "answered", usd="0.00045", base_url=emulator),  # a local emulator, same key
        _chat("music01-old", "answered", usd="0.00045", key_fp=""),  # an older record: no fingerprint, kept
    ]
    jobs = [
        PendingJob(generation_id="gen-T", model="minimax/music-2.6", created=NOW - 30, base_url=BASE, key_fp="fp-x"),
        PendingJob(
            generation_id="gen-E", model="minimax/music-2.6", created=NOW - 30, base_url=emulator + "/", key_fp=MINE
        ),
        PendingJob(
            generation_id="gen-M", model="minimax/music-2.6", created=NOW - 30, base_url=BASE + "/", key_fp=MINE
        ),
    ]
    rows = [_row("gen-M"), _row("gen-T")]  # gen-T in this key's log: no record of this key knows it
    report = reconcile(calls, rows, since="24h", open_jobs=jobs, checked_at=NOW, key_fp=MINE, base_url=BASE)
    assert [x.history_id for x in report.not_logged] == ["lyrics-music01-mine", "lyrics-music01-old"]
    assert [x.generation_id for x in report.matched] == ["gen-M"]
    assert [r.inference_id for r in report.unknown] == ["gen-T"]
    assert report.local_usd == pytest.approx(2 * 0.00045)
    # Saved pieces keep no fingerprint: matched by their ids only (no key given: nothing is left out).
    everything = reconcile(calls, rows, since="24h", open_jobs=jobs, checked_at=NOW)
    assert len(everything.not_logged) == 4 and everything.unknown == ()
