"""Provider adapters behind one small interface, and the registry the client pipeline asks.

============================  ==============================================================
registry name                 adapter
============================  ==============================================================
``aimlapi/job``               the AI/ML API's job interface (:mod:`.aimlapi`)
``aimlapi/music01``           music-01's two calls on the AI/ML API, legacy (:mod:`.aimlapi_music01`)
``replicate/prediction``      MiniMax's models on Replicate, music-01 among them (:mod:`.replicate`)
``offline``                   the offline engine, for every model (:mod:`.offline`)
============================  ==============================================================

A model row of the table names its adapter (``provider/protocol``); adding a provider is one
adapter module plus a :func:`register` call here (see ``docs/architecture.md``).
"""

from __future__ import annotations

from .aimlapi import AimlApiJobs
from .aimlapi_music01 import AimlApiMusic01
from .base import OFFLINE, Provider, adapter_name, open_provider, register, registered, unregister
from .offline import OfflineEngine
from .replicate import ReplicatePredictions

__all__ = [
    "Provider",
    "register",
    "unregister",
    "registered",
    "adapter_name",
    "open_provider",
    "OFFLINE",
    "AimlApiJobs",
    "AimlApiMusic01",
    "OfflineEngine",
    "ReplicatePredictions",
]

register("aimlapi/job", AimlApiJobs)
register("aimlapi/music01", AimlApiMusic01)
register("replicate/prediction", ReplicatePredictions)
register(OFFLINE, OfflineEngine)
