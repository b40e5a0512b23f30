"""Replicate's request contract for MiniMax's music models, as data, and its validation.

Written from ``shared/api/replicate.md`` (the project's notes on Replicate's HTTP API) and the
sources it cites, never from our client-side model table (:mod:`music01_core.models`): the
emulator of :mod:`.replicate` holds requests to this, so a wrong entry in the table cannot pass
an emulator test.  Source keys as in replicate.md: [O] Replicate's OpenAPI document, [M1]-[M7]
the models' pages, [N] nodetool's generated class, [M2]/[M2'] a third-party catalogue, [I1]-[I4]
public issues.

What is validated, and how (replicate.md §2, §5, §7):

- the create bodies are ``additionalProperties: false`` [O]; the model route's body is
  ``{input, webhook?, webhook_events_filter?, stream?}``, the version route's adds ``version``;
  ``input`` is required in both [O];
- each input's type, enum and length; a string's length is counted in code points (Python's
  ``len``), as Cog's pydantic and a Go JSON-schema validator count, not in UTF-16 units as the
  AI/ML gateway does;
- an input the model does not list is refused ("Additional property … is not allowed").  The
  pages do not say what Replicate does with one; refusing it catches a misnamed field, which
  would otherwise be dropped without a word (the same reading as the AI/ML emulator's issue 22);
- a field with no default on its page is required (Cog makes an input without a default
  required); a length only the field's description states is enforced like a schema's.

Answers are RFC 7807 problem details (``application/problem+json``) [P ``exceptions.py``]: input
problems are one 422 whose ``detail`` has one line per problem, e.g. ``input.lyrics: String
should have at most 400 characters`` (type errors read ``input.x: Invalid type. Expected: …,
given: …`` as in [I3][I4]).  Rules between fields that only the descriptions state (music-2.6:
lyrics unless instrumental, prompt when instrumental; music-01: a reference of more than 15 s)
are the model's own checks at run time: they fail the prediction, they are not a 422.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from starlette.responses import JSONResponse

__all__ = [
    "MISSING",
    "InputSpec",
    "ReplicateModel",
    "REPLICATE_MODELS",
    "SAMPLE_RATES",
    "BITRATES",
    "INVALID_VERSION",
    "problem",
    "model_for",
    "resolve_version",
    "body_problems",
    "input_problems",
    "run_problem",
    "with_defaults",
    "canonical_json",
]

# The enums of every MiniMax music model on Replicate [N][M2][M3][M5][M6][M2'].
SAMPLE_RATES = (16000, 24000, 32000, 44100)
BITRATES = (32000, 64000, 128000, 256000)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


#: The default of an input that has none (it is then required).
MISSING = _Missing()


@dataclass(frozen=True)
class InputSpec:
    """One input of a model version.

    Attributes
    ----------
    name : str
    type : {"string", "uri", "integer", "boolean"}
        ``uri`` is a string in ``format: uri`` (a file input: an http(s) URL, a ``data:`` URI,
        or a Files API ``urls.get``).
    default : object
        :data:`MISSING`: the input is required (its page gives no default); None: optional,
        with no value when left out (music-01's file and id inputs).
    enum : tuple
        The allowed values (empty: any value of the type).
    min_length, max_length : int or None
        Length bounds of a string, in code points.
    """

    name: str
    type: str
    default: object = MISSING
    enum: tuple = ()
    min_length: int | None = None
    max_length: int | None = None

    @property
    def required(self) -> bool:
        """True when the input has no default."""
        return self.default is MISSING


@dataclass(frozen=True)
class ReplicateModel:
    """One model on Replicate, with the version the emulator serves.

    Attributes
    ----------
    owner, name : str
    version : str
        The 64-hex version id.
    inputs : tuple of InputSpec
    source : str
        Where the inputs are written from.
    official : bool
        Official models run on ``POST /v1/models/{owner}/{name}/predictions``, accept
        ``version: "owner/name"``, and report ``version: "hidden"`` [O].
    version_made_up : bool
        True when no source gives the version id (the emulator's own value).
    """

    owner: str
    name: str
    version: str
    inputs: tuple[InputSpec, ...]
    source: str
    official: bool = True
    version_made_up: bool = False

    @property
    def ref(self) -> str:
        """``owner/name``."""
        return f"{self.owner}/{self.name}"

    def spec(self, name: str) -> InputSpec | None:
        """The input called ``name``, or None."""
        return next((s for s in self.inputs if s.name == name), None)


def _audio_inputs(formats: tuple[str, ...]) -> tuple[InputSpec, ...]:
    """``sample_rate``, ``bitrate`` and ``audio_format``: the same on music-1.5, -2.5 and -2.6 [M5][M6][M2']."""
    return (
        InputSpec("sample_rate", "integer", 44100, SAMPLE_RATES),
        InputSpec("bitrate", "integer", 256000, BITRATES),
        InputSpec("audio_format", "string", "mp3", formats),
    )


# [M2][N] mark no music-01 field required and [M3] gives the file and id fields no default: they
# are optional (default None).  A reference is needed all the same ([M1] "Reference track
# required"): without one the prediction fails.
_MUSIC01 = ReplicateModel(
    "minimax",
    "music-01",
    # [M2][M3]: replicate.com/minimax/music-01/versions/0254c7e2…/api, "Updated 6/8/2026".
    "0254c7e2f54315b667dbae03da7c155822ba29ffe0457be5bc246d564be486bd",
    (
        # [M3] "Maximum 350 to 400 characters", [M1] (readme) 400: the looser 400 is enforced, so a
        # client that keeps to 350 passes either reading; the older version 75fc11fc had no limit [M4].
        InputSpec("lyrics", "string", "", max_length=400),
        # [M3]: "Must be a .wav or .mp3 file longer than 15 seconds" (checked when the model runs).
        InputSpec("song_file", "uri", None),
        InputSpec("voice_file", "uri", None),
        InputSpec("instrumental_file", "uri", None),
        # [M3]: "Reuse a previously uploaded voice / instrumental ID"; no source shows one being returned.
        InputSpec("voice_id", "string", None),
        InputSpec("instrumental_id", "string", None),
        # [N][M2]: integer enums, defaults 44100 and 256000.
        InputSpec("sample_rate", "integer", 44100, SAMPLE_RATES),
        InputSpec("bitrate", "integer", 256000, BITRATES),
    ),
    source="replicate.md §7; [M3] replicate.com/minimax/music-01/versions/0254c7e2…/api; [N]; [M2]",
)

_MUSIC15 = ReplicateModel(
    "minimax",
    "music-1.5",
    # [M5]: the id in the page's address, replicate.com/minimax/music-1.5/versions/70c83955…/api.
    "70c8395540eae909be2c09a0b4897d22ee2455a5e5c9826b71161743b5cc45f1",
    (
        # [M5]: "Valid input: 10-300 characters" / "10-600 characters"; no defaults: required.
        InputSpec("prompt", "string", min_length=10, max_length=300),
        InputSpec("lyrics", "string", min_length=10, max_length=600),
        *_audio_inputs(("mp3",)),  # [M5]: audio_format default "mp3", the only value replicate.md names
    ),
    source="replicate.md §7; [M5] replicate.com/minimax/music-1.5/versions/70c83955…/api",
)

_MUSIC25 = ReplicateModel(
    "minimax",
    "music-2.5",
    # [M6]: the id in the page's address, replicate.com/minimax/music-2.5/versions/f2100977…/api.
    "f2100977b6ce90322ab00443b76d48f079435c1d903c4805517f89d2b8cc9c5a",
    (
        # [M6]: "1-3500 characters" / "0-2000 characters"; the page gives neither a default: required
        # (the prompt may be empty).
        InputSpec("lyrics", "string", min_length=1, max_length=3500),
        InputSpec("prompt", "string", min_length=0, max_length=2000),
        *_audio_inputs(("mp3",)),  # [M6]: audio_format default "mp3"
    ),
    source="replicate.md §7; [M6] replicate.com/minimax/music-2.5/versions/f2100977…/api",
)

_MUSIC26 = ReplicateModel(
    "minimax",
    "music-2.6",
    # No source gives music-2.6's version id: made up (64 hex digits), marked version_made_up.
    "26e6a0c0ffee000000000000000000000000000000000000000000000000ab26",
    (
        # [M2'] (and [M7]'s readme): lyrics default "", "1-3500 characters. Not required when
        # is_instrumental is true"; prompt default "", "0-2000 characters. Required when
        # is_instrumental is true".  An empty lyrics is the default, so only the maximum is a
        # schema check; the rules between fields are the model's (the prediction fails).
        InputSpec("lyrics", "string", "", max_length=3500),
        InputSpec("prompt", "string", "", max_length=2000),
        InputSpec("is_instrumental", "boolean", False),
        InputSpec("lyrics_optimizer", "boolean", False),
        *_audio_inputs(("mp3", "wav", "pcm")),  # [M2']: audio_format mp3 / wav / pcm, default mp3
    ),
    source="replicate.md §7; [M2'] cinemasetfree.com/guides/generators/minimax/music-2.6; [M7]",
    version_made_up=True,
)

#: The models the emulator serves, by ``owner/name``.
REPLICATE_MODELS: dict[str, ReplicateModel] = {m.ref: m for m in (_MUSIC01, _MUSIC15, _MUSIC25, _MUSIC26)}

#: The 422 of a version that does not exist or may not be used [I3].
INVALID_VERSION = (
    "Invalid version or not permitted",
    "The specified version does not exist (or perhaps you don't have permission to use it?)",
)

_HEX64 = re.compile(r"[0-9a-f]{64}\Z")


class _Problem(JSONResponse):
    """Compact JSON with a final newline, as Replicate's problem bodies come [P cassettes]."""

    media_type = "application/problem+json"

    def render(self, content) -> bytes:
        return super().render(content) + b"\n"


def problem(
    status: int, detail: str, title: str | None = None, headers: dict | None = None, *, with_status: bool = True
) -> JSONResponse:
    """An RFC 7807 answer: ``{"title"?, "detail", "status"?}`` as ``application/problem+json``.

    Parameters
    ----------
    status : int
    detail : str
    title : str, optional
        Left out when None (Replicate's 404 bodies have none [P]).
    headers : dict, optional
    with_status : bool
        False leaves ``status`` out of the body (the 429 body of §5 [D7] has only ``detail``).

    Returns
    -------
    JSONResponse
    """
    body = {"title": title} if title is not None else {}
    body["detail"] = detail
    if with_status:
        body["status"] = status
    return _Problem(body, status_code=status, headers=headers)


def model_for(owner: str, name: str) -> ReplicateModel | None:
    """The model ``owner/name``, or None when the emulator does not serve it."""
    return REPLICATE_MODELS.get(f"{owner}/{name}")


def resolve_version(value) -> ReplicateModel | None:
    """The model a version route's ``version`` names, or None (the route's 422) [O].

    Parameters
    ----------
    value : object
        ``<64-hex id>``, ``owner/name:<id>``, or ``owner/name`` (official models only).

    Returns
    -------
    ReplicateModel or None
    """
    if not isinstance(value, str):
        return None
    ref, sep, version = value.partition(":")
    if not sep:
        if _HEX64.match(value):
            return next((m for m in REPLICATE_MODELS.values() if m.version == value), None)
        model = REPLICATE_MODELS.get(value)
        return model if model is not None and model.official else None
    model = REPLICATE_MODELS.get(ref)
    return model if model is not None and model.version == version else None


_TOP_FIELDS = {
    "model": ("input", "webhook", "webhook_events_filter", "stream"),
    "version": ("version", "input", "webhook", "webhook_events_filter", "stream"),
}
_WEBHOOK_EVENTS = ("start", "output", "logs", "completed")


def body_problems(body, route: str) -> list[str]:
    """The problems of a create body's top level (everything but the input's fields) [O].

    Parameters
    ----------
    body : object
        The decoded JSON body.
    route : {"model", "version"}
        ``POST /v1/models/{owner}/{name}/predictions`` or ``POST /v1/predictions``.

    Returns
    -------
    list of str
        One line per problem; empty when the top level is valid.
    """
    if not isinstance(body, dict):
        return [f"Invalid type. Expected: object, given: {_json_type(body)}"]
    problems = [f"Additional property {k} is not allowed" for k in body if k not in _TOP_FIELDS[route]]
    required = ("version", "input") if route == "version" else ("input",)
    problems += [f"{k} is required" for k in required if k not in body]
    if "input" in body and not isinstance(body["input"], dict):
        problems.append(f"input: Invalid type. Expected: object, given: {_json_type(body['input'])}")
    if "version" in body and not isinstance(body["version"], str):
        problems.append(f"version: Invalid type. Expected: string, given: {_json_type(body['version'])}")
    if "webhook" in body and not isinstance(body["webhook"], str):
        problems.append(f"webhook: Invalid type. Expected: string, given: {_json_type(body['webhook'])}")
    if "stream" in body and not isinstance(body["stream"], bool):
        problems.append(f"stream: Invalid type. Expected: boolean, given: {_json_type(body['stream'])}")
    events = body.get("webhook_events_filter", [])
    if not isinstance(events, list) or any(e not in _WEBHOOK_EVENTS for e in events):
        problems.append("webhook_events_filter: must be an array of " + ", ".join(_WEBHOOK_EVENTS))
    return problems


def input_problems(model: ReplicateModel, values: dict) -> list[str]:
    """The problems of an ``input`` object against ``model``'s inputs.

    Parameters
    ----------
    model : ReplicateModel
    values : dict
        The create's ``input``.

    Returns
    -------
    list of str
        Lines such as ``input.lyrics: String should have at most 400 characters``; empty when valid.
    """
    problems = [f"input: Additional property {k} is not allowed" for k in values if model.spec(k) is None]
    for spec in model.inputs:
        if spec.name not in values:
            if spec.required:
                problems.append(f"input: {spec.name} is required")
            continue
        problems += [f"input.{spec.name}: {p}" for p in _value_problems(spec, values[spec.name])]
    return problems


_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")


def _value_problems(spec: InputSpec, value) -> list[str]:
    """What is wrong with one input value (type first: a value of the wrong type is not checked further)."""
    expected = "string" if spec.type == "uri" else spec.type
    if not _is_type(value, expected):
        return [f"Invalid type. Expected: {expected}, given: {_json_type(value)}"]
    if spec.enum and value not in spec.enum:
        return ["Input should be " + _choices(spec.enum)]
    problems = []
    if spec.type == "uri" and not _URI.match(value):
        problems.append("Does not match format 'uri'")
    if spec.min_length is not None and len(value) < spec.min_length:
        problems.append(f"String should have at least {spec.min_length} characters")
    if spec.max_length is not None and len(value) > spec.max_length:
        problems.append(f"String should have at most {spec.max_length} characters")
    return problems


def _is_type(value, expected: str) -> bool:
    if expected == "integer":
        return isinstance(value, int) and not isinstance(value, bool)
    if expected == "boolean":
        return isinstance(value, bool)
    return isinstance(value, str)


def _json_type(value) -> str:
    """The JSON name of ``value``'s type (for "given: …")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


def _choices(values: tuple) -> str:
    """``16000, 24000, 32000 or 44100`` / ``'mp3', 'wav' or 'pcm'`` (pydantic's wording)."""
    shown = [repr(v) for v in values]
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " or " + shown[-1]


def run_problem(model: ReplicateModel, values: dict) -> str | None:
    """The error a prediction fails with because of a rule between inputs (None: no such problem).

    These rules are stated only in the fields' descriptions, so they are the model's own checks
    when it runs (a failed prediction), not schema checks (a 422).

    Parameters
    ----------
    model : ReplicateModel
    values : dict
        The input completed with its defaults (:func:`with_defaults`).

    Returns
    -------
    str or None
    """
    if model.ref == "minimax/music-01":
        for name in ("voice_id", "instrumental_id"):
            # §7: no source shows an id being returned (not in the output schema, not in any example), so
            # no id can be one this API issued; ids from other hosts "probably don't work here".
            if values.get(name):
                return (
                    f"{name} {values[name]!r} was not found: this API has issued no ids; pass the reference "
                    f"audio as {name.replace('_id', '_file')} instead."
                )
        if not any(values.get(f) for f in ("song_file", "voice_file", "instrumental_file")):
            # [M1]: "Reference track required"; [M3]: voice only -> a cappella hum, instrumental only -> no vocals.
            return "A reference track is required: give song_file, voice_file or instrumental_file."
    if model.ref == "minimax/music-2.6":
        # [M2'][M7]: "When true, prompt is required and lyrics are not needed"; lyrics are "Required for
        # vocal tracks (unless lyrics_optimizer is enabled)".
        if values.get("is_instrumental") and not values.get("prompt"):
            return "prompt is required when is_instrumental is true."
        if not values.get("is_instrumental") and not values.get("lyrics_optimizer") and not values.get("lyrics"):
            return "lyrics are required unless is_instrumental or lyrics_optimizer is true."
    return None


def with_defaults(model: ReplicateModel, values: dict) -> dict:
    """``values`` completed with the defaults of the inputs it leaves out (None for optional ones)."""
    out = {s.name: s.default for s in model.inputs if s.default is not MISSING}
    out.update(values)
    return out


def canonical_json(value) -> bytes:
    """The canonical JSON of ``value`` (sorted keys, no spaces, UTF-8): what ``input_sha256`` hashes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
