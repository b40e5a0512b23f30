"""music-01's two calls over the AI/ML API (legacy: retired by the provider in August 2026).

Upload is free and idempotent, so it is retried (connection errors, 429, 5xx and the
upstream's transient codes) with jittered exponential backoff that honours
``Retry-After``.  Generate is billed, so it is sent **once**: only a connection that never
opened, or an explicit HTTP 429 rejection, is tried again; anything after the request may
have reached the service ends with an error that says it may be billed and carries the ids.
A rejection that means "retired" is reported as such, with the model to choose instead.
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path

import requests

from .. import ffmpeg
from ..audio import Clip, inspect_clip, prepare_clip
from ..errors import (
    BASE_RESP_ERRORS,
    MAX_RETRIES_BY_CODE,
    ApiConnectionError,
    ApiError,
    AudioInputError,
    BadAudioError,
    IncompleteResultError,
    InputError,
    ModelRetiredError,
    ProtocolError,
)
from ..models import LEGACY_MODEL, get_model
from ..secret import redact_url
from ..settings import GENERATE_PATH, MODEL, UPLOAD_PATH, AudioSetting
from ..transport import auth_headers, error_from_response, jittered_backoff_s, json_or_none, read_capped, send_billed
from ..types import GenerationResult, Job, JobStatus, UploadResult
from .music01 import PURPOSE_IDS, Music01Calls

logger = logging.getLogger(__name__)

__all__ = ["AimlApiMusic01", "MAX_AUDIO_DOWNLOAD_BYTES"]

MAX_AUDIO_DOWNLOAD_BYTES = 64 * 1024 * 1024
_HEX = re.compile(r"[0-9a-fA-F]+")  # used with fullmatch: "$" would also match before a final newline
_RETIRED_WORDS = ("model", "music-01", "deprecated", "no longer", "not supported", "path", "cannot post", "endpoint")


class AimlApiMusic01(Music01Calls):
    """The adapter for music-01 on the AI/ML API (registry name ``aimlapi/music01``).

    Parameters
    ----------
    connection : Client
        Gives the key, base URL, session, timeouts, retry policy and the reference library.
    """

    name = "api"
    label = "AI/ML API"

    def __init__(self, connection) -> None:
        super().__init__(connection)
        self._key = connection._key
        self.session = connection.session
        self.timeout = connection.timeout
        self._sleep = connection._sleep
        self.backoff_s, self.max_backoff_s = connection.backoff_s, connection.max_backoff_s
        self.max_upload_attempts = connection.max_upload_attempts
        self._redact = connection._redact
        self.local_service = connection.local_service
        self.publisher = connection.publisher

    def _headers(self) -> dict:
        return auth_headers(self._key)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return jittered_backoff_s(attempt, retry_after, base_s=self.backoff_s, max_s=self.max_backoff_s)

    # --- the provider interface, with retirement reported as such ------------------------------
    def submit(self, job: Job) -> JobStatus:
        """Upload (unless ids are given) and generate once; a "retired" rejection says what to choose."""
        return self._music01(super().submit, job)

    def upload(self, clip, purpose, *, name=None, use_library=True, send_wav: bool = False) -> UploadResult:
        """Upload a clip for music-01; WAV clips are sent as MP3 (a fraction of the bytes) unless ``send_wav``.

        See :meth:`Music01Calls.upload` for the other parameters.
        """
        return self._music01(self._upload, clip, purpose, name=name, use_library=use_library, send_wav=send_wav)

    def _music01(self, call, *args, **kwargs):
        """Run one of music-01's calls; a rejection that means "retired" is reported as such."""
        try:
            return call(*args, **kwargs)
        except ApiError as exc:
            err = self._retired(exc)
            if err is exc:
                raise
            raise err from exc

    def _send_upload(self, clip: Clip, purpose: str) -> UploadResult:
        """POST the clip as multipart (MP3 unless it is WAV by choice), retrying what is safe to retry."""
        data = Path(clip.path).read_bytes()
        mime = "audio/mpeg" if clip.format == "mp3" else "audio/wav"
        # The part's file name is generic: people's file names stay on their machine.
        files = {"file": (f"reference.{clip.format}", data, mime)}
        last: ApiError | None = None
        retries_by_code: dict[int, int] = {}
        attempts = 0
        for attempt in range(self.max_upload_attempts):
            if attempt:
                delay = self._backoff(attempt - 1, last.retry_after_s if last else None)
                if last is not None and last.code is not None:
                    retries_by_code[last.code] = retries_by_code.get(last.code, 0) + 1
                logger.info("upload attempt %d failed (%s); retrying in %.1f s", attempt, type(last).__name__, delay)
                self._sleep(delay)
            attempts += 1
            result, last = self._upload_once(files, clip, purpose)
            if result is not None:
                return result
            if last.code is not None and retries_by_code.get(last.code, 0) >= MAX_RETRIES_BY_CODE.get(
                last.code, 1 << 30
            ):
                break  # the contract allows no more retries for this code
        assert last is not None
        raise _gave_up(last, attempts) from None

    def _upload_once(self, files: dict, clip: Clip, purpose: str) -> tuple[UploadResult | None, ApiError | None]:
        """One upload attempt: (the result, None), or (None, a retryable error); others are raised."""
        try:
            resp = self.session.post(
                self.base_url + UPLOAD_PATH,
                files=files,
                data={"purpose": purpose},
                headers=self._headers(),
                timeout=self.timeout,
            )
        except requests.exceptions.RequestException as exc:
            err = ApiConnectionError(
                f"could not reach the service at {redact_url(self.base_url)} ({type(exc).__name__}): check the network "
                "and AIML_API_BASE.",
                retryable=True,
            )
            err.__cause__ = None
            return None, err
        body = json_or_none(resp)
        err = error_from_response(resp.status_code, body, resp.headers, operation="upload", redact=self._redact)
        if err is not None:
            if not err.retryable:
                raise err
            return None, err
        missing = [f for f in PURPOSE_IDS[purpose] if not body.get(f)]
        if missing:
            raise ProtocolError(
                f"the upload answer has no {', '.join(missing)}: try again later.",
                http_status=resp.status_code,
                trace_id=body.get("trace_id"),
            )
        return UploadResult(
            voice_id=body.get("voice_id") if "voice_id" in PURPOSE_IDS[purpose] else None,
            instrumental_id=body.get("instrumental_id") if "instrumental_id" in PURPOSE_IDS[purpose] else None,
            trace_id=str(body.get("trace_id") or ""),
            backend=self.name,
            purpose=purpose,
            sha256=clip.sha256,
        ), None

    def _upload(self, clip, purpose, *, name=None, use_library=True, send_wav: bool = False) -> UploadResult:
        path = Path(clip.path if isinstance(clip, Clip) else clip)
        if send_wav or path.suffix.lower() != ".wav":
            return Music01Calls.upload(self, clip, purpose, name=name, use_library=use_library)

        info = inspect_clip(path, model=LEGACY_MODEL)  # fail on a bad file before converting anything
        if info.format != "wav":
            return Music01Calls.upload(self, clip, purpose, name=name, use_library=use_library)
        with tempfile.TemporaryDirectory(prefix="music01-up-") as d:
            try:
                mp3 = prepare_clip(path, Path(d) / f"{path.stem}.mp3", format="mp3", model=LEGACY_MODEL)
            except InputError:
                # Too close to a limit to re-encode with margin: send the WAV as it is.
                return Music01Calls.upload(self, clip, purpose, name=name, use_library=use_library)
            return Music01Calls.upload(self, mp3.path, purpose, name=name or path.stem, use_library=use_library)

    # --- music-01's retirement -------------------------------------------------------------
    def _retired(self, exc: ApiError) -> ApiError:
        """A 4xx that names the model or the path means music-01 is gone: say so, and what replaces it."""

        if exc.code in BASE_RESP_ERRORS:
            return exc  # an upstream code answered: music-01 itself is there, and said something specific
        text = str(exc).lower()
        names = any(w in text for w in _RETIRED_WORDS)
        if exc.http_status in (404, 410) or (exc.http_status in (400, 403, 422) and names and "credits" not in text):
            m = get_model(LEGACY_MODEL)
            return ModelRetiredError(
                f"the provider retired {m.id} on {m.retired_on} and no longer serves it (it answered HTTP "
                f"{exc.http_status}). Choose {m.replacement} instead: `--model {m.replacement}` in the CLI, or "
                "the model menu in the app — it takes a reference track and the same lyrics."
                + (
                    " (If AIML_API_BASE points at your own server, check that address too.)"
                    if exc.http_status == 404
                    else ""
                ),
                http_status=exc.http_status,
                code=exc.code,
                trace_id=exc.trace_id,
                request_id=exc.request_id,
            )
        return exc

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
        """POST the JSON request once, traced with ``X-Client-Request-Id`` (see the module docstring for retries)."""
        payload = {"model": MODEL, "lyrics": lyrics, "audio_setting": setting.to_dict()}
        if voice_id:
            payload["refer_voice"] = voice_id
        if instrumental_id:
            payload["refer_instrumental"] = instrumental_id
        resp = send_billed(
            self.session,
            self.base_url + GENERATE_PATH,
            payload,
            headers=auth_headers(self._key, client_request_id=client_request_id),
            timeout=self.timeout,
            sleep=self._sleep,
            backoff=self._backoff,
            base_url=self.base_url,
            what="generate",
        )
        body = json_or_none(resp)
        err = error_from_response(
            resp.status_code,
            body,
            resp.headers,
            operation="generate",
            redact=self._redact,
            has_ids=bool(voice_id or instrumental_id),
        )
        if err is not None:
            raise err
        return self._result(body, resp.headers, lyrics, voice_id, instrumental_id, setting)

    def _result(self, body: dict, headers, lyrics, voice_id, instrumental_id, setting) -> GenerationResult:
        trace_id = str(body.get("trace_id") or "")
        inference_id = headers.get("x-inference-id")
        ids = dict(trace_id=trace_id, inference_id=inference_id)
        data = _finished_data(body, ids)
        audio = self._audio_of(data, ids)
        extra = body.get("extra_info") if isinstance(body.get("extra_info"), dict) else {}
        size = extra.get("audio_size")
        if isinstance(size, int) and size != len(audio):
            raise BadAudioError(
                f"the audio is {len(audio)} bytes but extra_info.audio_size says {size}: it was damaged on the way.",
                may_be_billed=True,
                **ids,
            )
        channels = int(extra.get("music_channel") or 2) if str(extra.get("music_channel") or "2").isdigit() else 2
        duration_s = _check_audio(audio, setting, channels, ids)
        return GenerationResult(
            audio=audio,
            format=setting.format,
            sample_rate=setting.sample_rate,
            bitrate=setting.bitrate,
            channels=channels,
            duration_s=round(duration_s, 3),
            voice_id=voice_id,
            instrumental_id=instrumental_id,
            backend=self.name,
            trace_id=trace_id,
            seed=None,
            lyrics=lyrics,
            inference_id=inference_id,
            credits_used=headers.get("x-aimlapi-credits-used"),
            usd_spent=headers.get("x-aimlapi-usd-spent"),
        )

    def _audio_of(self, data: dict, ids: dict) -> bytes:
        """The audio bytes of a finished answer: hex in the body, or a URL to fetch."""
        audio_field = data.get("audio")
        if not isinstance(audio_field, str) or not audio_field.strip():
            raise BadAudioError("the answer holds no audio.", may_be_billed=True, **ids)
        audio_field = audio_field.strip()  # a trailing newline is transport, not audio
        if re.match(r"^https?://", audio_field):
            return self._download(audio_field, ids)
        if len(audio_field) % 2 or not _HEX.fullmatch(audio_field):
            raise BadAudioError(
                "the audio in the answer is not valid hex" + (" (odd length)" if len(audio_field) % 2 else "") + ".",
                may_be_billed=True,
                **ids,
            )
        return bytes.fromhex(audio_field)

    def _download(self, url: str, ids: dict) -> bytes:
        """Fetch audio given as a URL (free to repeat), capped in size."""
        for attempt in range(3):
            try:
                with self.session.get(url, timeout=self.timeout, stream=True) as r:
                    if r.status_code != 200:
                        raise BadAudioError(f"the audio URL answered HTTP {r.status_code}.", may_be_billed=True, **ids)
                    return read_capped(
                        r,
                        max_bytes=MAX_AUDIO_DOWNLOAD_BYTES,
                        too_big=lambda _n: BadAudioError(
                            f"the audio at the URL is larger than {MAX_AUDIO_DOWNLOAD_BYTES / 2**20:.0f} MiB; "
                            "refusing it.",
                            may_be_billed=True,
                            **ids,
                        ),
                    )
            except requests.exceptions.RequestException:
                if attempt == 2:
                    raise BadAudioError("the audio URL could not be downloaded.", may_be_billed=True, **ids) from None
                self._sleep(self._backoff(attempt, None))
        raise AssertionError("unreachable")


def _check_audio(audio: bytes, setting: AudioSetting, channels: int, ids: dict) -> float:
    """Check the bytes decode as the requested format; return their duration in seconds."""
    if setting.format == "pcm":
        if len(audio) % (2 * channels):
            raise BadAudioError(
                f"the raw PCM is {len(audio)} bytes, not whole 16-bit {channels}-channel frames.",
                may_be_billed=True,
                **ids,
            )
        return len(audio) / (2 * channels * setting.sample_rate)

    with tempfile.TemporaryDirectory(prefix="music01-check-") as d:
        path = Path(d) / "audio.bin"
        path.write_bytes(audio)
        try:
            m = ffmpeg.measure(path)  # one decode: the container and the exact length
        except AudioInputError as exc:
            raise BadAudioError(
                f"the audio does not decode as {setting.format}: {exc}", may_be_billed=True, **ids
            ) from None
    if m.container != setting.format:
        raise BadAudioError(f"asked for {setting.format} but the audio is {m.container}.", may_be_billed=True, **ids)
    return m.duration_s


def _finished_data(body: dict, ids: dict) -> dict:
    """The answer's ``data`` when it says "finished" (status 2); anything else is an error that may be billed."""
    data = body.get("data")
    if not isinstance(data, dict):
        raise ProtocolError("the answer has no data: it may still have been billed.", may_be_billed=True, **ids)
    status = data.get("status")
    if status == 1:
        raise IncompleteResultError(
            "music-01 answered 'in progress' (status 1) without finished audio; there is "
            "no way to fetch it later — try again.",
            may_be_billed=True,
            **ids,
        )
    if status != 2:
        # The contract says 2 is "finished"; anything else is not a result to trust as one.
        raise ProtocolError(
            f"music-01 answered data.status {status!r}, not 2 (finished): the answer cannot be "
            "used as a finished piece.",
            may_be_billed=True,
            **ids,
        )
    return data


def _gave_up(last: ApiError, attempts: int) -> ApiError:
    """The last upload error, saying how many attempts were made; the ids support asks for travel with it."""
    gave_up = type(last)(
        f"{last} Gave up after {attempts} attempts.",
        http_status=last.http_status,
        code=last.code,
        retry_after_s=last.retry_after_s,
        retryable=last.retryable,
    )
    gave_up.trace_id, gave_up.inference_id, gave_up.request_id = last.trace_id, last.inference_id, last.request_id
    return gave_up
