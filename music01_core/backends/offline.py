"""The offline client: every model of the table rendered by the local engine, no key, no network.

The engine itself is the provider adapter :class:`music01_core.providers.offline.OfflineEngine`;
this module keeps the client that uses it for every model, under its 0.1 name.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from ..client import Client
from ..models import LEGACY_MODEL
from ..providers.music01 import check_ids, check_purpose
from ..providers.offline import OfflineEngine
from ..settings import AudioSetting
from ..types import GenerationResult

logger = logging.getLogger(__name__)

# check_ids and check_purpose live in music01_core.providers.music01 (re-exported for code that
# imported them here; deprecated).
__all__ = ["OfflineBackend", "check_ids", "check_purpose"]


class OfflineBackend(Client):
    """The client pipeline with the offline engine serving every model.

    Parameters
    ----------
    home : path-like, optional
        Data directory; default :func:`music01_core.settings.data_home`.
    history, library : optional
        A :class:`~music01_core.history.History` / :class:`~music01_core.library.ReferenceLibrary`
        to use instead of the ones under ``home`` (the app gives each session its own).
    store : path-like, optional
        Where the engine keeps uploaded clips and their analysis (default ``home``); the
        emulator shares one store between its callers.
    """

    name = OfflineEngine.name
    label = OfflineEngine.label
    base_url = "offline"
    offline = True
    #: Everything runs here: references on this machine (loopback, private addresses) are reachable.
    local_service = True

    def __init__(
        self,
        home: str | os.PathLike | None = None,
        *,
        history=None,
        library=None,
        store: str | os.PathLike | None = None,
    ) -> None:
        super().__init__(home, history=history, library=library)
        self.root = self.home
        self.store = Path(store) if store is not None else self.home
        self.dir = self.store / "offline"

    def __repr__(self) -> str:
        return f"OfflineBackend(home={str(self.root)!r})"

    @property
    def engine(self) -> OfflineEngine:
        """The offline engine adapter of this client."""
        return self.provider_for(LEGACY_MODEL)

    # The emulator imitates the provider with the engine's own calls (deprecated names on the client).
    def _send_upload(self, info, purpose: str):
        return self.engine._send_upload(info, purpose)

    def _send_generate(
        self, lyrics: str, voice_id: str | None, instrumental_id: str | None, setting: AudioSetting, seed: int | None
    ) -> GenerationResult:
        return self.engine._send_generate(lyrics, voice_id, instrumental_id, setting, seed)

    def render_job(self, model, fields, reference, setting, **kwargs) -> GenerationResult:
        """Render what a job model would make, without saving it (see :meth:`OfflineEngine.render_job`)."""
        return self.engine.render_job(model, fields, reference, setting, **kwargs)

    def features(self, sha256: str, clip_path: Path):
        """Engine features of a stored clip (see :meth:`OfflineEngine.features`)."""
        return self.engine.features(sha256, clip_path)
