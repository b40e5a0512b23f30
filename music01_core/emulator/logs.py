"""Request tracing, cost and usage logs of the emulator, as the provider documents them.

Written from ``aimlapi/api-docs`` at commit ``f14fa72`` (never from our model table):

- ``docs/capabilities/request-tracing-and-cost.md``: the request header
  ``X-Client-Request-Id`` (1–128 characters of ``A–Z a–z 0–9 . _ : -``; any other value is
  silently dropped), the answer headers ``x-inference-id`` (always; for an asynchronous
  generation the generation id), ``x-client-request-id`` (echo of a valid one),
  ``x-aimlapi-credits-used`` and ``x-aimlapi-usd-spent`` (non-streaming JSON answers); on
  a poll, an id that does not look issued gets no ``x-inference-id``;
- ``docs/api-references/service-endpoints/usage-logs.md`` and ``logs-v2.json``:
  ``GET /v2/logs``, one row per request, newest first, failed requests with zero cost; the
  window, filter, paging and error rules of :func:`logs_router`.

Every request a billed endpoint (a job submit, a music-01 generate) receives with a key is
a :class:`Call`; it becomes one row, recorded when its outcome is known (so a submit whose
answer is lost is listed while the client still waits).  A row shows ``logs_lag_s`` after
its request, as the provider's analytics pipeline lags.  Faults for ``GET /v2/logs`` are
queued on the endpoint "logs": ``http:<status>``, ``reset``, ``hang``, ``badjson`` and
``malformed`` (rows with fields missing or of the wrong type).
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .billing import charge
from .common import EmulatorState, before, gateway

__all__ = [
    "LOGS_PATH",
    "USD_PER_CREDIT",
    "Call",
    "open_call",
    "new_id",
    "looks_issued",
    "usd",
    "logs_router",
]

LOGS_PATH = "/v2/logs"

# The provider's examples price a credit at 1/2,000,000 USD: the music-2.6 page's submit answer
# (docs/api-references/music-models/minimax/music-2-6.md) says credits_used 390000 = usd_spent 0.195,
# and music-2.6.json's meta.usage example says 120000 = 0.06.  No rate is stated anywhere.
USD_PER_CREDIT = 1 / 2_000_000

_CLIENT_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
_NANOID = re.compile(r"[A-Za-z0-9_\-]{21}")
_UUID_MODEL = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(:[A-Za-z0-9._\-]+)?")
_NANOID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-"
_PERIOD = re.compile(r"(\d+)([hd])")
_MAX_WINDOW = timedelta(days=92)
_STATUSES = ("succeeded", "failed")


def usd(credits: int) -> float:
    """The USD figure of ``credits`` at the provider's examples' rate (:data:`USD_PER_CREDIT`)."""
    return round(credits * USD_PER_CREDIT, 9)


def new_id(style: str, model: str | None = None) -> str:
    """A fresh id: ``nanoid`` (21 characters, as ``NDxdQ2xZY1L6PYQNkJgbA`` on the music-2.6 page)
    or ``uuid`` (``<uuid4>:<model>`` as on the older pages; a bare uuid4 without ``model``)."""
    if style == "nanoid":
        return "".join(secrets.choice(_NANOID_ALPHABET) for _ in range(21))
    return f"{uuid.uuid4()}:{model}" if model else str(uuid.uuid4())


def looks_issued(gid: str) -> bool:
    """Whether ``gid`` has the shape of an id the provider issues (a poll's ``x-inference-id`` rule)."""
    return bool(_NANOID.fullmatch(gid) or _UUID_MODEL.fullmatch(gid))


def client_request_id(request: Request) -> str | None:
    """The request's ``X-Client-Request-Id`` when valid; any other value is silently dropped."""
    value = request.headers.get("x-client-request-id")
    return value if value is not None and _CLIENT_ID.fullmatch(value) else None


def _key_of(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    return auth[7:].strip() if auth.startswith("Bearer ") else ""


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass
class Call:
    """One request to a billed endpoint and the log row it becomes (the key itself is never kept)."""

    state: EmulatorState
    request: Request
    inference_id: str
    client_request_id: str | None
    model: str | None = None
    credits: int = 0
    arrived: float = field(default_factory=time.monotonic)
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    recorded: bool = False
    tokens: dict | None = None  # a chat completion's {input, output, total}; billed audio has none

    async def note_model(self) -> None:
        """Take the row's ``model`` from the body, when it names one (a failed row needs it too)."""
        try:
            body = json.loads(await self.request.body())
        except Exception:  # not JSON, or the client went away: the row names no model
            return
        if isinstance(body, dict) and isinstance(body.get("model"), str):
            self.model = body["model"]

    def headers(self, *, cost: bool) -> dict:
        """The tracing headers of the answer, and the cost headers when ``cost``."""
        out = {"x-inference-id": self.inference_id}
        if self.client_request_id is not None:
            out["x-client-request-id"] = self.client_request_id
        if cost:
            out["x-aimlapi-credits-used"] = str(self.credits)
            out["x-aimlapi-usd-spent"] = f"{usd(self.credits):.9f}"
        return out

    def answer(self, resp, *, cost: bool = False):
        """``resp`` with this call's headers added."""
        for k, v in self.headers(cost=cost).items():
            resp.headers[k] = v
        return resp

    def record(self, *, succeeded: bool) -> None:
        """Log the call once (a request without a valid key is nobody's: no row)."""
        if self.recorded or not self.state.authorised(self.request):
            return
        self.recorded = True
        key = _key_of(self.request)
        credits = self.credits if succeeded else 0
        row = {
            "created": self.created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "status": "succeeded" if succeeded else "failed",
            "origin": "api",
            "model": self.model if isinstance(self.model, str) else "",
            "cost": {"usd": usd(credits), "credits": credits},
            "tokens": dict(self.tokens) if self.tokens else {"input": 0, "output": 0, "total": 0},
            "request_id": str(uuid.uuid4()),
            "inference_id": self.inference_id,
            "client_request_id": self.client_request_id,
        }
        entry = {"row": row, "at": self.created, "shows": self.arrived + self.state.logs_lag_s}
        entry.update(key=_key_hash(key), prefix=key[:8])
        with self.state.lock:
            self.state.logs.append(entry)
        if credits:
            charge(self.state, entry["key"], usd(credits))  # once per billed call: its balance pays for it


def open_call(state: EmulatorState, request: Request) -> Call:
    """A :class:`Call` for ``request`` with a fresh inference id (a job's is its generation id)."""
    return Call(state, request, new_id(state.id_style), client_request_id(request))


# --- GET /v2/logs ----------------------------------------------------------------------------------


def logs_router(state: EmulatorState) -> APIRouter:
    """``GET /v2/logs`` over ``state``'s recorded calls.

    Parameters
    ----------
    state : EmulatorState

    Returns
    -------
    APIRouter
    """
    router = APIRouter()

    @router.get(LOGS_PATH)
    async def logs(request: Request):
        fault, resp = await before(state, request, "logs", LOGS_PATH)
        if resp is not None:
            return resp
        if not _within_rate(state, _key_hash(_key_of(request))):
            return gateway(429, LOGS_PATH)
        query, problems = _query(request)
        if problems:
            return gateway(400, LOGS_PATH, problems)
        rows, status = _rows(state, request, query)
        if status is not None:
            return gateway(status, LOGS_PATH)
        return JSONResponse(_page(rows, query, malformed=fault == "malformed"))

    return router


def _within_rate(state: EmulatorState, key: str) -> bool:
    """Count one call of ``key``; False past ``logs_rate_limit`` calls in ``logs_rate_window_s``."""
    now = time.monotonic()
    with state.lock:
        calls = state.logs_calls.setdefault(key, deque())
        while calls and now - calls[0] >= state.logs_rate_window_s:
            calls.popleft()
        if len(calls) >= state.logs_rate_limit:
            return False  # a refused call does not count: a client that backs off gets through
        calls.append(now)
    return True


def _query(request: Request) -> tuple[dict, list[str]]:
    """The parsed query (window, filters, paging) and the 400 messages."""
    q = request.query_params
    problems: list[str] = []
    start, end, window_problems = _window(q.get("period"), q.get("start"), q.get("end"))
    problems += window_problems
    statuses = q.getlist("status")
    if any(s not in _STATUSES for s in statuses):  # a comma-separated value is not a status either
        problems.append("status must be one of the following values: " + ", ".join(_STATUSES))
    models = q.getlist("model")
    if len(models) > 50:
        problems.append("model must contain no more than 50 elements")
    limit, offset = _int(q.get("limit"), 50), _int(q.get("offset"), 0)
    if limit is None or not 1 <= limit <= 100:
        problems.append("limit must not be less than 1 and not greater than 100")
    if offset is None or offset < 0:
        problems.append("offset must not be less than 0")
    query = {"start": start, "end": end, "models": models, "statuses": statuses, "limit": limit, "offset": offset}
    query["key_prefix"] = q.get("key_prefix")
    return query, problems


def _int(value: str | None, default: int) -> int | None:
    if value is None:
        return default
    return int(value) if re.fullmatch(r"[+-]?\d+", value.strip()) else None


def _window(period: str | None, start: str | None, end: str | None):
    """(start, end, messages): ``period`` or ``start`` + ``end``, never both or neither; ≤ 92 days."""
    if (period is not None) == (start is not None or end is not None):
        return None, None, ["provide either period or both start and end"]
    now = datetime.now(UTC)
    if period is not None:
        m = _PERIOD.fullmatch(period)
        if not m or int(m.group(1)) == 0:
            return None, None, ["period must be a positive integer followed by h or d, e.g. 24h or 7d"]
        span = timedelta(hours=int(m.group(1))) if m.group(2) == "h" else timedelta(days=int(m.group(1)))
        if span > _MAX_WINDOW:
            return None, None, ["the window must not exceed 92 days"]
        return now - span, now, []
    if start is None or end is None:
        return None, None, ["start and end must be given together"]
    t0, t1 = _iso(start), _iso(end)
    if t0 is None or t1 is None:
        return None, None, ["start and end must be ISO-8601 dates"]
    if t1 < t0:
        return None, None, ["end must not be earlier than start"]
    if t1 - t0 > _MAX_WINDOW:
        return None, None, ["the window must not exceed 92 days"]
    return t0, t1, []


def _iso(value: str) -> datetime | None:
    """An ISO-8601 date or time; without an offset it is UTC."""
    try:
        t = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return t.replace(tzinfo=UTC) if t.tzinfo is None else t.astimezone(UTC)


def _rows(state: EmulatorState, request: Request, query: dict) -> tuple[list[dict], int | None]:
    """The visible rows of the query, newest first; or the status (403/404) for a foreign prefix."""
    key = _key_of(request)
    mine, prefix = _key_hash(key), query["key_prefix"]
    now = time.monotonic()
    with state.lock:
        entries = list(state.logs)
    if prefix is not None and prefix != key[:8]:
        # A regular key naming another key's prefix: 403; a prefix no key of the account has: 404.
        return [], 403 if any(e["prefix"] == prefix for e in entries) else 404
    rows = [
        (i, e)
        for i, e in enumerate(entries)
        if e["key"] == mine
        and e["shows"] <= now
        and query["start"] <= e["at"] <= query["end"]
        and (not query["models"] or e["row"]["model"] in query["models"])
        and (not query["statuses"] or e["row"]["status"] in query["statuses"])
    ]
    rows.sort(key=lambda ie: (ie[1]["at"], ie[0]), reverse=True)
    return [dict(e["row"]) for _, e in rows], None


def _page(rows: list[dict], query: dict, *, malformed: bool) -> dict:
    limit, offset = query["limit"], query["offset"]
    page = rows[offset : offset + limit]
    if malformed:
        page = [_bend(row, i) for i, row in enumerate(page)]
    pagination = {"limit": limit, "offset": offset, "total": len(rows), "has_more": offset + len(page) < len(rows)}
    return {"data": page, "pagination": pagination}


def _bend(row: dict, i: int) -> dict:
    """The ``malformed`` fault: a row with required fields missing or of the wrong type."""
    row = {**row, "cost": dict(row["cost"])}
    if i % 3 == 0:
        del row["cost"], row["inference_id"]
    elif i % 3 == 1:
        row["created"] = int(time.time())
        row["status"] = None
    else:
        row["cost"]["usd"] = str(row["cost"]["usd"])
        row["cost"]["credits"] = "many"
        del row["tokens"]
    return row
