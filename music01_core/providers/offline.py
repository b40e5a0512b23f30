"""The offline engine as a provider: every model of the table, rendered here, with no key and no network.

music-01's two calls are imitated as the service answers them (``upload`` checks a clip as the
service does, keeps it under ``<home>/offline`` and returns ids shaped like music-01's;
``generate`` validates like the service and renders); a job model's request is rendered at
once.  This is also the fake that tests use through the real interface.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import secrets
import string
import tempfile
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from ..audio import Clip, inspect_clip
from ..errors import InputError, InvalidRequestError, UnknownIdError
from ..lyrics import prepare_lyrics, sung_blocks
from ..models import LEGACY_MODEL, get_model
from ..settings import DEFAULT_BITRATE, OFFLINE_MAX_S, AudioSetting
from ..storage import atomic_copy, atomic_write_json
from ..types import GenerationResult, Job, JobStatus, UploadResult
from .music01 import PURPOSE_IDS, Music01Calls, check_ids, new_trace_id

logger = logging.getLogger(__name__)

__all__ = ["OfflineEngine"]

_ALNUM = string.ascii_letters + string.digits
_features_lock = threading.Lock()
# Offline renders are CPU-bound: at most one per core at a time, whoever calls.
_render_slots = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))


def _new_id(kind: str, seed_text: str) -> str:
    now = datetime.now(UTC)
    digits = now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 10000:02d}"
    h = hashlib.sha256((seed_text + secrets.token_hex(4)).encode()).digest()
    suffix = "".join(_ALNUM[b % len(_ALNUM)] for b in h[:8])
    return f"{kind}-{digits}-{suffix}"


class OfflineEngine(Music01Calls):
    """The adapter for the offline engine (registry name ``offline``): it answers every model.

    Parameters
    ----------
    connection : Client
        Gives the library (music-01's ids) and ``store``: where uploaded clips and their
        analysis are kept (the emulator shares one store between its callers).
    """

    name = "offline"
    label = "offline engine — not the real model"
    offline = True
    #: Everything runs here: references on this machine (loopback, private addresses) are reachable.
    local_service = True

    def __init__(self, connection) -> None:
        super().__init__(connection)
        self.dir = Path(connection.store) / "offline"

    def submit(self, job: Job) -> JobStatus:
        """Render the job now: music-01's two calls for a reference with a purpose (music-01, wherever it is
        served: a voice alone is an a cappella hum, an instrumental has no vocals), a job model's piece otherwise."""
        if job.model.takes_purpose:
            return super().submit(job)
        # The length a model's "duration_s" option asks for (its provider's default when not given).
        length = job.model.option("duration_s")
        length_s = job.model.option_values(job.options).get("duration_s", length.default if length else None)
        capped = length_s is not None and length_s > OFFLINE_MAX_S
        if capped:
            asked, length_s = length_s, OFFLINE_MAX_S
        with _render_slots:
            piece = self.render_job(
                job.model,
                job,
                job.reference,
                job.audio_setting,
                is_instrumental=job.is_instrumental,
                lyrics_optimizer=job.lyrics_optimizer,
                seed=job.seed,
                length_s=length_s,
            )
        if capped:
            note = (
                f"the offline engine makes at most {OFFLINE_MAX_S:g} s: this stand-in is {OFFLINE_MAX_S:g} s long, not the "
                f"{asked:g} s asked (the model itself makes the length asked)."
            )
            piece = replace(piece, warnings=(*piece.warnings, note))
        return JobStatus(id=piece.trace_id, status="completed", piece=piece)

    def poll(self, generation_id: str) -> JobStatus:
        """The offline engine keeps no jobs: everything was made at once."""
        raise InputError(
            f"there is no pending job {generation_id!r} here, and the offline engine (no API key) sends nothing to "
            "the provider, so it has no jobs to resume: set the API key the job was submitted with and resume "
            "again (`music01 jobs` lists the pending ones)."
        )

    def __repr__(self) -> str:
        return f"OfflineEngine(store={str(self.dir.parent)!r})"

    def _ids_still_known(self, entry) -> bool:
        return all((self.dir / "ids" / f"{i}.json").exists() for i in (entry.voice_id, entry.instrumental_id) if i)

    # --- storage ------------------------------------------------------------------
    def _ensure(self) -> None:
        for sub in ("clips", "features", "ids"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)

    def _record(self, ref_id: str) -> dict:
        path = self.dir / "ids" / f"{ref_id}.json"
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            kind = "voice_id" if ref_id.startswith("vocal-") else "instrumental_id"
            raise UnknownIdError(
                f"unknown {kind} {ref_id!r}: this offline engine has no such reference — upload the reference "
                "again to get a new id."
            ) from None
        except (OSError, ValueError) as exc:
            raise UnknownIdError(
                f"the record of {ref_id!r} is unreadable ({exc}): upload the reference again."
            ) from exc

    def features(self, sha256: str, clip_path: Path):
        """Engine features of a stored clip, computed once and kept next to it."""
        from ..engine import reference

        fpath = self.dir / "features" / f"{sha256}.json"
        with _features_lock:
            feats = reference.load(fpath)
            if feats is None or feats.sha256 != sha256:
                feats = reference.extract(clip_path, sha256=sha256)
                reference.save(feats, fpath)
        return feats

    # --- the two calls ------------------------------------------------------------
    def _send_upload(self, info: Clip, purpose: str) -> UploadResult:
        """Store a checked clip and return ids for ``purpose`` (music-01's id shapes)."""
        self._ensure()
        stored = self.dir / "clips" / f"{info.sha256}.{info.format}"
        if not stored.exists():
            atomic_copy(info.path, stored)
        self.features(info.sha256, stored)  # analyse now, as the service does, so generate is quick
        ids: dict[str, str | None] = {"voice_id": None, "instrumental_id": None}
        created = time.time()
        for field in PURPOSE_IDS[purpose]:
            ref_id = _new_id("vocal" if field == "voice_id" else "instrumental", info.sha256 + purpose)
            atomic_write_json(
                self.dir / "ids" / f"{ref_id}.json",
                {
                    "id": ref_id,
                    "field": field,
                    "purpose": purpose,
                    "sha256": info.sha256,
                    "clip": stored.name,
                    "created": created,
                },
            )
            ids[field] = ref_id
        trace = new_trace_id()
        logger.info("offline upload %s (%s): %s", info.sha256[:12], purpose, ids)
        return UploadResult(
            voice_id=ids["voice_id"],
            instrumental_id=ids["instrumental_id"],
            trace_id=trace,
            backend=self.name,
            purpose=purpose,
            sha256=info.sha256,
        )

    def _send_generate(
        self,
        lyrics: str,
        voice_id: str | None,
        instrumental_id: str | None,
        setting: AudioSetting,
        seed: int | None,
        *,
        client_request_id: str | None = None,
    ) -> GenerationResult:
        """Render a piece from lyrics and ids, following music-01's three cases.

        Voice only gives an a cappella hum, instrumental only an instrumental piece, both
        a song.  The same inputs and ``seed`` give bit-identical audio; with no seed, a
        random one is chosen and returned on the result.
        """
        # BaseBackend.generate validated already; the emulator calls this directly, so check again.
        report = prepare_lyrics(lyrics, model=LEGACY_MODEL)  # the two-call path is music-01's
        check_ids(voice_id, instrumental_id)
        seed = _check_seed(seed)
        voice_rec = self._record(voice_id) if voice_id else None
        inst_rec = self._record(instrumental_id) if instrumental_id else None
        for rec, field in ((voice_rec, "voice_id"), (inst_rec, "instrumental_id")):
            if rec is not None and rec["field"] != field:
                raise InvalidRequestError(f"{rec['id']!r} is a {rec['field']}, not a {field}.")
        return self._render(
            sung_blocks(report.text),
            report.accompaniment,
            voice_rec,
            inst_rec,
            setting,
            seed,
            lyrics=report.text,
            voice_id=voice_id,
            instrumental_id=instrumental_id,
        )

    def _render(
        self,
        blocks,
        wrap: bool,
        voice_rec,
        inst_rec,
        setting: AudioSetting,
        seed: int,
        *,
        lyrics: str,
        voice_id=None,
        instrumental_id=None,
        length_s: float | None = None,
    ) -> GenerationResult:
        # The engine (numpy, the renderer) loads on the first render: start-up stays quick.
        import numpy as np

        from ..audio import load_audio
        from ..engine import render

        voice = self.features(voice_rec["sha256"], self.dir / "clips" / voice_rec["clip"]) if voice_rec else None
        inst = self.features(inst_rec["sha256"], self.dir / "clips" / inst_rec["clip"]) if inst_rec else None
        inst_audio = None
        if inst_rec:
            y, _ = load_audio(self.dir / "clips" / inst_rec["clip"], sample_rate=setting.sample_rate, mono=False)
            inst_audio = y.T if y.ndim == 2 else y[:, None]
        rendered = render(
            blocks,
            accompaniment_wrap=wrap,
            voice=voice,
            instrumental=inst,
            instrumental_audio=inst_audio,
            instrumental_is_song=bool(inst_rec and inst_rec["purpose"] == "song"),
            sample_rate=setting.sample_rate,
            seed=seed,
            length_s=length_s,
        )
        pcm = (np.clip(rendered.audio, -1, 1) * 32767).round().astype("<i2")
        audio = _encode(pcm, setting)
        warnings = ()
        if rendered.capped:
            warnings = (
                "the lyrics are long for one piece: they were sung faster to stay under a minute"
                " (and lines that still did not fit were left out).",
            )
        return GenerationResult(
            audio=audio,
            format=setting.format,
            sample_rate=setting.sample_rate,
            bitrate=setting.bitrate if setting.format == "mp3" else DEFAULT_BITRATE,
            channels=2,
            duration_s=round(len(pcm) / setting.sample_rate, 3),
            voice_id=voice_id,
            instrumental_id=instrumental_id,
            backend=self.name,
            trace_id=new_trace_id(),
            seed=seed,
            lyrics=lyrics,
            warnings=warnings,
        )

    # --- the job models -------------------------------------------------------------
    def render_job(
        self,
        model,
        fields,
        reference,
        setting: AudioSetting | None,
        *,
        is_instrumental: bool = False,
        lyrics_optimizer: bool = False,
        seed: int | None = None,
        length_s: float | None = None,
    ) -> GenerationResult:
        """Render what a job model would make, without saving it (the emulator's job worker uses this).

        Parameters
        ----------
        model : str or Model
            A model id of the table (the emulator passes the id it was sent).
        fields : TextFields
            Checked lyrics and style prompt (any object with ``lyrics`` and ``prompt``).
        reference : Reference or None
            A local copy is read; a model with no reference gets one of the built-in examples.
        setting : AudioSetting or None
            None: what the model returns by default (``Model.returns``), at 44.1 kHz.
        length_s : float, optional
            An instrumental exactly this long (a model's length option); None: about 30 s, or as the
            lyrics need.
        """
        model = get_model(model)
        seed = _check_seed(seed)
        setting = setting or AudioSetting(format=model.returns[0])
        notes: list[str] = []
        sing = not is_instrumental and bool(fields.lyrics or lyrics_optimizer)
        if reference is not None:
            clip_path, ref_name = reference.local_path or reference.value, reference.name
        else:
            clip_path, ref_name = self._stand_in(model, fields.prompt, sing, notes)
        rec = self._stored_record(clip_path, model)
        lyrics = fields.lyrics or ""
        if sing and not lyrics:
            # The lyrics optimizer writes lyrics from the prompt; offline, the prompt's words are sung.
            lyrics = "\n".join(w for w in re.split(r"[,.;:!?]\s*", fields.prompt or "la la la") if w.strip())[:600]
            notes.append("offline engine: the lyrics optimizer is imitated by singing the style prompt's words.")
        if sing:
            blocks = sung_blocks(lyrics)
            wrap = model.wraps_accompaniment and lyrics.strip().startswith("##") or not model.wraps_accompaniment
        else:
            # An instrumental: the plan's length follows the lines, so stand-in lines set it (~30 s).
            blocks = [["la la la la"] * 4] * 3
            wrap = True
        result = self._render(
            blocks, wrap, rec if sing else None, rec, setting, seed, lyrics=fields.lyrics or "", length_s=length_s
        )
        return replace(
            result,
            model=model.id,
            prompt=fields.prompt,
            warnings=(*notes, *result.warnings),
            reference=reference.describe() if reference is not None else {"kind": "builtin", "name": ref_name},
        )

    def _stand_in(self, model, prompt: str | None, sing: bool, notes: list[str]) -> tuple[Path, str]:
        """A text-only model: the built-in example whose mood the prompt's words name stands in."""
        from ..examples import EXAMPLES, example_for_prompt, write_example  # numpy: loaded on first use

        ref_name, words = example_for_prompt(prompt, sing=sing)
        clip_path = self.dir / "examples" / f"{ref_name}.wav"
        # Jobs render in parallel threads (the emulator): one writes the example, the others wait for it.
        with _features_lock:
            if not clip_path.exists():
                write_example(ref_name, clip_path)
        spec = EXAMPLES[ref_name]
        notes.append(
            f"offline engine: {model.id} takes no reference; the built-in example '{ref_name}' "
            f"({spec.description.split(' (')[0]}, {spec.tonic} {spec.mode}, {spec.tempo_bpm:.0f} BPM) stands in for "
            "the style "
            + (f"prompt (its words: {words})." if words else "prompt (no mood words matched: the default).")
        )
        return clip_path, ref_name

    def _stored_record(self, clip_path, model) -> dict:
        """Keep a checked copy of a job's reference in the store, analysed, and describe it like an upload."""
        info = inspect_clip(clip_path, model=model if model.reference.limits else LEGACY_MODEL)
        self._ensure()
        stored = self.dir / "clips" / f"{info.sha256}.{info.format}"
        if not stored.exists():
            atomic_copy(info.path, stored)
        self.features(info.sha256, stored)
        return {"id": "", "purpose": "song", "sha256": info.sha256, "clip": stored.name}


def _encode(pcm, setting: AudioSetting) -> bytes:
    """The rendered 16-bit PCM in the requested format."""
    if setting.format == "pcm":
        return pcm.tobytes()
    from .. import ffmpeg  # loaded with the engine, on the first render

    with tempfile.TemporaryDirectory(prefix="music01-") as d:
        out = Path(d) / f"out.{setting.format}"
        ffmpeg.encode_pcm(
            pcm.tobytes(),
            out,
            sample_rate=setting.sample_rate,
            channels=2,
            fmt=setting.format,
            bitrate_kbps=setting.bitrate // 1000,
        )
        return out.read_bytes()


def _check_seed(seed):
    if seed is None:
        return secrets.randbelow(2**31)
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise InputError(f"seed must be a whole number from 0 up, not {seed!r}.")
    return seed
