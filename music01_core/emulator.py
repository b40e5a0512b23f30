"""A loopback emulator of music-01's two endpoints, for tests and workshops.

It answers exactly as the contract says (multipart upload, JSON generate, hex audio,
``base_resp``), is strict about request shapes (the gateway's 400 bodies, 401 without
the key, 2013 for unknown ids), renders audio with the offline engine, and can inject
every fault the client must survive.  It binds to 127.0.0.1 unless told otherwise.

Faults are queued per endpoint with ``POST /_emulator/faults`` (JSON
``{"generate": ["http:503"], "upload": ["code:1002", "http:429;retry-after=1"]}``) or
sent per request in the ``X-Music01-Fault`` header.  Names: ``http:<status>[;retry-after=S]``,
``code:<base_resp code>``, ``status1``, ``badjson``, ``oddhex``, ``size``, ``url``,
``notaudio``, ``reset``, ``hang``.  ``GET /_emulator/stats`` counts requests and bytes.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import tempfile
import threading
import time
import uuid
from collections import defaultdict, deque
from datetime import UTC, datetime
from pathlib import Path

from fastapi import Request  # module level: FastAPI resolves the endpoints' annotations here

from .errors import InputError, Music01Error, UnknownIdError
from .settings import AUDIO_FORMATS, BITRATES, GENERATE_PATH, MAX_LYRICS_CHARS, MODEL, SAMPLE_RATES, UPLOAD_PATH

logger = logging.getLogger(__name__)

__all__ = ["create_app", "serve", "EmulatorServer"]

_GATEWAY_MESSAGES = {400: "Body validation error!", 401: "Unauthorized", 403: "You've run out of credits. Please top "
                     "up your balance.", 404: "Cannot POST", 429: "Too many requests", 500: "Internal server error",
                     502: "Bad gateway", 503: "Service unavailable", 504: "Gateway timeout"}


# status_msg texts in the style of MiniMax's answers.
_STATUS_MSG = {1000: "unknown error", 1001: "request timeout", 1002: "rate limit", 1004: "not authorized",
               1008: "insufficient balance", 1024: "internal error", 1026: "input new_sensitive",
               1027: "output new_sensitive", 1033: "system error", 1039: "token limit", 1041: "conn limit",
               1042: "invisible character ratio limit", 2013: "invalid params", 2045: "rate growth limit",
               2049: "invalid api key", 2056: "usage limit exceeded"}


def _gateway_body(status: int, path: str, message) -> dict:
    # The real gateway sends statusCode as a string sometimes and message as a list: so do we.
    return {"message": message, "path": path, "requestId": str(uuid.uuid4()),
            "statusCode": str(status) if status % 2 else status,
            "timestamp": datetime.now(UTC).isoformat()}


def create_app(*, key: str | None = None, latency_s: float = 0.0, home: str | os.PathLike | None = None,
               hang_s: float = 30.0):
    """Build the emulator's FastAPI app.

    Parameters
    ----------
    key : str, optional
        The Bearer key to require; None accepts any non-empty key.
    latency_s : float
        Extra seconds before each generate answers (music-01 takes 50–60 s).
    home : path-like, optional
        Where the offline engine keeps uploaded references (default: a temporary folder).
    hang_s : float
        How long the ``hang`` fault stalls before answering.
    """
    from fastapi import FastAPI
    from fastapi.responses import JSONResponse, PlainTextResponse, Response
    from starlette.concurrency import run_in_threadpool

    from .backends.offline import OfflineBackend
    from .history import History
    from .library import ReferenceLibrary
    from .settings import AudioSetting

    home = Path(home) if home is not None else Path(tempfile.mkdtemp(prefix="music01-emulator-"))
    # The emulator is a service: no reference library or history of its own on top.
    backend = OfflineBackend(home=home, history=History(home / "emulator-history"),
                             library=ReferenceLibrary(home / "emulator-library"))
    app = FastAPI(title="music01 emulator of the AI/ML API music-01 endpoints", docs_url=None, redoc_url=None)
    faults: dict[str, deque] = defaultdict(deque)
    stats = {"requests": defaultdict(int), "bytes": defaultdict(int)}
    audio_by_token: dict[str, bytes] = {}
    lock = threading.Lock()
    app.state.faults, app.state.stats, app.state.backend = faults, stats, backend

    def take_fault(endpoint: str, request: Request) -> str | None:
        header = request.headers.get("x-music01-fault")
        if header:
            return header
        with lock:
            return faults[endpoint].popleft() if faults[endpoint] else None

    def gateway(status: int, path: str, message=None, headers=None) -> JSONResponse:
        return JSONResponse(_gateway_body(status, path, message or _GATEWAY_MESSAGES.get(status, "Error")),
                            status_code=status, headers=headers)

    def base_resp(code: int, msg: str | None = None, **extra) -> JSONResponse:
        text = msg or _STATUS_MSG.get(code, f"error {code}")
        return JSONResponse({**extra, "trace_id": secrets.token_hex(16),
                             "base_resp": {"status_code": code, "status_msg": text}})

    async def abort_connection(request: Request, path: str):
        """Read the whole request, then drop the TCP connection without an answer."""
        await request.body()
        transport = getattr(getattr(request.scope.get("music01.send"), "__self__", None), "transport", None)
        if transport is not None:
            transport.abort()
            await asyncio.sleep(0.05)
        return gateway(500, path)  # only reached where the server gives no transport

    async def before(request: Request, endpoint: str, path: str):
        """Authorise and apply the faults that look alike on both endpoints: (fault, response or None)."""
        if not authorised(request):
            return None, gateway(401, path)
        fault = take_fault(endpoint, request)
        if fault == "reset":
            return fault, await abort_connection(request, path)
        if fault:
            resp = common_fault(fault, path)
            if resp is not None:
                return fault, resp
            if fault == "hang":
                await asyncio.sleep(hang_s)
        return fault, None

    def authorised(request: Request) -> bool:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return False
        return key is None or secrets.compare_digest(auth[7:].strip(), key)

    def common_fault(fault: str, path: str):
        """Faults that look the same on both endpoints; None when ``fault`` is endpoint-specific."""
        if fault.startswith("http:"):
            parts = fault[5:].split(";")
            status = int(parts[0])
            headers = {}
            for p in parts[1:]:
                if p.startswith("retry-after="):
                    headers["Retry-After"] = p.split("=", 1)[1]
            return gateway(status, path, headers=headers)
        if fault.startswith("code:"):
            return base_resp(int(fault[5:]))
        if fault == "badjson":
            return PlainTextResponse("<html>upstream hiccup</html>", status_code=200)
        return None

    @app.middleware("http")
    async def count(request: Request, call_next):
        body = await request.body()
        stats["requests"][request.url.path] += 1
        stats["bytes"][request.url.path] += len(body)
        return await call_next(request)

    @app.get("/_emulator/stats")
    async def get_stats():
        return {"requests": dict(stats["requests"]), "bytes": dict(stats["bytes"])}

    @app.post("/_emulator/faults")
    async def set_faults(request: Request):
        spec = await request.json()
        with lock:
            for endpoint, names in spec.items():
                faults[endpoint].extend(names)
        return {"queued": {k: list(v) for k, v in faults.items()}}

    @app.post("/_emulator/reset")
    async def reset_stats():
        with lock:
            faults.clear()
            stats["requests"].clear()
            stats["bytes"].clear()
        return {"ok": True}

    @app.get("/_emulator/audio/{token}")
    async def audio_url(token: str):
        data = audio_by_token.pop(token, None)
        if data is None:
            return gateway(404, f"/_emulator/audio/{token}")
        return Response(data, media_type="application/octet-stream")

    @app.post(UPLOAD_PATH)
    async def upload(request: Request):
        fault, resp = await before(request, "upload", UPLOAD_PATH)
        if resp is not None:
            return resp
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            return gateway(400, UPLOAD_PATH, ["file must be sent as multipart/form-data", "purpose should not be empty"])
        form = await request.form()
        problems = []
        upload_file = form.get("file")
        purpose = form.get("purpose")
        if upload_file is None or isinstance(upload_file, str):
            problems.append("file should not be empty")
        if purpose not in ("song", "voice", "instrumental"):
            problems.append("purpose must be one of the following values: song, voice, instrumental")
        if problems:
            return gateway(400, UPLOAD_PATH, problems)
        data = await upload_file.read()
        suffix = Path(upload_file.filename or "").suffix.lower()
        if suffix not in (".mp3", ".wav") or upload_file.content_type not in ("audio/mpeg", "audio/mp3", "audio/wav",
                                                                               "audio/x-wav", "audio/wave"):
            return base_resp(2013, "invalid params: file must be an mp3 or wav file with its audio MIME type")
        with tempfile.TemporaryDirectory(prefix="music01-emu-") as d:
            path = Path(d) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                res = await run_in_threadpool(backend._send_upload, *await run_in_threadpool(_inspect, path, purpose))
            except InputError as exc:
                # An unusable file reads as 2013 (invalid params) or 1000 upstream.
                return base_resp(2013, f"invalid params: {exc}")
        out = {"trace_id": res.trace_id, "base_resp": {"status_code": 0, "status_msg": "success"}}
        if res.voice_id:
            out["voice_id"] = res.voice_id
        if res.instrumental_id:
            out["instrumental_id"] = res.instrumental_id
        return JSONResponse(out)

    @app.post(GENERATE_PATH)
    async def generate(request: Request):
        fault, resp = await before(request, "generate", GENERATE_PATH)
        if resp is not None:
            return resp
        try:
            body = await request.json()
        except ValueError:
            return gateway(400, GENERATE_PATH, ["body must be JSON"])
        problems = _validate_generate(body)
        if problems:
            return gateway(400, GENERATE_PATH, problems)
        setting = AudioSetting(**{**{"sample_rate": 44100, "bitrate": 256000}, **body.get("audio_setting", {})})
        started = time.monotonic()
        try:
            result = await run_in_threadpool(backend._send_generate, body["lyrics"], body.get("refer_voice"),
                                             body.get("refer_instrumental"), setting, None)
        except UnknownIdError:
            which = "refer_voice" if body.get("refer_voice") and "vocal" in str(body.get("refer_voice")) else \
                "refer_instrumental"
            return base_resp(2013, f"invalid params, {which} not found")
        except InputError as exc:
            return base_resp(2013, f"invalid params: {exc}")
        except Music01Error as exc:  # pragma: no cover - engine failure
            logger.exception("emulator render failed")
            return base_resp(1000, f"unknown error: {exc}")
        wait = latency_s - (time.monotonic() - started)
        if wait > 0:
            await asyncio.sleep(wait)
        audio_hex = result.audio.hex()
        size = len(result.audio)
        if fault == "oddhex":
            audio_hex = audio_hex[:-1]
        elif fault == "size":
            size += 1000
        elif fault == "notaudio":
            audio_hex = (b"definitely not audio " * 64).hex()
            size = len(audio_hex) // 2
        elif fault == "url":
            token = secrets.token_urlsafe(12)
            audio_by_token[token] = result.audio
            audio_hex = str(request.base_url).rstrip("/") + f"/_emulator/audio/{token}"
        status = 1 if fault == "status1" else 2
        payload = {
            "data": {"status": status, "audio": "" if status == 1 else audio_hex},
            "extra_info": {"audio_length": int(result.duration_s * 1000), "audio_size": size,
                           "audio_bitrate": setting.bitrate, "audio_sample_rate": setting.sample_rate,
                           "music_duration": int(result.duration_s * 1000), "music_sample_rate": setting.sample_rate,
                           "music_channel": 2, "bitrate": setting.bitrate, "music_size": size},
            "analysis_info": None,
            "trace_id": result.trace_id,
            "base_resp": {"status_code": 0, "status_msg": "success"},
        }
        headers = {"x-inference-id": str(uuid.uuid4()), "x-aimlapi-credits-used": "630",
                   "x-aimlapi-usd-spent": "0.0315"}
        return JSONResponse(payload, headers=headers)

    @app.exception_handler(404)
    async def not_found(request: Request, exc):
        return gateway(404, request.url.path, f"Cannot {request.method} {request.url.path}")

    @app.exception_handler(405)
    async def not_allowed(request: Request, exc):
        return gateway(404, request.url.path, f"Cannot {request.method} {request.url.path}")

    return _RawSendExposer(app)


def _inspect(path: Path, purpose: str):
    from .audio import inspect_clip
    from .backends.offline import check_purpose

    check_purpose(purpose)
    return inspect_clip(path), purpose


class _RawSendExposer:
    """Outermost ASGI layer: puts the server's own ``send`` in the scope, so the ``reset``
    fault can abort the TCP connection the way a dropped network does."""

    def __init__(self, app) -> None:
        self.app = app
        self.state = app.state

    async def __call__(self, scope, receive, send):
        if scope["type"] == "http":
            scope["music01.send"] = send
        await self.app(scope, receive, send)


def _validate_generate(body) -> list[str]:
    """The gateway's body validation for generate, as messages (empty when valid)."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = []
    allowed = {"model", "lyrics", "refer_voice", "refer_instrumental", "audio_setting"}
    for k in body:
        if k not in allowed:
            problems.append(f"property {k} should not exist")
    if body.get("model") != MODEL:
        problems.append(f"model must be one of the following values: {MODEL}")
    lyrics = body.get("lyrics")
    if not isinstance(lyrics, str) or not lyrics:
        problems.append("lyrics must be a string")
    elif len(lyrics) > MAX_LYRICS_CHARS:
        problems.append(f"lyrics must be shorter than or equal to {MAX_LYRICS_CHARS} characters")
    for k in ("refer_voice", "refer_instrumental"):
        if k in body and not isinstance(body[k], str):
            problems.append(f"{k} must be a string")
    if not body.get("refer_voice") and not body.get("refer_instrumental"):
        problems.append("refer_voice or refer_instrumental should not be empty")
    setting = body.get("audio_setting")
    if setting is not None:
        if not isinstance(setting, dict):
            problems.append("audio_setting must be an object")
        else:
            for k, allowed_values in (("sample_rate", SAMPLE_RATES), ("bitrate", BITRATES), ("format", AUDIO_FORMATS)):
                if k in setting and setting[k] not in allowed_values:
                    problems.append(f"audio_setting.{k} must be one of the following values: "
                                    + ", ".join(map(str, allowed_values)))
            if "format" not in setting:
                problems.append("audio_setting.format should not be empty")
            for k in setting:
                if k not in ("sample_rate", "bitrate", "format"):
                    problems.append(f"audio_setting.property {k} should not exist")
    return problems


class EmulatorServer:
    """Run the emulator with uvicorn in a background thread (for tests and notebooks).

    Use as a context manager; ``url`` is the base URL to give the API backend.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, **app_kwargs) -> None:
        import socket

        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.host, self.port = host, port
        self.app = create_app(**app_kwargs)
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        import uvicorn

        config = uvicorn.Config(self.app, host=self.host, port=self.port, log_level="warning", lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="music01-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the emulator did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
            self._thread.join(timeout=10)

    def faults(self, **queues) -> None:
        """Queue faults, e.g. ``faults(generate=["http:503"])``."""
        for endpoint, names in queues.items():
            self.app.state.faults[endpoint].extend(names)

    def stats(self) -> dict:
        """Requests and bytes received per path so far."""
        s = self.app.state.stats
        return {"requests": dict(s["requests"]), "bytes": dict(s["bytes"])}

    def reset(self) -> None:
        self.app.state.faults.clear()
        self.app.state.stats["requests"].clear()
        self.app.state.stats["bytes"].clear()

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(*, host: str = "127.0.0.1", port: int = 8787, key: str | None = None, latency_s: float = 0.0,
          home: str | os.PathLike | None = None) -> None:
    """Run the emulator in the foreground until interrupted."""
    import uvicorn

    uvicorn.run(create_app(key=key, latency_s=latency_s, home=home), host=host, port=port, log_level="info")

