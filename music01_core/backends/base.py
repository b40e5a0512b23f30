"""The backend interface (deprecated name of :class:`music01_core.client.Client`).

The pipeline lives in :mod:`music01_core.client`, the records in :mod:`music01_core.types` and
music-01's id rules in :mod:`music01_core.providers.music01`.  The names below stay importable
from here for one release, for notebooks and code written against 0.1 (deprecated: import
them from their new homes).
"""

from __future__ import annotations

import os
from typing import Protocol, runtime_checkable

from ..audio import Clip
from ..client import Client
from ..providers.music01 import ID_PATTERNS, PURPOSE_IDS, check_ids, check_purpose, new_trace_id
from ..settings import AudioSetting
from ..types import GenerationResult, MusicRequest, UploadResult, result_from_entry

__all__ = [
    "Backend",
    "BaseBackend",
    "UploadResult",
    "GenerationResult",
    "MusicRequest",
    "ID_PATTERNS",
    "new_trace_id",
    "PURPOSE_IDS",
    "check_ids",
    "check_purpose",
    "result_from_entry",
]

#: Deprecated: the pipeline is :class:`music01_core.client.Client`.
BaseBackend = Client


@runtime_checkable
class Backend(Protocol):
    """What the edges use of a client: make a piece with any model, resume a job, and music-01's two calls."""

    name: str
    label: str

    def make(self, request: MusicRequest, *, wait_s: float = ..., on_status=None) -> GenerationResult:
        """Make a piece with any model; saved to the history before it is returned."""
        ...

    def resume(self, generation_id: str, *, wait_s: float = ..., on_status=None) -> GenerationResult:
        """Fetch the result of a job submitted earlier, without submitting again."""
        ...

    def upload(self, clip: Clip | str | os.PathLike, purpose: str) -> UploadResult:
        """music-01 (legacy): upload a prepared clip (MP3/WAV, 10 s–10 min) for ``purpose``."""
        ...

    def generate(
        self,
        lyrics: str,
        *,
        voice_id: str | None = None,
        instrumental_id: str | None = None,
        audio_setting: AudioSetting | None = None,
        seed: int | None = None,
    ) -> GenerationResult:
        """music-01 (legacy): generate a piece from lyrics and one or both ids."""
        ...
