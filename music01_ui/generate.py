"""Step 4 of the app: make the piece, with any model, through the one client pipeline."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from pathlib import Path

import gradio as gr

from music01_core.errors import InsufficientCreditsError
from music01_core.lyrics import prepare_text_fields
from music01_core.models import LEGACY_MODEL, get_model
from music01_core.settings import AudioSetting
from music01_core.types import MusicRequest

from .model import delisted_note, shows_purpose
from .options import parse_options
from .reference import reference_for
from .session import (
    KEY_SERVICE,
    box_tokens,
    display_name,
    friendly,
    limit_shared_key,
    offline_reason,
    open_session_backend,
    refund_shared_key,
    serve_copy,
)

logger = logging.getLogger("music01.app")


@dataclass
class _Call:
    result: object = None
    error: BaseException | None = None
    status: str = "submitting"
    generation_id: str | None = None


def _run(work, backend, expected_s: float, progress, call: _Call):
    """Run ``work`` in a thread and report its status with the elapsed time until it ends.

    A cancelled event leaves the thread running: a paid job still finishes and is saved.
    """
    worker = threading.Thread(target=work, name="music01-generate", daemon=True)
    started = time.monotonic()
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
        elapsed = time.monotonic() - started
        job = f" · generation id {call.generation_id} (History can resume it)" if call.generation_id else ""
        progress(
            min(elapsed / expected_s, 0.97),
            desc=f"{call.status}… {elapsed:.0f} s (usually {expected_s:.0f} s or less){job}",
        )
    if call.error is not None:
        raise call.error
    return call.result, time.monotonic() - started


def _info(r, elapsed_s: float, setting_dict: dict | None) -> dict:
    info = r.to_dict()
    info["elapsed_s"] = round(elapsed_s, 1)
    info["audio_setting"] = setting_dict
    info["file_name"] = Path(info.pop("path")).name
    return info


@friendly
def api_generate(
    lyrics: str,
    voice_id: str | None,
    instrumental_id: str | None,
    sample_rate: int | float | str,
    bitrate: int | float | str,
    fmt: str,
    seed: int | float | None = None,
    api_key: str | None = None,
    replicate_token: str | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),  # noqa: B008 - Gradio's idiom
):
    """music-01 (legacy): generate from lyrics and upload ids; returns (audio file, info). Saved to the history first."""
    # The same pipeline as every model (the endpoint stays for the clients that call it by name).
    return api_make(
        LEGACY_MODEL,
        lyrics,
        None,
        None,
        None,
        False,
        False,
        sample_rate,
        bitrate,
        fmt,
        seed,
        api_key,
        voice_id,
        instrumental_id,
        replicate_token,
        request=request,
        progress=progress,
    )


@friendly
def api_make(
    model: str,
    lyrics: str | None,
    prompt: str | None,
    clip: str | None,
    reference_url: str | None,
    is_instrumental: bool,
    lyrics_optimizer: bool,
    sample_rate: int | float | str,
    bitrate: int | float | str,
    fmt: str,
    seed: int | float | None = None,
    api_key: str | None = None,
    voice_id: str | None = None,
    instrumental_id: str | None = None,
    replicate_token: str | None = None,
    purpose: str | None = None,
    options: str | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),  # noqa: B008 - Gradio's idiom
):
    """Make a piece with any model: returns (audio file, info). Saved to the history before it is shown.

    ``replicate_token`` serves the Replicate rows (the AI/ML API key ``api_key`` the others);
    ``purpose`` (song, voice or instrumental) says what the reference is, for a model whose
    request names it (music-01 on Replicate); ``options`` is a JSON object of the model's own
    fields by name (``{"duration_s": 20}``; `music01 models` lists them).
    """
    tokens = box_tokens(api_key, replicate_token)
    return _make_piece(
        model,
        lyrics,
        prompt,
        clip,
        reference_url,
        is_instrumental,
        lyrics_optimizer,
        sample_rate,
        bitrate,
        fmt,
        seed,
        tokens,
        voice_id,
        instrumental_id,
        purpose,
        request,
        progress,
        options=parse_options(options),
    )


def _make_piece(
    model: str,
    lyrics: str | None,
    prompt: str | None,
    clip: str | None,
    reference_url: str | None,
    is_instrumental: bool,
    lyrics_optimizer: bool,
    sample_rate: int | float | str,
    bitrate: int | float | str,
    fmt: str,
    seed: int | float | None,
    tokens: dict[str, str],
    voice_id: str | None,
    instrumental_id: str | None,
    purpose: str | None,
    request: gr.Request,
    progress,
    *,
    options: dict | None = None,
):
    """:func:`api_make` with the credentials as one mapping, ``tokens`` (service name → what was pasted)."""
    m = get_model(model or None)
    purpose = (purpose or "song").strip() if shows_purpose(m.id) else "song"
    setting = AudioSetting(sample_rate=int(sample_rate), bitrate=int(bitrate), format=str(fmt))
    # Hidden fields keep their values when another model is chosen: send only what this model shows.
    req = MusicRequest(
        model=m.id,
        lyrics=(lyrics or "") if m.lyrics is not None else "",
        prompt=(prompt or "") if m.prompt is not None else "",
        audio_setting=setting,
        is_instrumental=bool(is_instrumental) and "is_instrumental" in m.flags,
        lyrics_optimizer=bool(lyrics_optimizer) and "lyrics_optimizer" in m.flags,
        seed=None if seed in (None, "") or int(seed) < 0 else int(seed),
        voice_id=(voice_id or None) if m.gives_ids else None,
        instrumental_id=(instrumental_id or None) if m.gives_ids else None,
        purpose=purpose,
        options=dict(options or {}),
    )
    # Everything is checked before anything is billed: the text first (before a reference is fetched).
    fields = prepare_text_fields(
        m,
        lyrics=req.lyrics,
        prompt=req.prompt,
        is_instrumental=req.is_instrumental,
        lyrics_optimizer=req.lyrics_optimizer,
    )
    backend, shared_key = open_session_backend(tokens, request, model=m.id)
    gone = delisted_note(m, backend.listing_for(m))  # the core refuses it too; said here in the page's words
    if gone:
        raise gr.Error(
            f"{m.id} is {gone}: nothing was sent. Choose another model (the menu marks those the provider "
            "no longer lists).",
            title="No longer listed",
            print_exception=False,
        )
    if not m.gives_ids:  # music-01's reference went up in its Upload step: its ids stand for it
        req = replace(req, reference=reference_for(m, clip, reference_url, backend, request))
    job = backend.prepare(req, fields=fields)  # the reference is routed here, once
    limit_shared_key(shared_key, request, m.id)
    try:
        r, elapsed = _make(backend, job, m, progress)
    except Exception as exc:
        if shared_key and _nothing_sent(exc):
            refund_shared_key(shared_key, request)  # refused before the send: it must not use the shared allowance
        if not shared_key or not isinstance(exc, InsufficientCreditsError):
            raise  # the person's own key: its balance is theirs to read
        raise _shared_key_short(exc, m) from None
    for w in r.warnings:
        gr.Warning(w)
    audio_path = _pcm_preview(r) if r.format == "pcm" else r.path
    setting_dict = setting.to_dict(sample_rate_field=m.audio_setting.sample_rate_field) if m.audio_setting else None
    info = _info(r, elapsed, setting_dict)
    if job.options:
        info["options"] = dict(job.options)  # as sent, in the provider's fields and units (the code view's)
    if shows_purpose(m.id) and m.takes_reference:
        info["purpose"] = purpose  # what the reference was sent as (the code view names its field)
    return serve_copy(audio_path), info


def price_line(
    model: str | None,
    api_key: str | None = None,
    replicate_token: str | None = None,
    sample_rate: int | float | str | None = None,
    bitrate: int | float | str | None = None,
    fmt: str | None = None,
    request: gr.Request = None,
) -> str:
    """What one Generate with ``model`` is expected to cost this session, and where the figure comes from.

    "≈ $0.195 (390,000 credits) a piece · provider's list, checked 10:42"; "offline engine: free";
    on a local emulator, "local emulator: nothing is billed" and what the provider's list says.  Only
    the copy of the list on disk and this session's history are read: never the network.
    """
    from music01_core.errors import Music01Error

    m = get_model(model or None)
    tokens = box_tokens(api_key, replicate_token)
    try:
        backend, _ = open_session_backend(tokens, request, model=m.id)
        if backend.offline_for(m):
            return "offline engine: free"
        price = backend.price_for(m, settings=_price_settings(m, sample_rate, bitrate, fmt))
        local = bool(backend.provider_for(m).local_service)
    except Music01Error:
        return ""  # a credential pasted with a fault: the line under its box says what to fix
    except Exception:  # a passive line: an unreadable file costs the figure, never an error on the page
        logger.info("no price line for %s", m.id, exc_info=True)
        return ""
    if local:
        return f"local emulator: nothing is billed · at the provider: {price.words()}"
    return price.words()


def _price_settings(m, sample_rate, bitrate, fmt) -> dict:
    """The output settings as a price that depends on them names them (``{"audio_setting.sample_rate": 44100}``)."""
    from music01_core.errors import Music01Error

    if m.audio_setting is None:
        return {}
    try:
        setting = AudioSetting(
            sample_rate=int(sample_rate or 0) or AudioSetting().sample_rate,
            bitrate=int(bitrate or 0) or AudioSetting().bitrate,
            format=str(fmt or m.returns[0]),
        )
    except (TypeError, ValueError, Music01Error):
        return {}
    sent = setting.to_dict(sample_rate_field=m.audio_setting.sample_rate_field)
    return {f"audio_setting.{k}": v for k, v in sent.items()}


def _nothing_sent(exc: BaseException) -> bool:
    """Whether a failed generate was refused before its billed call left: the balance check
    (:class:`~music01_core.account.ShortBalanceError`), or a check of the request's own (an
    :class:`~music01_core.errors.InputError` that is no answer of the service's, and never one that may be billed)."""
    from music01_core.account import ShortBalanceError
    from music01_core.errors import ApiError, InputError

    if getattr(exc, "may_be_billed", False):
        return False
    return isinstance(exc, ShortBalanceError) or (isinstance(exc, InputError) and not isinstance(exc, ApiError))


def _shared_key_short(exc, m) -> gr.Error:
    """The server's key cannot pay for a piece: said without its balance, which only the teacher's panel shows."""
    from music01_core.account import ShortBalanceError

    if isinstance(exc, ShortBalanceError):
        what = f"The shared key's balance is below this piece's price ({exc.price.words()}): nothing was sent."
    else:
        what = "The provider refused: the shared key is out of credits. Nothing was made."
    return gr.Error(
        f"{what} Tell the person running this server, or paste your own AI/ML API key above.",
        title="The shared key cannot pay for this",
        print_exception=False,
    )


def _make(backend, job, m, progress):
    """Run the prepared job in a thread, showing its status; (piece, elapsed seconds)."""
    offline = backend.offline_for(m)  # per model: a service without a credential runs on the engine
    call = _Call(status="generating" if offline else "submitting")

    def on_status(status: str, _elapsed: float) -> None:
        call.status = status

    def work() -> None:
        try:
            call.result = backend.run(
                job, on_status=on_status, on_submit=lambda gid: setattr(call, "generation_id", gid)
            )
        except BaseException as exc:  # handed to the request thread below
            call.error = exc

    return _run(work, backend, 15 if offline else m.expected_s, progress, call)


def _pcm_preview(result) -> str:
    """Raw PCM has no header: wrap it in a WAV next to the saved file so it can play."""
    import wave

    out = Path(result.path).with_suffix(".preview.wav")
    with wave.open(str(out), "wb") as w:
        w.setnchannels(result.channels)
        w.setsampwidth(2)
        w.setframerate(result.sample_rate)
        w.writeframes(result.audio)
    return str(out)


def result_card(info: dict | None) -> str:
    """The result's info text: length, format, who made it, its cost as the provider reports it (or its list price)."""
    if not info:
        return ""
    m, service = _model_and_service(info.get("model"))
    cost = ""
    if info.get("credits_used") or info.get("usd_spent"):
        cost = f" · cost {info.get('credits_used') or '?'} credits" + (
            f" (${info['usd_spent']})" if info.get("usd_spent") else ""
        )
    extra = info.get("extra_info") or {}
    if info.get("backend") != "offline":
        # A provider that reports no cost (Replicate): its published price and the prediction's own time.
        if extra.get("list_price"):
            cost += f" · {extra['list_price']}"
        if isinstance(extra.get("predict_time_s"), int | float):
            cost += f" · predict time {float(extra['predict_time_s']):.1f} s"
    if info.get("generation_id"):
        ids = f"generation id `{info['generation_id']}`"
    else:
        ids = f"trace id `{info.get('trace_id')}`" + (
            f" · inference id `{info['inference_id']}`" if info.get("inference_id") else ""
        )
    model = info.get("model") or "music-01"
    shown = display_name(m) if m is not None else model
    if info.get("backend") == "offline":
        reason = (
            f" ({offline_reason(m)})" if m is not None and service is not None and service.name != KEY_SERVICE else ""
        )
        backend = f"offline engine{reason} — not {shown}"
    else:
        backend = f"{shown} via {service.label if service is not None else 'AI/ML API'}"
    seed = f" · seed {info['seed']}" if info.get("seed") is not None else ""
    purpose = f" · reference sent as {info['purpose']}" if info.get("purpose") else ""
    return (
        f"**{info['duration_s']:.1f} s** {info['format']} · {info['sample_rate']} Hz · {backend}{seed}{purpose}{cost}\n\n"
        f"{ids} · took {info.get('elapsed_s', 0):.0f} s · saved to history"
    )


def _model_and_service(model_id: str | None):
    """(Model, Service) of a result's model; (None, None) for a model the table no longer has."""
    from music01_core.errors import InputError
    from music01_core.models import get_service

    try:
        m = get_model(model_id or LEGACY_MODEL)
    except InputError:
        return None, None
    return m, get_service(m.provider)


def compare(reference: str | None, info: dict | None, audio_path: str | None):
    """Spectrograms of reference and output, tempo and key side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from music01_core.analysis import analyze
    from music01_core.audio import load_audio

    if not info or not audio_path:
        return None, ""
    rows = []
    pairs = [(label, path) for label, path in (("reference", reference), ("output", audio_path)) if path]
    fig, axes = plt.subplots(len(pairs), 1, figsize=(9, 2.1 * len(pairs)), squeeze=False)
    for ax, (label, path) in zip(axes[:, 0], pairs, strict=True):
        y, sr = load_audio(path, sample_rate=16000, duration_s=60)
        ax.specgram(y + 1e-9, NFFT=1024, Fs=sr, noverlap=768, cmap="magma", vmin=-120)
        ax.set_ylim(0, 6000)
        ax.set_title(label, fontsize=9)
        ax.set_ylabel("Hz")
        a = analyze(path, audio=(y.astype(np.float32), sr))
        rows.append(f"| {label} | {a.duration_s:.1f} s | {a.tempo_bpm:.0f} BPM | {a.key} | {a.vocals} |")
    fig.tight_layout()
    plt.close(fig)
    table = "| | length | tempo | key | vocals |\n|---|---|---|---|---|\n" + "\n".join(rows)
    return fig, table
