"""music-01's two calls (upload a reference for ids, generate from lyrics + ids) as a one-shot job.

Quarantined here: music-01 was retired by the AI/ML API in August 2026
(``shared/api/README.md``).  Both the HTTP calls (:mod:`.aimlapi_music01`) and the offline
engine's imitation of them (:mod:`.offline`) share what lives here: the id shapes, the
reference library (a clip uploaded before is not sent again), and the one retry after the
service forgot an id.  To the pipeline the pair is one submit that answers with the
finished piece (``answers_once``).
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import time
from dataclasses import replace
from pathlib import Path

from ..audio import Clip, inspect_clip
from ..errors import InputError, InvalidRequestError, UnknownIdError
from ..library import LibraryEntry
from ..models import LEGACY_MODEL
from ..settings import AudioSetting
from ..types import GenerationResult, Job, JobStatus, UploadResult

logger = logging.getLogger(__name__)

__all__ = ["ID_PATTERNS", "PURPOSE_IDS", "new_trace_id", "check_purpose", "check_ids", "Music01Calls"]

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


def check_purpose(purpose: str) -> str:
    """Return ``purpose`` if music-01 knows it, else raise a clear error."""
    if purpose not in PURPOSE_IDS:
        raise InvalidRequestError(
            f"purpose must be song, voice or instrumental, not {purpose!r}: song = sung vocals "
            "with accompaniment, voice = a cappella singing, instrumental = no vocals."
        )
    return purpose


def check_ids(voice_id: str | None, instrumental_id: str | None) -> None:
    """Check that at least one id is given and each has the right shape."""
    if not voice_id and not instrumental_id:
        raise InvalidRequestError("give a voice_id or an instrumental_id (or both): upload a reference first.")
    for name, value in (("voice_id", voice_id), ("instrumental_id", instrumental_id)):
        if value and not ID_PATTERNS[name].match(value):
            other = "instrumental_id" if name == "voice_id" else "voice_id"
            swapped = value and ID_PATTERNS[other].match(value)
            raise InvalidRequestError(
                f"{name} {value!r} is not a music-01 {name}"
                + (
                    f" (it looks like an {other}: pass it as {other})."
                    if swapped
                    else f" (expected something like {'vocal' if name == 'voice_id' else 'instrumental'}-"
                    "2025011003141025-d5ZEMxmp)."
                )
            )


class Music01Calls:
    """music-01's upload and generate over some transport, with the reference library.

    Subclasses implement ``_send_upload(clip, purpose)`` and
    ``_send_generate(lyrics, voice_id, instrumental_id, setting, seed)``, and may override
    ``_ids_still_known(entry)``.

    Parameters
    ----------
    connection : Client
        Gives ``library``, ``base_url`` and ``key_fp``.
    """

    name = "base"
    label = "base"
    answers_once = True
    offline = False
    local_service = False
    publisher = None

    def __init__(self, connection) -> None:
        self.library = connection.library
        self.base_url = connection.base_url
        self.key_fp = connection.key_fp

    # --- hooks ----------------------------------------------------------------------------
    def _send_upload(self, clip: Clip, purpose: str) -> UploadResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _send_generate(
        self,
        lyrics: str,
        voice_id: str | None,
        instrumental_id: str | None,
        setting: AudioSetting,
        seed: int | None,
        *,
        client_request_id: str | None = None,
    ) -> GenerationResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _ids_still_known(self, entry) -> bool:
        return True

    # --- the provider interface ---------------------------------------------------------------
    def submit(self, job: Job) -> JobStatus:
        """Upload the job's reference (unless its ids are given), then generate: the finished piece."""
        voice_id, inst_id = job.voice_id, job.instrumental_id
        if job.reference is not None:
            up = self.upload(job.reference.local_path or job.reference.value, job.purpose)
            voice_id, inst_id = voice_id or up.voice_id, inst_id or up.instrumental_id
        check_ids(voice_id, inst_id)
        result, provenance = self.generate(
            job.lyrics or "",
            voice_id=voice_id,
            instrumental_id=inst_id,
            audio_setting=job.audio_setting,
            seed=job.seed,
            client_request_id=job.client_request_id,
        )
        piece = replace(result, model=job.model.id)
        return JobStatus(id=result.trace_id, status="completed", piece=piece, provenance=provenance)

    def poll(self, generation_id: str) -> JobStatus:
        """music-01 has nothing to poll: its answer was the piece."""
        raise InputError(
            "music-01 answers with the finished piece and has no way to fetch an answer again: "
            "there is nothing to resume."
        )

    def download(self, status: JobStatus) -> bytes:
        """The piece came with the answer."""
        return status.piece.audio

    def check_audio(self, audio: bytes, fmt: str) -> tuple[float, int]:
        """Checked when the answer was read."""
        return 0.0, 2

    # --- the two calls ------------------------------------------------------------------------
    def upload(
        self, clip: Clip | str | os.PathLike, purpose: str, *, name: str | None = None, use_library: bool = True
    ) -> UploadResult:
        """Upload a clip (MP3/WAV, 10 s–10 min) for ``purpose``; a clip uploaded before is not sent again.

        Parameters
        ----------
        clip : Clip or path-like
        purpose : {"song", "voice", "instrumental"}
        name : str, optional
            A name for the reference library (default: the file's name).
        use_library : bool
            Look the clip up in the reference library first.

        Returns
        -------
        UploadResult
            ``cached`` is True when nothing was sent.
        """
        check_purpose(purpose)
        info = inspect_clip(clip.path if isinstance(clip, Clip) else clip, model=LEGACY_MODEL)
        if use_library:
            hit = self.library.lookup(info.sha256, purpose, self.base_url, self.key_fp)
            if hit is not None and self._ids_still_known(hit):
                return UploadResult(
                    voice_id=hit.voice_id,
                    instrumental_id=hit.instrumental_id,
                    trace_id="",
                    backend=self.name,
                    purpose=purpose,
                    sha256=info.sha256,
                    cached=True,
                )
        result = self._send_upload(info, purpose)
        self.library.add(
            LibraryEntry(
                sha256=info.sha256,
                purpose=purpose,
                base_url=self.base_url,
                key_fp=self.key_fp,
                voice_id=result.voice_id,
                instrumental_id=result.instrumental_id,
                created=time.time(),
                name=name or Path(info.path).stem,
                duration_s=info.duration_s,
                format=info.format,
            ),
            clip_path=info.path,
        )
        return result

    def generate(
        self,
        lyrics: str,
        *,
        voice_id: str | None = None,
        instrumental_id: str | None = None,
        audio_setting: AudioSetting | None = None,
        seed: int | None = None,
        client_request_id: str | None = None,
    ) -> tuple[GenerationResult, dict]:
        """Generate once; ``(piece, provenance)`` — provenance names the library reference behind the ids.

        When the service no longer knows an id that came from the reference library, the
        reference is uploaded again once, the generate is retried once, and the piece's
        ``warnings`` say so.
        """
        setting = audio_setting or AudioSetting()
        notes: list[str] = []
        try:
            result = self._send_generate(
                lyrics, voice_id, instrumental_id, setting, seed, client_request_id=client_request_id
            )
        except UnknownIdError:
            renewed = self._renew_ids(voice_id, instrumental_id)
            if renewed is None:
                raise
            voice_id, instrumental_id, notes = renewed
            # The first generate was refused (not billed): this one is its own request, traced afresh.
            result = self._send_generate(
                lyrics,
                voice_id,
                instrumental_id,
                setting,
                seed,
                client_request_id=f"{client_request_id}.2" if client_request_id else None,
            )
        if notes:
            result = replace(result, warnings=(*notes, *result.warnings))
        ref = self.library.find_id(instrumental_id or voice_id or "")
        provenance = {"reference_sha256": ref.sha256, "reference_name": ref.name} if ref else {}
        return result, provenance

    def _renew_ids(self, voice_id, instrumental_id):
        """Upload again the library clips behind ids the service forgot; None if none can be."""
        new = {"voice_id": voice_id, "instrumental_id": instrumental_id}
        notes = []
        for field_name, old in (("voice_id", voice_id), ("instrumental_id", instrumental_id)):
            if not old or new[field_name] != old:
                continue
            entry = self.library.find_id(old)
            clip = self.library.clip_path(entry) if entry else None
            if entry is None or clip is None:
                continue
            self.library.drop_id(old)
            up = self.upload(clip, entry.purpose, name=entry.name, use_library=False)
            for f in PURPOSE_IDS[entry.purpose]:
                if new[f] in (entry.voice_id, entry.instrumental_id) and getattr(up, f):
                    notes.append(
                        f"the service no longer knew {f} {new[f]}: the reference "
                        f"'{entry.name}' was uploaded again ({f} {getattr(up, f)}) and the piece generated "
                        "once more."
                    )
                    new[f] = getattr(up, f)
        if not notes:
            return None
        return new["voice_id"], new["instrumental_id"], notes
