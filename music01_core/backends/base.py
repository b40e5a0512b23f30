"""The backend interface shared by the offline engine and the music-01 API.

The CLI, the app and the notebooks only talk to a :class:`Backend`; tests swap one for
the other through this same interface.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Protocol, runtime_checkable

from ..audio import Clip
from ..errors import InvalidRequestError
from ..models import LEGACY_MODEL
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


@runtime_checkable
class Backend(Protocol):
    """Upload references and generate music; implemented offline and over the API."""

    name: str
    label: str

    def upload(self, clip: Clip | str | os.PathLike, purpose: str) -> UploadResult:
        """Upload a prepared clip (MP3/WAV, 10 s–10 min) for ``purpose``."""
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
        """Generate a piece from lyrics and one or both ids (music-01)."""
        ...

    def make(self, request: MusicRequest, *, wait_s: float = ..., on_status=None) -> GenerationResult:
        """Make a piece with any model; saved to the history before it is returned."""
        ...

    def resume(self, generation_id: str, *, wait_s: float = ..., on_status=None) -> GenerationResult:
        """Fetch the result of a job submitted earlier, without submitting again."""
        ...


class BaseBackend:
    """What both backends share: validation, the reference library, the retry after a
    forgotten id, and saving every result to the history before returning it.

    Subclasses implement ``_send_upload(clip, purpose)`` and
    ``_send_generate(lyrics, voice_id, instrumental_id, setting, seed)``.
    """

    name = "base"
    label = "base"
    base_url = ""
    #: Whether the service runs on this machine, so loopback and private reference URLs reach it.
    local_service = False

    def __init__(self, home: str | os.PathLike | None = None, *, history=None, library=None) -> None:
        from ..history import History
        from ..library import ReferenceLibrary
        from ..settings import data_home

        self.home = Path(home) if home is not None else data_home()
        self.history = history if history is not None else History(self.home)
        self.library = library if library is not None else ReferenceLibrary(self.home)

    # --- hooks for subclasses ------------------------------------------------------------
    @property
    def key_fp(self) -> str:
        return ""

    def _send_upload(self, clip: Clip, purpose: str) -> UploadResult:  # pragma: no cover - abstract
        raise NotImplementedError

    def _send_generate(
        self, lyrics: str, voice_id: str | None, instrumental_id: str | None, setting: AudioSetting, seed: int | None
    ) -> GenerationResult:  # pragma: no cover
        raise NotImplementedError

    def _ids_still_known(self, entry) -> bool:
        return True

    # --- the two calls -------------------------------------------------------------------
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
        from ..audio import inspect_clip
        from ..library import LibraryEntry

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
        import time

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
    ) -> GenerationResult:
        """Generate a piece; the result is saved to the history before it is returned.

        When the service no longer knows an id that came from the reference library, the
        reference is uploaded again once, the generate is retried once, and the result's
        ``warnings`` say so.
        """
        from dataclasses import replace

        from ..errors import UnknownIdError
        from ..lyrics import prepare_lyrics

        setting = audio_setting or AudioSetting()
        report = prepare_lyrics(lyrics, model=LEGACY_MODEL)  # the two-call path is music-01's
        check_ids(voice_id, instrumental_id)
        notes: list[str] = []
        try:
            result = self._send_generate(report.text, voice_id, instrumental_id, setting, seed)
        except UnknownIdError:
            renewed = self._renew_ids(voice_id, instrumental_id)
            if renewed is None:
                raise
            voice_id, instrumental_id, notes = renewed
            result = self._send_generate(report.text, voice_id, instrumental_id, setting, seed)
        if notes:
            result = replace(result, warnings=(*notes, *result.warnings))
        ref = self.library.find_id(instrumental_id or voice_id or "")
        return self.history.keep(
            result, reference_sha256=ref.sha256 if ref else None, reference_name=ref.name if ref else None
        )

    # --- any model ------------------------------------------------------------------------
    def make(
        self, request: MusicRequest, *, wait_s: float | None = None, on_status=None, on_submit=None
    ) -> GenerationResult:
        """Make a piece with any model of the table; saved to the history before it is returned.

        Parameters
        ----------
        request : MusicRequest
        wait_s : float, optional
            Job models: how long to wait before leaving the job pending (default 600 s).
        on_status : callable, optional
            Called as ``on_status(status, elapsed_s)`` while a job runs (``queued``,
            ``generating``…).
        on_submit : callable, optional
            Called with the generation id once the job is submitted and its id saved.

        Raises
        ------
        JobPendingError
            The wait ran out; the job is kept and ``resume`` fetches it later.
        """
        from dataclasses import replace

        from ..lyrics import prepare_text_fields
        from ..models import get_model
        from ..settings import DEFAULT_WAIT_S

        m = get_model(request.model)
        fields = prepare_text_fields(
            m,
            lyrics=request.lyrics,
            prompt=request.prompt,
            is_instrumental=request.is_instrumental,
            lyrics_optimizer=request.lyrics_optimizer,
        )
        setting = (request.audio_setting or AudioSetting()) if m.audio_setting is not None else None
        if m.protocol == "music01":
            voice_id, inst_id = request.voice_id, request.instrumental_id
            ref = request.reference
            if ref is not None:
                up = self.upload(ref.local_path or ref.value, request.purpose)
                voice_id, inst_id = voice_id or up.voice_id, inst_id or up.instrumental_id
            result = self.generate(
                fields.lyrics or "",
                voice_id=voice_id,
                instrumental_id=inst_id,
                audio_setting=setting,
                seed=request.seed,
            )
            return replace(result, model=m.id, warnings=(*fields.warnings, *result.warnings))
        result = self._make_job(
            m,
            fields,
            request,
            setting,
            wait_s=DEFAULT_WAIT_S if wait_s is None else wait_s,
            on_status=on_status,
            on_submit=on_submit,
        )
        return replace(result, warnings=(*fields.warnings, *result.warnings)) if fields.warnings else result

    def _make_job(self, model, fields, request, setting, *, wait_s, on_status, on_submit=None):  # pragma: no cover
        raise NotImplementedError

    def resume(self, generation_id: str, *, wait_s: float | None = None, on_status=None) -> GenerationResult:
        """Fetch a job's result without submitting again (already-saved results are returned as they are)."""
        from ..errors import InputError

        gid, saved = self._saved_generation(generation_id)
        if saved is not None:
            return saved
        # Only the offline engine lands here (the API backend polls the provider instead).
        raise InputError(
            f"there is no pending job {gid!r} here, and the offline engine (no API key) sends nothing to the "
            "provider, so it has no jobs to resume: set the API key the job was submitted with and resume "
            "again (`music01 jobs` lists the pending ones)."
        )

    def _saved_generation(self, generation_id: str):
        """(the cleaned id, its saved result or None); an empty id is refused."""
        from ..errors import InputError

        gid = (generation_id or "").strip()
        if not gid:
            raise InputError("give the generation id to resume (`music01 jobs` lists them).")
        entry = self.history.find_generation(gid)
        return gid, (result_from_entry(entry) if entry is not None else None)

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
