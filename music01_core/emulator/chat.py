"""The emulator's chat completions: ``POST /v1/chat/completions`` (and ``/chat/completions``), answered by a stand-in.

Written from the provider's reference (aimlapi/api-docs at commit f14fa72), never from music01's model table:

- ``docs/api-references/text-models-llm/MiniMax/m2.json``: both paths, one schema; ``required: ["model",
  "messages"]``; ``messages`` items are ``user``/``system`` (``{role, content, name?}``, ``content`` a string or
  an array of ``{type: "text", text}``), ``assistant`` (``content`` optional) or ``tool`` (``tool_call_id``);
  ``max_tokens`` a number ≥ 1, ``temperature`` 0–1, ``top_p`` 0.01–1, ``stream`` a boolean, ``seed`` an
  integer ≥ 1.  The answer: ``{id, object: "chat.completion", created, model, choices[{index, message{role,
  content}, finish_reason}], usage{prompt_tokens, completion_tokens, total_tokens}, meta{usage{credits_used,
  usd_spent}}}``; ``minimax/m2.md``'s example answers ``"model": "MiniMax-M2"`` with the reasoning inline, a
  ``<think>…</think>`` block before the answer in ``content``.
- ``docs/api-references/text-models-llm/OpenAI/gpt-4o-mini.json``: the same endpoint; ``model`` one of
  ``gpt-4o-mini``, ``gpt-4o-mini-2024-07-18``; ``temperature`` 0–2; its example answers
  ``"model": "gpt-4o-mini-2024-07-18"`` with no ``<think>``.

Any other chat model of the emulator's catalogue (``type`` "…chat…") is served with gpt-4o-mini's bounds.  The
key is required as on every billed route; each call is a row of ``GET /v2/logs`` (with its tokens) and its cost,
priced from the model's catalogue entry (its ``fixed`` per-token units) in credits, is in the
``x-aimlapi-*`` headers and ``meta.usage`` and lowers the key's balance (:mod:`.logs`, :mod:`.billing`).

The answer is a deterministic stand-in (:mod:`music01_core.lyrics_templates`): lyrics from the request's own
words — its ``Theme:`` and ``Mood:`` lines, the format it asks for (``[Verse]`` tags or music-01's lines and
``##``), its "at most N characters", and a follow-up on the lyrics it quotes ("shorter", "one more verse",
"keep the chorus").  The same request gives the same answer.

Faults, queued on the endpoint "chat" (``EmulatorServer.faults(chat=[...])``) or sent in ``X-Music01-Fault``:
``http:<status>``, ``code:…``, ``badjson``, ``reset``, ``hang`` (nothing billed); ``lost:reset``, ``lost:504``
(answered and billed, the answer lost); and the next answer made hostile: ``chat:hostile`` (zero-width, bidi
and control characters, a BOM, HTML and a script, code fences, chatter, an unclosed ``<think>`` at the end),
``chat:overlong`` (four times the length asked), ``chat:think-only`` (cut off inside its ``<think>``,
``finish_reason: "length"``).
"""

from __future__ import annotations

import json
import math
import re
import time
import uuid
from dataclasses import dataclass

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import lyrics_templates as songs
from .billing import short_of
from .catalogue import snapshot
from .common import EmulatorState, abort_connection, fault_answer, gateway, json_request
from .logs import Call, open_call, usd
from .validation import model_problem

__all__ = ["CHAT_PATHS", "ChatContract", "CHAT_CONTRACTS", "chat_router", "chat_problems", "stand_in_lyrics"]

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")
FAULT_ENDPOINT = "chat"
_ROLES = ("user", "system", "assistant", "tool")
_CREDITS_PER_USD = 2_000_000  # the provider's examples: 390,000 credits = $0.195 (music-2-6.md)


@dataclass(frozen=True)
class ChatContract:
    """What one chat model's reference says: its names, the answer's ``model``, the temperature's top, reasoning.

    Attributes
    ----------
    ids : tuple of str
        Its ``model`` enum.
    answer_model : str
        The ``model`` its example answer carries.
    temperature_max : float
    thinks : bool
        Its answer starts with a ``<think>…</think>`` block.
    source : str
        The reference file (aimlapi/api-docs f14fa72).
    """

    ids: tuple[str, ...]
    answer_model: str
    temperature_max: float
    thinks: bool
    source: str


CHAT_CONTRACTS = (
    ChatContract(("minimax/m2",), "MiniMax-M2", 1.0, True, "docs/api-references/text-models-llm/MiniMax/m2.json"),
    ChatContract(
        ("gpt-4o-mini", "gpt-4o-mini-2024-07-18"),
        "gpt-4o-mini-2024-07-18",
        2.0,
        False,
        "docs/api-references/text-models-llm/OpenAI/gpt-4o-mini.json",
    ),
)


def _chat_items(state: EmulatorState) -> list[dict]:
    return [m for m in snapshot(state)["models"] if "chat" in str(m.get("type", "")).lower()]


def _contract(state: EmulatorState, name: str) -> tuple[ChatContract | None, dict | None]:
    """(contract, catalogue item) of the model a body names; (None, None) when neither knows it."""
    key = name.lower()
    item = next(
        (m for m in _chat_items(state) if key in {m["id"].lower(), *map(str.lower, m.get("aliases", []))}), None
    )
    names = {key} | ({item["id"].lower(), *map(str.lower, item.get("aliases", []))} if item else set())
    contract = next((c for c in CHAT_CONTRACTS if names & set(c.ids)), None)
    if contract is None and item is not None:
        contract = ChatContract((item["id"],), item["id"], 2.0, False, "the catalogue")
    return contract, item


def _number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _message_problems(i: int, m) -> list[str]:
    if not isinstance(m, dict) or m.get("role") not in _ROLES:
        return [f"messages.{i}.role must be one of the following values: {', '.join(_ROLES)}"]
    content = m.get("content")
    parts_ok = isinstance(content, list) and all(
        isinstance(p, dict) and p.get("type") == "text" and isinstance(p.get("text"), str) for p in content
    )
    if content is None and m["role"] != "assistant":
        return [f"messages.{i}.content should not be empty"]
    if content is not None and not isinstance(content, str) and not parts_ok:
        return [f"messages.{i}.content must be a string or an array of text parts"]
    if m["role"] == "tool" and not isinstance(m.get("tool_call_id"), str):
        return [f"messages.{i}.tool_call_id must be a string"]
    return []


def chat_problems(body, contract: ChatContract | None, known: list[str]) -> list[str]:
    """The gateway's messages for a chat body (empty when valid), as the references bound it.

    Parameters
    ----------
    body : object
        The decoded JSON body.
    contract : ChatContract or None
        The named model's (None: not a chat model here).
    known : list of str
        The chat models served, for the ``model`` message.
    """
    if not isinstance(body, dict):
        return ["body must be a JSON object"]
    problems = [] if contract is not None else [model_problem(known)]
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        problems.append("messages must be a non-empty array")
    else:
        for i, m in enumerate(messages):
            problems += _message_problems(i, m)
    top = contract.temperature_max if contract is not None else 2.0
    bounds = (("max_tokens", 1, None), ("temperature", 0, top), ("top_p", 0.01, 1))
    for name, low, high in bounds:
        v = body.get(name)
        if name in body and (not _number(v) or v < low or (high is not None and v > high)):
            problems.append(f"{name} must be a number from {low}" + (f" to {high:g}" if high is not None else " up"))
    if "seed" in body and (not isinstance(body["seed"], int) or isinstance(body["seed"], bool) or body["seed"] < 1):
        problems.append("seed must be an integer not less than 1")
    if "stream" in body and not isinstance(body["stream"], bool):
        problems.append("stream must be a boolean value")
    elif body.get("stream"):
        problems.append("stream: the emulator answers stream=false only (one JSON answer)")
    return problems


# --- the stand-in's answer ----------------------------------------------------------------------------


def _text(content) -> str:
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return content if isinstance(content, str) else ""


def stand_in_lyrics(messages: list[dict]) -> tuple[str, dict]:
    """Lyrics read from the request's own words: (text, what was understood: theme, mood, style, limit, follow-up)."""
    system = "\n".join(_text(m.get("content")) for m in messages if m.get("role") == "system")
    user = "\n".join(_text(m.get("content")) for m in messages if m.get("role") == "user")
    style = "tags" if "[Verse]" in system or "[Chorus]" in system else "music01"
    wrap = style == "music01" and bool(re.search(r"with ##", system))
    said = re.search(r"(?:at most|between \d+ and) (\d+) characters", system)
    limit = int(said.group(1)) if said else 600
    theme = m.group(1).strip() if (m := re.search(r"(?m)^Theme:\s*(.*)$", user)) else user.strip()[:200]
    mood = m.group(1).strip() if (m := re.search(r"(?m)^Mood:\s*(.*)$", user)) else ""
    quoted = re.search(r'"""\n(.*?)\n"""', user, re.S)
    if quoted is not None and (not theme or theme.startswith("(")):
        theme = quoted.group(1)  # "(the same as the current lyrics)": their own words are the theme
    seed = songs.song_seed(json.dumps(messages, sort_keys=True))
    heard = {"theme": theme, "mood": mood, "style": style, "limit": limit, "follow_up": None}
    if quoted is None:
        song = songs.write_song(theme, mood, style=style, max_units=limit, seed=seed, accompaniment=wrap)
        return songs.render(song, style, accompaniment=wrap), heard
    current, wrapped = songs.parse_sections(quoted.group(1))
    edits = {
        "shorter": lambda: songs.shorter(current),
        "one more verse": lambda: songs.another_verse(current, theme, mood, seed=seed),
        "except the chorus": lambda: songs.keep_chorus(current, theme, mood, seed=seed),
    }
    asked = user[quoted.end() :].lower()  # the request after the quoted lyrics (a theme may say "shorter")
    for words, edit in edits.items():
        if words in asked:
            heard["follow_up"] = words
            try:
                current = edit()
            except songs.NoRoomError:
                pass
            break
    return songs.render(current, style, accompaniment=wrapped), heard


def _thinking(heard: dict) -> str:
    return (
        f"<think>\nThe user wants song lyrics about {heard['theme'] or 'something'}, mood {heard['mood'] or 'free'}, "
        f"in the {heard['style']} format, at most {heard['limit']} characters. "
        + ("They quote lyrics to edit. " if heard["follow_up"] else "")
        + "I should answer with the lyrics only.\n</think>\n\n"
    )


def _hostile(text: str, heard: dict) -> str:
    """The ``chat:hostile`` answer: the lyrics with everything an answer may not carry into a page."""
    rows = text.split("\n")
    rows[0] = "\ufeff" + rows[0].replace(" ", " \u200b", 1)
    rows.insert(1, "<script>alert('owned')</script><b>bold</b> and <img src=x onerror=alert(1)>")
    rows.insert(2, "&lt;script&gt;alert(2)&lt;/script&gt;<!-- a comment -->")
    if len(rows) > 3:
        rows[3] = "\u202e" + rows[3] + "\u202c\x07\u2066"
    body = "\n".join(rows)
    return (
        f"{_thinking(heard)}Sure! Here are your lyrics:\n```text\n{body}\n```\n"
        "I hope you like them!\n<think>Now, should I also add"
    )


def _content(contract: ChatContract, body: dict, fault: str | None) -> tuple[str, str]:
    """(content, finish_reason) of the answer: the lyrics, the model's reasoning before them, the fault's twist."""
    text, heard = stand_in_lyrics(body["messages"])
    thought = _thinking(heard) if contract.thinks else ""
    if fault == "chat:hostile":
        content = _hostile(text, heard)
    elif fault == "chat:overlong":
        wrap = text.startswith("##") and text.endswith("##")
        inner = text[2:-2] if wrap else text
        joined = "\n\n".join([inner] * 4) if heard["style"] == "music01" else "\n".join([inner] * 4)
        content = thought + (f"##{joined}##" if wrap else joined)
    elif fault == "chat:think-only":
        return "<think>\n" + "Let me think about the rhymes and the rhythm of each line. " * 40, "length"
    else:
        content = thought + text
    cap = body.get("max_tokens")
    if _number(cap) and _tokens(content) > cap:
        return content[: int(cap) * 4], "length"
    return content, "stop"


def _tokens(text: str) -> int:
    """A token count in the usual ratio (about four characters a token), at least one."""
    return max(1, math.ceil(len(text) / 4))


def _credits(item: dict | None, prompt_tokens: int, completion_tokens: int) -> int:
    """The answer's cost in credits from the catalogue's per-token rates (its ``fixed`` units), at least 1."""
    rates = {"input": 0.0, "output": 0.0}
    units = ((item or {}).get("pricing") or {}).get("units") or []
    for u in units:
        what = f"{u.get('measure') or ''} {u.get('name') or ''}".lower()
        if "token" in what and _number(u.get("price")) and _number(u.get("per")) and u["per"] > 0:
            rates["input" if "input" in what else "output"] += u["price"] / u["per"]
    spent = prompt_tokens * rates["input"] + completion_tokens * rates["output"]
    return max(1, round(spent * _CREDITS_PER_USD))


# --- the route ------------------------------------------------------------------------------------------


def chat_router(state: EmulatorState) -> APIRouter:
    """``POST /v1/chat/completions`` and ``POST /chat/completions`` over ``state``.

    Parameters
    ----------
    state : EmulatorState

    Returns
    -------
    APIRouter
    """
    router = APIRouter()

    async def complete(request: Request):
        call = open_call(state, request)
        await call.note_model()
        try:
            resp = await _complete(state, request, call)
        finally:
            call.record(succeeded=False)  # no-op once the answered call was logged
        return call.answer(resp)

    for path in CHAT_PATHS:
        router.add_api_route(path, complete, methods=["POST"])
    return router


async def _complete(state: EmulatorState, request: Request, call: Call):
    path = request.url.path
    fault, body, resp = await json_request(state, request, FAULT_ENDPOINT, path)
    if resp is not None:
        return resp
    name = body.get("model") if isinstance(body, dict) else None
    contract, item = _contract(state, name) if isinstance(name, str) else (None, None)
    known = [c.ids[0] for c in CHAT_CONTRACTS] + [m["id"] for m in _chat_items(state)]
    problems = chat_problems(body, contract, sorted(set(known)))
    if problems:
        return gateway(400, path, problems)
    if (answer := fault_answer(fault, path)) is not None:
        return answer
    content, finish = _content(contract, body, fault)
    prompt_tokens = sum(_tokens(_text(m.get("content"))) + 3 for m in body["messages"])
    completion_tokens = _tokens(content)
    call.credits = _credits(item, prompt_tokens, completion_tokens)
    if (short := short_of(state, request, usd(call.credits), path)) is not None:
        return short
    call.tokens = {"input": prompt_tokens, "output": completion_tokens, "total": prompt_tokens + completion_tokens}
    call.record(succeeded=True)  # answered and billed: logged now, whatever becomes of the answer
    if fault == "lost:reset":
        return await abort_connection(request, path)
    if fault == "lost:504":
        return gateway(504, path)
    payload = {
        "id": uuid.uuid4().hex,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": contract.answer_model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": finish}],
        "usage": {
            **{k + "_tokens": v for k, v in (("prompt", prompt_tokens), ("completion", completion_tokens))},
            "total_tokens": prompt_tokens + completion_tokens,
        },
        "meta": {"usage": {"credits_used": call.credits, "usd_spent": usd(call.credits)}},
    }
    return call.answer(JSONResponse(payload), cost=True)
