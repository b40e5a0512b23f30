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

from collections.abc import Callable
from typing import Protocol, runtime_checkable

from ..errors import InputError
from ..types import Job, JobStatus

__all__ = ["Provider", "register", "unregister", "adapter_name", "open_provider", "registered", "OFFLINE"]

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
