"""The AI/ML API's job interface as a provider adapter: submit once, poll, download.

The live MiniMax models run as jobs (``shared/api/live-models.md``; the provider's reference,
``aimlapi/api-docs``, ``docs/api-references/music-models/MiniMax/*.json``):

1. ``POST /v2/generate/audio`` with ``{model, …}`` — **the billed call** — answers
   ``{id, status}``;
2. ``GET /v2/generate/audio?generation_id=<id>`` answers the status, and on ``completed``
   an ``audio_file.url``;
3. the audio is fetched from that URL (a CDN: no Authorization header goes there).

A submit is never re-sent once the server may have received it (:func:`~music01_core.transport.send_billed`);
a poll or a download may be repeated.  Each field goes under the name the model's table entry
gives: this module has no per-model branch.
"""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from .. import ffmpeg
from ..errors import (
    ApiConnectionError,
    ApiError,
    AudioInputError,
    BadAudioError,
    JobFailedError,
    JobNotFoundError,
    ProtocolError,
    ReferenceInputError,
    ResultExpiredError,
)
from ..models import get_model
from ..settings import JOB_PATH, LOGS_PAGE, LOGS_PATH, LOGS_WINDOW_S, MAX_RESULT_BYTES, AudioSetting
from ..transport import auth_headers, error_from_response, jittered_backoff_s, json_or_none, read_capped, send_billed
from ..types import Job, JobStatus, Recovery

logger = logging.getLogger(__name__)

__all__ = ["AimlApiJobs", "JobClient", "job_payload", "check_job_audio", "job_failed"]


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
        trace_id=str(body["trace_id"]) if body.get("trace_id") else None,
        extra_info=body["extra_info"] if isinstance(body.get("extra_info"), dict) else None,
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
    m = get_model(model)
    body: dict = {"model": m.id}
    if m.prompt is not None and prompt:
        body[m.prompt.api_field] = prompt
    if m.lyrics is not None and lyrics:
        body[m.lyrics.api_field] = lyrics
    if m.reference.ways:
        if reference is None:
            raise ReferenceInputError(f"{m.id} needs a reference track.")
        body[m.reference.api_field] = reference.value
    if m.audio_setting is not None and audio_setting is not None:
        body["audio_setting"] = audio_setting.to_dict(sample_rate_field=m.audio_setting.sample_rate_field)
    for flag, on in (("is_instrumental", is_instrumental), ("lyrics_optimizer", lyrics_optimizer)):
        if on and flag in m.flags:
            body[flag] = True
    return body


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

    def submit(self, payload: dict, *, client_request_id: str | None = None) -> JobStatus:
        """POST the job once, with ``X-Client-Request-Id`` when given.

        Only a connection that never opened, or an explicit HTTP 429, is tried again
        (the server surely did not take the job).  Anything after the request may have
        reached the server raises an error with ``may_be_billed``.
        """
        resp = send_billed(
            self.session,
            self.base_url + JOB_PATH,
            payload,
            headers=auth_headers(self._key, client_request_id=client_request_id),
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
            raise job_failed(status)
        return _with_headers(status, resp.headers, client_request_id)

    def poll(self, generation_id: str) -> JobStatus:
        """GET the job's status once (safe to repeat).

        Raises
        ------
        JobNotFoundError
            404 (or 400 naming the id): the provider does not know the id.
        ApiError
            With ``retryable`` True for what polling again can cure (5xx, 429, resets, bad JSON).
        """
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

    def logged(self, client_request_id: str, *, model: str, sent_at: float) -> dict | None:
        """The usage log's row of the request sent with ``client_request_id``, or None (not there yet).

        Reads every page of the window around ``sent_at`` for ``model`` (the endpoint has no filter
        by client request id: it is matched here).

        Raises
        ------
        ApiError
            The logs endpoint refused (401/403, 429 over 200 calls a minute, 5xx) or answered rows
            that cannot be read; nothing is re-sent either way.
        """
        params = {
            "start": _iso(sent_at - LOGS_WINDOW_S),
            "end": _iso(sent_at + LOGS_WINDOW_S),
            "model": model,
            "limit": LOGS_PAGE,
        }
        return self._find_row(params, "client_request_id", client_request_id)

    def logged_inference(self, inference_id: str, *, max_pages: int = 10) -> dict | None:
        """The usage log's row of ``inference_id`` over the last 7 days (at most ``max_pages`` pages), or None."""
        return self._find_row({"period": "7d", "limit": LOGS_PAGE}, "inference_id", inference_id, max_pages=max_pages)

    def _find_row(self, params: dict, field: str, value: str, *, max_pages: int | None = None) -> dict | None:
        """The first row whose ``field`` is ``value``, reading page after page (all of them, or ``max_pages``)."""
        offset, pages = 0, 0
        while max_pages is None or pages < max_pages:
            page = self._logs_page({**params, "offset": offset})
            pages += 1
            for row in page["data"]:
                if isinstance(row, dict) and row.get(field) == value:
                    return row
            if not page["pagination"].get("has_more") or not page["data"]:
                return None
            offset += len(page["data"])  # the rows actually served: a short page skips nothing
        return None

    def _logs_page(self, params: dict) -> dict:
        try:
            resp = self.session.get(
                self.base_url + LOGS_PATH, params=params, headers=self._headers(), timeout=self.timeout
            )
        except requests.exceptions.RequestException as exc:
            raise ApiConnectionError(
                f"the usage log could not be read ({type(exc).__name__}).", retryable=True
            ) from None
        body = json_or_none(resp)
        if not 200 <= resp.status_code < 300:
            raise error_from_response(resp.status_code, body, resp.headers, operation="logs", redact=self._redact)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("data"), list)
            or not isinstance(body.get("pagination"), dict)
        ):
            raise ProtocolError("the usage log's answer is not the documented {data, pagination}.", retryable=True)
        return body

    def download(self, url: str, *, expected_size: int | None = None, max_bytes: int = MAX_RESULT_BYTES) -> bytes:
        """Fetch the finished audio without any credentials, capped and checked against ``expected_size``."""
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


def _with_headers(status: JobStatus, headers, client_request_id: str | None) -> JobStatus:
    """The submit's status with what only its headers say: the cost (when ``meta.usage`` lacks it) and the ids."""
    return replace(
        status,
        credits_used=status.credits_used or headers.get("x-aimlapi-credits-used"),
        usd_spent=status.usd_spent or headers.get("x-aimlapi-usd-spent"),
        inference_id=headers.get("x-inference-id") or status.id,
        client_request_id=headers.get("x-client-request-id") or client_request_id,
    )


def check_job_audio(audio: bytes, fmt: str) -> tuple[float, int]:
    """Check a job's audio decodes as ``fmt``; return (duration_s, channels).  Raises BadAudioError."""
    if fmt == "pcm":
        channels = 2 if len(audio) % 4 == 0 else 1
        if len(audio) % 2:
            raise BadAudioError("the raw PCM is not whole 16-bit samples.", may_be_billed=True)
        return len(audio) / (2 * channels * 44100), channels
    with tempfile.TemporaryDirectory(prefix="music01-check-") as d:
        path = Path(d) / "audio.bin"
        path.write_bytes(audio)
        try:
            m = ffmpeg.measure(path)
        except AudioInputError as exc:
            raise BadAudioError(f"the finished file does not decode as audio: {exc}", may_be_billed=True) from None
    return m.duration_s, m.channels


def job_failed(status: JobStatus) -> JobFailedError:
    """The error for a job the provider reports as failed, naming its reason."""
    name = status.error_name or "error"
    detail = status.error_message or "no details given"
    if name in ("canceled", "aborted"):  # stopped, not refused: nothing in the request to fix
        what, advice = "was stopped", "Run it again when you want it."
    else:
        what, advice = "failed", "Check the lyrics, prompt and reference, then try again."
    return JobFailedError(
        f"the provider reports the generation {what}: {name}: {detail.rstrip('.')}. {advice}",
        generation_id=status.id,
        error_name=status.error_name,
        error_message=status.error_message,
    )


class AimlApiJobs:
    """The provider adapter for the AI/ML API's job models (registry name ``aimlapi/job``).

    Parameters
    ----------
    connection : Client
        Gives the key, base URL, session, timeouts, backoff and link publisher.
    """

    name = "api"
    label = "AI/ML API"
    offline = False
    answers_once = False

    def __init__(self, connection) -> None:
        self.base_url = connection.base_url
        self.key_fp = connection.key_fp
        self.local_service = connection.local_service
        self.publisher = connection.publisher
        self.max_backoff_s = connection.max_backoff_s
        self.client = JobClient(
            connection.base_url,
            connection._key,
            session=connection.session,
            timeout=(connection.timeout[0], 60.0),
            sleep=connection._sleep,
            backoff_s=connection.backoff_s,
            max_backoff_s=connection.max_backoff_s,
            redact=connection._redact,
        )

    def submit(self, job: Job) -> JobStatus:
        """POST the job once (the billed call)."""
        payload = job_payload(
            job.model,
            lyrics=job.lyrics,
            prompt=job.prompt,
            reference=job.reference,
            audio_setting=job.audio_setting,
            is_instrumental=job.is_instrumental,
            lyrics_optimizer=job.lyrics_optimizer,
        )
        logger.info("submitting a %s job to %s", job.model.id, self.base_url)
        return self.client.submit(payload, client_request_id=job.client_request_id)

    def model_of(self, generation_id: str) -> str | None:
        """The model a job was submitted to, from the usage log (newer ids carry no ``:model``); None if unknown."""
        try:
            row = self.client.logged_inference(generation_id)
        except ApiError as exc:
            logger.info("could not look %s up in the usage log: %s", generation_id, exc)
            return None
        return row.get("model") if row and isinstance(row.get("model"), str) else None

    def recover(self, record, *, known: frozenset = frozenset()) -> Recovery | None:
        """What the usage log says of a submit whose answer was lost; None while it does not list it.

        Parameters
        ----------
        record : PendingJob
            The "sent" record: its ``client_request_id``, ``model`` and send time.
        known : frozenset of str
            Ids this machine already follows (unused: the request id names the row exactly).
        """
        row = self.client.logged(record.client_request_id, model=record.model, sent_at=record.created)
        if row is None:
            return None
        cost = row.get("cost") if isinstance(row.get("cost"), dict) else {}
        if row.get("status") not in ("succeeded", "failed"):
            # A row that cannot be read must not close the record as "not billed": it stays, to look again.
            raise ProtocolError("the usage log lists the request with no readable status.", retryable=True)
        if row["status"] == "failed":
            return Recovery(billed=False)
        gid = row.get("inference_id")
        if not isinstance(gid, str) or not gid:
            raise ProtocolError("the usage log lists the request but without its inference id.", retryable=True)
        return Recovery(
            billed=True,
            generation_id=gid,
            credits_used=None if cost.get("credits") is None else str(cost["credits"]),
            usd_spent=None if cost.get("usd") is None else str(cost["usd"]),
        )

    def poll(self, generation_id: str) -> JobStatus:
        """GET the job's status once."""
        return self.client.poll(generation_id)

    def download(self, status: JobStatus) -> bytes:
        """Fetch the finished audio from its link (no credentials go there)."""
        return self.client.download(status.audio_url, expected_size=status.file_size)

    def check_audio(self, audio: bytes, fmt: str) -> tuple[float, int]:
        """``(duration_s, channels)``; raises BadAudioError when it does not decode."""
        return check_job_audio(audio, fmt)


def _iso(t: float) -> str:
    """A Unix time as the logs endpoint's ISO-8601 UTC."""
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
