"""The provider's live model list: read without a key, cached on disk with its ETag, never in the way.

The AI/ML API publishes its catalogue at ``GET /v1/models`` with no key (aimlapi/api-docs f14fa72,
``docs/api-references/service-endpoints/complete-model-list.md`` and ``models.json``):
``{object: "list", data: [{id, aliases, type, tags, info, pricing?}]}``, ``include=pricing`` for
prices, a weak ``ETag`` and ``If-None-Match`` → 304.  "Is a model still available": match ``id``
and ``aliases`` together (a model may be republished under a new id with the old one as an
alias).  Pricing: read ``kind`` first (``fixed``, ``variants``, ``variable``) and always ``per``
with ``price``.

This module reads it at most every few hours, with a short timeout and a size cap, keeps the
answer under ``<home>/catalogue/``, and answers from that copy when the network is slow, down or
answers nonsense: nothing waits on it for long, and the user is told when the list was last
checked ("model list not checked" when it never was).
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import requests

from .models import Model
from .settings import data_home
from .storage import atomic_write_json
from .transport import USER_AGENT, read_capped

logger = logging.getLogger(__name__)

__all__ = ["Catalogue", "ListedModel", "CatalogueClient", "MAX_AGE_S", "unit_price_words"]

#: How long a checked list is trusted before it is read again.
MAX_AGE_S = 4 * 3600.0
#: Connect and read timeouts, in seconds: the list is never worth a long wait.
TIMEOUT_S = (2.0, 4.0)
#: The largest answer read (the whole catalogue is a few hundred KB).
MAX_BYTES = 4 * 2**20


@dataclass(frozen=True)
class ListedModel:
    """One model of the provider's list.

    Attributes
    ----------
    id : str
    aliases : tuple of str
    type : str
    pricing : dict or None
        As published (``kind``, ``price``, ``unit``, ``per``, ``variants``).
    docs_json : str or None
        The URL of its machine-readable reference.
    """

    id: str
    aliases: tuple[str, ...] = ()
    type: str = ""
    pricing: dict | None = None
    docs_json: str | None = None

    def names(self) -> set[str]:
        """Its id and aliases, lower-cased (the provider matches them case-insensitively)."""
        return {self.id.lower(), *(a.lower() for a in self.aliases)}

    def price_words(self) -> str | None:
        """The listed price in words ("$0.195 per generation"), every ``kind`` read with its ``per``; None: no figure.

        ``fixed`` lists ``units`` ``{name, measure?, price, per}`` (complete-model-list.md);
        ``variants`` lists ``{when, price, unit, per}`` (the range is given); ``variable`` has none.
        """
        p = self.pricing or {}
        if p.get("kind") == "fixed":
            said = [
                unit_price_words(u.get("price"), u.get("per"), u.get("name"), u.get("measure"))
                for u in p.get("units") or []
            ]
        elif p.get("kind") == "variants":
            said = [unit_price_words(v.get("price"), v.get("per"), v.get("unit")) for v in p.get("variants") or []]
            said = sorted({x for x in said if x}, key=lambda x: float(x.split()[0][1:]))
            said = [f"{said[0]} to {said[-1]}, by setting"] if len(said) > 1 else said
        else:
            return None
        said = [x for x in said if x]
        return "; ".join(said) if said else None


def unit_price_words(price, per, name, measure=None) -> str | None:
    """ "$0.195 per generation", "$3.25 per 1000000 output tokens"; None for what cannot be read."""
    if not isinstance(price, int | float) or isinstance(price, bool):
        return None
    per = per if isinstance(per, int | float) and per > 0 else 1
    unit = " ".join(x for x in (measure, name or "request") if x)
    return f"${price:g} per {unit}" if per == 1 else f"${price:g} per {per:g} {unit}s"


@dataclass(frozen=True)
class Catalogue:
    """What the provider's list said when it was last read.

    Attributes
    ----------
    models : tuple of ListedModel
    checked_at : float or None
        Unix time of the last answer (a 200 or a 304); None: never read.
    etag : str or None
    error : str or None
        Why the last look failed, when it did (the copy kept is then older).
    """

    models: tuple[ListedModel, ...] = ()
    checked_at: float | None = None
    etag: str | None = None
    error: str | None = None

    def find(self, name: str) -> ListedModel | None:
        """The listed model known as ``name`` (its id or an alias), or None."""
        key = (name or "").lower()
        return next((m for m in self.models if key in m.names()), None)

    def listed(self, model: Model) -> bool | None:
        """Whether the provider lists ``model`` (by its name there); None when the list was never read."""
        if self.checked_at is None:
            return None
        return self.find(model.remote_id) is not None

    def checked_words(self) -> str:
        """ "model list checked 2026-12-06 10:42" or "model list not checked"."""
        if self.checked_at is None:
            return "model list not checked" + (f" ({self.error})" if self.error else "")
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.checked_at))
        return f"model list checked {when}" + (f"; the last look failed ({self.error})" if self.error else "")

    def unsupported(self, table: dict, *, family: str = "minimax/music") -> list[ListedModel]:
        """Listed models of ``family`` that no row of ``table`` names: "listed by the provider, not supported here yet"."""
        ours = {m.remote_id.lower() for m in table.values()}
        return [m for m in self.models if m.id.lower().startswith(family) and not (m.names() & ours)]


class CatalogueClient:
    """Reads one service's list (never with a key) and keeps it on disk.

    Parameters
    ----------
    base_url : str
        The service root (``https://api.aimlapi.com``).
    home : path-like
        Data directory; the copy goes to ``<home>/catalogue/<service>.json``.
    service : str
    path : str
        The list's path (``/v1/models``).
    session : requests.Session, optional
        Its own by default: nothing of the API's session (its key) travels with it.
    """

    def __init__(
        self, base_url: str, home, *, service: str = "aimlapi", path: str = "/v1/models", session=None
    ) -> None:
        self.url = base_url.rstrip("/") + path
        self.file = Path(home) / "catalogue" / f"{service}.json"
        self.session = session or requests.Session()

    @classmethod
    def of(cls, service, base_url: str, home=None) -> CatalogueClient:
        """The list of ``service`` (a :class:`~music01_core.models.Service` with a ``catalogue_path``) at
        ``base_url``, kept under ``home`` (default: the data directory: the list is public, not a session's)."""
        return cls(
            base_url, home if home is not None else data_home(), service=service.name, path=service.catalogue_path
        )

    def cached(self) -> Catalogue:
        """The copy on disk (an empty, never-checked one when there is none or it cannot be read)."""
        try:
            d = json.loads(self.file.read_text(encoding="utf-8"))
            models = tuple(ListedModel(**{**m, "aliases": tuple(m.get("aliases") or ())}) for m in d.get("models", []))
            return Catalogue(models=models, checked_at=d.get("checked_at"), etag=d.get("etag"), error=d.get("error"))
        except (OSError, ValueError, TypeError):
            return Catalogue()

    def check(self, *, force: bool = False, max_age_s: float = MAX_AGE_S) -> Catalogue:
        """The list, read again when the copy is older than ``max_age_s`` (or ``force``); never raises.

        A 304 costs nothing and refreshes the copy's time; a failure keeps the copy and notes why.
        """
        kept = self.cached()
        if not force and kept.checked_at is not None and time.time() - kept.checked_at < max_age_s:
            return kept
        headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}  # no Authorization: it needs no key
        if kept.etag and kept.models:
            headers["If-None-Match"] = kept.etag
        try:
            fresh = self._read(headers, kept)
        except (requests.exceptions.RequestException, ValueError, TypeError, KeyError) as exc:
            why = _why(exc)
            logger.info("model list not read: %s", why)
            fresh = Catalogue(models=kept.models, checked_at=kept.checked_at, etag=kept.etag, error=str(why))
        self._save(fresh)
        return fresh

    def _read(self, headers: dict, kept: Catalogue) -> Catalogue:
        with self.session.get(
            self.url, params={"include": "pricing"}, headers=headers, timeout=TIMEOUT_S, stream=True
        ) as r:
            if r.status_code == 304:
                return Catalogue(models=kept.models, checked_at=time.time(), etag=kept.etag)
            if r.status_code != 200:
                raise ValueError(f"the list answered HTTP {r.status_code}")
            body = read_capped(r, max_bytes=MAX_BYTES, too_big=lambda n: ValueError("the list is too large to read"))
            etag = r.headers.get("ETag")
        data = json.loads(body).get("data")
        if not isinstance(data, list):
            raise ValueError("the list has no data")
        models = tuple(_listed(m) for m in data if isinstance(m, dict) and isinstance(m.get("id"), str))
        return Catalogue(models=models, checked_at=time.time(), etag=etag)

    def _save(self, c: Catalogue) -> None:
        try:
            atomic_write_json(self.file, {**asdict(c), "models": [asdict(m) for m in c.models]})
        except OSError as exc:  # a read-only or full disk: the list still serves this run
            logger.info("model list not kept: %s", exc)


def _why(exc: Exception) -> str:
    """Why a look failed, in words a person reads beside "the last look failed (…)"."""
    if isinstance(exc, requests.exceptions.Timeout):
        return f"no answer within {TIMEOUT_S[1]:g} s"
    if isinstance(exc, requests.exceptions.SSLError):
        return "the secure connection failed"
    if isinstance(exc, requests.exceptions.ConnectionError):
        return "no connection"
    if isinstance(exc, requests.exceptions.RequestException):
        return f"network error ({type(exc).__name__})"
    if isinstance(exc, ValueError) and exc.args and isinstance(exc.args[0], str) and exc.args[0].startswith("the "):
        return exc.args[0]  # our own words ("the list answered HTTP 503", "the list is too large to read")
    return "the answer was not a model list"


def _listed(m: dict) -> ListedModel:
    info = m.get("info") if isinstance(m.get("info"), dict) else {}
    aliases = m.get("aliases") if isinstance(m.get("aliases"), list) else []
    return ListedModel(
        id=m["id"],
        aliases=tuple(a for a in aliases if isinstance(a, str)),
        type=str(m.get("type") or ""),
        pricing=m.get("pricing") if isinstance(m.get("pricing"), dict) else None,
        docs_json=info.get("docsJson") if isinstance(info.get("docsJson"), str) else None,
    )
