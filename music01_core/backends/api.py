"""music-01 over the AI/ML API, with ``requests``.

Upload is free and idempotent, so it is retried (connection errors, 429, 5xx and the
upstream's transient codes) with jittered exponential backoff that honours
``Retry-After``.  Generate is billed, so it is sent **once**: only a connection that never
opened, or an explicit HTTP 429 rejection, is tried again; anything after the request may
have reached the service ends with an error that says it may be billed and carries the ids.
"""

from __future__ import annotations

import logging
import os
import re
import time
from pathlib import Path

from ..audio import Clip
from ..errors import (
    BASE_RESP_ERRORS,
    MAX_RETRIES_BY_CODE,
    ApiConnectionError,
    ApiError,
    BadAudioError,
    IncompleteResultError,
    MissingApiKeyError,
    ProtocolError,
)
from ..models import LEGACY_MODEL
from ..secret import Secret, clean_api_key, looks_like_key, redact_url
from ..settings import (
    DEFAULT_API_BASE,
    ENV_API_BASES,
    ENV_API_KEYS,
    GENERATE_PATH,
    MODEL,
    UPLOAD_PATH,
    AudioSetting,
)
from ..transport import (
    USER_AGENT,
    auth_headers,
    error_from_response,
    jittered_backoff_s,
    json_or_none,
    send_billed,
)
from .base import PURPOSE_IDS, BaseBackend, GenerationResult, UploadResult

logger = logging.getLogger(__name__)

# error_from_response and USER_AGENT live in music01_core.transport; named here too for code that
# imported them from this module (deprecated: import them from music01_core.transport).
__all__ = ["ApiBackend", "normalize_base_url", "error_from_response", "USER_AGENT"]

MAX_AUDIO_DOWNLOAD_BYTES = 64 * 1024 * 1024
_HEX = re.compile(r"[0-9a-fA-F]+")  # used with fullmatch: "$" would also match before a final newline


def normalize_base_url(base: str | None) -> str:
    """The service root: no trailing ``/``, and no trailing ``/v1`` or ``/v2``.

    The music paths hang off the host root (``/v2/generate/audio/minimax/…``), so a base
    copied from an OpenAI-style setting (``https://api.aimlapi.com/v1``) still works.
    """
    from urllib.parse import urlsplit

    from ..errors import InputError

    base = (base or "").strip() or DEFAULT_API_BASE
    base = base.rstrip("/")
    base = re.sub(r"/v[12]$", "", base)
    # Errors here never echo the value: people paste keys into the wrong field.
    if not re.match(r"^https?://[^/\s]", base):
        raise InputError(f"the API base URL (AIML_API_BASE) must start with https:// — for example {DEFAULT_API_BASE}.")
    parts = urlsplit(base)
    if (
        "@" in parts.netloc
        or parts.query
        or parts.fragment
        or any(looks_like_key(p) for p in (parts.hostname or "").split("."))
        or any(looks_like_key(p) for p in parts.path.split("/"))
    ):
        raise InputError(
            "the API base URL (AIML_API_BASE) holds what looks like a key, a password or a query: the key "
            f"belongs in AIML_API_KEY, and the base is just the service's address, for example {DEFAULT_API_BASE}."
        )
    if (
        base.startswith("http://")
        and not _local_host(urlsplit(base).hostname or "")
        and os.environ.get("MUSIC01_INSECURE_HTTP") != "1"
    ):
        raise InputError(
            "the API base URL (AIML_API_BASE) uses http:// for a host that is not this machine: the "
            "key would travel in clear text. Use https://, or http://127.0.0.1 for a local emulator "
            "(for a room emulator with a throwaway key, set MUSIC01_INSECURE_HTTP=1)."
        )
    return base


def _local_host(host: str) -> bool:
    """Whether ``host`` is this machine (a loopback name or address)."""
    import ipaddress

    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class ApiBackend(BaseBackend):
    """music-01 on the AI/ML API.

    Parameters
    ----------
    api_key : str, optional
        Default ``AIML_API_KEY``, else ``AIMLAPI_API_KEY``.
    base_url : str, optional
        Default ``AIML_API_BASE`` / ``AIMLAPI_API_BASE``, else ``https://api.aimlapi.com``.
    home : path-like, optional
        Data directory for the reference library and history.
    connect_timeout_s, read_timeout_s : float
        A short connect timeout; a read timeout long enough for a generation (50–60 s,
        sometimes more).
    max_upload_attempts : int
        Upload tries in all (first try included).
    backoff_s, max_backoff_s : float
        Base and cap of the jittered exponential backoff, in seconds.
    session : requests.Session, optional
    sleep : callable
        ``time.sleep`` (tests pass a recorder).
    publisher : share.LinkPublisher, optional
        Serves prepared clips at short-lived links, for URL-only models (the app, at a public address).
    poll_delays : callable, optional
        Returns an iterator of waits before each poll (default :func:`music01_core.jobs.poll_delays`).
    clock : callable
        ``time.monotonic``.
    """

    name = "api"
    label = "AI/ML API"

    def __init__(
        self,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        *,
        home: str | os.PathLike | None = None,
        history=None,
        library=None,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 300.0,
        max_upload_attempts: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        session=None,
        sleep=time.sleep,
        publisher=None,
        poll_delays=None,
        clock=time.monotonic,
    ) -> None:
        import requests

        if isinstance(api_key, Secret):
            api_key = api_key.reveal()
        key = api_key or next((os.environ[n] for n in ENV_API_KEYS if os.environ.get(n, "").strip()), None)
        key = clean_api_key(key) if key else key
        if not key:
            raise MissingApiKeyError(
                f"no API key: set {ENV_API_KEYS[0]} (or {ENV_API_KEYS[1]}) to your AI/ML API key, or use the "
                "offline engine (--backend offline)."
            )
        super().__init__(home, history=history, library=library)
        self._key = Secret(key)
        env_base = next((os.environ[n] for n in ENV_API_BASES if os.environ.get(n, "").strip()), None)
        self.base_url = normalize_base_url(base_url or env_base)
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_upload_attempts = max(1, int(max_upload_attempts))
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.session = session or requests.Session()
        self._sleep = sleep
        self.publisher = publisher  # the app's link publisher, when it runs at a public address
        self._poll_delays = poll_delays  # a factory of poll waits (tests pass short ones)
        self._clock = clock
        self._jobs = None

    def __repr__(self) -> str:
        return f"ApiBackend(base_url={self.base_url!r}, api_key=<set>)"

    @property
    def local_service(self) -> bool:
        """True when the service runs on this machine (the emulator): loopback reference URLs then work."""
        from ..references import is_loopback_url

        return is_loopback_url(self.base_url)

    @property
    def key_fp(self) -> str:
        from ..library import key_fingerprint

        return key_fingerprint(self._key.reveal())

    def _redact(self, text: str) -> str:
        # Real keys are long; a few-character test key would mangle ordinary words.
        key = self._key.reveal()
        return text.replace(key, "<api key>") if len(key) >= 8 and text else text

    def _headers(self) -> dict:
        return auth_headers(self._key)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return jittered_backoff_s(attempt, retry_after, base_s=self.backoff_s, max_s=self.max_backoff_s)

    # --- upload -------------------------------------------------------------------------
    def _send_upload(self, clip: Clip, purpose: str) -> UploadResult:
        """POST the clip as multipart (MP3 unless it is WAV by choice), retrying what is safe to retry."""
        import requests

        data = Path(clip.path).read_bytes()
        mime = "audio/mpeg" if clip.format == "mp3" else "audio/wav"
        # The part's file name is generic: people's file names stay on their machine.
        files = {"file": (f"reference.{clip.format}", data, mime)}
        url = self.base_url + UPLOAD_PATH
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
            try:
                resp = self.session.post(
                    url, files=files, data={"purpose": purpose}, headers=self._headers(), timeout=self.timeout
                )
            except requests.exceptions.RequestException as exc:
                last = ApiConnectionError(
                    f"could not reach the service at {redact_url(self.base_url)} ({type(exc).__name__}): check the network "
                    "and AIML_API_BASE.",
                    retryable=True,
                )
                last.__cause__ = None
                continue
            body = json_or_none(resp)
            err = error_from_response(resp.status_code, body, resp.headers, operation="upload", redact=self._redact)
            if err is None:
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
                )
            if not err.retryable:
                raise err
            last = err
            if err.code is not None and retries_by_code.get(err.code, 0) >= MAX_RETRIES_BY_CODE.get(err.code, 1 << 30):
                break  # the contract allows no more retries for this code
        assert last is not None
        # The ids support asks for travel with the final error (the message already names them).
        gave_up = type(last)(
            f"{last} Gave up after {attempts} attempts.",
            http_status=last.http_status,
            code=last.code,
            retry_after_s=last.retry_after_s,
            retryable=last.retryable,
        )
        gave_up.trace_id, gave_up.inference_id, gave_up.request_id = last.trace_id, last.inference_id, last.request_id
        raise gave_up from None

    def _upload(self, clip, purpose, *, name=None, use_library=True, send_wav: bool = False) -> UploadResult:
        path = Path(clip.path if isinstance(clip, Clip) else clip)
        if send_wav or path.suffix.lower() != ".wav":
            return super().upload(clip, purpose, name=name, use_library=use_library)
        import tempfile

        from ..audio import inspect_clip
        from ..errors import InputError

        info = inspect_clip(path, model=LEGACY_MODEL)  # fail on a bad file before converting anything
        if info.format != "wav":
            return super().upload(clip, purpose, name=name, use_library=use_library)
        with tempfile.TemporaryDirectory(prefix="music01-up-") as d:
            from ..audio import prepare_clip

            try:
                mp3 = prepare_clip(path, Path(d) / f"{path.stem}.mp3", format="mp3", model=LEGACY_MODEL)
            except InputError:
                # Too close to a limit to re-encode with margin: send the WAV as it is.
                return super().upload(clip, purpose, name=name, use_library=use_library)
            return super().upload(mp3.path, purpose, name=name or path.stem, use_library=use_library)

    # --- music-01's retirement -------------------------------------------------------------
    def _retired(self, exc: ApiError) -> ApiError:
        """A 4xx that names the model or the path means music-01 is gone: say so, and what replaces it."""
        from ..errors import ModelRetiredError
        from ..models import LEGACY_MODEL, get_model

        if exc.code in BASE_RESP_ERRORS:
            return exc  # an upstream code answered: music-01 itself is there, and said something specific
        text = str(exc).lower()
        names = any(
            w in text
            for w in (
                "model",
                "music-01",
                "deprecated",
                "no longer",
                "not supported",
                "path",
                "cannot post",
                "endpoint",
            )
        )
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

    def upload(self, clip, purpose, *, name=None, use_library=True, send_wav: bool = False) -> UploadResult:
        """Upload a clip for music-01; WAV clips are sent as MP3 (a fraction of the bytes) unless ``send_wav``.

        See :meth:`BaseBackend.upload` for the other parameters.
        """
        return self._music01(self._upload, clip, purpose, name=name, use_library=use_library, send_wav=send_wav)

    def generate(self, lyrics, **kwargs) -> GenerationResult:
        """music-01's generate (see :meth:`BaseBackend.generate`); a retired model is reported as such.

        music-01 answers at once and has no poll, so a process killed between the answer and
        the save loses the audio for good.  It must not also lose the *fact*: a record
        written before the request leaves stays behind after such a crash, and ``music01
        jobs`` / the app's History show it as "interrupted (may have been billed)".
        """
        import uuid

        from ..history import PendingJob

        marker = self.history.add_pending(
            PendingJob(
                generation_id=f"sent-{uuid.uuid4().hex}:{MODEL}",
                model=MODEL,
                created=time.time(),
                base_url=self.base_url,
                key_fp=self.key_fp,
                lyrics=lyrics if isinstance(lyrics, str) else None,
                audio_setting=(kwargs.get("audio_setting") or AudioSetting()).to_dict(),
                status="sent",
                state="interrupted",
                error="music-01 was asked to generate, and the program stopped before its answer was saved",
            )
        )
        try:
            return self._music01(super().generate, lyrics, **kwargs)
        finally:
            # Saved, or an error the person was shown: either way the record has done its job.
            # (A kill -9 never gets here, which is the point.)
            self.history.forget_pending(marker.generation_id)

    def _music01(self, call, *args, **kwargs):
        """Run one of music-01's calls; a rejection that means "retired" is reported as such."""
        try:
            return call(*args, **kwargs)
        except ApiError as exc:
            err = self._retired(exc)
            if err is exc:
                raise
            raise err from exc

    # --- the job models ---------------------------------------------------------------------
    @property
    def jobs(self):
        """The :class:`~music01_core.jobs.JobClient` of this backend."""
        if self._jobs is None:
            from ..jobs import JobClient

            self._jobs = JobClient(
                self.base_url,
                self._key,
                session=self.session,
                timeout=(self.timeout[0], 60.0),
                sleep=self._sleep,
                backoff_s=self.backoff_s,
                max_backoff_s=self.max_backoff_s,
                redact=self._redact,
            )
        return self._jobs

    def _make_job(self, model, fields, request, setting, *, wait_s, on_status, on_submit=None):
        from ..errors import JobError
        from ..history import PendingJob
        from ..jobs import job_payload
        from ..references import is_loopback_url, route_reference

        ref = route_reference(request.reference, model, publisher=self.publisher)
        if ref is not None and ref.kind in ("url", "link") and is_loopback_url(ref.value) and not self.local_service:
            from ..errors import ReferenceUrlError

            raise ReferenceUrlError(
                "the reference link points at this machine (127.0.0.1/localhost), which the "
                "provider cannot reach: set MUSIC01_PUBLIC_URL to the app's public address, or "
                "give a public URL."
            )
        payload = job_payload(
            model,
            lyrics=fields.lyrics,
            prompt=fields.prompt,
            reference=ref,
            audio_setting=setting,
            is_instrumental=request.is_instrumental,
            lyrics_optimizer=request.lyrics_optimizer,
        )
        logger.info("submitting a %s job to %s", model.id, self.base_url)
        status = self.jobs.submit(payload)  # the billed call: sent once
        job = PendingJob(
            generation_id=status.id,
            model=model.id,
            created=time.time(),
            base_url=self.base_url,
            key_fp=self.key_fp,
            lyrics=fields.lyrics,
            prompt=fields.prompt,
            flags={k: True for k in ("is_instrumental", "lyrics_optimizer") if k in payload},
            audio_setting=payload.get("audio_setting"),
            reference=ref.describe() if ref is not None else None,
            status=status.status,
        )
        try:
            self.history.add_pending(job)
        except OSError as exc:
            raise JobError(
                f"the job was submitted but its id could not be saved ({exc.strerror or exc}): keep this "
                f"id and run `music01 resume {status.id}` once there is disk space.",
                generation_id=status.id,
                may_be_billed=True,
            ) from None
        if on_submit is not None:
            on_submit(status.id)
        if on_status is not None:
            on_status(status.status, 0.0)
        return self._follow(job, wait_s=wait_s, on_status=on_status)

    def _follow(self, job, *, wait_s, on_status):
        from ..jobs import follow_job

        return follow_job(
            self.jobs,
            self.history,
            job,
            wait_s=wait_s,
            backend_name=self.name,
            on_status=on_status,
            clock=self._clock,
            sleep=self._sleep,
            delays=self._poll_delays() if self._poll_delays else None,
            check_audio=check_job_audio,
        )

    def resume(self, generation_id: str, *, wait_s: float | None = None, on_status=None) -> GenerationResult:
        """Poll a job submitted earlier (by this or another process) and save its audio; never submits.

        A job already in the history is returned as it is.  A job this history has no
        record of is followed all the same (the id is kept as given).
        """
        from ..errors import InputError
        from ..history import PendingJob
        from ..settings import DEFAULT_WAIT_S

        gid, saved = self._saved_generation(generation_id)
        if saved is not None:
            return saved
        job = self.history.get_pending(gid)
        if job is not None and job.state == "interrupted":
            # Said once, then dropped from the list: there is nothing to fetch.
            self.history.forget_pending(gid)
            raise InputError(
                f"the {job.model} generate sent at {time.strftime('%Y-%m-%d %H:%M', time.localtime(job.created))} "
                "was interrupted before its answer was saved, and music-01 has no way to fetch an answer again. "
                "It may have been billed: check your usage on the AI/ML API dashboard. "
                "The entry is now removed from the pending list."
            )
        if job is not None and job.key_fp and job.key_fp != self.key_fp:
            raise InputError("this job was submitted with another API key: set that key (AIML_API_KEY) to resume it.")
        if job is None:
            model = gid.rsplit(":", 1)[1] if ":" in gid else "unknown"
            job = self.history.add_pending(
                PendingJob(
                    generation_id=gid, model=model, created=time.time(), base_url=self.base_url, key_fp=self.key_fp
                )
            )
        return self._follow(job, wait_s=DEFAULT_WAIT_S if wait_s is None else wait_s, on_status=on_status)

    # --- generate -----------------------------------------------------------------------
    def _send_generate(
        self, lyrics: str, voice_id: str | None, instrumental_id: str | None, setting: AudioSetting, seed: int | None
    ) -> GenerationResult:
        """POST the JSON request once (see the module docstring for the only retries)."""

        payload = {"model": MODEL, "lyrics": lyrics, "audio_setting": setting.to_dict()}
        if voice_id:
            payload["refer_voice"] = voice_id
        if instrumental_id:
            payload["refer_instrumental"] = instrumental_id
        resp = send_billed(
            self.session,
            self.base_url + GENERATE_PATH,
            payload,
            headers=self._headers(),
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
        audio_field = data.get("audio")
        if not isinstance(audio_field, str) or not audio_field.strip():
            raise BadAudioError("the answer holds no audio.", may_be_billed=True, **ids)
        audio_field = audio_field.strip()  # a trailing newline is transport, not audio
        if re.match(r"^https?://", audio_field):
            audio = self._download(audio_field, ids)
        else:
            if len(audio_field) % 2 or not _HEX.fullmatch(audio_field):
                raise BadAudioError(
                    "the audio in the answer is not valid hex"
                    + (" (odd length)" if len(audio_field) % 2 else "")
                    + ".",
                    may_be_billed=True,
                    **ids,
                )
            audio = bytes.fromhex(audio_field)
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

    def _download(self, url: str, ids: dict) -> bytes:
        """Fetch audio given as a URL (free to repeat), capped in size."""
        import requests

        for attempt in range(3):
            try:
                with self.session.get(url, timeout=self.timeout, stream=True) as r:
                    if r.status_code != 200:
                        raise BadAudioError(f"the audio URL answered HTTP {r.status_code}.", may_be_billed=True, **ids)
                    chunks, total = [], 0
                    for chunk in r.iter_content(1 << 16):
                        total += len(chunk)
                        if total > MAX_AUDIO_DOWNLOAD_BYTES:
                            raise BadAudioError(
                                "the audio at the URL is larger than 64 MiB; refusing it.", may_be_billed=True, **ids
                            )
                        chunks.append(chunk)
                    return b"".join(chunks)
            except requests.exceptions.RequestException:
                if attempt == 2:
                    raise BadAudioError("the audio URL could not be downloaded.", may_be_billed=True, **ids) from None
                self._sleep(self._backoff(attempt, None))
        raise AssertionError("unreachable")


def check_job_audio(audio: bytes, fmt: str) -> tuple[float, int]:
    """Check a job's audio decodes as ``fmt``; return (duration_s, channels).  Raises BadAudioError."""
    if fmt == "pcm":
        channels = 2 if len(audio) % 4 == 0 else 1
        if len(audio) % 2:
            raise BadAudioError("the raw PCM is not whole 16-bit samples.", may_be_billed=True)
        return len(audio) / (2 * channels * 44100), channels
    import tempfile

    from .. import ffmpeg
    from ..errors import AudioInputError

    with tempfile.TemporaryDirectory(prefix="music01-check-") as d:
        path = Path(d) / "audio.bin"
        path.write_bytes(audio)
        try:
            m = ffmpeg.measure(path)
        except AudioInputError as exc:
            raise BadAudioError(f"the finished file does not decode as audio: {exc}", may_be_billed=True) from None
    return m.duration_s, m.channels


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
    import tempfile

    from .. import ffmpeg
    from ..errors import AudioInputError

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
