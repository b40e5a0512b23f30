"""HTTP pieces both API paths share: the send-once rule for billed calls, and capped reads."""

from __future__ import annotations

import logging

from .secret import redact_url

logger = logging.getLogger(__name__)

__all__ = ["send_billed", "read_capped"]


def send_billed(
    session, url: str, payload: dict, *, headers: dict, timeout, sleep, backoff, base_url: str, what: str = "request"
):
    """POST a billed request, re-sending it only when the server surely did not take it.

    A connection that never opened, and an explicit HTTP 429, are tried again (up to three
    sends in all); a read timeout or a connection broken after the request went out raises
    an error marked ``may_be_billed``.  Returns the :class:`requests.Response`.
    """
    import requests

    from .backends.api import _never_sent, _retry_after_s
    from .errors import ApiConnectionError, GenerationTimeoutError

    attempts = 0
    while True:
        attempts += 1
        try:
            resp = session.post(url, json=payload, headers=headers, timeout=timeout)
        except requests.exceptions.RequestException as exc:
            if _never_sent(exc) and attempts < 3:
                delay = backoff(attempts - 1, None)
                logger.info("could not connect (%s); nothing was sent, retrying in %.1f s", type(exc).__name__, delay)
                sleep(delay)
                continue
            if _never_sent(exc):
                raise ApiConnectionError(
                    f"could not reach the service at {redact_url(base_url)}: check the network and AIML_API_BASE. "
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
            delay = backoff(attempts - 1, _retry_after_s(resp.headers))
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
