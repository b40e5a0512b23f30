"""What the emulator's routers share: its state, gateway error bodies, auth and faults."""

from __future__ import annotations

import asyncio
import secrets
import threading
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse

GATEWAY_MESSAGES = {
    400: "Body validation error!",
    401: "Unauthorized",
    403: "You've run out of credits. Please top up your balance.",
    404: "Cannot POST",
    429: "Too many requests",
    500: "Internal server error",
    502: "Bad gateway",
    503: "Service unavailable",
    504: "Generation timeout",
}

# status_msg texts in the style of MiniMax's answers.
STATUS_MSG = {
    1000: "unknown error",
    1001: "request timeout",
    1002: "rate limit",
    1004: "not authorized",
    1008: "insufficient balance",
    1024: "internal error",
    1026: "input new_sensitive",
    1027: "output new_sensitive",
    1033: "system error",
    1039: "token limit",
    1041: "conn limit",
    1042: "invisible character ratio limit",
    2013: "invalid params",
    2045: "rate growth limit",
    2049: "invalid api key",
    2056: "usage limit exceeded",
}


class FaultQueue:
    """What both emulators' states share: faults queued per endpoint (``faults``, ``lock``)."""

    def take_fault(self, endpoint: str, request: Request) -> str | None:
        """The request's ``X-Music01-Fault`` header, else the next fault queued for ``endpoint``."""
        header = request.headers.get("x-music01-fault")
        if header:
            return header
        with self.lock:
            return self.faults[endpoint].popleft() if self.faults[endpoint] else None


class RawSendExposer:
    """Outermost ASGI layer: puts the server's own ``send`` in the scope, so the ``reset``
    fault can abort the TCP connection the way a dropped network does."""

    def __init__(self, app) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope["music01.send"] = send
        await self.app(scope, receive, send)


@dataclass
class EmulatorState(FaultQueue):
    """Everything the routers of one emulator share (one lock guards the mutable parts)."""

    backend: object
    home: Path
    key: str | None = None
    latency_s: float = 0.0
    hang_s: float = 30.0
    queue_s: float = 0.0
    retire_music01: bool = False
    file_ttl_s: float = 3600.0
    id_style: str = "uuid"  # "uuid" (<uuid4>:<model>) or "nanoid" (21 characters)
    poll_meta: bool = True  # completed polls carry meta.usage
    sparse_audio_file: bool = False  # completed polls' audio_file holds only url
    logs_lag_s: float = 0.0  # a /v2/logs row shows this long after its request
    logs_rate_limit: int = 200  # /v2/logs calls per key and window (usage-logs.md: 200 per 60 s)
    logs_rate_window_s: float = 60.0
    balance_usd: float = 10.0  # each key's starting balance, lowered by each billed call (see .billing)
    refuse_when_short: bool = False  # a submit costing more than the key's balance answers 403, unbilled
    balances: dict = field(default_factory=dict)  # key hash -> USD left
    faults: dict = field(default_factory=lambda: defaultdict(deque))
    stats: dict = field(
        default_factory=lambda: {
            "requests": defaultdict(int),  # per path
            "methods": defaultdict(int),  # per "METHOD path": a submit and a poll share a path
            "bytes": defaultdict(int),
            "submits": [],
            "file_auth_headers": 0,
            "catalogue_auth_headers": 0,  # catalogue requests that carried an Authorization header
            "charges": 0,  # billed calls that lowered a balance
        }
    )
    files: dict = field(default_factory=dict)  # token -> (bytes, content type, name, expires or None)
    jobs: dict = field(default_factory=dict)
    logs: list = field(default_factory=list)  # one entry per call to a billed endpoint (see .logs)
    logs_calls: dict = field(default_factory=dict)  # key hash -> times of its /v2/logs calls
    catalogue: list = field(default_factory=list)  # the model catalogue's items (see .catalogue)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def authorised(self, request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return False
        return self.key is None or secrets.compare_digest(auth[7:].strip(), self.key)

    def reset(self) -> None:
        with self.lock:
            self.faults.clear()
            self.stats["requests"].clear()
            self.stats["methods"].clear()
            self.stats["bytes"].clear()
            self.stats["submits"].clear()
            self.stats["file_auth_headers"] = 0
            self.stats["catalogue_auth_headers"] = 0
            self.logs.clear()
            self.logs_calls.clear()
            self.balances.clear()  # every key back to the starting balance
            self.stats["charges"] = 0


def gateway_body(status: int, path: str, message) -> dict:
    # The real gateway sends statusCode as a string sometimes and message as a list: so do we.
    return {
        "message": message,
        "path": path,
        "requestId": str(uuid.uuid4()),
        "statusCode": str(status) if status % 2 else status,
        "timestamp": datetime.now(UTC).isoformat(),
    }


def gateway(status: int, path: str, message=None, headers=None) -> JSONResponse:
    return JSONResponse(
        gateway_body(status, path, message or GATEWAY_MESSAGES.get(status, "Error")),
        status_code=status,
        headers=headers,
    )


def base_resp(code: int, msg: str | None = None, *, status_code: int = 200, **extra) -> JSONResponse:
    text = msg or STATUS_MSG.get(code, f"error {code}")
    return JSONResponse(
        {**extra, "trace_id": secrets.token_hex(16), "base_resp": {"status_code": code, "status_msg": text}},
        status_code=status_code,
    )


async def abort_connection(request: Request, path: str):
    """Read the whole request, then drop the TCP connection without an answer."""
    await request.body()
    transport = getattr(getattr(request.scope.get("music01.send"), "__self__", None), "transport", None)
    if transport is not None:
        transport.abort()
        await asyncio.sleep(0.05)
    return gateway(500, path)  # only reached where the server gives no transport


def slow_json(payload: dict, *, headers: dict | None = None, status_code: int = 200, seconds: float = 1.5):
    """The JSON answer dribbled out in small pieces over ``seconds`` (the ``slow`` fault).

    Each gap is far below a client's read timeout, so a correct client waits and reads the
    whole answer; one that times out on the total, or parses the first piece, fails.
    """
    import json

    from starlette.responses import StreamingResponse

    data = json.dumps(payload).encode("utf-8")
    pieces = 12
    step = max(1, -(-len(data) // pieces))

    async def body():
        for i in range(0, len(data), step):
            yield data[i : i + step]
            await asyncio.sleep(seconds / pieces)

    return StreamingResponse(
        body(), status_code=status_code, media_type="application/json", headers=dict(headers or {})
    )


def common_fault(fault: str, path: str):
    """Faults that look the same on every endpoint; None when ``fault`` is endpoint-specific."""
    if fault.startswith("http:"):
        parts = fault[5:].split(";")
        status = int(parts[0])
        headers = {}
        for p in parts[1:]:
            if p.startswith("retry-after="):
                headers["Retry-After"] = p.split("=", 1)[1]
        return gateway(status, path, headers=headers)
    if fault.startswith("code:"):
        # code:1026 answers HTTP 200 with that base_resp; code:1026;http=400 sends it with a 400,
        # as a gateway that maps upstream errors to statuses would; ;msg=... sets status_msg.
        code, *opts = fault[5:].split(";")
        kv = dict(o.split("=", 1) for o in opts if "=" in o)
        return base_resp(int(code), kv.get("msg"), status_code=int(kv.get("http", 200)))
    if fault == "badjson":
        return PlainTextResponse("<html>upstream hiccup</html>", status_code=200)
    return None


async def before(state: EmulatorState, request: Request, endpoint: str, path: str, *, answer_faults: bool = True):
    """Authorise and apply the faults common to all endpoints: (fault, response or None).

    With ``answer_faults=False`` the status/code faults are left to the caller, which answers
    them with :func:`fault_answer` after validating the body, so a malformed request still
    gets its 400 (a fault must not hide a client bug).
    """
    if not state.authorised(request):
        return None, gateway(401, path)
    fault = state.take_fault(endpoint, request)
    if fault == "reset":
        return fault, await abort_connection(request, path)
    if fault:
        if answer_faults:
            resp = common_fault(fault, path)
            if resp is not None:
                return fault, resp
        if fault == "hang":
            await asyncio.sleep(state.hang_s)
    return fault, None


def fault_answer(fault: str | None, path: str):
    """The answer for a deferred status/code fault, or None."""
    return common_fault(fault, path) if fault else None


async def json_request(state: EmulatorState, request: Request, endpoint: str, path: str):
    """Authorise, read the JSON body: (fault, body, response or None).

    Status and code faults are *not* answered here: call :func:`fault_answer` after validation.
    """
    fault, resp = await before(state, request, endpoint, path, answer_faults=False)
    if resp is not None:
        return fault, None, resp
    try:
        return fault, await request.json(), None
    except ValueError:
        return fault, None, gateway(400, path, ["body must be JSON"])
