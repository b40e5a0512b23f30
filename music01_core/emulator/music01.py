"""The legacy music-01 endpoints of the emulator: multipart upload and JSON generate.

It answers exactly as the contract says (multipart upload, JSON generate, hex audio,
``base_resp``), is strict about request shapes (the gateway's 400 bodies, 401 without
the key, 2013 for unknown ids), renders audio with the offline engine, and can inject
every fault the client must survive.  With ``retire_music01`` it answers as the provider
does since August 2026: the model is gone.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import uuid
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..errors import InputError, Music01Error, UnknownIdError
from ..settings import GENERATE_PATH, MAX_LYRICS_CHARS, MODEL, UPLOAD_PATH
from .common import (
    EmulatorState,
    audio_setting_problems,
    base_resp,
    before,
    fault_answer,
    gateway,
    json_request,
    slow_json,
)

logger = logging.getLogger(__name__)

__all__ = ["music01_router"]


def music01_router(state: EmulatorState) -> APIRouter:
    """The two music-01 endpoints over ``state``'s offline backend."""
    from starlette.concurrency import run_in_threadpool

    from ..models import model_ids
    from ..settings import AudioSetting

    router = APIRouter()
    backend = state.backend

    @router.post(UPLOAD_PATH)
    async def upload(request: Request):
        fault, resp = await before(state, request, "upload", UPLOAD_PATH)
        if resp is not None:
            return resp
        if state.retire_music01:
            return gateway(404, UPLOAD_PATH, f"Cannot POST {UPLOAD_PATH}")
        ctype = request.headers.get("content-type", "")
        if not ctype.startswith("multipart/form-data"):
            return gateway(
                400, UPLOAD_PATH, ["file must be sent as multipart/form-data", "purpose should not be empty"]
            )
        form = await request.form()
        problems = []
        upload_file = form.get("file")
        purpose = form.get("purpose")
        if upload_file is None or isinstance(upload_file, str):
            problems.append("file should not be empty")
        if purpose not in ("song", "voice", "instrumental"):
            problems.append("purpose must be one of the following values: song, voice, instrumental")
        if problems:
            return gateway(400, UPLOAD_PATH, problems)
        data = await upload_file.read()
        suffix = Path(upload_file.filename or "").suffix.lower()
        if suffix not in (".mp3", ".wav") or upload_file.content_type not in (
            "audio/mpeg",
            "audio/mp3",
            "audio/wav",
            "audio/x-wav",
            "audio/wave",
        ):
            return base_resp(2013, "invalid params: file must be an mp3 or wav file with its audio MIME type")
        with tempfile.TemporaryDirectory(prefix="music01-emu-") as d:
            path = Path(d) / f"upload{suffix}"
            path.write_bytes(data)
            try:
                res = await run_in_threadpool(backend._send_upload, *await run_in_threadpool(_inspect, path, purpose))
            except InputError as exc:
                # An unusable file reads as 2013 (invalid params) or 1000 upstream.
                return base_resp(2013, f"invalid params: {exc}")
        out = {"trace_id": res.trace_id, "base_resp": {"status_code": 0, "status_msg": "success"}}
        if res.voice_id:
            out["voice_id"] = res.voice_id
        if res.instrumental_id:
            out["instrumental_id"] = res.instrumental_id
        return JSONResponse(out)

    @router.post(GENERATE_PATH)
    async def generate(request: Request):
        fault, body, resp = await json_request(state, request, "generate", GENERATE_PATH)
        if resp is not None:
            return resp
        if state.retire_music01:
            return gateway(
                400,
                GENERATE_PATH,
                ["model must be one of the following values: " + ", ".join(model_ids(live_only=True))],
            )
        problems = _validate_generate(body)
        if problems:
            return gateway(400, GENERATE_PATH, problems)
        if (answer := fault_answer(fault, GENERATE_PATH)) is not None:
            return answer
        setting = AudioSetting(**body["audio_setting"])
        started = time.monotonic()
        try:
            result = await run_in_threadpool(
                backend._send_generate,
                body["lyrics"],
                body.get("refer_voice"),
                body.get("refer_instrumental"),
                setting,
                None,
            )
        except UnknownIdError:
            which = (
                "refer_voice"
                if body.get("refer_voice") and "vocal" in str(body.get("refer_voice"))
                else "refer_instrumental"
            )
            return base_resp(2013, f"invalid params, {which} not found")
        except InputError as exc:
            return base_resp(2013, f"invalid params: {exc}")
        except Music01Error as exc:  # pragma: no cover - engine failure
            logger.exception("emulator render failed")
            return base_resp(1000, f"unknown error: {exc}")
        wait = state.latency_s - (time.monotonic() - started)
        if wait > 0:
            await asyncio.sleep(wait)
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
            from .files import add_file

            audio_hex = add_file(state, request, result.audio, "audio/mpeg", "music.bin", once=True)
        status = 1 if fault == "status1" else 2
        payload = {
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
        headers = {
            "x-inference-id": str(uuid.uuid4()),
            "x-aimlapi-credits-used": "630",
            "x-aimlapi-usd-spent": "0.0315",
        }
        if fault == "slow":
            return slow_json(payload, headers=headers)
        return JSONResponse(payload, headers=headers)

    return router


def _inspect(path: Path, purpose: str):
    from ..audio import inspect_clip
    from ..backends.base import check_purpose

    check_purpose(purpose)
    return inspect_clip(path, model="music-01"), purpose  # the endpoint it imitates


def _validate_generate(body) -> list[str]:
    """The gateway's body validation for generate, as messages (empty when valid)."""
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = []
    allowed = {"model", "lyrics", "refer_voice", "refer_instrumental", "audio_setting"}
    for k in body:
        if k not in allowed:
            problems.append(f"property {k} should not exist")
    if body.get("model") != MODEL:
        problems.append(f"model must be one of the following values: {MODEL}")
    lyrics = body.get("lyrics")
    if not isinstance(lyrics, str) or not lyrics:
        problems.append("lyrics must be a string")
    elif len(lyrics) > MAX_LYRICS_CHARS:
        problems.append(f"lyrics must be shorter than or equal to {MAX_LYRICS_CHARS} characters")
    for k in ("refer_voice", "refer_instrumental"):
        if k in body and not isinstance(body[k], str):
            problems.append(f"{k} must be a string")
    if not body.get("refer_voice") and not body.get("refer_instrumental"):
        problems.append("refer_voice or refer_instrumental should not be empty")
    # One spec version requires only format, another all three: the emulator holds the client to all
    # three (and to sending audio_setting at all), since the server's defaults are not documented.
    problems += audio_setting_problems(body.get("audio_setting"), format_required=True, all_required=True)
    return problems
