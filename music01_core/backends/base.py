"""The backend interface shared by the offline engine and the music-01 API.

The CLI, the app and the notebooks only talk to a :class:`Backend`; tests swap one for
the other through this same interface.
"""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..audio import Clip
from ..settings import AudioSetting

__all__ = ["Backend", "UploadResult", "GenerationResult", "ID_PATTERNS", "new_trace_id", "PURPOSE_IDS"]

# Shapes of music-01 ids, e.g. vocal-2025011003141025-d5ZEMxmp (16 digits, 8 letters/digits).
ID_PATTERNS = {
    "voice_id": re.compile(r"^vocal-\d{16}-[A-Za-z0-9]{8}$"),
    "instrumental_id": re.compile(r"^instrumental-\d{16}-[A-Za-z0-9]{8}$"),
}
#: Which ids each upload purpose returns (contract: UploadResponse).
PURPOSE_IDS = {"song": ("voice_id", "instrumental_id"), "voice": ("voice_id",), "instrumental": ("instrumental_id",)}


def new_trace_id() -> str:
    """A random 32-hex-digit trace id, like the service's."""
    return secrets.token_hex(16)


@dataclass(frozen=True)
class UploadResult:
    """What an upload returned.

    Attributes
    ----------
    voice_id, instrumental_id : str or None
        The ids for generate, according to the purpose.
    trace_id : str
        For support.
    backend : str
        ``"offline"`` or ``"api"``.
    purpose : str
    sha256 : str
        Hash of the uploaded clip's bytes.
    cached : bool
        True when the ids came from the reference library and nothing was uploaded.
    """

    voice_id: str | None
    instrumental_id: str | None
    trace_id: str
    backend: str
    purpose: str
    sha256: str
    cached: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class GenerationResult:
    """A generated piece.

    Attributes
    ----------
    audio : bytes
        The encoded audio (MP3, WAV, or raw s16le PCM).
    format : str
    sample_rate, bitrate : int
        Hz and bit/s as requested.
    channels : int
    duration_s : float
    voice_id, instrumental_id : str or None
    backend : str
    trace_id : str
    seed : int or None
    lyrics : str
        The lyrics as sent.
    inference_id, credits_used, usd_spent : optional
        Response headers of the paid API, when known.
    warnings : tuple of str
    path : str or None
        Where the audio was saved, once it was.
    """

    audio: bytes = field(repr=False)
    format: str
    sample_rate: int
    bitrate: int
    channels: int
    duration_s: float
    voice_id: str | None
    instrumental_id: str | None
    backend: str
    trace_id: str
    seed: int | None
    lyrics: str
    inference_id: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None
    warnings: tuple[str, ...] = ()
    path: str | None = None

    @property
    def bytes(self) -> int:
        return len(self.audio)

    def to_dict(self) -> dict:
        """JSON-ready fields without the audio bytes (``bytes`` gives their count)."""
        d = {k: v for k, v in asdict(self).items() if k != "audio"}
        d["bytes"] = len(self.audio)
        d["warnings"] = list(self.warnings)
        return d

    def save(self, path: str | os.PathLike) -> GenerationResult:
        """Write the audio atomically and return a copy of the result with ``path`` set."""
        from dataclasses import replace

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        tmp.write_bytes(self.audio)
        os.replace(tmp, path)
        return replace(self, path=str(path))


@runtime_checkable
class Backend(Protocol):
    """Upload references and generate music; implemented offline and over the API."""

    name: str
    label: str

    def upload(self, clip: Clip | str | os.PathLike, purpose: str) -> UploadResult:
        """Upload a prepared clip (MP3/WAV, 10 s–10 min) for ``purpose``."""
        ...

    def generate(self, lyrics: str, *, voice_id: str | None = None, instrumental_id: str | None = None,
                 audio_setting: AudioSetting | None = None, seed: int | None = None) -> GenerationResult:
        """Generate a piece from lyrics and one or both ids."""
        ...
