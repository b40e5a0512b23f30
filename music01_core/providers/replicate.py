"""Replicate's predictions API as a provider adapter (registry name ``replicate/prediction``).

Replicate runs MiniMax's original **music-01** (retired on the AI/ML API in August 2026) and
its music-1.5 / 2.5 / 2.6.  Facts and sources: ``shared/api/replicate.md`` (its [O] is
Replicate's OpenAPI document; [P] the ``replicate-python`` SDK @0110c2c; [B] ``replicate-python-beta``
@48e138a).  One generation is:

1. its reference file, if it is on this computer, goes up once through the Files API
   (``POST /v1/files``, multipart ``content``) — or inside the request as a data URI when it is
   under the documented 256 KB [O] — and the input names its ``urls.get`` (:meth:`stage`: not billed);
2. ``POST /v1/models/{owner}/{name}/predictions`` ``{input}`` — **the billed call**, sent once; when the
   model route is refused (404, 422 "Invalid version or not permitted": nothing was made), the
   pinned version is tried on ``POST /v1/predictions`` ``{version, input}``;
3. ``GET /v1/predictions/{id}`` until ``succeeded`` (``output``: one URI), ``failed``, ``canceled``
   or ``aborted``; then the output is downloaded, and the input files are deleted.

Replicate takes no idempotency key and no client request id [O]: a create whose answer was lost
is found again in ``GET /v1/predictions?created_after=…`` by its model, its source (``api``), its
time and a fingerprint of its input (:meth:`recover`), never re-sent.  API predictions keep
their input and output for one hour [O][D3], so the look happens at once.  Replicate reports no
cost: the table's list price and the prediction's ``predict_time`` go with the piece instead.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import logging
import mimetypes
import re
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import requests

from ..errors import (
    ApiConnectionError,
    ApiError,
    ApiInvalidRequestError,
    AuthenticationError,
    BadAudioError,
    EndpointNotFoundError,
    InsufficientCreditsError,
    JobNotFoundError,
    ProtocolError,
    RateLimitError,
    ResultExpiredError,
    ServerError,
)
from ..library import key_fingerprint
from ..models import MODELS
from ..references import Reference, is_loopback_url
from ..settings import LOGS_WINDOW_S, MAX_RESULT_BYTES
from ..transport import USER_AGENT, jittered_backoff_s, json_or_none, read_capped, retry_after_s, send_billed
from ..types import Job, JobStatus, Recovery
from .aimlapi import check_job_audio

logger = logging.getLogger(__name__)

__all__ = ["ReplicatePredictions", "prediction_input", "input_fingerprint", "replicate_error"]

#: [O] "≤ 256kb" for a data URI; other pages say "< 1mb" [M1][D2]: the stricter.
DATA_URI_MAX_BYTES = 256 * 1024
#: How long before the "sent" record a prediction may look created (the two clocks differ).
CLOCK_SKEW_S = 120.0
#: Predictions listed per lost create, at most (pages of 100 [O]).
MAX_LIST_PAGES = 20

# Replicate's lifecycle [O][D5] in the pipeline's words; the last three end a prediction.
_STATUS = {
    "starting": "queued",
    "processing": "generating",
    "succeeded": "completed",
    "failed": "error",
    "canceled": "error",
    "aborted": "error",
}
_ENDED_WITHOUT_AUDIO = {
    "canceled": "the prediction was canceled before it finished",
    # [D6]: public models bill "canceled", not "aborted".
    "aborted": "the prediction was stopped before it started (Replicate does not bill an aborted prediction)",
}


def prediction_input(job: Job) -> dict:
    """The ``input`` of a create for ``job``, each field under the name the model's row gives.

    Settings go as top-level fields (Replicate's models take no ``audio_setting`` object), the
    reference under its purpose's field (``song_file``, ``voice_file``, ``instrumental_file``).
    """
    m = job.model
    body: dict = {}
    for spec, text in ((m.lyrics, job.lyrics), (m.prompt, job.prompt)):
        # A field whose page allows it empty ("0-2000 characters", no default) is sent even so.
        if spec is not None and (text or spec.min_chars == 0):
            body[spec.api_field] = text or ""
    if job.reference is not None:
        body[m.reference.field_for(job.purpose)] = job.reference.value
    spec, setting = m.audio_setting, job.audio_setting
    if spec is not None and setting is not None:
        body[spec.sample_rate_field] = setting.sample_rate
        body["bitrate"] = setting.bitrate
        if spec.format_field:
            body[spec.format_field] = setting.format
    body.update(job.flags)
    return body


def _sha(fields: dict) -> str:
    canonical = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _is_file(value) -> bool:
    return isinstance(value, str) and (value.startswith("data:") or "://" in value)


def input_fingerprint(fields: dict) -> str:
    """``"<field,…>:<sha256 of all>:<sha256 of the text and settings>"`` of an input.

    Only the named fields are compared later, so an echo with defaults added still matches.
    The second hash leaves the file fields out: should Replicate echo a file input rewritten
    (another URL for the same file), the text and settings still recognise the request.
    """
    keys = sorted(fields)
    plain = {k: fields[k] for k in keys if not _is_file(fields[k])}
    return f"{','.join(keys)}:{_sha({k: fields[k] for k in keys})}:{_sha(plain)}"


def _matches(fingerprint: str, fields) -> int:
    """2: the input as sent; 1: its text and settings, with every file field there; 0: not this request."""
    keys, _, rest = fingerprint.partition(":")
    if not isinstance(fields, dict) or not keys or not rest:
        return 0
    names = keys.split(",")
    echoed = {k: fields.get(k) for k in names}
    exact = input_fingerprint(echoed)
    if exact == fingerprint:
        return 2
    files_there = all(fields.get(k) for k in names if k.endswith("_file"))
    return 1 if files_there and exact.rsplit(":", 1)[1] == fingerprint.rsplit(":", 1)[1] else 0


def replicate_error(resp, *, operation: str, redact=lambda s: s) -> ApiError:
    """The error a non-2xx answer of Replicate means (its bodies are RFC 7807 problem details [P]).

    Parameters
    ----------
    resp : requests.Response
    operation : {"create", "poll", "upload", "list", "cancel", "download"}
        A failed ``create`` past a refusal may have made (and billed) a prediction.
    """
    body = json_or_none(resp)
    body = body if isinstance(body, dict) else {}
    detail = redact(str(body.get("detail") or body.get("title") or "").strip().rstrip("."))
    said = f" Replicate said: {detail}." if detail else ""
    status = resp.status_code
    common = {"http_status": status, "retry_after_s": retry_after_s(resp.headers)}
    if status == 401:
        return AuthenticationError(
            "Replicate did not accept the token (HTTP 401): check REPLICATE_API_TOKEN — a token from "
            "https://replicate.com/account/api-tokens, starting r8_." + said,
            **common,
        )
    if status == 402:
        return InsufficientCreditsError(
            "Replicate asks for payment (HTTP 402): set up billing or add credit at "
            "https://replicate.com/account/billing, then try again. Nothing was made." + said,
            **common,
        )
    if status in (400, 403, 409):
        # A refusal before anything was made: a bad body, a token not allowed to run it, a conflict.
        why = {400: "refused the request", 403: "does not allow this token to do that", 409: "reports a conflict"}
        return ApiInvalidRequestError(
            f"Replicate {why[status]} (HTTP {status}); nothing was made."
            + said
            + (" Check the token's account and its billing at https://replicate.com/account." if status == 403 else ""),
            **common,
        )
    if status == 404:
        what = "the prediction" if operation in ("poll", "cancel") else "the model or route"
        cls = JobNotFoundError if operation in ("poll", "cancel") else EndpointNotFoundError
        return cls(f"Replicate does not know {what} (HTTP 404)." + said, **common)
    if status == 413:
        return ApiInvalidRequestError(
            "the file is too large for Replicate's Files API (HTTP 413, 100 MB at most): prepare a shorter clip."
            + said,
            **common,
        )
    if status == 422:
        hint = "Fix what it names and try again."
        if "invalid version" in str(body.get("title") or "").lower():
            # [I3]: also said when the account may not run the model (no billing set up).
            hint = "Check that the model exists and that the account may run it (billing at https://replicate.com/account)."
        return ApiInvalidRequestError(
            f"Replicate refused the request (HTTP 422): {detail or 'no details given'}. {hint}", **common
        )
    if status == 429:
        # No Retry-After in any recorded answer; the body says "Your rate limit resets in ~30s." [D7].
        resets = re.search(r"resets in ~?(\d+)\s*s", detail or "")
        if common["retry_after_s"] is None and resets:
            common["retry_after_s"] = float(resets.group(1))
        wait = f"{common['retry_after_s']:.0f} s" if common["retry_after_s"] is not None else "a minute"
        return RateLimitError(
            f"Replicate is throttling requests (HTTP 429): wait {wait} and try again." + said,
            retryable=True,
            **common,
        )
    if status >= 500:
        return ServerError(
            f"Replicate answered HTTP {status}: try again later." + said,
            retryable=True,
            may_be_billed=operation == "create",
            **common,
        )
    # 408 and other answers after the request arrived: a create may have been made.
    return ApiError(f"Replicate answered HTTP {status}." + said, may_be_billed=operation == "create", **common)


class ReplicatePredictions:
    """The provider adapter for MiniMax's models on Replicate.

    Parameters
    ----------
    connection : Client
        Gives the Replicate credential (its token is sent to Replicate only), the timeouts,
        the backoff and the sleep.
    """

    name = "replicate"
    label = "Replicate"
    offline = False
    answers_once = False
    publisher = None
    #: A lost create shows in the list at once (no log lag), and its input only lives an hour.
    recover_waits_s = (0.0, 3.0, 10.0)
    #: How the pipeline names the records :meth:`recover` reads, in its messages.
    records_name = "prediction list"
    #: Replicate removes an API prediction's input and output an hour after it ends [O][D3].
    keeps_output_s = 3600.0
    records_lag = " (a create the connection lost before it arrived was never made; Replicate keeps the list's inputs for an hour)"

    def __init__(self, connection) -> None:
        cred = connection.credential("replicate")
        if cred is None:
            raise AuthenticationError("no Replicate token: set REPLICATE_API_TOKEN (or paste one in the app).")
        self.service = cred.service
        self.base_url = cred.base_url
        self._token = cred.token
        self.key_fp = key_fingerprint(cred.token.reveal())
        self.local_service = is_loopback_url(self.base_url)
        # Its own sessions: no header or cookie of another service rides along, nor the reverse.
        self.session = requests.Session()
        self.download_session = requests.Session()
        self.timeout = (getattr(connection, "timeout", (10.0, 60.0))[0], 60.0)
        self._sleep = getattr(connection, "_sleep", time.sleep)
        self.backoff_s = getattr(connection, "backoff_s", 1.0)
        self.max_backoff_s = getattr(connection, "max_backoff_s", 30.0)
        self._redact = getattr(connection, "_redact", lambda s: s)
        self._files: dict[str, list[str]] = {}  # prediction id -> our uploads it names (deleted once fetched)

    def __repr__(self) -> str:
        return f"ReplicatePredictions(base_url={self.base_url!r}, token=<set>)"

    # --- HTTP -------------------------------------------------------------------------------
    def _headers(self) -> dict:
        # "Bearer" as both SDKs send it ([P] client.py, [B] _client.py).
        return {
            "Authorization": f"Bearer {self._token.reveal()}",
            "User-Agent": USER_AGENT,
            "Accept": "application/json",
        }

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return jittered_backoff_s(attempt, retry_after, base_s=self.backoff_s, max_s=self.max_backoff_s)

    def _call(self, method: str, path_or_url: str, *, operation: str, tries: int = 3, **kwargs):
        """A call that is safe to repeat (never a create): connection failures, 429 and 5xx tried ``tries`` times."""
        url = path_or_url if path_or_url.startswith("http") else self.base_url + path_or_url
        last: ApiError | None = None
        for attempt in range(tries):
            if attempt:
                self._sleep(self._backoff(attempt - 1, last.retry_after_s if last else None))
            try:
                resp = self.session.request(method, url, headers=self._headers(), timeout=self.timeout, **kwargs)
            except requests.exceptions.RequestException as exc:
                last = ApiConnectionError(
                    f"Replicate could not be reached ({type(exc).__name__}): check the network.", retryable=True
                )
                continue
            if 200 <= resp.status_code < 300:
                return resp
            last = replicate_error(resp, operation=operation, redact=self._redact)
            if not last.retryable:
                raise last
        raise last

    def _json(self, resp, what: str) -> dict:
        body = json_or_none(resp)
        if not isinstance(body, dict):
            raise ProtocolError(
                f"Replicate's answer to the {what} is not a JSON object: try again later.", retryable=True
            )
        return body

    # --- files (not billed) -----------------------------------------------------------------
    def stage(self, job: Job) -> Job:
        """Send a local reference ahead of the create: a data URI under 256 KB, else the Files API's ``urls.get``."""
        ref = job.reference
        if ref is None or ref.kind != "file":
            return job
        data = Path(ref.local_path or ref.value).read_bytes()
        mime = mimetypes.types_map.get(f".{ref.format}", "audio/mpeg" if ref.format == "mp3" else "audio/wav")
        if len(data) <= DATA_URI_MAX_BYTES:
            uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
            return replace(job, reference=replace(ref, kind="base64", value=uri))
        # One upload per request, never reused: the prediction that names it deletes it when it ends, and
        # another still running must not lose its input then.
        url = self._upload(data, ref, mime)
        return replace(job, reference=replace(ref, kind="url", value=url))

    def _upload(self, data: bytes, ref: Reference, mime: str) -> str:
        name = f"{ref.name or 'reference'}.{ref.format}"
        resp = self._call(
            "POST",
            "/v1/files",
            operation="upload",
            tries=1,  # a retried upload could leave a second copy of someone's voice behind
            files={"content": (name, data, mime)},
            data={"filename": name, "type": mime, "metadata": json.dumps({"music01": ref.sha256})},
        )
        body = self._json(resp, "file upload")
        url = (body.get("urls") or {}).get("get") if isinstance(body.get("urls"), dict) else None
        if not url:
            raise ProtocolError(
                "Replicate's answer to the file upload has no urls.get: try again later.", retryable=True
            )
        logger.info("uploaded the reference to Replicate as %s (%d bytes)", body.get("id"), len(data))
        return url

    def _delete_uploads(self, urls) -> None:
        """Delete our uploads once the prediction that named them is over (they are someone's voice)."""
        for url in urls:
            try:
                self._call("DELETE", url, operation="upload", tries=1)
            except ApiError as exc:
                logger.info("could not delete an uploaded reference (%s); it expires on its own", type(exc).__name__)

    # --- the billed call ----------------------------------------------------------------------
    def fingerprint(self, job: Job) -> str:
        """How :meth:`recover` recognises this request among the account's predictions."""
        return input_fingerprint(prediction_input(job))

    def submit(self, job: Job) -> JobStatus:
        """Create the prediction once (the billed call); the pinned version when the model route is refused."""
        m, payload = job.model, {"input": prediction_input(job)}
        logger.info("creating a %s prediction on %s", m.remote_id, self.base_url)
        resp = self._create(f"/v1/models/{m.remote_id}/predictions", payload)
        if _refused_route(resp) and m.version:
            # Refused before anything was made (404, or 422 "Invalid version or not permitted"): not a second create.
            logger.info("the model route was refused (HTTP %s); creating with the pinned version", resp.status_code)
            resp = self._create("/v1/predictions", {"version": m.version, **payload})
        if not 200 <= resp.status_code < 300:
            raise replicate_error(resp, operation="create", redact=self._redact)
        try:
            return self._status(self._json(resp, "create"))
        except ProtocolError:
            raise ProtocolError(
                "Replicate's answer to the create has no prediction id, so it cannot be followed.",
                http_status=resp.status_code,
                may_be_billed=True,
            ) from None

    def _create(self, path: str, payload: dict):
        return send_billed(
            self.session,
            self.base_url + path,
            payload,
            headers=self._headers(),
            timeout=self.timeout,
            sleep=self._sleep,
            backoff=self._backoff,
            base_url=self.base_url,
            what="create",
            base_env="REPLICATE_BASE_URL",
        )

    # --- following ----------------------------------------------------------------------------
    def poll(self, generation_id: str) -> JobStatus:
        """GET the prediction once (safe to repeat)."""
        resp = self._call("GET", f"/v1/predictions/{generation_id}", operation="poll", tries=1)
        return self._status(self._json(resp, "status check"), expect_id=generation_id)

    def cancel(self, generation_id: str) -> JobStatus:
        """Ask Replicate to stop the prediction (``canceled`` if it runs, ``aborted`` if it had not started)."""
        resp = self._call("POST", f"/v1/predictions/{generation_id}/cancel", operation="cancel", tries=1)
        return self._status(self._json(resp, "cancel"), expect_id=generation_id)

    def _status(self, p: dict, *, expect_id: str | None = None) -> JobStatus:
        gid, raw = p.get("id") or expect_id, str(p.get("status") or "").strip().lower()
        if not gid or not raw:
            raise ProtocolError("Replicate's prediction has no id or status: try again later.", retryable=True)
        output = p.get("output")
        url = output[0] if isinstance(output, list) and output else output
        url = url if isinstance(url, str) and url else None
        if raw == "succeeded" and url is None and p.get("data_removed"):
            raise ResultExpiredError(
                "Replicate has removed this prediction's output: it keeps an API prediction's data for one hour.",
                generation_id=str(gid),
            )
        self._remember_uploads(str(gid), p.get("input"))
        if raw in _ENDED_WITHOUT_AUDIO or raw == "failed":
            self._delete_uploads(self._files.pop(str(gid), ()))  # over without audio: its input is not needed
        metrics = p.get("metrics") if isinstance(p.get("metrics"), dict) else {}
        extra = {k: v for k, v in (("predict_time_s", metrics.get("predict_time")), ("replicate_status", raw)) if v}
        price = _list_price(p.get("model"))
        if price is not None:
            extra["list_price"] = price.describe()
        error = p.get("error")
        return JobStatus(
            id=str(gid),
            status=_STATUS.get(raw, raw),
            audio_url=url if raw == "succeeded" else None,
            content_type="audio/mpeg" if url and url.lower().split("?")[0].endswith(".mp3") else None,
            error_name=raw if raw in ("failed", "canceled", "aborted") else None,
            error_message=(str(error) if error else _ENDED_WITHOUT_AUDIO.get(raw))
            if raw in _ENDED_WITHOUT_AUDIO or error
            else None,
            extra_info=extra or None,
            inference_id=str(gid),
        )

    def _remember_uploads(self, gid: str, fields) -> None:
        ours = f"{self.base_url}/v1/files/"
        if isinstance(fields, dict) and gid not in self._files:
            self._files[gid] = [v for v in fields.values() if isinstance(v, str) and v.startswith(ours)]

    def download(self, status: JobStatus) -> bytes:
        """The output (a URI, or a ``data:`` URI in sync mode [P]); then the uploads it was made from are deleted."""
        url = status.audio_url or ""
        if url.startswith("data:"):
            audio = _from_data_uri(url)
        else:
            audio = self._fetch(url)
        self._delete_uploads(self._files.pop(status.id, ()))
        return audio

    def _fetch(self, url: str) -> bytes:
        """The output file: without credentials first ([B] and the JS SDK send none); with the token only
        when Replicate's own host asks for it ([O] says output URLs want it; [D4] does not)."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise BadAudioError("the prediction's output is not an http(s) URL.")
        host = (parts.hostname or "").lower()
        # The token goes only to Replicate's own hosts, over https (or to its emulator on this machine).
        own = (
            host == urlsplit(self.base_url).hostname
            or host == "replicate.delivery"
            or host.endswith(".replicate.delivery")
        ) and (parts.scheme == "https" or self.local_service)
        for headers in ({"User-Agent": USER_AGENT}, self._headers() if own else None):
            if headers is None:
                break
            try:
                with self.download_session.get(url, timeout=self.timeout, stream=True, headers=headers) as r:
                    if r.status_code in (401, 403) and own and "Authorization" not in headers:
                        continue
                    if r.status_code in (401, 403, 404, 410):
                        # Not final on its own: the prediction's own answer says whether the output was removed.
                        raise BadAudioError(
                            f"the output's link answered HTTP {r.status_code}. Replicate keeps an API prediction's "
                            "output for one hour after it ends.",
                            retryable=True,
                        )
                    if r.status_code != 200:
                        raise BadAudioError(f"the output's link answered HTTP {r.status_code}.", retryable=True)
                    return read_capped(
                        r,
                        max_bytes=MAX_RESULT_BYTES,
                        too_big=lambda n: BadAudioError(f"the output is over the {MAX_RESULT_BYTES >> 20} MB cap."),
                    )
            except requests.exceptions.RequestException as exc:
                raise BadAudioError(
                    f"the output could not be downloaded ({type(exc).__name__}).", retryable=True
                ) from None
        raise BadAudioError("the output's link refused the download (HTTP 401/403).", retryable=True)

    def check_audio(self, audio: bytes, fmt: str) -> tuple[float, int]:
        """``(duration_s, channels)``; raises BadAudioError when it does not decode."""
        return check_job_audio(audio, fmt)

    # --- a lost create ------------------------------------------------------------------------
    def recover(self, record, *, known: frozenset = frozenset()) -> Recovery | None:
        """The prediction a create whose answer was lost made, from the account's list; None if not listed.

        Matched on model, ``source`` (``api``; absent in older answers), the time around the
        "sent" record, and the input's fingerprint; predictions this machine already follows
        (``known``) are someone else's answer.  Of several that fit, the first made after the
        record was written is ours (a later one with the same input is another person's, on a
        shared token).  Without the input (removed after an hour), or with file fields echoed
        otherwise, only exactly one fitting prediction is taken.
        """
        m = MODELS.get(record.model)
        remote = m.remote_id if m is not None else record.model
        exact, loose, unsure = [], [], []
        for p in self._listed(record.created - CLOCK_SKEW_S):
            created = _parse_time(p.get("created_at"))
            if p.get("model") != remote or p.get("source") not in (None, "api") or str(p.get("id")) in known:
                continue
            if created is None or abs(created - record.created) > LOGS_WINDOW_S:
                continue
            how = _matches(record.fingerprint, p.get("input")) if record.fingerprint else 0
            (exact if how == 2 else loose if how == 1 else unsure if p.get("data_removed") else []).append((created, p))
        picks = (
            sorted(exact, key=lambda cp: cp[0])
            or (loose if len(loose) == 1 else [])
            or (unsure if len(unsure) == 1 else [])
        )
        if not picks:
            return None
        pick = picks[0][1]
        return Recovery(billed=pick.get("status") != "aborted", generation_id=str(pick["id"]))

    def _listed(self, after: float):
        """Every prediction created after ``after`` (Unix time), newest first, following ``next`` pages."""
        url, pages = f"{self.base_url}/v1/predictions", 0
        params = {"created_after": _iso(after)}
        while url and pages < MAX_LIST_PAGES:
            page = self._json(self._call("GET", url, operation="list", tries=1, params=params), "prediction list")
            pages += 1
            results = page.get("results")
            if not isinstance(results, list):
                raise ProtocolError("Replicate's prediction list has no results: try again later.", retryable=True)
            yield from (p for p in results if isinstance(p, dict))
            nxt = page.get("next")
            # "next" is a full URL with its cursor [O]; the token goes only to Replicate's own host.
            url = nxt if isinstance(nxt, str) and urlsplit(nxt).netloc == urlsplit(self.base_url).netloc else None
            params = None

    def model_of(self, generation_id: str) -> str | None:
        """The table's row of a prediction this machine has no record of; None if unknown."""
        try:
            p = self._json(self._call("GET", f"/v1/predictions/{generation_id}", operation="poll", tries=1), "status")
        except ApiError:
            return None
        return next(
            (m.id for m in MODELS.values() if m.provider == "replicate" and m.remote_id == p.get("model")), None
        )


def _refused_route(resp) -> bool:
    if resp.status_code == 404:
        return True
    body = json_or_none(resp)
    title = str(body.get("title") or "") if isinstance(body, dict) else ""
    return resp.status_code == 422 and "invalid version" in title.lower()


def _list_price(remote_id):
    m = next((m for m in MODELS.values() if m.provider == "replicate" and m.remote_id == remote_id), None)
    return m.list_price if m is not None else None


def _from_data_uri(uri: str) -> bytes:
    head, _, payload = uri.partition(",")
    if ";base64" not in head:
        raise BadAudioError("the prediction's output is a data URI that is not Base64.")
    try:
        return base64.b64decode(payload, validate=True)
    except (binascii.Error, ValueError):
        raise BadAudioError("the prediction's output is a data URI that does not decode.") from None


def _parse_time(value) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _iso(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
