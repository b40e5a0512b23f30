"""Room mode's Teacher tab (only when MUSIC01_TEACHER_TOKEN is set): the counter, the cost, one zip of the pieces,
and the shared key's balance and spend."""

import gradio as gr

from ..room import api_room, api_room_account, api_room_export, room_tick
from . import PRIVATE, Page


def build_teacher_tab(ui: Page) -> None:
    # Room mode: the teacher's counter, the class's cost, and one zip of the room's pieces.
    with gr.Tab("Teacher"):
        gr.Markdown(
            "For the person running this room. Enter the token this server was started with "
            "(`MUSIC01_TEACHER_TOKEN`); the counter then refreshes every 5 seconds."
        )
        with gr.Row():
            ui.t_token = gr.Textbox(label="Teacher token", type="password", scale=4)
            ui.t_show = gr.Button("Show the room", variant="primary", scale=1)
            ui.t_export = gr.Button("Collect everyone's pieces (zip)", scale=1)
            ui.t_account = gr.Button("Balance and spend (24 h)", scale=1)
        ui.t_md = gr.Markdown()
        # The shared key's balance and spend: read only on this click, only with the token.
        ui.t_account_md = gr.Markdown()
        ui.t_file = gr.File(label="The room's pieces")
        ui.t_timer = gr.Timer(5.0, active=False)


def wire_teacher_tab(ui: Page) -> None:
    ui.t_show.click(api_room, [ui.t_token, ui.model], [ui.t_md], api_name="room").success(
        lambda: gr.Timer(active=True), None, ui.t_timer, **PRIVATE
    )
    ui.t_timer.tick(room_tick, [ui.t_token, ui.model], [ui.t_md], **PRIVATE, show_progress="hidden")
    ui.t_export.click(api_room_export, [ui.t_token], [ui.t_file], api_name="room_export")
    ui.t_account.click(api_room_account, [ui.t_token], [ui.t_account_md], api_name="room_account")
