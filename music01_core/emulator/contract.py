"""The provider's own request contract per model, as data: what the emulator holds requests to.

The emulator imitates the provider, so it must not validate with our client-side model
table (:mod:`music01_core.models`): a wrong entry there would then pass every emulator
test.  Everything here is written from the provider's reference instead:

- the job models (``POST /v2/generate/audio``): the JSON request schemas in the public
  ``aimlapi/api-docs`` repository, commit ``f14fa72fbcea53f909372ad0975b079f4587c70b``
  (2026-08-21), folder ``docs/api-references/music-models/MiniMax/``;
- the retired music-01 (upload + generate): the project's contract
  ``shared/api/music-01.openapi.json`` and ``shared/api/README.md``.

Only what a JSON schema states is enforced: ``required``, ``type``, ``minLength`` /
``maxLength``, ``enum``, ``format``.  Where a field's prose description says more (a
length the schema does not carry, a field required only in words) the figure is kept as
``prose_*`` data for the client-table consistency test and marked
``# prose says …; see issue 22``: a later issue decides whether the emulator enforces it.

Two readings go beyond a bare JSON schema, on purpose:

- a field not listed in a model's schema is refused ("property … should not exist").  The
  schemas do not set ``additionalProperties: false``, but a misnamed field (``sample_rate``
  where a model takes ``audio_sample_rate``) would otherwise be dropped without a word and
  the client bug would pass; see issue 22;
- a required field is "present", as in JSON Schema: a present ``null`` is a type error,
  and an empty string passes where the schema has no ``minLength``.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..settings import GENERATE_PATH, JOB_PATH

__all__ = [
    "DOCS_COMMIT",
    "StringField",
    "ReferenceField",
    "AudioSettingField",
    "ModelContract",
    "JOB_CONTRACTS",
    "MUSIC01",
    "UPLOAD_PURPOSES",
    "CREDITS",
    "job_model_ids",
]

#: The commit of ``aimlapi/api-docs`` the job models' contracts are written from.
DOCS_COMMIT = "f14fa72fbcea53f909372ad0975b079f4587c70b"
_DOCS = "aimlapi/api-docs@f14fa72:docs/api-references/music-models/MiniMax/"

# The enums of ``audio_setting`` are the same in every MiniMax music schema (the five job
# models' files above and music-01.openapi.json's ``AudioSetting``).
SAMPLE_RATES = (16000, 24000, 32000, 44100)
BITRATES = (32000, 64000, 128000, 256000)
FORMATS = ("mp3", "wav", "pcm")


@dataclass(frozen=True)
class StringField:
    """One string field of a request body.

    Attributes
    ----------
    name : str
        The JSON field.
    role : {"lyrics", "prompt", "voice_id", "instrumental_id"}
        What the field holds, from its description; the emulator renders it as that.
    required : bool
        Listed in the schema's ``required``.
    min_length, max_length : int or None
        The schema's ``minLength`` / ``maxLength`` (enforced).
    prose_min_length, prose_max_length : int or None
        A bound only the description states (not enforced; issue 22).
    """

    name: str
    role: str
    required: bool = False
    min_length: int | None = None
    max_length: int | None = None
    prose_min_length: int | None = None
    prose_max_length: int | None = None


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
    """

    id: str
    path: str
    source: str
    strings: tuple[StringField, ...]
    reference: ReferenceField | None = None
    audio_setting: AudioSettingField | None = None
    flags: tuple[str, ...] = ()
    live: bool = True

    @property
    def fields(self) -> frozenset[str]:
        """Every top-level field the schema lists."""
        names = {"model", *(s.name for s in self.strings), *self.flags}
        if self.reference is not None:
            names.add(self.reference.name)
        if self.audio_setting is not None:
            names.add("audio_setting")
        return frozenset(names)

    def string(self, role: str) -> StringField | None:
        """The string field holding ``role`` ("lyrics", "prompt", …), or None."""
        return next((s for s in self.strings if s.role == role), None)


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
            # prose says "Maximum 600 characters" (the schema has no maxLength); see issue 22
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
            # prose says "Length: 10–2000 characters" (the schema has maxLength only); see issue 22
            StringField("prompt", "prompt", max_length=2000, prose_min_length=10, prose_max_length=2000),
            # prose says "Length: 10–3000 characters", and is_instrumental's "When set to true, the lyrics
            # field is not required" implies lyrics are required otherwise (the schema requires only
            # model); see issue 22
            StringField("lyrics", "lyrics", max_length=3000, prose_min_length=10, prose_max_length=3000),
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
        strings=(
            StringField("prompt", "prompt", required=True, min_length=10, max_length=300),
            StringField("lyrics", "lyrics", required=True, min_length=10, max_length=3000),
        ),
        audio_setting=AudioSettingField("audio_sample_rate"),
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
# model; its one example of meta.usage.credits_used is 120,000 in music-2.6.json).
CREDITS = {
    "minimax-music": 126000,
    "minimax/music-cover": 84000,
    "minimax/music-2.6": 84000,
    "minimax/music-2.0": 63000,
    "minimax/music-1.5": 63000,
    "music-01": 630,
}


def job_model_ids() -> list[str]:
    """The ``model`` values the job interface accepts, in order.

    Returns
    -------
    list of str
    """
    return list(JOB_CONTRACTS)
