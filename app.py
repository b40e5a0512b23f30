"""music01 — a Gradio app for MiniMax's music models: model → reference → lyrics → generate → history.

Run ``python app.py`` (http://127.0.0.1:7860; honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT).
With no API key it runs on the offline engine and says so.  This file composes the page
from ``music01_ui.page`` (one builder and one wiring per part), then starts the server; the
handlers live in ``music01_ui`` (one module per step) and every decision about audio, lyrics,
models, the API and files is made in ``music01_core``.
"""

import logging
import os
import sys
import threading

import gradio as gr
from fastapi.responses import FileResponse, PlainTextResponse

from music01_core.models import get_model
from music01_core.share import LINK_ROUTE
from music01_ui.page import Page
from music01_ui.page.browser import CSS, NOT_AUDIO, NOT_AUDIO_JS, wire_page_load  # noqa: F401 - NOT_AUDIO: tests
from music01_ui.page.generate_tab import build_generate_tab, wire_generate_tab, wire_price_load
from music01_ui.page.header import (  # noqa: F401 - model_view: tests
    build_header,
    model_view,
    wire_key,
    wire_menu_load,
    wire_model_menu,
)
from music01_ui.page.history_tab import build_history_tab, wire_history_tab
from music01_ui.page.lyrics_tab import build_lyrics_tab, wire_lyrics_tab
from music01_ui.page.reference_tab import build_reference_tab, wire_reference_tab, wire_route_notice
from music01_ui.page.takes_tab import build_takes_tab, wire_takes_tab
from music01_ui.page.teacher_tab import build_teacher_tab, wire_teacher_tab
from music01_ui.page.upload_tab import build_upload_tab, wire_upload_tab
from music01_ui.reference import _envelope, segment_check, waveform_figure  # noqa: F401 - re-exported for tests
from music01_ui.room import teacher_token
from music01_ui.session import (
    CONFIG_PROBLEMS,
    MAX_UPLOAD,
    PUBLISHER,
    START_MODEL,
    start_cleanup,
    start_listing_refresh,
)

logger = logging.getLogger("music01.app")


def build() -> gr.Blocks:
    # The page starts on MUSIC01_MODEL when a room set one; each field starts as that model has it.
    dm = get_model(START_MODEL)
    room = bool(teacher_token())
    ui = Page()
    # Copies handed to browsers live in Gradio's cache; clear ones older than a day, hourly.
    with gr.Blocks(title="music01 — MiniMax music made easy", delete_cache=(3600, 86400)) as demo:
        build_header(ui, dm)
        ui.analysis_state = gr.State(None)  # the reference's analysis, read by several steps
        build_reference_tab(ui, dm)
        build_upload_tab(ui, dm)
        build_lyrics_tab(ui, dm)
        build_generate_tab(ui, dm)
        build_history_tab(ui, dm)
        build_takes_tab(ui, dm)
        if room:
            build_teacher_tab(ui)
        # ---- wiring, in the order the events have always been registered ----
        wire_model_menu(ui)
        wire_reference_tab(ui)
        wire_upload_tab(ui)
        wire_lyrics_tab(ui)
        wire_key(ui)
        wire_route_notice(ui)
        wire_generate_tab(ui)
        wire_history_tab(ui)
        wire_takes_tab(ui)
        if room:
            wire_teacher_tab(ui)
        wire_page_load(demo, ui)
        wire_menu_load(demo, ui)
        wire_price_load(demo, ui)
    return demo


def _warm_up() -> None:
    """Load the analysis stack (scipy, the voice model) in the background, so the first analysis is quick."""
    # Imported here on purpose, for start-up time: the analysis stack (scipy, the voice model) takes
    # seconds to load; in this background thread `python app.py` serves without waiting for it.
    try:
        import numpy as np

        from music01_core.analysis import analyze

        analyze("warm-up", audio=(np.random.default_rng(0).standard_normal(22050 * 3).astype(np.float32) * 0.1, 22050))
    except Exception:  # a failed warm-up only costs speed
        logger.debug("warm-up failed", exc_info=True)


def _serve_links(app) -> None:
    """Serve published reference clips at their short-lived links (only when the app has a public address)."""

    async def reference_link(token: str, name: str):
        path = PUBLISHER.resolve(token, name)
        if path is None:
            return PlainTextResponse("This link has expired or never existed.", status_code=404)
        return FileResponse(path, media_type="audio/mpeg" if path.suffix == ".mp3" else "audio/wav")

    app.add_api_route(LINK_ROUTE, reference_link, methods=["GET"], include_in_schema=False)
    routes = app.router.routes
    routes.insert(0, routes.pop())  # ahead of Gradio's own catch-all routes


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    if CONFIG_PROBLEMS:
        # A setting the owner mistyped: say which and how to fix it, in one line each, and stop.
        for problem in CONFIG_PROBLEMS:
            print(f"music01: {problem}", file=sys.stderr)
        raise SystemExit(2)
    demo = build()
    demo.queue(default_concurrency_limit=max(1, os.cpu_count() or 1))
    threading.Thread(target=_warm_up, name="music01-warm-up", daemon=True).start()
    start_listing_refresh()  # the provider's model list, read in the background: nothing waits on it
    start_cleanup()
    demo.launch(
        server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
        server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
        max_file_size=MAX_UPLOAD,
        run_history=False,
        show_error=True,
        css=CSS,
        js=NOT_AUDIO_JS,
        footer_links=["api"],
        prevent_thread_lock=True,
    )
    if PUBLISHER is not None:
        _serve_links(demo.app)
        logger.info("reference clips are served at short-lived links under %s", PUBLISHER.base_url)
    demo.block_thread()


if __name__ == "__main__":
    main()
