"""File URLs of the emulator: where finished audio is fetched, like the provider's CDN.

A file link is a random token; it may serve once (music-01's ``url`` fault) or until it
expires (job results).  Requests that carry an Authorization header are counted: a
client must never send its key to a file URL.
"""

from __future__ import annotations

import secrets
import time

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from .common import EmulatorState

__all__ = ["files_router", "add_file", "FILES_PREFIX"]

FILES_PREFIX = "/_emulator/files"


def add_file(
    state: EmulatorState,
    request: Request | None,
    data: bytes,
    content_type: str,
    name: str,
    *,
    once: bool = False,
    expires_in_s: float | None = None,
    base_url: str | None = None,
) -> str:
    """Store ``data`` under a fresh token; return its absolute URL."""
    token = secrets.token_urlsafe(16)
    expires = None if expires_in_s is None else time.monotonic() + expires_in_s
    with state.lock:
        state.files[token] = (data, content_type, name, expires, once)
    base = base_url or str(request.base_url).rstrip("/")
    return f"{base}{FILES_PREFIX}/{token}/{name}"


def expire_file(state: EmulatorState, url: str) -> None:
    """Make a file URL answer as an expired signed link does."""
    token = url.split(FILES_PREFIX + "/", 1)[-1].split("/", 1)[0]
    with state.lock:
        if token in state.files:
            data, ctype, name, _, once = state.files[token]
            state.files[token] = (data, ctype, name, 0.0, once)


def files_router(state: EmulatorState) -> APIRouter:
    """The file URLs over ``state``'s stored files.

    Parameters
    ----------
    state : EmulatorState

    Returns
    -------
    APIRouter
    """
    router = APIRouter()

    @router.get(FILES_PREFIX + "/{token}/{name}")
    async def get_file(token: str, name: str, request: Request):
        if request.headers.get("authorization"):
            with state.lock:
                state.stats["file_auth_headers"] += 1
        with state.lock:
            entry = state.files.get(token)
            if entry is not None and entry[4]:
                state.files.pop(token, None)
        if entry is None or entry[2] != name:
            return PlainTextResponse("<Error><Code>NoSuchKey</Code></Error>", status_code=404)
        data, ctype, _, expires, _ = entry
        if expires is not None and time.monotonic() > expires:
            return PlainTextResponse(
                "<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>", status_code=403
            )
        return Response(data, media_type=ctype)

    # The music-01 ``url`` fault's older address form, kept for scripts written against it.
    @router.get("/_emulator/audio/{token}")
    async def legacy_audio(token: str):
        with state.lock:
            entry = state.files.pop(token, None)
        if entry is None:
            return PlainTextResponse("not found", status_code=404)
        return Response(entry[0], media_type="application/octet-stream")

    return router
