"""The lyrics step: style prompt, instrumental/optimizer flags, the lyrics and how the model will read them."""

import gradio as gr

from music01_core.lyrics_writer import sings_from_prompt
from music01_core.models import Model

from ..lyrics import (
    DOCS_EXAMPLE_LYRICS,
    EXAMPLES_LABEL,
    FOLLOW_UP_BUTTONS,
    LYRICS_EXAMPLES_BY_STYLE,
    LYRICS_INFO,
    PROMPT_EXAMPLE,
    WRITER_INFO,
    api_write_lyrics,
    chat_menu,
    chat_model_choices,
    clean_lyrics,
    example_for,
    into_prompt_visible,
    lyrics_change,
    lyrics_price_line,
    lyrics_style,
    prompt_view,
    toggle_wrap,
    wrap_value,
    writer_for,
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
        build_writer(ui, dm)
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


def build_writer(ui: Page, dm: Model) -> None:
    """ "Lyrics for you": theme, mood, the chat model, the price line, Write and the follow-ups."""
    with gr.Accordion("✍️ Lyrics for you — from a theme and a mood", open=True):
        gr.Markdown(WRITER_INFO)
        with gr.Row():
            ui.w_theme = gr.Textbox(label="Theme", placeholder="a lighthouse keeper who misses the sea", scale=3)
            ui.w_mood = gr.Textbox(label="Mood", placeholder="melancholy, upbeat, tender…", scale=2)
            ui.w_chat = gr.Dropdown(
                chat_model_choices(),
                value="",
                label="Chat model",
                info="empty: gpt-4o-mini when the provider lists it, else minimax/m2 (the only two on the server's key)",
                allow_custom_value=False,  # a listed chat model only; on the server's key, a default one only
                scale=2,
            )
        ui.w_into_prompt = gr.Checkbox(
            label="put them in the prompt (this model sings lyrics written inside its prompt)",
            value=False,
            visible=sings_from_prompt(dm),
        )
        ui.w_price = gr.Markdown(lyrics_price_line(dm.id))
        ui.w_follow = gr.Textbox(value="", visible=False)  # the public endpoint's follow-up ("" from this button)
        with gr.Row():
            ui.w_write = gr.Button("Write lyrics", variant="primary", scale=0)
            ui.w_follow_btns = [gr.Button(label, size="sm", scale=0) for label, _ in FOLLOW_UP_BUTTONS]
        ui.w_status = gr.Markdown()


def wire_writer(ui: Page) -> None:
    """The writer's buttons (one public endpoint, ``/write_lyrics``), its price line and its prompt box."""
    asked = [ui.w_theme, ui.w_mood, ui.model, ui.w_chat]
    current = [ui.lyrics, ui.prompt, ui.w_into_prompt, ui.api_key]
    written = [ui.lyrics, ui.prompt, ui.w_status]
    ui.w_write.click(api_write_lyrics, [*asked, ui.w_follow, *current], written, api_name="write_lyrics")
    for button, (_, follow_up) in zip(ui.w_follow_btns, FOLLOW_UP_BUTTONS, strict=True):
        button.click(writer_for(follow_up), [*asked, *current], written, **PRIVATE)
    gr.on(
        # The tab's opening too: the model list may have been read since the page was drawn.
        [ui.lyrics_tab.select, ui.model.change, ui.w_chat.change, ui.w_into_prompt.change, ui.api_key.change],
        lyrics_price_line,
        [ui.model, ui.w_chat, ui.w_into_prompt, ui.prompt, ui.api_key],
        [ui.w_price],
        **PRIVATE,
        show_progress="hidden",
    )
    ui.model.change(into_prompt_visible, [ui.model], [ui.w_into_prompt], **PRIVATE, show_progress="hidden")
    ui.lyrics_tab.select(chat_menu, None, [ui.w_chat], **PRIVATE, show_progress="hidden")


def wire_lyrics_tab(ui: Page) -> None:
    # The wrap box follows the text, so it always agrees with the "wrap on/off" the counter states.
    ui.lyrics.change(
        lyrics_change, [ui.lyrics, ui.model], [ui.counter, ui.structure, ui.wrap], **PRIVATE, show_progress="hidden"
    )
    ui.prompt.change(prompt_view, [ui.prompt, ui.model], [ui.prompt_msg], **PRIVATE, show_progress="hidden")
    ui.wrap.input(toggle_wrap, [ui.lyrics, ui.wrap], [ui.lyrics], **PRIVATE)
    ui.clean_btn.click(clean_lyrics, [ui.lyrics, ui.model], [ui.lyrics], **PRIVATE)
    wire_writer(ui)
