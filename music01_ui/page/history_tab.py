"""The history step: pending (paid, not yet downloaded) jobs to resume, and past generations."""

import gradio as gr

from music01_core.models import Model

from ..generate import result_card
from ..history import (
    HISTORY_HEADERS,
    HISTORY_WIDTHS,
    PENDING_HEADERS,
    PENDING_WIDTHS,
    api_resume,
    history_export,
    history_pick,
    history_reload,
    history_rows,
    pending_pick,
    pending_rows,
)
from ..model import step_labels
from . import PRIVATE, Page


def build_history_tab(ui: Page, dm: Model) -> None:
    with gr.Tab(step_labels(dm.id)["history"]) as ui.history_tab:
        gr.Markdown(
            "**Pending jobs** — submitted and paid for, not downloaded yet (a closed tab or a restart "
            "loses nothing). Resume fetches the result without submitting again."
        )
        ui.pend = gr.Dataframe(
            headers=PENDING_HEADERS,
            value=[],
            interactive=False,
            label="Pending jobs",
            wrap=True,
            column_widths=PENDING_WIDTHS,
        )
        with gr.Row():
            ui.resume_id = gr.Textbox(label="generation id", placeholder="pick a pending job, or paste an id", scale=4)
            ui.resume_btn = gr.Button("Resume", variant="primary", scale=1)
        ui.hist = gr.Dataframe(
            headers=HISTORY_HEADERS,
            value=[],
            interactive=False,
            label="Past generations",
            wrap=True,
            column_widths=HISTORY_WIDTHS,
        )
        with gr.Row():
            ui.refresh_btn = gr.Button("Refresh", size="sm")
            ui.reload_btn = gr.Button("Reload settings into the form", size="sm")
            ui.export_btn = gr.Button("Export all (zip)", size="sm")
        ui.hist_id = gr.State(None)
        ui.hist_details = gr.Markdown()
        ui.hist_audio = gr.Audio(type="filepath", label="Play", interactive=False)
        ui.hist_file = gr.File(label="Download")
        ui.resume_info = gr.JSON(visible=False)
        ui.export_file = gr.File(label="History export")


def wire_history_tab(ui: Page) -> None:
    ui.history_tab.select(history_rows, None, ui.hist, **PRIVATE).then(pending_rows, None, ui.pend, **PRIVATE)
    ui.refresh_btn.click(history_rows, None, ui.hist, **PRIVATE).then(pending_rows, None, ui.pend, **PRIVATE)
    ui.pend.select(pending_pick, [ui.pend], [ui.resume_id], **PRIVATE)
    ui.resume_btn.click(
        api_resume, [ui.resume_id, ui.api_key, ui.replicate_token], [ui.hist_audio, ui.resume_info], api_name="resume"
    ).then(
        lambda info, audio: (audio, result_card(info)),
        [ui.resume_info, ui.hist_audio],
        [ui.hist_file, ui.hist_details],
        **PRIVATE,
    ).then(history_rows, None, ui.hist, **PRIVATE).then(pending_rows, None, ui.pend, **PRIVATE)
    ui.hist.select(history_pick, [ui.hist], [ui.hist_audio, ui.hist_file, ui.hist_details, ui.hist_id], **PRIVATE)
    ui.reload_btn.click(
        history_reload,
        [ui.hist_id],
        [ui.model, ui.lyrics, ui.prompt, ui.voice_id, ui.instrumental_id, ui.sample_rate, ui.bitrate, ui.fmt, ui.seed],
        **PRIVATE,
    )
    ui.export_btn.click(history_export, None, ui.export_file, **PRIVATE)
