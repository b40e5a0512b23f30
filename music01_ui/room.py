"""The teacher's panel: the room's live counter, the class's cost estimate, and one zip of
everything the room made.  Shown only when ``MUSIC01_TEACHER_TOKEN`` is set; every call
checks the token, so the named endpoints are safe to leave public."""

from __future__ import annotations

import hmac
import logging
import os
import time
import zipfile
from pathlib import Path

import gradio as gr

from music01_core.settings import data_home

from .session import (
    GENERATIONS_PER_HOUR,
    ROOM_GENERATIONS_PER_HOUR,
    ROOM_LIMITER,
    friendly,
    serve_copy,
    server_backend,
)

logger = logging.getLogger("music01.app")

TEACHER_TOKEN_ENV = "MUSIC01_TEACHER_TOKEN"


def teacher_token() -> str | None:
    return (os.environ.get(TEACHER_TOKEN_ENV) or "").strip() or None


def _token_ok(token: str | None) -> bool:
    expected = teacher_token()
    return expected is not None and hmac.compare_digest((token or "").strip().encode(), expected.encode())


def _check(token: str | None) -> None:
    if teacher_token() is None:
        raise gr.Error(f"The teacher's panel is off on this server: start it with {TEACHER_TOKEN_ENV}=… to use it.")
    if not _token_ok(token):
        time.sleep(1.0)  # a guess costs a second
        raise gr.Error(f"That is not this server's teacher token (the {TEACHER_TOKEN_ENV} it was started with).")


def room_markdown(model_id: str | None = None) -> str:
    """The counter and the estimate, as the panel shows them."""
    from music01_core.models import get_model
    from music01_core.room import estimate_cost, room_usage

    u = room_usage(data_home())
    m = get_model(model_id)
    # The price as the server's key will be charged: the copy of its provider's list (disk only), else the room's history.
    server = server_backend()
    listing = server.listing_for(m) if server is not None else None
    if ROOM_LIMITER is not None:
        used = ROOM_LIMITER.used("room")
        cap = (
            f"**{used} of {ROOM_GENERATIONS_PER_HOUR}** generations on the shared key in the last hour "
            f"(`MUSIC01_ROOM_GENERATIONS_PER_HOUR`); {max(0, ROOM_GENERATIONS_PER_HOUR - used)} left."
        )
        plan = estimate_cost(m, ROOM_GENERATIONS_PER_HOUR, data_home=data_home(), listing=listing)
        cost = f"At most, per hour of class: {plan.describe()}"
    else:
        cap = (
            "No room cap: each person gets "
            f"{GENERATIONS_PER_HOUR} per hour on the shared key. Set `MUSIC01_ROOM_GENERATIONS_PER_HOUR` to cap the room."
        )
        cost = f"For example, {estimate_cost(m, 25 * 3, data_home=data_home(), listing=listing).describe()}"
    rows = "\n".join(
        f"| {r['session']} | {r['generations']} | {r['last_hour']} | {r['pending']} | {r['credits']:,.0f} |"
        for r in u.per_session[:40]
    )
    table = "\n\n| session | made | last hour | pending | credits |\n|---|---|---|---|---|\n" + rows if rows else ""
    return (
        f"### The room, {time.strftime('%H:%M:%S')}\n\n{cap}\n\n"
        f"{u.sessions} sessions · {u.generations_last_hour} generations in the last hour "
        f"({u.billed_last_hour} billed) · {u.generations_total} in all · {u.pending} still pending · "
        f"{u.credits_total:,.0f} credits recorded (≈ ${u.usd_total:,.2f})\n\n{cost}{table}"
    )


@friendly
def api_room(token: str | None, model: str | None = None):
    """The room's live counter (teacher token required); returns the panel's Markdown."""
    _check(token)
    return room_markdown(model)


def room_tick(token: str | None, model: str | None = None):
    """The timer's refresh: silent when the token is missing or wrong (the panel says so once)."""
    if not _token_ok(token):
        return gr.skip()
    return room_markdown(model)


@friendly
def api_room_export(token: str | None):
    """One zip of every session's pieces (teacher token required), a folder per session."""
    from music01_core.history import History
    from music01_core.room import history_homes

    _check(token)
    import shutil
    import tempfile

    work = Path(tempfile.mkdtemp(prefix="music01-room-"))  # served from a copy, then removed
    out = work / f"music01-room-{time.strftime('%Y%m%d-%H%M%S')}.zip"
    tmp = out.with_name(f".{out.name}.partial")
    n = 0
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for i, home in enumerate(history_homes(data_home()), 1):
            h = History(home)
            entries = h.list()
            for e in entries:
                folder = f"session-{i:02d}/{e.id}"
                z.write(Path(e.audio_path), f"{folder}/{e.audio_file}")
                z.write(Path(e.audio_path).parent / "record.json", f"{folder}/record.json")
                n += 1
    try:
        if n == 0:
            raise gr.Error("Nothing to collect yet: no one in the room has made a piece.")
        os.replace(tmp, out)
        logger.info("room export: %d pieces", n)
        return serve_copy(out)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def account_markdown() -> str:
    """The server key's balance and the room's spend over the last 24 hours, beside the provider's log.

    Read now (the network, with short timeouts), only for the teacher: a person's session never sees
    the server key's figures.  Each part says on its own when it could not be read.
    """
    from music01_core.errors import Music01Error
    from music01_core.room import history_homes

    server = server_backend()
    if server is None:
        return (
            "### The shared key\n\nThis server has no API key of its own: there is no shared balance or spend to show."
        )
    try:
        balance = server.balance()
        money = (
            f"**Balance:** {balance.words()}" if balance is not None else "**Balance:** not published by the provider"
        )
    except Music01Error as exc:
        money = f"**Balance:** not read ({exc})"
    try:
        spend = server.spend(since="24h", homes=history_homes(data_home()))
        report = "```text\n" + "\n".join(spend.lines()) + "\n```"
    except Music01Error as exc:
        report = f"**Spend:** the provider's usage log was not read ({exc})"
    return f"### The shared key, {time.strftime('%H:%M:%S')}\n\n{money}\n\n{report}"


@friendly
def api_room_account(token: str | None):
    """The server key's balance and the last 24 hours' spend, reconciled with the room's history
    (teacher token required); returns the panel's Markdown."""
    _check(token)
    return account_markdown()
