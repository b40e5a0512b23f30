"""Step 1 of the app: the reference — a file, a recording, an example, or a public URL."""

from __future__ import annotations

import functools
import re
import threading
import time
from pathlib import Path

import gradio as gr

from music01_core.settings import data_home

from .session import PRIVATE_URLS, SHARED, box_tokens, friendly, open_session_backend, serve_copy, session_home

EXAMPLE_NAMES = ["song-e-minor", "acappella-g-major", "groove-a-minor", "bright-d-major"]
_example_lock = threading.Lock()


def example_path(name: str) -> str:
    """Write (once) and return one of the project's own example references."""
    from music01_core.examples import write_example

    path = data_home() / "examples" / f"{name}.wav"
    with _example_lock:
        if not path.exists():
            write_example(name, path)
    return serve_copy(path)


@functools.lru_cache(maxsize=16)
def _envelope(path: str, mtime_ns: int, *, bins: int = 1500):
    """Min/max envelope of a file for drawing: (times_s, low, high), each of shape (bins,).

    Decoding a 10-minute file takes a second or more; the figure is redrawn whenever
    start/end change, so the envelope is kept per file (``mtime_ns`` invalidates it).
    """
    import numpy as np

    from music01_core.audio import load_audio

    y, sr = load_audio(path, sample_rate=2000)
    if len(y) == 0:
        return np.zeros(1), np.zeros(1), np.zeros(1)
    n = max(1, len(y) // bins)
    frames = y[: len(y) // n * n].reshape(-1, n)
    t = (np.arange(len(frames)) + 0.5) * n / sr
    return t, frames.min(axis=1), frames.max(axis=1)


def waveform_figure(path: str | None, start_s: float | None, end_s: float | None, title: str = "Reference"):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 2.2))
    if path:
        t, lo, hi = _envelope(str(path), Path(path).stat().st_mtime_ns)
        ax.fill_between(t, lo, hi, lw=0.4, color="#4b5563")
        if start_s is not None and end_s is not None and end_s > start_s:
            ax.axvspan(start_s, end_s, color="#f59e0b", alpha=0.3, label="segment sent to the model")
            ax.legend(loc="upper right", fontsize=8)
        ax.set_xlim(0, max(t[-1] if len(t) else 1, 1))
    ax.set_xlabel("seconds")
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


# The analysis judges a file's length against music-01's 10 s (it knows no model).  The length
# verdict that counts is the chosen model's, said under start/end (segment_check) and by Prepare;
# the analysis's own would contradict it (a short file showed "needs more than 15 s" beside
# "needs more than 10 s").  Its wording is the core's: see analysis.analyze_with_features.
_LENGTH_WARNING = re.compile(r"^the audio is [\d.]+ s; \S+ needs (more than|at least) [\d.]+ s")


def _without_length_verdict(d: dict) -> dict:
    if not d.get("suggested_segment", {}).get("valid", True):
        d["warnings"] = [w for w in d.get("warnings", []) if not _LENGTH_WARNING.match(w)]
    return d


@friendly
def api_analyze(audio: str | None) -> dict:
    """Analyse a reference: tempo, key, vocals (singing/speech/none), suggested purpose and segment.

    Whether its length suits a model is not part of it: /prepare (and the page's live check) says
    that for the chosen model.
    """
    from music01_core.analysis import analyze

    if not audio:
        raise gr.Error("Upload or record a reference first.")
    d = _without_length_verdict(analyze(audio).to_dict())
    for w in d["warnings"]:
        gr.Warning(w)
    d.pop("beat_times_s", None)
    d.pop("chroma_mean", None)
    return d


def analysing_note(audio: str | None) -> str:
    """What the analysis card says while the analysis runs."""
    if not audio:
        return ""
    return (
        "⏳ Analysing the reference (tempo, key, voice)… a few seconds per minute of audio. "
        "You can set start/end and prepare the clip meanwhile."
    )


def analysis_card(info: dict | None, model: str | None = None) -> str:
    """The analysis as a few Markdown lines, with what it means for ``model``.

    music-01 gets the suggested upload purpose; a model whose reference should hold music
    and/or vocals (``ReferenceSpec.content``) gets a line saying whether this one does.
    """
    from music01_core.errors import InputError
    from music01_core.models import get_model

    if not info:
        return ""
    try:
        m = get_model(model or None)
    except InputError:
        m = None
    v = info["vocals_detail"]
    seg = info["suggested_segment"]
    vocals = "**we could not tell**" if info["vocals"] == "unsure" else f"**{info['vocals']}**"
    alt = info.get("tempo_alternative_bpm")
    tempo = f"**{info['tempo_bpm']:.0f} BPM**" + (f" (or {alt:.0f})" if alt else "")
    segment = f"suggested segment **{seg['start_s']:.1f}–{seg['end_s']:.1f} s**"
    lines = [
        f"**{info['duration_s']:.1f} s** · tempo {tempo} · key **{info['key']}** · "
        f"vocals {vocals} ({info['vocals_confidence']:.0%}) · "
        f"{'with' if v['accompaniment'] else 'no'} accompaniment · loudness {info['rms_dbfs']:.0f} dBFS",
    ]
    if m is None or m.takes_purpose:
        purpose = f"**{info['suggested_purpose']}**" if info.get("suggested_purpose") else "none — choose it yourself"
        lines.append(f"Suggested purpose: {purpose} · {segment}")
    else:
        lines.append(f"{segment[0].upper()}{segment[1:]}")
        lines += _content_fit(info, m)
    lines += [f"⚠️ {w}" for w in info.get("warnings", [])]
    return "\n\n".join(lines)


def _content_fit(info: dict, m) -> list[str]:
    """Whether the analysed reference holds what ``m``'s reference should (empty: the model asks nothing)."""
    want = m.reference.content
    if not want:
        return []
    missing = []
    if "vocals" in want and info["vocals"] in ("none", "speech"):
        missing.append("no singing heard" if info["vocals"] == "none" else "speech, not singing")
    if "music" in want and not info["vocals_detail"].get("accompaniment"):
        missing.append("no accompaniment heard")
    asked = " and ".join(want)
    if missing:
        # The ear is a heuristic: on the real "sung-band" clips of the dev set benchmarks/realdata.py
        # fetches, it heard no accompaniment in 4 of 5.  So this advises and never blocks.
        return [
            f"⚠️ {'; '.join(missing)} — {m.id}'s reference should contain {asked} (the provider's words). "
            "If you hear both in it, go ahead: this check is a heuristic."
        ]
    if info["vocals"] == "unsure":
        return [f"{m.id}'s reference should contain {asked}: we could not tell whether this one has a voice."]
    return [f"✅ {asked} — what {m.id} asks of a reference."]


def _model_for_clip(model: str | None):
    """The chosen model, named explicitly to the core (an empty choice is the default model).

    A text-only model takes no clip: the core says so rather than the clip following another
    model's bounds (it used to follow music-01's 10 s, which the chosen model never checks).
    """
    from music01_core.models import get_model

    return get_model(model or None)


def _segment_end(total_s, start_s, end_s):
    """The end to check: None ("to the end of the file") for 0, an empty field, or the file's own end.

    The analysis fills end with a short file's whole length; checked as a segment, a 7 s file
    would be told to "move start/end further apart" instead of to record a longer take.
    """
    if not end_s:
        return None
    if total_s and not start_s and abs(float(end_s) - float(total_s)) < 0.05:
        return None
    return end_s


def segment_check(audio, start_s, end_s, info, model: str | None = None) -> str:
    """The live check under the start/end fields: the same rules prepare_clip applies for the model."""
    from music01_core.audio import check_segment
    from music01_core.errors import AudioInputError

    m = _model_for_clip(model)
    if not audio or not m.takes_reference:
        return ""
    total = (info or {}).get("duration_s")
    try:
        # As in api_prepare: an end of 0 (what an empty field sends) means "to the end".
        _, length = check_segment(total, start_s or None, _segment_end(total, start_s, end_s), model=m)
    except (AudioInputError, TypeError, ValueError) as exc:
        return f"❌ {exc}" if isinstance(exc, AudioInputError) else "❌ start and end must be numbers of seconds."
    if length is None:
        return "The length will be measured when the clip is prepared."
    hint = " 30–60 s works best." if not 25 <= length <= 75 else ""
    return f"✅ {length:.1f} s segment — {m.id} accepts it.{hint}"


@friendly
def api_prepare(
    audio: str | None,
    start_s: float | None,
    end_s: float | None,
    fmt: str | None,
    model: str | None = None,
    request: gr.Request = None,
):
    """Cut and convert a reference into a valid clip for the model (MP3/WAV, within its length bounds)."""
    from music01_core.audio import prepare_clip

    if not audio:
        raise gr.Error("Upload or record a reference first.")
    fmt = (fmt or "mp3").lower()
    m = _model_for_clip(model)
    if end_s and not start_s:
        from music01_core import ffmpeg

        # The page fills end with a short file's own length: that is the whole file, and a too-short
        # one is then told to record a longer take, not to move start/end apart.
        end_s = _segment_end(ffmpeg.probe(audio).duration_s, start_s, end_s)
    folder = session_home(request) / "clips"
    clip = prepare_clip(
        audio,
        folder / f"{Path(audio).stem[:40]}-{int(time.time())}.{fmt}",
        start_s=start_s or None,
        end_s=end_s or None,
        format=fmt,
        model=m,
    )
    for w in clip.warnings:
        gr.Warning(w)
    info = clip.to_dict()
    # No server paths in what the browser sees (and no "path" key: clients read that as a file).
    info["file_name"] = Path(info.pop("path")).name
    info["model"] = m.id
    return serve_copy(clip.path), info


def reference_for(model, clip: str | None, url: str | None, backend, request: gr.Request):
    """The checked reference for a job model: the URL when one is given, else the prepared clip."""
    from music01_core.errors import ReferenceInputError
    from music01_core.references import choose_reference

    try:
        return choose_reference(
            model,
            clip=clip,
            url=url,
            backend=backend,
            cache_dir=session_home(request) / "references",
            # Strangers on a shared server must not make it fetch its own network.  Whether the service
            # runs on this machine is asked of the one that serves this model (each has its own address).
            allow_private=_local_service(backend, model) and (not SHARED or PRIVATE_URLS),
        )
    except ReferenceInputError:
        if clip or (url or "").strip():
            raise
        raise gr.Error(
            f"{model.id} needs a reference: prepare a clip in step 1"
            + (", or paste a public URL of a WAV/MP3 there." if "url" in model.reference.ways else ".")
        ) from None


def _local_service(backend, model) -> bool:
    """Whether the service that serves ``model`` on ``backend`` runs on this machine (the engine, an emulator)."""
    provider_for = getattr(backend, "provider_for", None)
    if provider_for is None:
        return bool(backend.local_service)
    return bool(provider_for(model).local_service)  # the offline engine's is True


@friendly
def api_check_url(
    url: str | None,
    model: str | None,
    api_key: str | None = None,
    replicate_token: str | None = None,
    request: gr.Request = None,
) -> str:
    """Fetch a reference URL once and say whether the model accepts it (nothing is billed)."""
    from music01_core.models import get_model

    if not (url or "").strip():
        return ""
    m = get_model(model)
    if "url" not in m.reference.ways:
        raise gr.Error(f"{m.id} does not take a reference URL: prepare a clip instead.")
    backend, _ = open_session_backend(box_tokens(api_key, replicate_token), request, model=m.id)
    ref = reference_for(m, None, url, backend, request)
    return f"✅ {ref.name}: {ref.format}, {ref.duration_s:.1f} s, {ref.bytes / 2**20:.1f} MB — {m.id} accepts it."
