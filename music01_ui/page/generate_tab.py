"""The generate step: audio settings and seed, Generate/Cancel, the result, its comparison and its code."""

import gradio as gr

from music01_core.models import Model
from music01_core.settings import BITRATES, DEFAULT_BITRATE, DEFAULT_SAMPLE_RATE, SAMPLE_RATES

from ..code import code_panel
from ..generate import api_generate, api_make, compare, price_line, result_card
from ..history import history_rows, pending_rows
from ..model import step_labels
from ..options import build_option_controls, option_view, options_json, seed_takers
from . import PRIVATE, Page

#: What a person reads after Cancel.
STOPPED = (
    "⏹ Stopped waiting. A job already sent to the paid API keeps running and is "
    "billed; when it finishes it is saved — see History (Resume)."
)


def build_generate_tab(ui: Page, dm: Model) -> None:
    with gr.Tab(step_labels(dm.id)["generate"]) as ui.generate_tab:
        with gr.Row(visible=dm.audio_setting is not None) as ui.settings_row:
            ui.sample_rate = gr.Dropdown(list(SAMPLE_RATES), value=DEFAULT_SAMPLE_RATE, label="sample rate (Hz)")
            ui.bitrate = gr.Dropdown(list(BITRATES), value=DEFAULT_BITRATE, label="bitrate (bit/s, MP3)")
            # Every format stays a valid input of /make (its checks follow these choices); the model menu
            # narrows what the page offers (header.model_view), and prepare refuses one the model lacks.
            ui.fmt = gr.Radio(["mp3", "wav", "pcm"], value=dm.returns[0], label="format")
        # The chosen model's own fields (a length, a negative prompt, steps…), one control per name of the table.
        with gr.Row():
            ui.option_controls = build_option_controls(dm.id)
        ui.options_json = gr.Textbox(value=options_json(dm.id, *_initial(ui.option_controls)), visible=False)
        ui.seed = gr.Number(
            label="seed (-1 = random)",
            info=f"the offline engine's, and sent to a model whose API takes one ({seed_takers()})",
            value=-1,
            precision=0,
            minimum=-1,
        )
        gr.Markdown(
            "With an API key, each Generate is **1 billed generation**; checking its status and "
            "downloading are free. A job that outlives the page keeps running: find it in History."
        )
        with gr.Row():
            ui.gen_btn = gr.Button("Generate", variant="primary")
            ui.cancel_btn = gr.Button("Cancel", variant="stop")
        # What one Generate costs and where the figure comes from; filled per visit (no network: disk only).
        ui.price_md = gr.Markdown(elem_classes="price-line")
        ui.gen_msg = gr.Markdown()
        ui.out_audio = gr.Audio(type="filepath", label="Result", interactive=False)
        ui.out_file = gr.File(label="Download")
        ui.out_info = gr.JSON(visible=False)
        ui.result_md = gr.Markdown()
        ui.cmp_plot = gr.Plot(label="Reference vs output")
        ui.cmp_table = gr.Markdown()
        with gr.Accordion("Show as code", open=False):
            ui.code_md = gr.Markdown(code_panel(None))
        ui.legacy_btn = gr.Button("music-01 generate", visible=False)


def wire_generate_tab(ui: Page) -> None:
    gen_event = ui.gen_btn.click(
        api_make,
        [
            ui.model,
            ui.lyrics,
            ui.prompt,
            ui.clip_audio,
            ui.ref_url,
            ui.instrumental,
            ui.optimizer,
            ui.sample_rate,
            ui.bitrate,
            ui.fmt,
            ui.seed,
            ui.api_key,
            ui.voice_id,
            ui.instrumental_id,
            # Appended: scripts written for the inputs above keep working (these have defaults).
            ui.replicate_token,
            ui.ref_purpose,
            ui.options_json,
        ],
        [ui.out_audio, ui.out_info],
        api_name="make",
        concurrency_limit=16,
    )
    # music-01's own generate stays a named endpoint for scripts written against it.
    ui.legacy_btn.click(
        api_generate,
        [
            ui.lyrics,
            ui.voice_id,
            ui.instrumental_id,
            ui.sample_rate,
            ui.bitrate,
            ui.fmt,
            ui.seed,
            ui.api_key,
            ui.replicate_token,
        ],
        [ui.out_audio, ui.out_info],
        api_name="generate",
        concurrency_limit=16,
    )
    gen_event.then(
        lambda info, audio: (audio, result_card(info), code_panel(info), ""),
        [ui.out_info, ui.out_audio],
        [ui.out_file, ui.result_md, ui.code_md, ui.gen_msg],
        **PRIVATE,
    ).then(compare, [ui.clip_audio, ui.out_info, ui.out_audio], [ui.cmp_plot, ui.cmp_table], **PRIVATE).then(
        history_rows, None, ui.hist, **PRIVATE
    ).then(pending_rows, None, ui.pend, **PRIVATE)
    gen_event.failure(pending_rows, None, ui.pend, **PRIVATE)
    ui.cancel_btn.click(lambda: STOPPED, None, ui.gen_msg, cancels=[gen_event], **PRIVATE).then(
        pending_rows, None, ui.pend, **PRIVATE
    )
    # The price beside Generate follows the model, the credential boxes and the output settings; a piece
    # just made may change its source ("your history").  Public (/price): a script can ask before /make.
    price_inputs = [ui.model, ui.api_key, ui.replicate_token, ui.sample_rate, ui.bitrate, ui.fmt]
    gr.on(
        [ui.model.change, *(box.change for box in ui.keys.values()), ui.sample_rate.change, ui.bitrate.change]
        + [ui.fmt.change],
        price_line,
        price_inputs,
        ui.price_md,
        api_name="price",
        show_progress="hidden",
    )
    gen_event.then(price_line, price_inputs, ui.price_md, **PRIVATE, show_progress="hidden")
    wire_options(ui)


def wire_options(ui: Page) -> None:
    """The option controls follow the model; their values, as one JSON object, follow the controls."""
    controls = list(ui.option_controls.values())
    ui.model.change(option_view, ui.model, controls, **PRIVATE, show_progress="hidden").then(
        options_json, [ui.model, *controls], ui.options_json, **PRIVATE, show_progress="hidden"
    )
    for control in controls:
        control.change(options_json, [ui.model, *controls], ui.options_json, **PRIVATE, show_progress="hidden")


def _initial(controls: dict) -> list:
    return [c.value for c in controls.values()]


def wire_price_load(demo: gr.Blocks, ui: Page) -> None:
    """Each visit shows the price for the model the page starts on."""
    demo.load(
        price_line,
        [ui.model, ui.api_key, ui.replicate_token, ui.sample_rate, ui.bitrate, ui.fmt],
        ui.price_md,
        **PRIVATE,
        show_progress="hidden",
    )
