"""Step 3 of the app: lyrics and the style prompt, checked against the chosen model's limits."""

from __future__ import annotations

import html

import gradio as gr

from music01_core.lyrics import COUNTED_AS_PROVIDER, switch_label

from .session import box_tokens, friendly, limit_shared_key, open_session_backend, refund_shared_key

DOCS_EXAMPLE_LYRICS = (
    "##Swing to the rhythm of the night\nLet the music take control\n\nDancing in the silver "
    "light\nWe will never let it go##"
)
TAG_EXAMPLE_LYRICS = (
    "[Verse]\nStreetlights flicker, the night breeze sighs\nShadows stretch as I walk alone\n"
    "[Chorus]\nPushing the wooden door, the aroma spreads\nIn a familiar corner, I find my way"
)
#: Example lyrics per lyrics style (``TextSpec.style``): the examples shown are the chosen model's own
#: kind, so a 2.x model never offers music-01's ``##…##`` and music-01 never offers ``[Verse]`` tags.
LYRICS_EXAMPLES_BY_STYLE = {
    "music01": [
        DOCS_EXAMPLE_LYRICS,
        "##In the quiet of the morning\nI can hear the river call##",
        "Hello moon, hello sky\nsing me softly to the night\n\nhold the light until I'm home",
    ],
    "tags": [
        TAG_EXAMPLE_LYRICS,
        "[Intro]\n[Verse]\nIn the quiet of the morning\nI can hear the river call\n[Chorus]\nHold the light "
        "until I'm home\nHold the light until I'm home",
        "[Verse]\nHello moon, hello sky\nsing me softly to the night\n[Outro]\nhold the light until I'm home",
    ],
}
EXAMPLES_LABEL = {
    "music01": "Examples (music-01's format: the first is from its docs; ##…## at both ends adds accompaniment)",
    "tags": "Examples ([Verse] / [Chorus] structure tags; describe the accompaniment in the style prompt)",
}
LYRICS_INFO = {
    "music01": "\\n new line · blank line = pause · ##…## at both ends adds accompaniment",
    "tags": "one sung line per line · [Verse] / [Chorus] / [Bridge] tags shape the song · no ##…## here",
}
LYRICS_EXAMPLES = [text for texts in LYRICS_EXAMPLES_BY_STYLE.values() for text in texts]
PROMPT_EXAMPLE = "Warm lo-fi hip hop, soft Rhodes piano, vinyl crackle, relaxed female vocal"


def _count(n: int, word: str) -> str:
    """ "1 line", "2 lines": the status line says a count the way a person would."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def lyrics_view(text: str | None, model: str | None = None):
    """The counter (with the model's limit) and the lines as the model will read them."""
    from music01_core.lyrics import check_lyrics
    from music01_core.models import get_model

    m = get_model(model or None)
    if m.lyrics is None:
        return f"{m.id} takes no lyrics.", ""
    report = check_lyrics(text or "", model=m)
    # The provider's own count (emoji count two), so the counter and its refusal never disagree.
    counter = f"**{report.chars} / {report.max_chars}**" + (f" — {report.excess} over" if report.excess else "")
    if report.chars != report.visible_chars:
        counter += f" ({COUNTED_AS_PROVIDER}; you see {report.visible_chars} characters)"
    if report.style == "music01":
        shape = (
            f"{_count(len(report.lines), 'line')} · {_count(report.pauses, 'pause')} · accompaniment wrap "
            f"{'on' if report.accompaniment else 'off'}"
        )
    else:
        tags = f"({', '.join(report.tags[:6])})" if report.tags else "— add [Verse] / [Chorus] lines to shape it"
        shape = f"{_count(len(report.lines), 'line')} · {_count(len(report.tags), 'structure tag')} {tags}"
    optional = "" if m.lyrics.required else " · optional"
    if m.lyrics.required_unless:
        # music-2.6: lyrics are optional only with one of its switches on (its table entry says which).
        optional = (
            " · needed unless " + " or ".join(f'"{switch_label(f)}"' for f in m.lyrics.required_unless) + " is on"
        )
    parts = [counter + optional, shape]
    parts += [f"⚠️ {w}" for w in report.warnings] + [f"❌ {e}" for e in report.errors if text]
    structure = "\n".join(f"{i + 1:>2}. {ln}" for i, ln in enumerate(report.lines)) or "(no lines yet)"
    return "\n\n".join(parts), structure


def prompt_view(text: str | None, model: str | None = None) -> str:
    """The style prompt's counter: its length as the provider counts it (emoji count two), against the model's bounds."""
    from music01_core.lyrics import clean_prompt, provider_length
    from music01_core.models import get_model

    m = get_model(model or None)
    if m.prompt is None:
        return ""
    sent = clean_prompt(text or "")
    n = provider_length(sent)
    spec = m.prompt
    bad = n > spec.max_chars or (n and n < spec.min_chars) or (not n and spec.required)
    return (
        f"{'❌' if bad else '✅'} {n} / {spec.max_chars} characters"
        + (f" (at least {spec.min_chars})" if spec.min_chars > 1 else "")
        + ("" if n == len(sent) else f" ({COUNTED_AS_PROVIDER}; you see {len(sent)})")
        + ("" if spec.required else " · optional")
    )


def lyrics_style(model) -> str | None:
    """The chosen model's lyrics style (``music01`` or ``tags``); None when it takes no lyrics."""
    from music01_core.models import get_model

    m = get_model(model or None)
    return m.lyrics.style if m.lyrics is not None else None


def wrap_value(text: str | None, model: str | None = None) -> bool:
    """Whether the "add accompaniment" box should be ticked: exactly when the text is wrapped in ##…##.

    The status line says "wrap on/off" from the same report, so box and line always agree.
    """
    from music01_core.lyrics import check_lyrics
    from music01_core.models import get_model

    m = get_model(model or None)
    if not m.wraps_accompaniment:
        return False
    return check_lyrics(text or "", model=m).accompaniment


def lyrics_change(text: str | None, model: str | None = None):
    """What typing in the lyrics box updates: the counter, the lines, and the wrap box."""
    counter, structure = lyrics_view(text, model)
    return counter, structure, wrap_value(text, model)


def toggle_wrap(text: str | None, on: bool) -> str:
    from music01_core.lyrics import set_accompaniment

    return set_accompaniment(text or "", on)


def clean_lyrics(text: str | None, model: str | None = None) -> str:
    from music01_core.lyrics import check_lyrics
    from music01_core.models import get_model

    report = check_lyrics(text or "", model=get_model(model or None))
    if report.removed:
        gr.Info(report.warnings[0])
    return report.text


def example_for(model, text: str | None) -> str | None:
    """The untouched example lyrics in the chosen model's style (``text`` as it is when the person wrote their own)."""
    from music01_core.models import get_model

    m = get_model(model or None)
    if m.lyrics is None:
        return text
    if m.lyrics.style == "tags" and text == DOCS_EXAMPLE_LYRICS:
        return TAG_EXAMPLE_LYRICS
    if m.lyrics.style == "music01" and text == TAG_EXAMPLE_LYRICS:
        return DOCS_EXAMPLE_LYRICS
    return text


# --- lyrics for you: a theme and a mood become lyrics in the model's format ---------------------------

#: The follow-up buttons, in the page's order: (label, the follow-up the core knows).
FOLLOW_UP_BUTTONS = (("Shorter", "shorter"), ("Another verse", "another verse"), ("Keep my chorus", "keep my chorus"))
WRITER_INFO = (
    "A theme and a mood become lyrics already in this model's format and within its limit. With an AI/ML API key "
    "a chat model writes them (its price is shown here first); without one, music01's offline writer does "
    "(templates, not a language model; free)."
)


def chat_model_choices() -> list[str]:
    """The chat models the copy of the AI/ML API's model list names ("" first: the default), never the network."""
    import os

    from music01_core.catalogue import CatalogueClient
    from music01_core.models import SERVICES
    from music01_core.settings import ENV_API_BASES
    from music01_core.transport import normalize_base_url

    try:
        base = next((os.environ[n] for n in ENV_API_BASES if os.environ.get(n, "").strip()), None)
        listing = CatalogueClient.of(SERVICES["aimlapi"], normalize_base_url(base)).cached()
    except Exception:  # a mistyped base is said at start; the menu then offers the default only
        return [""]
    return [""] + sorted(m.id for m in listing.models if "chat" in (m.type or "").lower())


def chat_menu():
    """The chat model menu redrawn from the copy of the list (it may have been read since the page was drawn)."""
    return gr.update(choices=chat_model_choices())


def into_prompt_visible(model: str | None):
    """The "put them in the prompt" box shows for a model that sings lyrics written inside its prompt."""
    from music01_core.lyrics_writer import sings_from_prompt

    return gr.update(visible=sings_from_prompt(model or None))


def _writer_request(theme, mood, model, chat_model, follow_up, draft, prompt, into_prompt, shared_key=False) -> dict:
    return {
        "theme": theme or "",
        "mood": mood or "",
        "model": model or None,
        "chat_model": (chat_model or "").strip() or None,
        "follow_up": follow_up or None,
        "draft": _current_draft(model, follow_up, draft, prompt, into_prompt),
        "prompt": prompt or "",
        "into_prompt": bool(into_prompt),
        "shared_key": bool(shared_key),
    }


def _current_draft(model, follow_up, draft, prompt, into_prompt) -> str:
    """The draft a follow-up edits: the lyrics box, or — lyrics written into the prompt — the prompt box when it
    holds lyrics ("" when it holds none: the lyrics box is not what the prompt sings)."""
    from music01_core.errors import Music01Error
    from music01_core.lyrics_writer import prompt_lyrics, sings_from_prompt

    if not (into_prompt and follow_up):
        return draft or ""
    try:
        sings = sings_from_prompt(model or None)
    except Music01Error:  # an unknown model: the core says so in its own words
        return draft or ""
    if not sings:
        return draft or ""
    return (prompt or "") if prompt_lyrics(prompt or "") else ""


def lyrics_price_line(
    model: str | None,
    chat_model: str | None = None,
    into_prompt: bool = False,
    prompt: str | None = None,
    api_key: str | None = None,
    request: gr.Request = None,
) -> str:
    """What "Write lyrics" costs this session at most, said before anything is sent (disk only, never the network)."""
    from music01_core.errors import Music01Error

    try:
        backend, shared_key = open_session_backend(box_tokens(api_key), request)
        asked = _writer_request("", "", model, chat_model, None, "", prompt, into_prompt, shared_key)
        price = backend.lyrics_price(**asked)
    except Music01Error as exc:
        return f"✍️ {html.escape(str(exc), quote=False)}"
    if price is None:
        return "✍️ offline writer: free — music01's templates write the lyrics, not a language model"
    return f"✍️ {html.escape(price.words(), quote=False)}"


def _write(theme, mood, model, chat_model, follow_up, draft, prompt, into_prompt, api_key, request):
    """Write (or edit) a draft: checked first, counted against the shared key's limits, then one call at most.

    On the server's key only the default chat models are asked, at a listed price; an allowance counted for a
    call refused before it was sent is given back.
    """
    from music01_core.errors import Music01Error
    from music01_core.lyrics_writer import call_was_sent

    backend, shared_key = open_session_backend(box_tokens(api_key), request)
    asked = _writer_request(theme, mood, model, chat_model, follow_up, draft, prompt, into_prompt, shared_key)
    price = backend.lyrics_price(**asked)  # every input checked here, before anything is counted or sent
    counted = price is not None and shared_key
    if counted:
        limit_shared_key(shared_key, request)  # the server's key: the same allowance (and room cap) as a piece
    try:
        out = backend.write_lyrics(**asked)
    except Music01Error as exc:
        if counted and not call_was_sent(exc):
            # Refused before it was sent (a key in the text, the record, the price…): nothing to count.
            refund_shared_key(shared_key, request)
        raise
    for w in out.warnings:
        gr.Info(html.escape(w, quote=False))  # a toast renders HTML: our words are shown as text, never as markup
    # The draft itself goes only into text boxes (plain text); the status line holds our words, escaped.
    lyrics_box = out.text if out.field == "lyrics" else (draft or "")
    prompt_box = out.text if out.field == "prompt" else (prompt or "")
    what = "lyrics" if out.field == "lyrics" else "prompt (the lyrics inside it)"
    said = f"{out.style} format · {out.writer_words()} · {out.cost_words()}"
    cut = " · cut to fit at a section or line boundary" if out.trimmed else ""
    return lyrics_box, prompt_box, f"**{out.count_words()}** in the {what} · {html.escape(said, quote=False)}{cut}"


def writer_for(follow_up: str):
    """The handler of one follow-up button (a private event: the public endpoint is :func:`api_write_lyrics`)."""

    @friendly
    def handler(theme, mood, model, chat_model, draft, prompt, into_prompt, api_key, request: gr.Request = None):
        return _write(theme, mood, model, chat_model, follow_up, draft, prompt, into_prompt, api_key, request)

    handler.__name__ = handler.__qualname__ = "write_" + follow_up.replace(" ", "_")
    return handler


@friendly
def api_write_lyrics(
    theme: str | None,
    mood: str | None,
    model: str | None,
    chat_model: str | None = None,
    follow_up: str | None = None,
    draft: str | None = None,
    prompt: str | None = None,
    into_prompt: bool = False,
    api_key: str | None = None,
    request: gr.Request = None,
):
    """Write lyrics for a theme and a mood in ``model``'s format: returns (lyrics box, prompt box, status line).

    ``follow_up`` ("shorter", "another verse", "keep my chorus") edits ``draft``; ``into_prompt`` puts the
    lyrics inside ``prompt`` for a model that sings from its prompt.  The draft is plain text, checked by the
    lyrics check before it is returned.  On a shared server, a draft written with the server's key counts
    against the same hourly allowance as a piece.
    """
    return _write(theme, mood, model, chat_model, follow_up, draft, prompt, into_prompt, api_key, request)
