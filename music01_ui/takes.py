"""Compare models: one prompt (and lyrics where a model sings) sent to 2–4 models, the takes side by side.

Two calls of one public endpoint (``/takes``): without a confirmation it plans (each take checked and
priced, one total, nothing sent) and hands back a one-time confirmation; with that confirmation it sends
each take once (:func:`music01_core.takes.run_takes`).  A confirmation is used once, expires, and only
confirms the plan it was given for: a change of model, text, option or price asks for a new look.  On the
server's credential, every take counts against the room's and the person's allowance, all before any is sent.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from pathlib import Path

import gradio as gr

from music01_core.errors import InsufficientCreditsError
from music01_core.models import get_model
from music01_core.takes import MAX_TAKES, MIN_TAKES, check_balance, keep_take, plan_takes, run_takes, spent_words
from music01_core.types import MusicRequest

from .model import listings, model_choices
from .session import (
    box_tokens,
    credential_source,
    friendly,
    limit_shared_key,
    open_session_backend,
    serve_copy,
    session_home,
    shared_left,
)

logger = logging.getLogger("music01.app")

#: What the tab starts on: four models that make music from a prompt, so a first Plan works as it is.
DEFAULT_MODELS = ["minimax/music-2.6", "elevenlabs/eleven_music", "google/lyria2", "stable-audio"]
DEFAULT_PROMPT = "Warm indie pop, acoustic guitar and soft drums, a hopeful morning mood"
DEFAULT_LYRICS = (
    "[Verse]\nMorning light across the river\nwe walk the long way home\n"
    "[Chorus]\nHold on, hold on\nthe day is ours to keep"
)
#: The length the tab starts on, in seconds: short, so a first comparison is quick.
DEFAULT_LENGTH_S = 10
#: How long a plan's confirmation stays valid, in seconds.
CONFIRM_TTL_S = 3600.0
#: How many confirmations are kept at once (a plan not sent within the hour, or crowded out, is planned again).
MAX_CONFIRMS = 10_000

_CONFIRMS: dict[str, tuple[str, float]] = {}
_CONFIRMS_LOCK = threading.Lock()


def takes_choices(lists: dict | None = None) -> list[tuple[str, str]]:
    """The models a comparison can choose: the live rows, labelled as the model picker labels them."""
    from music01_core.models import MODELS

    return [(label, mid) for label, mid in model_choices(lists) if MODELS[mid].live]


def default_choices() -> list[tuple[str, str]]:
    """:func:`takes_choices` as the page starts (the copies of the providers' lists on disk)."""
    return takes_choices(listings())


# --- the options common to the chosen models -------------------------------------------------------------


def length_range(models) -> tuple[int, int, list[str]] | None:
    """(low, high, models) of the length every chosen model that takes ``duration_s`` accepts; None when none does."""
    specs = [(m, get_model(m).option("duration_s")) for m in _ids(models)]
    specs = [(m, s) for m, s in specs if s is not None]
    if not specs:
        return None
    low = max(int(s.minimum or 1) for _, s in specs)
    high = min(int(s.maximum or 600) for _, s in specs)
    return low, max(low, high), [m for m, _ in specs]


def options_view(models, length_s=None):
    """Updates for the length slider and the negative prompt box: shown when a chosen model takes them,
    the slider's range the one every such model accepts."""
    rng = length_range(models)
    if rng is None:
        length = gr.update(visible=False)
    else:
        low, high, names = rng
        value = _clamp(length_s if length_s not in (None, "") else DEFAULT_LENGTH_S, low, high)
        others = "" if len(names) == len(_ids(models)) else "; the other models choose their own length"
        length = gr.update(
            visible=True,
            minimum=low,
            maximum=high,
            value=value,
            info=f"sent to {', '.join(names)} ({low}–{high} s for all of them){others}",
        )
    negative = [m for m in _ids(models) if get_model(m).option("negative_prompt") is not None]
    neg = gr.update(visible=bool(negative), info=f"sent to {', '.join(negative)}" if negative else None)
    return length, neg


def _clamp(value, low: int, high: int) -> int:
    try:
        v = int(round(float(value)))
    except (TypeError, ValueError):
        v = low
    return min(max(v, low), high)


def _ids(models) -> list[str]:
    """The chosen ids that the table knows (an unknown one is refused by the plan, in its own words)."""
    from music01_core.models import MODELS

    return [m for m in (models or []) if isinstance(m, str) and m in MODELS]


# --- plan and send ----------------------------------------------------------------------------------------


def _template(models, prompt, lyrics, length_s, negative_prompt, seed) -> MusicRequest:
    options = {}
    if length_range(models) is not None and length_s not in (None, ""):
        options["duration_s"] = int(round(float(length_s)))
    if (negative_prompt or "").strip():
        options["negative_prompt"] = negative_prompt
    s = None if seed in (None, "") or int(seed) < 0 else int(seed)
    return MusicRequest(prompt=prompt or "", lyrics=lyrics or "", options=options, seed=s)


def _plan(models, prompt, lyrics, length_s, negative_prompt, seed, tokens, request):
    """(backend, plan, models on the server's credential): every take checked and priced, nothing sent."""
    chosen = [m for m in (models or []) if m]
    backend, _ = open_session_backend(tokens, request, model=chosen[0] if chosen else None)
    plan = plan_takes(backend, _template(chosen, prompt, lyrics, length_s, negative_prompt, seed), chosen)
    shared = [t.model for t in plan.takes if t.ok and credential_source(t.model, tokens) == "server"]
    return backend, plan, shared


def _issue(plan_id: str) -> str:
    """A one-time confirmation of the plan ``plan_id`` (128 random bits)."""
    now = time.monotonic()
    token = secrets.token_urlsafe(16)
    with _CONFIRMS_LOCK:
        for k in [k for k, (_, at) in _CONFIRMS.items() if now - at > CONFIRM_TTL_S]:
            del _CONFIRMS[k]
        while len(_CONFIRMS) >= MAX_CONFIRMS:  # the oldest first: a flood of plans cannot fill the memory
            del _CONFIRMS[next(iter(_CONFIRMS))]
        _CONFIRMS[token] = (plan_id, now)
    return token


def _redeem(token: str, plan_id: str) -> None:
    """Use a confirmation once: refused (nothing sent) when unknown, used, expired, or for another plan."""
    with _CONFIRMS_LOCK:
        found = _CONFIRMS.pop(token, None)
    if found is None or time.monotonic() - found[1] > CONFIRM_TTL_S:
        raise gr.Error(
            "This confirmation was used already or has expired: nothing was sent. Press Plan again to see the "
            "total, then send.",
            title="Plan again",
        )
    if found[0] != plan_id:
        raise gr.Error(
            "The plan changed since its total was shown (a model, the text, an option or a price): nothing was "
            "sent. Press Plan again and check the total.",
            title="Plan again",
        )


@friendly
def api_takes(
    models: list[str] | None,
    prompt: str | None,
    lyrics: str | None,
    length_s: float | None,
    negative_prompt: str | None,
    seed: float | None,
    confirm: str | None,
    api_key: str | None = None,
    replicate_token: str | None = None,
    request: gr.Request = None,
    progress=gr.Progress(),  # noqa: B008 - Gradio's idiom
):
    """Takes side by side: the plan (no ``confirm``), or the takes (``confirm`` = the plan's confirmation).

    Without ``confirm`` nothing is sent: each take's price and the one total come back, with a one-time
    confirmation (``info["confirm"]``).  With it, each take is sent once; a failed take shows its message
    and is never sent again.  Returns (Markdown, info, audio files, confirmation, grid state).
    """
    tokens = box_tokens(api_key, replicate_token)
    backend, plan, shared = _plan(models, prompt, lyrics, length_s, negative_prompt, seed, tokens, request)
    left = shared_left(request) if shared else None
    over = left is not None and len(shared) > left
    info = {"sent": False, "plan": plan.to_dict(), "takes": [], "shared": len(shared), "left": left}
    token = (confirm or "").strip()
    if not token:
        info["confirm"] = _issue(plan.plan_id) if plan.ready and not over else None
        return plan_markdown(plan, len(shared), left), info, None, info["confirm"] or "", None
    _redeem(token, plan.plan_id)
    if not plan.ready:
        raise gr.Error(f"{plan.total_words()} Nothing was sent.", title="Please check")
    try:
        check_balance(backend, plan)  # a balance that cannot pay them all: refused before anything is counted
        # Every take on the server's credential counts, all of them before any is sent (or none).
        limit_shared_key(bool(shared), request, shared[0] if shared else None, count=len(shared))
        results = _run(backend, plan, progress)
    except InsufficientCreditsError:
        if not shared:
            raise  # the person's own key: its balance is theirs to read
        raise _shared_short() from None
    cells = [_cell(r, shared) for r in results]
    info.update(sent=True, confirm=None, takes=[r.to_dict() for r in results], spent=spent_words(results))
    for t, c in zip(info["takes"], cells, strict=True):
        t["error"] = c["error"]
    files = [c["audio"] for c in cells if c["audio"]]
    state = {"takes": cells, "note": "kept from a comparison of " + ", ".join(r.model for r in results)}
    return results_markdown(plan, results), info, files or None, "", state


def _run(backend, plan, progress):
    """Run the takes in a thread and report how many are done, with the time, until they all end."""
    done: list = []
    box: dict = {}

    def work() -> None:
        try:
            box["results"] = run_takes(backend, plan, on_take=done.append)
        except BaseException as exc:  # handed to the request thread below
            box["error"] = exc

    worker = threading.Thread(target=work, name="music01-takes", daemon=True)
    started = time.monotonic()
    worker.start()
    n = len(plan.takes)
    expected = max((get_model(t.model).expected_s if t.billed else 15.0) for t in plan.takes)
    while worker.is_alive():
        worker.join(0.5)
        elapsed = time.monotonic() - started
        progress(
            min(max(len(done) / n, elapsed / expected), 0.97),
            desc=f"{len(done)} of {n} takes done · {elapsed:.0f} s (usually {expected:.0f} s or less)",
        )
    if "error" in box:
        raise box["error"]
    return box["results"]


#: A take on the server's credential that its balance could not pay: said without the balance.
_SHARED_SHORT = (
    "The shared key cannot pay for this take (nothing more was sent). Tell the person running this server, "
    "or paste your own AI/ML API key."
)


def _shared_short() -> gr.Error:
    return gr.Error(
        "The shared key's balance is below these takes' total: nothing was sent. Tell the person running this "
        "server, or paste your own AI/ML API key above.",
        title="The shared key cannot pay for this",
        print_exception=False,
    )


def _cell(r, shared: list[str]) -> dict:
    """What one grid cell shows (served copies only: never a path of the data folder)."""
    error = r.error
    if error and r.model in shared and (r.error_kind or "").endswith(("ShortBalanceError", "InsufficientCreditsError")):
        error = _SHARED_SHORT  # the shared key's balance is the teacher's to read, not the room's
    audio = None
    if r.ok:
        path = _preview(r.piece) if r.piece.format == "pcm" else r.piece.path
        audio = serve_copy(path)
    return {
        "model": r.model,
        "label": r.label,
        "ok": r.ok,
        "audio": audio,
        "duration_s": r.duration_s,
        "format": r.piece.format if r.ok else None,
        "cost_words": r.cost_words,
        "error": error,
        "history_id": r.history_id,
        "generation_id": r.generation_id,
    }


def _preview(piece) -> str:
    from .generate import _pcm_preview

    return _pcm_preview(piece)


# --- what the page shows ------------------------------------------------------------------------------------


def _cell_text(text: str | None) -> str:
    """Text safe inside a Markdown table cell."""
    return (text or "").replace("|", "\\|").replace("\n", " ")


def plan_markdown(plan, shared: int = 0, left: int | None = None) -> str:
    """The plan: one row per take (where it runs, its price, or why it is refused), the total, the room's allowance."""
    rows = ["| | model | runs on | price | notes |", "|---|---|---|---|---|"]
    for i, t in enumerate(plan.takes, 1):
        if t.ok:
            rows.append(
                f"| {i} | **{t.model}** | {t.runs_on} | {_cell_text(t.price_words(where=False))} | "
                f"{_cell_text('; '.join(t.notes))} |"
            )
        else:
            rows.append(f"| {i} | **{t.model}** | — | ❌ refused | {_cell_text(t.refused)} |")
    out = ["\n".join(rows), f"**{plan.total_words()}**"]
    if left is not None:
        if shared > left:
            out.append(
                f"⛔ These takes need {shared} generations on the shared key and this hour has **{left} left**: "
                "choose fewer models, or wait."
            )
        else:
            out.append(f"On the shared key: these {shared} takes count against the hour's allowance ({left} left).")
    if plan.ready and not (left is not None and shared > left):
        out.append(f"Nothing was sent. Press **{plan.send_words()}** to make them.")
    else:
        out.append("Nothing was sent.")
    return "\n\n".join(out)


def results_markdown(plan, results) -> str:
    """After the takes: what they cost together, and where they are kept."""
    made = sum(r.ok for r in results)
    lines = [f"**{spent_words(results)}**"]
    if made:
        lines.append(
            "Every take is saved in History already. **Keep** marks the one you like (★ in History); "
            "nothing is sent again."
        )
    failed = [r for r in results if not r.ok]
    if failed:
        lines.append(f"{len(failed)} take(s) failed: each says why in its cell. Nothing was sent again.")
    return "\n\n".join(lines)


def send_button(info: dict | None):
    """The send button after a plan: its words say how many billed generations and the total; hidden without a plan."""
    plan = (info or {}).get("plan") or {}
    if not plan:
        return gr.update(visible=False)
    ready = bool((info or {}).get("confirm"))
    words = plan.get("send_words") or "Send"
    left, shared = (info or {}).get("left"), (info or {}).get("shared") or 0
    if left is not None and shared > left:
        words += f" — only {left} left this hour"
    return gr.update(value=words, visible=True, interactive=ready)


@friendly
def plan_click(
    models, prompt, lyrics, length_s, negative_prompt, seed, api_key=None, replicate_token=None, request=None
):
    """The Plan button: the plan's Markdown, its info, its confirmation, and the send button saying the total."""
    chosen = [m for m in (models or []) if m]
    if not MIN_TAKES <= len(chosen) <= MAX_TAKES:
        raise gr.Error(
            f"Choose {MIN_TAKES} to {MAX_TAKES} models to compare (now {len(chosen)}).", title="Please check"
        )
    md, info, _, token, _ = api_takes(
        models, prompt, lyrics, length_s, negative_prompt, seed, "", api_key, replicate_token, request=request
    )
    return md, info, token, send_button(info)


def grid_view(state: dict | None):
    """The grid: per take, its title, player, length and cost, spectrogram and Keep; a failed take its message.

    Then the download box, shown when a take was made."""
    takes = (state or {}).get("takes") or []
    out = []
    for i in range(MAX_TAKES):
        t = takes[i] if i < len(takes) else None
        if t is None:
            out += [gr.update(visible=False), "", None, "", None, gr.update(visible=False), ""]
            continue
        title = f"**{t['model']}**  \n{t['label']}"
        if not t["ok"]:
            out += [
                gr.update(visible=True),
                title,
                gr.update(value=None, visible=False),
                f"❌ {t['error']}",
                gr.update(value=None, visible=False),
                gr.update(visible=False),
                "",
            ]
            continue
        facts = f"**{t['duration_s']:.1f} s** {t['format']} · {t['cost_words']}"
        out += [
            gr.update(visible=True),
            title,
            gr.update(value=t["audio"], visible=True),
            facts,
            gr.update(value=_spectrogram(t["audio"]), visible=True),
            gr.update(value="Keep", visible=True, interactive=True),
            "",
        ]
    return [*out, gr.update(visible=any(t and t["ok"] for t in takes))]


def _spectrogram(audio_path: str | None) -> str | None:
    """A spectrogram PNG beside the served copy of a take (same random folder); None when it cannot be drawn."""
    if not audio_path:
        return None
    from matplotlib.figure import Figure  # no pyplot: its global state is not for threads

    from music01_core.audio import load_audio

    out = Path(audio_path).with_suffix(".spectrogram.png")
    try:
        y, sr = load_audio(audio_path, sample_rate=16000, duration_s=60)
        fig = Figure(figsize=(3.6, 1.8), dpi=100)
        ax = fig.subplots()
        ax.specgram(y + 1e-9, NFFT=1024, Fs=sr, noverlap=768, cmap="magma", vmin=-120)
        ax.set_ylim(0, 6000)
        ax.set_xlabel("seconds", fontsize=7)
        ax.set_ylabel("Hz", fontsize=7)
        ax.tick_params(labelsize=6)
        fig.tight_layout(pad=0.3)
        fig.savefig(out)
    except Exception:  # a missing picture never hides the take itself
        logger.info("no spectrogram for a take", exc_info=True)
        return None
    return str(out)


def keep_handler(index: int):
    """The Keep button of cell ``index``: marks that take kept in this session's history."""

    @friendly
    def keep(state: dict | None, request: gr.Request):
        from music01_core.history import History

        takes = (state or {}).get("takes") or []
        if index >= len(takes) or not takes[index].get("history_id"):
            raise gr.Error("There is no take to keep here: make the takes first.", title="Nothing to keep")
        t = takes[index]
        keep_take(History(session_home(request)), t["history_id"], note=(state or {}).get("note", ""))
        return gr.update(value="★ Kept", interactive=False), f"★ kept: History entry `{t['history_id']}`"

    return keep


def copy_from_page(lyrics: str | None, prompt: str | None, cur_lyrics: str | None, cur_prompt: str | None):
    """The Lyrics step's lyrics and prompt, where they have any (a box the page leaves empty is kept)."""
    return ((lyrics or "").strip() and lyrics) or cur_lyrics, ((prompt or "").strip() and prompt) or cur_prompt
