"""Step 1, the reference: a file, a recording or one of our examples; its analysis, segment and clip."""

import gradio as gr

from music01_core.models import Model

from ..model import purpose_info, route_notice, shows_purpose, step_labels, switch_to_clip_model
from ..reference import (
    EXAMPLE_NAMES,
    analysing_note,
    analysis_card,
    api_analyze,
    api_check_url,
    api_prepare,
    example_path,
    segment_check,
    waveform_figure,
)
from ..session import MAX_UPLOAD_TEXT
from ..upload import PURPOSE_HELP
from . import PRIVATE, Page


def build_reference_tab(ui: Page, dm: Model) -> None:
    with gr.Tab(step_labels(dm.id)["reference"]):
        ui.no_ref_md = gr.Markdown(
            "This model makes music from text alone: no reference needed. Go on to the Lyrics step.",
            visible=not dm.takes_reference,
        )
        with gr.Group(visible=dm.takes_reference) as ui.ref_group:
            gr.Markdown(f"Upload a file or record with the microphone (up to {MAX_UPLOAD_TEXT}). Or try one of ours:")
            with gr.Row():
                ui.example_buttons = [gr.Button(n, size="sm") for n in EXAMPLE_NAMES]
            ui.ref_audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Reference")
            # What the reference is, for a model whose request names it (music-01 on Replicate); the
            # analysis preselects its suggestion.  music-01 on the AI/ML API asks it in its Upload step.
            ui.ref_purpose = gr.Radio(
                list(PURPOSE_HELP),
                value="song",
                label="Purpose — what the reference is",
                info=purpose_info(dm.id),
                visible=shows_purpose(dm.id),
            )
            ui.route_md = gr.Markdown(visible=False)
            ui.switch_btn = gr.Button("Switch model", variant="primary", visible=False)
            ui.wave = gr.Plot(label="Waveform (highlight: the segment that will be sent)")
            with gr.Row():
                ui.start_s = gr.Number(label="start (s)", value=0, minimum=0, info="where the clip begins")
                ui.end_s = gr.Number(label="end (s)", value=None, minimum=0, info="0 = the end of the file")
                ui.clip_format = gr.Radio(["mp3", "wav"], value="mp3", label="clip format")
            ui.seg_msg = gr.Markdown()
            ui.card = gr.Markdown()
            ui.analysis_json = gr.JSON(visible=False)
            ui.prepare_btn = gr.Button("Prepare clip", variant="primary")
            ui.clip_audio = gr.Audio(type="filepath", label="Trimmed clip (what will be sent)", interactive=False)
            ui.clip_info = gr.JSON(label="Clip", visible=True)
            with gr.Row(visible="url" in dm.reference.ways) as ui.url_row:
                ui.ref_url = gr.Textbox(
                    label="…or a public URL of a WAV/MP3 (used instead of the clip)",
                    placeholder="https://…/reference.mp3",
                    scale=4,
                )
                ui.check_url_btn = gr.Button("Check URL", size="sm", scale=1)
            ui.url_msg = gr.Markdown()


def wire_reference_tab(ui: Page) -> None:
    for btn, name in zip(ui.example_buttons, EXAMPLE_NAMES, strict=True):
        btn.click(lambda n=name: example_path(n), None, ui.ref_audio, **PRIVATE)
    segment = [ui.ref_audio, ui.start_s, ui.end_s, ui.analysis_state, ui.model]
    # Analysis takes a few seconds per minute of audio: say so at once, and draw the
    # waveform beside it (a separate event, so it does not wait for the analysis).
    ui.ref_audio.change(analysing_note, [ui.ref_audio], ui.card, **PRIVATE).then(
        api_analyze, [ui.ref_audio], [ui.analysis_json], api_name="analyze"
    ).then(
        lambda info, audio, m: (
            info,
            (info or {}).get("suggested_segment", {}).get("start_s", 0),
            (info or {}).get("suggested_segment", {}).get("end_s"),
            analysis_card(info, m),
            # No suggestion (speech, or unsure): the person's own choice stays as it is.
            ((info or {}).get("suggested_purpose") or gr.update()),
            ((info or {}).get("suggested_purpose") or gr.update()),
        ),
        [ui.analysis_json, ui.ref_audio, ui.model],
        [ui.analysis_state, ui.start_s, ui.end_s, ui.card, ui.purpose, ui.ref_purpose],
        **PRIVATE,
    ).then(
        # The quick check first and on its own: were it to wait for the slow waveform,
        # its answer could land after the person had typed new start/end values.
        segment_check,
        segment,
        ui.seg_msg,
        **PRIVATE,
    ).then(waveform_figure, [ui.ref_audio, ui.start_s, ui.end_s], ui.wave, **PRIVATE)
    ui.ref_audio.change(lambda a: waveform_figure(a, None, None) if a else None, [ui.ref_audio], ui.wave, **PRIVATE)
    for comp in (ui.start_s, ui.end_s):
        comp.change(segment_check, segment, ui.seg_msg, **PRIVATE)
        comp.blur(
            lambda a, s, e: waveform_figure(a, s, e) if a else None,
            [ui.ref_audio, ui.start_s, ui.end_s],
            ui.wave,
            **PRIVATE,
        )
    ui.model.change(segment_check, segment, ui.seg_msg, **PRIVATE)
    ui.model.change(analysis_card, [ui.analysis_state, ui.model], ui.card, **PRIVATE, show_progress="hidden")
    ui.prepare_btn.click(
        api_prepare,
        [ui.ref_audio, ui.start_s, ui.end_s, ui.clip_format, ui.model],
        [ui.clip_audio, ui.clip_info],
        api_name="prepare",
    )
    ui.check_url_btn.click(
        api_check_url, [ui.ref_url, ui.model, ui.api_key, ui.replicate_token], [ui.url_msg], api_name="check_url"
    )


def wire_route_notice(ui: Page) -> None:
    # A local clip a URL-only model cannot take here is said as soon as it is chosen, with a
    # one-click switch to the model that takes the clip itself.
    route_inputs = [ui.model, ui.ref_audio, ui.clip_audio, ui.ref_url, *ui.keys.values()]
    for trigger in (
        ui.ref_audio.change,
        ui.clip_audio.change,
        ui.ref_url.change,
        ui.model.change,
        *(box.change for box in ui.keys.values()),
    ):
        trigger(route_notice, route_inputs, [ui.route_md, ui.switch_btn], **PRIVATE, show_progress="hidden")
    ui.switch_btn.click(
        switch_to_clip_model,
        [ui.model, ui.lyrics, ui.prompt, ui.analysis_state, *ui.keys.values()],
        [ui.model, ui.lyrics, ui.prompt],
        **PRIVATE,
    )
