"""The asynchronous job path: submit once, keep the id, poll, download, save, then show.

The live MiniMax models on the AI/ML API run as jobs (``shared/api/live-models.md``):

1. ``POST /v2/generate/audio`` with ``{model, …}`` — **the billed call** — answers
   ``{id, status}``;
2. ``GET /v2/generate/audio?generation_id=<id>`` answers the status, and on ``completed``
   an ``audio_file.url``;
3. the audio is fetched from that URL (a CDN: no Authorization header goes there).

Guarantees kept here: a submit is never re-sent once the server may have received it; the
generation id is written to the history as a *pending* record before the first poll; a
failed poll is polled again (never submitted again); the audio is size-capped, checked
against ``file_size`` and decoded before it is saved; and a wait that runs out leaves the
job pending, to be resumed with the same id.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from .errors import (
    ApiConnectionError,
    ApiError,
    BadAudioError,
    JobFailedError,
    JobNotFoundError,
    JobPendingError,
    ProtocolError,
    ResultExpiredError,
)
from .settings import (
    JOB_PATH,
    MAX_RESULT_BYTES,
    POLL_FIRST_S,
    POLL_FRACTION,
    POLL_MAX_S,
    POLL_RETRIES,
    AudioSetting,
)
from .transport import auth_headers, error_from_response, jittered_backoff_s, json_or_none, read_capped, send_billed
from .types import GenerationResult

logger = logging.getLogger(__name__)

__all__ = ["JobStatus", "JobClient", "job_payload", "follow_job", "poll_delays", "PENDING_STATUSES"]

#: Statuses that mean "not finished yet" (the provider's example also treats ``waiting`` so).
PENDING_STATUSES = frozenset({"queued", "generating", "waiting", "pending", "processing", "in_progress"})


@dataclass(frozen=True)
class JobStatus:
    """One answer of the job interface.

    Attributes
    ----------
    id : str
        The generation id, exactly as received.
    status : str
        ``queued``, ``generating``, ``completed`` or ``error`` (others are read as pending).
    audio_url : str or None
    content_type, file_name : str or None
    file_size : int or None
        Expected byte count of the audio, when given.
    error_name, error_message : str or None
    credits_used, usd_spent : str or None
        From ``meta.usage``.
    """

    id: str
    status: str
    audio_url: str | None = None
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    error_name: str | None = None
    error_message: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None

    @property
    def pending(self) -> bool:
        return self.status in PENDING_STATUSES


def _parse_status(body, *, expect_id: str | None = None) -> JobStatus:
    if not isinstance(body, dict):
        raise ProtocolError("the job answer is not a JSON object: try again later.", retryable=True)
    gid = body.get("id") or body.get("generation_id") or expect_id
    status = str(body.get("status") or "").strip().lower()
    if not gid or not status:
        raise ProtocolError("the job answer has no id or status: try again later.", retryable=True)
    audio = body.get("audio_file") if isinstance(body.get("audio_file"), dict) else {}
    err = body.get("error") if isinstance(body.get("error"), dict) else {}
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    usage = meta.get("usage") if isinstance(meta.get("usage"), dict) else {}
    size = audio.get("file_size")
    return JobStatus(
        id=str(gid),
        status=status,
        audio_url=audio.get("url") or None,
        content_type=audio.get("content_type"),
        file_name=audio.get("file_name"),
        file_size=int(size) if isinstance(size, int | float) and size > 0 else None,
        error_name=(str(err["name"]) if err.get("name") else None),
        error_message=(str(err["message"]) if err.get("message") else None),
        credits_used=None if usage.get("credits_used") is None else str(usage["credits_used"]),
        usd_spent=None if usage.get("usd_spent") is None else str(usage["usd_spent"]),
    )


def job_payload(
    model,
    *,
    lyrics: str | None,
    prompt: str | None,
    reference=None,
    audio_setting: AudioSetting | None = None,
    is_instrumental: bool = False,
    lyrics_optimizer: bool = False,
) -> dict:
    """The submit body for ``model``, with each field under the name the model's table entry gives.

    Parameters
    ----------
    model : str or Model
    lyrics, prompt : str or None
        Checked text (:func:`music01_core.lyrics.prepare_text_fields`).
    reference : Reference, optional
        Routed already (:func:`music01_core.references.route_reference`).
    audio_setting : AudioSetting, optional
        Sent only to models that take one.
    is_instrumental, lyrics_optimizer : bool
        Sent (when True) to models that take them.
    """
    from .models import get_model

    m = get_model(model)
    body: dict = {"model": m.id}
    if m.prompt is not None and prompt:
        body[m.prompt.api_field] = prompt
    if m.lyrics is not None and lyrics:
        body[m.lyrics.api_field] = lyrics
    if m.reference.ways:
        if reference is None:
            from .errors import ReferenceInputError

            raise ReferenceInputError(f"{m.id} needs a reference track.")
        body[m.reference.api_field] = reference.value
    if m.audio_setting is not None and audio_setting is not None:
        body["audio_setting"] = audio_setting.to_dict(sample_rate_field=m.audio_setting.sample_rate_field)
    for flag, on in (("is_instrumental", is_instrumental), ("lyrics_optimizer", lyrics_optimizer)):
        if on and flag in m.flags:
            body[flag] = True
    return body


def poll_delays(*, first_s: float = POLL_FIRST_S, fraction: float = POLL_FRACTION, max_s: float = POLL_MAX_S):
    """Seconds to wait before each poll (±10 % jitter).

    Each wait is ``fraction`` of the time waited so far, at least ``first_s`` and at most
    ``max_s``: a job that takes L seconds is seen done by about ``(1 + fraction) L`` (or
    ``L + max_s``), with a few dozen polls for a one-minute job.
    """
    waited = 0.0
    while True:
        delay = min(max_s, max(first_s, fraction * waited)) * (0.9 + 0.2 * random.random())
        waited += delay
        yield delay


class JobClient:
    """The three HTTP calls of the job interface, with ``requests``.

    Parameters
    ----------
    base_url : str
        Normalised service root.
    key : Secret
        Sent only to ``base_url``, never to the audio URL.
    session : requests.Session
    timeout : (float, float)
        Connect and read timeouts in seconds.
    sleep : callable
    backoff_s, max_backoff_s : float
        Jittered exponential backoff for polls (``Retry-After`` wins when given).
    redact : callable
        Removes the key from any text shown.
    """

    def __init__(
        self,
        base_url: str,
        key,
        *,
        session,
        timeout=(10.0, 60.0),
        sleep=time.sleep,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        redact=lambda s: s,
    ) -> None:
        import requests

        self.base_url = base_url
        self._key = key
        self.session = session
        # The CDN gets its own session: no cookies or headers of the API travel there.
        self.download_session = requests.Session()
        self.timeout = timeout
        self._sleep = sleep
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self._redact = redact

    def _headers(self) -> dict:
        return auth_headers(self._key)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return jittered_backoff_s(attempt, retry_after, base_s=self.backoff_s, max_s=self.max_backoff_s)

    def submit(self, payload: dict) -> JobStatus:
        """POST the job once.

        Only a connection that never opened, or an explicit HTTP 429, is tried again
        (the server surely did not take the job).  Anything after the request may have
        reached the server raises an error with ``may_be_billed``.
        """

        resp = send_billed(
            self.session,
            self.base_url + JOB_PATH,
            payload,
            headers=self._headers(),
            timeout=self.timeout,
            sleep=self._sleep,
            backoff=self._backoff,
            base_url=self.base_url,
            what="submit",
        )
        body = json_or_none(resp)
        if not 200 <= resp.status_code < 300:
            err = error_from_response(resp.status_code, body, resp.headers, operation="generate", redact=self._redact)
            raise err
        try:
            status = _parse_status(body)
        except ProtocolError:
            raise ProtocolError(
                "the submit answer has no generation id, so the job cannot be followed.",
                http_status=resp.status_code,
                may_be_billed=True,
                inference_id=resp.headers.get("x-inference-id"),
            ) from None
        if status.status == "error":
            raise _job_failed(status)
        return status

    def poll(self, generation_id: str) -> JobStatus:
        """GET the job's status once (safe to repeat).

        Raises
        ------
        JobNotFoundError
            404 (or 400 naming the id): the provider does not know the id.
        ApiError
            With ``retryable`` True for what polling again can cure (5xx, 429, resets, bad JSON).
        """
        import requests

        try:
            resp = self.session.get(
                self.base_url + JOB_PATH,
                params={"generation_id": generation_id},
                headers=self._headers(),
                timeout=self.timeout,
            )
        except requests.exceptions.RequestException as exc:
            raise ApiConnectionError(f"the status check failed ({type(exc).__name__}).", retryable=True) from None
        body = json_or_none(resp)
        if resp.status_code == 404 or (resp.status_code == 400 and "generation" in str(body).lower()):
            raise JobNotFoundError(
                "the provider does not know this job: the id may be mistyped, from another account or key, or too old.",
                generation_id=generation_id,
                http_status=resp.status_code,
            )
        if not 200 <= resp.status_code < 300:
            raise error_from_response(resp.status_code, body, resp.headers, operation="poll", redact=self._redact)
        if body is None:
            raise ProtocolError("the status answer is not JSON.", http_status=resp.status_code, retryable=True)
        return _parse_status(body, expect_id=generation_id)

    def download(self, url: str, *, expected_size: int | None = None, max_bytes: int = MAX_RESULT_BYTES) -> bytes:
        """Fetch the finished audio without any credentials, capped and checked against ``expected_size``."""
        import requests

        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BadAudioError("the job's audio URL is not http(s).")
        last: Exception | None = None
        for attempt in range(3):
            if attempt:
                self._sleep(self._backoff(attempt - 1, None))
            try:
                with self.download_session.get(
                    url, timeout=self.timeout, stream=True, headers={"User-Agent": "music01"}
                ) as r:
                    if r.status_code in (401, 403, 404, 410):
                        raise ResultExpiredError(
                            f"the finished audio's link answered HTTP {r.status_code}: it has expired or was withdrawn."
                        )
                    if r.status_code != 200:
                        raise BadAudioError(f"the audio link answered HTTP {r.status_code}.", retryable=True)
                    data = read_capped(
                        r,
                        max_bytes=max_bytes,
                        too_big=lambda n: BadAudioError(
                            f"the audio is over the {max_bytes / 2**20:.0f} MB cap"
                            + (f" ({n / 2**20:.0f} MB)" if n else "")
                            + "; refusing it."
                        ),
                    )
            except requests.exceptions.RequestException as exc:
                last = exc
                continue
            except BadAudioError as exc:
                if exc.retryable:
                    last = exc
                    continue
                raise
            if expected_size is not None and len(data) != expected_size:
                last = BadAudioError(
                    f"the audio is {len(data)} bytes but the job said {expected_size}: it was "
                    "cut short or damaged on the way."
                )
                continue
            return data
        if isinstance(last, BadAudioError):
            raise last
        raise BadAudioError(f"the finished audio could not be downloaded ({type(last).__name__}).", retryable=True)


def _job_failed(status: JobStatus) -> JobFailedError:
    name = status.error_name or "error"
    detail = status.error_message or "no details given"
    return JobFailedError(
        f"the provider reports the generation failed: {name}: {detail}. Check the lyrics, prompt "
        "and reference, then try again.",
        generation_id=status.id,
        error_name=status.error_name,
        error_message=status.error_message,
    )


def follow_job(
    client: JobClient,
    history,
    job,
    *,
    wait_s: float,
    backend_name: str = "api",
    on_status: Callable[[str, float], None] | None = None,
    clock=time.monotonic,
    sleep=None,
    delays=None,
    check_audio=None,
):
    """Poll a submitted job until it is done, save its audio, and return the result.

    Parameters
    ----------
    client : JobClient
    history : History
        The job's pending record is kept there; the result is saved there first.
    job : PendingJob
    wait_s : float
        How long to wait in all; when it runs out the job stays pending.
    on_status : callable, optional
        Called as ``on_status(status, elapsed_s)`` after each poll.
    clock, sleep : callable
        ``time.monotonic`` and ``time.sleep`` (tests pass fakes).
    delays : iterator of float, optional
        Waits before each poll (default :func:`poll_delays`).
    check_audio : callable, optional
        ``check_audio(bytes, fmt) -> (duration_s, channels)``; raises BadAudioError.

    Returns
    -------
    GenerationResult
        Saved in the history (``path`` and ``history_id`` set).

    Raises
    ------
    JobPendingError
        The wait ran out (or polls kept failing); the job is kept and can be resumed.
    JobFailedError, JobNotFoundError, ResultExpiredError, BadAudioError
        Each with the generation id.
    """

    sleep = sleep or client._sleep
    delays = iter(delays if delays is not None else poll_delays())
    started = clock()
    failures = 0
    gid = job.generation_id
    last_status = job.status
    while True:
        remaining = wait_s - (clock() - started)
        delay = next(delays)
        if remaining <= 0 or (failures and remaining < delay):
            history.update_pending(gid, status=last_status)
            raise JobPendingError(
                f"the generation is still running at the provider (last status: {last_status}): resume later with "
                f"`music01 resume {gid}` or the Resume button in the app's History. Nothing is lost and nothing "
                "more is billed.",
                generation_id=gid,
                status=last_status,
            )
        sleep(min(delay, max(0.0, remaining)))
        try:
            status = client.poll(gid)
        except JobNotFoundError:
            history.update_pending(gid, state="unknown", error="the provider does not know this id")
            raise
        except ApiError as exc:
            if not exc.retryable and not isinstance(exc, ProtocolError):
                raise
            failures += 1
            logger.info("poll of %s failed (%s); polling again", gid, type(exc).__name__)
            if failures >= POLL_RETRIES:
                history.update_pending(gid, status=last_status, error=str(exc))
                raise JobPendingError(
                    f"the provider did not answer the status checks ({exc}); the job is kept: resume later with "
                    f"`music01 resume {gid}`. Nothing more is billed.",
                    generation_id=gid,
                    status=last_status,
                ) from None
            if exc.retry_after_s is not None:
                sleep(min(exc.retry_after_s, client.max_backoff_s))
            continue
        failures = 0
        if on_status is not None:
            on_status(status.status, clock() - started)
        if status.status != last_status:
            last_status = status.status
            history.update_pending(gid, status=last_status)
        if status.pending:
            continue
        if status.status == "error":
            err = _job_failed(status)
            history.update_pending(gid, state="failed", status="error", error=str(err))
            raise err
        if status.status != "completed":
            logger.warning("unknown job status %r for %s: treating it as pending", status.status, gid)
            continue
        if not status.audio_url:
            raise ProtocolError("the job is completed but has no audio_file.url: resume later.", retryable=True)
        setting = job.audio_setting or {}
        fmt = _format_of(status, setting)
        try:
            audio = client.download(status.audio_url, expected_size=status.file_size)
            duration_s, channels = check_audio(audio, fmt) if check_audio else (0.0, 2)
        except ResultExpiredError as exc:
            history.update_pending(gid, state="failed", error=str(exc))
            raise ResultExpiredError(
                f"{exc} The audio of this generation can no longer be fetched; contact AI/ML "
                "API support with the generation id if it was billed.",
                generation_id=gid,
            ) from None
        except BadAudioError as exc:
            history.update_pending(gid, error=str(exc))
            raise BadAudioError(
                f"{exc} The job is kept: `music01 resume {gid}` tries the download again.", may_be_billed=True
            ) from None
        rate = next((v for k, v in setting.items() if k.endswith("sample_rate")), None) or 44100
        result = GenerationResult(
            audio=audio,
            format=fmt,
            sample_rate=int(rate),
            bitrate=int(setting.get("bitrate") or 0),
            channels=channels,
            duration_s=round(duration_s, 3),
            voice_id=None,
            instrumental_id=None,
            backend=backend_name,
            trace_id="",
            seed=None,
            lyrics=job.lyrics or "",
            credits_used=status.credits_used,
            usd_spent=status.usd_spent,
            model=job.model,
            prompt=job.prompt,
            generation_id=gid,
            reference=job.reference,
        )
        # Saved before it is shown: History.save also closes the pending record.
        return history.keep(result)


def _format_of(status: JobStatus, setting: dict) -> str:
    fmt = str(setting.get("format") or "").lower()
    if fmt in ("mp3", "wav", "pcm"):
        return fmt
    hint = (status.file_name or urlsplit(status.audio_url or "").path or "").lower()
    for ext in ("mp3", "wav", "flac", "ogg", "m4a"):
        if hint.endswith("." + ext):
            return ext
    ctype = (status.content_type or "").lower()
    return "wav" if "wav" in ctype else "mp3"
