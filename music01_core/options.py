"""A model's other fields (a length, a seed, a negative prompt…), checked once against its row.

Each model's row lists them as :class:`~music01_core.models.OptionSpec` data; a request gives them
by name, in the units people use (``MusicRequest(options={"duration_s": 20})``, ``--option
duration_s=20``).  :func:`check_options` is the one check (``Client.prepare`` calls it before
anything is routed or sent): a name the model does not take, a value of the wrong kind or out of
range is refused with a message that says the range and what to do; what passes becomes the
provider's fields and units (``{"music_length_ms": 20000}``), which the adapter sends as they are.

An option with ``request_attr`` mirrors a :class:`~music01_core.types.MusicRequest` attribute: a
request's ``seed`` fills a model's ``seed`` option when the option is not given (so ``--seed``
reaches ``google/lyria2``'s API), and a ``seed`` option given by name sets the job's seed too (so
the offline engine answers the same audio for it).  Giving both, differently, is refused.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from .errors import SettingError
from .lyrics import clean_prompt, provider_length
from .models import Model, OptionSpec, get_model, options_by_name

__all__ = ["CheckedOptions", "check_options", "check_option", "parse_option_args", "option_lines"]


@dataclass(frozen=True)
class CheckedOptions:
    """The options of one request, checked for its model.

    Attributes
    ----------
    api : dict
        ``{api_field: value}`` in the provider's units: what is sent (:attr:`Job.options`).
    values : dict
        ``{name: value}`` as checked, in people's units (``{"duration_s": 20}``).
    request_attrs : dict
        ``{attribute: value}`` for the job's own attributes an option mirrors (``{"seed": 7}``).
    warnings : tuple of str
    """

    api: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    request_attrs: dict = field(default_factory=dict)
    warnings: tuple[str, ...] = ()


def check_options(model: str | Model, options: Mapping | None = None, *, request=None) -> CheckedOptions:
    """Check ``options`` (``{name: value}``) for ``model``; the request's mirrored attributes fill the rest.

    Parameters
    ----------
    model : str or Model
    options : mapping, optional
        By option name; a value may be text (from a command line) or a number.  ``None`` or ``""``
        means "not given".
    request : MusicRequest, optional
        Its attributes named by an option's ``request_attr`` (``seed``) fill that option when it is
        not given.

    Returns
    -------
    CheckedOptions

    Raises
    ------
    SettingError
        A name the model does not take (naming the ones it does, and the models that take it), a
        value of the wrong kind, out of range or too long, or one given twice (``seed``).
    """
    m = get_model(model)
    given = {str(k).strip(): v for k, v in (options or {}).items() if v is not None and v != ""}
    unknown = [name for name in given if m.option(name) is None]
    if unknown:
        raise SettingError(_unknown_words(m, unknown[0]))
    out = CheckedOptions()
    warnings: list[str] = []
    for spec in m.options:
        mirrored = getattr(request, spec.request_attr, None) if spec.request_attr and request is not None else None
        if spec.name not in given and mirrored is None:
            continue
        if spec.name in given and mirrored is not None and check_option(m, spec, given[spec.name]) != mirrored:
            raise SettingError(
                f"the {spec.label} is given twice, as {spec.request_attr} {mirrored} and as the option "
                f"{spec.name}={given[spec.name]}: give it once."
            )
        value = check_option(m, spec, given[spec.name] if spec.name in given else mirrored)
        if value is None:  # a text that was only invisible characters: left out
            continue
        if spec.kind == "text" and value != str(given.get(spec.name, value)).strip():
            warnings.append(f"removed invisible characters from the {spec.label}.")
        out.values[spec.name] = value
        out.api[spec.api_field] = spec.to_api(value)
        if spec.request_attr:
            out.request_attrs[spec.request_attr] = value
    return CheckedOptions(out.api, out.values, out.request_attrs, tuple(warnings))


def check_option(model: str | Model, spec: OptionSpec, value):
    """One option's value, checked against ``spec`` and normalised (an ``int`` when whole); None: an empty text.

    Raises
    ------
    SettingError
        Saying the range, the unit and what to do.
    """
    m = get_model(model)
    if spec.kind == "text":
        return _text(m, spec, value)
    number = _number(spec, value)
    if number is None or not math.isfinite(number):
        raise SettingError(
            f"{_what(spec)} must be {_kind_words(spec)} for {m.id}, not {value!r}: give it as "
            f"{spec.name}=N, N in {spec.range_words()}."
        )
    if not float(number * spec.scale).is_integer():
        step = _kind_words(spec) if spec.scale == 1 else f"a multiple of {1 / spec.scale:g}{_unit(spec)}"
        raise SettingError(f"{_what(spec)} must be {step} for {m.id}, not {value!r}.")
    if (spec.minimum is not None and number < spec.minimum) or (spec.maximum is not None and number > spec.maximum):
        note = f" ({spec.limit_note.rstrip('.')})" if spec.limit_note else ""
        unit = f" {spec.unit}" if spec.unit else ""
        default = (
            f"leave it out for the model's default ({_n(spec.default)}{unit})"
            if spec.default is not None
            else "leave it out to let the model choose"
        )
        raise SettingError(
            f"{_what(spec)} must be {_range(spec)} for {m.id}{note}, not {value}: choose a value in "
            f"that range, or {default}."
        )
    return int(number) if float(number).is_integer() else number


def _number(spec: OptionSpec, value) -> float | None:
    """``value`` as a number (text from a command line is read), or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return value
    if isinstance(value, str):
        try:
            return int(value.strip()) if value.strip().lstrip("+-").isdigit() else float(value.strip())
        except ValueError:
            return None
    return None


def _text(m: Model, spec: OptionSpec, value) -> str | None:
    if not isinstance(value, str):
        raise SettingError(f"{_what(spec)} is a text for {m.id}, not {value!r}.")
    cleaned = clean_prompt(value)
    if not cleaned:
        return None
    n = provider_length(cleaned)
    if spec.max_chars is not None and n > spec.max_chars:
        note = f" ({spec.limit_note.rstrip('.')})" if spec.limit_note else ""
        raise SettingError(
            f"the {spec.label} is {n} characters as the provider counts them; {m.id} takes at most "
            f"{spec.max_chars}{note} — remove {n - spec.max_chars}."
        )
    return cleaned


def _what(spec: OptionSpec) -> str:
    """ "duration_s (length)"; just "seed" when the label says nothing more."""
    return spec.name if spec.label == spec.name.replace("_", " ") else f"{spec.name} ({spec.label})"


def _unit(spec: OptionSpec) -> str:
    return f" {spec.unit}" if spec.unit else ""


def _kind_words(spec: OptionSpec) -> str:
    if spec.unit == "s":
        return "a number of seconds" if spec.scale > 1 else "a whole number of seconds"
    return "a whole number"


def _range(spec: OptionSpec) -> str:
    """ "from 10 to 300 s", "0 or more", "at most 47" (no default)."""
    unit = f" {spec.unit}" if spec.unit else ""
    lo, hi = spec.minimum, spec.maximum
    if lo is not None and hi is not None:
        return f"from {_n(lo)} to {_n(hi)}{unit}"
    return f"{_n(lo)}{unit} or more" if lo is not None else f"at most {_n(hi)}{unit}"


def _n(value) -> str:
    """A number as people read it: ``10``, ``12.5``, ``4294967295``."""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _unknown_words(m: Model, name: str) -> str:
    takes = ", ".join(f"{o.name} = {o.range_words()}" for o in m.options)
    others = [mid for mid in options_by_name(live_only=True).get(name, {}) if mid != m.id]
    has = f"it takes {takes}" if takes else "it takes no options"
    elsewhere = f", or choose a model that takes it ({', '.join(others)})" if others else ""
    return f"{m.id} takes no option {name!r}: {has}. Leave {name} out{elsewhere}."


def parse_option_args(items: Iterable[str] | None) -> dict:
    """``["duration_s=20", "negative_prompt=no drums"]`` (``--option``, repeatable) → ``{name: "text"}``.

    Raises
    ------
    SettingError
        An item without ``=`` or a name, or a name given twice.
    """
    out: dict = {}
    for item in items or ():
        name, sep, value = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise SettingError(f"--option takes NAME=VALUE (for example duration_s=30), not {item!r}.")
        if name in out:
            raise SettingError(f"--option {name} is given twice: give it once.")
        out[name] = value
    return out


def option_lines(model: str | Model) -> list[str]:
    """One line per option of ``model``, for ``music01 models``: name, label, range, default, unit, field."""
    m = get_model(model)
    lines = []
    width = max((len(o.name) for o in m.options), default=0)
    for o in m.options:
        sent = o.api_field + (f" (×{o.scale})" if o.scale != 1 else "")
        via = f" · also --{o.request_attr}" if o.request_attr else ""
        lines.append(f"{o.name:{width}s}  {o.label}, {o.range_words()} · sent as {sent}{via}")
    return lines
