"""A loopback emulator of the AI/ML API's music endpoints, for tests and workshops.

Eight routers, one per interface: music-01's legacy upload/generate
(:mod:`.music01`), the model catalogue ``GET /v1/models`` (:mod:`.catalogue`), the asynchronous job interface of the live models (:mod:`.jobs`), the
file URLs finished audio is fetched from (:mod:`.files`), the usage logs ``GET /v2/logs``
with the tracing and cost headers of the billed endpoints (:mod:`.logs`), each key's balance
``GET /v2/billing``, lowered by every billed call (:mod:`.billing`), the chat completions
``POST /v1/chat/completions`` answered by a deterministic stand-in lyricist (:mod:`.chat`), and the control
endpoints (:mod:`.control`: ``POST /_emulator/faults``, ``GET /_emulator/stats``,
``POST /_emulator/reset``).  Requests are validated against the provider's own contract
(:mod:`.contract`), never against our client-side model table; audio is rendered by the
offline engine.  It binds to 127.0.0.1 unless told otherwise.

:func:`create_replicate_app` (:mod:`.replicate`) builds a second emulator, of Replicate's
HTTP API for MiniMax's music models; ``EmulatorServer(service="replicate", ...)`` serves it.

Faults are queued per endpoint with ``POST /_emulator/faults`` (JSON such as
``{"generate": ["http:503"], "submit": ["reset"], "job": ["job:stuck"]}``) or sent per
request in the ``X-Music01-Fault`` header.  music-01 (endpoints "upload", "generate"):
``http:<status>[;retry-after=S]``, ``code:<base_resp code>``, ``status1``, ``badjson``,
``oddhex``, ``size``, ``url``, ``notaudio``, ``reset``, ``hang``, ``slow`` (the answer
dribbles in over 1.5 s).  Jobs: see :mod:`.jobs`; ``GET /v2/logs`` ("logs"): see :mod:`.logs`.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from fastapi import FastAPI, Request  # module level: FastAPI resolves the endpoints' annotations here

from ..backends.offline import OfflineBackend
from ..history import History
from ..library import ReferenceLibrary
from .billing import apply_ops as billing_ops
from .billing import billing_router
from .catalogue import apply_ops, catalogue_router
from .chat import chat_router
from .common import EmulatorState, RawSendExposer, gateway
from .control import control_router
from .files import files_router
from .jobs import jobs_router
from .logs import logs_router
from .music01 import music01_router
from .replicate import create_replicate_app

__all__ = ["create_app", "create_replicate_app", "serve", "EmulatorServer"]

#: The services :class:`EmulatorServer` can run.
SERVICES = ("aimlapi", "replicate")


def create_app(
    *,
    key: str | None = None,
    latency_s: float = 0.0,
    home: str | os.PathLike | None = None,
    hang_s: float = 30.0,
    retire_music01: bool = False,
    queue_s: float = 0.0,
    file_ttl_s: float = 3600.0,
    id_style: str = "uuid",
    poll_meta: bool = True,
    sparse_audio_file: bool = False,
    logs_lag_s: float = 0.0,
    logs_rate_limit: int = 200,
    logs_rate_window_s: float = 60.0,
    balance_usd: float = 10.0,
    refuse_when_short: bool = False,
):
    """Build the emulator's FastAPI app.

    Parameters
    ----------
    key : str, optional
        The Bearer key to require; None accepts any non-empty key.
    latency_s : float
        Seconds a music-01 generate takes to answer, and a job to complete (the provider's: 50–60 s).
    home : path-like, optional
        Where the offline engine keeps references (default: a temporary folder).
    hang_s : float
        How long the ``hang`` and ``lost:hang`` faults stall.
    retire_music01 : bool
        Answer music-01's endpoints as the provider does since August 2026 (404 / 400).
    queue_s : float
        Seconds a job reports ``queued`` (default a third of ``latency_s``).
    file_ttl_s : float
        Seconds a finished file's URL stays valid.
    id_style : {"uuid", "nanoid"}
        Generation ids as ``<uuid4>:<model>`` (the older pages) or 21-character nanoids (music-2.6's).
    poll_meta, sparse_audio_file : bool
        A completed poll carries ``meta.usage``; its ``audio_file`` holds only ``url``.
    logs_lag_s : float
        Seconds before a request's row shows in ``GET /v2/logs``.
    logs_rate_limit, logs_rate_window_s : int, float
        ``GET /v2/logs`` answers 429 past this many calls per key in this window (200 per 60 s).
    balance_usd, refuse_when_short : float, bool
        Each key's starting balance (USD, lowered by each billed call); a 403 for a submit costing more.

    Returns
    -------
    ASGI app
        The FastAPI app wrapped so the ``reset`` fault can drop a connection; its ``state`` is the app's.
    """
    if id_style not in ("uuid", "nanoid"):
        raise ValueError(f"id_style must be 'uuid' or 'nanoid', not {id_style!r}")
    home = Path(home) if home is not None else Path(tempfile.mkdtemp(prefix="music01-emulator-"))
    options = dict(latency_s=latency_s, hang_s=hang_s, queue_s=queue_s, retire_music01=retire_music01)
    options.update(file_ttl_s=file_ttl_s, id_style=id_style, poll_meta=poll_meta, sparse_audio_file=sparse_audio_file)
    options.update(logs_lag_s=logs_lag_s, logs_rate_limit=logs_rate_limit, logs_rate_window_s=logs_rate_window_s)
    options.update(balance_usd=float(balance_usd), refuse_when_short=refuse_when_short)
    return _build(EmulatorState(backend=_backend(home), home=home, key=key, **options))


def _build(state: EmulatorState):
    """The app over ``state``: its routers, counter and 404 answers, wrapped for the ``reset`` fault."""
    app = FastAPI(title="music01 emulator of the AI/ML API music endpoints", docs_url=None, redoc_url=None)
    app.state.emulator = state
    app.state.faults, app.state.stats, app.state.backend = state.faults, state.stats, state.backend
    app.middleware("http")(_counter(state))
    routers = (control_router, files_router, music01_router, jobs_router, logs_router, catalogue_router, billing_router)
    routers += (chat_router,)  # POST /v1/chat/completions: a stand-in lyricist (see .chat)
    for router in routers:
        app.include_router(router(state))
    # The gateway answers an unknown path, and a known path with the wrong method, with 404 "Cannot …".
    app.add_exception_handler(404, _cannot)
    app.add_exception_handler(405, _cannot)
    return RawSendExposer(app)


def _backend(home: Path) -> OfflineBackend:
    # The emulator is a service: no reference library or history of its own on top.
    return OfflineBackend(
        home=home, history=History(home / "emulator-history"), library=ReferenceLibrary(home / "emulator-library")
    )


def _counter(state: EmulatorState):
    """The middleware that counts requests, methods and bytes per path (``/_emulator/stats``)."""

    async def count(request: Request, call_next):
        body = await request.body()
        with state.lock:
            state.stats["requests"][request.url.path] += 1
            state.stats["methods"][f"{request.method} {request.url.path}"] += 1
            state.stats["bytes"][request.url.path] += len(body)
        return await call_next(request)

    return count


async def _cannot(request: Request, exc):
    return gateway(404, request.url.path, f"Cannot {request.method} {request.url.path}")


class EmulatorServer:
    """Run the emulator with uvicorn in a background thread (for tests and notebooks).

    Use as a context manager; ``url`` is the base URL to give the API backend.

    Parameters
    ----------
    host, port : str, int
        Where to listen (port 0: a free one).
    service : {"aimlapi", "replicate"}
        The AI/ML API (:func:`create_app`) or Replicate's API (:func:`create_replicate_app`).
    **app_kwargs
        The chosen factory's options.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, service: str = "aimlapi", **app_kwargs) -> None:
        import socket

        if service not in SERVICES:
            raise ValueError(f"service must be one of {', '.join(SERVICES)}, not {service!r}")
        if port == 0:
            with socket.socket() as s:
                s.bind((host, 0))
                port = s.getsockname()[1]
        self.host, self.port, self.service = host, port, service
        self.app = create_replicate_app(**app_kwargs) if service == "replicate" else create_app(**app_kwargs)
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def state(self):
        """The app's shared state: an :class:`EmulatorState`, or a ``ReplicateState`` for Replicate."""
        return self.app.state.emulator

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
        """Queue faults, e.g. ``faults(generate=["http:503"], job=["job:stuck"])``.

        Replicate's endpoints: ``create``, ``get``, ``list``, ``cancel``, ``files``, ``delivery``
        and ``prediction`` (see :mod:`.replicate`).
        """
        with self.state.lock:
            for endpoint, names in queues.items():
                self.state.faults[endpoint].extend(names)

    def stats(self) -> dict:
        """Requests and bytes received per path so far, the submits, and file requests that carried a key.

        For Replicate: requests, methods and bytes per path, and the journal ``creates``,
        ``files``, ``deletes``, ``cancels``, ``tokens_seen`` and ``delivery_auth_headers``.
        """
        if self.service == "replicate":
            return self.state.snapshot()
        s = self.state.stats
        return {
            "requests": dict(s["requests"]),
            "methods": dict(s["methods"]),
            "bytes": dict(s["bytes"]),
            "submits": list(s["submits"]),
            "file_auth_headers": s["file_auth_headers"],
        }

    def reset(self) -> None:
        self.state.reset()

    def catalogue(self, **ops) -> dict:
        """Edit the model catalogue (see :mod:`.catalogue`) and return its state.

        E.g. ``catalogue(delist=["minimax/music-1.5"])``, ``catalogue(republish={"id": "minimax/music-2.6",
        "as": "minimax/music-2.6-v2"})``, ``catalogue(fault="http:503")``, ``catalogue(reset=True)``;
        with no ops, the current items, queued faults and ``catalogue_auth_headers``.
        """
        return apply_ops(self.state, ops)

    def billing(self, **ops) -> dict:
        """Edit the balances (see :mod:`.billing`) and return their state.

        E.g. ``billing(balance_usd=0.10)`` (every key's balance, and the start for keys not seen yet),
        ``billing(refuse_when_short=True)``, ``billing(fault="http:503")``, ``billing(reset=True)``;
        with no ops, the state: ``balance_usd``, ``balances`` (by key hash), ``refuse_when_short``, ``charges``.
        """
        return billing_ops(self.state, ops)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8787,
    key: str | None = None,
    latency_s: float = 0.0,
    home: str | os.PathLike | None = None,
    retire_music01: bool = False,
    service: str = "aimlapi",
    balance_usd: float = 10.0,
    refuse_when_short: bool = False,
) -> None:
    """Run the emulator in the foreground until interrupted (``service="replicate"``: Replicate's API;
    ``balance_usd`` / ``refuse_when_short``: the AI/ML API's billing, see :func:`create_app`)."""
    import uvicorn

    if service == "replicate":
        app = create_replicate_app(token=key, run_s=latency_s, home=home)
    else:
        app = create_app(
            key=key,
            latency_s=latency_s,
            home=home,
            retire_music01=retire_music01,
            balance_usd=balance_usd,
            refuse_when_short=refuse_when_short,
        )
    uvicorn.run(app, host=host, port=port, log_level="info")
