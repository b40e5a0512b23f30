"""music01 — a Gradio app for MiniMax music-01: reference → upload → lyrics → generate → history.

Run ``python app.py`` (http://127.0.0.1:7860; honours GRADIO_SERVER_NAME / GRADIO_SERVER_PORT).
With no API key it runs on the offline engine and says so.  The UI only wires
``music01_core`` together: every decision about audio, lyrics, the API and files is made
there; handlers here turn its results and errors into what a person sees.
"""

import functools
import hashlib
import logging
import os
import threading
import time
from collections import defaultdict, deque
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from music01_core.errors import InputError, Music01Error
from music01_core.settings import (
    BITRATES,
    DEFAULT_BITRATE,
    DEFAULT_SAMPLE_RATE,
    ENV_API_KEYS,
    MAX_LYRICS_CHARS,
    SAMPLE_RATES,
    data_home,
)

logger = logging.getLogger("music01.app")

EXPECTED_S = 60  # music-01 usually answers in 50–60 s
MAX_UPLOAD = "200mb"  # a 10-minute 48 kHz stereo WAV is ~110 MB
SHARED = bool(os.environ.get("SPACE_ID")) or os.environ.get("MUSIC01_SHARED") == "1"
GENERATIONS_PER_HOUR = int(os.environ.get("MUSIC01_GENERATIONS_PER_HOUR", "5") or 5)
CPU_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))  # offline renders are CPU-bound
DOCS_EXAMPLE_LYRICS = "##Swing to the rhythm of the night\nLet the music take control\n\nDancing in the silver light\nWe will never let it go##"
LYRICS_EXAMPLES = [
    DOCS_EXAMPLE_LYRICS,
    "##In the quiet of the morning\nI can hear the river call##",
    "Hello moon, hello sky\nsing me softly to the night\n\nhold the light until I'm home",
]
PURPOSE_HELP = {
    "song": "song — sung vocals with accompaniment → voice_id + instrumental_id",
    "voice": "voice — a cappella singing only → voice_id",
    "instrumental": "instrumental — accompaniment only, no vocals → instrumental_id",
}


# --- sessions, keys and limits --------------------------------------------------------------
def server_key() -> str | None:
    for name in ENV_API_KEYS:
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    return None


def session_home(request: gr.Request) -> Path:
    """Everything a session keeps: one folder per browser session on a shared server."""
    root = data_home()
    if not SHARED:
        return root
    sid = getattr(request, "session_hash", None) or "anonymous"
    return root / "sessions" / hashlib.sha256(sid.encode()).hexdigest()[:20]


class RateLimiter:
    """At most ``limit`` generations per hour per session and per client address."""

    def __init__(self, limit: int, window_s: float = 3600.0) -> None:
        self.limit, self.window_s = limit, window_s
        self.events: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def check(self, *keys: str) -> None:
        now = time.time()
        with self.lock:
            for key in keys:
                q = self.events[key]
                while q and q[0] < now - self.window_s:
                    q.popleft()
                if len(q) >= self.limit:
                    wait = int(q[0] + self.window_s - now) + 1
                    raise gr.Error(f"This demo allows {self.limit} generations per hour on its shared key. "
                                   f"Try again in {wait // 60} min {wait % 60} s — or paste your own AI/ML API key "
                                   "above, or use the offline engine on your own machine.")
            for key in keys:
                self.events[key].append(now)


LIMITER = RateLimiter(GENERATIONS_PER_HOUR)


def open_session_backend(api_key: str | None, request: gr.Request):
    """The backend for this call: the pasted key, else the server's key, else offline."""
    from music01_core.backends import ApiBackend, OfflineBackend
    from music01_core.secret import Secret

    home = session_home(request)
    pasted = (api_key or "").strip()
    if pasted:
        return ApiBackend(api_key=Secret(pasted), home=home), False
    if server_key():
        return ApiBackend(home=home), True
    return OfflineBackend(home=home), False


def banner_text(api_key: str | None = None) -> str:
    if (api_key or "").strip():
        return "🔑 **music-01 via AI/ML API** — using the key you pasted (kept only in this browser session)."
    if server_key():
        limit = f" Shared demo key: {GENERATIONS_PER_HOUR} generations per hour per person." if SHARED else ""
        return f"🎵 **music-01 via AI/ML API**.{limit}"
    return ("🧪 **offline engine (no API key) — not music-01.** It makes music from your reference on this machine; "
            "paste an AI/ML API key below to use the real model.")


def serve_copy(path: str | Path | None) -> str | None:
    """A copy of ``path`` in Gradio's own file cache, under a fresh random folder.

    The data directory itself is never served: a browser can fetch only files handed to
    its own session, at unguessable paths.
    """
    import shutil
    import tempfile

    if not path:
        return None
    cache = Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio") / "music01"
    cache.mkdir(parents=True, exist_ok=True)
    out = Path(tempfile.mkdtemp(dir=cache)) / Path(path).name
    shutil.copyfile(path, out)
    return str(out)


# --- error handling at the edge -------------------------------------------------------------
def friendly(fn):
    """Turn library errors into messages that say what to fix; never show a traceback."""
    import functools

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except gr.Error:
            raise
        except Music01Error as exc:
            raise gr.Error(str(exc), title="Please check" if isinstance(exc, InputError) else "The service failed") \
                from None
        except Exception:
            logger.exception("unexpected error in %s", fn.__name__)
            raise gr.Error("Something unexpected went wrong (it was logged on the server). Please try again.") \
                from None

    return wrapper


# --- step 1: reference ----------------------------------------------------------------------
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
            ax.axvspan(start_s, end_s, color="#f59e0b", alpha=0.3, label="segment sent to music-01")
            ax.legend(loc="upper right", fontsize=8)
        ax.set_xlim(0, max(t[-1] if len(t) else 1, 1))
    ax.set_xlabel("seconds")
    ax.set_yticks([])
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    plt.close(fig)
    return fig


@friendly
def api_analyze(audio: str | None) -> dict:
    """Analyse a reference: tempo, key, vocals (singing/speech/none), suggested purpose and segment."""
    from music01_core.analysis import analyze

    if not audio:
        raise gr.Error("Upload or record a reference first.")
    a = analyze(audio)
    for w in a.warnings:
        gr.Warning(w)
    d = a.to_dict()
    d.pop("beat_times_s", None)
    d.pop("chroma_mean", None)
    return d


def analysing_note(audio: str | None) -> str:
    """What the analysis card says while the analysis runs."""
    if not audio:
        return ""
    return ("⏳ Analysing the reference (tempo, key, voice)… a few seconds per minute of audio. "
            "You can set start/end and prepare the clip meanwhile.")


def analysis_card(info: dict | None) -> str:
    if not info:
        return ""
    v = info["vocals_detail"]
    seg = info["suggested_segment"]
    lines = [f"**{info['duration_s']:.1f} s** · tempo **{info['tempo_bpm']:.0f} BPM** · key **{info['key']}** · "
             f"vocals **{info['vocals']}** ({info['vocals_confidence']:.0%}) · "
             f"{'with' if v['accompaniment'] else 'no'} accompaniment · loudness {info['rms_dbfs']:.0f} dBFS",
             f"Suggested purpose: **{info['suggested_purpose']}** · suggested segment "
             f"**{seg['start_s']:.1f}–{seg['end_s']:.1f} s**"]
    lines += [f"⚠️ {w}" for w in info.get("warnings", [])]
    return "\n\n".join(lines)


def segment_check(audio, start_s, end_s, info) -> str:
    """The live check under the start/end fields: the same rules prepare_clip applies."""
    from music01_core.audio import check_segment
    from music01_core.errors import AudioInputError

    if not audio:
        return ""
    try:
        # As in api_prepare: an end of 0 (what an empty field sends) means "to the end".
        _, length = check_segment((info or {}).get("duration_s"), start_s or None, end_s or None)
    except (AudioInputError, TypeError, ValueError) as exc:
        return f"❌ {exc}" if isinstance(exc, AudioInputError) else "❌ start and end must be numbers of seconds."
    if length is None:
        return "The length will be measured when the clip is prepared."
    hint = " 30–60 s works best." if not 25 <= length <= 75 else ""
    return f"✅ {length:.1f} s segment — music-01 accepts it.{hint}"


@friendly
def api_prepare(audio: str | None, start_s: float | None, end_s: float | None, fmt: str | None,
                request: gr.Request = None):
    """Cut and convert a reference into a valid music-01 clip (MP3/WAV, 10 s–10 min)."""
    from music01_core.audio import prepare_clip

    if not audio:
        raise gr.Error("Upload or record a reference first.")
    fmt = (fmt or "mp3").lower()
    folder = session_home(request) / "clips"
    clip = prepare_clip(audio, folder / f"{Path(audio).stem[:40]}-{int(time.time())}.{fmt}",
                        start_s=start_s or None, end_s=end_s or None, format=fmt)
    for w in clip.warnings:
        gr.Warning(w)
    info = clip.to_dict()
    # No server paths in what the browser sees (and no "path" key: clients read that as a file).
    info["file_name"] = Path(info.pop("path")).name
    return serve_copy(clip.path), info


# --- step 2: upload -------------------------------------------------------------------------
@friendly
def api_upload(clip: str | None, purpose: str, api_key: str | None = None, request: gr.Request = None) -> dict:
    """Upload a prepared clip for a purpose; returns voice_id / instrumental_id (cached when seen before)."""
    if not clip:
        raise gr.Error("Prepare a clip first (step 1), or upload an MP3/WAV clip.")
    if purpose not in PURPOSE_HELP:
        raise gr.Error("Choose a purpose: song, voice or instrumental.")
    backend, _ = open_session_backend(api_key, request)
    res = backend.upload(clip, purpose)
    if res.cached:
        gr.Info("cached — not uploaded again")
    return {"voice_id": res.voice_id, "instrumental_id": res.instrumental_id, "trace_id": res.trace_id,
            "cached": res.cached, "backend": res.backend, "purpose": res.purpose}


def library_choices(request: gr.Request) -> list[tuple[str, str]]:
    from music01_core.library import ReferenceLibrary

    entries = ReferenceLibrary(session_home(request)).entries()
    return [(e.label(), f"{e.voice_id or ''}|{e.instrumental_id or ''}") for e in entries]


def refresh_library(request: gr.Request):
    return gr.update(choices=library_choices(request))


def on_load(request: gr.Request):
    return (gr.update(choices=library_choices(request)), *lyrics_view(DOCS_EXAMPLE_LYRICS), history_rows(request))


# --- step 3: lyrics -------------------------------------------------------------------------
def lyrics_view(text: str | None):
    from music01_core.lyrics import check_lyrics

    report = check_lyrics(text or "")
    counter = f"**{report.chars} / {MAX_LYRICS_CHARS}**" + (f" — {report.excess} over" if report.excess else "")
    parts = [counter, f"{len(report.lines)} lines · {report.pauses} pauses · accompaniment wrap "
             f"{'on' if report.accompaniment else 'off'}"]
    parts += [f"⚠️ {w}" for w in report.warnings] + [f"❌ {e}" for e in report.errors if text]
    structure = "\n".join(f"{i + 1:>2}. {ln}" for i, ln in enumerate(report.lines)) or "(no lines yet)"
    return "\n\n".join(parts), structure


def toggle_wrap(text: str | None, on: bool) -> str:
    from music01_core.lyrics import set_accompaniment

    return set_accompaniment(text or "", on)


def clean_lyrics(text: str | None) -> str:
    from music01_core.lyrics import check_lyrics

    report = check_lyrics(text or "")
    if report.removed:
        gr.Info(report.warnings[0])
    return report.text


# --- step 4: generate -----------------------------------------------------------------------
@dataclass
class _Call:
    result: object = None
    error: BaseException | None = None


@friendly
def api_generate(lyrics: str, voice_id: str | None, instrumental_id: str | None, sample_rate: int | float | str,
                 bitrate: int | float | str, fmt: str, seed: int | float | None = None, api_key: str | None = None,
                 request: gr.Request = None, progress=gr.Progress()):  # noqa: B008 - Gradio's idiom
    """Generate a piece from lyrics and ids; returns (audio file, info). Saved to the history first."""
    from music01_core.lyrics import prepare_lyrics
    from music01_core.settings import AudioSetting

    prepare_lyrics(lyrics or "")  # fail on bad lyrics before anything is sent
    setting = AudioSetting(sample_rate=int(sample_rate), bitrate=int(bitrate), format=str(fmt))
    backend, shared_key = open_session_backend(api_key, request)
    if shared_key and SHARED:
        client = getattr(getattr(request, "client", None), "host", None) or "?"
        LIMITER.check(f"session:{getattr(request, 'session_hash', '?')}", f"ip:{client}")
    seed_val = None if seed in (None, "") or int(seed) < 0 else int(seed)
    call = _Call()

    def work() -> None:
        try:
            if backend.name == "offline":
                with CPU_SLOTS:
                    call.result = backend.generate(lyrics, voice_id=voice_id or None,
                                                   instrumental_id=instrumental_id or None, audio_setting=setting,
                                                   seed=seed_val)
            else:
                call.result = backend.generate(lyrics, voice_id=voice_id or None,
                                               instrumental_id=instrumental_id or None, audio_setting=setting)
        except BaseException as exc:  # handed to the request thread below
            call.error = exc

    worker = threading.Thread(target=work, name="music01-generate", daemon=True)
    started = time.monotonic()
    worker.start()
    while worker.is_alive():
        worker.join(0.5)
        elapsed = time.monotonic() - started
        expected = EXPECTED_S if backend.name == "api" else 15
        progress(min(elapsed / expected, 0.97), desc=f"generating… {elapsed:.0f} s (usually {expected} s or less)")
    if call.error is not None:
        raise call.error
    r = call.result
    for w in r.warnings:
        gr.Warning(w)
    info = r.to_dict()
    info["elapsed_s"] = round(time.monotonic() - started, 1)
    info["audio_setting"] = setting.to_dict()
    info["file_name"] = Path(info.pop("path")).name
    audio_path = _pcm_preview(r) if r.format == "pcm" else r.path
    return serve_copy(audio_path), info


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
    if not info:
        return ""
    cost = ""
    if info.get("credits_used") or info.get("usd_spent"):
        cost = f" · cost {info.get('credits_used') or '?'} credits (${info.get('usd_spent') or '?'})"
    ids = f"trace id `{info.get('trace_id')}`" + (f" · inference id `{info['inference_id']}`"
                                                   if info.get("inference_id") else "")
    backend = "offline engine — not music-01" if info.get("backend") == "offline" else "music-01 via AI/ML API"
    seed = f" · seed {info['seed']}" if info.get("seed") is not None else ""
    return (f"**{info['duration_s']:.1f} s** {info['format']} · {info['sample_rate']} Hz · {backend}{seed}{cost}\n\n"
            f"{ids} · took {info.get('elapsed_s', 0):.0f} s · saved to history")


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
    fig, axes = plt.subplots(2, 1, figsize=(9, 4.2))
    for ax, (label, path) in zip(axes, (("reference", reference), ("output", audio_path)), strict=True):
        if not path:
            ax.set_visible(False)
            continue
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


def code_panel(info: dict | None) -> str:
    if not info:
        return "Generate something to see the equivalent code."
    import json as _json

    s = info.get("audio_setting") or {}
    payload = {"model": "music-01", "lyrics": info.get("lyrics", "")}
    if info.get("voice_id"):
        payload["refer_voice"] = info["voice_id"]
    if info.get("instrumental_id"):
        payload["refer_instrumental"] = info["instrumental_id"]
    payload["audio_setting"] = s
    mode = "offline" if info.get("backend") == "offline" else "api"
    py = (
        "from music01_core.backends import open_backend\n"
        "from music01_core.settings import AudioSetting\n\n"
        f"backend = open_backend({mode!r})"
        + ("  # the key comes from $AIML_API_KEY\n" if mode == "api" else "  # no key, no network\n")
        +
        f"result = backend.generate(\n    {info.get('lyrics', '')!r},\n"
        f"    voice_id={info.get('voice_id')!r},\n    instrumental_id={info.get('instrumental_id')!r},\n"
        f"    audio_setting=AudioSetting(sample_rate={s.get('sample_rate')}, bitrate={s.get('bitrate')}, "
        f"format={s.get('format')!r}),\n)\nresult.save('music01.{s.get('format', 'mp3')}')\n"
    )
    body = _json.dumps(payload, ensure_ascii=False).replace("'", "'\\''")  # quoted for a POSIX shell
    curl = (
        "curl -sS https://api.aimlapi.com/v2/generate/audio/minimax/generate \\\n"
        "  -H \"Authorization: Bearer $AIML_API_KEY\" -H 'Content-Type: application/json' \\\n"
        f"  -d '{body}' \\\n"
        "  | python -c \"import json,sys; d=json.load(sys.stdin); "
        f"open('out.{s.get('format', 'mp3')}','wb').write(bytes.fromhex(d['data']['audio']))\"\n"
    )
    return f"**Python (music01_core)**\n```python\n{py}```\n**curl**\n```bash\n{curl}```"


# --- step 5: history ------------------------------------------------------------------------
HISTORY_HEADERS = ["when", "lyrics", "backend", "length", "format", "trace id", "id"]


def history_rows(request: gr.Request):
    from music01_core.history import History

    rows = []
    for e in History(session_home(request)).list():
        first = next((ln for ln in e.lyrics.replace("#", "").splitlines() if ln.strip()), "")
        rows.append([time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.created)), first[:40], e.backend,
                     f"{e.duration_s:.1f} s", e.format, e.trace_id, e.id])
    return rows


def history_pick(rows, evt: gr.SelectData, request: gr.Request):
    from music01_core.history import History

    try:
        row = rows.iloc[evt.index[0]].tolist() if hasattr(rows, "iloc") else rows[evt.index[0]]
        entry = History(session_home(request)).get(row[-1])
    except (IndexError, InputError, TypeError, KeyError):
        raise gr.Error("That history entry is gone: refresh the list.") from None
    details = (f"**{entry.id}** · {entry.backend} · {entry.duration_s:.1f} s · {entry.sample_rate} Hz · "
               f"{entry.format} · seed {entry.seed}\n\nvoice_id `{entry.voice_id}` · instrumental_id "
               f"`{entry.instrumental_id}` · trace id `{entry.trace_id}`"
               + (f" · inference id `{entry.inference_id}`" if entry.inference_id else "")
               + (f"\n\nreference: {entry.reference_name}" if entry.reference_name else ""))
    playable = serve_copy(entry.audio_path) if entry.format != "pcm" else None
    return playable, serve_copy(entry.audio_path), details, entry.id


def history_reload(entry_id: str | None, request: gr.Request):
    from music01_core.history import History

    if not entry_id:
        raise gr.Error("Pick a row in the history first.")
    e = History(session_home(request)).get(entry_id)
    return (e.lyrics, e.voice_id or "", e.instrumental_id or "", e.sample_rate, e.bitrate, e.format,
            e.seed if e.seed is not None else -1)


@friendly
def history_export(request: gr.Request):
    from music01_core.history import History

    h = History(session_home(request))
    if not h.list():
        raise gr.Error("Nothing to export yet: generate something first.")
    return serve_copy(h.export_zip(session_home(request) / "exports" / f"music01-history-{int(time.time())}.zip"))


# --- layout ---------------------------------------------------------------------------------
CSS = ".banner {padding: 8px 12px; border-radius: 8px; background: var(--block-background-fill);} "


def build() -> gr.Blocks:
    # Copies handed to browsers live in Gradio's cache; clear ones older than a day, hourly.
    with gr.Blocks(title="music01 — music-01 made easy", delete_cache=(3600, 86400)) as demo:
        gr.Markdown("# 🎵 music01\nMake a new piece from a reference track and lyrics with MiniMax **music-01**: "
                    "1 reference → 2 upload → 3 lyrics → 4 generate → 5 history.")
        banner = gr.Markdown(banner_text(), elem_classes="banner")
        with gr.Accordion("Your AI/ML API key (optional)", open=False):
            api_key = gr.Textbox(label="API key", type="password", placeholder="paste a key to use the real music-01",
                                 info="Kept only in this browser tab and sent only to the AI/ML API. Never stored.")
        analysis_state = gr.State(None)

        with gr.Tab("1 · Reference"):
            gr.Markdown(f"Upload a file or record with the microphone (up to {MAX_UPLOAD}). Or try one of ours:")
            with gr.Row():
                example_buttons = [gr.Button(n, size="sm") for n in EXAMPLE_NAMES]
            ref_audio = gr.Audio(sources=["upload", "microphone"], type="filepath", label="Reference")
            wave = gr.Plot(label="Waveform (highlight: the segment that will be sent)")
            with gr.Row():
                start_s = gr.Number(label="start (s)", value=0, minimum=0, info="where the clip begins")
                end_s = gr.Number(label="end (s)", value=None, minimum=0, info="0 = the end of the file")
                clip_format = gr.Radio(["mp3", "wav"], value="mp3", label="clip format")
            seg_msg = gr.Markdown()
            card = gr.Markdown()
            analysis_json = gr.JSON(visible=False)
            prepare_btn = gr.Button("Prepare clip", variant="primary")
            clip_audio = gr.Audio(type="filepath", label="Trimmed clip (what will be uploaded)", interactive=False)
            clip_info = gr.JSON(label="Clip", visible=True)

        with gr.Tab("2 · Purpose & upload"):
            purpose = gr.Radio(list(PURPOSE_HELP), value="song", label="Purpose",
                               info=" · ".join(PURPOSE_HELP.values()))
            upload_btn = gr.Button("Upload", variant="primary")
            ids_json = gr.JSON(label="Upload result")
            with gr.Row():
                voice_id = gr.Textbox(label="voice_id", buttons=["copy"])
                instrumental_id = gr.Textbox(label="instrumental_id", buttons=["copy"])
            with gr.Row():
                library = gr.Dropdown(label="Reference library (earlier uploads)", choices=[], interactive=True)
                use_lib_btn = gr.Button("Use these ids", size="sm")

        with gr.Tab("3 · Lyrics"):
            lyrics = gr.Textbox(label="Lyrics", lines=8, value=DOCS_EXAMPLE_LYRICS,
                                info="\\n new line · blank line = pause · ##…## adds accompaniment · ≤ 600 characters")
            with gr.Row():
                counter = gr.Markdown()
                wrap = gr.Checkbox(label="add accompaniment (##…##)", value=True)
                clean_btn = gr.Button("Remove invisible characters", size="sm")
            structure = gr.Textbox(label="Lines as music-01 will read them", lines=4, interactive=False)
            gr.Examples(LYRICS_EXAMPLES, inputs=[lyrics], label="Examples (the first is from the music-01 docs)")

        with gr.Tab("4 · Generate"):
            with gr.Row():
                sample_rate = gr.Dropdown(list(SAMPLE_RATES), value=DEFAULT_SAMPLE_RATE, label="sample rate (Hz)")
                bitrate = gr.Dropdown(list(BITRATES), value=DEFAULT_BITRATE, label="bitrate (bit/s, MP3)")
                fmt = gr.Radio(["mp3", "wav", "pcm"], value="mp3", label="format")
                seed = gr.Number(label="seed (offline engine; -1 = random)", value=-1, precision=0, minimum=-1)
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

        with gr.Tab("5 · History") as history_tab:
            hist = gr.Dataframe(headers=HISTORY_HEADERS, value=[], interactive=False, label="Past generations")
            with gr.Row():
                refresh_btn = gr.Button("Refresh", size="sm")
                reload_btn = gr.Button("Reload settings into the form", size="sm")
                export_btn = gr.Button("Export all (zip)", size="sm")
            hist_id = gr.State(None)
            hist_details = gr.Markdown()
            hist_audio = gr.Audio(type="filepath", label="Play", interactive=False)
            hist_file = gr.File(label="Download")
            export_file = gr.File(label="History export")

        # ---- wiring (UI-only events are private; the four named endpoints are public) ----
        private = {"api_visibility": "private"}
        for btn, name in zip(example_buttons, EXAMPLE_NAMES, strict=True):
            btn.click(lambda n=name: example_path(n), None, ref_audio, **private)
        # Analysis takes a few seconds per minute of audio: say so at once, and draw the
        # waveform beside it (a separate event, so it does not wait for the analysis).
        ref_audio.change(analysing_note, [ref_audio], card, **private).then(
            api_analyze, [ref_audio], [analysis_json], api_name="analyze").then(
            lambda info, audio: (info, (info or {}).get("suggested_segment", {}).get("start_s", 0),
                                 (info or {}).get("suggested_segment", {}).get("end_s"), analysis_card(info),
                                 ((info or {}).get("suggested_purpose") or "song")),
            [analysis_json, ref_audio], [analysis_state, start_s, end_s, card, purpose], **private).then(
            # The quick check first and on its own: were it to wait for the slow waveform,
            # its answer could land after the person had typed new start/end values.
            segment_check, [ref_audio, start_s, end_s, analysis_state], seg_msg, **private).then(
            waveform_figure, [ref_audio, start_s, end_s], wave, **private)
        ref_audio.change(lambda a: waveform_figure(a, None, None) if a else None, [ref_audio], wave, **private)
        for comp in (start_s, end_s):
            comp.change(lambda a, s, e, info: segment_check(a, s, e, info), [ref_audio, start_s, end_s,
                                                                               analysis_state], seg_msg, **private)
            comp.blur(lambda a, s, e: waveform_figure(a, s, e) if a else None, [ref_audio, start_s, end_s], wave,
                      **private)
        prepare_btn.click(api_prepare, [ref_audio, start_s, end_s, clip_format], [clip_audio, clip_info],
                          api_name="prepare")
        upload_btn.click(api_upload, [clip_audio, purpose, api_key], [ids_json], api_name="upload").then(
            lambda d: (d.get("voice_id") or "", d.get("instrumental_id") or "") if d else ("", ""),
            [ids_json], [voice_id, instrumental_id], **private).then(refresh_library, None, library, **private)
        use_lib_btn.click(lambda v: tuple((v or "|").split("|", 1)), [library], [voice_id, instrumental_id],
                          **private)
        lyrics.change(lyrics_view, [lyrics], [counter, structure], **private, show_progress="hidden")
        wrap.input(toggle_wrap, [lyrics, wrap], [lyrics], **private)
        clean_btn.click(clean_lyrics, [lyrics], [lyrics], **private)
        api_key.change(banner_text, [api_key], [banner], **private, show_progress="hidden")
        gen_event = gen_btn.click(
            api_generate, [lyrics, voice_id, instrumental_id, sample_rate, bitrate, fmt, seed, api_key],
            [out_audio, out_info], api_name="generate", concurrency_limit=16)
        gen_event.then(lambda info, audio: (audio, result_card(info), code_panel(info), ""),
                       [out_info, out_audio], [out_file, result_md, code_md, gen_msg], **private).then(
            compare, [clip_audio, out_info, out_audio], [cmp_plot, cmp_table], **private).then(
            history_rows, None, hist, **private)
        cancel_btn.click(lambda: "⏹ Cancelled. A request already sent to the paid API may still be billed; if it "
                                 "finishes, it will appear in History.", None, gen_msg, cancels=[gen_event], **private)
        history_tab.select(history_rows, None, hist, **private)
        refresh_btn.click(history_rows, None, hist, **private)
        hist.select(history_pick, [hist], [hist_audio, hist_file, hist_details, hist_id], **private)
        reload_btn.click(history_reload, [hist_id], [lyrics, voice_id, instrumental_id, sample_rate, bitrate, fmt,
                                                     seed], **private)
        export_btn.click(history_export, None, export_file, **private)
        demo.load(on_load, None, [library, counter, structure, hist], **private)
    return demo


def _warm_up() -> None:
    """Import librosa and compile its kernels in the background, so the first analysis is quick."""
    try:
        import numpy as np

        from music01_core.analysis import analyze

        analyze("warm-up", audio=(np.random.default_rng(0).standard_normal(22050 * 3).astype(np.float32) * 0.1,
                                  22050))
    except Exception:  # a failed warm-up only costs speed
        logger.debug("warm-up failed", exc_info=True)


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    demo = build()
    demo.queue(default_concurrency_limit=max(1, os.cpu_count() or 1))
    threading.Thread(target=_warm_up, name="music01-warm-up", daemon=True).start()
    demo.launch(server_name=os.environ.get("GRADIO_SERVER_NAME", "127.0.0.1"),
                server_port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")),
                max_file_size=MAX_UPLOAD, run_history=False, show_error=True, css=CSS,
                footer_links=["api"])


if __name__ == "__main__":
    main()
