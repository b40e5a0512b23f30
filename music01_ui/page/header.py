"""The top of the page: title, status banner, the model menu (and what it changes) and a credential box per service."""

import gradio as gr

from music01_core.models import MODELS, SERVICES, Model, get_model, model_label

from ..lyrics import (
    LYRICS_EXAMPLES_BY_STYLE,
    LYRICS_INFO,
    example_for,
    lyrics_style,
    lyrics_view,
    prompt_view,
    wrap_value,
)
from ..model import has_upload_step, model_card, model_info, purpose_info, shows_purpose, step_labels
from ..session import banner_text, key_status, token_status
from . import PRIVATE, Page

#: The menu: each row's label, with its provider when two providers serve the same model ("· AI/ML API").
MODEL_CHOICES = [(model_label(m.id) + ("" if m.live else " — retired"), m.id) for m in MODELS.values()]


def _runs(service: str) -> str:
    """The models a service runs, for the line above its box."""
    names = [m.family for m in MODELS.values() if m.provider == service and m.live]
    return ", ".join(dict.fromkeys(names))


def model_view(
    model_id: str | None,
    lyrics: str | None,
    prompt: str | None,
    api_key: str | None,
    replicate_token: str | None = None,
    fmt: str | None = None,
):
    """Show the steps, fields, labels and examples the chosen model takes (the menu's change event)."""
    m = get_model(model_id)
    lyrics = example_for(m.id, lyrics)  # the untouched example follows the model's lyrics style
    counter, structure = lyrics_view(lyrics, m.id)
    style = lyrics_style(m.id)
    labels = step_labels(m.id)
    return (
        gr.update(value=lyrics, info=LYRICS_INFO.get(style, "")),
        model_card(m.id),
        gr.update(info=model_info(m.id)),
        banner_text(api_key, m.id, replicate_token),
        gr.update(visible=m.takes_reference),
        gr.update(visible=not m.takes_reference),
        gr.update(visible="url" in m.reference.ways),
        gr.update(visible=has_upload_step(m.id), label=labels["upload"]),
        gr.update(label=labels["lyrics"]),
        gr.update(label=labels["generate"]),
        gr.update(label=labels["history"]),
        gr.update(visible=m.prompt is not None),
        gr.update(visible=m.wraps_accompaniment, value=wrap_value(lyrics, m.id)),
        gr.update(visible="is_instrumental" in m.flags),
        gr.update(visible="lyrics_optimizer" in m.flags),
        gr.update(visible=m.audio_setting is not None),
        *(gr.update(visible=s == style) for s in LYRICS_EXAMPLES_BY_STYLE),
        counter,
        structure,
        prompt_view(prompt, m.id),
        gr.update(visible=shows_purpose(m.id), info=purpose_info(m.id)),
        # Only the formats the model returns (Replicate's music-01: one MP3).
        gr.update(choices=list(m.returns), value=fmt if fmt in m.returns else m.returns[0])
        if m.audio_setting is not None
        else gr.update(),
    )


def build_header(ui: Page, dm: Model) -> None:
    """Title, banner, model menu and key boxes, as they stand for the model the page starts on."""
    gr.Markdown(
        "# 🎵 music01\nMake a new piece with MiniMax's music models on the AI/ML API or Replicate: choose a "
        "model, then follow the numbered tabs — they are the steps that model takes."
    )
    ui.banner = gr.Markdown(banner_text(None, dm.id), elem_classes="banner")
    with gr.Row():
        ui.model = gr.Dropdown(
            MODEL_CHOICES,
            value=dm.id,
            label="Model",
            scale=1,
            info=model_info(dm.id),
        )
        ui.model_md = gr.Markdown(model_card(dm.id))
    # One box per service: each credential is sent only to its own service, and only from this tab.
    with gr.Accordion("Your keys (optional)", open=False), gr.Row():
        with gr.Column():
            gr.Markdown(f"**{SERVICES['aimlapi'].label}** — runs {_runs('aimlapi')}")
            ui.api_key = gr.Textbox(
                label="API key",
                type="password",
                placeholder="paste a key to use the real model",
                info="Kept only in this browser tab and sent only to the AI/ML API. Never stored.",
            )
            ui.key_msg = gr.Markdown()
        with gr.Column():
            gr.Markdown(f"**{SERVICES['replicate'].label}** — runs {_runs('replicate')}")
            ui.replicate_token = gr.Textbox(
                label="Replicate API token",
                type="password",
                placeholder="r8_… from replicate.com/account/api-tokens",
                info="Kept only in this browser tab and sent only to Replicate. Never stored.",
            )
            ui.token_msg = gr.Markdown()


def wire_model_menu(ui: Page) -> None:
    """A new model redraws every step: tabs, fields, labels and examples (see :func:`model_view`)."""
    ui.model.change(
        model_view,
        [ui.model, ui.lyrics, ui.prompt, ui.api_key, ui.replicate_token, ui.fmt],
        [
            ui.lyrics,
            ui.model_md,
            ui.model,
            ui.banner,
            ui.ref_group,
            ui.no_ref_md,
            ui.url_row,
            ui.upload_tab,
            ui.lyrics_tab,
            ui.generate_tab,
            ui.history_tab,
            ui.prompt,
            ui.wrap,
            ui.instrumental,
            ui.optimizer,
            ui.settings_row,
            *ui.example_sets,
            ui.counter,
            ui.structure,
            ui.prompt_msg,
            ui.ref_purpose,
            ui.fmt,
        ],
        **PRIVATE,
    )


def wire_key(ui: Page) -> None:
    # A pasted key or token is checked at once (the check the service's client makes before a call), not at
    # Generate; the banner says which service, and whose credential, makes the chosen model.
    ui.api_key.change(
        lambda k, m, r=None: (banner_text(k, m, r), key_status(k)),
        [ui.api_key, ui.model, ui.replicate_token],
        [ui.banner, ui.key_msg],
        **PRIVATE,
        show_progress="hidden",
    )
    ui.replicate_token.change(
        lambda r, m, k=None: (banner_text(k, m, r), token_status("replicate", r)),
        [ui.replicate_token, ui.model, ui.api_key],
        [ui.banner, ui.token_msg],
        **PRIVATE,
        show_progress="hidden",
    )
