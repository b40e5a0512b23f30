"""A loopback emulator of Replicate's HTTP API for MiniMax's music models, for tests and workshops.

It imitates what ``shared/api/replicate.md`` documents (section numbers below are that
file's; source keys are its: [O] the OpenAPI document, [D1]-[D9] Replicate's docs, [P]/[B] the
two Python SDKs, [M1]-[M7] the models' pages, [I1]-[I4] public issues), with the models' inputs
from :mod:`.replicate_contract`.  It never reads our client-side model table or client code;
audio is rendered by the offline engine (``state.backend``), as the AI/ML emulator does.

Routes (under ``/v1``, as the SDKs call them; base URL = the host root):

- ``POST /v1/models/{owner}/{name}/predictions`` and ``POST /v1/predictions`` (§2): validated
  (422 problem details, one line per problem), then 201 with the prediction (``status:
  "starting"``), or with ``Prefer: wait[=n]`` held up to n s (1-60, default 60 [O][D1]): 201 with
  the finished prediction, else 202 with the incomplete one ([O]: "created but does not yet have
  all outputs").  Every create answer carries ``Location`` = ``urls.get``.  ``Cancel-After``
  (``30s``, ``5m``, ``1h30m``, bare seconds; at least 5 s) sets ``deadline``: the prediction is
  then ``canceled`` if running, ``aborted`` if not started [O][D6];
- ``GET /v1/predictions/{id}``, ``POST /v1/predictions/{id}/cancel`` (``aborted`` while
  starting, ``canceled`` while processing, a finished one unchanged), ``GET /v1/predictions``
  (§3: newest first, ``page_size`` per page, ``next``/``previous`` full URLs with a cursor,
  ``created_after`` (at or after) / ``created_before`` (before), ``source=web``);
- the Files API (§4): ``POST/GET /v1/files``, ``GET/DELETE /v1/files/{id}``;
- output files at ``/_delivery/<token>/tmpXXXXXXXX.mp3`` (replicate.delivery's shape [M1]),
  served with or without an Authorization header (those with one are counted: [O] says
  output URLs need it, [D4] does not); ``urls.web`` is a small page at ``/p/{id}``;
- control: ``GET /_emulator/stats``, ``POST /_emulator/faults``, ``POST /_emulator/reset``.

Lifecycle (§2): ``starting`` for ``start_s``, then ``processing`` until the engine has rendered
and ``run_s`` has passed, then ``succeeded`` (``output`` = one URI string, ``metrics.predict_time``
and ``total_time``, ``completed_at``) or ``failed`` (``error`` string).  Predictions belong to the
token that made them: another token gets 404 and does not list them.  Retention (§2 [O][D3]):
``retention_s`` after completion (never while running) ``data_removed`` turns true, ``input``
becomes ``{}``, ``output`` null, ``logs`` empty, and the output URL answers 404.

File inputs (music-01's ``song_file``, ``voice_file``, ``instrumental_file``) accept this
emulator's own ``urls.get`` (read from its store when the prediction is created: a file that is
unknown, deleted, expired or another token's is a **422** at create, since the API resolves its
own files itself), any http(s) URL (fetched when the prediction runs: an unreachable one fails
the prediction), or a ``data:`` URI whose decoded file is at most ``data_uri_max_bytes``
(§4 [O] "<= 256kb"; larger is a 422 naming the limit).  A reference must be longer than 15 s
[M3]; a shorter one, a missing one ([M1] "Reference track required"), or any ``voice_id`` /
``instrumental_id`` (the API returns none, §7, so none can be valid here) fails the prediction.

Faults, queued per endpoint (``EmulatorServer.faults(create=[...])`` or ``POST
/_emulator/faults``) or sent in the ``X-Music01-Fault`` header of one request:

- every endpoint ("create", "get", "list", "cancel", "files", "delivery"):
  ``http:<status>[;retry-after=S]`` (a problem body; 429 is §5's throttle body, 402 a billing
  body; answered after the request was checked, so a 422 still shows), ``reset`` (the connection
  drops), ``hang`` (no answer for ``hang_s``, then a 504; the request has no effect), ``badjson``
  (200 with HTML), and on "get", "list" and "cancel" ``slow`` (the answer dribbles in over 1.5 s);
- create (and files): the answer is lost AFTER the prediction (file) was created:
  ``lost:reset`` (connection reset), ``lost:hang`` (no answer for ``hang_s``), ``lost:504`` (a
  gateway's HTML 504);
- prediction (the next prediction created; also accepted in a create's header): ``fail``
  (``failed``, error ``E1000: …``), ``stuck`` (stays ``processing``), ``slow[;s=N]`` (N s more of
  processing, default 3), ``early_output`` (``output`` is filled while still ``processing``, as
  [D1] allows), ``unknown_status[;polls=N][;status=S]`` (the first N gets, default 3, report S,
  default ``queued``, outside the documented enum).

Decisions where replicate.md is silent are marked "decision" in the code.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import json
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote_to_bytes, urlencode, urlsplit

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from ..audio import inspect_clip
from ..backends.offline import OfflineBackend
from ..errors import ClipTooShortError, Music01Error
from ..history import History
from ..library import ReferenceLibrary
from ..lyrics import TextFields
from ..references import reference_from_file, reference_from_url
from ..settings import AudioSetting
from .common import FaultQueue, RawSendExposer, abort_connection, slow_json
from .control import control_router
from .replicate_contract import (
    INVALID_VERSION,
    ReplicateModel,
    body_problems,
    canonical_json,
    input_problems,
    model_for,
    problem,
    resolve_version,
    run_problem,
    with_defaults,
)

logger = logging.getLogger(__name__)

__all__ = ["create_replicate_app", "ReplicateState", "fingerprint"]

UNAUTHENTICATED = "You did not pass a valid authentication token"  # §5 [P]
THROTTLED = "Request was throttled. Your rate limit resets in ~{}s."  # §5 [D7]
# The 402 body of a public report (replicate/replicate-javascript#342; §5 [I1][I2] name the status only).
BILLING = (
    "Billing required",
    "You need to set up billing to run this model. Go to https://replicate.com/account/billing#billing to set "
    "it up. If you have recently set up billing, please wait a few minutes before trying again.",
)
FAIL_ERROR = "E1000: Prediction failed for an unknown reason (the emulator's fail fault)."  # §5 [D8]
TERMINAL = ("succeeded", "failed", "canceled", "aborted")
FILE_INPUTS = ("song_file", "voice_file", "instrumental_file")
_PREDICTION_FAULTS = ("fail", "stuck", "slow", "early_output", "unknown_status")
# The offline engine's stand-in for each model (the engine has no music-2.5: music-2.0 renders it).
_ENGINE = {"music-01": "music-01", "music-1.5": "minimax/music-1.5", "music-2.5": "minimax/music-2.0"}
_ENGINE["music-2.6"] = "minimax/music-2.6"
_CTYPE = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "application/octet-stream"}
_TITLES = {400: "Bad Request", 404: "Not Found", 409: "Conflict", 413: "Content Too Large", 422: "Unprocessable Entity"}
_TITLES.update({500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"})
# Prediction ids as the example's 80xvdzv50xrgc0cktkzszcb904 [M1]; file ids as cneqzikepnug6xezperrr4z55o [O].
_PREDICTION_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
_FILE_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567"


def fingerprint(token: str) -> str:
    """The first 12 hex digits of the token's SHA-256: how the journal names a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()[:12]


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _new_id(alphabet: str) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(26))


# --- state ---------------------------------------------------------------------------------------


@dataclass
class _Prediction:
    id: str
    model: ReplicateModel
    route: str  # "model" | "version"
    input: dict
    owner: str  # the token's fingerprint
    seq: int
    created: float
    base: str  # the emulator's base URL as the caller reached it
    fault: str | None = None
    deadline: float | None = None
    sources: dict = field(default_factory=dict)  # file input -> bytes read at create (own files, data URIs)
    status: str = "starting"
    started_at: float | None = None
    completed_at: float | None = None
    done: bool = False  # the engine has finished (result or error)
    done_at: float | None = None
    result: object = None
    error: str | None = None
    output: str | None = None
    delivery: str | None = None
    logs: list = field(default_factory=list)
    removed: bool = False
    odd_polls: int = 0


@dataclass
class _File:
    id: str
    owner: str
    seq: int
    data: bytes
    content_type: str
    filename: str
    metadata: dict
    created: float
    expires: float
    base: str

    def live(self, now: float) -> bool:
        return now < self.expires


@dataclass
class ReplicateState(FaultQueue):
    """Everything the Replicate emulator's routes share (one lock guards the mutable parts).

    The options are :func:`create_replicate_app`'s.
    """

    backend: object
    home: Path
    token: str | None = None
    start_s: float = 0.0
    run_s: float = 0.0
    retention_s: float = 3600.0
    file_ttl_s: float = 3600.0
    page_size: int = 100
    max_file_bytes: int = 100 * 2**20
    data_uri_max_bytes: int = 256 * 1024
    model_route: bool = True
    credit: bool = True
    hang_s: float = 30.0
    faults: dict = field(default_factory=lambda: defaultdict(deque))
    stats: dict = field(default_factory=lambda: _empty_stats())
    predictions: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    deliveries: dict = field(default_factory=dict)  # token -> prediction id
    seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_seq(self) -> int:
        with self.lock:
            self.seq += 1
            return self.seq

    def snapshot(self) -> dict:
        """The counters and the journal (what ``EmulatorServer.stats()`` returns)."""
        with self.lock:
            s = self.stats
            out = {k: dict(s[k]) for k in ("requests", "methods", "bytes")}
            out.update({k: [dict(e) for e in s[k]] for k in ("creates", "files", "deletes", "cancels")})
            out["tokens_seen"] = list(s["tokens_seen"])
            out["delivery_auth_headers"] = s["delivery_auth_headers"]
            return out

    def reset(self) -> None:
        """Forget the queued faults, counters and journal (predictions and files stay)."""
        with self.lock:
            self.faults.clear()
            self.stats = _empty_stats()


def _empty_stats() -> dict:
    return {
        "requests": defaultdict(int),  # per path
        "methods": defaultdict(int),  # per "METHOD path"
        "bytes": defaultdict(int),
        "creates": [],  # one per prediction created: {id, model, route, input_sha256, created_at, token_fp}
        "files": [],  # one per upload stored
        "deletes": [],  # one per DELETE /v1/files/{id}
        "cancels": [],  # one per POST /v1/predictions/{id}/cancel that found its prediction
        "tokens_seen": [],  # fingerprints, first seen first
        "delivery_auth_headers": 0,
    }


# --- the app -------------------------------------------------------------------------------------


def create_replicate_app(
    *,
    token: str | None = None,
    home: str | os.PathLike | None = None,
    start_s: float = 0.0,
    run_s: float = 0.0,
    retention_s: float = 3600.0,
    file_ttl_s: float = 3600.0,
    page_size: int = 100,
    max_file_bytes: int = 100 * 2**20,
    data_uri_max_bytes: int = 256 * 1024,
    model_route: bool = True,
    credit: bool = True,
    hang_s: float = 30.0,
):
    """Build the Replicate emulator's ASGI app.

    Parameters
    ----------
    token : str, optional
        The API token to require (``Bearer`` or ``Token`` scheme); None accepts any non-empty one.
    home : path-like, optional
        Where the offline engine keeps its store (default: a temporary folder).
    start_s, run_s : float
        Seconds a prediction reports ``starting``; then seconds before it may finish (it
        finishes once both this has passed and the engine has rendered).
    retention_s : float
        Seconds after completion before input, output, logs and the output file are removed (§2 [D3]: 1 h).
    file_ttl_s : float
        Lifetime of an uploaded file: ``expires_at`` = created + this (the spec's example: 1 h).
    page_size : int
        Items per page of ``GET /v1/predictions`` and ``GET /v1/files`` (Replicate: 100).
    max_file_bytes : int
        ``POST /v1/files`` answers 413 for content of this size or more (Replicate: 100 MB).
    data_uri_max_bytes : int
        The largest file a ``data:`` input may carry, decoded (§4 [O]: 256 KB).
    model_route : bool
        False: ``POST /v1/models/{owner}/{name}/predictions`` answers 422 "Invalid version or not
        permitted" (§ open question 4), so a client's fallback to ``POST /v1/predictions`` can be tested.
    credit : bool
        False: every create answers 402 (no billing set up, §5).
    hang_s : float
        How long ``hang`` and ``lost:hang`` stall.

    Returns
    -------
    ASGI app
        Wrapped so the ``reset`` faults can drop a connection; ``app.state.emulator`` is its
        :class:`ReplicateState`.
    """
    home = Path(home) if home is not None else Path(tempfile.mkdtemp(prefix="music01-replicate-"))
    backend = OfflineBackend(
        home=home, history=History(home / "emulator-history"), library=ReferenceLibrary(home / "emulator-library")
    )
    state = ReplicateState(backend=backend, home=home, token=token, start_s=start_s, run_s=run_s)
    state.retention_s, state.file_ttl_s, state.page_size = retention_s, file_ttl_s, max(1, int(page_size))
    state.max_file_bytes, state.data_uri_max_bytes, state.hang_s = max_file_bytes, data_uri_max_bytes, hang_s
    state.model_route, state.credit = model_route, credit
    return _build(state)


def _build(state: ReplicateState):
    """The app over ``state``: its routes, counter and 404 answers, wrapped for the ``reset`` faults."""
    app = FastAPI(title="music01 emulator of Replicate's HTTP API", docs_url=None, redoc_url=None)
    app.state.emulator = state
    app.middleware("http")(_counter(state))
    for router in (_predictions_router, _files_router, _delivery_router, control_router):
        app.include_router(router(state))
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(405, _not_found)
    return RawSendExposer(app)


async def _not_found(request: Request, exc):
    return problem(404, f"{request.method} {request.url.path} does not exist", "Not Found")


def _counter(state: ReplicateState):
    """The middleware that counts requests, methods and bytes per path, and journals every token seen."""

    async def count(request: Request, call_next):
        body = await request.body()
        value = _token_value(request.headers.get("authorization", ""))
        with state.lock:
            state.stats["requests"][request.url.path] += 1
            state.stats["methods"][f"{request.method} {request.url.path}"] += 1
            state.stats["bytes"][request.url.path] += len(body)
            if value and fingerprint(value) not in state.stats["tokens_seen"]:
                state.stats["tokens_seen"].append(fingerprint(value))
        return await call_next(request)

    return count


def _token_value(auth: str) -> str:
    """The credential of an Authorization header (what follows the scheme; the whole value without one)."""
    scheme, sep, value = auth.strip().partition(" ")
    return value.strip() if sep else scheme


def _authorise(state: ReplicateState, request: Request):
    """(token fingerprint, None), or (None, the 401 of §5)."""
    scheme, _, value = request.headers.get("authorization", "").strip().partition(" ")
    value = value.strip()
    ok = scheme.lower() in ("bearer", "token") and bool(value)
    if ok and state.token is not None:
        ok = secrets.compare_digest(value.encode(), state.token.encode())
    if not ok:
        return None, problem(401, UNAUTHENTICATED, "Unauthenticated")
    return fingerprint(value), None


# --- faults --------------------------------------------------------------------------------------


async def _endpoint_fault(state: ReplicateState, request: Request, endpoint: str):
    """Take ``endpoint``'s fault and answer the ones that look the same everywhere: (fault, response or None).

    ``http:`` faults are left to the caller (:func:`_status_fault`), which answers them after
    checking the request, so a fault never hides a client bug.
    """
    fault = state.take_fault(endpoint, request)
    if fault == "reset":
        return fault, await abort_connection(request, request.url.path)
    if fault == "hang":
        await asyncio.sleep(state.hang_s)
        return fault, problem(504, "The request timed out", "Gateway Timeout")
    if fault == "badjson":
        return fault, HTMLResponse("<html><body>upstream hiccup</body></html>")
    return fault, None


def _status_fault(fault: str | None):
    """The answer of an ``http:<status>[;retry-after=S]`` fault, or None."""
    if not fault or not fault.startswith("http:"):
        return None
    status, *opts = fault[5:].split(";")
    status = int(status)
    kv = dict(o.split("=", 1) for o in opts if "=" in o)
    headers = {"Retry-After": kv["retry-after"]} if "retry-after" in kv else None
    if status == 429:
        return problem(429, THROTTLED.format(kv.get("retry-after", 30)), headers=headers, with_status=False)
    if status == 402:
        return problem(402, BILLING[1], BILLING[0], headers=headers)
    title = _TITLES.get(status, "Error")
    return problem(status, f"{title} (the emulator's http:{status} fault)", title, headers=headers)


def _respond(payload: dict, fault: str | None, *, status_code: int = 200, headers: dict | None = None):
    """A JSON answer, dribbled out with the ``slow`` fault."""
    if fault == "slow":
        return slow_json(payload, headers=headers, status_code=status_code)
    return JSONResponse(payload, status_code=status_code, headers=headers)


async def _lost(state: ReplicateState, request: Request, fault: str | None, answer):
    """The answer of a request that created something, or its loss (``lost:reset|hang|504``)."""
    if fault == "lost:reset":
        return await abort_connection(request, request.url.path)
    if fault == "lost:504":
        # A gateway in front of the API gave up: HTML, not a problem body.
        return HTMLResponse("<html><head><title>504 Gateway Time-out</title></head></html>", status_code=504)
    if fault == "lost:hang":
        await asyncio.sleep(state.hang_s)  # past the client's read timeout: nobody reads what follows
    return answer


def _prediction_fault(state: ReplicateState, request: Request, create_fault: str | None) -> str | None:
    """The fault of a prediction being created: the create's header when it names one, else the queue."""
    if create_fault and create_fault.split(";")[0] in _PREDICTION_FAULTS:
        return create_fault
    if request.headers.get("x-music01-fault"):
        return None
    with state.lock:
        queue = state.faults["prediction"]
        return queue.popleft() if queue else None


def _fault_options(fault: str | None) -> tuple[str, dict]:
    """``name;k=v;…`` as (name, {k: v})."""
    if not fault:
        return "", {}
    name, *opts = fault.split(";")
    return name, dict(o.split("=", 1) for o in opts if "=" in o)


# --- predictions: create -------------------------------------------------------------------------


def _predictions_router(state: ReplicateState) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/models/{owner}/{name}/predictions")
    async def create_on_model(owner: str, name: str, request: Request):
        return await _create(state, request, "model", (owner, name))

    @router.post("/v1/predictions")
    async def create_on_version(request: Request):
        return await _create(state, request, "version", None)

    @router.get("/v1/predictions")
    async def list_predictions(request: Request):
        return await _list_predictions(state, request)

    @router.get("/v1/predictions/{pid}")
    async def get_prediction(pid: str, request: Request):
        return await _get(state, request, pid)

    @router.post("/v1/predictions/{pid}/cancel")
    async def cancel_prediction(pid: str, request: Request):
        return await _cancel(state, request, pid)

    return router


async def _create(state: ReplicateState, request: Request, route: str, path_model: tuple | None):
    """A create on either route: auth, faults, validation, then the prediction and its answer."""
    owner, resp = _authorise(state, request)
    if resp is not None:
        return resp
    fault, resp = await _endpoint_fault(state, request, "create")
    if resp is not None:
        return resp
    try:
        body = json.loads(await request.body() or b"null")
    except ValueError:
        return problem(400, "The request body is not valid JSON", "Bad Request")
    model, resp = _target(state, body, route, path_model)
    if resp is not None:
        return resp
    sources, resp = _checked_input(state, request, model, body, route, owner)
    if resp is not None:
        return resp
    deadline, resp = _cancel_after(request.headers.get("cancel-after"))
    if resp is not None:
        return resp
    if (resp := _status_fault(fault)) is not None:
        return resp
    if not state.credit:
        return problem(402, BILLING[1], BILLING[0])
    p = _new_prediction(state, request, model, route, body["input"], owner)
    p.sources, p.fault = sources, _prediction_fault(state, request, fault)
    p.deadline = None if deadline is None else p.created + deadline
    _register(state, p)
    return await _lost(state, request, fault, await _create_answer(state, request, p))


def _target(state: ReplicateState, body, route: str, path_model: tuple | None):
    """The model a create runs: (model, None), or (None, the 404 / 422 answer)."""
    if route == "model":
        model = model_for(*path_model)
        if model is None:
            return None, problem(404, f"Model {'/'.join(path_model)} does not exist")
        if not state.model_route:  # decision: answered as the version route answers a bad version [I3]
            return None, problem(422, INVALID_VERSION[1], INVALID_VERSION[0])
        return model, None
    if isinstance(body, dict) and "version" in body and isinstance(body["version"], str):
        model = resolve_version(body["version"])
        if model is None:
            return None, problem(422, INVALID_VERSION[1], INVALID_VERSION[0])
        return model, None
    return None, None  # the body's own problems are reported by _checked_input


def _checked_input(state: ReplicateState, request: Request, model, body, route: str, owner: str):
    """Validate the body and read its own-file and data-URI inputs: (sources, None) or (None, a 422)."""
    lines = body_problems(body, route)
    if not lines and model is not None:
        lines = input_problems(model, body["input"])
    if lines:
        return None, problem(422, "\n".join(lines), "Input validation failed")
    sources, lines = {}, []
    for name in FILE_INPUTS:
        value = body["input"].get(name)
        if isinstance(value, str) and model.spec(name) is not None:
            data, line = _read_source(state, request, value, owner)
            if line:
                lines.append(f"input.{name}: {line}")
            elif data is not None:
                sources[name] = data
    if lines:
        return None, problem(422, "\n".join(lines), "Input validation failed")
    return sources, None


def _read_source(state: ReplicateState, request: Request, value: str, owner: str):
    """A file input's bytes when the API holds them (own file, data URI): (bytes or None, problem or None)."""
    if (fid := _own_file_id(state, request, value)) is not None:
        with state.lock:
            f = state.files.get(fid)
        if f is None or f.owner != owner or not f.live(time.time()):
            return None, f"file {fid} does not exist or has expired"
        return f.data, None
    if not value.startswith("data:"):
        return None, None  # fetched when the prediction runs
    head, comma, payload = value[5:].partition(",")
    try:
        if not comma:
            raise ValueError
        data = base64.b64decode(payload, validate=True) if head.endswith(";base64") else unquote_to_bytes(payload)
    except (binascii.Error, ValueError):
        return None, "not a valid data URI"
    if len(data) > state.data_uri_max_bytes:
        return None, (
            f"the data URI holds {len(data)} bytes; data URIs may hold at most {state.data_uri_max_bytes} bytes "
            "(256 KB): upload the file with POST /v1/files or pass an https URL"
        )
    return data, None


_FILE_URL = re.compile(r"(https?://[^/?#]+)/v1/files/([^/?#]+)/?\Z")


def _own_file_id(state: ReplicateState, request: Request, value: str) -> str | None:
    """The file id when ``value`` is a ``urls.get`` of this emulator (reached by this host name or the upload's)."""
    m = _FILE_URL.match(value)
    if m is None:
        return None
    base, fid = m.groups()
    with state.lock:
        f = state.files.get(fid)
    return fid if base == str(request.base_url).rstrip("/") or (f is not None and f.base == base) else None


_DURATION = re.compile(r"(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?\Z")


def _cancel_after(value: str | None):
    """The ``Cancel-After`` header in seconds: (seconds or None, None), or (None, a 422) [O]."""
    if value is None:
        return None, None
    value = value.strip()
    if value.isdigit():
        seconds = int(value)
    else:
        m = _DURATION.match(value)
        if not value or m is None:
            return None, problem(422, f"Cancel-After {value!r} is not a duration such as 30s, 5m or 1h30m", "Invalid")
        h, mi, s = (int(g or 0) for g in m.groups())
        seconds = 3600 * h + 60 * mi + s
    if seconds < 5:
        return None, problem(422, "Cancel-After must be at least 5 seconds", "Invalid Cancel-After")
    return seconds, None


def _new_prediction(state: ReplicateState, request: Request, model, route: str, values: dict, owner: str):
    return _Prediction(
        id=_new_id(_PREDICTION_ALPHABET),
        model=model,
        route=route,
        input=values,
        owner=owner,
        seq=state.next_seq(),
        created=time.time(),
        base=str(request.base_url).rstrip("/"),
    )


def _register(state: ReplicateState, p: _Prediction) -> None:
    """Keep and journal the prediction, and start the engine on it."""
    name, opts = _fault_options(p.fault)
    if name == "unknown_status":
        p.odd_polls = int(opts.get("polls", 3))
    entry = {
        "id": p.id,
        "model": p.model.ref,
        "route": p.route,
        "input_sha256": hashlib.sha256(canonical_json(p.input)).hexdigest(),
        "created_at": _iso(p.created),
        "token_fp": p.owner,
    }
    with state.lock:
        state.predictions[p.id] = p
        state.stats["creates"].append(entry)
    logger.info("replicate emulator: prediction %s of %s created (%s route)", p.id, p.model.ref, p.route)
    threading.Thread(target=_work, args=(state, p), name="music01-replicate-prediction", daemon=True).start()


def _prefer_wait(value: str | None) -> int | None:
    """The seconds of a ``Prefer: wait[=n]`` header (n 1-60, default 60 [O]); None without a valid one.

    Decision: a malformed preference is ignored (RFC 7240: a server ignores what it does not understand).
    """
    for token in re.split(r"[,;]", value or ""):
        name, _, n = token.strip().partition("=")
        if name.strip().lower() == "wait":
            n = n.strip()
            if not n:
                return 60
            return int(n) if n.isdigit() and 1 <= int(n) <= 60 else None
    return None


async def _create_answer(state: ReplicateState, request: Request, p: _Prediction):
    """201 with the prediction; with ``Prefer: wait`` 201 once finished, or 202 when the wait ran out."""
    code = 201
    wait = _prefer_wait(request.headers.get("prefer"))
    if wait is not None:
        end = time.time() + wait
        while not _is_terminal(state, p) and time.time() < end:
            await asyncio.sleep(0.05)
        code = 201 if _is_terminal(state, p) else 202
    view = _view(state, p)
    return JSONResponse(view, status_code=code, headers={"Location": view["urls"]["get"]})


def _is_terminal(state: ReplicateState, p: _Prediction) -> bool:
    with state.lock:
        _advance(state, p, time.time())
        return p.status in TERMINAL


# --- predictions: get, cancel ----------------------------------------------------------------------


async def _get(state: ReplicateState, request: Request, pid: str):
    owner, resp = _authorise(state, request)
    if resp is not None:
        return resp
    fault, resp = await _endpoint_fault(state, request, "get")
    if resp is not None or (resp := _status_fault(fault)) is not None:
        return resp
    p = _owned(state, pid, owner)
    if p is None:
        return problem(404, f"Prediction {pid} does not exist")
    view = _view(state, p)
    with state.lock:
        odd = p.odd_polls > 0
        p.odd_polls -= odd
    if odd:
        view["status"] = _fault_options(p.fault)[1].get("status", "queued")
    return _respond(view, fault)


def _owned(state: ReplicateState, pid: str, owner: str) -> _Prediction | None:
    with state.lock:
        p = state.predictions.get(pid)
    return p if p is not None and p.owner == owner else None


async def _cancel(state: ReplicateState, request: Request, pid: str):
    owner, resp = _authorise(state, request)
    if resp is not None:
        return resp
    fault, resp = await _endpoint_fault(state, request, "cancel")
    if resp is not None or (resp := _status_fault(fault)) is not None:
        return resp
    p = _owned(state, pid, owner)
    if p is None:
        return problem(404, f"Prediction {pid} does not exist")
    now = time.time()
    with state.lock:
        _advance(state, p, now)
        before = p.status
        if p.status not in TERMINAL:
            # [O]: "aborted" - terminated before it started running; "canceled" - while running.
            _end(state, p, "aborted" if p.status == "starting" else "canceled", now)
        state.stats["cancels"].append({"id": p.id, "status_before": before, "token_fp": owner})
    return _respond(_view(state, p), fault)


# --- the lifecycle -------------------------------------------------------------------------------


def _advance(state: ReplicateState, p: _Prediction, now: float) -> None:
    """Bring ``p`` up to ``now`` (call with the lock held): start, finish, deadline, retention."""
    if p.status not in TERMINAL:
        start_at = p.created + state.start_s
        finish_at = _finish_time(state, p, start_at)
        if p.deadline is not None and p.deadline <= now and (finish_at is None or finish_at > p.deadline):
            if p.deadline >= start_at:
                _start(p, start_at)
            _end(state, p, "aborted" if p.deadline < start_at else "canceled", p.deadline)
        elif now >= start_at:
            _start(p, start_at)
            if _fault_options(p.fault)[0] == "early_output" and p.done and p.error is None:
                _set_output(state, p)  # [D1]: file outputs may be filled while still processing
            if finish_at is not None and now >= finish_at:
                _end(state, p, "failed" if p.error else "succeeded", finish_at)
    if not p.removed and p.completed_at is not None and now >= p.completed_at + state.retention_s:
        # [O][D3]: input, output, output files and logs removed; decision: counted from completion.
        p.removed, p.input, p.output, p.logs, p.sources = True, {}, None, [], {}
        state.deliveries.pop(p.delivery, None)


def _finish_time(state: ReplicateState, p: _Prediction, start_at: float) -> float | None:
    """When ``p`` finishes (None: not known yet, or never with ``stuck``)."""
    name, opts = _fault_options(p.fault)
    if name == "stuck" or not p.done:
        return None
    extra = float(opts.get("s", 3.0)) if name == "slow" else 0.0
    return max(p.done_at, start_at + state.run_s + extra)


def _start(p: _Prediction, at: float) -> None:
    if p.started_at is None:
        p.started_at, p.status = at, "processing"
        p.logs.append(f"Running {p.model.ref}\n")


def _end(state: ReplicateState, p: _Prediction, status: str, at: float) -> None:
    p.status, p.completed_at = status, at
    if status == "succeeded":
        _set_output(state, p)
        p.logs.append(f"Generated {p.result.duration_s:.1f} s of audio\n")
    elif status == "failed":
        p.logs.append(f"Error: {p.error}\n")
    else:
        p.output = None  # a canceled run keeps no output
        state.deliveries.pop(p.delivery, None)


def _set_output(state: ReplicateState, p: _Prediction) -> None:
    """The output URI: the rendered file on the emulator's delivery path (made once)."""
    if p.delivery is None:
        p.delivery = secrets.token_urlsafe(24)
        state.deliveries[p.delivery] = p.id
        ext = p.result.format
        name = "tmp" + "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789_") for _ in range(8))
        p.output = f"{p.base}/_delivery/{p.delivery}/{name}.{ext}"


def _view(state: ReplicateState, p: _Prediction) -> dict:
    """The prediction object of §2 [O] as it is now."""
    with state.lock:
        _advance(state, p, time.time())
        out = {
            "id": p.id,
            "model": p.model.ref,
            "version": "hidden" if p.model.official else p.model.version,
            "input": dict(p.input),
            "logs": "".join(p.logs),
            "output": p.output,
            "data_removed": p.removed,
            "error": p.error if p.status == "failed" else None,
            "status": p.status,
            "created_at": _iso(p.created),
        }
        for key in ("started_at", "completed_at", "deadline"):
            if getattr(p, key) is not None:
                out[key] = _iso(getattr(p, key))
        out["urls"] = {
            "get": f"{p.base}/v1/predictions/{p.id}",
            "cancel": f"{p.base}/v1/predictions/{p.id}/cancel",
            "web": f"{p.base}/p/{p.id}",
        }
        out["metrics"] = _metrics(p)
        out["source"] = "api"
        return out


def _metrics(p: _Prediction) -> dict:
    if p.completed_at is None:
        return {}
    out = {"total_time": round(p.completed_at - p.created, 6)}
    if p.started_at is not None:
        out["predict_time"] = round(p.completed_at - p.started_at, 6)
    return out


# --- the engine ----------------------------------------------------------------------------------


class _ModelError(Exception):
    """What the model's own run fails with (the prediction's ``error``)."""


def _work(state: ReplicateState, p: _Prediction) -> None:
    """Render ``p`` with the offline engine, in the background as the provider's worker would."""
    result, error = None, None
    try:
        if _fault_options(p.fault)[0] == "fail":
            raise _ModelError(FAIL_ERROR)
        values = with_defaults(p.model, p.input)
        if (line := run_problem(p.model, values)) is not None:
            raise _ModelError(line)
        with tempfile.TemporaryDirectory(prefix="music01-replicate-") as d:
            if p.model.spec("song_file") is not None:
                result = _render_music01(state, p, values, Path(d))
            else:
                result = _render_text(state, p, values)
    except (_ModelError, Music01Error) as exc:
        error = str(exc)
    except Exception as exc:  # pragma: no cover - an engine bug still ends the prediction, as upstream would
        logger.exception("replicate emulator: prediction %s crashed", p.id)
        error = f"E1000: Prediction failed for an unknown reason ({type(exc).__name__})."
    with state.lock:
        p.result, p.error, p.done, p.done_at = result, error, True, time.time()


def _render_text(state: ReplicateState, p: _Prediction, values: dict):
    """music-1.5, -2.5, -2.6: the prompt and lyrics, rendered by the engine's text-to-music stand-in."""
    setting = AudioSetting(sample_rate=values["sample_rate"], bitrate=values["bitrate"], format=values["audio_format"])
    fields = TextFields(lyrics=values.get("lyrics") or None, prompt=values.get("prompt") or None)
    return state.backend.render_job(
        _ENGINE[p.model.name],
        fields,
        None,
        setting,
        is_instrumental=bool(values.get("is_instrumental")),
        lyrics_optimizer=bool(values.get("lyrics_optimizer")),
    )


def _render_music01(state: ReplicateState, p: _Prediction, values: dict, folder: Path):
    """music-01: fetch and check the references, then sing the lyrics over them (music-01's three cases [M3]).

    Decision: empty lyrics (the default ``""``) render an instrumental from the first reference
    (instrumental, song, voice); the pages do not say what the model makes of them.
    """
    clips = {name: _reference_clip(state, p, name, values[name], folder) for name in FILE_INPUTS if values.get(name)}
    setting = AudioSetting(sample_rate=values["sample_rate"], bitrate=values["bitrate"], format="mp3")
    if not values["lyrics"]:
        first = next(clips[n] for n in ("instrumental_file", "song_file", "voice_file") if n in clips)
        ref = reference_from_file(first.path, model="music-01")
        return state.backend.render_job("music-01", TextFields(None, None), ref, setting, is_instrumental=True)
    ids = {name: state.backend._send_upload(clip, name.split("_")[0]) for name, clip in clips.items()}
    song = ids.get("song_file")
    voice = ids["voice_file"].voice_id if "voice_file" in ids else song.voice_id if song else None
    inst = ids["instrumental_file"].instrumental_id if "instrumental_file" in ids else None
    inst = inst or (song.instrumental_id if song else None)
    return state.backend._send_generate(values["lyrics"], voice, inst, setting, None)


def _reference_clip(state: ReplicateState, p: _Prediction, name: str, value: str, folder: Path):
    """One reference input as a checked clip: a .wav or .mp3 longer than 15 s [M3], else the run fails."""
    path = folder / f"{name}.bin"
    if name in p.sources:
        path.write_bytes(p.sources[name])
    elif urlsplit(value).scheme in ("http", "https"):
        # The engine's fetch (redirects, size cap, not-audio checks); loopback allowed: the emulator is here.
        ref = reference_from_url(value, model="music-01", cache_dir=folder / name, allow_private=True)
        path = Path(ref.local_path)
    else:
        raise _ModelError(f"{name}: cannot fetch {urlsplit(value).scheme}: URLs; give an https URL or a data URI.")
    try:
        clip = inspect_clip(path, model="music-01")
    except ClipTooShortError:
        clip = None
    if clip is None or clip.duration_s <= 15.0:
        seconds = f" (it is {clip.duration_s:.1f} s)" if clip is not None else ""
        raise _ModelError(f"{name}: the reference must be a .wav or .mp3 file longer than 15 seconds{seconds}.")
    return clip


# --- listing -------------------------------------------------------------------------------------


def _parse_time(name: str, value: str | None):
    """An ISO 8601 query value as an aware datetime: (datetime or None, None) or (None, a 422)."""
    if value is None:
        return None, None
    text = value.strip()
    if re.search(r"T\S+ \d\d:?\d\d\Z", text):  # a "+" sent unencoded arrives as a space
        text = text[: text.rindex(" ")] + "+" + text[text.rindex(" ") + 1 :]
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        return None, problem(422, f"{name}: {value!r} is not an ISO 8601 date-time", "Invalid query")
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)  # decision: a time without an offset is UTC
    return when, None


def _page(request: Request, items: list, page_size: int, path: str, params: dict):
    """One page of ``items`` (newest first, each with ``seq``) by the request's cursor: (page, next, previous)."""
    cursor = request.query_params.get("cursor")
    try:
        pos = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))) if cursor else None
        seq, direction = (int(pos["seq"]), pos["dir"]) if pos else (None, "next")
    except (ValueError, KeyError, TypeError):
        return None, None, None
    items = sorted(items, key=lambda i: i.seq, reverse=True)
    if seq is None:
        page = items[:page_size]
    elif direction == "prev":
        page = [i for i in items if i.seq > seq][-page_size:]
    else:
        page = [i for i in items if i.seq < seq][:page_size]
    base = str(request.base_url).rstrip("/") + path

    def link(at: int, way: str) -> str:
        token = base64.urlsafe_b64encode(json.dumps({"seq": at, "dir": way}).encode()).decode().rstrip("=")
        return f"{base}?{urlencode({**params, 'cursor': token})}"

    older = bool(page) and any(i.seq < page[-1].seq for i in items)
    newer = bool(page) and any(i.seq > page[0].seq for i in items)
    return page, link(page[-1].seq, "next") if older else None, link(page[0].seq, "prev") if newer else None


async def _list_predictions(state: ReplicateState, request: Request):
    """``GET /v1/predictions`` (§3 [O]): the caller's predictions, newest first, filtered and paged."""
    owner, resp = _authorise(state, request)
    if resp is not None:
        return resp
    fault, resp = await _endpoint_fault(state, request, "list")
    if resp is not None or (resp := _status_fault(fault)) is not None:
        return resp
    q = request.query_params
    after, resp = _parse_time("created_after", q.get("created_after"))
    before, resp2 = _parse_time("created_before", q.get("created_before"))
    if resp or resp2:
        return resp or resp2
    if q.get("source") not in (None, "web"):
        return problem(422, "source: only web is supported", "Invalid query")
    with state.lock:
        mine = [p for p in state.predictions.values() if p.owner == owner]
    # Every prediction here came from the API: source=web lists none of them [O].
    mine = [] if q.get("source") == "web" else mine
    # Compared as the microsecond datetimes created_at shows, so created_after=<a created_at> includes it.
    when = {p.id: datetime.fromtimestamp(p.created, UTC) for p in mine}
    mine = [p for p in mine if (after is None or when[p.id] >= after) and (before is None or when[p.id] < before)]
    params = {k: q[k] for k in ("created_after", "created_before", "source") if k in q}
    page, nxt, prev = _page(request, mine, state.page_size, "/v1/predictions", params)
    if page is None:
        return problem(400, "The cursor is not valid", "Bad Request")
    return _respond({"next": nxt, "previous": prev, "results": [_view(state, p) for p in page]}, fault)


# --- files ---------------------------------------------------------------------------------------


def _files_router(state: ReplicateState) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/files")
    async def create_file(request: Request):
        return await _upload(state, request)

    @router.get("/v1/files")
    async def list_files(request: Request):
        owner, resp = await _files_gate(state, request)
        if resp is not None:
            return resp
        now = time.time()
        with state.lock:
            mine = [f for f in state.files.values() if f.owner == owner and f.live(now)]
        page, nxt, prev = _page(request, mine, state.page_size, "/v1/files", {})
        if page is None:
            return problem(400, "The cursor is not valid", "Bad Request")
        return JSONResponse({"next": nxt, "previous": prev, "results": [_file_view(f) for f in page]})

    @router.get("/v1/files/{fid}")
    async def get_file(fid: str, request: Request):
        owner, resp = await _files_gate(state, request)
        if resp is not None:
            return resp
        f = _owned_file(state, fid, owner)
        return JSONResponse(_file_view(f)) if f is not None else problem(404, "File not found", "Not Found")

    @router.delete("/v1/files/{fid}")
    async def delete_file(fid: str, request: Request):
        owner, resp = await _files_gate(state, request)
        if resp is not None:
            return resp
        with state.lock:
            f = _owned_file_locked(state, fid, owner)
            if f is not None:
                del state.files[fid]
            state.stats["deletes"].append({"id": fid, "deleted": f is not None, "token_fp": owner})
        return Response(status_code=204) if f is not None else problem(404, "File not found", "Not Found")

    return router


async def _files_gate(state: ReplicateState, request: Request):
    """Auth and the "files" faults of a files route: (owner, None) or (None, the answer)."""
    owner, resp = _authorise(state, request)
    if resp is not None:
        return None, resp
    fault, resp = await _endpoint_fault(state, request, "files")
    if resp is None:
        resp = _status_fault(fault)
    return (None, resp) if resp is not None else (owner, None)


def _owned_file(state: ReplicateState, fid: str, owner: str) -> _File | None:
    with state.lock:
        return _owned_file_locked(state, fid, owner)


def _owned_file_locked(state: ReplicateState, fid: str, owner: str) -> _File | None:
    """The caller's live file ``fid`` (decision: an expired file answers 404, like a deleted one)."""
    f = state.files.get(fid)
    return f if f is not None and f.owner == owner and f.live(time.time()) else None


def _file_view(f: _File) -> dict:
    """The file object of §4 [O]."""
    return {
        "id": f.id,
        "urls": {"get": f"{f.base}/v1/files/{f.id}"},
        "content_type": f.content_type,
        "size": len(f.data),
        "checksums": {"sha256": hashlib.sha256(f.data).hexdigest()},
        "metadata": f.metadata,
        "created_at": _iso(f.created),
        "expires_at": _iso(f.expires),
    }


async def _upload(state: ReplicateState, request: Request):
    """``POST /v1/files`` (§4 [O][P file.py]): multipart ``content`` (+ ``filename``, ``type``, ``metadata``)."""
    owner, resp = _authorise(state, request)
    if resp is not None:
        return resp
    fault, resp = await _endpoint_fault(state, request, "files")
    if resp is not None:
        return resp
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return problem(400, "The request must be multipart/form-data with a content part", "Bad Request")
    form = await request.form()
    fields, resp = await _upload_fields(state, form)
    if resp is not None or (resp := _status_fault(fault)) is not None:
        return resp
    now, base = time.time(), str(request.base_url).rstrip("/")
    f = _File(
        _new_id(_FILE_ALPHABET),
        owner,
        state.next_seq(),
        created=now,
        expires=now + state.file_ttl_s,
        base=base,
        **fields,
    )
    view = _file_view(f)
    with state.lock:
        state.files[f.id] = f
        state.stats["files"].append(
            {"id": f.id, "size": view["size"], "sha256": view["checksums"]["sha256"], "filename": f.filename}
            | {"content_type": f.content_type, "created_at": view["created_at"], "token_fp": owner}
        )
    return await _lost(state, request, fault, JSONResponse(view, status_code=201))


async def _upload_fields(state: ReplicateState, form):
    """The upload's data, content type, filename and metadata: (fields, None) or (None, the 413/422)."""
    content = form.get("content")
    if content is None or isinstance(content, str):
        return None, problem(422, "content is required (a file part)", "Unprocessable Entity")
    data = await content.read()
    if len(data) >= state.max_file_bytes:
        limit = state.max_file_bytes
        shown = f"{limit // 2**20}MB" if limit % 2**20 == 0 else f"{limit} bytes"
        return None, problem(413, f"Files must be less than {shown} in size", "Content Too Large")
    filename = form.get("filename") or content.filename or "file"
    if len(str(filename).encode("utf-8")) > 255:
        return None, problem(422, "filename must be at most 255 bytes", "Unprocessable Entity")
    ctype = form.get("type") or content.content_type or "application/octet-stream"
    try:
        metadata = json.loads(form.get("metadata") or "{}")
    except ValueError:
        metadata = None
    if not isinstance(metadata, dict):
        return None, problem(422, "metadata must be a JSON object", "Unprocessable Entity")
    return {"data": data, "content_type": str(ctype), "filename": str(filename), "metadata": metadata}, None


# --- delivery, web page, control -----------------------------------------------------------------


def _delivery_router(state: ReplicateState) -> APIRouter:
    router = APIRouter()

    @router.get("/_delivery/{token}/{name}")
    async def delivery(token: str, name: str, request: Request):
        if request.headers.get("authorization"):
            with state.lock:
                state.stats["delivery_auth_headers"] += 1
        fault, resp = await _endpoint_fault(state, request, "delivery")
        if resp is not None or (resp := _status_fault(fault)) is not None:
            return resp
        with state.lock:
            p = state.predictions.get(state.deliveries.get(token, ""))
            if p is not None:
                _advance(state, p, time.time())
            ok = p is not None and not p.removed and p.output is not None and p.output.endswith(f"/{token}/{name}")
        if not ok:
            return PlainTextResponse("Not Found", status_code=404)
        return Response(p.result.audio, media_type=_CTYPE.get(p.result.format, "application/octet-stream"))

    @router.get("/p/{pid}")
    async def web_page(pid: str):
        with state.lock:
            p = state.predictions.get(pid)
        if p is None:
            return HTMLResponse("<html><body>Not found</body></html>", status_code=404)
        view = _view(state, p)
        return HTMLResponse(f"<html><body><h1>{p.model.ref}</h1><p>{p.id}: {view['status']}</p></body></html>")

    return router
