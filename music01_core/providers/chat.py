"""The AI/ML API's chat completions, sent once: what music01 asks a language model for (lyrics).

The provider's reference (aimlapi/api-docs at commit f14fa72):

- ``docs/api-references/text-models-llm/MiniMax/m2.json``: ``POST /v1/chat/completions`` (operationId
  ``_v1_chat_completions``; the same schema at ``/chat/completions``), ``required: ["model", "messages"]``;
  ``max_tokens`` a number ≥ 1 ("can be used to control costs"); ``temperature`` 0–1 for ``minimax/m2``
  (``gpt-4o-mini.json``: 0–2).  The answer: ``{id, object: "chat.completion", created, model, choices[{index,
  message{role, content}, finish_reason}], usage{prompt_tokens, completion_tokens, total_tokens}, meta?{usage?
  {credits_used, usd_spent}}}``.  m2's example answer (``minimax/m2.md``) carries its reasoning inline, as
  ``<think>…</think>`` at the start of ``content``: the content is handed back as it came, and the caller
  (:func:`music01_core.lyrics_writer.clean_chat_text`) treats it as untrusted text.
- ``docs/capabilities/request-tracing-and-cost.md``: ``X-Client-Request-Id`` on the request; the answer's
  ``x-inference-id``, ``x-aimlapi-credits-used`` and ``x-aimlapi-usd-spent`` headers.

The call is billed, so it goes through :func:`music01_core.transport.send_billed` like a job submit: re-sent
only when the connection never opened or on an explicit 429; anything after the request may have reached the
service raises an error marked ``may_be_billed``, and nothing is sent again.  The key goes in the
``Authorization`` header only; the content is never logged.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from ..errors import ProtocolError
from ..transport import auth_headers, error_from_response, jittered_backoff_s, json_or_none, send_billed

logger = logging.getLogger(__name__)

__all__ = ["CHAT_PATH", "ChatAnswer", "ChatCompletions"]

#: The chat completions path (m2.json: ``/v1/chat/completions``; ``/chat/completions`` is the same).
CHAT_PATH = "/v1/chat/completions"


@dataclass(frozen=True)
class ChatAnswer:
    """One chat completion as the service answered it: its content untouched (untrusted), its ids and cost.

    Attributes
    ----------
    content : str
        ``choices[0].message.content`` exactly as sent (``<think>`` blocks, markup and all).
    finish_reason : str
        ``stop``, ``length`` (cut at ``max_tokens``), ``content_filter``…; "" when absent.
    model : str
        The answer's ``model`` (``MiniMax-M2`` for ``minimax/m2``).
    completion_id : str
        The answer's ``id``.
    prompt_tokens, completion_tokens : int or None
        ``usage``.
    credits_used, usd_spent : str or None
        ``meta.usage``, else the ``x-aimlapi-credits-used`` / ``x-aimlapi-usd-spent`` headers.
    inference_id, client_request_id : str or None
        ``x-inference-id``, and the request id the service echoed (else the one sent).
    """

    content: str
    finish_reason: str = ""
    model: str = ""
    completion_id: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    credits_used: str | None = None
    usd_spent: str | None = None
    inference_id: str | None = None
    client_request_id: str | None = None


class ChatCompletions:
    """``POST {base}/v1/chat/completions`` with the key, once.

    Parameters
    ----------
    base_url : str
        The service root (normalised: no ``/v1``).
    key : Secret
        Sent in the ``Authorization`` header to ``base_url`` only.
    session : requests.Session
    timeout : (float, float)
        Connect and read timeouts, in seconds (a model that reasons takes a while: the read one is long).
    sleep : callable
    backoff_s, max_backoff_s : float
        Between sends when the connection never opened, or after a 429.
    redact : callable
        Removes the key from any text shown.
    """

    def __init__(
        self,
        base_url: str,
        key,
        *,
        session,
        timeout=(10.0, 120.0),
        sleep=time.sleep,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        redact=lambda s: s,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self.session = session
        self.timeout = timeout
        self._sleep = sleep
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self._redact = redact

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return jittered_backoff_s(attempt, retry_after, base_s=self.backoff_s, max_s=self.max_backoff_s)

    def complete(self, payload: dict, *, client_request_id: str | None = None) -> ChatAnswer:
        """Send one chat completion (the billed call) and return the answer as it came.

        Parameters
        ----------
        payload : dict
            ``{model, messages, max_tokens, temperature…}`` (checked by the caller).
        client_request_id : str, optional
            Sent as ``X-Client-Request-Id``, so the usage log can name the request.

        Raises
        ------
        ApiError
            Mapped by :func:`~music01_core.transport.error_from_response` (401 key, 403 credits, 429, 5xx…);
            a lost answer (read timeout, broken connection) is marked ``may_be_billed``; an answer without
            ``choices[0].message.content`` is a :class:`~music01_core.errors.ProtocolError`, ``may_be_billed``.
        """
        resp = send_billed(
            self.session,
            self.base_url + CHAT_PATH,
            payload,
            headers=auth_headers(self._key, client_request_id=client_request_id),
            timeout=self.timeout,
            sleep=self._sleep,
            backoff=self._backoff,
            base_url=self.base_url,
            what="lyrics request",
        )
        body = json_or_none(resp)
        if not 200 <= resp.status_code < 300:
            raise error_from_response(resp.status_code, body, resp.headers, operation="generate", redact=self._redact)
        logger.info("chat answer %s (%s)", resp.headers.get("x-inference-id") or "?", resp.status_code)
        return _answer(body, resp.headers, client_request_id, status=resp.status_code)


def _answer(body, headers, client_request_id: str | None, *, status: int) -> ChatAnswer:
    """The :class:`ChatAnswer` of a 2xx body, or a ProtocolError for one without a text content."""
    choices = body.get("choices") if isinstance(body, dict) else None
    first = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
    message = first.get("message") if isinstance(first.get("message"), dict) else {}
    content = _text_of(message.get("content"))
    if content is None:
        raise ProtocolError(
            "the chat answer has no choices[0].message.content: no lyrics came back.",
            http_status=status,
            inference_id=headers.get("x-inference-id"),
            may_be_billed=True,
        )
    usage = body.get("usage") if isinstance(body.get("usage"), dict) else {}
    meta = body.get("meta") if isinstance(body.get("meta"), dict) else {}
    billed = meta.get("usage") if isinstance(meta.get("usage"), dict) else {}
    return ChatAnswer(
        content=content,
        finish_reason=str(first.get("finish_reason") or ""),
        model=str(body.get("model") or ""),
        completion_id=str(body.get("id") or ""),
        prompt_tokens=_int(usage.get("prompt_tokens")),
        completion_tokens=_int(usage.get("completion_tokens")),
        credits_used=_figure(billed.get("credits_used")) or headers.get("x-aimlapi-credits-used"),
        usd_spent=_figure(billed.get("usd_spent")) or headers.get("x-aimlapi-usd-spent"),
        inference_id=headers.get("x-inference-id"),
        client_request_id=headers.get("x-client-request-id") or client_request_id,
    )


def _text_of(content) -> str | None:
    """``content`` as text: a string, or the ``text`` of an array of ``{type: "text", text}`` parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict) and isinstance(p.get("text"), str)]
        return "".join(parts) if parts else None
    return None


def _int(value) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0 else None


def _figure(value) -> str | None:
    return None if value is None or isinstance(value, bool) else str(value)
