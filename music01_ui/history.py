"""Step 5 of the app: the history — past pieces, and pending jobs to resume."""

from __future__ import annotations

import time

import gradio as gr

from music01_core.errors import InputError

from .session import box_tokens, friendly, open_session_backend, serve_copy, session_home

# The id column holds what each entry has: a job model's generation id at the provider, or a
# trace id (the provider's for music-01, this machine's own for the offline engine).  The
# last column is the entry's id in this history (what Reload and the details use).
HISTORY_HEADERS = [
    "when",
    "model",
    "lyrics / prompt",
    "backend",
    "length",
    "format",
    "generation or trace id",
    "history entry",
]
PENDING_HEADERS = ["submitted", "model", "status", "lyrics / prompt", "generation id"]
# Ids are read and copied whole: their columns get the room, the short ones only theirs.
HISTORY_WIDTHS = ["11%", "13%", "12%", "7%", "6%", "6%", "25%", "20%"]
PENDING_WIDTHS = ["14%", "12%", "12%", "22%", "40%"]


def _first_line(text: str | None) -> str:
    return next(
        (ln for ln in (text or "").replace("#", "").splitlines() if ln.strip() and not ln.strip().startswith("[")), ""
    )[:40]


def history_rows(request: gr.Request):
    from music01_core.history import History
    from music01_core.takes import kept_takes

    rows = []
    history = History(session_home(request))
    entries = history.list()
    kept = kept_takes(history, entries)  # a take kept in Compare models: ★ before its model
    for e in entries:
        rows.append(
            [
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.created)),
                ("★ " if e.id in kept else "") + e.model,
                _first_line(e.lyrics or e.prompt),
                e.backend,
                f"{e.duration_s:.1f} s",
                e.format,
                e.generation_id or e.trace_id,
                e.id,
            ]
        )
    return rows


def pending_rows(request: gr.Request):
    from music01_core.history import History

    rows = []
    for j in History(session_home(request)).pending():
        if j.answer_lost:
            state = "answer lost — checking the provider's logs"
        else:
            state = j.status if j.state == "pending" else f"{j.state}: {j.error or ''}"[:60]
        rows.append(
            [
                time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(j.created)),
                j.model,
                state,
                _first_line(j.prompt or j.lyrics),
                j.generation_id,
            ]
        )
    return rows


def pending_pick(rows, evt: gr.SelectData) -> str:
    try:
        row = rows.iloc[evt.index[0]].tolist() if hasattr(rows, "iloc") else rows[evt.index[0]]
        return row[-1]
    except (IndexError, TypeError, KeyError):
        return ""


@friendly
def api_resume(
    generation_id: str | None,
    api_key: str | None = None,
    replicate_token: str | None = None,
    request: gr.Request = None,
):
    """Fetch a pending job's result without submitting again; returns (audio file, info).

    A Replicate prediction is followed with ``replicate_token`` (else the server's), an AI/ML
    API job with ``api_key``: each credential goes only to its own service.
    """
    from music01_core.history import History

    from .generate import _info, _pcm_preview

    gid = (generation_id or "").strip()
    if not gid:
        # Clicking Resume right after a row can beat the row's own event; with a single
        # pending job there is no doubt which one the person means.
        waiting = [j for j in History(session_home(request)).pending() if j.state == "pending" or j.answer_lost]
        if len(waiting) != 1:
            raise gr.Error("Pick a pending job in the list (or paste its generation id) first.")
        gid = waiting[0].generation_id
    backend, _ = open_session_backend(box_tokens(api_key, replicate_token), request)
    started = time.monotonic()
    r = backend.resume(gid, wait_s=120)
    audio_path = _pcm_preview(r) if r.format == "pcm" else r.path
    return serve_copy(audio_path), _info(r, time.monotonic() - started, None)


def history_pick(rows, evt: gr.SelectData, request: gr.Request):
    from music01_core.history import History

    try:
        row = rows.iloc[evt.index[0]].tolist() if hasattr(rows, "iloc") else rows[evt.index[0]]
        entry = History(session_home(request)).get(row[-1])
    except (IndexError, InputError, TypeError, KeyError):
        raise gr.Error("That history entry is gone: refresh the list.") from None
    # Only the ids an entry has: an offline job model's piece has no music-01 voice/instrumental id.
    named = (
        ("generation id", entry.generation_id),
        ("voice_id", entry.voice_id),
        ("instrumental_id", entry.instrumental_id),
        ("trace id", None if entry.generation_id else entry.trace_id),
        ("inference id", entry.inference_id),
    )
    ids = " · ".join(f"{label} `{value}`" for label, value in named if value)
    cost = f" · {entry.credits_used} credits" if entry.credits_used else ""
    extra = entry.extra_info or {}
    if entry.backend != "offline" and extra.get("list_price"):
        cost += f" · {extra['list_price']}"
    if entry.backend != "offline" and isinstance(extra.get("predict_time_s"), int | float):
        cost += f" · predict time {float(extra['predict_time_s']):.1f} s"
    details = (
        f"**{entry.id}** · {entry.model} · {entry.backend} · {entry.duration_s:.1f} s · {entry.sample_rate} Hz "
        f"· {entry.format} · seed {entry.seed}{cost}\n\n{ids}"
        + (f"\n\nstyle prompt: {entry.prompt}" if entry.prompt else "")
        + (f"\n\nreference: {entry.reference_name}" if entry.reference_name else "")
    )
    playable = serve_copy(entry.audio_path) if entry.format != "pcm" else None
    return playable, serve_copy(entry.audio_path), details, entry.id


def history_reload(entry_id: str | None, request: gr.Request):
    from music01_core.history import History

    if not entry_id:
        raise gr.Error("Pick a row in the history first.")
    e = History(session_home(request)).get(entry_id)
    return (
        e.model,
        e.lyrics,
        e.prompt or "",
        e.voice_id or "",
        e.instrumental_id or "",
        e.sample_rate,
        e.bitrate or 256000,
        e.format if e.format in ("mp3", "wav", "pcm") else "mp3",
        e.seed if e.seed is not None else -1,
    )


@friendly
def history_export(request: gr.Request):
    from music01_core.history import History

    h = History(session_home(request))
    if not h.list():
        raise gr.Error("Nothing to export yet: generate something first.")
    return serve_copy(h.export_zip(session_home(request) / "exports" / f"music01-history-{int(time.time())}.zip"))
