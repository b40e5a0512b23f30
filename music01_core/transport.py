"""The bottom of every HTTP call music01 makes: headers, backoff, the send-once rule, capped reads,
and what a gateway's status and body mean as an exception.

Nothing here knows a model or a provider's paths: the clients above (the job client, the music-01
calls, the reference fetcher) bring those.  It imports only errors and secret.
"""

from __future__ import annotations

import email.utils
import ipaddress
import logging
import os
import random
import re
import time
from urllib.parse import urlsplit

from .errors import (
    BASE_RESP_ERRORS,
    HTTP_STATUS_ERRORS,
    RETRYABLE_CODES,
    RETRYABLE_HTTP,
    ApiConnectionError,
    ApiError,
    ApiUnknownIdError,
    GenerationTimeoutError,
    InputError,
    ProtocolError,
    ServerError,
)
from .secret import looks_like_key, redact_url

logger = logging.getLogger(__name__)

__all__ = [
    "USER_AGENT",
    "auth_headers",
    "jittered_backoff_s",
    "retry_after_s",
    "never_sent",
    "json_or_none",
    "send_billed",
    "read_capped",
    "error_from_response",
    "normalize_base_url",
    "local_host",
]

USER_AGENT = "music01 (+https://github.com/music01)"


def normalize_base_url(
    base: str | None,
    *,
    default: str = "https://api.aimlapi.com",
    env: str = "AIML_API_BASE",
    key_env: str = "AIML_API_KEY",
) -> str:
    """A service's root: no trailing ``/``, and no trailing ``/v1`` or ``/v2`` (the adapters add their paths).

    Parameters
    ----------
    base : str or None
        As set (None or blank: ``default``).
    default : str
    env, key_env : str
        The variables named in messages: where the base is set, and where the key belongs.

    Raises
    ------
    InputError
        Not http(s); holding what looks like a key, a password or a query; or http:// to a
        host that is not this machine (unless ``MUSIC01_INSECURE_HTTP=1``).  Never echoes the value.
    """
    base = (base or "").strip() or default
    base = re.sub(r"/v[12]$", "", base.rstrip("/"))
    if not re.match(r"^https?://[^/\s]", base):
        raise InputError(f"the API base URL ({env}) must start with https:// — for example {default}.")
    parts = urlsplit(base)
    if (
        "@" in parts.netloc
        or parts.query
        or parts.fragment
        or any(looks_like_key(p) for p in (parts.hostname or "").split("."))
        or any(looks_like_key(p) for p in parts.path.split("/"))
    ):
        raise InputError(
            f"the API base URL ({env}) holds what looks like a key, a password or a query: the key "
            f"belongs in {key_env}, and the base is just the service's address, for example {default}."
        )
    if (
        base.startswith("http://")
        and not local_host(parts.hostname or "")
        and os.environ.get("MUSIC01_INSECURE_HTTP") != "1"
    ):
        raise InputError(
            f"the API base URL ({env}) uses http:// for a host that is not this machine: the "
            "key would travel in clear text. Use https://, or http://127.0.0.1 for a local emulator "
            "(for a room emulator with a throwaway key, set MUSIC01_INSECURE_HTTP=1)."
        )
    return base


def local_host(host: str) -> bool:
    """Whether ``host`` is this machine (a loopback name or address)."""
    if host.lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def auth_headers(key, *, client_request_id: str | None = None) -> dict:
    """Headers of a call to the API itself (never to a CDN): the key as a Bearer token, and the
    ``X-Client-Request-Id`` a billed call is traced by, when given."""
    headers = {"Authorization": f"Bearer {key.reveal()}", "User-Agent": USER_AGENT, "Accept": "application/json"}
    if client_request_id:
        headers["X-Client-Request-Id"] = client_request_id
    return headers


def jittered_backoff_s(attempt: int, retry_after: float | None, *, base_s: float, max_s: float) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): the server's ``Retry-After`` when it gave
    one (capped at twice ``max_s``), else exponential from ``base_s`` with jitter, capped at ``max_s``."""
    if retry_after is not None:
        return min(retry_after, max_s * 2)
    return min(max_s, base_s * 2**attempt) * (0.5 + random.random() / 2)


def json_or_none(resp):
    """The response's JSON body, or None when it is not JSON."""
    try:
        return resp.json()
    except ValueError:
        return None


def retry_after_s(headers) -> float | None:
    value = (headers or {}).get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
            return max(0.0, when.timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def _gateway_detail(body) -> tuple[str, str | None]:
    """(message, requestId) from a gateway error body, parsed loosely."""
    if not isinstance(body, dict):
        return "", None
    msg = body.get("message") or body.get("error") or ""
    if isinstance(msg, list):
        msg = "; ".join(str(m) for m in msg)
    elif isinstance(msg, dict):
        msg = str(msg.get("message") or msg)
    request_id = body.get("requestId") or body.get("request_id")
    return str(msg), (str(request_id) if request_id else None)


def error_from_response(
    status: int, body, headers=None, *, operation: str, redact=lambda s: s, has_ids: bool = False
) -> ApiError | None:
    """The :class:`ApiError` a response means, or None when it is a success.

    Success is HTTP 2xx **and** ``base_resp.status_code == 0``.  The gateway's HTTP status
    is checked first, then the upstream's ``base_resp`` code (which usually comes with 200).
    """
    headers = headers or {}
    inference_id = headers.get("x-inference-id")
    trace_id = body.get("trace_id") if isinstance(body, dict) else None
    billed = operation == "generate"
    base = body.get("base_resp") if isinstance(body, dict) else None
    code = _int_or_none(base.get("status_code")) if isinstance(base, dict) else None
    ids = {"trace_id": trace_id, "inference_id": inference_id}
    if not 200 <= status < 300 and code not in BASE_RESP_ERRORS:
        # A known upstream code says more than the gateway's status (400 + 1026 is "change the
        # lyrics", not "invalid"), so only an unknown or missing code is classified by status.
        return _http_status_error(status, body, headers, code=code, billed=billed, redact=redact, **ids)
    if (malformed := _malformed(status, body, base, code, billed=billed, **ids)) is not None:
        return malformed
    if code == 0:
        return None
    cls, msg = _base_resp_message(code, base, operation=operation, redact=redact, has_ids=has_ids)
    _, request_id = _gateway_detail(body) if not 200 <= status < 300 else (None, None)
    return cls(
        msg,
        http_status=status,
        code=code,
        trace_id=trace_id,
        inference_id=inference_id,
        request_id=request_id,
        retryable=code in RETRYABLE_CODES,
        may_be_billed=billed and (code in (1001, 1027, 1000, 1024, 1033) or status >= 500),
        retry_after_s=retry_after_s(headers),
    )


def _http_status_error(
    status: int, body, headers, *, code: int | None, billed: bool, redact, trace_id, inference_id
) -> ApiError:
    """The error a gateway's non-2xx status means when no known upstream code says more."""
    detail, request_id = _gateway_detail(body)
    cls, template = HTTP_STATUS_ERRORS.get(
        status, (ServerError if status >= 500 else ApiError, f"the service answered HTTP {status}: {{detail}}")
    )
    msg = template.format(detail=redact(detail) or "no details given")
    if detail and "{detail}" not in template:
        msg += f" The service said: {redact(detail).rstrip('.')}."
    # A rejection before the work started is not billed; a 5xx/504 after it may be.
    may_be_billed = billed and status >= 500
    return cls(
        msg,
        http_status=status,
        code=code,
        trace_id=trace_id,
        inference_id=inference_id,
        request_id=request_id,
        may_be_billed=may_be_billed,
        retryable=status in RETRYABLE_HTTP,
        retry_after_s=retry_after_s(headers),
    )


def _malformed(
    status: int, body, base, code: int | None, *, billed: bool, trace_id, inference_id
) -> ProtocolError | None:
    """The :class:`ProtocolError` for a body without a usable ``base_resp`` code; None when it has one."""
    if not isinstance(body, dict):
        return ProtocolError(
            "the service's answer is not JSON: try again later.",
            http_status=status,
            inference_id=inference_id,
            may_be_billed=billed,
        )
    if not isinstance(base, dict) or "status_code" not in base:
        return ProtocolError(
            "the service's answer has no base_resp: try again later.",
            http_status=status,
            trace_id=trace_id,
            inference_id=inference_id,
            may_be_billed=billed,
        )
    if code is None:
        return ProtocolError(
            f"base_resp.status_code is not a number: {base.get('status_code')!r}",
            http_status=status,
            trace_id=trace_id,
            inference_id=inference_id,
        )
    return None


def _base_resp_message(code: int, base: dict, *, operation: str, redact, has_ids: bool) -> tuple[type[ApiError], str]:
    """(error class, message) for a non-zero ``base_resp`` code, with a hint on what to do."""
    detail = redact(str(base.get("status_msg") or "no details given"))
    cls, template = BASE_RESP_ERRORS.get(code, (ApiError, f"music-01 answered error {code}: {{detail}}"))
    msg = template.format(detail=detail)
    if code == 2013:
        if operation == "generate" and has_ids and _blames_an_id(detail):
            cls = ApiUnknownIdError
            msg += " — an id may be unknown or expired: upload the reference again."
        elif operation == "generate" and has_ids:
            # Not renewed automatically: a second billed generate would fail the same way.
            msg += " — fix what the message names; if it was an id that expired, upload the reference again."
        elif operation == "upload":
            msg += " — check the purpose and that the file is a valid MP3/WAV of 10 s to 10 min."
    elif "{detail}" not in template and detail and detail != "success":
        msg += f" (music-01 said: {detail})"
    return cls, msg


_ID_WORDS = re.compile(
    r"\b(voice_id|instrumental_id|refer_voice|refer_instrumental|ids?|expired|not (?:exist|found)|"
    r"unknown (?:voice|instrumental|file))\b",
    re.I,
)
_OTHER_FIELDS = re.compile(r"\b(lyrics|sample_rate|bitrate|format|audio_setting|model|prompt)\b", re.I)


def _blames_an_id(status_msg: str) -> bool:
    """Whether a 2013's message points at a voice/instrumental id rather than the lyrics or a setting."""
    return bool(_ID_WORDS.search(status_msg or "")) and not _OTHER_FIELDS.search(status_msg or "")


def _int_or_none(value) -> int | None:
    if isinstance(value, bool):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def never_sent(exc: BaseException) -> bool:
    """True when a requests exception means the connection never opened (nothing sent)."""
    import requests
    import urllib3.exceptions as ue

    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    seen = set()
    stack = [exc]
    while stack:
        e = stack.pop()
        if id(e) in seen or e is None:
            continue
        seen.add(id(e))
        if isinstance(e, (ue.NewConnectionError, ue.ConnectTimeoutError)):
            return True
        if isinstance(e, ue.MaxRetryError):
            stack.append(e.reason)
        stack.extend(
            [
                getattr(e, "__cause__", None),
                getattr(e, "__context__", None),
                *[a for a in getattr(e, "args", ()) if isinstance(a, BaseException)],
            ]
        )
    return False


def send_billed(
    session,
    url: str,
    payload: dict,
    *,
    headers: dict,
    timeout,
    sleep,
    backoff,
    base_url: str,
    what: str = "request",
    base_env: str = "AIML_API_BASE",
):
    """POST a billed request, re-sending it only when the server surely did not take it.

    A connection that never opened, and an explicit HTTP 429, are tried again (up to three
    sends in all); a read timeout or a connection broken after the request went out raises
    an error marked ``may_be_billed``.  Returns the :class:`requests.Response`.
    """
    import requests

    attempts = 0
    while True:
        attempts += 1
        try:
            resp = session.post(url, json=payload, headers=headers, timeout=timeout)
        except requests.exceptions.RequestException as exc:
            if never_sent(exc) and attempts < 3:
                delay = backoff(attempts - 1, None)
                logger.info("could not connect (%s); nothing was sent, retrying in %.1f s", type(exc).__name__, delay)
                sleep(delay)
                continue
            if never_sent(exc):
                raise ApiConnectionError(
                    f"could not reach the service at {redact_url(base_url)}: check the network and {base_env}. "
                    "Nothing was sent."
                ) from None
            if isinstance(exc, requests.exceptions.ReadTimeout):
                raise GenerationTimeoutError(
                    f"no answer to the {what} within {timeout[1]:.0f} s (the read timeout).", may_be_billed=True
                ) from None
            raise ApiConnectionError(
                f"the connection broke while waiting for the answer to the {what} ({type(exc).__name__}).",
                may_be_billed=True,
            ) from None
        if resp.status_code == 429 and attempts < 3:
            # An explicit rejection: the work did not start, so one more try is safe.
            delay = backoff(attempts - 1, retry_after_s(resp.headers))
            logger.info("%s rejected with 429; retrying in %.1f s", what, delay)
            sleep(delay)
            continue
        return resp


def read_capped(resp, *, max_bytes: int, too_big) -> bytes:
    """The body of a streamed response, refused past ``max_bytes``.

    ``too_big(size_or_None)`` builds the exception to raise: with the declared size when
    the server announced it (nothing is downloaded then), else with None.
    """
    declared = resp.headers.get("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise too_big(int(declared))
    chunks, total = [], 0
    for chunk in resp.iter_content(1 << 16):
        total += len(chunk)
        if total > max_bytes:
            raise too_big(None)
        chunks.append(chunk)
    return b"".join(chunks)
