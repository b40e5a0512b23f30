"""Every generation, saved with its provenance before anyone sees it.

One folder per generation under ``<home>/history/``: the audio file and ``record.json``
(lyrics, ids, reference, settings, backend, trace/inference ids, cost headers, duration,
time, seed).  Records are written atomically after the audio, so a crash leaves either a
complete entry or an orphan audio file, never a record pointing at nothing; a damaged
record is skipped with a warning.  No key is ever written here.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
import zipfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .errors import InputError
from .settings import data_home
from .storage import atomic_write_bytes, atomic_write_json

logger = logging.getLogger(__name__)

__all__ = ["HistoryEntry", "History"]

_ID_RE = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
_EXT = {"mp3": "mp3", "wav": "wav", "pcm": "pcm"}


@dataclass(frozen=True)
class HistoryEntry:
    """A saved generation.  ``created`` is a Unix time in seconds."""

    id: str
    created: float
    lyrics: str
    voice_id: str | None
    instrumental_id: str | None
    backend: str
    format: str
    sample_rate: int
    bitrate: int
    duration_s: float
    bytes: int
    trace_id: str
    audio_file: str
    seed: int | None = None
    inference_id: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None
    reference_sha256: str | None = None
    reference_name: str | None = None
    warnings: list = field(default_factory=list)
    audio_path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


class History:
    """The generation history kept in ``<home>/history``."""

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        self.dir = Path(home if home is not None else data_home()) / "history"

    def save(self, result, *, reference_sha256: str | None = None, reference_name: str | None = None) -> HistoryEntry:
        """Save a :class:`~music01_core.backends.GenerationResult`: audio first, then its record."""
        created = time.time()
        entry_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(created)) + "-" + secrets.token_hex(4)
        folder = self.dir / entry_id
        audio_name = f"music01-{entry_id}.{_EXT.get(result.format, 'bin')}"
        atomic_write_bytes(folder / audio_name, result.audio)
        entry = HistoryEntry(
            id=entry_id, created=created, lyrics=result.lyrics, voice_id=result.voice_id,
            instrumental_id=result.instrumental_id, backend=result.backend, format=result.format,
            sample_rate=result.sample_rate, bitrate=result.bitrate, duration_s=result.duration_s,
            bytes=len(result.audio), trace_id=result.trace_id, audio_file=audio_name, seed=result.seed,
            inference_id=result.inference_id, credits_used=result.credits_used, usd_spent=result.usd_spent,
            reference_sha256=reference_sha256, reference_name=reference_name, warnings=list(result.warnings),
        )
        record = entry.to_dict()
        record.pop("audio_path")
        atomic_write_json(folder / "record.json", record)
        return self._with_path(entry)

    def _with_path(self, entry: HistoryEntry) -> HistoryEntry:
        from dataclasses import replace

        return replace(entry, audio_path=str(self.dir / entry.id / entry.audio_file))

    def list(self) -> list[HistoryEntry]:
        """All readable entries, newest first; damaged ones are skipped with a warning."""
        if not self.dir.exists():
            return []
        out = []
        fields = set(HistoryEntry.__dataclass_fields__)
        for folder in self.dir.iterdir():
            if not folder.is_dir() or not _ID_RE.match(folder.name):
                continue
            rec = folder / "record.json"
            if not rec.exists():
                continue  # an interrupted save: audio without a record
            try:
                data = json.loads(rec.read_text(encoding="utf-8"))
                entry = HistoryEntry(**{k: v for k, v in data.items() if k in fields})
                if not (folder / entry.audio_file).exists():
                    raise ValueError("its audio file is missing")
            except (OSError, ValueError, TypeError) as exc:
                logger.warning("skipping damaged history record %s: %s", folder.name, exc)
                continue
            out.append(self._with_path(entry))
        return sorted(out, key=lambda e: e.created, reverse=True)

    def get(self, entry_id: str) -> HistoryEntry:
        """One entry by id."""
        if not _ID_RE.match(entry_id or ""):
            raise InputError(f"{entry_id!r} is not a history id.")
        for e in self.list():
            if e.id == entry_id:
                return e
        raise InputError(f"no history entry {entry_id!r}: it may have been deleted.")

    def delete(self, entry_id: str) -> None:
        """Delete one entry (audio and record)."""
        entry = self.get(entry_id)
        shutil.rmtree(self.dir / entry.id, ignore_errors=True)

    def export_zip(self, path: str | os.PathLike) -> Path:
        """Write every entry (audio + record.json) into a zip file and return its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        entries = self.list()
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for e in entries:
                z.write(self.dir / e.id / e.audio_file, f"{e.id}/{e.audio_file}")
                z.write(self.dir / e.id / "record.json", f"{e.id}/record.json")
            z.writestr("index.json", json.dumps([{k: v for k, v in e.to_dict().items() if k != "audio_path"}
                                                 for e in entries], indent=1))
        os.replace(tmp, path)
        return path
