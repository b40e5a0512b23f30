"""The model menu and what follows it: the card, the steps each model has, and the way a local clip gets in.

Everything here reads the model table (``music01_core.models``): a model's reference ways,
its text fields and their styles decide what the page shows, never a model's name.
"""

from __future__ import annotations

import gradio as gr

from .session import (
    KEY_SERVICE,
    PUBLISHER,
    box_tokens,
    credential_phrase,
    open_session_backend,
    pasted_tokens,
    server_token,
)

#: How the model card names each way a reference can reach the provider.
_WAY_WORDS = {
    "url": "a public URL",
    "base64": "the clip itself (Base64)",
    "upload": "an uploaded clip",
    "files": "the clip itself (uploaded for you)",
}


def model_card(model_id: str | None, lists: dict | None = None) -> str:
    """What the chosen model takes, from the model table; a warning when its provider's list no longer names it.

    ``lists``: :func:`listings` of the session (default: the server's credentials).
    """
    from music01_core.models import get_model

    m = get_model(model_id)
    gone = delisted_note(m, (listings() if lists is None else lists).get(m.provider))
    ref = (
        "no reference"
        if not m.takes_reference
        else (
            "reference: "
            + " or ".join(_WAY_WORDS[w] for w in m.reference.ways)
            + (f", {m.reference.limits.min_s:g} s–{m.reference.limits.max_s / 60:g} min" if m.reference.limits else "")
        )
    )
    if m.takes_reference and not _takes_a_file(m):
        ref += (
            " — with an API key, a clip you prepare here reaches the provider through this app's own short-lived link"
            if PUBLISHER
            else " — with an API key, paste a public URL in step 1 (or run "
            "the app at a public address); the offline engine reads your clip directly"
        )
    texts = [f"{s.label} {s.min_chars}–{s.max_chars}{s.need}" for s in (m.prompt, m.lyrics) if s is not None]
    retired = "" if m.live else f"\n\n⚠️ Retired by the provider on {m.retired_on}: choose **{m.replacement}**."
    if gone:
        retired += f"\n\n⚠️ **{gone[:1].upper()}{gone[1:]}**: Generate refuses it before anything is billed; choose another model."
    return f"**{m.id}** — {m.summary}\n\n{ref} · {' · '.join(texts)}{retired}{_served_by(m)}"


def _served_by(m) -> str:
    """Which service runs the model and which credential it needs, with its list price when it publishes one."""
    from music01_core.models import get_service

    service = get_service(m.provider)
    if service is None:
        return ""
    price = f" · {m.list_price.describe()}" if m.list_price is not None else ""
    what = credential_phrase(service)
    return (
        f"\n\nRuns on **{service.label}** with {'an' if what[:1] in 'AEIOU' else 'a'} {what} "
        f"(`{service.token_envs[0]}`){price}"
    )


def model_info(model_id: str | None, lists: dict | None = None) -> str:
    """The menu's one-line hint: what the chosen model takes (it changes with the choice), and what the
    provider's list says of it ("model list not checked" when there is no copy of the list).

    ``lists``: :func:`listings` of the session (default: the server's credentials).
    """
    from music01_core.models import get_model

    m = get_model(model_id)
    takes = ["a reference track"] if m.takes_reference else []
    takes += [f"{s.label}{s.need}" for s in (m.prompt, m.lyrics) if s is not None]
    retired = "" if m.live else f" · retired: choose {m.replacement}"
    return f"{m.id} takes {' + '.join(takes) or 'nothing'}{retired}{_listing_info(m, lists)}"


# --- the provider's live model list, as the page shows it (the copy on disk: never the network) -------------


def listings(tokens: dict[str, str | None] | None = None) -> dict:
    """The copy on disk of each service's model list, as this session's credentials reach it: service → Catalogue.

    A service without a credential here (the offline engine stands in) or without a list is absent.
    Only files are read: the lists are refreshed in the background (``session.start_listing_refresh``).
    A credential pasted with a fault falls back to the server's (the box under it says what is wrong).
    """
    from music01_core.errors import Music01Error
    from music01_core.models import SERVICES

    try:
        backend, _ = open_session_backend(tokens, None)
    except Music01Error:
        try:
            backend, _ = open_session_backend(None, None)
        except Music01Error:
            return {}
    out = {}
    for name, service in SERVICES.items():
        if service.catalogue_path:
            listing = backend.listing_for(service.default_model)
            if listing is not None:
                out[name] = listing
    return out


def checked_clock(at: float) -> str:
    """ "checked 10:42" today, "checked 2026-12-05 10:42" on another day (local time)."""
    import time

    now, then = time.localtime(), time.localtime(at)
    if (now.tm_year, now.tm_yday) == (then.tm_year, then.tm_yday):
        return "checked " + time.strftime("%H:%M", then)
    return "checked " + time.strftime("%Y-%m-%d %H:%M", then)


def delisted_note(m, listing) -> str | None:
    """ "no longer listed by the provider (checked 10:42)" for a live model the copy of the list no longer names."""
    if not m.live or listing is None or listing.listed(m) is not False:
        return None
    return f"no longer listed by the provider ({checked_clock(listing.checked_at)})"


def _listing_info(m, lists: dict | None) -> str:
    """The hint's words on the provider's list: delisted, listed, or not checked; and what it lists that we do not."""
    from music01_core.models import MODELS, get_service

    service = get_service(m.provider)
    if service is None or not service.catalogue_path:
        return ""  # a service that publishes no list (Replicate)
    listing = (listings() if lists is None else lists).get(m.provider)
    if listing is None or listing.checked_at is None:
        return " · model list not checked"
    gone = delisted_note(m, listing)
    if gone:
        said = f" · ⚠️ {gone}: Generate refuses it before anything is billed"
    elif listing.listed(m):
        said = f" · listed by the provider ({checked_clock(listing.checked_at)})"
    else:
        said = ""
    extra = [x.id for x in listing.unsupported(MODELS)]
    if extra:
        said += f" · {', '.join(extra)}: listed by the provider, not supported here yet"
    return said


def model_choices(lists: dict | None = None) -> list[tuple[str, str]]:
    """The menu's (label, model id) rows; the ids never change, a label says "— retired" or
    "— no longer listed by the provider (checked 10:42)"."""
    from music01_core.models import MODELS, model_label

    lists = listings() if lists is None else lists
    rows = []
    for m in MODELS.values():
        gone = delisted_note(m, lists.get(m.provider))
        rows.append((model_label(m.id) + ("" if m.live else " — retired") + (f" — {gone}" if gone else ""), m.id))
    return rows


def _takes_a_file(m) -> bool:
    """Whether a file on this computer reaches the model's provider by itself (uploaded or inside the request)."""
    return m.reference.local_file or "base64" in m.reference.ways


def shows_purpose(model_id: str | None) -> bool:
    """Whether the reference step asks what the reference is (song, voice, instrumental) beside it.

    music-01 on Replicate names the purpose in its request (``purpose_fields``) and has no
    upload step; the AI/ML API's music-01 asks it in its Upload step instead.
    """
    from music01_core.models import get_model

    m = get_model(model_id)
    return bool(m.reference.purpose_fields) and not m.gives_ids


#: What each purpose means for the reference (the request field is the model's own, from the table).
PURPOSE_WORDS = {
    "song": "sung vocals with accompaniment",
    "voice": "a cappella singing only",
    "instrumental": "accompaniment only, no vocals",
}


def purpose_info(model_id: str | None) -> str:
    """The purpose choice's hint: each purpose, what it means and the field it is sent in."""
    from music01_core.models import get_model

    m = get_model(model_id)
    fields = m.reference.purpose_fields or tuple((p, "") for p in PURPOSE_WORDS)
    return " · ".join(f"{p} — {PURPOSE_WORDS.get(p, p)}" + (f" (sent as {f})" if f else "") for p, f in fields)


def has_upload_step(model_id: str | None) -> bool:
    """Whether the model has the separate upload step (a reference uploaded for ids first)."""
    from music01_core.models import get_model

    return "upload" in get_model(model_id).reference.ways


#: The tabs in page order, by key; the upload step exists only for models that take an uploaded reference.
STEP_NAMES = {
    "reference": "Reference",
    "upload": "Purpose & upload",
    "lyrics": "Lyrics",
    "generate": "Generate",
    "history": "History",
}


def step_labels(model_id: str | None) -> dict[str, str]:
    """Each tab's label, numbered over the steps the model has (a hidden step takes no number)."""
    shown = [k for k in STEP_NAMES if k != "upload" or has_upload_step(model_id)]
    return {k: f"{shown.index(k) + 1} · {name}" if k in shown else name for k, name in STEP_NAMES.items()}


def api_in_use(tokens: dict[str, str | None] | None, model_id: str | None = None) -> bool:
    """Whether Generate goes to the model's provider (a pasted credential or the server's), not the offline engine."""
    from music01_core.models import get_model

    provider = get_model(model_id).provider if model_id else KEY_SERVICE
    return provider in pasted_tokens(tokens) or bool(server_token(provider))


def no_route(model_id: str | None, tokens: dict[str, str | None] | None):
    """The core's refusal when a local clip cannot reach the model's provider here, else None.

    Asked before anything is prepared or billed: the refusal names a live model that takes the
    clip itself (``NoReferenceRouteError.alternative``), which the page offers in one click.
    """
    from music01_core.errors import NoReferenceRouteError
    from music01_core.models import get_model
    from music01_core.references import check_file_route

    m = get_model(model_id)
    if _takes_a_file(m):
        return None  # the provider takes the clip itself (its own upload, or inside the request)
    try:
        check_file_route(m, offline=not api_in_use(tokens, m.id), publisher=PUBLISHER)
    except NoReferenceRouteError as exc:
        return exc
    return None


def route_notice(
    model_id: str | None,
    audio: str | None,
    clip: str | None,
    url: str | None,
    *tokens: str | None,
):
    """A notice and a one-click switch when the reference is a local clip the model cannot take.

    Shown as soon as a file is chosen (or a key pasted, or the model changed), not at Generate;
    ``tokens`` are the credential boxes' values, in ``SERVICES`` order.
    Returns updates for (notice Markdown, switch Button).
    """
    from music01_core.models import get_model

    hidden = gr.update(value="", visible=False), gr.update(visible=False)
    m = get_model(model_id)
    if not m.takes_reference or not (audio or clip) or (url or "").strip():
        return hidden
    refusal = no_route(m.id, box_tokens(*tokens))
    if refusal is None:
        return hidden
    text = (
        f"⚠️ **{m.id} takes its reference only as a public URL**, and your clip is a file on this computer: "
        "this app has no public address to serve it from, so the real model could not fetch it. "
        "Paste a public http(s) URL of the WAV/MP3 below"
    )
    alt_id = refusal.alternative
    if alt_id is None:
        return gr.update(value=text + ".", visible=True), gr.update(visible=False)
    alt = get_model(alt_id)
    spec = alt.prompt
    prompt_words = (
        f" It needs a style prompt of {spec.min_chars}–{spec.max_chars} characters: one is filled in from "
        "the analysis — change it in the Lyrics step."
        if spec is not None and spec.required
        else ""
    )
    text += (
        f", or switch to **{alt.id}**, which takes the clip itself"
        + (
            f" ({alt.reference.limits.min_s:g} s–{alt.reference.limits.max_s / 60:g} min)"
            if alt.reference.limits
            else ""
        )
        + f". Your clip and lyrics stay.{prompt_words}"
    )
    return (
        gr.update(value=text, visible=True),
        gr.update(value=f"Switch to {alt.id} (takes the clip itself)", visible=True),
    )


def style_from_analysis(info: dict | None) -> str | None:
    """A style prompt that keeps the reference's own feel, from its analysis (None without one)."""
    if not info or not info.get("tempo_bpm") or not info.get("key"):
        return None
    detail = info.get("vocals_detail") or {}
    band = "with accompaniment" if detail.get("accompaniment") else "unaccompanied"
    voice = {
        "singing": f"sung vocals {band}",
        "speech": f"spoken voice {band}",
        "none": "instrumental",
    }.get(info.get("vocals"), "as in the original")
    return f"Same style as the original: {info['tempo_bpm']:.0f} BPM, {info['key']}, {voice}"


def switch_to_clip_model(
    model_id: str | None,
    lyrics: str | None,
    prompt: str | None,
    analysis: dict | None,
    *tokens: str | None,
):
    """The one-click switch to the model that takes the clip itself: (model, lyrics, prompt).

    The clip stays where it is (the Reference step keeps it); the lyrics stay, without music-01's
    ``##…##`` wrap when the new model does not read it; the style prompt the new model requires is
    kept when it is the person's own and fits, else written from the analysis.  ``tokens`` are the
    credential boxes' values, in ``SERVICES`` order.
    """
    from music01_core.lyrics import set_accompaniment
    from music01_core.models import get_model

    from .lyrics import DOCS_EXAMPLE_LYRICS, PROMPT_EXAMPLE

    refusal = no_route(model_id, box_tokens(*tokens))
    if refusal is None or refusal.alternative is None:
        return gr.skip(), gr.skip(), gr.skip()
    old, alt = get_model(model_id), get_model(refusal.alternative)
    text = lyrics or ""
    if old.wraps_accompaniment and not alt.wraps_accompaniment and text != DOCS_EXAMPLE_LYRICS:
        # The untouched example is swapped for the new model's own when the menu changes; the
        # person's lyrics keep their words and lose only the marks the new model would sing.
        text = set_accompaniment(text, False)
    spec = alt.prompt
    new_prompt = prompt or ""
    if spec is not None:
        own = new_prompt.strip() and new_prompt != PROMPT_EXAMPLE
        fits = spec.min_chars <= len(new_prompt.strip()) <= spec.max_chars
        if not (own and fits):
            new_prompt = style_from_analysis(analysis) or (new_prompt if fits else PROMPT_EXAMPLE)
    gr.Info(
        f"Switched to {alt.id}: your clip and lyrics are kept"
        + (
            f"; check its style prompt in the Lyrics step ({spec.min_chars}–{spec.max_chars} characters)."
            if spec
            else "."
        )
    )
    return alt.id, text, new_prompt
