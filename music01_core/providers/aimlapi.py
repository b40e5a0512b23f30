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

The key's account is read here too (aimlapi/api-docs f14fa72, ``docs/api-references/service-endpoints/``):
``GET /v2/billing`` gives ``{current_balance, currency}`` (``account-balance.md``, ``billing-v2.json``), and
``GET /v2/logs`` one row per request, paged with ``limit``/``offset`` until ``has_more`` is false
(``usage-logs.md``, ``logs-v2.json``; 429 past 200 calls a minute).
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
from ..account import Balance
from ..errors import (
    ApiConnectionError,
    ApiError,
    AudioInputError,
    BadAudioError,
    JobFailedError,
    JobNotFoundError,
    ProtocolError,
    RateLimitError,
    ReferenceInputError,
    ResultExpiredError,
    SettingError,
)
from ..models import get_model
from ..settings import (
    BALANCE_TIMEOUT_S,
    BILLING_PATH,
    JOB_PATH,
    LOGS_MAX_PAGES,
    LOGS_PAGE,
    LOGS_PATH,
    LOGS_WINDOW_S,
    MAX_RESULT_BYTES,
    AudioSetting,
)
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
    options: dict | None = None,
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
    options : dict, optional
        The model's other fields, checked already (:attr:`Job.options`: ``{api_field: value}`` in the
        provider's units, :func:`music01_core.options.check_options`); a field its row does not list is refused.
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
    fields = {o.api_field for o in m.options}
    for name, value in (options or {}).items():
        if name not in fields:
            raise SettingError(f"{m.id} takes no field {name!r}: nothing was sent.")
        body[name] = value
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
        for rows, _ in self._pages(params, max_pages=max_pages):
            for row in rows:
                if isinstance(row, dict) and row.get(field) == value:
                    return row
        return None

    def _pages(self, params: dict, *, max_pages: int | None = None, rate_retries: int = 0):
        """Each page's rows and whether more follow, from ``offset`` 0 until ``has_more`` is false (or ``max_pages``).

        A 429 (over 200 calls a minute, usage-logs.md) is waited out ``rate_retries`` times (its
        ``Retry-After`` when given, else the backoff), then raised.
        """
        offset, pages = 0, 0
        while max_pages is None or pages < max_pages:
            page = self._patient_page({**params, "offset": offset}, rate_retries)
            pages += 1
            more = bool(page["pagination"].get("has_more")) and bool(page["data"])
            yield page["data"], more
            if not more:
                return
            offset += len(page["data"])  # the rows actually served: a short page skips nothing

    def _patient_page(self, params: dict, rate_retries: int) -> dict:
        for attempt in range(rate_retries + 1):
            try:
                return self._logs_page(params)
            except RateLimitError as exc:
                if attempt == rate_retries:
                    raise
                self._sleep(self._backoff(attempt, exc.retry_after_s))
        raise AssertionError("unreachable")  # pragma: no cover

    def logs(
        self, *, period: str, model: str | None = None, max_pages: int = LOGS_MAX_PAGES, rate_retries: int = 3
    ) -> tuple[list[dict], bool]:
        """Every row of the usage log over ``period`` (``24h``, ``7d``), newest first, as the endpoint gave them.

        Pages of :data:`~music01_core.settings.LOGS_PAGE` rows are read with ``offset`` until
        ``has_more`` is false, at most ``max_pages`` of them; a 429 is waited out (``rate_retries`` times).

        Returns
        -------
        (list of dict, bool)
            The rows, and whether they are all of them (False: ``max_pages`` ran out first).

        Raises
        ------
        ApiError
            The endpoint refused (400 window, 401, 403, 429 after the retries, 5xx) or answered
            something that is not the documented ``{data, pagination}``.
        """
        params: dict = {"period": period, "limit": LOGS_PAGE}
        if model:
            params["model"] = model
        rows, complete = [], True
        for page, more in self._pages(params, max_pages=max_pages, rate_retries=rate_retries):
            rows.extend(page)
            complete = not more
        return rows, complete

    def balance(self, *, timeout=BALANCE_TIMEOUT_S) -> tuple[float, str]:
        """The key's balance: ``(current_balance, currency)`` from ``GET /v2/billing``.

        aimlapi/api-docs f14fa72, ``docs/api-references/service-endpoints/billing-v2.json``:
        ``{current_balance: number (USD), currency: "USD"}``, both always present.  Read with a short
        ``timeout`` (connect, read): it is asked before each billed call and must never hold it up.

        Raises
        ------
        ApiError
            No answer (:class:`ApiConnectionError`), a refusal mapped by ``error_from_response``
            (401 key refused…), or an answer without a numeric ``current_balance`` (:class:`ProtocolError`).
        """
        try:
            resp = self.session.get(self.base_url + BILLING_PATH, headers=self._headers(), timeout=timeout)
        except requests.exceptions.RequestException as exc:
            raise ApiConnectionError(f"the balance could not be read ({type(exc).__name__}).", retryable=True) from None
        body = json_or_none(resp)
        if not 200 <= resp.status_code < 300:
            raise error_from_response(resp.status_code, body, resp.headers, operation="balance", redact=self._redact)
        value = body.get("current_balance") if isinstance(body, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ProtocolError(
                "the balance answer is not the documented {current_balance, currency}.",
                http_status=resp.status_code,
                retryable=True,
            )
        currency = body.get("currency")
        return float(value), currency if isinstance(currency, str) and currency else "USD"

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

    def balance(self, *, timeout=BALANCE_TIMEOUT_S) -> Balance:
        """What the key has left (``GET /v2/billing``, read with a short ``timeout``).  Raises ApiError."""
        usd, currency = self.client.balance(timeout=timeout)
        return Balance(usd=usd, currency=currency, checked_at=time.time(), service="aimlapi")

    def logs(self, *, since: str) -> tuple[list[dict], bool]:
        """The usage log's rows of the key over ``since`` (``24h``, ``7d``) and whether they are all there."""
        return self.client.logs(period=since)

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
            options=job.options,
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
