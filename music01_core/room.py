"""A workshop room on one server: what a class will cost, and what it has used so far.

A teacher runs the app once for the room (``MUSIC01_SHARED=1``: one folder per browser
session under ``<home>/sessions``) with one key.  :func:`estimate_cost` says before the
class what N generations of a model cost; :func:`room_usage` reads every session's history
to say what the room has made and spent.  Neither needs the network.

Credits: the provider documents no price per model.  Its reference shows one example of
``meta.usage.credits_used`` — 120,000 credits for 0.06 USD on ``minimax/music-2.6``
(``aimlapi/api-docs``, ``music-models/MiniMax/music-2.6.json``).  The model table carries
that figure as a hint; credits this installation has really been charged, as recorded in
its history, win over it.
"""

from __future__ import annotations

import logging
import os
import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path

from .models import get_model

logger = logging.getLogger(__name__)

__all__ = [
    "CostEstimate",
    "RoomUsage",
    "estimate_cost",
    "room_usage",
    "session_homes",
    "history_homes",
    "USD_PER_CREDIT",
]

#: From the provider's one documented example: 120,000 credits = 0.06 USD.
USD_PER_CREDIT = 0.06 / 120_000


@dataclass(frozen=True)
class CostEstimate:
    """What ``generations`` generations of ``model`` are expected to cost.

    Attributes
    ----------
    model : str
    generations : int
    credits_each : float or None
        None when nothing is known (music-01: no documented figure, none recorded).
    credits_total, usd_total : float or None
        ``usd_total`` alone for a service priced in dollars (a list price).
    source : str
        Where ``credits_each`` comes from, in words.
    """

    model: str
    generations: int
    credits_each: float | None
    credits_total: float | None
    usd_total: float | None
    source: str

    def describe(self) -> str:
        """One paragraph for a person planning a class."""
        head = f"{self.generations} generation{'s' if self.generations != 1 else ''} of {self.model}"
        if self.credits_each is None and self.usd_total is not None:
            # A service that bills in dollars and reports no cost (Replicate): its published price.
            return f"{head} ≈ ${self.usd_total:,.2f} at the {self.source}. An estimate, not a quote."
        if self.credits_each is None:
            return f"{head}: no cost figure is known ({self.source}). Check the AI/ML API dashboard's pricing."
        return (
            f"{head} ≈ {self.credits_total:,.0f} credits ≈ ${self.usd_total:,.2f} "
            f"({self.credits_each:,.0f} credits each: {self.source}). An estimate, not a quote: "
            "check the AI/ML API dashboard before the class."
        )


@dataclass(frozen=True)
class RoomUsage:
    """What a shared server's sessions have made.

    Attributes
    ----------
    sessions : int
        Session folders with at least one generation or pending job.
    generations_last_hour, generations_total : int
    billed_last_hour : int
        Generations of the last hour made through the API (the ones a room cap counts).
    credits_total : float
        Sum of the credits the provider reported (what was recorded).
    usd_total : float
    pending : int
        Paid jobs not saved yet, all sessions.
    per_session : list of dict
        ``{"session", "generations", "last_hour", "pending", "credits"}``, busiest first;
        sessions are numbered, never named (their folder names are capabilities).
    """

    sessions: int
    generations_last_hour: int
    generations_total: int
    billed_last_hour: int
    credits_total: float
    usd_total: float
    pending: int
    per_session: list = field(default_factory=list)


def _credits(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def session_homes(data_home: str | os.PathLike) -> list[Path]:
    """The per-session folders of a shared server (``<data_home>/sessions/*``), oldest first."""
    root = Path(data_home) / "sessions"
    if not root.is_dir():
        return []
    return sorted((p for p in root.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime)


def history_homes(data_home: str | os.PathLike) -> list[Path]:
    """Every folder with a history under ``data_home``: the home itself (a single-user run),
    then each session of a shared server."""
    return [Path(data_home), *session_homes(data_home)]


def estimate_cost(model=None, generations: int = 1, *, data_home: str | os.PathLike | None = None) -> CostEstimate:
    """Estimate what ``generations`` generations of ``model`` will cost.

    Parameters
    ----------
    model : str or Model, optional
        Default: the default model.
    generations : int
        How many, e.g. people × tries each.
    data_home : path-like, optional
        A music01 home whose history (all sessions) holds credits really charged for this
        model; their median wins over the model table's hint.

    Returns
    -------
    CostEstimate
    """
    from .errors import InputError
    from .history import History

    m = get_model(model)
    if int(generations) < 1:
        raise InputError("the number of generations must be at least 1.")
    generations = int(generations)
    seen: list[float] = []
    paid: list[float] = []
    if data_home is not None:
        for home in history_homes(data_home):
            for e in History(home).list():
                c = _credits(e.credits_used)
                if e.model == m.id and e.backend == "api" and c:
                    seen.append(c)
                    if usd := _credits(e.usd_spent):
                        paid.append(usd)
    if seen:
        each = statistics.median(seen)
        source = f"the median of {len(seen)} generation{'s' if len(seen) != 1 else ''} in your history"
        # Dollars as the provider reported them, when it did: its own rate beats our example's.
        usd_each = statistics.median(paid) if len(paid) == len(seen) else each * USD_PER_CREDIT
        return CostEstimate(m.id, generations, each, each * generations, usd_each * generations, source)
    elif m.list_price is not None:
        usd = float(m.list_price.usd) * generations
        return CostEstimate(m.id, generations, None, None, usd, m.list_price.describe())
    elif m.credits_hint:
        each = float(m.credits_hint)
        source = "the provider's documented example (120,000 credits = $0.06); no price list is published"
    else:
        return CostEstimate(m.id, generations, None, None, None, "no documented figure and none in your history")
    total = each * generations
    return CostEstimate(m.id, generations, each, total, total * USD_PER_CREDIT, source)


def room_usage(data_home: str | os.PathLike, *, now: float | None = None) -> RoomUsage:
    """Read every session's history under ``data_home`` and sum up what the room made.

    Parameters
    ----------
    data_home : path-like
        The server's music01 home.
    now : float, optional
        Unix time (tests pass a fixed clock).

    Returns
    -------
    RoomUsage
    """
    from .history import History

    now = time.time() if now is None else now
    hour_ago = now - 3600
    rows = []
    totals = dict(last_hour=0, total=0, billed=0, credits=0.0, usd=0.0, pending=0)
    for home in history_homes(data_home):
        h = History(home)
        entries = h.list()
        pending = [j for j in h.pending() if j.state == "pending"]
        if not entries and not pending:
            continue
        last_hour = [e for e in entries if e.created >= hour_ago]
        credits = sum(_credits(e.credits_used) or 0.0 for e in entries)
        usd = sum(_credits(e.usd_spent) or 0.0 for e in entries)
        totals["last_hour"] += len(last_hour)
        totals["total"] += len(entries)
        totals["billed"] += sum(1 for e in last_hour if e.backend == "api")
        totals["credits"] += credits
        totals["usd"] += usd
        totals["pending"] += len(pending)
        rows.append(
            {"generations": len(entries), "last_hour": len(last_hour), "pending": len(pending), "credits": credits}
        )
    rows.sort(key=lambda r: (r["last_hour"], r["generations"]), reverse=True)
    for i, r in enumerate(rows, 1):
        r["session"] = i
    return RoomUsage(
        sessions=len(rows),
        generations_last_hour=totals["last_hour"],
        generations_total=totals["total"],
        billed_last_hour=totals["billed"],
        credits_total=totals["credits"],
        usd_total=totals["usd"] or totals["credits"] * USD_PER_CREDIT,
        pending=totals["pending"],
        per_session=rows,
    )
