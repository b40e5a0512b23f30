"""What a key has left and what it has spent: the balance, and the local history beside the provider's log.

Sources (``aimlapi/api-docs`` at commit f14fa72, summarised in ``shared/api/service-endpoints.md``):

- ``docs/api-references/service-endpoints/account-balance.md`` and ``billing-v2.json``:
  ``GET /v2/billing`` answers ``{current_balance: number (USD), currency: "USD"}`` for a key, both
  always present.  Read by the adapter (:meth:`music01_core.providers.aimlapi.JobClient.balance`).
- ``docs/api-references/service-endpoints/usage-logs.md`` and ``logs-v2.json``: ``GET /v2/logs``
  lists one row per request of the key, newest first, with ``cost {usd, credits}``,
  ``inference_id`` (a job's generation id) and ``client_request_id``; failed requests too, at zero
  cost.  The figures come from an analytics pipeline and **can lag** (a row may not exist yet when
  a piece was just saved).
- Credits: :data:`~music01_core.settings.CREDITS_PER_USD` (the provider's own examples: 390,000
  credits = $0.195 on the music-2.6 page, 120,000 = $0.06).

This module is pure: it reads no network.  :func:`reconcile` puts a history (pieces saved here,
and jobs still open here) beside the log's rows: each piece matched to its row(s) by generation
id, inference id or client request id; rows billed on the key that no local record knows (made
elsewhere, or lost: ``music01 resume ID`` fetches them); pieces with no row yet (the log lags, or
another key made them); totals from both sides.

Only this key's records are reconciled: a job record or a lyrics request (each keeps the fingerprint of
its key and the service's address) made with another key or against another address (a local emulator,
a key pasted in another session) is left out.  A saved piece keeps no key fingerprint (the history's
schema has none): it is matched by its ids only, so a piece another key made stays under "no row yet".
A lyrics request that failed (refused before any work, never billed) is left out too.

The client pipeline (:meth:`music01_core.client.Client.balance`, :meth:`~music01_core.client.Client.spend`)
does the reading.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from .errors import InputError, InsufficientCreditsError
from .models import get_service
from .settings import CREDITS_PER_USD, TOP_UP_URL

__all__ = [
    "Balance",
    "LogRow",
    "SpendLine",
    "Spend",
    "ShortBalanceError",
    "parse_since",
    "reconcile",
    "money",
    "credits_of",
    "MAX_WINDOW_S",
]

#: The logs endpoint's longest window: 92 days (usage-logs.md, "window over 92 days" is a 400).
MAX_WINDOW_S = 92 * 86400.0
#: A piece saved this long ago with no row is more likely another key's than the log's lag.
LAG_S = 15 * 60.0
_SINCE = re.compile(r"([1-9][0-9]*)\s*([hd])")


def money(usd: float) -> str:
    """ "$12.34", "$0.10", "$0.195": cents, or more digits when a figure under a dollar has them."""
    sign, x = ("-", -usd) if usd < 0 else ("", usd)
    if x >= 1 or round(x, 2) == round(x, 9):
        return f"{sign}${x:,.2f}"
    return f"{sign}${x:.6f}".rstrip("0")


def credits_of(usd: float) -> int:
    """The AI/ML API's credits for ``usd`` dollars, at its own rate (2,000,000 a dollar)."""
    return round(usd * CREDITS_PER_USD)


def _amount(usd: float) -> str:
    """ "$0.10 (200,000 credits)"."""
    return f"{money(usd)} ({credits_of(usd):,} credits)"


def _clock(t: float, *, now: float | None = None) -> str:
    """ "10:42" today, "2026-12-05 10:42" on another day (local time)."""
    here, then = time.localtime(now if now is not None else time.time()), time.localtime(t)
    if (here.tm_year, here.tm_yday) == (then.tm_year, then.tm_yday):
        return time.strftime("%H:%M", then)
    return time.strftime("%Y-%m-%d %H:%M", then)


def _label(service: str) -> str:
    s = get_service(service)
    return s.label if s is not None else service


def _number(value) -> float | None:
    """A cost figure as stored (a string in the history, a number in the log), or None."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


# --- the balance -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Balance:
    """What a key has left, as ``GET /v2/billing`` said it.

    Attributes
    ----------
    usd : float
        ``current_balance``: dollars (billing-v2.json, "current user balance in USD").
    currency : str
        ``currency`` ("always USD").
    checked_at : float
        Unix time of the answer, in seconds.
    service : str
        The service's name (``"aimlapi"``).
    """

    usd: float
    currency: str
    checked_at: float
    service: str = "aimlapi"

    @property
    def credits(self) -> int:
        """The balance in the provider's credits (2,000,000 a dollar)."""
        return credits_of(self.usd)

    def amount(self) -> str:
        """ "$12.34 (24,680,000 credits)"; another currency as it came ("12.34 EUR")."""
        if self.currency.upper() != "USD":
            return f"{self.usd:,.2f} {self.currency}"
        return _amount(self.usd)

    def words(self, *, now: float | None = None) -> str:
        """ "$12.34 (24,680,000 credits) · AI/ML API balance, checked 10:42"."""
        return f"{self.amount()} · {_label(self.service)} balance, checked {_clock(self.checked_at, now=now)}"

    def to_dict(self) -> dict:
        """For ``--json``: the figures, their source and when (never the key)."""
        return {
            "service": self.service,
            "usd": self.usd,
            "currency": self.currency,
            "credits": self.credits if self.currency.upper() == "USD" else None,
            "checked_at": self.checked_at,
            "words": self.words(),
        }


class ShortBalanceError(InsufficientCreditsError):
    """A billed call refused before it was sent: the known balance is below the piece's price.

    Attributes
    ----------
    balance : Balance
    price : Price
        :class:`music01_core.pricing.Price` of the piece.
    """

    def __init__(self, balance: Balance, price) -> None:
        self.balance, self.price = balance, price
        super().__init__(
            f"balance {balance.amount()} is below this piece's price {price.words()}: top up at {TOP_UP_URL} "
            "or choose a cheaper model; nothing was sent."
        )


# --- the log's rows -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LogRow:
    """One row of ``GET /v2/logs`` (logs-v2.json), read; or several rows of one generation, summed.

    Attributes
    ----------
    created : float or None
        Unix time of the request (``created``, UTC ISO-8601), None when unreadable.
    status : str
        ``succeeded`` or ``failed`` (a failed request is billed nothing).
    model : str
        As the provider names it (``minimax/music-2.6``).
    usd, credits : float
        ``cost.usd`` and ``cost.credits``.
    inference_id : str or None
        For an asynchronous generation, its generation id (request-tracing-and-cost.md).
    client_request_id, request_id : str or None
    rows : int
        How many log rows this stands for (a generation's rows are summed).
    """

    created: float | None
    status: str
    model: str
    usd: float
    credits: float
    inference_id: str | None = None
    client_request_id: str | None = None
    request_id: str | None = None
    rows: int = 1

    @classmethod
    def from_api(cls, row) -> LogRow | None:
        """The row as logs-v2.json documents it; None for one that cannot be read (no status or cost)."""
        if not isinstance(row, dict) or row.get("status") not in ("succeeded", "failed"):
            return None
        cost = row.get("cost") if isinstance(row.get("cost"), dict) else None
        usd = _number(cost.get("usd")) if cost else None
        credits = _number(cost.get("credits")) if cost else None
        if usd is None and credits is None:
            return None
        usd = usd if usd is not None else credits / CREDITS_PER_USD
        credits = credits if credits is not None else usd * CREDITS_PER_USD
        return cls(
            created=_when(row.get("created")),
            status=row["status"],
            model=row["model"] if isinstance(row.get("model"), str) else "",
            usd=usd,
            credits=credits,
            inference_id=_text(row.get("inference_id")),
            client_request_id=_text(row.get("client_request_id")),
            request_id=_text(row.get("request_id")),
        )

    @property
    def billed(self) -> bool:
        """A succeeded request (a failed one is never billed)."""
        return self.status == "succeeded"

    def to_dict(self) -> dict:
        return {
            "created": self.created,
            "status": self.status,
            "model": self.model,
            "usd": self.usd,
            "credits": self.credits,
            "generation_id": self.inference_id,
            "client_request_id": self.client_request_id,
            "rows": self.rows,
        }


def _text(value) -> str | None:
    return value if isinstance(value, str) and value else None


def _when(value) -> float | None:
    """An ISO-8601 time (no offset: UTC, logs-v2.json) as Unix time; None when unreadable."""
    if not isinstance(value, str):
        return None
    try:
        t = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.timestamp()


def _merge(rows: list[LogRow]) -> LogRow:
    """One generation's rows as one: costs summed, the first request's time and ids."""
    first = min(rows, key=lambda r: r.created if r.created is not None else float("inf"))
    return LogRow(
        created=first.created,
        status="succeeded" if any(r.billed for r in rows) else "failed",
        model=next((r.model for r in rows if r.model), ""),
        usd=sum(r.usd for r in rows),
        credits=sum(r.credits for r in rows),
        inference_id=first.inference_id,
        client_request_id=next((r.client_request_id for r in rows if r.client_request_id), None),
        request_id=first.request_id,
        rows=sum(r.rows for r in rows),
    )


# --- the report ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpendLine:
    """One piece made here, beside what the provider's log says of it.

    Attributes
    ----------
    created : float
        Unix time it was saved here (a job still open: when it was submitted).
    model : str
    generation_id : str or None
    history_id : str or None
        Its entry in the history (None for a job still open here).
    local_usd, local_credits : float or None
        The cost the provider's answer reported, as the history kept it.
    provider_usd, provider_credits : float or None
        The log's cost (its rows summed); None when the log has no row for it.
    matched_by : str or None
        ``"generation id"``, ``"inference id"`` or ``"client request id"``; None: no row.
    state : {"saved", "open", "failed", "unknown", "expired", "interrupted"}
        ``open``: submitted from here, not saved yet (``music01 resume ID`` fetches it; a lyrics request
        whose answer was lost: only the log says what it cost); the others:
        a job record here that will not be saved (:class:`~music01_core.history.PendingJob` states).
    """

    created: float
    model: str
    generation_id: str | None
    history_id: str | None
    local_usd: float | None
    local_credits: float | None
    provider_usd: float | None = None
    provider_credits: float | None = None
    matched_by: str | None = None
    state: str = "saved"

    def to_dict(self) -> dict:
        return {
            "created": self.created,
            "model": self.model,
            "generation_id": self.generation_id,
            "history_id": self.history_id,
            "local_usd": self.local_usd,
            "local_credits": self.local_credits,
            "provider_usd": self.provider_usd,
            "provider_credits": self.provider_credits,
            "matched_by": self.matched_by,
            "state": self.state,
        }


@dataclass(frozen=True)
class Spend:
    """The local history beside the provider's log, over one window.

    Attributes
    ----------
    since : str
        The window as asked (``"24h"``, ``"7d"``).
    window_s : float
    checked_at : float
        Unix time the log was read.
    service : str
    matched : tuple of SpendLine
        Pieces made here with their row(s), newest first; jobs still open here too (``state`` "open").
    unknown : tuple of LogRow
        Billed on this key, known to no local record: made elsewhere (another machine, the
        playground), or lost here.  One per generation id, newest first.
    not_logged : tuple of SpendLine
        Pieces made here in the window with no row: the log lags (a few minutes), or another key made them
        (a saved piece is matched by its ids only: the history keeps no key fingerprint).
    failed_rows : int
        Failed requests in the window (billed nothing).
    unreadable_rows : int
        Rows whose status or cost could not be read (left out of every figure).
    complete : bool
        False when the log had more rows than were read (the newest are shown).
    """

    since: str
    window_s: float
    checked_at: float
    service: str = "aimlapi"
    matched: tuple[SpendLine, ...] = ()
    unknown: tuple[LogRow, ...] = ()
    not_logged: tuple[SpendLine, ...] = ()
    failed_rows: int = 0
    unreadable_rows: int = 0
    complete: bool = True

    @property
    def local_usd(self) -> float:
        """What the pieces saved here in the window cost, as their answers said."""
        return sum(line.local_usd or 0.0 for line in (*self.matched, *self.not_logged) if line.state == "saved")

    @property
    def provider_usd(self) -> float:
        """What the log bills on this key in the window (every succeeded row)."""
        return sum(line.provider_usd or 0.0 for line in self.matched) + sum(r.usd for r in self.unknown)

    @property
    def local_credits(self) -> float:
        return sum(line.local_credits or 0.0 for line in (*self.matched, *self.not_logged) if line.state == "saved")

    @property
    def provider_credits(self) -> float:
        return sum(line.provider_credits or 0.0 for line in self.matched) + sum(r.credits for r in self.unknown)

    @property
    def unpriced(self) -> int:
        """Pieces saved here whose answer reported no cost (counted as zero in the local total)."""
        return sum(1 for line in (*self.matched, *self.not_logged) if line.state == "saved" and line.local_usd is None)

    def lines(self, *, now: float | None = None) -> list[str]:
        """The report as people read it: matched pieces, rows no record knows (with how to fetch them),
        pieces with no row yet, and the totals of both sides."""
        label = _label(self.service)
        out = [f"spend over the last {self.since} · {label} usage log, read {_clock(self.checked_at, now=now)}"]
        if self.matched:
            out.append(f"  {'time':16s}  {'model':20s}  {'generation':14s}  {'here':>10s}  {'provider':>10s}")
            for x in self.matched:
                gid = _short(x.generation_id)
                here = money(x.local_usd) if x.local_usd is not None else "—"
                there = money(x.provider_usd) if x.provider_usd is not None else "—"
                mark = f"  (not saved yet: music01 resume {x.generation_id})" if x.state == "open" else ""
                if x.state == "open" and (x.history_id or "").startswith(_LYRICS):
                    mark = "  (lyrics request, its answer lost here: billed as the log says)"
                mark = mark if x.state in ("open", "saved") else f"  ({x.state} here: `music01 jobs` lists it)"
                when = _clock(x.created, now=now)
                out.append(f"  {when:16s}  {x.model[:20]:20s}  {gid:14s}  {here:>10s}  {there:>10s}{mark}")
        else:
            out.append("  no piece of this history is in the window's log")
        if self.unknown:
            out.append(f"billed on this key but not in your history ({len(self.unknown)}):")
            for r in self.unknown:
                when = _clock(r.created, now=now) if r.created is not None else "?"
                out.append(f"  {when:16s}  {r.model[:20]:20s}  {_amount(r.usd)}  {r.inference_id or '(no id)'}")
            out.append("  fetch one with: music01 resume <id>")
        if self.not_logged:
            out.append(
                f"made here, no row in the provider's log yet, or made with another key ({len(self.not_logged)}):"
            )
            for x in self.not_logged:
                cost = money(x.local_usd) if x.local_usd is not None else "no cost reported"
                out.append(
                    f"  {_clock(x.created, now=now):16s}  {x.model[:20]:20s}  {_short(x.generation_id):14s}  {cost}"
                )
            out.append(
                "  the log comes from an analytics pipeline and lags a few minutes: look again later"
                + (" (a piece older than that was likely made with another key)" if self._old_unlogged(now) else "")
            )
        out.append(
            f"total here: {_amount(self.local_usd)} for {self._saved()} piece{'s' * (self._saved() != 1)}"
            + (f" ({self.unpriced} with no cost reported)" if self.unpriced else "")
        )
        billed = len(self.matched) + len(self.unknown)
        out.append(
            f"total in the provider's log: {_amount(self.provider_usd)} for {billed} generation{'s' * (billed != 1)}"
            + (
                f" · {self.failed_rows} failed request{'s' * (self.failed_rows != 1)}, not billed"
                if self.failed_rows
                else ""
            )
        )
        if self.unreadable_rows:
            out.append(f"{self.unreadable_rows} row(s) of the log could not be read and are left out")
        if not self.complete:
            out.append("the log holds more rows than were read: these are the newest; ask for a shorter --since")
        return out

    def _saved(self) -> int:
        return sum(1 for line in (*self.matched, *self.not_logged) if line.state == "saved")

    def _old_unlogged(self, now: float | None) -> bool:
        t = now if now is not None else time.time()
        return any(t - x.created > LAG_S for x in self.not_logged)

    def to_dict(self) -> dict:
        """For ``--json``: every list and both totals, in dollars and credits."""
        return {
            "service": self.service,
            "since": self.since,
            "window_s": self.window_s,
            "checked_at": self.checked_at,
            "complete": self.complete,
            "matched": [x.to_dict() for x in self.matched],
            "unknown": [r.to_dict() for r in self.unknown],
            "not_logged": [x.to_dict() for x in self.not_logged],
            "failed_rows": self.failed_rows,
            "unreadable_rows": self.unreadable_rows,
            "totals": {
                "local": {"usd": self.local_usd, "credits": self.local_credits, "pieces": self._saved()},
                "provider": {
                    "usd": self.provider_usd,
                    "credits": self.provider_credits,
                    "generations": len(self.matched) + len(self.unknown),
                },
            },
        }


def _short(gid: str | None) -> str:
    if not gid:
        return "—"
    return gid if len(gid) <= 14 else gid[:12] + "…"


def parse_since(since: str) -> tuple[str, float]:
    """``"24h"`` / ``"7d"`` as the logs endpoint takes it, and its length in seconds.

    The endpoint's ``period`` is "a positive integer followed by ``h`` or ``d``", at most 92 days
    (usage-logs.md, logs-v2.json).

    Raises
    ------
    InputError
        Anything else, with what to type.
    """
    m = _SINCE.fullmatch(str(since or "").strip().lower())
    span = (int(m.group(1)) * (3600 if m.group(2) == "h" else 86400)) if m else None
    if span is None or span > MAX_WINDOW_S:
        raise InputError(
            f"{since!r} is not a window the provider's log can be read over: type a whole number of hours or "
            "days, such as 24h or 7d (at most 92d)."
        )
    return f"{m.group(1)}{m.group(2)}", float(span)


def reconcile(
    entries: Iterable,
    rows: Iterable,
    *,
    since: str = "24h",
    open_jobs: Iterable = (),
    checked_at: float | None = None,
    service: str = "aimlapi",
    complete: bool = True,
    key_fp: str | None = None,
    base_url: str | None = None,
) -> Spend:
    """Put a history beside the provider's log rows of one key and window.

    Parameters
    ----------
    entries : iterable of HistoryEntry or ChatCall
        Pieces saved here (every home read; only those made on the service, ``backend == "api"``, count),
        and lyrics requests (:class:`~music01_core.lyrics_writer.ChatCall`: an answered one counts as a piece,
        a lost one as a job still open, a failed one not at all).  A saved piece is matched by its ids
        only (the history keeps no key fingerprint).
    rows : iterable of dict or LogRow
        The log's rows for the window, as ``GET /v2/logs`` answered them (logs-v2.json).
    since : str
        The window (``"24h"``, ``"7d"``).
    open_jobs : iterable of PendingJob
        Job records here not saved as pieces (running, answer lost, failed…): a row of theirs is
        known, never "made elsewhere".
    checked_at : float, optional
        When the log was read (default now).
    service : str
    complete : bool
        False when the log had more rows than were read.
    key_fp : str, optional
        The fingerprint of the key whose log ``rows`` are (:func:`music01_core.library.key_fingerprint`):
        a job record or lyrics request made with another key is left out.  None: no record is left out.
    base_url : str, optional
        The service's address the log was read from: a record sent to another one (a local emulator) is
        left out.  None: no record is left out for its address.

    Returns
    -------
    Spend
    """
    period, window_s = parse_since(since)
    now = time.time() if checked_at is None else checked_at
    read, unreadable = [], 0
    for row in rows:
        r = row if isinstance(row, LogRow) else LogRow.from_api(row)
        if r is None:
            unreadable += 1
        else:
            read.append(r)
    records = [
        _Record.of_call(e) if _is_call(e) else _Record.of_entry(e)
        for e in entries
        if getattr(e, "backend", None) == "api" and _this_key(e, key_fp, base_url)
    ]
    records += [_Record.of_job(j) for j in open_jobs if _this_key(j, key_fp, base_url)]
    records = [r for r in records if r is not None]
    index: dict[tuple[str, str], int] = {}
    for i, rec in enumerate(records):
        for key in rec.keys():
            index.setdefault(key, i)
    found: dict[int, tuple[str, list[LogRow]]] = {}
    strangers: dict[str, list[LogRow]] = {}
    for n, r in enumerate(read):
        hit = _match(index, r)
        if hit is not None:
            found.setdefault(hit[0], (hit[1], []))[1].append(r)
        elif r.billed:
            strangers.setdefault(r.inference_id or r.request_id or f"row {n}", []).append(r)
    matched, not_logged = [], []
    for i, rec in enumerate(records):
        if i in found:
            how, rs = found[i]
            matched.append(rec.with_rows(how, [r for r in rs if r.billed]))
        elif rec.line.state == "saved" and rec.line.created >= now - window_s:
            not_logged.append(rec.line)
    return Spend(
        since=period,
        window_s=window_s,
        checked_at=now,
        service=service,
        matched=tuple(sorted(matched, key=lambda x: x.created, reverse=True)),
        unknown=tuple(sorted((_merge(rs) for rs in strangers.values()), key=_newest, reverse=True)),
        not_logged=tuple(sorted(not_logged, key=lambda x: x.created, reverse=True)),
        failed_rows=sum(1 for r in read if not r.billed),
        unreadable_rows=unreadable,
        complete=complete,
    )


#: A lyrics request's entry id (``ChatCall.id``: "lyrics-<client request id>").
_LYRICS = "lyrics-"


def _is_call(e) -> bool:
    """A lyrics request's record (a :class:`~music01_core.lyrics_writer.ChatCall`), not a saved piece."""
    return isinstance(getattr(e, "state", None), str) and hasattr(e, "client_request_id") and hasattr(e, "key_fp")


def _root(url) -> str:
    return url.strip().rstrip("/").lower() if isinstance(url, str) else ""


def _this_key(record, key_fp: str | None, base_url: str | None) -> bool:
    """Whether a record may belong to the key being reconciled.

    A job record or lyrics request keeps its key's fingerprint and the service's address: one that names
    another is another key's (or another service's: a local emulator).  A record that names none (a saved
    piece: the history keeps no fingerprint; an older record) is kept, and matched by its ids only.
    """
    fp = getattr(record, "key_fp", None)
    if key_fp is not None and isinstance(fp, str) and fp and fp != key_fp:
        return False
    where = _root(getattr(record, "base_url", None))
    return not (base_url is not None and where and where != _root(base_url))


def _newest(r: LogRow) -> float:
    return r.created if r.created is not None else 0.0


_BY = ("generation id", "inference id", "client request id")


def _match(index: dict, row: LogRow) -> tuple[int, str] | None:
    """The local record a row belongs to, and by which id: generation id, inference id, then client request id."""
    for kind, value in zip(_BY, (row.inference_id, row.inference_id, row.client_request_id), strict=True):
        if value and (kind, value) in index:
            return index[(kind, value)], kind
    return None


@dataclass(frozen=True)
class _Record:
    """A local record (a saved piece, or a job still open here) with the ids the log may know it by."""

    line: SpendLine
    inference_id: str | None = None
    client_request_id: str | None = None

    @classmethod
    def of_entry(cls, e) -> _Record:
        usd, credits = _costs(e.usd_spent, e.credits_used)
        line = SpendLine(
            created=float(e.created),
            model=e.model,
            generation_id=e.generation_id or e.inference_id,
            history_id=e.id,
            local_usd=usd,
            local_credits=credits,
        )
        return cls(line, e.inference_id, e.client_request_id)

    @classmethod
    def of_job(cls, j) -> _Record:
        usd, credits = _costs(j.usd_spent, j.credits_used)
        # A record whose answer was lost is named "sent-…" until the log gives its id: only its request id matches.
        gid = None if j.answer_lost else j.generation_id
        line = SpendLine(
            created=float(j.created),
            model=j.model,
            generation_id=gid,
            history_id=None,
            local_usd=usd,
            local_credits=credits,
            state="open" if j.state in ("pending", "sent", "lost") else j.state,
        )
        return cls(line, j.inference_id, j.client_request_id)

    @classmethod
    def of_call(cls, c) -> _Record | None:
        """A lyrics request (:class:`~music01_core.lyrics_writer.ChatCall`), its state mapped as a job's is:
        ``answered``: a piece saved; ``sent``/``lost``: open (its answer lost: it may be billed); ``failed``:
        refused before any work, never billed: None (left out)."""
        if c.state == "failed":
            return None
        usd, credits = _costs(c.usd_spent, c.credits_used)
        line = SpendLine(
            created=float(c.created),
            model=c.model,
            generation_id=c.generation_id or c.inference_id,
            history_id=c.id,
            local_usd=usd,
            local_credits=credits,
            state="saved" if c.state == "answered" else "open" if c.state in ("sent", "lost") else c.state,
        )
        return cls(line, c.inference_id, c.client_request_id)

    def keys(self):
        ids = (self.line.generation_id, self.inference_id, self.client_request_id)
        return [(kind, value) for kind, value in zip(_BY, ids, strict=True) if value]

    def with_rows(self, how: str, rows: list[LogRow]) -> SpendLine:
        gid = self.line.generation_id or next((r.inference_id for r in rows if r.inference_id), None)
        return replace(
            self.line,
            generation_id=gid,
            provider_usd=sum(r.usd for r in rows),
            provider_credits=sum(r.credits for r in rows),
            matched_by=how,
        )


def _costs(usd, credits) -> tuple[float | None, float | None]:
    """A record's cost in dollars and credits, each from the other when only one was reported."""
    usd, credits = _number(usd), _number(credits)
    if usd is None and credits is not None:
        usd = credits / CREDITS_PER_USD
    if credits is None and usd is not None:
        credits = usd * CREDITS_PER_USD
    return usd, credits
