"""Step 3 of the app: lyrics and the style prompt, checked against the chosen model's limits."""

from __future__ import annotations

import gradio as gr

DOCS_EXAMPLE_LYRICS = (
    "##Swing to the rhythm of the night\nLet the music take control\n\nDancing in the silver "
    "light\nWe will never let it go##"
)
TAG_EXAMPLE_LYRICS = (
    "[Verse]\nStreetlights flicker, the night breeze sighs\nShadows stretch as I walk alone\n"
    "[Chorus]\nPushing the wooden door, the aroma spreads\nIn a familiar corner, I find my way"
)
LYRICS_EXAMPLES = [
    DOCS_EXAMPLE_LYRICS,
    "##In the quiet of the morning\nI can hear the river call##",
    "Hello moon, hello sky\nsing me softly to the night\n\nhold the light until I'm home",
    TAG_EXAMPLE_LYRICS,
]
PROMPT_EXAMPLE = "Warm lo-fi hip hop, soft Rhodes piano, vinyl crackle, relaxed female vocal"


def lyrics_view(text: str | None, model: str | None = None):
    """The counter (with the model's limit) and the lines as the model will read them."""
    from music01_core.lyrics import check_lyrics
    from music01_core.models import get_model

    m = get_model(model or None)
    if m.lyrics is None:
        return f"{m.id} takes no lyrics.", ""
    report = check_lyrics(text or "", model=m)
    counter = f"**{report.chars} / {report.max_chars}**" + (f" — {report.excess} over" if report.excess else "")
    if report.style == "music01":
        shape = (
            f"{len(report.lines)} lines · {report.pauses} pauses · accompaniment wrap "
            f"{'on' if report.accompaniment else 'off'}"
        )
    else:
        tags = f"({', '.join(report.tags[:6])})" if report.tags else "— add [Verse] / [Chorus] lines to shape it"
        shape = f"{len(report.lines)} lines · {len(report.tags)} structure tags {tags}"
    optional = "" if m.lyrics.required else " · optional"
    parts = [counter + optional, shape]
    parts += [f"⚠️ {w}" for w in report.warnings] + [f"❌ {e}" for e in report.errors if text]
    structure = "\n".join(f"{i + 1:>2}. {ln}" for i, ln in enumerate(report.lines)) or "(no lines yet)"
    return "\n\n".join(parts), structure


def prompt_view(text: str | None, model: str | None = None) -> str:
    from music01_core.models import get_model

    m = get_model(model or None)
    if m.prompt is None:
        return ""
    n = len((text or "").strip())
    spec = m.prompt
    bad = n > spec.max_chars or (n and n < spec.min_chars) or (not n and spec.required)
    return (
        f"{'❌' if bad else '✅'} {n} / {spec.max_chars} characters"
        + (f" (at least {spec.min_chars})" if spec.min_chars > 1 else "")
        + ("" if spec.required else " · optional")
    )


def toggle_wrap(text: str | None, on: bool) -> str:
    from music01_core.lyrics import set_accompaniment

    return set_accompaniment(text or "", on)


def clean_lyrics(text: str | None) -> str:
    from music01_core.lyrics import check_lyrics

    report = check_lyrics(text or "")
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
