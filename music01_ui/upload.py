"""Step 2 of the app, music-01 only: upload the reference for ids (the job models take it directly)."""

from __future__ import annotations

import gradio as gr

from .session import box_tokens, friendly, open_session_backend, session_home

PURPOSE_HELP = {
    "song": "song — sung vocals with accompaniment → voice_id + instrumental_id",
    "voice": "voice — a cappella singing only → voice_id",
    "instrumental": "instrumental — accompaniment only, no vocals → instrumental_id",
}


@friendly
def api_upload(
    clip: str | None,
    purpose: str,
    api_key: str | None = None,
    replicate_token: str | None = None,
    request: gr.Request = None,
) -> dict:
    """Upload a prepared clip to music-01 for a purpose; returns voice_id / instrumental_id (cached when seen before).

    The AI/ML API's music-01 only (Replicate returns no ids); ``replicate_token`` is taken like
    every endpoint's, and never sent to the AI/ML API.
    """
    from music01_core.models import LEGACY_MODEL

    if not clip:
        raise gr.Error("Prepare a clip first (step 1), or upload an MP3/WAV clip.")
    if purpose not in PURPOSE_HELP:
        raise gr.Error("Choose a purpose: song, voice or instrumental.")
    backend, _ = open_session_backend(box_tokens(api_key, replicate_token), request, model=LEGACY_MODEL)
    res = backend.upload(clip, purpose)
    if res.cached:
        gr.Info("cached — not uploaded again")
    return {
        "voice_id": res.voice_id,
        "instrumental_id": res.instrumental_id,
        "trace_id": res.trace_id,
        "cached": res.cached,
        "backend": res.backend,
        "purpose": res.purpose,
    }


def library_choices(request: gr.Request) -> list[tuple[str, str]]:
    from music01_core.library import ReferenceLibrary

    entries = ReferenceLibrary(session_home(request)).entries()
    return [(e.label(), f"{e.voice_id or ''}|{e.instrumental_id or ''}") for e in entries]


def refresh_library(request: gr.Request):
    return gr.update(choices=library_choices(request))
