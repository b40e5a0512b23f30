"""The gateway's body validation, driven only by :mod:`.contract` (never by our model table).

``js_length`` (how the gateway counts a length) and ``is_uri`` (``format: uri``) are part of
the contract and live in :mod:`.contract`; they are re-exported here.

Each function returns the gateway's messages for one part of a body (empty when valid),
in the style of the provider's 400 "Body validation error!" answers.
"""

from __future__ import annotations

from .contract import (
    AudioSettingField,
    IntegerField,
    ModelContract,
    ReferenceField,
    StringField,
    is_uri,
    js_length,
)

__all__ = [
    "js_length",
    "is_uri",
    "body_problems",
    "model_problem",
    "string_problems",
    "integer_problems",
    "required_unless_problems",
    "reference_problems",
    "audio_setting_problems",
]


def model_problem(ids) -> str:
    """The gateway's message for a ``model`` outside ``ids``.

    Parameters
    ----------
    ids : iterable of str
        The values the endpoint accepts.

    Returns
    -------
    str
    """
    return "model must be one of the following values: " + ", ".join(ids)


def body_problems(contract: ModelContract, body: dict) -> list[str]:
    """Every problem of ``body`` against ``contract``, except the ``model`` value itself.

    Parameters
    ----------
    contract : ModelContract
        The model the body names.
    body : dict
        The decoded JSON body.

    Returns
    -------
    list of str
        The gateway's messages; empty when the body is valid.
    """
    problems: list[str] = []
    for spec in contract.strings:
        problems += string_problems(spec, body)
    for spec in contract.integers:
        problems += integer_problems(spec, body)
    if contract.reference is not None:
        problems += reference_problems(contract.reference, body)
    if contract.audio_setting is not None:
        problems += audio_setting_problems(contract.audio_setting, body)
    problems += required_unless_problems(contract, body)
    problems += [f"{f} must be a boolean value" for f in contract.flags if f in body and not isinstance(body[f], bool)]
    # Not in the schemas (no additionalProperties: false): see contract.py's module docstring and issue 22.
    problems += [f"property {k} should not exist" for k in body if k not in contract.fields]
    return problems


def string_problems(spec: StringField, body: dict) -> list[str]:
    """The messages for one string field: presence, type, and its length bounds in UTF-16 code units.

    The bounds are :attr:`StringField.min_units` / :attr:`StringField.max_units`: the
    stricter of the schema's ``minLength`` / ``maxLength`` and the prose's.

    Parameters
    ----------
    spec : StringField
    body : dict

    Returns
    -------
    list of str
    """
    if spec.name not in body:
        return [f"{spec.name} should not be empty"] if spec.required else []
    value = body[spec.name]
    if not isinstance(value, str):
        return [f"{spec.name} must be a string"]
    length = js_length(value)
    if spec.min_units is not None and length < spec.min_units:
        return [f"{spec.name} must be longer than or equal to {spec.min_units} characters"]
    if spec.max_units is not None and length > spec.max_units:
        return [f"{spec.name} must be shorter than or equal to {spec.max_units} characters"]
    return []


def integer_problems(spec: IntegerField, body: dict) -> list[str]:
    """The messages for one integer field: presence, type and the schema's ``minimum`` / ``maximum``.

    A JSON number with no fraction (``20000.0``) is an integer, as JavaScript reads it; a boolean,
    a string (``"20000"``) or ``null`` is not.  The words are the gateway's (class-validator's
    ``IsInt``, ``Min``, ``Max``).

    Parameters
    ----------
    spec : IntegerField
    body : dict

    Returns
    -------
    list of str
    """
    if spec.name not in body:
        return [f"{spec.name} should not be empty"] if spec.required else []
    value = body[spec.name]
    whole = isinstance(value, int) or (isinstance(value, float) and value.is_integer())
    if isinstance(value, bool) or not whole:
        return [f"{spec.name} must be an integer number"]
    if spec.minimum is not None and value < spec.minimum:
        return [f"{spec.name} must not be less than {spec.minimum}"]
    if spec.maximum is not None and value > spec.maximum:
        return [f"{spec.name} must not be greater than {spec.maximum}"]
    return []


def required_unless_problems(contract: ModelContract, body: dict) -> list[str]:
    """The messages for fields required unless a switch is on (music-2.6's lyrics), as the gateway words them.

    A field with ``required_unless`` must be present unless one of those boolean fields is
    ``true`` in the body (a switch sent as ``"yes"`` is a type error, and does not count).

    Parameters
    ----------
    contract : ModelContract
    body : dict

    Returns
    -------
    list of str
    """
    return [
        f"{s.name} should not be empty unless {' or '.join(s.required_unless)} is true"
        for s in contract.strings
        if s.required_unless and s.name not in body and not any(body.get(f) is True for f in s.required_unless)
    ]


def reference_problems(spec: ReferenceField, body: dict) -> list[str]:
    """The messages for the reference field: presence and ``format: uri``.

    Parameters
    ----------
    spec : ReferenceField
    body : dict

    Returns
    -------
    list of str
    """
    if spec.name not in body:
        return [f"{spec.name} should not be empty"] if spec.required else []
    value = body[spec.name]
    if not isinstance(value, str) or not is_uri(value):
        return [f"{spec.name} must be a URL address"]
    return []


def audio_setting_problems(spec: AudioSettingField, body: dict) -> list[str]:
    """The messages for ``audio_setting`` (optional in every schema): type, required fields, enums, names.

    Parameters
    ----------
    spec : AudioSettingField
    body : dict

    Returns
    -------
    list of str
    """
    if "audio_setting" not in body:
        return []
    setting = body["audio_setting"]
    if not isinstance(setting, dict):
        return ["audio_setting must be an object"]
    problems = [f"audio_setting.{k} should not be empty" for k in spec.required if k not in setting]
    for k, values in spec.enums():
        if k in setting and (isinstance(setting[k], bool) or setting[k] not in values):
            problems.append(f"audio_setting.{k} must be one of the following values: " + ", ".join(map(str, values)))
    # A misnamed rate (sample_rate vs audio_sample_rate) lands here.
    problems += [f"audio_setting.property {k} should not exist" for k in setting if k not in spec.fields]
    return problems
