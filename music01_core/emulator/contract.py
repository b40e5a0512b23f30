"""The provider's own request contract per model, as data: what the emulator holds requests to.

The emulator imitates the provider, so it must not validate with our client-side model
table (:mod:`music01_core.models`): a wrong entry there would then pass every emulator
test.  Everything here is written from the provider's reference instead:

- the job models (``POST /v2/generate/audio``): the JSON request schemas in the public
  ``aimlapi/api-docs`` repository, commit ``f14fa72fbcea53f909372ad0975b079f4587c70b``
  (2026-08-21), folders ``docs/api-references/music-models/MiniMax/`` and, for the other vendors'
  models on the same interface, ``…/elevenlabs/``, ``…/Google/`` and ``…/Stability-AI/``; what a
  finished job answers (:class:`JobAnswer`) from each model's page's example output and response schema;
- the retired music-01 (upload + generate): the project's contract
  ``shared/api/music-01.openapi.json`` and ``shared/api/README.md``.

Where a schema and its field's prose description disagree, the stricter reading is
enforced (issue 22): a length only the prose states (music-2.6's "Length: 10–2000
characters", minimax-music's "Maximum 600 characters") is kept as ``prose_*`` data next to
the schema's own ``min_length`` / ``max_length``, and the emulator holds requests to the
stricter of the two (:attr:`StringField.min_units` / :attr:`StringField.max_units`); each
such entry says "stricter than the schema: prose says …" below.  A field required only in
words is a "required unless" rule (:attr:`StringField.required_unless`).  Every length is
counted in UTF-16 code units, as the provider's JavaScript gateway counts
(:func:`js_length`).

The same contract is published as JSON Schema (draft 2020-12) by :func:`json_schema`, and
:func:`validator` checks a body with it; the emulator itself validates with
:mod:`.validation`, which reads the dataclasses here (jsonschema is a test/dev dependency).

An integer field (:class:`IntegerField`) is held to the schema's ``minimum`` / ``maximum``, as the
gateway's class-validator words it ("… must not be less than 10000"); a number with no fraction
(``20000.0``) is an integer, as in JavaScript and JSON Schema.

Two readings go beyond a bare JSON schema, on purpose:

- a field not listed in a model's schema is refused ("property … should not exist").  The
  schemas do not set ``additionalProperties: false``, but a misnamed field (``sample_rate``
  where a model takes ``audio_sample_rate``) would otherwise be dropped without a word and
  the client bug would pass; see issue 22;
- a required field is "present", as in JSON Schema: a present ``null`` is a type error,
  and an empty string passes where the schema has no ``minLength``.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from ..settings import GENERATE_PATH, JOB_PATH

__all__ = [
    "DOCS_COMMIT",
    "StringField",
    "IntegerField",
    "JobAnswer",
    "ReferenceField",
    "AudioSettingField",
    "ModelContract",
    "JOB_CONTRACTS",
    "MUSIC01",
    "UPLOAD_PURPOSES",
    "CREDITS",
    "job_model_ids",
    "js_length",
    "is_uri",
    "contract_for",
    "json_schema",
    "validator_class",
    "validator",
]

#: The commit of ``aimlapi/api-docs`` the job models' contracts are written from.
DOCS_COMMIT = "f14fa72fbcea53f909372ad0975b079f4587c70b"
_MUSIC = "aimlapi/api-docs@f14fa72:docs/api-references/music-models/"
_DOCS = _MUSIC + "MiniMax/"

# The enums of ``audio_setting`` are the same in every MiniMax music schema (the five job
# models' files above and music-01.openapi.json's ``AudioSetting``).
SAMPLE_RATES = (16000, 24000, 32000, 44100)
BITRATES = (32000, 64000, 128000, 256000)
FORMATS = ("mp3", "wav", "pcm")


# An absolute URI (RFC 3986: scheme ":" and the rest, no whitespace): the schemas' "format": "uri".
_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:\S+\Z")


def js_length(text: str) -> int:
    """The length of ``text`` as the provider's gateway measures it.

    The gateway runs on JavaScript, whose ``String.length`` counts UTF-16 code units: a
    character outside the Basic Multilingual Plane (most emoji, e.g. U+1F3B5) counts 2,
    where Python's ``len`` counts 1.  Every length limit here is checked with this.

    Parameters
    ----------
    text : str

    Returns
    -------
    int
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def is_uri(value: str) -> bool:
    """True when ``value`` is an absolute URI (``scheme:rest``, no whitespace): the schemas' ``format: uri``."""
    return bool(_URI.match(value))


@dataclass(frozen=True)
class StringField:
    """One string field of a request body.

    Attributes
    ----------
    name : str
        The JSON field.
    role : {"lyrics", "prompt", "negative_prompt", "voice_id", "instrumental_id"}
        What the field holds, from its description; the emulator renders it as that.
    required : bool
        Listed in the schema's ``required``.
    min_length, max_length : int or None
        The schema's own ``minLength`` / ``maxLength``.
    prose_min_length, prose_max_length : int or None
        A bound the description states ("Length: 10–2000 characters").
    required_unless : tuple of str
        Boolean fields of the body: the field is required unless one of them is ``true``
        (a rule only the prose states; empty: no such rule).

    The bounds enforced are :attr:`min_units` / :attr:`max_units`: the stricter of the
    schema's and the prose's, in UTF-16 code units.
    """

    name: str
    role: str
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    prose_min_length: int | None = None
    prose_max_length: int | None = None
    required_unless: tuple[str, ...] = ()

    @property
    def min_units(self) -> int | None:
        """The enforced minimum: the larger of the schema's and the prose's (None: no minimum)."""
        bounds = [b for b in (self.min_length, self.prose_min_length) if b is not None]
        return max(bounds) if bounds else None

    @property
    def max_units(self) -> int | None:
        """The enforced maximum: the smaller of the schema's and the prose's (None: no maximum)."""
        bounds = [b for b in (self.max_length, self.prose_max_length) if b is not None]
        return min(bounds) if bounds else None

    @property
    def from_prose(self) -> bool:
        """True when an enforced bound or rule is stricter than the schema (it comes from the prose)."""
        return (self.min_units, self.max_units) != (self.min_length, self.max_length) or bool(self.required_unless)


@dataclass(frozen=True)
class IntegerField:
    """One integer field of a request body.

    Attributes
    ----------
    name : str
        The JSON field.
    role : {"length_ms", "length_s", "start_s", "seed", "steps"}
        What the field holds, from its description; the emulator renders a length and a seed.
    required : bool
    minimum, maximum : int or None
        The schema's bounds (inclusive).
    default : int or None
        The schema's ``default``: what the model does when the field is left out.
    format : str or None
        The schema's ``format`` (``milliseconds``), as written.
    """

    name: str
    role: str
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None
    default: int | None = None
    format: str | None = None


@dataclass(frozen=True)
class JobAnswer:
    """What a model's finished job answers, from its page's example output and its response schema.

    Attributes
    ----------
    format : str
        The audio the model makes (its example links an ``.mp3`` or a ``.wav``; no field chooses it).
    content_type : str or None
        ``audio_file.content_type`` as the example gives it; None: by the format (``audio/mpeg``…).
    file_fields : bool or None
        Whether ``audio_file`` carries ``content_type``, ``file_name`` and ``file_size`` beside
        ``url``; None: as the emulator is set (``sparse_audio_file``).
    usage : tuple of str
        The fields of ``meta.usage`` its response schema lists.
    id_suffix : str or None
        What follows ``:`` in its example's ids (``lyria2`` for ``google/lyria2``); None: the last
        part of the model id.
    """

    format: str = "mp3"
    content_type: str | None = None
    file_fields: bool | None = None
    usage: tuple[str, ...] = ("credits_used", "usd_spent")
    id_suffix: str | None = None


@dataclass(frozen=True)
class ReferenceField:
    """The reference-audio field of a job model.

    Attributes
    ----------
    name : str
    required : bool
    format : {"uri"}
        The schema's ``format``: an absolute URI (``https://…``, and ``data:…;base64,…`` is
        one too).  The emulator fetches http(s) and decodes Base64 ``data:`` URIs; any other
        scheme passes validation and fails the job, as an unfetchable link would.
    prose_ways : tuple of {"url", "base64"}
        How the description says the audio may come (not enforced; issue 22).
    """

    name: str = "reference_audio_url"
    required: bool = True
    format: str = "uri"
    prose_ways: tuple[str, ...] = ("url",)


@dataclass(frozen=True)
class AudioSettingField:
    """The ``audio_setting`` object of a model.

    Attributes
    ----------
    sample_rate_field : str
        The rate's name: ``sample_rate`` or ``audio_sample_rate``.
    required : tuple of str
        Fields of ``audio_setting`` that must be present when it is sent.
    sample_rates, bitrates, formats : tuple
        The enums.
    """

    sample_rate_field: str
    required: tuple[str, ...] = ()
    sample_rates: tuple[int, ...] = SAMPLE_RATES
    bitrates: tuple[int, ...] = BITRATES
    formats: tuple[str, ...] = FORMATS

    def enums(self) -> tuple[tuple[str, tuple], ...]:
        """Each field of the object with its allowed values."""
        return ((self.sample_rate_field, self.sample_rates), ("bitrate", self.bitrates), ("format", self.formats))

    @property
    def fields(self) -> tuple[str, ...]:
        """The fields the object may hold."""
        return tuple(name for name, _ in self.enums())


@dataclass(frozen=True)
class ModelContract:
    """What the provider accepts for one model.

    Attributes
    ----------
    id : str
        The ``model`` value (its schema's one-value enum).
    path : str
        The endpoint the body is sent to.
    source : str
        Where the schema is (repository@commit:path).
    strings : tuple of StringField
    reference : ReferenceField or None
    audio_setting : AudioSettingField or None
        None: the schema has no ``audio_setting`` (sending one is refused).
    flags : tuple of str
        Boolean fields.
    live : bool
        False for the retired music-01.
    integers : tuple of IntegerField
    answer : JobAnswer
        What its finished job answers.
    """

    id: str
    path: str
    source: str
    strings: tuple[StringField, ...]
    reference: ReferenceField | None = None
    audio_setting: AudioSettingField | None = None
    flags: tuple[str, ...] = ()
    live: bool = True
    integers: tuple[IntegerField, ...] = ()
    answer: JobAnswer = JobAnswer()

    @property
    def fields(self) -> frozenset[str]:
        """Every top-level field the schema lists."""
        names = {"model", *(s.name for s in self.strings), *self.flags, *(i.name for i in self.integers)}
        if self.reference is not None:
            names.add(self.reference.name)
        if self.audio_setting is not None:
            names.add("audio_setting")
        return frozenset(names)

    def string(self, role: str) -> StringField | None:
        """The string field holding ``role`` ("lyrics", "prompt", …), or None."""
        return next((s for s in self.strings if s.role == role), None)

    def integer(self, role: str) -> IntegerField | None:
        """The integer field holding ``role`` ("length_ms", "seed", …), or None."""
        return next((i for i in self.integers if i.role == role), None)


_JOBS = (
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/MiniMax/minimax-music.json:
    # required model, prompt, reference_audio_url; no audio_setting, no flags.
    ModelContract(
        id="minimax-music",
        path=JOB_PATH,
        source=_DOCS + "minimax-music.json",
        strings=(
            # The field is "prompt" but its description is "Lyrics with optional formatting" (newlines,
            # pauses, ##…## accompaniment): the engine sings it.
            # stricter than the schema: prose says "Maximum 600 characters" (minimax-music.json; the schema
            # has no maxLength): enforced, 600 UTF-16 code units.
            StringField("prompt", "lyrics", required=True, prose_max_length=600),
        ),
        # prose says "Must be a .wav or .mp3 file longer than 15 seconds" and names no Base64; see issue 22
        reference=ReferenceField(prose_ways=("url",)),
    ),
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/MiniMax/music-cover.json:
    # required model, prompt, reference_audio_url.
    ModelContract(
        id="minimax/music-cover",
        path=JOB_PATH,
        source=_DOCS + "music-cover.json",
        # prompt's prose "Length: 10–2000 characters" agrees with its schema; lyrics have no description.
        strings=(
            StringField("prompt", "prompt", required=True, min_length=10, max_length=2000),
            StringField("lyrics", "lyrics", min_length=10, max_length=3000),
        ),
        # prose says "A URL or a Base64-encoded of the reference audio", 6 s to 6 min, max 50 MB, mp3/wav/flac…;
        # the schema says only "format": "uri"; see issue 22
        reference=ReferenceField(prose_ways=("url", "base64")),
        audio_setting=AudioSettingField("sample_rate"),
    ),
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/MiniMax/music-2.6.json:
    # required model only.
    ModelContract(
        id="minimax/music-2.6",
        path=JOB_PATH,
        source=_DOCS + "music-2.6.json",
        strings=(
            # stricter than the schema: prose says "Length: 10–2000 characters" (music-2.6.json; the schema
            # has maxLength 2000 only): the minimum 10 is enforced.
            StringField("prompt", "prompt", max_length=2000, prose_min_length=10, prose_max_length=2000),
            # stricter than the schema: prose says "Length: 10–3000 characters" (music-2.6.json; the schema
            # has maxLength 3000 only): the minimum 10 is enforced.  And stricter than the schema (which
            # requires only model): is_instrumental's "When set to true, the lyrics field is not required"
            # and lyrics_optimizer's "When set to true and lyrics is empty, the system will automatically
            # generate lyrics from the prompt" (music-2.6.json) make lyrics required unless one of the
            # two is true.
            StringField(
                "lyrics",
                "lyrics",
                max_length=3000,
                prose_min_length=10,
                prose_max_length=3000,
                required_unless=("is_instrumental", "lyrics_optimizer"),
            ),
        ),
        audio_setting=AudioSettingField("audio_sample_rate"),
        flags=("is_instrumental", "lyrics_optimizer"),
    ),
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/MiniMax/music-2.0.json:
    # required model, prompt, lyrics.
    ModelContract(
        id="minimax/music-2.0",
        path=JOB_PATH,
        source=_DOCS + "music-2.0.json",
        # The prose ("Length: 10–2000" / "Length: 10–3000 characters") agrees with the schema.
        strings=(
            StringField("prompt", "prompt", required=True, min_length=10, max_length=2000),
            StringField("lyrics", "lyrics", required=True, min_length=10, max_length=3000),
        ),
        audio_setting=AudioSettingField("audio_sample_rate"),
    ),
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/MiniMax/music-1.5.json:
    # required model, prompt, lyrics.
    ModelContract(
        id="minimax/music-1.5",
        path=JOB_PATH,
        source=_DOCS + "music-1.5.json",
        # The prose ("Length: 10–300" / "Length: 10–3000 characters") agrees with the schema.
        strings=(
            StringField("prompt", "prompt", required=True, min_length=10, max_length=300),
            StringField("lyrics", "lyrics", required=True, min_length=10, max_length=3000),
        ),
        audio_setting=AudioSettingField("audio_sample_rate"),
    ),
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/elevenlabs/eleven_music.json:
    # required model, prompt.  No lyrics field (its prompt may hold them), no audio_setting.
    ModelContract(
        id="elevenlabs/eleven_music",
        path=JOB_PATH,
        source=_MUSIC + "elevenlabs/eleven_music.json",
        strings=(StringField("prompt", "prompt", required=True, max_length=2000),),
        integers=(
            IntegerField(
                "music_length_ms", "length_ms", minimum=10000, maximum=300000, default=10000, format="milliseconds"
            ),
        ),
        # eleven_music.md's example: {'id': '…:elevenlabs/eleven_music', 'status': 'completed', 'audio_file':
        # {'url': '….mp3'}} (only the url); its response schema's meta.usage: credits_used and usd_spent.
        answer=JobAnswer(format="mp3", file_fields=False, id_suffix="elevenlabs/eleven_music"),
    ),
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/Google/Lyria-2.json: required model, prompt.
    ModelContract(
        id="google/lyria2",
        path=JOB_PATH,
        source=_MUSIC + "Google/Lyria-2.json",
        strings=(
            # stricter than the schema: prose says "Maximum 600 characters" (Lyria-2.json's prompt description;
            # the schema has no maxLength): enforced, 600 UTF-16 code units.
            StringField("prompt", "prompt", required=True, prose_max_length=600),
            StringField("negative_prompt", "negative_prompt"),
        ),
        integers=(IntegerField("seed", "seed", minimum=0),),
        # lyria-2.md's example: id '…:lyria2', audio_file {url '….wav', content_type 'audio/wav', file_name
        # 'output.wav', file_size}; its response schema's meta.usage: credits_used only.
        answer=JobAnswer(
            format="wav", content_type="audio/wav", file_fields=True, usage=("credits_used",), id_suffix="lyria2"
        ),
    ),
    # aimlapi/api-docs f14fa72, docs/api-references/music-models/Stability-AI/stable-audio.json:
    # required model, prompt (no length limit).
    ModelContract(
        id="stable-audio",
        path=JOB_PATH,
        source=_MUSIC + "Stability-AI/stable-audio.json",
        strings=(StringField("prompt", "prompt", required=True),),
        integers=(
            IntegerField("seconds_start", "start_s", minimum=1, maximum=47),
            IntegerField("seconds_total", "length_s", minimum=1, maximum=47, default=30),
            IntegerField("steps", "steps", minimum=1, maximum=1000, default=100),
        ),
        # stable-audio.md's example: id '…:stable-audio', audio_file {url '….wav', content_type
        # 'application/octet-stream', file_name 'tmp….wav', file_size}; meta.usage: credits_used only.
        answer=JobAnswer(
            format="wav",
            content_type="application/octet-stream",
            file_fields=True,
            usage=("credits_used",),
            id_suffix="stable-audio",
        ),
    ),
)

#: The job models by id (the order the 400 message names them in).
JOB_CONTRACTS: dict[str, ModelContract] = {c.id: c for c in _JOBS}

# shared/api/music-01.openapi.json (GenerateRequest, AudioSetting) and shared/api/README.md:
# required model, lyrics.  (aimlapi/api-docs f14fa72 music-01.json has the same fields, but its
# lyrics carry no maxLength: the project's contract, with maxLength 600, is the one followed.)
MUSIC01 = ModelContract(
    id="music-01",
    path=GENERATE_PATH,
    source="shared/api/music-01.openapi.json#/components/schemas/GenerateRequest",
    strings=(
        StringField("lyrics", "lyrics", required=True, max_length=600),
        # prose says "At least one of refer_voice / refer_instrumental is required" (the schema requires
        # neither); see issue 22.  Without either, the upstream answers 2013 (invalid params).
        StringField("refer_voice", "voice_id"),
        StringField("refer_instrumental", "instrumental_id"),
    ),
    # The AudioSetting schema requires only "format"; README.md: "one version of the spec requires only
    # format, another all three".  A client must satisfy both versions, so the emulator holds it to the
    # stricter one.  audio_setting itself is optional in both (GenerateRequest.required: model, lyrics).
    audio_setting=AudioSettingField("sample_rate", required=("sample_rate", "bitrate", "format")),
    live=False,
)

# shared/api/music-01.openapi.json, UploadRequest.purpose.
UPLOAD_PURPOSES = ("song", "voice", "instrumental")

# Credits one generation reports (the emulator's own figures: the provider publishes no price per
# model; its one example of meta.usage.credits_used is 120,000 in music-2.6.json).  The three other
# vendors' figures are plausible, not published: 120,000 is their schemas' own example (= $0.06).
CREDITS = {
    "minimax-music": 126000,
    "minimax/music-cover": 84000,
    "minimax/music-2.6": 84000,
    "minimax/music-2.0": 63000,
    "minimax/music-1.5": 63000,
    "music-01": 630,
    "elevenlabs/eleven_music": 120000,
    "google/lyria2": 120000,
    "stable-audio": 84000,
}


def job_model_ids() -> list[str]:
    """The ``model`` values the job interface accepts, in order.

    Returns
    -------
    list of str
    """
    return list(JOB_CONTRACTS)


def contract_for(model_id: str) -> ModelContract:
    """The contract of ``model_id``: a job model, or the retired ``music-01``.

    Raises
    ------
    KeyError
        For a model the provider's reference does not describe.
    """
    if model_id == MUSIC01.id:
        return MUSIC01
    return JOB_CONTRACTS[model_id]


def _string_schema(spec: StringField) -> dict:
    out: dict = {"type": "string"}
    if spec.min_units is not None:
        out["minUnits"] = spec.min_units
    if spec.max_units is not None:
        out["maxUnits"] = spec.max_units
    if (spec.min_units, spec.max_units) != (spec.min_length, spec.max_length):

        def says(lo, hi):
            return f"{'' if lo is None else lo}–{'' if hi is None else hi}"

        schema, prose = says(spec.min_length, spec.max_length), says(spec.prose_min_length, spec.prose_max_length)
        out["$comment"] = f"stricter than the schema (schema {schema}, prose {prose}): the stricter of each bound"
    return out


def _integer_schema(spec: IntegerField) -> dict:
    out: dict = {"type": "integer"}
    out.update({k: v for k, v in (("minimum", spec.minimum), ("maximum", spec.maximum)) if v is not None})
    return out


def _audio_setting_schema(spec: AudioSettingField) -> dict:
    props = {
        name: {"type": "string" if isinstance(values[0], str) else "integer", "enum": list(values)}
        for name, values in spec.enums()
    }
    out = {"type": "object", "properties": props, "additionalProperties": False}
    if spec.required:
        out["required"] = list(spec.required)
    return out


def _required_unless(spec: StringField) -> dict:
    """``spec`` is required unless one of its switches is ``true``, as ``if`` / ``then``."""
    on = [{"properties": {f: {"const": True}}, "required": [f]} for f in spec.required_unless]
    return {
        "$comment": f"stricter than the schema: {spec.name} is required unless {' or '.join(spec.required_unless)} "
        "is true (the prose)",
        "if": {"not": {"anyOf": on}},
        "then": {"required": [spec.name]},
    }


def json_schema(model_id: str) -> dict:
    """The request body of ``model_id`` as JSON Schema (draft 2020-12), from the dataclasses above.

    The schema carries the model's properties, types, enums, integer bounds, ``required``,
    ``additionalProperties: false`` (at the top and in ``audio_setting``), the reference's
    ``format: uri`` and each "required unless" rule as ``if`` / ``then``.  String lengths are
    the custom keywords ``minUnits`` / ``maxUnits``: UTF-16 code units, as the provider's
    JavaScript gateway counts (an emoji such as U+1F3B5 counts 2).  JSON Schema's own
    ``minLength`` / ``maxLength`` count code points (the emoji counts 1), which is not what the
    gateway counts, so they are not used.  Check a body with :func:`validator`, which knows
    the two keywords; a validator that does not ignores them.

    Parameters
    ----------
    model_id : str
        A job model or ``music-01``.

    Returns
    -------
    dict
    """
    c = contract_for(model_id)
    props: dict = {"model": {"type": "string", "enum": [c.id]}}
    props.update({s.name: _string_schema(s) for s in c.strings})
    if c.reference is not None:
        props[c.reference.name] = {"type": "string", "format": c.reference.format}
    if c.audio_setting is not None:
        props["audio_setting"] = _audio_setting_schema(c.audio_setting)
    props.update({f: {"type": "boolean"} for f in c.flags})
    props.update({i.name: _integer_schema(i) for i in c.integers})
    required = ["model", *(s.name for s in c.strings if s.required), *(i.name for i in c.integers if i.required)]
    required += [c.reference.name] if c.reference is not None and c.reference.required else []
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{c.id} request body",
        "$comment": f"{c.source}; lengths in UTF-16 code units (minUnits / maxUnits)",
        "type": "object",
        "properties": props,
        "required": required,
        "additionalProperties": False,
    }
    rules = [_required_unless(s) for s in c.strings if s.required_unless]
    if rules:
        schema["allOf"] = rules
    return schema


def _units_keyword(bound: str):
    """A jsonschema keyword function checking a string's UTF-16 length against ``bound`` ("min" / "max")."""
    from jsonschema.exceptions import ValidationError  # lazy: test/dev dependency only (see validator)

    def check(validator, limit, instance, schema):
        if not validator.is_type(instance, "string"):
            return
        n = js_length(instance)
        if (bound == "min" and n < limit) or (bound == "max" and n > limit):
            side = "at least" if bound == "min" else "at most"
            yield ValidationError(f"{instance[:20]!r}… is {n} UTF-16 code units; {side} {limit} allowed")

    return check


@functools.cache
def validator_class():
    """``jsonschema.Draft202012Validator`` extended with ``minUnits`` / ``maxUnits`` (UTF-16 code units).

    jsonschema is imported here, not at the top: it is a test/dev dependency (it arrives with
    ``requirements-dev.txt``'s nbformat), not a runtime one, and the emulator validates with
    :mod:`.validation`, which needs nothing beyond the standard library.

    Returns
    -------
    type
        A jsonschema validator class (made once); instantiate it with :func:`json_schema`'s schema.
    """
    import jsonschema  # lazy: test/dev dependency only

    return jsonschema.validators.extend(
        jsonschema.Draft202012Validator,
        validators={"minUnits": _units_keyword("min"), "maxUnits": _units_keyword("max")},
    )


def validator(model_id: str):
    """A validator of :func:`validator_class` bound to ``model_id``'s :func:`json_schema`.

    It checks ``format: uri`` with the emulator's own rule (an absolute URI, :func:`is_uri`):
    jsonschema's own "uri" check needs an optional package and is off by default.

    Parameters
    ----------
    model_id : str

    Returns
    -------
    jsonschema.protocols.Validator
        Use ``.is_valid(body)`` / ``.iter_errors(body)``.
    """
    import jsonschema  # lazy: test/dev dependency only (see validator_class)

    checker = jsonschema.FormatChecker(formats=())
    checker.checks("uri")(lambda value: not isinstance(value, str) or is_uri(value))
    return validator_class()(json_schema(model_id), format_checker=checker)
