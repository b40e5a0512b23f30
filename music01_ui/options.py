"""A model's own fields on the page (a length, a negative prompt, denoising steps…), built from the table.

One control per option *name* of the table (:func:`music01_core.models.options_by_name`): a name
means the same on every model (``duration_s`` is ElevenLabs' ``music_length_ms`` and Stable
Audio's ``seconds_total``), so one "length" slider serves both, its range and default following
the chosen model.  A model with a new field is a new row of the table, never new code here.
An option the request's seed already carries (``request_attr="seed"``: Lyria 2) is the page's
seed box, not a second control.

The values reach ``/make`` as one JSON object in its ``options`` input (``{"duration_s": 20}``),
kept up to date from the controls; a script passes the same object.
"""

from __future__ import annotations

import json

import gradio as gr

from music01_core.models import OptionSpec, get_model, options_by_name

#: Option name → {model id → spec}, for the controls (the seed rides on the seed box).
SPECS: dict[str, dict[str, OptionSpec]] = {
    name: specs
    for name, specs in options_by_name(live_only=True).items()
    if not any(s.request_attr for s in specs.values())
}


def seed_takers() -> str:
    """The models whose API takes the request's seed, as the seed boxes' hint names them ("google/lyria2")."""
    takers = [m for specs in options_by_name(live_only=True).values() for m, s in specs.items() if s.request_attr]
    return ", ".join(takers) or "none"


def _spec(name: str, model_id: str | None) -> OptionSpec | None:
    return SPECS.get(name, {}).get(get_model(model_id).id)


def _label(spec: OptionSpec) -> str:
    return f"{spec.label} ({spec.unit})" if spec.unit else spec.label


def _info(spec: OptionSpec) -> str:
    empty = "" if spec.name == "duration_s" else " · empty: the model's default"
    return f"{spec.range_words()}{empty}" + (f" — {spec.help}" if spec.help else "")


def build_option_controls(model_id: str) -> dict[str, gr.components.Component]:
    """One control per option name, shown for the model the page starts on (inside an open Blocks).

    A length is a slider (it always has a range and a default); another number, or a text, is a
    text box left empty for the model's default (the number is read and checked by the core).
    """
    controls = {}
    for name, specs in SPECS.items():
        spec = specs.get(model_id) or next(iter(specs.values()))
        visible = model_id in specs
        if spec.kind == "text":
            controls[name] = gr.Textbox(label=_label(spec), info=_info(spec), visible=visible, max_lines=3)
        elif name == "duration_s" and spec.minimum is not None and spec.maximum is not None:
            controls[name] = gr.Slider(
                minimum=spec.minimum,
                maximum=spec.maximum,
                step=1,
                value=spec.default if spec.default is not None else spec.minimum,
                label=_label(spec),
                info=_info(spec),
                visible=visible,
            )
        else:
            # A text box, not a number box: empty must mean "the model's default" (a number box shows 0).
            controls[name] = gr.Textbox(
                label=_label(spec), info=_info(spec), placeholder=_placeholder(spec), visible=visible, max_lines=1
            )
    return controls


def _placeholder(spec: OptionSpec) -> str:
    return f"default {spec.default:g}" if spec.default is not None else "the model's default"


def option_view(model_id: str | None) -> list:
    """The controls' updates for ``model_id`` (the menu's change): shown, ranged and labelled as it takes them."""
    out = []
    for name in SPECS:
        spec = _spec(name, model_id)
        if spec is None:
            out.append(gr.update(visible=False))
        elif name == "duration_s" and spec.kind != "text":
            value = spec.default if spec.default is not None else spec.minimum
            out.append(
                gr.update(
                    visible=True,
                    minimum=spec.minimum,
                    maximum=spec.maximum,
                    value=value,
                    label=_label(spec),
                    info=_info(spec),
                )
            )
        elif spec.kind == "text":
            out.append(gr.update(visible=True, label=_label(spec), info=_info(spec)))
        else:
            out.append(gr.update(visible=True, label=_label(spec), info=_info(spec), placeholder=_placeholder(spec)))
    return out


def options_json(model_id: str | None, *values) -> str:
    """The JSON object ``/make`` receives: the values of the options ``model_id`` takes, empty ones left out."""
    m = get_model(model_id)
    picked = {}
    for name, value in zip(SPECS, values, strict=False):
        if _spec(name, m.id) is None or value is None or (isinstance(value, str) and not value.strip()):
            continue
        if isinstance(value, str):
            value = value.strip()
        elif float(value).is_integer():
            value = int(value)
        picked[name] = value
    return json.dumps(picked, ensure_ascii=False)


def parse_options(text: str | dict | None) -> dict:
    """``/make``'s ``options`` input: a JSON object (or a dict from Python), empty for none; else a clear error."""
    if text in (None, ""):
        return {}
    if isinstance(text, dict):
        return dict(text)
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        value = None
    if not isinstance(value, dict):
        raise gr.Error(
            'options must be a JSON object of option names and values, such as {"duration_s": 20} '
            "(`music01 models` lists each model's options).",
            title="Options not understood",
            print_exception=False,
        )
    return value
