"""A person's own key: its balance, read on demand and shown only in the browser tab that pasted it.

The server's key is never read here: its balance and spend are on the teacher's panel only
(:func:`music01_ui.room.api_room_account`, behind the teacher token).

The ``balance`` endpoint is public (it is named: scripts and tests call it), so each read that asks the
provider counts against a small allowance per session and per client address (:data:`BALANCE_LIMITER`):
nobody can try key after key through this server's address.  What the provider answers is shown as
plain text, never as Markdown or HTML.
"""

from __future__ import annotations

import html
import re

import gradio as gr

from .session import KEY_SERVICE, RateLimiter, friendly, open_session_backend, pasted_tokens, token_problem

#: What the line says before a key is pasted (never the server key's balance).
NO_KEY = "Paste your own AI/ML API key above to see what it has left (shown only in this browser tab)."

#: Reads of a pasted key's balance: at most this many per session and per client address in the window.
BALANCE_READS = 10
BALANCE_WINDOW_S = 600.0
BALANCE_LIMITER = RateLimiter(BALANCE_READS, BALANCE_WINDOW_S)
TOO_MANY = (
    "This server reads a key's balance at most {limit} times in 10 minutes for each person: try again in "
    "{wait}. Your provider's dashboard shows it too."
)

# Markdown's punctuation (CommonMark escapes any of it with a backslash), and "$" (LaTeX delimiters).
_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~$])")


def plain(text) -> str:
    """``text`` shown as it is in a Markdown line: one line, HTML escaped, Markdown's punctuation escaped."""
    one_line = " ".join(str(text).split())
    return _MARKDOWN.sub(r"\\\1", html.escape(one_line, quote=False))


def _count_read(request: gr.Request) -> None:
    """Count one read that asks the provider, or refuse it (``gr.Error``) when this session or address has none left."""
    client = getattr(getattr(request, "client", None), "host", None) or "?"
    BALANCE_LIMITER.check(f"session:{getattr(request, 'session_hash', None) or '?'}", f"ip:{client}", message=TOO_MANY)


@friendly
def api_balance(api_key: str | None = None, request: gr.Request = None) -> str:
    """What the pasted AI/ML API key has left, read now; with no key pasted, only how to see it.

    Only the key given here is read: never the server's (a session without a key of its own has
    no balance to see).  Each read counts against :data:`BALANCE_LIMITER` (per session and per address).
    """
    from music01_core.errors import Music01Error

    pasted = pasted_tokens({KEY_SERVICE: api_key})
    if KEY_SERVICE not in pasted:
        return NO_KEY
    if token_problem(KEY_SERVICE, pasted[KEY_SERVICE]) is not None:
        return "❌ Fix the key first (see under the box): its balance cannot be read as it is."
    backend, shared = open_session_backend(pasted, request)
    if shared:  # cannot happen with a key pasted: a guard, so the server key's balance never shows here
        return NO_KEY
    _count_read(request)
    try:
        balance = backend.balance(KEY_SERVICE)
    except Music01Error as exc:
        return f"❌ Balance not read: {plain(exc)}"
    if balance is None:
        return "The provider publishes no balance for this key."
    return f"{balance.words()} — your key, shown only in this tab"
