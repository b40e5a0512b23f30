"""``music01 models --check-docs``: each supported model's live reference, compared with the one music01 keeps.

For every live AI/ML API model of the table, the provider's list (:mod:`music01_core.catalogue`)
gives ``info.docsJson``, the URL of the model's OpenAPI document.  It is fetched with no key (its
own ``requests`` session, nothing of the API's), a short timeout and a size cap, and compared
field by field (:func:`music01_core.drift.compare`) with the reference music01 was built against
(:func:`music01_core.drift.kept_facts`, aimlapi/api-docs at :data:`~music01_core.drift.REFERENCE_COMMIT`).

Each model ends as ``same`` ("no change since f14fa72"), ``drift`` (the differences) or
``not checked`` (why: the list was never read, the model is no longer listed, its document
could not be fetched or read).  Nothing here raises for the network: a maintainer's scheduled
job reads :attr:`DocsCheck.drifted` and :attr:`DocsCheck.unchecked`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import requests

from .catalogue import Catalogue
from .drift import KEPT, REFERENCE_COMMIT, Difference, compare, kept_facts, request_facts
from .errors import Music01Error
from .transport import USER_AGENT, read_capped

logger = logging.getLogger(__name__)

__all__ = ["ModelCheck", "DocsCheck", "check_docs", "fetch_doc", "supported", "TIMEOUT_S", "MAX_BYTES"]

#: Connect and read timeouts, in seconds.
TIMEOUT_S = (3.0, 10.0)
#: The largest document read: the provider's documents carry every model's schemas (minimax-music's: 1.7 MB).
MAX_BYTES = 16 * 2**20


@dataclass(frozen=True)
class ModelCheck:
    """One model's outcome.

    Attributes
    ----------
    model_id : str
        The table's row.
    status : {"same", "drift", "not checked"}
    docs_json : str or None
        The URL read.
    differences : list of Difference
    why : str or None
        Why it was not checked.
    """

    model_id: str
    status: str
    docs_json: str | None = None
    differences: list[Difference] = field(default_factory=list)
    why: str | None = None

    def words(self) -> list[str]:
        """Its lines: the head line, then one line per difference."""
        short = REFERENCE_COMMIT[:7]
        if self.status == "same":
            return [f"  {self.model_id:24s} no change since {short}"]
        if self.status == "not checked":
            return [f"  {self.model_id:24s} not checked ({self.why})"]
        n = len(self.differences)
        head = f"  {self.model_id:24s} {n} difference{'' if n == 1 else 's'} from {short}:"
        return [head, *(f"      {d.words()}" for d in self.differences)]

    def to_dict(self) -> dict:
        return {
            "id": self.model_id,
            "status": self.status,
            "docs_json": self.docs_json,
            "differences": [d.to_dict() for d in self.differences],
            "why": self.why,
        }


@dataclass(frozen=True)
class DocsCheck:
    """Every supported model's outcome, and when the provider's list was read."""

    checks: list[ModelCheck]
    list_checked: str

    @property
    def drifted(self) -> list[ModelCheck]:
        return [c for c in self.checks if c.status == "drift"]

    @property
    def unchecked(self) -> list[ModelCheck]:
        return [c for c in self.checks if c.status == "not checked"]

    def words(self) -> str:
        """The report, as ``music01 models --check-docs`` prints it."""
        lines = [
            f"The provider's references vs the ones music01 was built against (aimlapi/api-docs "
            f"{REFERENCE_COMMIT[:7]}) · {self.list_checked}"
        ]
        for c in self.checks:
            lines += c.words()
        drifted, unchecked = len(self.drifted), len(self.unchecked)
        if drifted:
            lines.append(
                f"{drifted} model{'' if drifted == 1 else 's'} drifted: music01's contract (music01_core/models.py, "
                "music01_core/emulator/contract.py) and its kept references (music01_core/provider_docs/) need a look."
            )
        if unchecked:
            lines.append(f"{unchecked} model{'' if unchecked == 1 else 's'} not checked.")
        if not drifted and not unchecked:
            lines.append("No drift.")
        return "\n".join(lines)

    def to_dict(self) -> dict:
        return {
            "reference_commit": REFERENCE_COMMIT,
            "list_checked": self.list_checked,
            "models": [c.to_dict() for c in self.checks],
            "drifted": len(self.drifted),
            "not_checked": len(self.unchecked),
        }


class DocsError(Music01Error):
    """A document that could not be fetched or read (its message says why); kept inside this module."""


def fetch_doc(url: str, *, session=None) -> dict:
    """The JSON document at ``url``, read with no key; DocsError says why it could not be."""
    if not url.lower().startswith(("http://", "https://")):
        raise DocsError("its docsJson is not an http(s) URL")
    session = session or requests.Session()
    headers = {"User-Agent": USER_AGENT, "Accept": "application/json"}  # no Authorization: the docs are public
    too_big = lambda n: DocsError(f"the document is larger than {MAX_BYTES // 2**20} MB")  # noqa: E731
    try:
        with session.get(url, headers=headers, timeout=TIMEOUT_S, stream=True) as r:
            if r.status_code != 200:
                raise DocsError(f"the document answered HTTP {r.status_code}")
            body = read_capped(r, max_bytes=MAX_BYTES, too_big=too_big)
    except requests.exceptions.Timeout as exc:
        raise DocsError("the document did not answer in time") from exc
    except requests.exceptions.RequestException as exc:
        raise DocsError(f"the document could not be reached ({type(exc).__name__})") from exc
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise DocsError("the document is not JSON") from exc
    if not isinstance(doc, dict):
        raise DocsError("the document is not an OpenAPI object")
    return doc


def supported(table: dict) -> list:
    """The rows checked: live models of the AI/ML API, in the table's order."""
    return [m for m in table.values() if m.live and m.provider == "aimlapi"]


def check_docs(listing: Catalogue, table: dict, *, session=None) -> DocsCheck:
    """Fetch and compare each :func:`supported` model's reference; never raises for the network.

    Parameters
    ----------
    listing : Catalogue
        The provider's list (read without a key), for each model's ``docsJson``.
    table : dict
        The model table (:data:`music01_core.models.MODELS`).
    session : requests.Session, optional
        Its own by default, so nothing of the API's session (its key) travels with it.
    """
    session = session or requests.Session()
    return DocsCheck([_check(m, listing, session) for m in supported(table)], listing.checked_words())


def _check(m, listing: Catalogue, session) -> ModelCheck:
    if m.remote_id not in KEPT:
        return ModelCheck(m.id, "not checked", why="music01 keeps no reference for it")
    if listing.checked_at is None:
        why = "the provider's list could not be read" + (f": {listing.error}" if listing.error else "")
        return ModelCheck(m.id, "not checked", why=why)
    found = listing.find(m.remote_id)
    if found is None:
        return ModelCheck(m.id, "not checked", why="no longer listed by the provider")
    if not found.docs_json:
        return ModelCheck(m.id, "not checked", why="the provider's list gives no docsJson for it")
    try:
        doc = fetch_doc(found.docs_json, session=session)
    except DocsError as exc:
        logger.info("reference of %s not read: %s", m.id, exc)
        return ModelCheck(m.id, "not checked", docs_json=found.docs_json, why=str(exc))
    # Republished under a new id, the document may name the model by it: look under each name.
    names = dict.fromkeys([m.remote_id, found.id, *found.aliases])
    theirs = next((f for f in (request_facts(doc, n) for n in names) if f is not None), None)
    diffs = compare(kept_facts(m.remote_id), theirs)
    return ModelCheck(m.id, "drift" if diffs else "same", docs_json=found.docs_json, differences=diffs)
