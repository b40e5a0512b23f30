"""Lyrics written for you: a theme and a mood become lyrics in the chosen music model's format, within its limit.

The format and the limit are the model's row of the table (:class:`~music01_core.models.TextSpec`):
``music01`` style (``\\n`` lines, ``\\n\\n`` pauses, ``##…##`` accompaniment, ≤ 600), ``tags`` style
(``[Verse]``/``[Chorus]``/``[Bridge]``/``[Intro]``/``[Outro]``, 10–3000), and for a model with no lyrics
field either lyrics inside its prompt (a model whose row says it sings from its prompt, and only when
asked) or a clear refusal.  Lengths are counted as the provider counts them (UTF-16 code units,
:func:`music01_core.lyrics.provider_length`), and every draft passes :func:`~music01_core.lyrics.check_lyrics`
(the check typed lyrics get) before it is shown; one over the limit is cut at a section or line boundary
(:func:`music01_core.lyrics_templates.fit`) and says so — no second call is ever made for it.

Two writers:

- **a chat model** of the AI/ML API (``POST /v1/chat/completions``; the call itself is
  :class:`music01_core.providers.chat.ChatCompletions`, sent once): chosen from the copy of the provider's
  model list (default ``gpt-4o-mini`` when listed, else ``minimax/m2``), its price said before the call
  (:class:`ChatPrice`: the list's per-token words and an upper bound from ``max_tokens``), its cost read from
  the answer and kept in a small record under the home (:class:`ChatLedger`: written before the call,
  completed after, so ``music01 spend`` matches it to the usage log and a lost answer stays visible); the
  answer as it came is kept the moment it arrives (``<home>/lyrics/drafts/<client request id>.raw.txt``), so a
  billed answer refused or cut to fit is never lost.  On a server's shared key only :data:`DEFAULT_CHAT_MODELS`
  are asked, at a listed price.  What music01 knows of each chat model is one table,
  :data:`CHAT_MODEL_FACTS`.  Its answer is **untrusted text**: :func:`clean_chat_text` strips ``<think>`` reasoning (m2 sends it inline:
  aimlapi/api-docs f14fa72, ``docs/api-references/text-models-llm/minimax/m2.md``), code fences, HTML,
  invisible and control characters; nothing of it is executed or rendered as HTML;
- **music01's offline writer** (:mod:`music01_core.lyrics_templates`): templates from the theme's words and
  the mood, the same request giving the same draft; used with no key, and it says so.

Follow-ups edit a draft: "shorter", "another verse", "keep my chorus" (the chorus of the current draft is
kept word for word).  The key never enters a prompt, a draft, a record or a log.
"""

from __future__ import annotations

import html
import json
import logging
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from . import lyrics_templates as songs
from .catalogue import Catalogue, ListedModel
from .errors import InputError, JobError, LyricsError, LyricsTooLongError, PromptError
from .lyrics import LyricsReport, check_lyrics, clean_prompt, prepare_text_fields, provider_length, strip_invisible
from .models import MODELS, Model, model_in_use
from .pricing import LIST, NONE, Price, checked_words_at
from .settings import CREDITS_PER_USD
from .storage import atomic_write_bytes, atomic_write_json

logger = logging.getLogger(__name__)

__all__ = [
    "FOLLOW_UPS",
    "DEFAULT_CHAT_MODELS",
    "OFFLINE_WRITER",
    "LyricsRequest",
    "LyricsTarget",
    "LyricsDraft",
    "ChatPrice",
    "ChatCall",
    "ChatLedger",
    "CleanText",
    "lyrics_target",
    "sings_from_prompt",
    "follow_up_name",
    "clean_chat_text",
    "to_format",
    "offline_draft",
    "chat_draft",
    "chat_messages",
    "chat_payload",
    "chat_quote",
    "choose_chat_model",
    "call_was_sent",
    "chat_price",
    "keep_draft",
    "split_prompt_lyrics",
    "prompt_style",
    "prompt_lyrics",
    "chat_facts",
    "CHAT_MODEL_FACTS",
]

#: The follow-ups a draft takes.
FOLLOW_UPS = ("shorter", "another verse", "keep my chorus")
#: The chat models tried, in order, when none is chosen: cheap, and listed live (aimlapi/api-docs f14fa72,
#: docs/api-references/model-database.md; gpt-4o-mini.md: "OpenAI's … cost-efficient model"; MiniMax's own m2).
DEFAULT_CHAT_MODELS = ("gpt-4o-mini", "minimax/m2")
#: What a draft of the offline writer says of itself.
OFFLINE_WRITER = "written by music01's offline writer, not a language model"
#: The longest theme and mood taken (a prompt to a paid model stays small).
MAX_THEME_CHARS, MAX_MOOD_CHARS = 300, 80
#: A tag-style song aims at this many characters: 3000 is the model's room, not a goal.
TAGS_TARGET_CHARS = 1200
#: Tokens a reasoning model (minimax/m2…) may spend thinking before the lyrics (its <think> counts as answer).
REASONING_TOKENS = 2048
#: What music01 knows of the chat models it asks, by id: the only place these facts live.
#:
#: - ``thinks``: it reasons aloud, a ``<think>…</think>`` block at the start of ``content`` (its answer budget
#:   gets :data:`REASONING_TOKENS` more).  ``<think>`` is stripped from every answer anyway (:func:`clean_chat_text`).
#: - ``temperature``: (lowest, highest) the reference accepts, and ``temperature_sent`` the one music01 sends.
#: - ``max_tokens``: the most music01 asks for in one answer (the references set only ``max_tokens`` ≥ 1).
#:
#: Sources (aimlapi/api-docs f14fa72): ``docs/api-references/text-models-llm/MiniMax/m2.json`` (temperature 0–1;
#: ``minimax/m2.md``'s example answer starts with ``<think>``), ``docs/api-references/text-models-llm/OpenAI/
#: gpt-4o-mini.json`` (temperature 0–2; no ``<think>``).  A listed model not named here gets :data:`UNKNOWN_CHAT_MODEL`.
CHAT_MODEL_FACTS: dict[str, dict] = {
    "gpt-4o-mini": {"thinks": False, "temperature": (0.0, 2.0), "temperature_sent": 0.9, "max_tokens": 1_500},
    "minimax/m2": {"thinks": True, "temperature": (0.0, 1.0), "temperature_sent": 0.9, "max_tokens": 3_500},
}
#: A chat model the table does not know: no reasoning budget, a temperature inside 0–1 (the narrowest range seen).
UNKNOWN_CHAT_MODEL: dict = {"thinks": False, "temperature": (0.0, 1.0), "temperature_sent": 0.7, "max_tokens": 1_500}
#: The longest draft a follow-up takes, in multiples of the field's limit (a prompt to a paid model stays small).
MAX_DRAFT_TIMES_LIMIT = 2
_LYRICS_LINE = "Lyrics:"
_LYRICS_LINE_RE = re.compile(rf"(?m)^\s*{_LYRICS_LINE}\s*$")


# --- what is asked ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class LyricsRequest:
    """What a person asks for.

    Attributes
    ----------
    theme, mood : str
        What the song is about, and how it feels ("a lighthouse keeper", "melancholy").  A follow-up
        needs no theme (the draft's own words stand in).
    model : str or None
        The music model whose format and limit apply (None: ``MUSIC01_MODEL``, else the default).
    chat_model : str or None
        The chat model (None: :data:`DEFAULT_CHAT_MODELS`, the first one listed).
    follow_up : str or None
        One of :data:`FOLLOW_UPS`, editing ``draft``.
    draft : str or None
        The current draft (a follow-up's input).
    seed : int or None
        The offline writer's seed (None: from the request).
    into_prompt : bool
        For a model that sings lyrics written inside its prompt: put them there (otherwise refused).
    prompt : str
        That model's style prompt, which the lyrics follow inside the prompt.
    accompaniment : bool
        music-01's format: wrap the lyrics in ``##…##`` (accompaniment).
    shared_key : bool
        The call would go on a server's shared key (the app on a shared server): only
        :data:`DEFAULT_CHAT_MODELS` are asked, and never at a price the model list does not give.
    """

    theme: str = ""
    mood: str = ""
    model: str | None = None
    chat_model: str | None = None
    follow_up: str | None = None
    draft: str | None = None
    seed: int | None = None
    into_prompt: bool = False
    prompt: str = ""
    accompaniment: bool = True
    shared_key: bool = False


@dataclass(frozen=True)
class LyricsTarget:
    """Where a draft goes and the rules it must keep (the model's row, read once).

    Attributes
    ----------
    model : Model
    field : {"lyrics", "prompt"}
        The lyrics field, or the prompt of a model that sings from it.
    style : {"music01", "tags"}
    min_chars, limit_chars : int
        Bounds of the field, counted as the provider counts.
    lyrics_limit_chars : int
        What the lyrics themselves may take (the field's limit less the prompt's style part).
    target_chars : int
        The length asked of a writer (at most ``lyrics_limit_chars``).
    accompaniment : bool
        The ``##…##`` wrap (music-01's format only).
    prefix : str
        Written before the lyrics in the field (the style prompt and ``Lyrics:``); "" for a lyrics field.
    """

    model: Model
    field: str
    style: str
    min_chars: int
    limit_chars: int
    lyrics_limit_chars: int
    target_chars: int
    accompaniment: bool
    prefix: str = ""


def sings_from_prompt(model) -> bool:
    """Whether the model sings lyrics written inside its prompt (it has no lyrics field): its row says so."""
    return model_in_use(model).sings_from_prompt


def _singers() -> str:
    return ", ".join(m.id for m in MODELS.values() if m.live and m.lyrics is not None and m.provider == "aimlapi")


def lyrics_target(model=None, *, into_prompt: bool = False, prompt: str = "", accompaniment: bool = True):
    """The rules a draft for ``model`` keeps: its field, format and limit, from its row.

    Raises
    ------
    LyricsError
        The model takes no lyrics (and does not sing from its prompt, or was not asked to put them there).
    PromptError
        The style prompt leaves no room for lyrics inside the prompt.
    """
    m = model_in_use(model)
    if m.lyrics is not None:
        spec = m.lyrics
        target = spec.max_chars if spec.style == "music01" else min(spec.max_chars, TAGS_TARGET_CHARS)
        wrap = accompaniment and spec.style == "music01"
        return LyricsTarget(m, "lyrics", spec.style, spec.min_chars, spec.max_chars, spec.max_chars, target, wrap)
    if not sings_from_prompt(m):
        raise LyricsError(
            f"{m.id} takes no lyrics and does not sing from its prompt (it describes the music): there is nothing "
            f"to write for it. Choose a model that sings, such as {_singers()}."
        )
    spec = m.prompt
    if not into_prompt:
        raise LyricsError(
            f"{m.id} has no lyrics field: it sings lyrics written inside its prompt (at most {spec.max_chars} "
            "characters with the style). Ask for them there: --into-prompt (CLI), into_prompt=True, or the app's "
            '"put them in the prompt" box.'
        )
    if provider_length(prompt or "") > MAX_DRAFT_TIMES_LIMIT * spec.max_chars:
        raise PromptError(
            f"the prompt is {provider_length(prompt)} characters, far over {m.id}'s {spec.max_chars}: shorten it. "
            "Nothing was sent."
        )
    # The style part only: a prompt written into before holds "style + Lyrics: + lyrics", and the new lyrics
    # replace the old ones (never a second "Lyrics:" block inside the first).
    style = clean_prompt(prompt_style(prompt or ""))
    prefix = f"{style}\n\n{_LYRICS_LINE}\n" if style else f"{_LYRICS_LINE}\n"
    room = spec.max_chars - provider_length(prefix)
    if room < 40:
        raise PromptError(
            f"the style prompt takes {provider_length(style)} of {m.id}'s {spec.max_chars} characters: shorten "
            "it to leave room for lyrics."
        )
    return LyricsTarget(
        m, "prompt", "tags", spec.min_chars, spec.max_chars, room, min(room, TAGS_TARGET_CHARS), False, prefix
    )


def split_prompt_lyrics(text: str) -> tuple[str, str]:
    """(style, lyrics) of a prompt holding both (``style`` + ``Lyrics:`` + the lyrics); ("", text) otherwise."""
    m = _LYRICS_LINE_RE.search(text or "")
    if m is None:
        return "", text or ""
    return text[: m.start()].strip(), text[m.end() :].strip("\n")


def prompt_style(text: str) -> str:
    """The style part of a prompt: all of it, or what comes before its ``Lyrics:`` line when it has one."""
    return split_prompt_lyrics(text)[0] if _LYRICS_LINE_RE.search(text or "") else (text or "")


def prompt_lyrics(text: str) -> str:
    """The lyrics written inside a prompt (after its ``Lyrics:`` line); "" when it holds none."""
    return split_prompt_lyrics(text)[1] if _LYRICS_LINE_RE.search(text or "") else ""


def follow_up_name(value: str | None) -> str | None:
    """One of :data:`FOLLOW_UPS` for what was typed ("another_verse", "keep-chorus"…); None for none.

    Raises
    ------
    InputError
        Anything else, naming the three.
    """
    if value is None or not str(value).strip():
        return None
    key = re.sub(r"[\s_-]+", " ", str(value).strip().lower())
    for name in FOLLOW_UPS:
        if key in (name, name.replace("my ", "")):
            return name
    raise InputError(f"the follow-up must be one of {', '.join(repr(f) for f in FOLLOW_UPS)}, not {value!r}.")


def _short_text(value: str, most: int, what: str) -> str:
    text = clean_prompt(value or "")
    n = provider_length(text)
    if n > most:
        raise InputError(f"the {what} is {n} characters: say it in {most} or fewer.")
    return text


# --- the answer, untrusted ---------------------------------------------------------------------------


@dataclass(frozen=True)
class CleanText:
    """A chat answer made safe to use as lyrics text.

    Attributes
    ----------
    text : str
        Plain text: no reasoning, markup, fences, invisible or control characters.
    removed : dict
        Invisible and control characters removed, by Unicode name, with counts.
    notes : tuple of str
        What else was taken out ("the model's reasoning (<think>…</think>)", "HTML tags"…).
    """

    text: str
    removed: dict = field(default_factory=dict)
    notes: tuple[str, ...] = ()


_THINK_END = re.compile(r"</\s*think\s*>", re.I)
_THINK_START = re.compile(r"<\s*think\s*>", re.I)
_FENCE = re.compile(r"(?m)^[ \t]*(?:```|~~~)[^\n]*$|```|~~~")
_HIDDEN_HTML = re.compile(r"<\s*(script|style|iframe|object|template)\b[^>]*>.*?<\s*/\s*\1\s*>", re.I | re.S)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.S)
_BREAK = re.compile(r"<\s*(?:br|/p|/div|/li)\s*/?\s*>", re.I)
_TAG = re.compile(r"<\s*/?\s*[A-Za-z!?][^<>]*>")
# Words around the lyrics: "Sure! Here are your lyrics:", "Title: …", "I hope you like them!" (a sung line that
# merely starts with "Okay" or "Sure" stays: the head must also end with ":" or speak of lyrics or a song).
_CHATTER_HEAD = re.compile(
    r"^\s*(?:(?:here|sure|certainly|of course|okay|ok|absolutely|below)\b[^\n]*(?::\s*$|\blyrics?\b|\bsong\b)|"
    r"(?:song )?title\s*:|lyrics\s*:?\s*$)",
    re.I,
)
_CHATTER_TAIL = re.compile(
    r"^\s*(?:i hope (?:you|this|these|that|it)\b|hope you (?:like|enjoy)\b|let me know\b|feel free\b|note\s*:)", re.I
)
_BULLET = re.compile(r"^\s*(?:>\s*|[-*•]\s+|\d{1,2}[.)]\s+)")


def clean_chat_text(raw: str) -> CleanText:
    """A chat model's answer as plain text: what it may not carry into lyrics taken out, and said.

    In order: the reasoning (everything up to the last ``</think>``, and an unclosed ``<think>`` to the end);
    code fences; HTML (``<script>``/``<style>`` with their content, comments, every tag; entities decoded, then
    tags removed again); invisible, bidi-control, BOM and control characters (the lyrics check's own rules);
    Markdown emphasis, quote marks and bullets; chatter before and after the lyrics ("Here are your lyrics:").
    Nothing is executed or interpreted: the result is plain text.
    """
    text, notes = str(raw or "").replace("\r\n", "\n").replace("\r", "\n"), []
    ends = list(_THINK_END.finditer(text))
    if ends:
        text, notes = text[ends[-1].end() :], notes + ["the model's reasoning (<think>…</think>)"]
    start = _THINK_START.search(text)
    if start:
        text, notes = text[: start.start()], notes + ["an unfinished <think> block"]
    if _FENCE.search(text):
        text, notes = _FENCE.sub("", text), notes + ["code fences"]
    text, tags = _strip_html(text)
    notes += ["HTML tags"] if tags else []
    text, removed = strip_invisible(text)
    text = "\n".join(_plain_line(ln) for ln in text.split("\n"))
    text, chatter = _strip_chatter(text)
    notes += ["words around the lyrics"] if chatter else []
    return CleanText(text=text.strip(), removed=removed, notes=tuple(notes))


def _strip_html(text: str) -> tuple[str, bool]:
    """``text`` without HTML (hidden elements with their content, comments, tags; entities decoded, then
    stripped again, a few rounds at most), and whether there was any."""
    found = False
    for _ in range(3):
        bare = _TAG.sub("", _BREAK.sub("\n", _COMMENT.sub("", _HIDDEN_HTML.sub("", text))))
        found = found or bare != text
        text, decoded = bare, html.unescape(bare)
        if decoded == bare:
            break
        text = decoded
    if _TAG.search(text):  # still spelling a tag after three rounds: no angle brackets at all then
        text, found = text.replace("<", "‹").replace(">", "›"), True
    return text, found


def _plain_line(line: str) -> str:
    line = _BULLET.sub("", line).replace("**", "").replace("__", "").rstrip()
    if len(line) >= 2 and line[0] in "\"“'" and line[-1] in "\"”'" and line.count(line[0]) <= 2:
        line = line[1:-1]
    return line.strip()


def _strip_chatter(text: str) -> tuple[str, bool]:
    rows = text.split("\n")
    cut = False
    while rows and (not rows[0].strip() or _CHATTER_HEAD.match(rows[0]) and not songs.is_label(rows[0])):
        cut = cut or bool(rows[0].strip())
        rows.pop(0)
    while rows and (not rows[-1].strip() or _CHATTER_TAIL.match(rows[-1])):
        cut = cut or bool(rows[-1].strip())
        rows.pop()
    return "\n".join(rows), cut


def to_format(text: str, target: LyricsTarget) -> list[songs.Section]:
    """Lyrics text (a cleaned answer) read into sections the target's format renders: tags made the five
    the provider names, ``##`` taken out of lines (the wrap is the target's to add), empty lines dropped."""
    song, _ = songs.parse_sections(text)
    out = []
    for s in song:
        lines = tuple(ln for ln in (x.replace("##", "").strip() for x in s.lines) if ln)
        if lines:
            out.append(songs.Section(s.kind, lines))
    return out


# --- the draft ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatPrice:
    """What one lyrics request to a chat model costs at most, said before it is sent.

    Attributes
    ----------
    chat_model : str
    price : Price
        ``usd_each`` the upper bound for this request (None: no figure), ``as_listed`` the list's own words
        ("$0.3 per 1000000 input tokens; …"), ``source`` and ``detail`` where and when it was read.
    max_tokens : int
        The answer's cap sent with the request (``max_tokens``).
    prompt_tokens_max : int
        An upper bound of the request's own tokens (its UTF-8 bytes: a token is at least one byte).
    local : bool
        A local emulator answers: nothing is billed.
    """

    chat_model: str
    price: Price
    max_tokens: int
    prompt_tokens_max: int
    local: bool = False

    @property
    def usd_max(self) -> float | None:
        """The most this request can cost, in dollars (None: no figure)."""
        return self.price.usd_each

    def words(self) -> str:
        """ "at most $0.0037 (7,400 credits) for this draft (≤ 2,848 answer tokens) · minimax/m2 · $0.3 per …"."""
        where = self.price.source + (f", {self.price.detail}" if self.price.detail else "")
        listed = f" · {self.price.as_listed}" if self.price.as_listed else ""
        if self.usd_max is None and self.price.source == NONE:
            said = f"{self.chat_model}: no price figure ({self.price.detail})"
        elif self.usd_max is None:
            said = f"{self.chat_model}: no price figure{listed} · {where}"
        else:
            said = (
                f"at most {self.price.amount()} for this draft (≤ {self.max_tokens:,} answer tokens) · "
                f"{self.chat_model}{listed} · {where}"
            )
        return ("local emulator: nothing is billed · at the provider: " + said) if self.local else said

    def to_dict(self) -> dict:
        return {
            "chat_model": self.chat_model,
            "usd_max": self.usd_max,
            "max_tokens": self.max_tokens,
            "prompt_tokens_max": self.prompt_tokens_max,
            "local": self.local,
            "price": self.price.to_dict(),
            "words": self.words(),
        }


@dataclass(frozen=True)
class LyricsDraft:
    """A draft of lyrics, checked before it is shown.

    Attributes
    ----------
    text : str
        What goes in the model's field: its lyrics box, or (``field`` "prompt") the whole prompt.
    lyrics : str
        The lyrics alone.
    model : str
        The music model whose format and limit it keeps.
    field : {"lyrics", "prompt"}
    style : {"music01", "tags"}
    writer : {"chat", "offline"}
    chat_model : str or None
        The chat model that wrote it (None: the offline writer).
    count_chars, limit_chars, min_chars : int
        ``text``'s length as the provider counts it (UTF-16 code units), and the field's bounds.
    report : LyricsReport or None
        The lyrics check of ``text`` (None for lyrics inside a prompt: the prompt's check applied).
    price : ChatPrice or None
        What was said before the call (None: the offline writer, free).
    cost_usd, credits_used : float or None
        What the answer said it cost.
    warnings : tuple of str
        Cut to fit, what cleaning removed, the writer's own words.
    removed : dict
        Invisible and control characters taken out of a chat answer, by name.
    trimmed : bool
        Cut at a section or line boundary to fit the limit.
    follow_up : str or None
    theme, mood : str
    seed : int or None
        The offline writer's seed.
    client_request_id, inference_id : str or None
        The chat call's ids (the usage log's).
    finish_reason : str
    prompt_tokens, completion_tokens : int or None
    local : bool
        Written by a local emulator's chat endpoint (nothing billed).
    path : str or None
        Where it was kept under the home.
    """

    text: str
    lyrics: str
    model: str
    field: str
    style: str
    writer: str
    chat_model: str | None
    count_chars: int
    limit_chars: int
    min_chars: int
    report: LyricsReport | None = None
    price: ChatPrice | None = None
    cost_usd: float | None = None
    credits_used: float | None = None
    warnings: tuple[str, ...] = ()
    removed: dict = field(default_factory=dict)
    trimmed: bool = False
    follow_up: str | None = None
    theme: str = ""
    mood: str = ""
    seed: int | None = None
    client_request_id: str | None = None
    inference_id: str | None = None
    finish_reason: str = ""
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    local: bool = False
    path: str | None = None

    def count_words(self) -> str:
        """ "412 / 600 characters" (the provider's count)."""
        return f"{self.count_chars} / {self.limit_chars} characters"

    def writer_words(self) -> str:
        """Who wrote it: the offline writer (said plainly), or the chat model and where."""
        if self.writer == "offline":
            return OFFLINE_WRITER
        where = "a local emulator of the AI/ML API (nothing billed)" if self.local else "the AI/ML API"
        return f"written by {self.chat_model} (a language model) on {where}"

    def cost_words(self) -> str:
        """ "cost $0.000412 (824 credits)", "free", or "cost not reported"."""
        if self.writer == "offline":
            return "free"
        if self.cost_usd is None and self.credits_used is None:
            return "cost not reported"
        usd = self.cost_usd if self.cost_usd is not None else (self.credits_used or 0) / CREDITS_PER_USD
        credits = self.credits_used if self.credits_used is not None else usd * CREDITS_PER_USD
        return f"cost ${usd:.6f}".rstrip("0").rstrip(".") + f" ({credits:,.0f} credits)"

    def to_dict(self) -> dict:
        """JSON-ready: every field, the report's and the price's dicts, the count in words."""
        d = asdict(self)
        d["report"] = self.report.to_dict() if self.report is not None else None
        d["price"] = self.price.to_dict() if self.price is not None else None
        d["warnings"] = list(self.warnings)
        d["count"] = self.count_words()
        d["writer_words"] = self.writer_words()
        return d


def _finish(
    song: list[songs.Section], target: LyricsTarget, *, keep: songs.Section | None = None, **fields
) -> LyricsDraft:
    """Render ``song`` in the target's format, cut it to fit at boundaries, and check it as typed text is checked.

    Raises
    ------
    LyricsError, PromptError
        What the check still refuses (empty, under the model's minimum): nothing is shown.
    """
    if not song:
        raise LyricsError("there are no lyrics in the answer: nothing to show.")
    try:
        song, trimmed = songs.fit(
            song, target.style, target.lyrics_limit_chars, accompaniment=target.accompaniment, keep=keep
        )
    except songs.NoRoomError as exc:
        raise LyricsTooLongError(f"the lyrics do not fit {target.model.id}'s limit: {exc}.") from None
    lyrics = songs.render(song, target.style, accompaniment=target.accompaniment)
    warnings = list(fields.pop("warnings", ()))
    if trimmed:
        warnings.insert(
            0,
            f"cut at a section or line boundary to fit {target.model.id}'s {target.lyrics_limit_chars} characters "
            "(nothing was asked again).",
        )
    text, report = target.prefix + lyrics, None
    if target.field == "prompt":
        fields_ = prepare_text_fields(target.model, prompt=text)
        text = fields_.prompt or ""
    else:
        report = check_lyrics(text, model=target.model)
        report.raise_for_errors()
        text = report.text
        warnings += [w for w in report.warnings if w not in warnings]
    return LyricsDraft(
        text=text,
        lyrics=lyrics,
        model=target.model.id,
        field=target.field,
        style=target.style,
        count_chars=provider_length(text),
        limit_chars=target.limit_chars,
        min_chars=target.min_chars,
        report=report,
        trimmed=trimmed,
        warnings=tuple(warnings),
        **fields,
    )


def _inputs(request: LyricsRequest):
    """(target, theme, mood, follow-up, current song or None) of a request, all checked (sizes first)."""
    follow = follow_up_name(request.follow_up)
    prompt = request.prompt or ""
    if follow is not None and request.into_prompt and not prompt.strip():
        prompt = split_prompt_lyrics(request.draft or "")[0]  # a draft kept whole (style + Lyrics:) keeps its style
    target = lyrics_target(
        request.model, into_prompt=request.into_prompt, prompt=prompt, accompaniment=request.accompaniment
    )
    theme = _short_text(request.theme, MAX_THEME_CHARS, "theme")
    mood = _short_text(request.mood, MAX_MOOD_CHARS, "mood")
    most = MAX_DRAFT_TIMES_LIMIT * target.limit_chars
    if provider_length(request.draft or "") > most:
        raise InputError(
            f"the draft is {provider_length(request.draft)} characters, far over {target.model.id}'s "
            f"{target.limit_chars}: give at most {most} (shorten it yourself first). Nothing was sent."
        )
    current = None
    if follow is not None:
        draft = request.draft or ""
        if target.field == "prompt":
            draft = split_prompt_lyrics(draft)[1]
        # A person's own draft: invisible characters go, every word and tag stays (the chorus is kept verbatim).
        current, wrapped = songs.parse_sections(strip_invisible(draft)[0])
        if not current:
            raise InputError(f'"{follow}" edits a draft: write or load the lyrics first.')
        if target.style == "music01":
            target = replace(target, accompaniment=wrapped)  # the draft's own choice of the ## wrap stays
    elif not theme:
        raise InputError("give a theme: what the song is about (a few words are enough).")
    return target, theme, mood, follow, current


def offline_draft(request: LyricsRequest) -> LyricsDraft:
    """A draft by music01's offline writer (templates from the theme's words and the mood): free, deterministic.

    Parameters
    ----------
    request : LyricsRequest
        A follow-up edits ``request.draft``: "shorter" drops a section or a line, "another verse" adds one,
        "keep my chorus" writes every other section again around the chorus, kept word for word.

    Returns
    -------
    LyricsDraft
        ``writer`` "offline"; its warnings say it is not a language model's.

    Raises
    ------
    LyricsError, InputError
        A model that takes no lyrics, an empty theme, a follow-up that cannot be made (no chorus; no room for
        another verse — the draft is then unchanged).
    """
    target, theme, mood, follow, current = _inputs(request)
    words = theme or " ".join(ln for s in current or () for ln in s.lines)
    seed = request.seed if request.seed is not None else songs.song_seed(words, mood, request.draft or "")
    keep = None
    if follow is None:
        song = songs.write_song(
            words,
            mood,
            style=target.style,
            max_units=target.target_chars,
            seed=seed,
            accompaniment=target.accompaniment,
        )
    else:
        song, keep = _edit_offline(follow, current, target, words, mood, seed)
    return _finish(
        song,
        target,
        keep=keep,
        writer="offline",
        chat_model=None,
        follow_up=follow,
        theme=theme,
        mood=mood,
        seed=seed,
        warnings=(OFFLINE_WRITER + ".",),
    )


def _edit_offline(follow: str, current, target: LyricsTarget, words: str, mood: str, seed: int):
    """(the edited song, the section to keep whole) of a follow-up made by the offline writer."""
    try:
        if follow == "shorter":
            return songs.shorter(current), None
        if follow == "keep my chorus":
            return songs.keep_chorus(current, words, mood, seed=seed), songs.find_chorus(current)
        longer = songs.another_verse(current, words, mood, seed=seed)
    except songs.NoRoomError as exc:
        raise InputError(f"{exc}: the draft is unchanged.") from None
    n = provider_length(target.prefix + songs.render(longer, target.style, accompaniment=target.accompaniment))
    if n > target.limit_chars:
        raise LyricsTooLongError(
            f"another verse would make the lyrics {n} characters, over {target.model.id}'s {target.limit_chars}: "
            'ask for "shorter" first. The draft is unchanged.'
        )
    return longer, None


# --- the chat request ---------------------------------------------------------------------------------


def _format_words(target: LyricsTarget) -> str:
    if target.style == "music01":
        wrap = (
            " Begin the lyrics with ## and end them with ## (that asks for accompaniment)."
            if target.accompaniment
            else " Do not use ##."
        )
        return (
            "Format: one sung line per line. Put one blank line between the verses and the chorus (a pause). "
            f"No section labels or tags.{wrap} Length: at most {target.target_chars} characters in all, counting "
            "spaces and line breaks."
        )
    return (
        "Format: put a structure tag on its own line before each section, using only [Intro], [Verse], [Chorus], "
        "[Bridge] and [Outro]; then one sung line per line. No blank lines. Do not use ##. Length: between "
        f"{max(target.min_chars, 40)} and {target.target_chars} characters in all, counting spaces and line breaks."
    )


def chat_messages(target: LyricsTarget, theme: str, mood: str, follow: str | None, current, keep) -> list[dict]:
    """The system and user messages of a lyrics request (never a key; the theme and draft as given)."""
    system = (
        f"You are a songwriter. Write original song lyrics for the music model {target.model.id}. Reply with the "
        "lyrics only: no title, no explanation, no Markdown, no code fences, no HTML. " + _format_words(target)
    )
    about = f"Theme: {theme or '(the same as the current lyrics)'}\nMood: {mood or 'your choice'}"
    if follow is None:
        return [{"role": "system", "content": system}, {"role": "user", "content": about}]
    now = songs.render(current, target.style, accompaniment=target.accompaniment)
    ask = {
        "shorter": f"Make them shorter (at most {max(40, provider_length(now) * 3 // 4)} characters), in the same "
        "format, keeping the chorus.",
        "another verse": "Add one more verse that fits the song; keep everything else as it is.",
        "keep my chorus": "Rewrite everything except the chorus; keep the chorus exactly as it is, word for word:\n"
        + "\n".join(keep.lines if keep is not None else ()),
    }[follow]
    user = f'{about}\n\nHere are the current lyrics:\n"""\n{now}\n"""\n\n{ask}'
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def chat_facts(chat_model: str) -> dict:
    """The row of :data:`CHAT_MODEL_FACTS` for ``chat_model`` (case-insensitive), else :data:`UNKNOWN_CHAT_MODEL`."""
    return CHAT_MODEL_FACTS.get((chat_model or "").strip().lower(), UNKNOWN_CHAT_MODEL)


def thinks(chat_model: str) -> bool:
    """Whether the chat model reasons aloud before answering (its row of :data:`CHAT_MODEL_FACTS` says so)."""
    return bool(chat_facts(chat_model)["thinks"])


def chat_payload(chat_model: str, messages: list[dict], target: LyricsTarget) -> dict:
    """The request body (m2.json / gpt-4o-mini.json: ``model``, ``messages``, ``max_tokens`` ≥ 1, ``temperature``)."""
    facts = chat_facts(chat_model)
    answer = target.target_chars + 200  # a token is at least one character of lyrics
    low, high = facts["temperature"]
    return {
        "model": chat_model,
        "messages": messages,
        "max_tokens": max(1, min(answer + (REASONING_TOKENS if facts["thinks"] else 0), facts["max_tokens"])),
        "temperature": min(max(facts["temperature_sent"], low), high),
    }


def _is_chat(m: ListedModel) -> bool:
    return "chat" in (m.type or "").lower()


def choose_chat_model(listing: Catalogue | None, wanted: str | None = None) -> tuple[str, ListedModel | None, tuple]:
    """The chat model to ask: ``wanted`` when the provider lists it, else the first of :data:`DEFAULT_CHAT_MODELS`
    listed, else the listed chat model with the cheapest answer tokens.

    Returns
    -------
    (str, ListedModel or None, tuple of str)
        The name sent, its list entry (None when the list was never read), and warnings.

    Raises
    ------
    InputError
        ``wanted`` is not a chat model of the list, or the list names none.
    """
    checked = listing is not None and listing.checked_at is not None
    if not checked:
        name = (wanted or DEFAULT_CHAT_MODELS[0]).strip()
        why = f"{listing.checked_words()}" if listing is not None else "model list not checked"
        return name, None, (f"{why}: {name} is asked as named, its price unknown.",)
    chats = [m for m in listing.models if _is_chat(m)]
    if wanted and wanted.strip():
        found = listing.find(wanted.strip())
        if found is None or not _is_chat(found):
            some = ", ".join(m.id for m in chats[:8]) or "none"
            raise InputError(
                f"{wanted.strip()} is not a chat model the provider lists ({listing.checked_words()}): choose one "
                f"of {some}."
            )
        return wanted.strip(), found, ()
    for name in DEFAULT_CHAT_MODELS:
        found = listing.find(name)
        if found is not None and _is_chat(found):
            return name, found, ()
    if not chats:
        raise InputError(f"the provider's model list names no chat model ({listing.checked_words()}).")
    cheapest = min(chats, key=lambda m: _rates(m.pricing)[1] if _rates(m.pricing) else float("inf"))
    return cheapest.id, cheapest, ()


def _rates(pricing: dict | None) -> tuple[float, float] | None:
    """(dollars per input token, per output token) of a ``fixed`` per-token price; None for anything else."""
    if not isinstance(pricing, dict) or pricing.get("kind") != "fixed":
        return None
    rates = {"input": 0.0, "output": 0.0}
    for u in pricing.get("units") or []:
        if not isinstance(u, dict):
            return None
        what = f"{u.get('measure') or ''} {u.get('name') or ''}".lower()
        price, per = u.get("price"), u.get("per") or 1
        if "token" not in what or not isinstance(price, int | float) or not isinstance(per, int | float) or per <= 0:
            return None
        side = "input" if ("input" in what or "prompt" in what) else "output"
        rates[side] += float(price) / per
    return rates["input"], rates["output"]


def _rate_words(pricing: dict | None) -> str | None:
    """ "$0.30 per million input tokens; $1.20 per million output tokens": a per-token list price as people read it."""
    if _rates(pricing) is None:
        return None
    said = []
    for u in pricing.get("units") or []:
        per = u.get("per") or 1
        scale = {1: "", 1000: " thousand", 1_000_000: " million"}.get(per, f" {per:,}")
        what = " ".join(x for x in (u.get("measure"), u.get("name")) if x)
        price = f"{u['price']:.2f}" if round(u["price"], 2) == u["price"] else f"{u['price']:g}"
        said.append(f"${price} per{scale} {what}{'s' if per != 1 else ''}")
    return "; ".join(said)


def chat_price(
    chat_model: str, listed: ListedModel | None, listing: Catalogue | None, payload: dict, *, local: bool = False
) -> ChatPrice:
    """What the request ``payload`` costs at most: the list's per-token rates × (its bytes, ``max_tokens``)."""
    prompt_max = sum(len(str(m.get("content", "")).encode("utf-8")) + 4 for m in payload["messages"]) + 3
    max_tokens = int(payload["max_tokens"])
    if listed is None or listing is None or listing.checked_at is None:
        price = Price(None, source=NONE, detail="model list not checked")
    else:
        detail = checked_words_at(listing.checked_at)
        rates = _rates(listed.pricing)
        words = _rate_words(listed.pricing) or listed.price_words()
        if rates is None:
            price = Price(None, source=LIST, detail=detail, as_listed=words or "no per-token price listed")
        else:
            price = Price(prompt_max * rates[0] + max_tokens * rates[1], source=LIST, detail=detail, as_listed=words)
    return ChatPrice(chat_model, price, max_tokens, prompt_max, local=local)


def chat_quote(request: LyricsRequest, listing: Catalogue | None, *, local: bool = False) -> ChatPrice:
    """What :func:`chat_draft` would say before sending ``request`` (for a price line shown ahead of the button).

    An empty theme is priced as a short one (the upper bound moves by a few tokens).

    Raises
    ------
    InputError, LyricsError
        As :func:`chat_draft` would, before anything is sent.
    """
    if not request.follow_up and not (request.theme or "").strip():
        request = replace(request, theme="x" * 60)
    target, theme, mood, follow, current = _inputs(request)
    keep = songs.find_chorus(current) if follow == "keep my chorus" else None
    _shared_key_check(request, chat_model=request.chat_model)
    chat_model, listed, _ = choose_chat_model(listing, request.chat_model)
    payload = chat_payload(chat_model, chat_messages(target, theme, mood, follow, current, keep), target)
    price = chat_price(chat_model, listed, listing, payload, local=local)
    # A list never read yet is read before the call itself (then an unknown price is refused there).
    _shared_key_check(request, price, price_known_now=listing is not None and listing.checked_at is not None)
    return price


def _shared_key_check(
    request: LyricsRequest, price: ChatPrice | None = None, *, chat_model: str | None = None, price_known_now=True
) -> None:
    """On a server's shared key: a default chat model only, at a price the list gives (else refused, unsent)."""
    if not request.shared_key:
        return
    name = (price.chat_model if price is not None else (chat_model or "").strip()) or None
    if name is not None and name not in DEFAULT_CHAT_MODELS:
        raise InputError(
            f"on this server's shared key, lyrics are written by {' or '.join(DEFAULT_CHAT_MODELS)} only, not "
            f"{name}: leave the chat model empty, or paste your own AI/ML API key to choose another. Nothing was sent."
        )
    if price is not None and price_known_now and price.usd_max is None:
        why = price.price.detail or price.price.as_listed or "no price figure"
        raise InputError(
            f"{price.chat_model}'s price is unknown ({why}): on this server's shared key nothing is sent without "
            "one. Try again later, or paste your own AI/ML API key. Nothing was sent."
        )


def call_was_sent(exc: BaseException) -> bool:
    """Whether the error came once the billed call had gone out (it may be billed); False: nothing was sent."""
    return bool(getattr(exc, "call_sent", False))


def _sent(exc: BaseException) -> BaseException:
    exc.call_sent = True
    return exc


def _no_key_in(messages: list[dict], secret) -> None:
    """Refuse, before anything is sent, a request whose text holds the key (or what looks like one)."""
    from .models import SERVICES

    key = secret.reveal() if secret is not None else ""
    shape = re.compile(rf"\b{SERVICES['aimlapi'].token_pattern.strip('^$')}\b")
    for m in messages:
        content = str(m.get("content", ""))
        if (key and key in content) or shape.search(content):
            raise InputError(
                "the theme, mood or lyrics hold your API key (or what looks like one): remove it. Nothing was sent."
            )


def chat_draft(
    request: LyricsRequest,
    *,
    send: Callable,
    listing: Catalogue | None,
    ledger: ChatLedger,
    secret=None,
    base_url: str = "",
    key_fp: str = "",
    local: bool = False,
    on_price: Callable | None = None,
    new_request_id: Callable[[], str] | None = None,
) -> LyricsDraft:
    """A draft by a chat model: checked inputs, the price said, a record kept, one call sent, the answer cleaned.

    Parameters
    ----------
    request : LyricsRequest
    send : callable
        ``send(payload, client_request_id=...)`` → an answer with ``content``, ``finish_reason``, ``credits_used``,
        ``usd_spent``, ``inference_id``, ``prompt_tokens``, ``completion_tokens``
        (:meth:`music01_core.providers.chat.ChatCompletions.complete`): called once.
    listing : Catalogue or None
        The copy of the provider's model list.
    ledger : ChatLedger
        Where the call's record goes (before it is sent, completed after).
    secret : Secret, optional
        The key, only to refuse a prompt that holds it.
    base_url, key_fp : str
        Recorded (never the key).
    local : bool
        A local emulator answers: the price says nothing is billed.
    on_price : callable, optional
        Called with the :class:`ChatPrice` before the call is sent.

    Raises
    ------
    InputError
        Before anything is sent (the model, the theme, a draft far over the limit, a key in the text, a chat
        model not listed; on a shared key, a chat model not a default one or one with no price).
    JobError
        Before anything is sent: the record could not be written.
    ApiError
        The call failed; its record says so (``lost`` when it may be billed; never sent again).
    LyricsError
        The answer holds no usable lyrics (it was billed: its record and cost stay, and the answer as it came
        is kept under ``<home>/lyrics/drafts/``).

    Every error raised once the call went out says so to :func:`call_was_sent`.
    """
    target, theme, mood, follow, current = _inputs(request)
    keep = songs.find_chorus(current) if follow == "keep my chorus" else None
    if follow == "keep my chorus" and keep is None:
        raise InputError("the lyrics have no chorus to keep: mark it with [Chorus] (or sing one block twice).")
    _shared_key_check(request, chat_model=request.chat_model)
    chat_model, listed, notes = choose_chat_model(listing, request.chat_model)
    messages = chat_messages(target, theme, mood, follow, current, keep)
    _no_key_in(messages, secret)
    payload = chat_payload(chat_model, messages, target)
    price = chat_price(chat_model, listed, listing, payload, local=local)
    _shared_key_check(request, price)
    if on_price is not None:
        on_price(price)
    crid = (new_request_id or (lambda: f"music01-{secrets.token_hex(16)}"))()
    call = ledger.sent(
        ChatCall(crid, chat_model, target.model.id, time.time(), "sent", base_url, key_fp, follow_up=follow)
    )
    try:
        answer = _send_once(send, payload, call, ledger)
    except Exception as exc:
        _sent(exc)
        raise
    # Billed: the answer as it came is kept before anything is taken out of it or cut off.
    raw = ledger.keep_answer(crid, _without_key(answer.content, secret))
    kept = f"the answer was kept in {raw}" if raw else "the answer could not be kept on disk"
    cleaned = clean_chat_text(answer.content)
    extra = _chat_notes(cleaned, answer, payload, notes)
    try:
        song = _with_chorus(to_format(cleaned.text, target), keep)
        if follow == "shorter" and current is not None:
            song = _shorter_than(song, current, target)
        draft = _finish(
            song,
            target,
            keep=keep,
            writer="chat",
            chat_model=chat_model,
            follow_up=follow,
            theme=theme,
            mood=mood,
            warnings=extra,
            price=price,
            removed=cleaned.removed,
            local=local,
        )
    except (LyricsError, PromptError) as exc:
        ledger.update(crid, error=f"no usable lyrics in the answer: {exc}")
        raise _sent(
            type(exc)(
                f"{exc} The request was answered and billed once ({call_cost(ledger.get(crid))}); nothing more "
                f"was sent; {kept}."
            )
        ) from exc
    if draft.trimmed and raw:
        draft = replace(draft, warnings=(*draft.warnings, f"the chat model's whole answer is kept in {raw}."))
    return replace(
        draft,
        cost_usd=_num(answer.usd_spent),
        credits_used=_num(answer.credits_used),
        client_request_id=crid,
        inference_id=answer.inference_id,
        finish_reason=answer.finish_reason,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
    )


def _send_once(send: Callable, payload: dict, call: ChatCall, ledger: ChatLedger):
    """The one billed call; its record completed with what came back (or with why nothing did)."""
    from .errors import ApiError

    try:
        answer = send(payload, client_request_id=call.client_request_id)
    except ApiError as exc:
        state = "lost" if exc.may_be_billed else "failed"
        ledger.update(call.client_request_id, state=state, error=str(exc))
        if exc.may_be_billed:
            exc.args = (
                f"{exc.args[0]} The lyrics request (client request id {call.client_request_id}) is kept as "
                "'answer lost': `music01 spend` shows whether it was billed.",
            )
        raise
    ledger.update(
        call.client_request_id,
        state="answered",
        inference_id=answer.inference_id,
        credits_used=answer.credits_used,
        usd_spent=answer.usd_spent,
        prompt_tokens=answer.prompt_tokens,
        completion_tokens=answer.completion_tokens,
        finish_reason=answer.finish_reason or None,
    )
    return answer


def _without_key(text, secret) -> str:
    """A chat answer's text as kept on disk: as it came, the key (were it ever there) taken out."""
    text = str(text or "")
    key = secret.reveal() if secret is not None else ""
    return text.replace(key, "[the API key, removed]") if key else text


def _chat_notes(cleaned: CleanText, answer, payload: dict, notes) -> tuple[str, ...]:
    out = list(notes)
    if cleaned.notes:
        out.append("removed from the chat model's answer: " + ", ".join(cleaned.notes) + ".")
    if cleaned.removed:
        n = sum(cleaned.removed.values())
        out.append(f"removed {n} invisible or control character{'s' * (n != 1)} from the chat model's answer.")
    if answer.finish_reason == "length":
        out.append(f"the chat model stopped at its {payload['max_tokens']}-token cap: the end may be missing.")
    return tuple(out)


def _with_chorus(song: list[songs.Section], keep: songs.Section | None) -> list[songs.Section]:
    """``song`` with its chorus replaced by ``keep`` word for word (inserted after the first section when it has none)."""
    if keep is None:
        return song
    if any(s.kind == "Chorus" for s in song):
        return [keep if s.kind == "Chorus" else s for s in song]
    return song[:1] + [keep] + song[1:]


def _shorter_than(song, current, target: LyricsTarget):
    """A "shorter" answer that is not shorter than the draft is made shorter here (a section or a line less)."""
    size = lambda s: provider_length(songs.render(s, target.style, accompaniment=target.accompaniment))  # noqa: E731
    while song and size(song) >= size(current):
        try:
            song = songs.shorter(song)
        except songs.NoRoomError:
            break
    return song


def _num(value) -> float | None:
    try:
        return None if value in (None, "") else float(value)
    except (TypeError, ValueError):
        return None


# --- the records ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ChatCall:
    """The record of one lyrics request to a chat model (never the key, never the text).

    It stands beside the history's pieces in the spend report (:func:`music01_core.account.reconcile` reads
    ``backend``, ``model``, ``created``, ``id``, ``generation_id``, ``inference_id``, ``client_request_id``,
    ``usd_spent`` and ``credits_used``), matched to the usage log's row by its client request id.

    Attributes
    ----------
    client_request_id : str
    chat_model, music_model : str
    created : float
        Unix time it was sent, in seconds.
    state : {"sent", "answered", "failed", "lost"}
        ``sent``: on its way (left so, the program stopped before the answer); ``lost``: no answer, it may be
        billed; ``failed``: refused before any work (not billed).
    base_url, key_fp : str
        Where it went and a one-way fingerprint of the key.
    draft_path, answer_path : str or None
        The draft shown, and the chat model's answer as it came (kept the moment it arrived, before cleaning
        or cutting): ``<home>/lyrics/drafts/<client request id>.raw.txt``.
    """

    client_request_id: str
    chat_model: str
    music_model: str
    created: float
    state: str
    base_url: str = ""
    key_fp: str = ""
    inference_id: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    finish_reason: str | None = None
    error: str | None = None
    follow_up: str | None = None
    draft_path: str | None = None
    answer_path: str | None = None
    updated: float = 0.0

    @property
    def backend(self) -> str:
        """Made on the service (a spend entry's ``backend``)."""
        return "api"

    @property
    def model(self) -> str:
        """The chat model, as the usage log names it."""
        return self.chat_model

    @property
    def id(self) -> str:
        return f"lyrics-{self.client_request_id}"

    @property
    def generation_id(self) -> None:
        return None

    @property
    def answer_lost(self) -> bool:
        return self.state in ("sent", "lost")


def call_cost(call: ChatCall | None) -> str:
    """ "$0.000412 (824 credits)" of a record, or "cost not reported"."""
    if call is None or (call.usd_spent is None and call.credits_used is None):
        return "cost not reported"
    usd, credits = _num(call.usd_spent), _num(call.credits_used)
    usd = usd if usd is not None else (credits or 0) / CREDITS_PER_USD
    return f"${usd:.6f}".rstrip("0").rstrip(".") + (f" ({credits:,.0f} credits)" if credits is not None else "")


class ChatLedger:
    """The records of lyrics requests, one JSON file each under ``<home>/lyrics/calls/``."""

    def __init__(self, home) -> None:
        self.dir = Path(home) / "lyrics" / "calls"

    def _path(self, crid: str) -> Path:
        return self.dir / (re.sub(r"[^A-Za-z0-9._-]", "_", crid) + ".json")

    def sent(self, call: ChatCall) -> ChatCall:
        """Write the record before the call leaves.

        Raises
        ------
        JobError
            It cannot be written (the disk, not the input): then nothing is sent.
        """
        call = replace(call, updated=time.time())
        try:
            atomic_write_json(self._path(call.client_request_id), asdict(call))
        except OSError as exc:
            raise JobError(
                f"nothing was sent: the record of the lyrics request could not be saved ({exc.strerror or exc}). "
                "Free some disk space and try again."
            ) from exc
        return call

    def keep_answer(self, crid: str, text: str) -> str | None:
        """Keep a chat answer's text as it came under ``<home>/lyrics/drafts/<crid>.raw.txt``, its path in the record.

        Returns the path, or None when the disk refuses (logged, never raised: the answer matters more).
        """
        path = self.dir.parent / "drafts" / (self._path(crid).stem + ".raw.txt")
        try:
            atomic_write_bytes(path, text.encode("utf-8", "backslashreplace"))
        except OSError as exc:
            logger.warning("the chat answer could not be kept on disk: %s", exc)
            return None
        self.update(crid, answer_path=str(path))
        return str(path)

    def update(self, crid: str, **changes) -> ChatCall | None:
        """Complete a record (an unwritable disk is logged, never raised: the answer matters more)."""
        call = self.get(crid)
        if call is None:
            return None
        call = replace(call, **changes, updated=time.time())
        try:
            atomic_write_json(self._path(crid), asdict(call))
        except OSError as exc:
            logger.warning("the lyrics request's record could not be updated: %s", exc)
        return call

    def get(self, crid: str) -> ChatCall | None:
        try:
            d = json.loads(self._path(crid).read_text(encoding="utf-8"))
            return ChatCall(**{k: v for k, v in d.items() if k in ChatCall.__dataclass_fields__})
        except (OSError, ValueError, TypeError):
            return None

    def list(self) -> list[ChatCall]:
        """Every record, newest first (unreadable ones skipped)."""
        if not self.dir.is_dir():
            return []
        calls = [self.get(p.stem) for p in self.dir.glob("*.json")]
        return sorted((c for c in calls if c is not None), key=lambda c: c.created, reverse=True)


def keep_draft(home, draft: LyricsDraft, ledger: ChatLedger | None = None) -> LyricsDraft:
    """Keep the draft's text under ``<home>/lyrics/drafts/`` before it is shown; the draft with its ``path``.

    A disk that cannot be written costs the copy, never the draft (a warning says so).
    """
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime()) + "-" + secrets.token_hex(3)
    path = Path(home) / "lyrics" / "drafts" / f"{stamp}.txt"
    try:
        atomic_write_bytes(path, (draft.text + "\n").encode("utf-8"))
    except OSError as exc:
        return replace(
            draft, warnings=(*draft.warnings, f"the draft could not be kept on disk ({exc.strerror or exc}).")
        )
    if ledger is not None and draft.client_request_id:
        ledger.update(draft.client_request_id, draft_path=str(path))
    return replace(draft, path=str(path))
