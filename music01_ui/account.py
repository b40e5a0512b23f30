"""A person's own key: its balance, read on demand and shown only in the browser tab that pasted it.

The server's key is never read here: its balance and spend are on the teacher's panel only
(:func:`music01_ui.room.api_room_account`, behind the teacher token).
"""

from __future__ import annotations

import gradio as gr

from .session import KEY_SERVICE, friendly, open_session_backend, pasted_tokens, token_problem

#: What the line says before a key is pasted (never the server key's balance).
NO_KEY = "Paste your own AI/ML API key above to see what it has left (shown only in this browser tab)."


@friendly
def api_balance(api_key: str | None = None, request: gr.Request = None) -> str:
    """What the pasted AI/ML API key has left, read now; with no key pasted, only how to see it.

    Only the key given here is read: never the server's (a session without a key of its own has
    no balance to see).
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
    try:
        balance = backend.balance(KEY_SERVICE)
    except Music01Error as exc:
        return f"❌ Balance not read: {exc}"
    if balance is None:
        return "The provider publishes no balance for this key."
    return f"{balance.words()} — your key, shown only in this tab"
