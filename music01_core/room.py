"""A workshop room on one server: what a class will cost, and what it has used so far.

A teacher runs the app once for the room (``MUSIC01_SHARED=1``: one folder per browser
session under ``<home>/sessions``) with one key.  :func:`estimate_cost` says before the
class what N generations of a model cost; :func:`room_usage` reads every session's history
to say what the room has made and spent.  Neither needs the network.

Prices come from :func:`music01_core.pricing.price_of`: the provider's own list when its copy
holds a figure, else what this installation's history says the pieces really cost, else the
table's list price (a service with no list), else no figure.  Nothing is written by hand.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from .catalogue import Catalogue
from .models import get_model
from .pricing import Price, price_of
from .settings import CREDITS_PER_USD

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

#: The provider's own rate (:data:`~music01_core.settings.CREDITS_PER_USD`).
USD_PER_CREDIT = 1 / CREDITS_PER_USD


@dataclass(frozen=True)
class CostEstimate:
    """What ``generations`` generations of ``model`` are expected to cost.

    Attributes
    ----------
    model : str
    generations : int
    price : Price
        One piece's price and its source (:func:`music01_core.pricing.price_of`).
    """

    model: str
    generations: int
    price: Price

    @property
    def usd_total(self) -> float | None:
        """Dollars for all of them (the low end of a range); None: no figure."""
        return None if self.price.usd_each is None else self.price.usd_each * self.generations

    @property
    def credits_total(self) -> float | None:
        """The AI/ML API's credits for all of them; None: no figure, or a service billed in dollars."""
        each = self.price.credits_each if self.price.credits else None
        return None if each is None else each * self.generations

    @property
    def source(self) -> str:
        """Where the figure comes from, in words."""
        p = self.price
        return p.source + (f", {p.detail}" if p.detail else "")

    def describe(self) -> str:
        """One paragraph for a person planning a class."""
        head = f"{self.generations} generation{'s' if self.generations != 1 else ''} of {self.model}"
        p = self.price
        if p.usd_each is None:
            listed = f": the list says {p.as_listed}" if p.as_listed else ""
            return f"{head}: no cost figure is known ({self.source}){listed}. Check the provider's pricing page."
        each = p.amount(1)
        return f"{head} ≈ {p.amount(self.generations)} at {each} each ({self.source}). An estimate, not a quote."


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


def estimate_cost(
    model=None,
    generations: int = 1,
    *,
    data_home: str | os.PathLike | None = None,
    listing: Catalogue | None = None,
) -> CostEstimate:
    """Estimate what ``generations`` generations of ``model`` will cost.

    Parameters
    ----------
    model : str or Model, optional
        Default: the default model.
    generations : int
        How many, e.g. people × tries each.
    data_home : path-like, optional
        A music01 home whose history (all sessions) holds what this model's pieces really cost.
    listing : Catalogue, optional
        The provider's list with its prices (a copy on disk); it wins over the history.

    Returns
    -------
    CostEstimate
    """
    from .errors import InputError

    m = get_model(model)
    if int(generations) < 1:
        raise InputError("the number of generations must be at least 1.")
    homes = history_homes(data_home) if data_home is not None else []
    return CostEstimate(m.id, int(generations), price_of(m, listing=listing, homes=homes))


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
