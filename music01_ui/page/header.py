"""The top of the page: title, status banner, the model menu (and what it changes) and a credential box per service."""

import gradio as gr

from music01_core.models import MODELS, SERVICES, Model, get_model, model_label

from ..account import api_balance
from ..lyrics import (
    LYRICS_EXAMPLES_BY_STYLE,
    LYRICS_INFO,
    example_for,
    lyrics_style,
    lyrics_view,
    prompt_view,
    wrap_value,
)
from ..model import (
    has_upload_step,
    listings,
    model_card,
    model_choices,
    model_info,
    purpose_info,
    shows_purpose,
    step_labels,
)
from ..session import KEY_SERVICE, banner_text, box_tokens, refresh_listings_soon, token_status
from . import PRIVATE, Page

#: The menu: each row's label, with its provider when two providers serve the same model ("· AI/ML API").
#: The page's own labels also say when the provider's list no longer names a model (:func:`model_choices`).
MODEL_CHOICES = [(model_label(m.id) + ("" if m.live else " — retired"), m.id) for m in MODELS.values()]


def _runs(service: str) -> str:
    """The models a service runs, for the line above its box."""
    names = [m.family for m in MODELS.values() if m.provider == service and m.live]
    return ", ".join(dict.fromkeys(names))


def model_view(
    model_id: str | None,
    lyrics: str | None,
    prompt: str | None,
    fmt: str | None = None,
    *tokens: str | None,
):
    """Show the steps, fields, labels and examples the chosen model takes (the menu's change event).

    ``tokens`` are the credential boxes' values, in ``SERVICES`` order (the banner follows them).
    """
    m = get_model(model_id)
    lists = listings(box_tokens(*tokens))  # the copies on disk of the providers' lists: no network
    lyrics = example_for(m.id, lyrics)  # the untouched example follows the model's lyrics style
    counter, structure = lyrics_view(lyrics, m.id)
    style = lyrics_style(m.id)
    labels = step_labels(m.id)
    return (
        gr.update(value=lyrics, info=LYRICS_INFO.get(style, "")),
        model_card(m.id, lists),
        gr.update(info=model_info(m.id, lists)),
        banner_text(box_tokens(*tokens), m.id),
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
        gr.update(visible=shows_purpose(m.id), info=purpose_info(m.id)),
        # Only the formats the model returns (Replicate's music-01: one MP3).
        gr.update(choices=list(m.returns), value=fmt if fmt in m.returns else m.returns[0])
        if m.audio_setting is not None
        else gr.update(),
    )


def build_header(ui: Page, dm: Model) -> None:
    """Title, banner, model menu and key boxes, as they stand for the model the page starts on."""
    gr.Markdown(
        "# 🎵 music01\nMake a new piece with MiniMax's music models on the AI/ML API or Replicate: choose a "
        "model, then follow the numbered tabs — they are the steps that model takes."
    )
    ui.banner = gr.Markdown(banner_text(None, dm.id), elem_classes="banner")
    lists = listings()  # as the page starts; each visit reads the copies again (menu_view on load)
    with gr.Row():
        ui.model = gr.Dropdown(
            model_choices(lists),
            value=dm.id,
            label="Model",
            scale=1,
            info=model_info(dm.id, lists),
        )
        ui.model_md = gr.Markdown(model_card(dm.id, lists))
    # One box per service: each credential is sent only to its own service, and only from this tab.
    ui.keys, ui.key_msgs = {}, {}
    with gr.Accordion("Your keys (optional)", open=False), gr.Row():
        for name, service in SERVICES.items():
            with gr.Column():
                gr.Markdown(f"**{service.label}** — runs {_runs(name)}")
                ui.keys[name] = gr.Textbox(type="password", **_box_texts(service))
                ui.key_msgs[name] = gr.Markdown()
                if name == KEY_SERVICE:
                    # The pasted key's own balance, read only on this click (or Enter in the box).
                    with gr.Row():
                        ui.balance_btn = gr.Button("Check my balance", size="sm", scale=0)
                        ui.balance_md = gr.Markdown()
    # The names the layout (and the public endpoints' wiring) have always used.
    ui.api_key = ui.keys["aimlapi"]
    ui.replicate_token = ui.keys["replicate"]


#: Box labels kept as they were before the boxes came from the table (tests and scripts look them up).
_BOX_LABELS = {"aimlapi": "API key"}


def _box_texts(service) -> dict[str, str]:
    """A credential box's label, placeholder and hint, from the service's row of ``SERVICES``."""
    word = service.token_name.split()[-1].lower()
    where = f"the {service.label}" if service.label.endswith("API") else service.label
    page = service.token_page.removeprefix("https://").removeprefix("http://")
    return {
        "label": _BOX_LABELS.get(service.name, f"{service.label} {service.token_name}"),
        "placeholder": f"{service.token_prefix}… from {page}"
        if service.token_prefix
        else f"paste a {word} to use the real model",
        "info": f"Kept only in this browser tab and sent only to {where}. Never stored.",
    }


def wire_model_menu(ui: Page) -> None:
    """A new model redraws every step: tabs, fields, labels and examples (see :func:`model_view`)."""
    ui.model.change(
        model_view,
        [ui.model, ui.lyrics, ui.prompt, ui.fmt, *ui.keys.values()],
        [
            ui.lyrics,
            ui.model_md,
            ui.model,
            ui.banner,
            ui.ref_group,
            ui.no_ref_md,
            ui.url_row,
            ui.upload_tab,
            ui.lyrics_tab,
            ui.generate_tab,
            ui.history_tab,
            ui.prompt,
            ui.wrap,
            ui.instrumental,
            ui.optimizer,
            ui.settings_row,
            *ui.example_sets,
            ui.counter,
            ui.structure,
            ui.prompt_msg,
            ui.ref_purpose,
            ui.fmt,
        ],
        **PRIVATE,
    )


def wire_key(ui: Page) -> None:
    # A pasted key or token is checked at once (the check the service's client makes before a call), not at
    # Generate; the banner says which service, and whose credential, makes the chosen model.
    for name, box in ui.keys.items():
        others = [b for n, b in ui.keys.items() if n != name]
        box.change(
            _on_paste(name, [n for n in ui.keys if n != name]),
            [box, ui.model, *others],
            [ui.banner, ui.key_msgs[name]],
            **PRIVATE,
            show_progress="hidden",
        )
        # A pasted key reaches the provider's list: the menu's labels and hint follow its copy on disk.
        box.change(
            _menu_on_paste, [ui.model, *ui.keys.values()], [ui.model, ui.model_md], **PRIVATE, show_progress="hidden"
        )
    # A pasted key's balance: on demand, for that key only; a changed key clears the line it no longer matches.
    # The endpoint stays named (scripts and tests list it) but is throttled: api_balance counts each read per
    # session and per address (music01_ui.account.BALANCE_LIMITER), and only a few run at once.
    key = ui.keys[KEY_SERVICE]
    gr.on(
        [ui.balance_btn.click, key.submit],
        api_balance,
        [key],
        [ui.balance_md],
        api_name="balance",
        concurrency_limit=2,
        concurrency_id="balance",
        trigger_mode="once",
    )
    key.change(lambda _: "", [key], [ui.balance_md], **PRIVATE, show_progress="hidden")


def _on_paste(service: str, others: list[str]):
    """The change handler of ``service``'s box: (its value, the model, the other boxes' values in order)."""

    def on_paste(raw: str | None, model_id: str | None, *rest: str | None):
        tokens = dict(zip(others, rest, strict=False))
        tokens[service] = raw
        return banner_text(tokens, model_id), token_status(service, raw)

    return on_paste


def _menu_on_paste(model_id: str | None, *raw: str | None):
    """The menu after a credential box changed: (the model, every box's value in ``SERVICES`` order).

    A usable pasted credential may also start one read of its provider's list in the background
    (never waited on); the menu shows the copy on disk now.
    """
    tokens = box_tokens(*raw)
    refresh_listings_soon(tokens)
    return menu_view(model_id, tokens)


def menu_view(model_id: str | None, tokens: dict[str, str | None] | None = None):
    """The menu's labels and hint and the model card, from the copies of the providers' lists on disk.

    The menu's values (model ids) never change: only what a row and the hint say.
    Returns updates for (menu Dropdown, card Markdown).
    """
    lists = listings(tokens)
    return gr.update(choices=model_choices(lists), info=model_info(model_id, lists)), model_card(model_id, lists)


def wire_menu_load(demo: gr.Blocks, ui: Page) -> None:
    """Each visit reads the lists' copies again: a model the background check found delisted is marked at once."""
    demo.load(
        lambda model_id, *raw: menu_view(model_id, box_tokens(*raw)),
        [ui.model, *ui.keys.values()],
        [ui.model, ui.model_md],
        **PRIVATE,
        show_progress="hidden",
    )
