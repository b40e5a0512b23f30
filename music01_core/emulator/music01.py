"""The legacy music-01 endpoints of the emulator: multipart upload and JSON generate.

It answers exactly as the contract says (multipart upload, JSON generate, hex audio,
``base_resp``), is strict about request shapes (the gateway's 400 bodies, 401 without
the key, 2013 for unknown ids), renders audio with the offline engine, and can inject
every fault the client must survive.  With ``retire_music01`` it answers as the provider
does since August 2026: the model is gone.  A generate is billed (:mod:`.logs`): every
answer carries ``x-inference-id`` and the echo of a valid ``X-Client-Request-Id``, a
successful one the cost headers too, and each generate received with a key is one row of
``GET /v2/logs`` (failed ones with zero cost).
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..audio import inspect_clip
from ..backends.base import check_purpose
from ..errors import InputError, Music01Error, UnknownIdError
from ..settings import GENERATE_PATH, UPLOAD_PATH, AudioSetting
from .billing import short_of
from .common import EmulatorState, base_resp, before, fault_answer, gateway, json_request, slow_json
from .contract import CREDITS, MUSIC01, UPLOAD_PURPOSES, job_model_ids
from .files import add_file
from .logs import Call, open_call, usd
from .validation import body_problems, model_problem

logger = logging.getLogger(__name__)

__all__ = ["music01_router", "generate_problems"]

# The MIME types the emulator takes for the contract's "WAV or MP3" upload.
_AUDIO_MIME = ("audio/mpeg", "audio/mp3", "audio/wav", "audio/x-wav", "audio/wave")


def music01_router(state: EmulatorState) -> APIRouter:
    """The two music-01 endpoints over ``state``'s offline backend.

    Parameters
    ----------
    state : EmulatorState

    Returns
    -------
    APIRouter
    """
    router = APIRouter()

    @router.post(UPLOAD_PATH)
    async def upload(request: Request):
        return await _upload(state, request)

    @router.post(GENERATE_PATH)
    async def generate(request: Request):
        call = open_call(state, request)
        await call.note_model()
        try:
            resp = await _generate(state, request, call)
        finally:
            call.record(succeeded=False)  # no-op once the billed answer was logged
        return call.answer(resp)

    return router


# --- upload ----------------------------------------------------------------------------------------


async def _upload(state: EmulatorState, request: Request):
    fault, resp = await before(state, request, "upload", UPLOAD_PATH)
    if resp is not None:
        return resp
    if state.retire_music01:
        return gateway(404, UPLOAD_PATH, f"Cannot POST {UPLOAD_PATH}")
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        return gateway(400, UPLOAD_PATH, ["file must be sent as multipart/form-data", "purpose should not be empty"])
    form = await request.form()
    upload_file, purpose = form.get("file"), form.get("purpose")
    problems = _upload_problems(upload_file, purpose)
    if problems:
        return gateway(400, UPLOAD_PATH, problems)
    suffix = Path(upload_file.filename or "").suffix.lower()
    if suffix not in (".mp3", ".wav") or upload_file.content_type not in _AUDIO_MIME:
        return base_resp(2013, "invalid params: file must be an mp3 or wav file with its audio MIME type")
    return await _register_upload(state, await upload_file.read(), suffix, purpose)


def _upload_problems(upload_file, purpose) -> list[str]:
    """The gateway's messages for an upload form (the contract's UploadRequest)."""
    problems = []
    if upload_file is None or isinstance(upload_file, str):
        problems.append("file should not be empty")
    if purpose not in UPLOAD_PURPOSES:
        problems.append("purpose must be one of the following values: " + ", ".join(UPLOAD_PURPOSES))
    return problems


async def _register_upload(state: EmulatorState, data: bytes, suffix: str, purpose: str):
    """Hand an uploaded file to the offline engine; answer with its ids."""
    with tempfile.TemporaryDirectory(prefix="music01-emu-") as d:
        path = Path(d) / f"upload{suffix}"
        path.write_bytes(data)
        try:
            res = await run_in_threadpool(state.backend._send_upload, *await run_in_threadpool(_inspect, path, purpose))
        except InputError as exc:
            # An unusable file reads as 2013 (invalid params) or 1000 upstream.
            return base_resp(2013, f"invalid params: {exc}")
    out = {"trace_id": res.trace_id, "base_resp": {"status_code": 0, "status_msg": "success"}}
    if res.voice_id:
        out["voice_id"] = res.voice_id
    if res.instrumental_id:
        out["instrumental_id"] = res.instrumental_id
    return JSONResponse(out)


def _inspect(path: Path, purpose: str):
    check_purpose(purpose)
    return inspect_clip(path, model=MUSIC01.id), purpose  # the endpoint it imitates


# --- generate --------------------------------------------------------------------------------------


def generate_problems(body) -> list[str]:
    """The gateway's body validation for generate, against music-01's contract (:data:`.contract.MUSIC01`).

    Parameters
    ----------
    body : object
        The decoded JSON body.

    Returns
    -------
    list of str
        The gateway's messages; empty when the body is valid.
    """
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = [] if body.get("model") == MUSIC01.id else [model_problem([MUSIC01.id])]
    return problems + body_problems(MUSIC01, body)


async def _generate(state: EmulatorState, request: Request, call: Call):
    fault, body, resp = await json_request(state, request, "generate", GENERATE_PATH)
    if resp is not None:
        return resp
    if state.retire_music01:
        # Since August 2026 the provider names only its live models.
        return gateway(400, GENERATE_PATH, [model_problem(job_model_ids())])
    problems = generate_problems(body)
    if problems:
        return gateway(400, GENERATE_PATH, problems)
    if (answer := fault_answer(fault, GENERATE_PATH)) is not None:
        return answer
    if (short := short_of(state, request, usd(CREDITS[MUSIC01.id]), GENERATE_PATH)) is not None:
        return short  # refuse_when_short: the provider's 403, nothing billed
    # audio_setting is optional in the schema, whose defaults are not documented: the engine's own then.
    setting = AudioSetting(**body.get("audio_setting", {}))
    started = time.monotonic()
    result, answer = await _render_generate(state, body, setting)
    if answer is not None:
        return answer
    wait = state.latency_s - (time.monotonic() - started)
    if wait > 0:
        await asyncio.sleep(wait)
    payload = _generate_payload(state, request, fault, result, setting)
    call.credits = CREDITS[MUSIC01.id]
    call.record(succeeded=True)
    headers = call.headers(cost=True)  # a non-streaming JSON answer: the cost headers too
    if fault == "slow":
        return slow_json(payload, headers=headers)
    return JSONResponse(payload, headers=headers)


async def _render_generate(state: EmulatorState, body: dict, setting: AudioSetting):
    """Render with the offline engine: (result, None), or (None, the upstream's error answer)."""
    voice, instrumental = body.get("refer_voice"), body.get("refer_instrumental")
    try:
        result = await run_in_threadpool(
            state.backend._send_generate, body["lyrics"], voice, instrumental, setting, None
        )
    except UnknownIdError:
        which = "refer_voice" if voice and "vocal" in str(voice) else "refer_instrumental"
        return None, base_resp(2013, f"invalid params, {which} not found")
    except InputError as exc:
        return None, base_resp(2013, f"invalid params: {exc}")
    except Music01Error as exc:  # pragma: no cover - engine failure
        logger.exception("emulator render failed")
        return None, base_resp(1000, f"unknown error: {exc}")
    return result, None


def _generate_payload(state: EmulatorState, request: Request, fault: str | None, result, setting) -> dict:
    """The generate answer, with the fault that bends it (``oddhex``, ``size``, ``notaudio``, ``url``, ``status1``)."""
    audio_hex = result.audio.hex()
    size = len(result.audio)
    if fault == "oddhex":
        audio_hex = audio_hex[:-1]
    elif fault == "size":
        size += 1000
    elif fault == "notaudio":
        audio_hex = (b"definitely not audio " * 64).hex()
        size = len(audio_hex) // 2
    elif fault == "url":
        audio_hex = add_file(state, request, result.audio, "audio/mpeg", "music.bin", once=True)
    status = 1 if fault == "status1" else 2
    return {
        "data": {"status": status, "audio": "" if status == 1 else audio_hex},
        "extra_info": {
            "audio_length": int(result.duration_s * 1000),
            "audio_size": size,
            "audio_bitrate": setting.bitrate,
            "audio_sample_rate": setting.sample_rate,
            "music_duration": int(result.duration_s * 1000),
            "music_sample_rate": setting.sample_rate,
            "music_channel": 2,
            "bitrate": setting.bitrate,
            "music_size": size,
        },
        "analysis_info": None,
        "trace_id": result.trace_id,
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }
