"""The lyrics step: style prompt, instrumental/optimizer flags, the lyrics and how the model will read them."""

import gradio as gr

from music01_core.models import Model

from ..lyrics import (
    DOCS_EXAMPLE_LYRICS,
    EXAMPLES_LABEL,
    LYRICS_EXAMPLES_BY_STYLE,
    LYRICS_INFO,
    PROMPT_EXAMPLE,
    clean_lyrics,
    example_for,
    lyrics_change,
    lyrics_style,
    prompt_view,
    toggle_wrap,
    wrap_value,
)
from ..model import step_labels
from . import PRIVATE, Page


def build_lyrics_tab(ui: Page, dm: Model) -> None:
    style = lyrics_style(dm.id)
    with gr.Tab(step_labels(dm.id)["lyrics"]) as ui.lyrics_tab:
        ui.prompt = gr.Textbox(
            label="Style prompt",
            lines=2,
            value=PROMPT_EXAMPLE,
            visible=dm.prompt is not None,
            info="genre, mood, instruments, voice — what the music should sound like",
        )
        ui.prompt_msg = gr.Markdown()
        with gr.Row():
            ui.instrumental = gr.Checkbox(
                label="instrumental (no vocals)", value=False, visible="is_instrumental" in dm.flags
            )
            ui.optimizer = gr.Checkbox(
                label="lyrics optimizer (the model writes lyrics from the prompt)",
                value=False,
                visible="lyrics_optimizer" in dm.flags,
            )
        ui.lyrics = gr.Textbox(
            label="Lyrics",
            lines=8,
            value=example_for(dm.id, DOCS_EXAMPLE_LYRICS),
            info=LYRICS_INFO.get(style, ""),
        )
        with gr.Row():
            ui.counter = gr.Markdown()
            ui.wrap = gr.Checkbox(
                label="add accompaniment (##…##)",
                value=wrap_value(example_for(dm.id, DOCS_EXAMPLE_LYRICS), dm.id),
                visible=dm.wraps_accompaniment,
            )
            ui.clean_btn = gr.Button("Remove invisible characters", size="sm")
        ui.structure = gr.Textbox(label="Lines as the model will read them", lines=4, interactive=False)
        # One set of examples per lyrics style; the chosen model's own is the one shown.
        ui.example_sets = []
        for s_name, texts in LYRICS_EXAMPLES_BY_STYLE.items():
            with gr.Column(visible=s_name == style) as col:
                gr.Examples([[t] for t in texts], inputs=[ui.lyrics], label=EXAMPLES_LABEL[s_name])
            ui.example_sets.append(col)


def wire_lyrics_tab(ui: Page) -> None:
    # The wrap box follows the text, so it always agrees with the "wrap on/off" the counter states.
    ui.lyrics.change(
        lyrics_change, [ui.lyrics, ui.model], [ui.counter, ui.structure, ui.wrap], **PRIVATE, show_progress="hidden"
    )
    ui.prompt.change(prompt_view, [ui.prompt, ui.model], [ui.prompt_msg], **PRIVATE, show_progress="hidden")
    ui.wrap.input(toggle_wrap, [ui.lyrics, ui.wrap], [ui.lyrics], **PRIVATE)
    ui.clean_btn.click(clean_lyrics, [ui.lyrics, ui.model], [ui.lyrics], **PRIVATE)
