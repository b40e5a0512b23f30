"""The reference library: uploading the same clip twice costs nothing.

Each entry maps (SHA-256 of the clip's bytes, purpose, service base URL, a fingerprint of
the key) to the ids the upload returned.  The fingerprint is an HMAC of the key, so the
key itself is never stored and cannot be recovered from the file.  A copy of the clip is
kept so that an id the service forgot (error 2013) can be replaced by uploading again.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from .settings import data_home
from .storage import atomic_copy, atomic_write_json, file_lock

logger = logging.getLogger(__name__)

__all__ = ["LibraryEntry", "ReferenceLibrary", "key_fingerprint"]

_FINGERPRINT_SALT = b"music01 reference library v1"


def key_fingerprint(api_key: str | None) -> str:
    """A short, non-reversible fingerprint of an API key ("" for no key)."""
    if not api_key:
        return ""
    return hmac.new(_FINGERPRINT_SALT, api_key.encode("utf-8"), hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class LibraryEntry:
    """One uploaded reference.  ``created`` is a Unix time in seconds."""

    sha256: str
    purpose: str
    base_url: str
    key_fp: str
    voice_id: str | None
    instrumental_id: str | None
    created: float
    name: str = ""
    duration_s: float = 0.0
    format: str = ""
    clip_file: str = ""

    def label(self) -> str:
        """One line for a list: name, purpose, length, when."""
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(self.created))
        return f"{self.name or self.sha256[:10]} · {self.purpose} · {self.duration_s:.0f} s · {when}"


class ReferenceLibrary:
    """Reference ids by clip content, kept in ``<home>/library/``.

    Safe with several processes: every change is a locked read-modify-write of one JSON
    file, written atomically.
    """

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        self.dir = Path(home if home is not None else data_home()) / "library"
        self.index = self.dir / "references.json"
        self.lock = self.dir / ".lock"

    def _read(self) -> list[dict]:
        import json

        try:
            data = json.loads(self.index.read_text(encoding="utf-8"))
            return [e for e in data.get("entries", []) if isinstance(e, dict)]
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            logger.warning("the reference library index is unreadable (%s); starting a new one", exc)
            return []

    def _write(self, entries: list[dict]) -> None:
        atomic_write_json(self.index, {"version": 1, "entries": entries})

    def entries(self, *, base_url: str | None = None, key_fp: str | None = None) -> list[LibraryEntry]:
        """All entries, newest first, optionally only those for one service and key."""
        fields = set(LibraryEntry.__dataclass_fields__)
        out = [LibraryEntry(**{k: v for k, v in e.items() if k in fields}) for e in self._read()]
        out = [
            e for e in out if (base_url is None or e.base_url == base_url) and (key_fp is None or e.key_fp == key_fp)
        ]
        return sorted(out, key=lambda e: e.created, reverse=True)

    def lookup(self, sha256: str, purpose: str, base_url: str, key_fp: str) -> LibraryEntry | None:
        """The ids of a clip already uploaded for this purpose, service and key, if any."""
        for e in self.entries(base_url=base_url, key_fp=key_fp):
            if e.sha256 == sha256 and e.purpose == purpose:
                return e
        return None

    def find_id(self, ref_id: str) -> LibraryEntry | None:
        """The entry that holds ``ref_id`` as its voice or instrumental id."""
        for e in self.entries():
            if ref_id in (e.voice_id, e.instrumental_id):
                return e
        return None

    def add(self, entry: LibraryEntry, clip_path: str | os.PathLike | None = None) -> LibraryEntry:
        """Record an upload (replacing any entry for the same clip, purpose, service and key)."""
        from dataclasses import replace

        if clip_path is not None:
            stored = self.dir / "clips" / f"{entry.sha256}{Path(clip_path).suffix}"
            if not stored.exists():
                atomic_copy(clip_path, stored)
            entry = replace(entry, clip_file=stored.name)
        with file_lock(self.lock):
            entries = [
                e
                for e in self._read()
                if not (
                    e.get("sha256") == entry.sha256
                    and e.get("purpose") == entry.purpose
                    and e.get("base_url") == entry.base_url
                    and e.get("key_fp") == entry.key_fp
                )
            ]
            entries.append(asdict(entry))
            self._write(entries)
        return entry

    def drop_id(self, ref_id: str) -> LibraryEntry | None:
        """Forget the entry holding ``ref_id`` (the service no longer knows it); return it."""
        dropped = None
        with file_lock(self.lock):
            keep = []
            for e in self._read():
                if ref_id in (e.get("voice_id"), e.get("instrumental_id")):
                    dropped = e
                else:
                    keep.append(e)
            if dropped is not None:
                self._write(keep)
        if dropped is None:
            return None
        fields = set(LibraryEntry.__dataclass_fields__)
        return LibraryEntry(**{k: v for k, v in dropped.items() if k in fields})

    def clip_path(self, entry: LibraryEntry) -> Path | None:
        """The stored copy of an entry's clip, if it is still there."""
        if not entry.clip_file:
            return None
        p = self.dir / "clips" / entry.clip_file
        return p if p.exists() else None
