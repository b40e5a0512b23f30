"""The upload step (only for a model that takes an uploaded reference, music-01): clip → voice/instrumental ids."""

import gradio as gr

from music01_core.models import Model

from ..model import has_upload_step, step_labels
from ..upload import PURPOSE_HELP, api_upload, refresh_library
from . import PRIVATE, Page


def build_upload_tab(ui: Page, dm: Model) -> None:
    # Only a model that takes an uploaded reference (music-01) has this step; the tabs after it
    # are numbered over the steps the chosen model has.
    with gr.Tab(step_labels(dm.id)["upload"], visible=has_upload_step(dm.id)) as ui.upload_tab:
        with gr.Group():
            ui.purpose = gr.Radio(
                list(PURPOSE_HELP), value="song", label="Purpose", info=" · ".join(PURPOSE_HELP.values())
            )
            ui.upload_btn = gr.Button("Upload", variant="primary")
            ui.ids_json = gr.JSON(label="Upload result")
            with gr.Row():
                ui.voice_id = gr.Textbox(label="voice_id", buttons=["copy"])
                ui.instrumental_id = gr.Textbox(label="instrumental_id", buttons=["copy"])
            with gr.Row():
                ui.library = gr.Dropdown(label="Reference library (earlier uploads)", choices=[], interactive=True)
                ui.use_lib_btn = gr.Button("Use these ids", size="sm")


def wire_upload_tab(ui: Page) -> None:
    ui.upload_btn.click(
        api_upload, [ui.clip_audio, ui.purpose, ui.api_key, ui.replicate_token], [ui.ids_json], api_name="upload"
    ).then(
        lambda d: (d.get("voice_id") or "", d.get("instrumental_id") or "") if d else ("", ""),
        [ui.ids_json],
        [ui.voice_id, ui.instrumental_id],
        **PRIVATE,
    ).then(refresh_library, None, ui.library, **PRIVATE)
    ui.use_lib_btn.click(
        lambda v: tuple((v or "|").split("|", 1)), [ui.library], [ui.voice_id, ui.instrumental_id], **PRIVATE
    )
