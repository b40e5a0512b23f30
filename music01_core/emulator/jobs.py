"""The asynchronous job interface of the emulator: ``POST /v2/generate/audio``, ``GET ?generation_id=``.

Submits are validated against the provider's contract (:mod:`.contract`) the way the
gateway does (400 "Body validation error!" with one message per problem); a job is
rendered by the offline engine in a thread, reports ``queued`` then ``generating`` for
the configured latency, then ``completed`` with an ``audio_file.url`` on the emulator's
own file server.  Each submit is logged in ``/_emulator/stats`` (``submits``).

The submit answers as the music-2.6 page's example does: ``{id, status: "queued", meta:
{usage: {credits_used, usd_spent}}}`` with the tracing and cost headers of :mod:`.logs`
(``x-inference-id`` is the generation id); every submit received with a key is one row of
``GET /v2/logs``.  Ids are ``<uuid4>:<model>`` (``id_style="uuid"``, the older pages) or
21-character nanoids (``id_style="nanoid"``, the music-2.6 page).  A completed poll carries
``meta`` unless ``poll_meta`` is off (the music pages' example polls have none), and only
``audio_file.url`` with ``sparse_audio_file`` (as the music-2.6 page's example).  A model whose page
shows otherwise answers as its contract's ``JobAnswer`` says (:mod:`.job_answers`): its id suffix,
``meta.usage`` fields, ``audio_file`` facts and format (Lyria 2 and Stable Audio: WAV, credits only).

Faults, queued per endpoint ("submit", "poll", "job") or sent in ``X-Music01-Fault``:

- submit: ``http:<status>``, ``reset``, ``hang`` (no job is created: a failed, unbilled
  row), and the faults that lose the answer *after* the job was created and billed (a
  succeeded row): ``lost:reset`` (the connection is reset instead of the answer),
  ``lost:hang`` (no answer for ``hang_s``), ``lost:504`` (a gateway 504 body);
- poll: ``http:<status>``, ``reset``, ``badjson``, ``slow`` (the answer dribbles in);
- job (applies to the next job submitted): ``job:error``, ``job:stuck`` (stays queued),
  ``job:expired`` (the file URL has expired), ``job:size`` (``file_size`` is wrong),
  ``job:notaudio`` (the file is not audio), ``job:unknown_status[;polls=N][;status=S]``
  (the first N polls, default 3, report status S, default ``waiting_for_gpu``, which is
  outside the documented enum; then the job goes on as usual).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import tempfile
import threading
import time
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..errors import Music01Error, ReferenceUrlError
from ..lyrics import TextFields
from ..references import reference_from_file, reference_from_url
from ..settings import JOB_PATH, AudioSetting
from .billing import short_of
from .common import EmulatorState, abort_connection, before, fault_answer, gateway, json_request, slow_json
from .contract import CREDITS, JOB_CONTRACTS, ModelContract, job_model_ids
from .files import add_file, expire_file
from .job_answers import job_audio_file, job_content_type, job_format, job_id, job_usage, render_options
from .logs import Call, client_request_id, looks_issued, open_call, usd
from .validation import body_problems, model_problem

logger = logging.getLogger(__name__)

__all__ = ["jobs_router", "validate_job"]


def validate_job(body) -> tuple[ModelContract | None, list[str]]:
    """The gateway's validation of a submit, against the provider's contract (:mod:`.contract`).

    Parameters
    ----------
    body : object
        The decoded JSON body.

    Returns
    -------
    (ModelContract or None, list of str)
        The model's contract (None when the body names no job model) and the gateway's
        messages (empty when the body is valid).
    """
    if not isinstance(body, dict):
        return None, ["body must be a JSON object"]
    model = body.get("model")
    contract = JOB_CONTRACTS.get(model) if isinstance(model, str) else None
    if contract is None:
        return None, [model_problem(job_model_ids())]
    return contract, body_problems(contract, body)


def jobs_router(state: EmulatorState) -> APIRouter:
    """The job interface's submit and poll over ``state``.

    Parameters
    ----------
    state : EmulatorState

    Returns
    -------
    APIRouter
    """
    router = APIRouter()

    @router.post(JOB_PATH)
    async def submit(request: Request):
        call = open_call(state, request)
        await call.note_model()
        try:
            resp = await _submit(state, request, call)
        finally:
            call.record(succeeded=False)  # no-op once the created job was logged
        return call.answer(resp)

    @router.get(JOB_PATH)
    async def poll(request: Request):
        resp = await _poll(state, request)
        if looks_issued(gid := request.query_params.get("generation_id") or ""):
            resp.headers["x-inference-id"] = gid  # an id that does not look issued gets none
        if (cid := client_request_id(request)) is not None:
            resp.headers["x-client-request-id"] = cid
        return resp

    return router


async def _submit(state: EmulatorState, request: Request, call: Call):
    submit_fault, body, resp = await json_request(state, request, "submit", JOB_PATH)
    if resp is not None:
        return resp
    contract, problems = validate_job(body)
    if problems:
        return gateway(400, JOB_PATH, problems)
    if (answer := fault_answer(submit_fault, JOB_PATH)) is not None:
        return answer
    if (short := short_of(state, request, usd(CREDITS[contract.id]), JOB_PATH)) is not None:
        return short  # refuse_when_short: the provider's 403, no job, nothing billed
    # A fault sent in the header is the submit's own; only queued ones reach the job.
    fault = state.take_fault("job", request) if not request.headers.get("x-music01-fault") else None
    job = _new_job(state, contract, body, fault, str(request.base_url).rstrip("/"))
    call.inference_id, call.credits = job["id"], CREDITS[contract.id]
    with state.lock:
        state.jobs[job["id"]] = job
        state.stats["submits"].append(_submit_record(job))
    call.record(succeeded=True)  # created and billed: logged now, whatever becomes of the answer
    threading.Thread(target=_work, args=(state, job), name="music01-emulator-job", daemon=True).start()
    return await _submit_answer(state, request, call, submit_fault, contract)


async def _submit_answer(state: EmulatorState, request: Request, call: Call, fault: str | None, contract=None):
    """The answer of a submit that created its job, or its loss (``lost:reset``, ``lost:hang``, ``lost:504``)."""
    if fault == "lost:reset":
        return await abort_connection(request, JOB_PATH)
    if fault == "lost:504":
        return gateway(504, JOB_PATH)
    if fault == "lost:hang":
        await asyncio.sleep(state.hang_s)  # past the client's read timeout: nobody reads what follows
    usage = job_usage(contract, call.credits)  # the fields the model's response schema lists
    answer = JSONResponse({"id": call.inference_id, "status": "queued", "meta": {"usage": usage}}, status_code=201)
    return call.answer(answer, cost=True)


def _new_job(state: EmulatorState, contract: ModelContract, body: dict, fault: str | None, base_url: str) -> dict:
    odd_polls, odd_status = _odd_status_spec(fault)
    return {
        "id": job_id(state, contract),
        "contract": contract,
        "body": body,
        "created": time.monotonic(),
        "fault": fault,
        "odd_polls": odd_polls,
        "odd_status": odd_status,
        "done": False,
        "result": None,
        "error": None,
        "url": None,
        "base_url": base_url,
    }


def _odd_status_spec(fault: str | None) -> tuple[int, str | None]:
    """The ``job:unknown_status[;polls=N][;status=S]`` fault: (polls, status), or (0, None)."""
    if not fault or fault.split(";")[0] != "job:unknown_status":
        return 0, None
    kv = dict(p.split("=", 1) for p in fault.split(";")[1:] if "=" in p)
    return int(kv.get("polls", 3)), kv.get("status", "waiting_for_gpu")


def _submit_record(job: dict) -> dict:
    """The stats entry of a submit: how the reference came (a link or the audio itself), never its value."""
    contract = job["contract"]
    ref = job["body"].get(contract.reference.name) if contract.reference is not None else None
    how = None if not isinstance(ref, str) else "base64" if ref.startswith("data:") else "url"
    return {"id": job["id"], "model": contract.id, "reference": how, "time": time.time()}


async def _poll(state: EmulatorState, request: Request):
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


def _status(state: EmulatorState, job: dict) -> dict:
    """The poll answer for ``job`` now: queued, generating, error or completed."""
    elapsed = time.monotonic() - job["created"]
    queue_s = state.queue_s if state.queue_s else state.latency_s / 3
    out = {"id": job["id"]}
    with state.lock:
        odd = job["odd_polls"] > 0
        job["odd_polls"] -= odd
    if odd:
        return {**out, "status": job["odd_status"]}
    if job["fault"] == "job:stuck" or elapsed < queue_s:
        return {**out, "status": "queued"}
    if not job["done"] or elapsed < state.latency_s:
        return {**out, "status": "generating"}
    if job["error"] is not None or job["fault"] == "job:error":
        name, message = job["error"] or ("GenerationError", "the upstream model failed to generate the audio")
        return {**out, "status": "error", "error": {"name": name, "message": message}}
    return {**out, "status": "completed", **_completed(state, job)}


def _completed(state: EmulatorState, job: dict) -> dict:
    """The ``audio_file`` and ``meta`` of a finished job; its file URL is made on the first poll."""
    result = job["result"]
    data, ctype, ext = result.audio, job_content_type(job["contract"], result.format), result.format
    if job["fault"] == "job:notaudio":
        data = b"<html>definitely not audio</html>" * 32
    size = len(data) + (1000 if job["fault"] == "job:size" else 0)
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
    out = {"audio_file": job_audio_file(state, job["contract"], job["url"], ext, size)}
    if state.poll_meta:
        out["meta"] = {"usage": job_usage(job["contract"], CREDITS[job["contract"].id])}
    return out


def _work(state: EmulatorState, job: dict) -> None:
    """Render the job with the offline engine (as the provider would, in the background)."""
    contract, body = job["contract"], job["body"]
    try:
        with tempfile.TemporaryDirectory(prefix="music01-emu-job-") as d:
            ref = _fetch_reference(contract, body, Path(d)) if contract.reference is not None else None
            job["result"] = state.backend.render_job(
                contract.id,
                _text_fields(contract, body),
                ref,
                _job_setting(contract, body),
                is_instrumental=bool(body.get("is_instrumental")),
                lyrics_optimizer=bool(body.get("lyrics_optimizer")),
                **render_options(contract, body),  # its length and seed, when the model takes them
            )
    except Music01Error as exc:
        job["error"] = ("InvalidReference" if "reference" in str(exc).lower() else "GenerationError", str(exc))
    except Exception as exc:  # pragma: no cover - an engine bug still ends the job, as upstream would
        logger.exception("emulator job failed")
        job["error"] = ("InternalError", f"{type(exc).__name__}")
    finally:
        job["done"] = True


def _text_fields(contract: ModelContract, body: dict) -> TextFields:
    """The lyrics and style prompt to render, from the fields that hold them (minimax-music sings "prompt")."""
    lyrics, prompt = contract.string("lyrics"), contract.string("prompt")
    return TextFields(
        lyrics=body.get(lyrics.name) if lyrics is not None else None,
        prompt=body.get(prompt.name) if prompt is not None else None,
    )


def _job_setting(contract: ModelContract, body: dict) -> AudioSetting:
    """The output settings to render with; what the body leaves out takes the schemas' defaults."""
    s = body.get("audio_setting") or {}
    rate_field = contract.audio_setting.sample_rate_field if contract.audio_setting is not None else None
    return AudioSetting(
        sample_rate=int(s.get(rate_field, 44100)) if rate_field else 44100,
        bitrate=int(s.get("bitrate", 256000)),
        format=s.get("format", job_format(contract)),
    )


def _fetch_reference(contract: ModelContract, body: dict, folder: Path):
    """Fetch a job's reference as the provider would: the URL, or the Base64 inside the request.

    Any other URI scheme passes validation (``format: uri``) and fails here, as a link the
    provider cannot fetch would.
    """
    name = contract.reference.name
    value = body.get(name)
    if not value:  # optional and left out: nothing to fetch
        return None
    if value.startswith("data:"):
        head, _, payload = value.partition(",")
        try:
            if not head.endswith(";base64"):
                raise ValueError("not Base64")
            data = base64.b64decode(payload, validate=True)
        except (binascii.Error, ValueError):
            raise ReferenceUrlError(f"{name} is not valid Base64 audio") from None
        path = folder / "reference.bin"
        path.write_bytes(data)
        try:
            return reference_from_file(path, model=contract.id)
        except Exception as exc:
            raise ReferenceUrlError(f"the reference is not usable: {exc}") from None
    return reference_from_url(value, model=contract.id, cache_dir=folder, allow_private=True)
