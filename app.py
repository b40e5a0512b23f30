"""music01 — a Gradio app for MiniMax's music models: model → reference → lyrics → generate → history.

Run ``python app.py`` (http://127.0.0.1:7860; honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT).
With no API key it runs on the offline engine and says so.  This file is the layout and
the wiring; the handlers live in ``music01_ui`` (one module per step) and every decision
about audio, lyrics, models, the API and files is made in ``music01_core``.
"""

import json
import logging
import os
import sys
import threading

import gradio as gr

from music01_core.models import MODELS, get_model
from music01_core.settings import BITRATES, DEFAULT_BITRATE, DEFAULT_SAMPLE_RATE, SAMPLE_RATES
from music01_ui.code import code_panel
from music01_ui.generate import api_generate, api_make, compare, result_card
from music01_ui.history import (
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
from music01_ui.lyrics import (
    DOCS_EXAMPLE_LYRICS,
    EXAMPLES_LABEL,
    LYRICS_EXAMPLES_BY_STYLE,
    LYRICS_INFO,
    PROMPT_EXAMPLE,
    clean_lyrics,
    example_for,
    lyrics_change,
    lyrics_style,
    lyrics_view,
    prompt_view,
    toggle_wrap,
    wrap_value,
)
from music01_ui.model import (
    has_upload_step,
    model_card,
    model_info,
    route_notice,
    step_labels,
    switch_to_clip_model,
)
from music01_ui.reference import (  # noqa: F401 - _envelope is re-exported for tests
    EXAMPLE_NAMES,
    _envelope,
    analysing_note,
    analysis_card,
    api_analyze,
    api_check_url,
    api_prepare,
    example_path,
    segment_check,
    waveform_figure,
)
from music01_ui.room import api_room, api_room_export, room_tick, teacher_token
from music01_ui.session import (
    CONFIG_PROBLEMS,
    MAX_UPLOAD,
    MAX_UPLOAD_TEXT,
    PUBLISHER,
    START_MODEL,
    banner_text,
    key_status,
    start_cleanup,
)
from music01_ui.upload import PURPOSE_HELP, api_upload, library_choices, refresh_library

logger = logging.getLogger("music01.app")

MODEL_CHOICES = [(f"{m.label}" + ("" if m.live else " — retired"), m.id) for m in MODELS.values()]


def model_view(model_id: str | None, lyrics: str | None, prompt: str | None, api_key: str | None):
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
        banner_text(api_key, m.id),
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
    )


def on_load(request: gr.Request):
    return (
        gr.update(choices=library_choices(request)),
        *lyrics_change(example_for(START_MODEL, DOCS_EXAMPLE_LYRICS), START_MODEL),
        prompt_view(PROMPT_EXAMPLE, START_MODEL),
        history_rows(request),
        pending_rows(request),
    )


CSS = ".banner {padding: 8px 12px; border-radius: 8px; background: var(--block-background-fill);} "

#: What a person reads when the file they chose is not audio.
NOT_AUDIO = (
    "{names}: not an audio file. Choose a recording in MP3, WAV, FLAC, OGG, Opus or M4A (up to "
    f"{MAX_UPLOAD_TEXT}), or record one with the microphone."
)
# The audio box refuses such a file in the browser, before anything reaches the server, with a
# toast that lists MIME types ("Invalid file type: notes.txt. Only audio/aac,audio/midi,…
# allowed.").  No server event exists to answer instead, so the page rewrites that toast's text.
NOT_AUDIO_JS = """
() => {
  const refused = /^Invalid file types?: (.+)\\. Only .+ allowed\\.$/s;
  const message = __MESSAGE__;
  const fix = (root) => {
    if (!root || !root.ownerDocument) return;
    const walk = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let n = walk.nextNode(); n; n = walk.nextNode()) {
      const m = refused.exec(n.nodeValue.trim());
      if (m) n.nodeValue = message.replace("{names}", () => m[1]);
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === "characterData") fix(r.target.parentNode);
      for (const node of r.addedNodes) fix(node.nodeType === Node.TEXT_NODE ? node.parentNode : node);
    }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
""".replace("__MESSAGE__", json.dumps(NOT_AUDIO))


def build() -> gr.Blocks:
    # The page starts on MUSIC01_MODEL when a room set one; each field starts as that model has it.
    dm = get_model(START_MODEL)
    labels = step_labels(dm.id)
    style = lyrics_style(dm.id)
    # Copies handed to browsers live in Gradio's cache; clear ones older than a day, hourly.
    with gr.Blocks(title="music01 — MiniMax music made easy", delete_cache=(3600, 86400)) as demo:
        gr.Markdown(
            "# 🎵 music01\nMake a new piece with MiniMax's music models on the AI/ML API: choose a model, "
            "then follow the numbered tabs — they are the steps that model takes."
        )
        banner = gr.Markdown(banner_text(None, dm.id), elem_classes="banner")
        with gr.Row():
            model = gr.Dropdown(
                MODEL_CHOICES,
                value=dm.id,
                label="Model",
                scale=1,
                info=model_info(dm.id),
            )
            model_md = gr.Markdown(model_card(dm.id))
        with gr.Accordion("Your AI/ML API key (optional)", open=False):
            api_key = gr.Textbox(
                label="API key",
                type="password",
                placeholder="paste a key to use the real model",
                info="Kept only in this browser tab and sent only to the AI/ML API. Never stored.",
            )
            key_msg = gr.Markdown()
        analysis_state = gr.State(None)

        with gr.Tab(labels["reference"]):
            no_ref_md = gr.Markdown(
                "This model makes music from text alone: no reference needed. Go on to the Lyrics step.",
                visible=not dm.takes_reference,
            )
            with gr.Group(visible=dm.takes_reference) as ref_group:
                gr.Markdown(
                    f"Upload a file or record with the microphone (up to {MAX_UPLOAD_TEXT}). Or try one of ours:"
                )
                with gr.Row():
                    example_buttons = [gr.Button(n, size="sm") for n in EXAMPLE_NAMES]
                ref_audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Reference")
                route_md = gr.Markdown(visible=False)
                switch_btn = gr.Button("Switch model", variant="primary", visible=False)
                wave = gr.Plot(label="Waveform (highlight: the segment that will be sent)")
                with gr.Row():
                    start_s = gr.Number(label="start (s)", value=0, minimum=0, info="where the clip begins")
                    end_s = gr.Number(label="end (s)", value=None, minimum=0, info="0 = the end of the file")
                    clip_format = gr.Radio(["mp3", "wav"], value="mp3", label="clip format")
                seg_msg = gr.Markdown()
                card = gr.Markdown()
                analysis_json = gr.JSON(visible=False)
                prepare_btn = gr.Button("Prepare clip", variant="primary")
                clip_audio = gr.Audio(type="filepath", label="Trimmed clip (what will be sent)", interactive=False)
                clip_info = gr.JSON(label="Clip", visible=True)
                with gr.Row(visible="url" in dm.reference.ways) as url_row:
                    ref_url = gr.Textbox(
                        label="…or a public URL of a WAV/MP3 (used instead of the clip)",
                        placeholder="https://…/reference.mp3",
                        scale=4,
                    )
                    check_url_btn = gr.Button("Check URL", size="sm", scale=1)
                url_msg = gr.Markdown()

        # Only a model that takes an uploaded reference (music-01) has this step; the tabs after it
        # are numbered over the steps the chosen model has.
        with gr.Tab(labels["upload"], visible=has_upload_step(dm.id)) as upload_tab:
            with gr.Group():
                purpose = gr.Radio(
                    list(PURPOSE_HELP), value="song", label="Purpose", info=" · ".join(PURPOSE_HELP.values())
                )
                upload_btn = gr.Button("Upload", variant="primary")
                ids_json = gr.JSON(label="Upload result")
                with gr.Row():
                    voice_id = gr.Textbox(label="voice_id", buttons=["copy"])
                    instrumental_id = gr.Textbox(label="instrumental_id", buttons=["copy"])
                with gr.Row():
                    library = gr.Dropdown(label="Reference library (earlier uploads)", choices=[], interactive=True)
                    use_lib_btn = gr.Button("Use these ids", size="sm")

        with gr.Tab(labels["lyrics"]) as lyrics_tab:
            prompt = gr.Textbox(
                label="Style prompt",
                lines=2,
                value=PROMPT_EXAMPLE,
                visible=dm.prompt is not None,
                info="genre, mood, instruments, voice — what the music should sound like",
            )
            prompt_msg = gr.Markdown()
            with gr.Row():
                instrumental = gr.Checkbox(
                    label="instrumental (no vocals)", value=False, visible="is_instrumental" in dm.flags
                )
                optimizer = gr.Checkbox(
                    label="lyrics optimizer (the model writes lyrics from the prompt)",
                    value=False,
                    visible="lyrics_optimizer" in dm.flags,
                )
            lyrics = gr.Textbox(
                label="Lyrics",
                lines=8,
                value=example_for(dm.id, DOCS_EXAMPLE_LYRICS),
                info=LYRICS_INFO.get(style, ""),
            )
            with gr.Row():
                counter = gr.Markdown()
                wrap = gr.Checkbox(
                    label="add accompaniment (##…##)",
                    value=wrap_value(example_for(dm.id, DOCS_EXAMPLE_LYRICS), dm.id),
                    visible=dm.wraps_accompaniment,
                )
                clean_btn = gr.Button("Remove invisible characters", size="sm")
            structure = gr.Textbox(label="Lines as the model will read them", lines=4, interactive=False)
            # One set of examples per lyrics style; the chosen model's own is the one shown.
            example_sets = []
            for s_name, texts in LYRICS_EXAMPLES_BY_STYLE.items():
                with gr.Column(visible=s_name == style) as col:
                    gr.Examples([[t] for t in texts], inputs=[lyrics], label=EXAMPLES_LABEL[s_name])
                example_sets.append(col)

        with gr.Tab(labels["generate"]) as generate_tab:
            with gr.Row(visible=dm.audio_setting is not None) as settings_row:
                sample_rate = gr.Dropdown(list(SAMPLE_RATES), value=DEFAULT_SAMPLE_RATE, label="sample rate (Hz)")
                bitrate = gr.Dropdown(list(BITRATES), value=DEFAULT_BITRATE, label="bitrate (bit/s, MP3)")
                fmt = gr.Radio(["mp3", "wav", "pcm"], value="mp3", label="format")
            seed = gr.Number(label="seed (offline engine; -1 = random)", value=-1, precision=0, minimum=-1)
            gr.Markdown(
                "With an API key, each Generate is **1 billed generation**; checking its status and "
                "downloading are free. A job that outlives the page keeps running: find it in History."
            )
            with gr.Row():
                gen_btn = gr.Button("Generate", variant="primary")
                cancel_btn = gr.Button("Cancel", variant="stop")
            gen_msg = gr.Markdown()
            out_audio = gr.Audio(type="filepath", label="Result", interactive=False)
            out_file = gr.File(label="Download")
            out_info = gr.JSON(visible=False)
            result_md = gr.Markdown()
            cmp_plot = gr.Plot(label="Reference vs output")
            cmp_table = gr.Markdown()
            with gr.Accordion("Show as code", open=False):
                code_md = gr.Markdown(code_panel(None))
            legacy_btn = gr.Button("music-01 generate", visible=False)

        with gr.Tab(labels["history"]) as history_tab:
            gr.Markdown(
                "**Pending jobs** — submitted and paid for, not downloaded yet (a closed tab or a restart "
                "loses nothing). Resume fetches the result without submitting again."
            )
            pend = gr.Dataframe(
                headers=PENDING_HEADERS,
                value=[],
                interactive=False,
                label="Pending jobs",
                wrap=True,
                column_widths=PENDING_WIDTHS,
            )
            with gr.Row():
                resume_id = gr.Textbox(label="generation id", placeholder="pick a pending job, or paste an id", scale=4)
                resume_btn = gr.Button("Resume", variant="primary", scale=1)
            hist = gr.Dataframe(
                headers=HISTORY_HEADERS,
                value=[],
                interactive=False,
                label="Past generations",
                wrap=True,
                column_widths=HISTORY_WIDTHS,
            )
            with gr.Row():
                refresh_btn = gr.Button("Refresh", size="sm")
                reload_btn = gr.Button("Reload settings into the form", size="sm")
                export_btn = gr.Button("Export all (zip)", size="sm")
            hist_id = gr.State(None)
            hist_details = gr.Markdown()
            hist_audio = gr.Audio(type="filepath", label="Play", interactive=False)
            hist_file = gr.File(label="Download")
            resume_info = gr.JSON(visible=False)
            export_file = gr.File(label="History export")

        teacher = None
        if teacher_token():
            # Room mode: the teacher's counter, the class's cost, and one zip of the room's pieces.
            with gr.Tab("Teacher"):
                gr.Markdown(
                    "For the person running this room. Enter the token this server was started with "
                    "(`MUSIC01_TEACHER_TOKEN`); the counter then refreshes every 5 seconds."
                )
                with gr.Row():
                    t_token = gr.Textbox(label="Teacher token", type="password", scale=4)
                    t_show = gr.Button("Show the room", variant="primary", scale=1)
                    t_export = gr.Button("Collect everyone's pieces (zip)", scale=1)
                t_md = gr.Markdown()
                t_file = gr.File(label="The room's pieces")
                t_timer = gr.Timer(5.0, active=False)
                teacher = (t_token, t_show, t_export, t_md, t_file, t_timer)

        # ---- wiring (UI-only events are private; the named endpoints are public) ----
        private = {"api_visibility": "private"}
        model.change(
            model_view,
            [model, lyrics, prompt, api_key],
            [
                lyrics,
                model_md,
                model,
                banner,
                ref_group,
                no_ref_md,
                url_row,
                upload_tab,
                lyrics_tab,
                generate_tab,
                history_tab,
                prompt,
                wrap,
                instrumental,
                optimizer,
                settings_row,
                *example_sets,
                counter,
                structure,
                prompt_msg,
            ],
            **private,
        )
        for btn, name in zip(example_buttons, EXAMPLE_NAMES, strict=True):
            btn.click(lambda n=name: example_path(n), None, ref_audio, **private)
        # Analysis takes a few seconds per minute of audio: say so at once, and draw the
        # waveform beside it (a separate event, so it does not wait for the analysis).
        ref_audio.change(analysing_note, [ref_audio], card, **private).then(
            api_analyze, [ref_audio], [analysis_json], api_name="analyze"
        ).then(
            lambda info, audio, m: (
                info,
                (info or {}).get("suggested_segment", {}).get("start_s", 0),
                (info or {}).get("suggested_segment", {}).get("end_s"),
                analysis_card(info, m),
                # No suggestion (speech, or unsure): the person's own choice stays as it is.
                ((info or {}).get("suggested_purpose") or gr.update()),
            ),
            [analysis_json, ref_audio, model],
            [analysis_state, start_s, end_s, card, purpose],
            **private,
        ).then(
            # The quick check first and on its own: were it to wait for the slow waveform,
            # its answer could land after the person had typed new start/end values.
            segment_check,
            [ref_audio, start_s, end_s, analysis_state, model],
            seg_msg,
            **private,
        ).then(waveform_figure, [ref_audio, start_s, end_s], wave, **private)
        ref_audio.change(lambda a: waveform_figure(a, None, None) if a else None, [ref_audio], wave, **private)
        for comp in (start_s, end_s):
            comp.change(segment_check, [ref_audio, start_s, end_s, analysis_state, model], seg_msg, **private)
            comp.blur(
                lambda a, s, e: waveform_figure(a, s, e) if a else None, [ref_audio, start_s, end_s], wave, **private
            )
        model.change(segment_check, [ref_audio, start_s, end_s, analysis_state, model], seg_msg, **private)
        model.change(analysis_card, [analysis_state, model], card, **private, show_progress="hidden")
        prepare_btn.click(
            api_prepare, [ref_audio, start_s, end_s, clip_format, model], [clip_audio, clip_info], api_name="prepare"
        )
        check_url_btn.click(api_check_url, [ref_url, model, api_key], [url_msg], api_name="check_url")
        upload_btn.click(api_upload, [clip_audio, purpose, api_key], [ids_json], api_name="upload").then(
            lambda d: (d.get("voice_id") or "", d.get("instrumental_id") or "") if d else ("", ""),
            [ids_json],
            [voice_id, instrumental_id],
            **private,
        ).then(refresh_library, None, library, **private)
        use_lib_btn.click(lambda v: tuple((v or "|").split("|", 1)), [library], [voice_id, instrumental_id], **private)
        # The wrap box follows the text, so it always agrees with the "wrap on/off" the counter states.
        lyrics.change(lyrics_change, [lyrics, model], [counter, structure, wrap], **private, show_progress="hidden")
        prompt.change(prompt_view, [prompt, model], [prompt_msg], **private, show_progress="hidden")
        wrap.input(toggle_wrap, [lyrics, wrap], [lyrics], **private)
        clean_btn.click(clean_lyrics, [lyrics, model], [lyrics], **private)
        # A pasted key is checked at once (the check the API makes before a call), not at Generate.
        api_key.change(
            lambda k, m: (banner_text(k, m), key_status(k)),
            [api_key, model],
            [banner, key_msg],
            **private,
            show_progress="hidden",
        )
        # A local clip a URL-only model cannot take here is said as soon as it is chosen, with a
        # one-click switch to the model that takes the clip itself.
        route_inputs = [model, ref_audio, clip_audio, ref_url, api_key]
        for trigger in (ref_audio.change, clip_audio.change, ref_url.change, model.change, api_key.change):
            trigger(route_notice, route_inputs, [route_md, switch_btn], **private, show_progress="hidden")
        switch_btn.click(
            switch_to_clip_model, [model, lyrics, prompt, analysis_state, api_key], [model, lyrics, prompt], **private
        )
        gen_event = gen_btn.click(
            api_make,
            [
                model,
                lyrics,
                prompt,
                clip_audio,
                ref_url,
                instrumental,
                optimizer,
                sample_rate,
                bitrate,
                fmt,
                seed,
                api_key,
                voice_id,
                instrumental_id,
            ],
            [out_audio, out_info],
            api_name="make",
            concurrency_limit=16,
        )
        # music-01's own generate stays a named endpoint for scripts written against it.
        legacy_btn.click(
            api_generate,
            [lyrics, voice_id, instrumental_id, sample_rate, bitrate, fmt, seed, api_key],
            [out_audio, out_info],
            api_name="generate",
            concurrency_limit=16,
        )
        gen_event.then(
            lambda info, audio: (audio, result_card(info), code_panel(info), ""),
            [out_info, out_audio],
            [out_file, result_md, code_md, gen_msg],
            **private,
        ).then(compare, [clip_audio, out_info, out_audio], [cmp_plot, cmp_table], **private).then(
            history_rows, None, hist, **private
        ).then(pending_rows, None, pend, **private)
        gen_event.failure(pending_rows, None, pend, **private)
        cancel_btn.click(
            lambda: (
                "⏹ Stopped waiting. A job already sent to the paid API keeps running and is "
                "billed; when it finishes it is saved — see History (Resume)."
            ),
            None,
            gen_msg,
            cancels=[gen_event],
            **private,
        ).then(pending_rows, None, pend, **private)
        history_tab.select(history_rows, None, hist, **private).then(pending_rows, None, pend, **private)
        refresh_btn.click(history_rows, None, hist, **private).then(pending_rows, None, pend, **private)
        pend.select(pending_pick, [pend], [resume_id], **private)
        resume_btn.click(api_resume, [resume_id, api_key], [hist_audio, resume_info], api_name="resume").then(
            lambda info, audio: (audio, result_card(info)),
            [resume_info, hist_audio],
            [hist_file, hist_details],
            **private,
        ).then(history_rows, None, hist, **private).then(pending_rows, None, pend, **private)
        hist.select(history_pick, [hist], [hist_audio, hist_file, hist_details, hist_id], **private)
        reload_btn.click(
            history_reload,
            [hist_id],
            [model, lyrics, prompt, voice_id, instrumental_id, sample_rate, bitrate, fmt, seed],
            **private,
        )
        export_btn.click(history_export, None, export_file, **private)
        if teacher is not None:
            t_token, t_show, t_export, t_md, t_file, t_timer = teacher
            t_show.click(api_room, [t_token, model], [t_md], api_name="room").success(
                lambda: gr.Timer(active=True), None, t_timer, **private
            )
            t_timer.tick(room_tick, [t_token, model], [t_md], **private, show_progress="hidden")
            t_export.click(api_room_export, [t_token], [t_file], api_name="room_export")
        demo.load(on_load, None, [library, counter, structure, wrap, prompt_msg, hist, pend], **private)
    return demo


def _warm_up() -> None:
    """Load the analysis stack (scipy, the voice model) in the background, so the first analysis is quick."""
    try:
        import numpy as np

        from music01_core.analysis import analyze

        analyze("warm-up", audio=(np.random.default_rng(0).standard_normal(22050 * 3).astype(np.float32) * 0.1, 22050))
    except Exception:  # a failed warm-up only costs speed
        logger.debug("warm-up failed", exc_info=True)


def _serve_links(app) -> None:
    """Serve published reference clips at their short-lived links (only when the app has a public address)."""
    from fastapi.responses import FileResponse, PlainTextResponse

    from music01_core.share import LINK_ROUTE

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
