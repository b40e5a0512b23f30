"""The asynchronous job interface of the emulator: ``POST /v2/generate/audio``, ``GET ?generation_id=``.

Submits are validated against the model table (:mod:`music01_core.models`) the way the
gateway does (400 "Body validation error!" with one message per problem); a job is
rendered by the offline engine in a thread, reports ``queued`` then ``generating`` for
the configured latency, then ``completed`` with an ``audio_file.url`` on the emulator's
own file server.  Each submit is logged in ``/_emulator/stats`` (``submits``).

Faults, queued per endpoint ("submit", "poll", "job") or sent in ``X-Music01-Fault``:

- submit: ``http:<status>``, ``reset``, ``hang``;
- poll: ``http:<status>``, ``reset``, ``badjson``, ``slow`` (the answer dribbles in);
- job (applies to the next job submitted): ``job:error``, ``job:stuck`` (stays queued),
  ``job:expired`` (the file URL has expired), ``job:size`` (``file_size`` is wrong),
  ``job:notaudio`` (the file is not audio).
"""

from __future__ import annotations

import base64
import binascii
import logging
import tempfile
import threading
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..settings import JOB_PATH
from .common import (
    EmulatorState,
    audio_setting_problems,
    before,
    fault_answer,
    gateway,
    json_request,
    slow_json,
)
from .files import add_file, expire_file

logger = logging.getLogger(__name__)

__all__ = ["jobs_router", "validate_job"]

_CREDITS = {
    "minimax-music": 126000,
    "minimax/music-cover": 84000,
    "minimax/music-2.6": 84000,
    "minimax/music-2.0": 63000,
    "minimax/music-1.5": 63000,
}
_FLAGS = ("is_instrumental", "lyrics_optimizer")


def validate_job(body) -> tuple[object, list[str]]:
    """The gateway's validation of a submit: (Model or None, problems)."""
    from ..models import MODELS, model_ids

    if not isinstance(body, dict):
        return None, ["body must be a JSON object"]
    m = MODELS.get(body.get("model"))
    if m is None or not m.live or m.protocol != "job":
        return None, ["model must be one of the following values: " + ", ".join(model_ids(live_only=True))]
    problems = []
    allowed = {"model"}
    for spec in (m.lyrics, m.prompt):
        if spec is None:
            continue
        allowed.add(spec.api_field)
        value = body.get(spec.api_field)
        if value is None:
            if spec.required:
                problems.append(f"{spec.api_field} should not be empty")
            continue
        if not isinstance(value, str):
            problems.append(f"{spec.api_field} must be a string")
        elif len(value) < spec.min_chars:
            problems.append(f"{spec.api_field} must be longer than or equal to {spec.min_chars} characters")
        elif len(value) > spec.max_chars:
            problems.append(f"{spec.api_field} must be shorter than or equal to {spec.max_chars} characters")
    if m.reference.ways:
        allowed.add(m.reference.api_field)
        ref = body.get(m.reference.api_field)
        if not isinstance(ref, str) or not ref:
            problems.append(f"{m.reference.api_field} should not be empty")
        elif ref.startswith("data:"):
            if "base64" not in m.reference.ways:
                problems.append(f"{m.reference.api_field} must be a URL address")
            elif ";base64," not in ref[:80]:
                problems.append(f"{m.reference.api_field} must be a URL or Base64-encoded audio")
        elif not ref.startswith(("http://", "https://")):
            problems.append(f"{m.reference.api_field} must be a URL address")
    if m.audio_setting is not None:
        allowed.add("audio_setting")
        problems += audio_setting_problems(body.get("audio_setting"), rate_field=m.audio_setting.sample_rate_field)
    for flag in m.flags:
        allowed.add(flag)
        if flag in body and not isinstance(body[flag], bool):
            problems.append(f"{flag} must be a boolean value")
    for k in body:
        if k not in allowed:
            problems.append(f"property {k} should not exist")
    return m, problems


def jobs_router(state: EmulatorState) -> APIRouter:
    router = APIRouter()

    @router.post(JOB_PATH)
    async def submit(request: Request):
        submit_fault, body, resp = await json_request(state, request, "submit", JOB_PATH)
        if resp is not None:
            return resp
        model, problems = validate_job(body)
        if problems:
            return gateway(400, JOB_PATH, problems)
        if (answer := fault_answer(submit_fault, JOB_PATH)) is not None:
            return answer
        fault = state.take_fault("job", request) if not request.headers.get("x-music01-fault") else None
        short = model.id.split("/")[-1]
        gid = f"{uuid.uuid4()}:{short}"
        job = {
            "id": gid,
            "model": model,
            "body": body,
            "created": time.monotonic(),
            "fault": fault,
            "done": False,
            "result": None,
            "error": None,
            "url": None,
            "base_url": str(request.base_url).rstrip("/"),
        }
        with state.lock:
            state.jobs[gid] = job
            ref = body.get(model.reference.api_field) if model.takes_reference else None
            # How the reference came (a link or the audio itself), never the link or the payload.
            how = None if not isinstance(ref, str) else "base64" if ref.startswith("data:") else "url"
            state.stats["submits"].append({"id": gid, "model": model.id, "reference": how, "time": time.time()})
        threading.Thread(target=_work, args=(state, job), name="music01-emulator-job", daemon=True).start()
        return JSONResponse({"id": gid, "status": "queued"}, status_code=201)

    @router.get(JOB_PATH)
    async def poll(request: Request):
        fault, resp = await before(state, request, "poll", JOB_PATH)
        if resp is not None:
            return resp
        gid = request.query_params.get("generation_id")
        if not gid:
            return gateway(400, JOB_PATH, ["generation_id should not be empty"])
        with state.lock:
            job = state.jobs.get(gid)
        if job is None:
            return gateway(404, JOB_PATH, f"Generation {gid} not found")
        if fault == "slow":
            return slow_json(_status(state, job))
        return JSONResponse(_status(state, job))

    return router


def _status(state: EmulatorState, job: dict) -> dict:
    elapsed = time.monotonic() - job["created"]
    queue_s = state.queue_s if state.queue_s else state.latency_s / 3
    out = {"id": job["id"]}
    if job["fault"] == "job:stuck" or elapsed < queue_s:
        return {**out, "status": "queued"}
    if not job["done"] or elapsed < state.latency_s:
        return {**out, "status": "generating"}
    if job["error"] is not None or job["fault"] == "job:error":
        name, message = job["error"] or ("GenerationError", "the upstream model failed to generate the audio")
        return {**out, "status": "error", "error": {"name": name, "message": message}}
    result = job["result"]
    data, ctype, ext = result.audio, _CTYPE.get(result.format, "application/octet-stream"), result.format
    size = len(data)
    if job["fault"] == "job:notaudio":
        data, ext = b"<html>definitely not audio</html>" * 32, result.format
        size = len(data)
    if job["fault"] == "job:size":
        size += 1000
    if job["url"] is None:
        job["url"] = add_file(
            state,
            None,
            data,
            ctype,
            f"music-{job['id'].split(':')[0][:8]}.{ext}",
            expires_in_s=state.file_ttl_s,
            base_url=job["base_url"],
        )
        if job["fault"] == "job:expired":
            expire_file(state, job["url"])
    usage = {"credits_used": _CREDITS.get(job["model"].id, 84000), "usd_spent": 0.06}
    return {
        **out,
        "status": "completed",
        "audio_file": {
            "url": job["url"],
            "content_type": ctype,
            "file_name": job["url"].rsplit("/", 1)[-1],
            "file_size": size,
        },
        "meta": {"usage": usage},
    }


_CTYPE = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "application/octet-stream"}


def _work(state: EmulatorState, job: dict) -> None:
    """Render the job with the offline engine (as the provider would, in the background)."""
    from ..errors import Music01Error
    from ..lyrics import TextFields
    from ..settings import AudioSetting

    m, body = job["model"], job["body"]
    try:
        with tempfile.TemporaryDirectory(prefix="music01-emu-job-") as d:
            ref = _fetch_reference(state, m, body, Path(d)) if m.reference.ways else None
            s = body.get("audio_setting") or {}
            setting = AudioSetting(
                sample_rate=int(s.get(m.audio_setting.sample_rate_field, 44100)) if m.audio_setting else 44100,
                bitrate=int(s.get("bitrate", 256000)),
                format=s.get("format", "mp3"),
            )
            fields = TextFields(
                lyrics=body.get(m.lyrics.api_field) if m.lyrics else None,
                prompt=body.get(m.prompt.api_field) if m.prompt else None,
            )
            job["result"] = state.backend.render_job(
                m,
                fields,
                ref,
                setting,
                is_instrumental=bool(body.get("is_instrumental")),
                lyrics_optimizer=bool(body.get("lyrics_optimizer")),
            )
    except Music01Error as exc:
        job["error"] = ("InvalidReference" if "reference" in str(exc).lower() else "GenerationError", str(exc))
    except Exception as exc:  # pragma: no cover - an engine bug still ends the job, as upstream would
        logger.exception("emulator job failed")
        job["error"] = ("InternalError", f"{type(exc).__name__}")
    finally:
        job["done"] = True


def _fetch_reference(state: EmulatorState, m, body: dict, folder: Path):
    """Fetch a job's reference as the provider would: the URL, or the Base64 inside the request."""
    from ..errors import ReferenceUrlError
    from ..references import reference_from_file, reference_from_url

    value = body[m.reference.api_field]
    if value.startswith("data:"):
        try:
            data = base64.b64decode(value.split(",", 1)[1], validate=True)
        except (binascii.Error, ValueError, IndexError):
            raise ReferenceUrlError("reference_audio_url is not valid Base64 audio") from None
        path = folder / "reference.bin"
        path.write_bytes(data)
        try:
            return reference_from_file(path, model=m)
        except Exception as exc:
            raise ReferenceUrlError(f"the reference is not usable: {exc}") from None
    return reference_from_url(value, model=m, cache_dir=folder, allow_private=True)
