"""What every provider adapter offers the client pipeline, and the registry that finds one.

A provider is a service that makes music: the AI/ML API (its job interface, and the retired
music-01's two calls), the offline engine, or one a test registers.  The pipeline
(:mod:`music01_core.client`) asks an adapter for four things only — submit a checked
:class:`~music01_core.types.Job` (the billed call, sent once), poll a generation id, download
the finished audio, check it — and reads a few facts from it (``local_service``,
``offline``, ``answers_once``).  Which adapter serves a model is data: the model table's
``provider`` and ``protocol`` name it (``"aimlapi/job"``); the offline engine answers every
model.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol, runtime_checkable
from urllib.parse import urlsplit

from ..errors import InputError
from ..models import SERVICES, Service
from ..secret import Secret, clean_api_key
from ..transport import local_host, normalize_base_url
from ..types import Job, JobStatus

__all__ = [
    "Provider",
    "register",
    "unregister",
    "adapter_name",
    "open_provider",
    "registered",
    "OFFLINE",
    "Credential",
    "clean_token",
    "credential_from_env",
]

#: The registry name of the offline engine, which answers every model.
OFFLINE = "offline"


@runtime_checkable
class Provider(Protocol):
    """One provider adapter, as the client pipeline sees it.

    Attributes
    ----------
    name : str
        Recorded with every piece as its ``backend`` (``"api"``, ``"offline"``…).
    label : str
        Shown to people ("AI/ML API", "offline engine — not the real model").
    base_url : str
        Where it is reached (``"offline"`` for the engine).
    key_fp : str
        A one-way fingerprint of the key it uses ("" for none): pending jobs record it.
    local_service : bool
        References on this machine (loopback, private addresses) reach it.
    offline : bool
        It runs here: local files are read as they are, and nothing is billed.
    answers_once : bool
        Its submit answers with the finished piece and the answer cannot be fetched again
        (music-01): the pipeline keeps a "sent" record while it is on the way.
    publisher : object or None
        The app's link publisher (short-lived links to prepared clips), when there is one.

    Notes
    -----
    Optional, for providers that keep records of their own: ``recover(record) -> Recovery | None``
    (what became of a submit whose answer was lost; the pipeline never sends it again) and
    ``model_of(generation_id) -> str | None`` (the model of a job this machine has no record of).

    Optional, for providers without a request id: ``stage(job) -> Job`` (send what the billed
    call will point at — its files — before the "sent" record is written; nothing billed) and
    ``fingerprint(job) -> str`` (how ``recover`` recognises the request among the provider's
    own records; kept in the "sent" record).  ``cancel(generation_id) -> JobStatus`` stops a
    running job where the provider can.  ``service`` (a :class:`~music01_core.models.Service`)
    names the credential an adapter uses, for messages.
    """

    name: str
    label: str
    base_url: str
    key_fp: str
    local_service: bool
    offline: bool
    answers_once: bool
    publisher: object | None

    def submit(self, job: Job) -> JobStatus:
        """Send the checked job once (the billed call): its generation id, or the finished piece."""
        ...

    def poll(self, generation_id: str) -> JobStatus:
        """The job's status now (safe to repeat)."""
        ...

    def download(self, status: JobStatus) -> bytes:
        """The finished audio of a ``completed`` status, size-checked."""
        ...

    def check_audio(self, audio: bytes, fmt: str) -> tuple[float, int]:
        """``(duration_s, channels)`` of downloaded audio; raises BadAudioError when it does not decode."""
        ...


@dataclass(frozen=True)
class Credential:
    """What reaches one service: its token (never shown) and its address (the host root)."""

    service: Service
    token: Secret
    base_url: str

    def __repr__(self) -> str:
        return f"Credential({self.service.name!r}, base_url={self.base_url!r}, token=<set>)"


def clean_token(service: Service, raw: str | Secret) -> str:
    """A credential for ``service`` as pasted, made safe to send; one of another service is refused.

    A token is only ever sent to its own service: a Replicate token pasted where the AI/ML
    API key goes (or the reverse) is recognised by its shape and refused, without echoing it.

    Raises
    ------
    InputError
        Control characters, non-ASCII, or the shape of another service's credential.
    """
    token = clean_api_key(raw.reveal() if isinstance(raw, Secret) else raw, where=service.token_page)
    for other in SERVICES.values():
        if other.name != service.name and re.match(other.token_pattern, token):
            raise InputError(
                f"this is shaped like a credential of {other.label} (its {other.token_name}), which is sent only to "
                f"{other.label}: put it in {other.token_envs[0]} (or the app's {other.label} box). "
                f"{service.label} needs its own {service.token_name} ({service.token_page})."
            )
    return token


def _check_shape(service: Service, token: str, base_url: str) -> None:
    """A service that issues one shape of credential refuses any other, except for its emulator here."""
    if (
        service.strict_shape
        and not re.match(service.token_pattern, token)
        and not local_host(urlsplit(base_url).hostname or "")
    ):
        raise InputError(
            f"this is not shaped like a {service.label} {service.token_name} (they start {service.token_prefix}…), "
            f"so it is not sent there: copy the {service.token_name} from {service.token_page}."
        )


def credential_from_env(service: Service, token: str | Secret | None = None, base_url: str | None = None):
    """The :class:`Credential` for ``service`` from the arguments, else its environment variables; None without a token.

    Raises
    ------
    InputError
        A token of the wrong shape (see :func:`clean_token`) or a base URL that is not one.
    """
    raw = token or next((os.environ[n] for n in service.token_envs if os.environ.get(n, "").strip()), None)
    if not raw or not (raw.reveal() if isinstance(raw, Secret) else raw).strip():
        return None
    base = base_url or next((os.environ[n] for n in service.base_envs if os.environ.get(n, "").strip()), None)
    base = normalize_base_url(
        base, default=service.default_base, env=service.base_envs[0], key_env=service.token_envs[0]
    )
    token = clean_token(service, raw)
    _check_shape(service, token, base)
    return Credential(service, Secret(token), base)


_FACTORIES: dict[str, Callable[[object], Provider]] = {}


def register(name: str, factory: Callable[[object], Provider], *, replace: bool = False) -> None:
    """Make an adapter available under ``name`` (``"<provider>/<protocol>"`` of the model table).

    Parameters
    ----------
    name : str
    factory : callable
        ``factory(connection) -> Provider``; ``connection`` is the :class:`~music01_core.client.Client`
        asking (its key, base URL, session, history and library).
    replace : bool
        Allow replacing an adapter registered before (tests swap in fakes).
    """
    if name in _FACTORIES and not replace:
        raise ValueError(f"a provider adapter is already registered as {name!r}")
    _FACTORIES[name] = factory


def unregister(name: str) -> None:
    """Remove an adapter (tests clean up after themselves)."""
    _FACTORIES.pop(name, None)


def registered() -> list[str]:
    """The adapter names there are."""
    return sorted(_FACTORIES)


def adapter_name(model, *, offline: bool = False) -> str:
    """The registry name of the adapter that serves ``model``: the table's ``provider/protocol``."""
    return OFFLINE if offline else f"{model.provider}/{model.protocol}"


def open_provider(name: str, connection) -> Provider:
    """A new adapter ``name`` for ``connection``.

    Raises
    ------
    InputError
        No adapter is registered under that name (a model row names a provider this install lacks).
    """
    try:
        factory = _FACTORIES[name]
    except KeyError:
        raise InputError(
            f"no provider adapter {name!r} is installed here (there are: {', '.join(registered())}): "
            "choose another model, or update music01."
        ) from None
    return factory(connection)
