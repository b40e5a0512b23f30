"""What a piece costs before it is billed, and where that figure comes from.

The sources, best first (issue 23):

1. **The provider's list**: the AI/ML API's catalogue (``GET /v1/models?include=pricing``, read by
   :mod:`.catalogue`; aimlapi/api-docs f14fa72, ``docs/api-references/service-endpoints/
   complete-model-list.md``).  Every ``kind`` is read with its ``per``: ``fixed`` ``units``,
   ``variants`` (the variant whose ``when`` matches the request's settings, else the range),
   ``variable`` (no figure ahead of the request).
2. **Your history**: the median of what the provider charged for this model's pieces already
   made here (``usd_spent`` as its answers reported it).
3. **The table's list price**: for a service that publishes no list and reports no cost
   (Replicate), the price read from its model page, with the date it was read.
4. Otherwise "no figure": nothing is made up.

Dollars are shown with the AI/ML API's credits beside them, at the provider's own rate
(:data:`~music01_core.settings.CREDITS_PER_USD`).
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .catalogue import Catalogue, unit_price_words
from .history import History
from .models import Model, get_model
from .settings import CREDITS_PER_USD

logger = logging.getLogger(__name__)

__all__ = ["Price", "price_of", "checked_words_at", "PIECE_UNITS"]

#: Units of a list price that are one piece each ("$0.195 per generation").
PIECE_UNITS = frozenset({"generation", "request", "output", "output file", "file", "song", "track", "piece", "call"})

LIST, HISTORY, TABLE, NONE = "provider's list", "your history", "list price", "no figure"


@dataclass(frozen=True)
class Price:
    """The expected price of one piece.

    Attributes
    ----------
    usd_each : float or None
        Dollars per piece (the low end of a range); None: no figure.
    usd_high : float or None
        The high end when the price depends on settings not chosen yet.
    source : {"provider's list", "your history", "list price", "no figure"}
    detail : str
        When and how it was read ("checked 2026-12-06 10:42", "median of 3 pieces").
    as_listed : str or None
        The list's own words when it prices something other than a piece ("$0.001 per second").
    credits : bool
        Whether credits are shown beside dollars (the AI/ML API bills in credits).
    """

    usd_each: float | None
    usd_high: float | None = None
    source: str = NONE
    detail: str = ""
    as_listed: str | None = None
    credits: bool = True

    @property
    def known(self) -> bool:
        """Whether there is a per-piece figure."""
        return self.usd_each is not None

    @property
    def credits_each(self) -> float | None:
        """The AI/ML API's credits per piece, at its own rate."""
        return None if self.usd_each is None else self.usd_each * CREDITS_PER_USD

    def amount(self, pieces: int = 1) -> str:
        """ "$0.195 (390,000 credits)", "$0.10–$0.12 (200,000–240,000 credits)" for ``pieces`` pieces; "" without a figure."""
        if self.usd_each is None:
            return ""
        low, high = self.usd_each * pieces, (self.usd_high or self.usd_each) * pieces
        usd = _usd(low) if high == low else f"{_usd(low)}–{_usd(high)}"
        if not self.credits:
            return usd
        cr = f"{low * CREDITS_PER_USD:,.0f}"
        if high != low:
            cr += f"–{high * CREDITS_PER_USD:,.0f}"
        return f"{usd} ({cr} credits)"

    def words(self, pieces: int = 1) -> str:
        """What people read: "≈ $0.195 a piece (390,000 credits) · provider's list, checked 10:42"."""
        where = self.source + (f", {self.detail}" if self.detail else "")
        if self.usd_each is None:
            if self.as_listed:
                return f"{self.as_listed} · {where}"
            return "no price figure" + (f" ({self.detail})" if self.detail else "")
        each = "a piece" if pieces == 1 else f"for {pieces} pieces"
        return f"≈ {self.amount(pieces)} {each} · {where}"

    def to_dict(self) -> dict:
        """For ``--json`` and the history: the figures and their source."""
        return {
            "usd_each": self.usd_each,
            "usd_high": self.usd_high,
            "credits_each": self.credits_each if self.credits else None,
            "source": self.source,
            "detail": self.detail,
            "as_listed": self.as_listed,
            "words": self.words(),
        }


def price_of(
    model: str | Model,
    *,
    listing: Catalogue | None = None,
    homes: Iterable[str | Path] = (),
    settings: dict | None = None,
) -> Price:
    """The expected price of one piece of ``model``, from the best source there is.

    Parameters
    ----------
    model : str or Model
    listing : Catalogue, optional
        The provider's list (a copy on disk: nothing here reads the network).
    homes : iterable of path-like
        music01 homes whose history holds pieces of this model (a person's own; all sessions for a room).
    settings : dict, optional
        The request's fields, flattened with dots (``{"audio_setting.sample_rate": 44100}``), to pick
        a ``variants`` price.

    Returns
    -------
    Price
    """
    m = get_model(model)
    aiml = m.provider == "aimlapi"
    if listing is not None and listing.checked_at is not None:
        found = listing.find(m.remote_id)
        if found is not None and found.pricing:
            price = _from_list(found.pricing, settings or {}, checked_words_at(listing.checked_at), credits=aiml)
            if price is not None:
                return price
    paid = _paid(m, homes)
    if paid:
        n = len(paid)
        return Price(
            statistics.median(paid), source=HISTORY, detail=f"median of {n} piece{'s' * (n != 1)}", credits=aiml
        )
    if m.list_price is not None:
        lp = m.list_price
        return Price(float(lp.usd), source=TABLE, detail=f"{lp.source}, read on {lp.as_of}", credits=aiml)
    why = "the provider's list has none" if listing is not None and listing.checked_at else "model list not checked"
    return Price(None, source=NONE, detail=f"{why}, none in your history", credits=aiml)


def _from_list(pricing: dict, settings: dict, detail: str, *, credits: bool) -> Price | None:
    kind = pricing.get("kind")
    if kind == "fixed":
        units = [u for u in pricing.get("units") or [] if isinstance(u, dict)]
        each = [_each(u.get("price"), u.get("per"), u.get("name"), u.get("measure")) for u in units]
        if each and all(x is not None for x in each):
            # Several per-piece units add up (a piece is charged each of them).
            return Price(sum(each), source=LIST, detail=detail, credits=credits)
        said = "; ".join(filter(None, (unit_price_words(u.get("price"), u.get("per"), u.get("name")) for u in units)))
        return Price(None, source=LIST, detail=detail, as_listed=said or None, credits=credits) if said else None
    if kind == "variants":
        variants = [v for v in pricing.get("variants") or [] if isinstance(v, dict)]
        chosen = [v for v in variants if _matches(v.get("when"), settings)] if settings else []
        pool = chosen[:1] or variants
        each = [_each(v.get("price"), v.get("per"), v.get("unit")) for v in pool]
        each = [x for x in each if x is not None]
        if each:
            how = "for these settings" if chosen else "by setting"
            low, high = min(each), max(each)
            return Price(low, high if high != low else None, LIST, f"{detail}, {how}", credits=credits)
        return None
    if kind == "variable":
        return Price(None, source=LIST, detail=detail, as_listed="priced by use, no figure ahead", credits=credits)
    return None


def _each(price, per, unit, measure=None) -> float | None:
    """Dollars per piece for a per-piece unit; None for anything else (per second, per token…)."""
    if not isinstance(price, int | float) or isinstance(price, bool) or price < 0:
        return None
    per = per if isinstance(per, int | float) and not isinstance(per, bool) and per > 0 else 1
    name = " ".join(x for x in (measure, unit) if x).strip().lower() or "request"
    return float(price) / per if name in PIECE_UNITS else None


def _matches(when, settings: dict) -> bool:
    return isinstance(when, dict) and bool(when) and all(settings.get(k) == v for k, v in when.items())


def _paid(m: Model, homes: Iterable[str | Path]) -> list[float]:
    paid = []
    for home in homes:
        try:
            entries = History(home).list()
        except OSError as exc:  # an unreadable folder is no figure, never an error before a generate
            logger.info("history not read for a price: %s", exc)
            continue
        for e in entries:
            if e.model != m.id or e.backend != "api":
                continue
            try:
                usd = float(e.usd_spent) if e.usd_spent not in (None, "") else None
            except (TypeError, ValueError):
                usd = None
            if usd is not None and usd > 0:
                paid.append(usd)
    return paid


def checked_words_at(at: float) -> str:
    """ "checked 10:42" today, "checked 2026-12-05 10:42" before."""
    now, then = time.localtime(), time.localtime(at)
    if (now.tm_year, now.tm_yday) == (then.tm_year, then.tm_yday):
        return "checked " + time.strftime("%H:%M", then)
    return "checked " + time.strftime("%Y-%m-%d %H:%M", then)


def _usd(x: float) -> str:
    """ "$0.195", "$0.07", "$12.40": cents, or more digits when the figure has them."""
    if x >= 1 or round(x, 2) == x:
        return f"${x:,.2f}"
    return f"${x:.4f}".rstrip("0")
