"""The "Compare models" tab: one prompt to 2–4 models, a plan with one total, then the takes side by side."""

from types import SimpleNamespace

import gradio as gr

from music01_core.models import Model, get_model
from music01_core.takes import MAX_TAKES, MIN_TAKES

from ..history import history_rows
from ..options import seed_takers
from ..takes import (
    DEFAULT_LENGTH_S,
    DEFAULT_LYRICS,
    DEFAULT_MODELS,
    DEFAULT_PROMPT,
    api_takes,
    copy_from_page,
    default_choices,
    grid_view,
    keep_handler,
    length_range,
    options_view,
    plan_click,
)
from . import PRIVATE, Page


def build_takes_tab(ui: Page, dm: Model) -> None:
    """The tab's inputs, its Plan and Send buttons, the plan's Markdown and a grid of up to four cells."""
    rng = length_range(DEFAULT_MODELS)
    with gr.Tab("Compare models") as ui.takes_tab:
        gr.Markdown(
            "One idea, several models: the same prompt (and the lyrics, for the models that sing) goes to "
            f"{MIN_TAKES}–{MAX_TAKES} models at once. **Plan** checks each take and shows its price and the total; nothing is "
            "sent until you press the button that says what it costs. Every take is saved in History."
        )
        ui.takes_models = gr.Dropdown(
            default_choices(),
            value=list(DEFAULT_MODELS),
            multiselect=True,
            max_choices=MAX_TAKES,
            label="Models to compare",
            info=f"{MIN_TAKES}–{MAX_TAKES} models; those that need a reference track are refused by the plan",
        )
        with gr.Row():
            ui.takes_prompt = gr.Textbox(
                DEFAULT_PROMPT, label="Prompt for every model", lines=4, info="sent to each model that takes one"
            )
            ui.takes_lyrics = gr.Textbox(
                DEFAULT_LYRICS, label="Lyrics for the models that sing", lines=4, info="left out for the others"
            )
        with gr.Row():
            ui.takes_copy_btn = gr.Button(
                "Use the prompt and lyrics of the Lyrics step", size="sm", scale=0, min_width=380
            )
        with gr.Row():
            ui.takes_length = gr.Slider(
                minimum=rng[0] if rng else 1,
                maximum=rng[1] if rng else 60,
                value=min(max(DEFAULT_LENGTH_S, rng[0]), rng[1]) if rng else DEFAULT_LENGTH_S,
                step=1,
                label="Length of each take (s)",
                visible=rng is not None,
                info=f"sent to {', '.join(rng[2])}" if rng else None,
            )
            negative = [m for m in DEFAULT_MODELS if get_model(m).option("negative_prompt") is not None]
            ui.takes_negative = gr.Textbox(
                label="Negative prompt (what to leave out)",
                lines=1,
                visible=bool(negative),
                info=f"sent to {', '.join(negative)}" if negative else None,
            )
            ui.takes_seed = gr.Number(
                -1,
                label="Seed of every take (-1 = random)",
                precision=0,
                minimum=-1,
                info=f"the offline engine's, and {seed_takers()}",
            )
        with gr.Row():
            ui.takes_plan_btn = gr.Button("Plan: check and price (nothing is sent)")
            ui.takes_send_btn = gr.Button("Send", variant="primary", visible=False)
        # The plan's one-time confirmation: an input of the public /takes endpoint, never typed by hand here.
        ui.takes_confirm = gr.Textbox(visible=False, label="confirmation")
        ui.takes_md = gr.Markdown()
        ui.takes_info = gr.JSON(visible=False)
        ui.takes_state = gr.State(None)
        ui.takes_cells = []
        with gr.Row(equal_height=False):
            for _ in range(MAX_TAKES):
                with gr.Column(visible=False, min_width=240) as col:
                    cell = SimpleNamespace(col=col)
                    cell.title = gr.Markdown()
                    cell.audio = gr.Audio(type="filepath", interactive=False, show_label=False)
                    cell.facts = gr.Markdown()
                    cell.image = gr.Image(
                        type="filepath", interactive=False, show_label=False, height=170, buttons=[], container=False
                    )
                    cell.keep = gr.Button("Keep", size="sm")
                    cell.kept = gr.Markdown()
                ui.takes_cells.append(cell)
        ui.takes_files = gr.File(label="Download the takes", file_count="multiple", interactive=False, visible=False)


def wire_takes_tab(ui: Page) -> None:
    inputs = [ui.takes_models, ui.takes_prompt, ui.takes_lyrics, ui.takes_length, ui.takes_negative, ui.takes_seed]
    ui.takes_models.change(
        options_view, [ui.takes_models, ui.takes_length], [ui.takes_length, ui.takes_negative], **PRIVATE
    )
    ui.takes_copy_btn.click(
        copy_from_page,
        [ui.lyrics, ui.prompt, ui.takes_lyrics, ui.takes_prompt],
        [ui.takes_lyrics, ui.takes_prompt],
        **PRIVATE,
    )
    # A change after the plan was shown takes its button away: the total shown must be the one sent.
    gr.on(
        [c.change for c in inputs],
        lambda: (gr.update(visible=False), ""),
        None,
        [ui.takes_send_btn, ui.takes_confirm],
        **PRIVATE,
        show_progress="hidden",
    )
    ui.takes_plan_btn.click(
        plan_click,
        [*inputs, ui.api_key, ui.replicate_token],
        [ui.takes_md, ui.takes_info, ui.takes_confirm, ui.takes_send_btn],
        **PRIVATE,
    )
    cells = ui.takes_cells
    grid = [x for c in cells for x in (c.col, c.title, c.audio, c.facts, c.image, c.keep, c.kept)] + [ui.takes_files]
    # Public (/takes): without a confirmation it answers the plan; with the plan's, it sends each take once.
    send = ui.takes_send_btn.click(
        api_takes,
        [*inputs, ui.takes_confirm, ui.api_key, ui.replicate_token],
        [ui.takes_md, ui.takes_info, ui.takes_files, ui.takes_confirm, ui.takes_state],
        api_name="takes",
        concurrency_limit=4,
    )
    # Sent or refused, the confirmation is used: a new round starts with a new plan.
    send.then(lambda: gr.update(visible=False), None, ui.takes_send_btn, **PRIVATE)
    send.success(grid_view, ui.takes_state, grid, **PRIVATE).then(history_rows, None, ui.hist, **PRIVATE)
    for i, c in enumerate(cells):
        c.keep.click(keep_handler(i), [ui.takes_state], [c.keep, c.kept], **PRIVATE).then(
            history_rows, None, ui.hist, **PRIVATE
        )
