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
from .types import Piece, piece_fields

logger = logging.getLogger(__name__)

__all__ = ["HistoryEntry", "History", "PendingJob"]

_ID_RE = re.compile(r"^[0-9]{8}T[0-9]{6}-[0-9a-f]{8}$")
# The formats a piece can come in (a provider's answer is read by its bytes: FLAC, Ogg and M4A too).
_EXT = {"mp3": "mp3", "wav": "wav", "pcm": "pcm", "flac": "flac", "ogg": "ogg", "m4a": "m4a"}


def rescue_dir() -> Path:
    """Where paid audio goes when the history cannot be written (another disk, usually)."""
    import tempfile

    return Path(os.environ.get("MUSIC01_RESCUE_DIR") or Path(tempfile.gettempdir()) / "music01-rescued")


def _rescue(result) -> Path | None:
    name = re.sub(
        r"[^A-Za-z0-9._-]", "_", getattr(result, "generation_id", None) or result.trace_id or secrets.token_hex(8)
    )
    path = rescue_dir() / f"music01-{name}.{_EXT.get(result.format, 'bin')}"
    try:
        atomic_write_bytes(path, result.audio)
    except OSError:
        return None
    return path


@dataclass(frozen=True, kw_only=True)
class HistoryEntry(Piece):
    """A saved generation: the :class:`~music01_core.types.Piece` fields, and where and when it was saved.

    Attributes
    ----------
    id : str
    created : float
        Unix time in seconds.
    bytes : int
    audio_file : str
        The audio's file name in the entry's folder.
    reference_sha256, reference_name : str or None
        The reference behind it, when known.
    audio_path : str
        The audio's full path (not stored: set when the entry is read).
    """

    id: str
    created: float
    bytes: int
    audio_file: str
    reference_sha256: str | None = None
    reference_name: str | None = None
    warnings: list = field(default_factory=list)
    audio_path: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class PendingJob:
    """A submitted job whose audio is not saved yet: enough to poll it again, never the key.

    Attributes
    ----------
    generation_id : str
        Exactly as the provider sent it.
    model : str
    created : float
        Unix time of the submit, in seconds.
    base_url : str
        The service it was submitted to.
    key_fp : str
        A one-way fingerprint of the key that submitted it (to say "another key" on resume).
    lyrics, prompt : str or None
    flags : dict
        ``is_instrumental`` / ``lyrics_optimizer`` as sent.
    audio_setting : dict or None
        As sent.
    reference : dict or None
        ``Reference.describe()``: kind, sha256, length, never a Base64 payload.
    status : str
        The provider's last reported status (``queued``, ``generating``…).
    state : {"pending", "sent", "lost", "failed", "unknown", "expired", "interrupted"}
        ``sent``: the billed call is on its way (a record left in this state means the
        process stopped before the answer came); ``lost``: the answer never came (a timeout,
        a dropped connection, a 5xx): the provider's usage log is asked, nothing is re-sent;
        ``failed``: the provider reported an error; ``unknown``: it does not know the id;
        ``interrupted``: a music-01 generate whose process stopped before its answer was
        saved (music-01 has no poll: it may have been billed, and cannot be fetched).
    error : str or None
    updated : float
    client_request_id : str or None
        The ``X-Client-Request-Id`` sent with the submit.
    inference_id, credits_used, usd_spent : str or None
        From the submit's answer (headers and ``meta.usage``), when it came.
    options : dict
        The model's own fields as sent (the provider's names and units), written before the billed call.
    fingerprint : str or None
        How the provider's own records recognise the request when it has no request id
        (Replicate: the input's fields and their SHA-256), written before the billed call.
    """

    generation_id: str
    model: str
    created: float
    base_url: str
    key_fp: str
    lyrics: str | None = None
    prompt: str | None = None
    flags: dict = field(default_factory=dict)
    audio_setting: dict | None = None
    reference: dict | None = None
    status: str = "queued"
    state: str = "pending"
    error: str | None = None
    updated: float = 0.0
    client_request_id: str | None = None
    inference_id: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None
    fingerprint: str | None = None
    options: dict = field(default_factory=dict)

    @property
    def answer_lost(self) -> bool:
        """A billed call whose answer never arrived (or whose process stopped while it was on its way)."""
        return self.state in ("sent", "lost")

    def to_dict(self) -> dict:
        return asdict(self)


class History:
    """The generation history kept in ``<home>/history``."""

    def __init__(self, home: str | os.PathLike | None = None) -> None:
        self.dir = Path(home if home is not None else data_home()) / "history"

    def save(self, result, *, reference_sha256: str | None = None, reference_name: str | None = None) -> HistoryEntry:
        """Save a :class:`~music01_core.backends.GenerationResult`: audio first, then its record.

        A job's result also closes its pending record (after the record is written, so a
        crash in between leaves a pending record that :meth:`pending` recognises as done).
        """
        gid = getattr(result, "generation_id", None)
        if gid:
            # A job may be finished by two followers at once (a cancelled page's thread and a
            # Resume, or two processes): the first save wins, the second gets the same entry.
            from .storage import file_lock

            with file_lock(self.dir / ".jobs.lock"):
                existing = self.find_generation(gid)
                if existing is not None:
                    self._pending_path(gid).unlink(missing_ok=True)
                    return existing
                return self._save(result, reference_sha256, reference_name)
        return self._save(result, reference_sha256, reference_name)

    def keep(self, result, *, reference_sha256: str | None = None, reference_name: str | None = None):
        """Save a paid result, and never lose it: the result with its ``path`` (and ``history_id``).

        When the history cannot be written (a full disk, a read-only folder), the audio goes to
        a rescue folder in the system's temporary directory instead, or, failing that, stays in
        the returned result's ``audio`` only; a warning says where it is.  A job's pending record
        is kept then, so ``resume`` can save it once there is room.
        """
        from dataclasses import replace

        try:
            entry = self.save(result, reference_sha256=reference_sha256, reference_name=reference_name)
        except OSError as exc:
            logger.error("could not save a result to the history: %s", exc)
            where = _rescue(result)
            if where is not None:
                note = (
                    f"the history could not be written ({exc.strerror or exc}): the audio was saved to "
                    f"{where} instead — copy it somewhere safe, then free some space."
                )
            else:
                note = (
                    f"the history could not be written ({exc.strerror or exc}) and neither could a rescue "
                    "copy: the audio exists only in this response — download it now."
                )
            return replace(result, path=str(where) if where else None, warnings=(*result.warnings, note))
        return replace(result, path=entry.audio_path, history_id=entry.id)

    def _save(self, result, reference_sha256, reference_name) -> HistoryEntry:
        created = time.time()
        entry_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(created)) + "-" + secrets.token_hex(4)
        folder = self.dir / entry_id
        audio_name = f"music01-{entry_id}.{_EXT.get(result.format, 'bin')}"
        atomic_write_bytes(folder / audio_name, result.audio)
        entry = HistoryEntry(
            **{**piece_fields(result), "warnings": list(result.warnings)},
            id=entry_id,
            created=created,
            bytes=len(result.audio),
            audio_file=audio_name,
            reference_sha256=reference_sha256 or (result.reference or {}).get("sha256"),
            reference_name=reference_name or (result.reference or {}).get("name"),
        )
        record = entry.to_dict()
        record.pop("audio_path")
        atomic_write_json(folder / "record.json", record)
        if entry.generation_id:
            self._pending_path(entry.generation_id).unlink(missing_ok=True)
        return self._with_path(entry)

    # --- pending jobs ---------------------------------------------------------------------
    @property
    def pending_dir(self) -> Path:
        return self.dir / "pending"

    def _pending_path(self, generation_id: str) -> Path:
        import hashlib

        # Ids hold colons and other characters a file name cannot: name the file by a hash.
        return self.pending_dir / (hashlib.sha256(generation_id.encode("utf-8")).hexdigest()[:32] + ".json")

    def add_pending(self, job: PendingJob) -> PendingJob:
        """Record a submitted job before it is first polled (atomically)."""
        from dataclasses import replace

        job = replace(job, updated=time.time())
        atomic_write_json(self._pending_path(job.generation_id), job.to_dict())
        return job

    def update_pending(self, generation_id: str, **changes) -> PendingJob | None:
        """Change fields of a pending record (status, state, error); None if there is none."""
        from dataclasses import replace

        job = self.get_pending(generation_id)
        if job is None:
            return None
        job = replace(job, **changes, updated=time.time())
        atomic_write_json(self._pending_path(generation_id), job.to_dict())
        return job

    def get_pending(self, generation_id: str) -> PendingJob | None:
        """The pending record of ``generation_id``, or None."""
        path = self._pending_path(generation_id)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            logger.warning("pending job record %s is unreadable: %s", path.name, exc)
            return None
        fields = set(PendingJob.__dataclass_fields__)
        try:
            return PendingJob(**{k: v for k, v in data.items() if k in fields})
        except TypeError as exc:
            logger.warning("pending job record %s is damaged: %s", path.name, exc)
            return None

    def pending(self) -> list[PendingJob]:
        """Jobs submitted but not saved yet, newest first.

        A record whose job is already in the history (a crash between saving the audio and
        closing the record) is closed here.
        """
        if not self.pending_dir.exists():
            return []
        done = {e.generation_id for e in self.list() if e.generation_id}
        out = []
        for path in self.pending_dir.glob("*.json"):
            try:
                gid = json.loads(path.read_text(encoding="utf-8")).get("generation_id")
            except (OSError, ValueError):
                continue
            if not gid:
                continue
            if gid in done:
                path.unlink(missing_ok=True)
                continue
            job = self.get_pending(gid)
            if job is not None:
                out.append(job)
        return sorted(out, key=lambda j: j.created, reverse=True)

    def forget_pending(self, generation_id: str) -> bool:
        """Drop a pending record (the person gave up on it); True if there was one."""
        path = self._pending_path(generation_id)
        existed = path.exists()
        path.unlink(missing_ok=True)
        return existed

    def find_generation(self, generation_id: str) -> HistoryEntry | None:
        """The saved entry of a job, if its audio is already in the history."""
        return next((e for e in self.list() if e.generation_id == generation_id), None)

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

    def export_zip(self, path: str | os.PathLike, *, entries: list | None = None) -> Path:
        """Write entries (audio + record.json, default: all of them) into a zip file; returns its path."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        entries = self.list() if entries is None else list(entries)
        with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as z:
            for e in entries:
                z.write(self.dir / e.id / e.audio_file, f"{e.id}/{e.audio_file}")
                z.write(self.dir / e.id / "record.json", f"{e.id}/record.json")
            z.writestr(
                "index.json",
                json.dumps([{k: v for k, v in e.to_dict().items() if k != "audio_path"} for e in entries], indent=1),
            )
        os.replace(tmp, path)
        return path
