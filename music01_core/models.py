"""The model table: what each MiniMax music model on the AI/ML API takes, as data.

Clip preparation, lyrics checks, the backends, the emulator, the CLI and the app all read
:data:`MODELS` instead of branching on model names.  Facts and sources:
``shared/api/live-models.md`` (the provider's public reference, ``aimlapi/api-docs``,
August 2026) and ``shared/api/README.md`` for the legacy music-01.

Two protocols exist:

- ``"music01"``: the legacy pair of synchronous calls (upload a reference for ids, then
  generate from lyrics + ids);
- ``"job"``: the asynchronous interface (``POST /v2/generate/audio`` → generation id →
  ``GET ?generation_id=`` until ``completed`` → download ``audio_file.url``).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from .errors import InputError

__all__ = [
    "Service",
    "SERVICES",
    "get_service",
    "ListPrice",
    "ClipLimits",
    "ReferenceSpec",
    "TextSpec",
    "AudioSettingSpec",
    "OptionSpec",
    "Model",
    "MODELS",
    "DEFAULT_MODEL",
    "LEGACY_MODEL",
    "get_model",
    "env_model",
    "model_in_use",
    "model_ids",
    "live_models",
    "model_label",
    "resolve_model",
    "default_model",
    "options_by_name",
]


@dataclass(frozen=True)
class Service:
    """A provider of models: who it is and which credential reaches it.

    Attributes
    ----------
    name : str
        The key the model rows name in ``Model.provider`` (``"aimlapi"``, ``"replicate"``).
    label : str
        Shown to people ("AI/ML API").
    token_envs : tuple of str
        Environment variables holding its credential, first one set wins.
    base_envs : tuple of str
        Environment variables that point it elsewhere (an emulator).
    default_base : str
        Its address: the host root (the adapters add ``/v1`` or ``/v2`` themselves).
    token_name : str
        What the service calls its credential ("API key", "API token").
    token_pattern : str
        A regular expression its credentials match, so a credential pasted in another
        service's box is recognised and refused there (it never travels to the wrong host).
    token_page : str
        Where people get one.
    default_model : str
        The row chosen when this is the only service with a credential.
    strict_shape : bool
        Refuse a credential that does not match ``token_pattern`` (unless the service is an
        emulator on this machine): one service's credential must never travel to another.
    token_prefix : str
        How its credentials begin, for messages ("r8_").
    catalogue_path : str or None
        Where it publishes its live model list, read with no key (:mod:`music01_core.catalogue`).
    """

    name: str
    label: str
    token_envs: tuple[str, ...]
    base_envs: tuple[str, ...]
    default_base: str
    token_name: str
    token_pattern: str
    token_page: str
    default_model: str
    strict_shape: bool = False
    token_prefix: str = ""
    catalogue_path: str | None = None


@dataclass(frozen=True)
class ListPrice:
    """A price the provider publishes, for a service whose answers carry no cost.

    Attributes
    ----------
    usd : str
        Dollars, as published.
    per : str
        What it is charged for ("output file").
    source : str
        Where it was read.
    as_of : str
        When it was read (ISO date): a list price changes without notice.
    """

    usd: str
    per: str
    source: str
    as_of: str

    def describe(self) -> str:
        """What people read: ``list price $0.035 per output file (source; read on date)``."""
        return f"list price ${self.usd} per {self.per} ({self.source}; read on {self.as_of})"


@dataclass(frozen=True)
class ClipLimits:
    """Length bounds of a reference, in seconds, as the provider states them.

    Attributes
    ----------
    min_s, max_s : float
        The provider's bounds.
    min_exclusive : bool
        True when the reference must be *longer than* ``min_s`` (music-01: "longer than 10 s").
    margin_s : float
        How far music01 keeps inside both bounds, since decoders disagree by tens of ms.
    """

    min_s: float
    max_s: float
    min_exclusive: bool = True
    margin_s: float = 0.25

    @property
    def safe_min_s(self) -> float:
        """The shortest length music01 writes (bound plus margin)."""
        return self.min_s + self.margin_s

    @property
    def safe_max_s(self) -> float:
        """The longest length music01 writes (bound minus margin)."""
        return self.max_s - self.margin_s

    def accepts(self, duration_s: float) -> bool:
        """Whether the provider's own bounds accept ``duration_s`` (no margin)."""
        above = duration_s > self.min_s if self.min_exclusive else duration_s >= self.min_s
        return above and duration_s <= self.max_s


@dataclass(frozen=True)
class ReferenceSpec:
    """What reference audio a model takes.

    Attributes
    ----------
    ways : tuple of {"upload", "files", "url", "base64"}
        ``upload``: music-01's upload endpoint (a local file, for ids); ``files``: the adapter
        sends the local file itself (Replicate's Files API, or a small data URI); ``url``: an
        http(s) URL the provider fetches; ``base64``: the audio itself inside the request.
        Empty: no reference.
    limits : ClipLimits or None
    formats : tuple of str
        Containers the provider accepts (checked by decoding, not by name).
    max_bytes : int or None
        Largest reference the provider accepts.
    api_field : str
        The request field that carries it (job protocol).
    content : tuple of {"music", "vocals"}
        What the provider says the reference should hold; the app compares a reference's
        analysis with it before anything is sent.
    purpose_fields : tuple of (str, str)
        For a model whose request names what the reference is (music-01 on Replicate):
        each purpose (``song``, ``voice``, ``instrumental``) and the field that carries it.
    """

    ways: tuple[str, ...] = ()
    limits: ClipLimits | None = None
    formats: tuple[str, ...] = ("mp3", "wav")
    max_bytes: int | None = None
    api_field: str = "reference_audio_url"
    content: tuple[str, ...] = ()
    purpose_fields: tuple[tuple[str, str], ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.ways)

    @property
    def local_file(self) -> bool:
        """Whether a file on this computer reaches the provider as it is (its own upload)."""
        return "upload" in self.ways or "files" in self.ways

    def field_for(self, purpose: str) -> str:
        """The request field of a reference with ``purpose`` (``api_field`` for a model without purposes)."""
        if not self.purpose_fields:
            return self.api_field
        fields = dict(self.purpose_fields)
        if purpose not in fields:
            raise InputError(f"the reference's purpose must be one of {', '.join(fields)}, not {purpose!r}.")
        return fields[purpose]


@dataclass(frozen=True)
class TextSpec:
    """One text field of a model.

    Attributes
    ----------
    api_field : str
        The JSON field it is sent in (``minimax-music`` sends its lyrics as ``prompt``).
    label : str
        What people call it ("lyrics", "style prompt").
    min_chars, max_chars : int
        Length bounds after cleaning, counted as the provider counts them: in UTF-16 code
        units (its gateway is JavaScript), so an emoji counts two
        (:func:`music01_core.lyrics.provider_length`).  ``min_chars`` 1 means "not empty".
    required : bool
        Listed in the schema's ``required``.
    required_unless : tuple of str
        Flags (``Model.flags``) without one of which the field is needed even though the
        schema does not require it: music-2.6's lyrics are optional only "when
        is_instrumental is true", and ``lyrics_optimizer`` writes them "when set to true and
        lyrics is empty".
    style : {"music01", "tags", "prose"}
        ``music01``: ``\\n`` lines, ``\\n\\n`` pauses, ``##…##`` accompaniment;
        ``tags``: lines with structure tags ``[Verse]``, ``[Chorus]``…; ``prose``: free text.
    """

    api_field: str
    label: str
    min_chars: int
    max_chars: int
    required: bool = True
    style: str = "prose"
    required_unless: tuple[str, ...] = ()
    #: Said with a "too long" error when the provider's own words leave the limit open.
    limit_note: str = ""

    @property
    def need(self) -> str:
        """How much it is needed, for menus: "" (required), " (optional)", or " (optional with …)"."""
        if self.required_unless:
            names = (f.removeprefix("is_").replace("_", " ") for f in self.required_unless)
            return f" (optional with {' or '.join(names)})"
        return "" if self.required else " (optional)"


@dataclass(frozen=True)
class AudioSettingSpec:
    """The output settings a model takes.

    Attributes
    ----------
    sample_rate_field : str
        The rate's name (``audio_sample_rate`` for the AI/ML API's music-2.x models).
    send_all : bool
        music-01: one spec version requires all three, so all three are sent.
    nested : bool
        Sent as one ``audio_setting`` object (the AI/ML API) or as top-level fields (Replicate).
    format_field : str or None
        The format's name when sent as top-level fields; None when the model takes no format.
    """

    sample_rate_field: str = "sample_rate"
    send_all: bool = True
    nested: bool = True
    format_field: str | None = "format"


@dataclass(frozen=True)
class OptionSpec:
    """One field a model takes beyond its text, reference, output settings and switches: a length, a seed…

    The same ``name`` means the same thing on every model that takes it, in the same unit, so one
    control serves them all (a "length" in seconds for ElevenLabs' milliseconds and Stable Audio's
    seconds alike); ``api_field`` and ``scale`` say how each model's provider wants it.  Checked once,
    by :func:`music01_core.options.check_options` (``Client.prepare``), and sent by the adapter under
    ``api_field``: a model with a new field needs a new row, no new code.

    Attributes
    ----------
    name : str
        What people and code call it, its unit in the name (``duration_s``, ``start_s``, ``seed``,
        ``steps``, ``negative_prompt``): ``MusicRequest.options`` and ``--option NAME=VALUE`` use it.
    api_field : str
        The request field it is sent as (``music_length_ms``, ``seconds_total``…).
    label : str
        Shown to people ("length", "negative prompt").
    kind : {"int", "text"}
        ``int``: a number, sent as the whole number ``value × scale``; ``text``: a string, cleaned
        of invisible characters and counted as the provider counts (UTF-16 code units).
    minimum, maximum : int or float or None
        Bounds of the value people give, in ``unit`` (None: no bound on that side).
    default : int or float or None
        What the provider uses when the field is left out (its schema's ``default``), in ``unit``;
        None: it states none.  music01 never sends a default of its own.
    scale : int
        The provider's value is ``value × scale`` (1000: seconds sent as milliseconds).
    unit : str
        The unit of the value people give ("s"; "" for a count or a text).
    help : str
        One line: what it does, in the provider's words where it has some.
    max_chars : int or None
        ``text`` only: the longest text, counted as the provider counts.
    request_attr : str or None
        A :class:`~music01_core.types.MusicRequest` attribute that fills it when the option is not
        given, and that the :class:`~music01_core.types.Job` carries too (``seed``: the request's seed
        reaches a model whose API takes one, and the offline engine, the same).
    limit_note : str
        Said with an out-of-range error when a bound is music01's own or read from prose.
    """

    name: str
    api_field: str
    label: str
    kind: str = "int"
    minimum: int | float | None = None
    maximum: int | float | None = None
    default: int | float | None = None
    scale: int = 1
    unit: str = ""
    help: str = ""
    max_chars: int | None = None
    request_attr: str | None = None
    limit_note: str = ""

    def range_words(self) -> str:
        """ "10–300 s (default 10 s)", "0 or more", "up to 600 characters": for menus and errors."""
        unit = f" {self.unit}" if self.unit else ""
        if self.kind == "text":
            return f"up to {self.max_chars} characters" if self.max_chars else "any text"
        lo, hi = _num(self.minimum), _num(self.maximum)
        if lo and hi:
            said = f"{lo}–{hi}{unit}"
        elif lo:
            said = f"{lo}{unit} or more"
        elif hi:
            said = f"up to {hi}{unit}"
        else:
            said = f"any whole number{unit}"
        return said + (f" (default {_num(self.default)}{unit})" if self.default is not None else "")

    def to_api(self, value):
        """The provider's value of a checked ``value`` (``value × scale``, a whole number for ``int``)."""
        return value if self.kind == "text" else round(value * self.scale)

    def from_api(self, value):
        """The value people give, from the provider's (the inverse of :meth:`to_api`)."""
        if self.kind == "text" or self.scale == 1:
            return value
        out = value / self.scale
        return int(out) if float(out).is_integer() else out


def _num(value) -> str:
    """A bound as people read it: ``10``, ``12.5``, ``4294967295`` ("" for None)."""
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Model:
    """One music model.

    Attributes
    ----------
    id : str
        The ``model`` value sent to the API.
    label : str
    status : {"live", "legacy"}
        ``legacy``: retired by the provider; still selectable for anyone still served and
        for the emulator.
    replacement : str or None
        What to choose instead when it is not live.
    protocol : {"music01", "job"}
        How the provider is spoken to; with ``provider`` it names the adapter that serves
        the model (:func:`music01_core.providers.adapter_name`).
    provider : str
        Who serves it: a key of :data:`SERVICES` (``"aimlapi"``: the AI/ML API), or a name
        with no credential (a test's toy provider).
    api_id : str
        The model's name at its provider ("" = ``id``): two rows may name the same model at
        two providers, and ``id`` keeps the rows apart.
    version : str or None
        The provider's pinned version of the model, when it has versions (Replicate).
    list_price : ListPrice or None
        The published price, for a provider whose answers carry no cost.
    sings_from_prompt : bool
        A model with no lyrics field that sings lyrics written inside its prompt (ElevenLabs).
    reference : ReferenceSpec
    lyrics, prompt : TextSpec or None
        The lyrics field and the style-prompt field.
    audio_setting : AudioSettingSpec or None
    flags : tuple of str
        Boolean request fields the model takes (``is_instrumental``, ``lyrics_optimizer``).
    options : tuple of OptionSpec
        Its other fields (a length, a seed, a negative prompt…), as data (:class:`OptionSpec`).
    returns : tuple of str
        Audio formats the provider can return (``audio_setting.format``'s enum, or what its
        reference shows for a model without settings); the first is what it returns by default.
    expected_s : float
        How long a generation usually takes at the provider.
    summary : str
        One line for menus and ``music01 models``.
    """

    id: str
    label: str
    status: str
    protocol: str
    reference: ReferenceSpec
    lyrics: TextSpec | None
    prompt: TextSpec | None
    audio_setting: AudioSettingSpec | None
    summary: str
    replacement: str | None = None
    provider: str = "aimlapi"
    flags: tuple[str, ...] = ()
    options: tuple[OptionSpec, ...] = ()
    # The enum of audio_setting.format in every music model's schema (aimlapi/api-docs f14fa72,
    # docs/api-references/music-models/MiniMax/*.json).
    returns: tuple[str, ...] = ("mp3", "wav", "pcm")
    expected_s: float = 60.0
    retired_on: str | None = None
    notes: tuple[str, ...] = field(default=())
    api_id: str = ""
    version: str | None = None
    list_price: ListPrice | None = None
    sings_from_prompt: bool = False

    @property
    def remote_id(self) -> str:
        """The ``model`` its provider knows it by."""
        return self.api_id or self.id

    @property
    def family(self) -> str:
        """The MiniMax model it is, whoever serves it (``music-01``, ``music-2.6``…)."""
        return self.remote_id.removeprefix("minimax/")

    @property
    def live(self) -> bool:
        return self.status == "live"

    @property
    def takes_reference(self) -> bool:
        return self.reference.required

    @property
    def takes_purpose(self) -> bool:
        """Whether its reference is a song, a voice or an instrumental, as the person says (music-01)."""
        return "upload" in self.reference.ways or bool(self.reference.purpose_fields)

    @property
    def gives_ids(self) -> bool:
        """Whether an upload of its reference answers ids that later requests reuse (music-01 on the AI/ML API)."""
        return "upload" in self.reference.ways

    def option(self, name: str) -> OptionSpec | None:
        """Its :class:`OptionSpec` called ``name``, or None when it takes no such option."""
        return next((o for o in self.options if o.name == name), None)

    def option_values(self, sent: dict | None) -> dict:
        """The options of a request body as people give them: ``{api_field: value}`` → ``{name: value}``."""
        sent = sent or {}
        return {o.name: o.from_api(sent[o.api_field]) for o in self.options if o.api_field in sent}

    @property
    def wraps_accompaniment(self) -> bool:
        """Whether its lyrics use music-01's ``##…##`` accompaniment wrap."""
        return self.lyrics is not None and self.lyrics.style == "music01"

    def to_dict(self) -> dict:
        """A JSON-ready description (``music01 models --json``)."""
        d = asdict(self)
        d["live"] = self.live
        return d


#: The services that serve the rows below, and the credential each needs.
SERVICES: dict[str, Service] = {
    s.name: s
    for s in (
        Service(
            name="aimlapi",
            label="AI/ML API",
            token_envs=("AIML_API_KEY", "AIMLAPI_API_KEY"),
            base_envs=("AIML_API_BASE", "AIMLAPI_API_BASE"),
            default_base="https://api.aimlapi.com",
            token_name="API key",
            # The dashboard's keys are 32 hex characters.
            token_pattern=r"^[0-9a-f]{32}$",
            token_page="https://aimlapi.com/app/keys",
            default_model="minimax-music",
            # complete-model-list.md (aimlapi/api-docs f14fa72): GET /v1/models, no key needed.
            catalogue_path="/v1/models",
        ),
        Service(
            name="replicate",
            label="Replicate",
            # replicate-python client.py: REPLICATE_API_TOKEN, and REPLICATE_BASE_URL for another host
            # (shared/api/replicate.md §1).
            token_envs=("REPLICATE_API_TOKEN",),
            base_envs=("REPLICATE_BASE_URL",),
            default_base="https://api.replicate.com",
            token_name="API token",
            token_pattern=r"^r8_[A-Za-z0-9]{20,}$",
            token_page="https://replicate.com/account/api-tokens",
            default_model="replicate/minimax/music-01",
            # Every token Replicate issues starts r8_ (replicate.md §1): anything else was meant for elsewhere.
            strict_shape=True,
            token_prefix="r8_",
        ),
    )
}

_MUSIC01_LYRICS = TextSpec("lyrics", "lyrics", 1, 600, style="music01")
# Replicate's MiniMax models take their settings as top-level fields (shared/api/replicate.md §7).
_REPLICATE_MP3 = AudioSettingSpec("sample_rate", nested=False, format_field="audio_format")
_REPLICATE_SOURCE = "replicate.com's model page as a third party quotes it, unconfirmed"
# music-2.0.json and music-1.5.json (aimlapi/api-docs f14fa72): lyrics minLength 10, maxLength 3000, required.
_TAG_LYRICS = TextSpec("lyrics", "lyrics", 10, 3000, style="tags")

MODELS: dict[str, Model] = {
    m.id: m
    for m in (
        Model(
            id="minimax-music",
            label="MiniMax Music (reference + lyrics)",
            status="live",
            protocol="job",
            # "Reference song, should contain music and vocals" (its reference page).
            reference=ReferenceSpec(
                ways=("url",), limits=ClipLimits(15.0, 600.0), formats=("mp3", "wav"), content=("music", "vocals")
            ),
            # Its lyrics travel in "prompt", in music-01's own format and limit: minimax-music.json
            # (aimlapi/api-docs f14fa72) says "Maximum 600 characters" in prose and has no length bound.
            lyrics=TextSpec("prompt", "lyrics", 1, 600, style="music01"),
            prompt=None,
            audio_setting=None,
            # No audio_setting in its schema; its reference's example answer is
            # "content_type": "audio/mpeg" (minimax-music-[legacy].md, aimlapi/api-docs f14fa72).
            returns=("mp3",),
            summary="music-01's successor: a reference track (URL, WAV/MP3 over 15 s) + lyrics (≤ 600, ##…##).",
            notes=(
                "The reference should contain music and vocals.",
                "The upper length bound is not documented; music01 keeps music-01's 10 minutes.",
            ),
        ),
        Model(
            id="minimax/music-cover",
            label="MiniMax Music Cover (reference + style)",
            status="live",
            protocol="job",
            reference=ReferenceSpec(
                ways=("url", "base64"),
                limits=ClipLimits(6.0, 360.0, min_exclusive=False),
                formats=("mp3", "wav", "flac", "ogg", "m4a"),
                max_bytes=50 * 1024 * 1024,
            ),
            # music-cover.json (aimlapi/api-docs f14fa72): prompt minLength 10, maxLength 2000, required
            # (prose: "Length: 10–2000 characters"); lyrics minLength 10, maxLength 3000, optional.
            lyrics=TextSpec("lyrics", "lyrics", 10, 3000, required=False, style="tags"),
            prompt=TextSpec("prompt", "style prompt", 10, 2000),
            audio_setting=AudioSettingSpec("sample_rate"),
            summary="a cover of a reference (URL or Base64, 6 s–6 min, ≤ 50 MB) in a described style; new lyrics "
            "optional.",
            notes=("The provider's model card says 'Coming Soon'.",),
        ),
        Model(
            id="minimax/music-2.6",
            label="MiniMax Music 2.6 (prompt + lyrics)",
            status="live",
            protocol="job",
            reference=ReferenceSpec(),
            # music-2.6.json (aimlapi/api-docs f14fa72): the schema has maxLength only and requires only
            # "model"; the prose says "Length: 10–3000 characters" (lyrics) and "Length: 10–2000 characters"
            # (prompt), is_instrumental "When set to true, the lyrics field is not required", lyrics_optimizer
            # generates lyrics "When set to true and lyrics is empty": the stricter reading is followed.
            lyrics=TextSpec(
                "lyrics",
                "lyrics",
                10,
                3000,
                required=False,
                style="tags",
                required_unless=("is_instrumental", "lyrics_optimizer"),
            ),
            prompt=TextSpec("prompt", "style prompt", 10, 2000, required=False),
            audio_setting=AudioSettingSpec("audio_sample_rate"),
            flags=("is_instrumental", "lyrics_optimizer"),
            summary="text to music: a style prompt and lyrics with [Verse]/[Chorus] tags; instrumental or "
            "lyrics-writing switches.",
        ),
        Model(
            id="minimax/music-2.0",
            label="MiniMax Music 2.0 (prompt + lyrics)",
            status="live",
            protocol="job",
            reference=ReferenceSpec(),
            lyrics=_TAG_LYRICS,
            # music-2.0.json: prompt minLength 10, maxLength 2000, required.
            prompt=TextSpec("prompt", "style prompt", 10, 2000),
            audio_setting=AudioSettingSpec("audio_sample_rate"),
            summary="text to music: a style prompt (10–2000) and lyrics (10–3000).",
        ),
        Model(
            id="minimax/music-1.5",
            label="MiniMax Music 1.5 (prompt + lyrics)",
            status="live",
            protocol="job",
            reference=ReferenceSpec(),
            lyrics=_TAG_LYRICS,
            # music-1.5.json: prompt minLength 10, maxLength 300, required.
            prompt=TextSpec("prompt", "style prompt", 10, 300),
            audio_setting=AudioSettingSpec("audio_sample_rate"),
            summary="text to music: a short style prompt (10–300) and lyrics (10–3000).",
        ),
        # --- other vendors' music models on the AI/ML API: the same job interface ---------------------
        # aimlapi/api-docs f14fa72, docs/api-references/music-models/{elevenlabs,Google,Stability-AI}/:
        # the same POST /v2/generate/audio and poll (universal-audio-fetch.json) as the MiniMax job models.
        Model(
            id="elevenlabs/eleven_music",
            label="ElevenLabs Eleven Music (prompt, lyrics inside it)",
            status="live",
            protocol="job",
            sings_from_prompt=True,
            reference=ReferenceSpec(),
            # elevenlabs/eleven_music.json: required model, prompt; prompt maxLength 2000 (no minLength). No
            # lyrics field: the prompt may "provide custom lyrics directly in the prompt".
            lyrics=None,
            prompt=TextSpec("prompt", "prompt", 1, 2000),
            audio_setting=None,
            # music_length_ms: integer, minimum 10000, maximum 300000, default 10000, format "milliseconds".
            options=(
                OptionSpec(
                    "duration_s",
                    "music_length_ms",
                    "length",
                    minimum=10,
                    maximum=300,
                    default=10,
                    scale=1000,
                    unit="s",
                    help="the length of the song; the provider says it 'may not always be respected by the model'",
                ),
            ),
            # No format field; eleven_music.md's example answer links an .mp3 (and gives no content_type).
            returns=("mp3",),
            # eleven_music.md: "for simple prompts it rarely exceeds 30 seconds".
            expected_s=30.0,
            summary="text to music: one prompt (≤ 2000) for genre, mood, instruments, structure — and lyrics, "
            "written inside it; 10 s–5 min.",
            notes=(
                "No lyrics field: write any lyrics inside the prompt (its reference: 'provide custom lyrics "
                "directly in the prompt').",
                "The provider says the length 'may not always be respected by the model'.",
            ),
        ),
        Model(
            id="google/lyria2",
            label="Google Lyria 2 (prompt, negative prompt, seed)",
            status="live",
            protocol="job",
            reference=ReferenceSpec(),
            # Google/Lyria-2.json: required model, prompt. The schema gives prompt no length; its description
            # (copied from music-01's lyrics) says "Maximum 600 characters": the stricter reading is followed
            # (issue 22). Both of lyria-2.md's examples send a description of the music, so it is one here.
            lyrics=None,
            prompt=TextSpec(
                "prompt",
                "style prompt",
                1,
                600,
                limit_note="Lyria-2.json's schema gives the prompt no maximum; its description says 'Maximum 600 "
                "characters', and music01 keeps to it, the stricter reading",
            ),
            audio_setting=None,
            options=(
                # negative_prompt: string, no length given.
                OptionSpec(
                    "negative_prompt",
                    "negative_prompt",
                    "negative prompt",
                    kind="text",
                    max_chars=600,
                    help="a description of what to exclude from the generated audio",
                    limit_note="the reference gives the negative prompt no maximum; music01 keeps it to the "
                    "prompt's 600",
                ),
                # seed: integer, minimum 0: "If provided, the model will attempt to produce the same audio given
                # the same prompt and other parameters."
                OptionSpec(
                    "seed",
                    "seed",
                    "seed",
                    minimum=0,
                    maximum=2**32 - 1,
                    help="the same seed, prompt and options give the same audio (as far as the model can)",
                    request_attr="seed",
                    limit_note="the reference gives the seed no maximum; music01 keeps it to 32 bits",
                ),
            ),
            # lyria-2.md's example answer: 'content_type': 'audio/wav', 'file_name': 'output.wav'.
            returns=("wav",),
            # lyria-2.md: "generation can be completed in 30-40 seconds or take a bit more".
            expected_s=40.0,
            summary="text to music: a description of the music (≤ 600), with an optional negative prompt and "
            "seed; WAV.",
            notes=(
                "Its reference's prompt description is music-01's lyrics text, but its examples send a "
                "description of the music: music01 sends the prompt as one.",
            ),
        ),
        Model(
            id="stable-audio",
            label="Stable Audio (prompt, up to 47 s)",
            status="live",
            protocol="job",
            reference=ReferenceSpec(),
            # Stability-AI/stable-audio.json: required model, prompt ("The prompt to generate audio."), with no
            # length limit: music01 keeps to 2000, the longest prompt the provider's other music models take.
            lyrics=None,
            prompt=TextSpec(
                "prompt",
                "style prompt",
                1,
                2000,
                limit_note="stable-audio.json gives the prompt no length limit; music01 keeps to 2000, the "
                "longest prompt the provider's other music models take",
            ),
            audio_setting=None,
            # seconds_total 1–47 default 30, seconds_start 1–47 (no default), steps 1–1000 default 100; integers.
            options=(
                OptionSpec(
                    "duration_s",
                    "seconds_total",
                    "length",
                    minimum=1,
                    maximum=47,
                    default=30,
                    unit="s",
                    help="the duration of the audio clip to generate",
                ),
                OptionSpec(
                    "start_s",
                    "seconds_start",
                    "start",
                    minimum=1,
                    maximum=47,
                    unit="s",
                    help="the start point of the audio clip to generate",
                ),
                OptionSpec(
                    "steps",
                    "steps",
                    "denoising steps",
                    minimum=1,
                    maximum=1000,
                    default=100,
                    help="the number of steps to denoise the audio (more: slower, finer)",
                ),
            ),
            # stable-audio.md's example answer: a .wav labelled 'application/octet-stream' (the bytes tell).
            returns=("wav",),
            # stable-audio.md's example: queued, then generating for about 40 s of 10-second polls.
            expected_s=40.0,
            summary="text to sound and music: a prompt, a length of 1–47 s, and denoising steps; WAV.",
            notes=(
                "Its reference's Python and JavaScript examples send model 'elevenlabs/eleven_music' by mistake; "
                "music01 follows its JSON schema.",
            ),
        ),
        Model(
            id="music-01",
            label="music-01 (legacy: upload + generate)",
            status="legacy",
            protocol="music01",
            reference=ReferenceSpec(ways=("upload",), limits=ClipLimits(10.0, 600.0), formats=("mp3", "wav")),
            lyrics=_MUSIC01_LYRICS,
            prompt=None,
            audio_setting=AudioSettingSpec("sample_rate"),
            replacement="minimax-music",
            retired_on="2026-08-17",
            expected_s=60.0,
            summary="retired by the provider in August 2026: upload a reference for ids, then generate from lyrics.",
        ),
        # --- Replicate (shared/api/replicate.md §7; its sources [M1]–[M7], [X]) -------------------
        Model(
            id="replicate/minimax/music-01",
            api_id="minimax/music-01",
            # "Updated 6/8/2026" [M2][M3]: pinned for the version route, used when the model route is refused.
            version="0254c7e2f54315b667dbae03da7c155822ba29ffe0457be5bc246d564be486bd",
            label="music-01 · Replicate (reference + lyrics)",
            status="live",
            provider="replicate",
            protocol="prediction",
            # song_file / voice_file / instrumental_file: ".wav/.mp3 > 15 s" [M3]; no upper bound is
            # given, so music01 keeps music-01's 10 minutes.
            reference=ReferenceSpec(
                ways=("files", "url"),
                limits=ClipLimits(15.0, 600.0),
                formats=("mp3", "wav"),
                # The Files API answers 413 "if ≥ 100 MB" [O]: a 10-minute WAV is over it, so it is refused here.
                max_bytes=100 * 2**20 - 1,
                purpose_fields=(("song", "song_file"), ("voice", "voice_file"), ("instrumental", "instrumental_file")),
            ),
            # "Maximum 350 to 400 characters" [M3] (the readme says 400 [M1]): the stricter bound.
            lyrics=TextSpec(
                "lyrics",
                "lyrics",
                1,
                350,
                style="music01",
                limit_note="Replicate's page says 'Maximum 350 to 400 characters'; music01 keeps to 350, the stricter.",
            ),
            prompt=None,
            # sample_rate 16000/24000/32000/44100, bitrate 32000…256000 [N][M2]; no format field: one MP3 [M1].
            audio_setting=AudioSettingSpec("sample_rate", nested=False, format_field=None),
            returns=("mp3",),
            list_price=ListPrice("0.035", "output file", _REPLICATE_SOURCE, "2026-12-06"),
            summary="the original music-01 on Replicate: a reference (song, voice or instrumental; WAV/MP3 over "
            "15 s) + lyrics (≤ 350, ##…##).",
            notes=(
                "Replicate returns no voice or instrumental ids: the reference is sent with every request.",
                "Replicate keeps inputs and outputs for one hour.",
            ),
        ),
        Model(
            id="replicate/minimax/music-1.5",
            api_id="minimax/music-1.5",
            label="music-1.5 · Replicate (prompt + lyrics)",
            status="live",
            provider="replicate",
            protocol="prediction",
            reference=ReferenceSpec(),
            # prompt 10–300, lyrics 10–600, audio_format mp3 [M5].
            lyrics=TextSpec("lyrics", "lyrics", 10, 600, style="tags"),
            prompt=TextSpec("prompt", "style prompt", 10, 300),
            audio_setting=_REPLICATE_MP3,
            returns=("mp3",),
            list_price=ListPrice("0.03", "output file", _REPLICATE_SOURCE, "2026-12-06"),
            summary="text to music on Replicate: a style prompt (10–300) and lyrics (10–600).",
        ),
        Model(
            id="replicate/minimax/music-2.5",
            api_id="minimax/music-2.5",
            label="music-2.5 · Replicate (prompt + lyrics)",
            status="live",
            provider="replicate",
            protocol="prediction",
            reference=ReferenceSpec(),
            # lyrics 1–3500, prompt 0–2000 (no default: sent, empty when none is given), the same audio
            # fields as music-1.5 [M6].
            lyrics=TextSpec("lyrics", "lyrics", 1, 3500, style="tags"),
            prompt=TextSpec("prompt", "style prompt", 0, 2000, required=False),
            audio_setting=_REPLICATE_MP3,
            returns=("mp3",),
            summary="text to music on Replicate: lyrics (≤ 3500) and an optional style prompt (≤ 2000).",
        ),
        Model(
            id="replicate/minimax/music-2.6",
            api_id="minimax/music-2.6",
            label="music-2.6 · Replicate (prompt + lyrics)",
            status="live",
            provider="replicate",
            protocol="prediction",
            reference=ReferenceSpec(),
            # music-2.5's fields plus is_instrumental, lyrics_optimizer and audio_format mp3/wav/pcm [M7][M2'];
            # its page states no text bounds of its own, so music-2.5's are kept.
            lyrics=TextSpec(
                "lyrics",
                "lyrics",
                1,
                3500,
                required=False,
                style="tags",
                required_unless=("is_instrumental", "lyrics_optimizer"),
            ),
            prompt=TextSpec("prompt", "style prompt", 1, 2000, required=False),
            audio_setting=_REPLICATE_MP3,
            flags=("is_instrumental", "lyrics_optimizer"),
            returns=("mp3", "wav", "pcm"),
            list_price=ListPrice("0.15", "output file", _REPLICATE_SOURCE, "2026-12-06"),
            summary="text to music on Replicate: lyrics with [Verse]/[Chorus] tags and a style prompt; "
            "instrumental or lyrics-writing switches.",
        ),
    )
}

#: The model used when none is chosen.
DEFAULT_MODEL = "minimax-music"
#: The retired model the project began with.
LEGACY_MODEL = "music-01"


def get_model(model_id: str | Model | None = None) -> Model:
    """The :class:`Model` for ``model_id`` (default :data:`DEFAULT_MODEL`).

    Raises
    ------
    InputError
        For an unknown id, naming the ones there are.
    """
    if isinstance(model_id, Model):
        return model_id
    key = (model_id or DEFAULT_MODEL).strip()
    if key in MODELS:
        return MODELS[key]
    # People type "music-2.6" for "minimax/music-2.6".
    if f"minimax/{key}" in MODELS:
        return MODELS[f"minimax/{key}"]
    # A model only one provider serves, by its own name ("music-2.5", "minimax/music-2.5").
    served = [m for m in MODELS.values() if key in (m.remote_id, m.family)]
    if len(served) == 1:
        return served[0]
    raise InputError(f"unknown model {model_id!r}: choose one of {', '.join(MODELS)} (`music01 models` lists them).")


def env_model() -> Model | None:
    """The model ``MUSIC01_MODEL`` names (a room's choice for every entry point), or None when unset.

    Raises
    ------
    InputError
        For an unknown id, naming the variable so the typo can be found.
    """
    import os

    from .settings import ENV_MODEL

    raw = os.environ.get(ENV_MODEL, "").strip()
    if not raw:
        return None
    try:
        return get_model(raw)
    except InputError as exc:
        raise InputError(f"{ENV_MODEL}: {exc} Fix or unset the variable.") from exc


def model_in_use(model_id: str | Model | None = None) -> Model:
    """The model a command will use: ``model_id`` when given, else ``MUSIC01_MODEL``, else :data:`DEFAULT_MODEL`.

    Everything that checks a reference or text before a generate (``prepare``, the
    lyrics check, the app's length check) asks this, so that what passes there also
    passes when the piece is made.
    """
    if model_id is not None:
        return get_model(model_id)
    return env_model() or get_model(DEFAULT_MODEL)


def model_ids(*, live_only: bool = False) -> list[str]:
    """Model ids in table order (live first, legacy last)."""
    return [m.id for m in MODELS.values() if m.live or not live_only]


def live_models() -> list[Model]:
    """The models the provider still serves."""
    return [m for m in MODELS.values() if m.live]


def get_service(name: str) -> Service | None:
    """The :class:`Service` called ``name``, or None for a provider that needs no credential."""
    return SERVICES.get(name)


def model_label(model_id: str | Model) -> str:
    """The row's label, with its provider when another provider serves the same model ("… · AI/ML API")."""
    m = get_model(model_id)
    twins = [x for x in MODELS.values() if x.family == m.family and x.provider != m.provider]
    service = get_service(m.provider)
    if not twins or service is None or f"· {service.label}" in m.label:
        return m.label
    return f"{m.label} · {service.label}"


def resolve_model(name: str | None, *, provider: str | None = None, available: tuple[str, ...] = ()) -> Model:
    """The row a person means by ``name`` (``music-01``, ``minimax/music-2.6``…) on ``provider``.

    Parameters
    ----------
    name : str or None
        A row id or a model's name at its provider; None: the default for the credentials set.
    provider : str, optional
        The service asked for (``--provider replicate``).
    available : tuple of str
        Services with a credential set: when two providers serve ``name``, the row whose
        provider has one wins (the default follows the token that is set).

    Raises
    ------
    InputError
        For an unknown name, or a model ``provider`` does not serve.
    """
    if provider is not None and provider not in SERVICES:
        raise InputError(f"unknown provider {provider!r}: choose one of {', '.join(SERVICES)}.")
    if name is None or not name.strip():
        return get_model(default_model(available if provider is None else (provider,)))
    key = name.strip()
    if key in MODELS and key.startswith(f"{MODELS[key].provider}/"):
        if provider not in (None, MODELS[key].provider):
            raise InputError(
                f"{key} is served by {SERVICES[MODELS[key].provider].label}, not by {SERVICES[provider].label}: "
                f"leave out --provider, or name the model without its provider ({MODELS[key].family})."
            )
        return MODELS[key]  # a row named with its provider ("replicate/minimax/music-01")
    family = MODELS[key].family if key in MODELS else key.removeprefix("replicate/").removeprefix("minimax/")
    rows = [m for m in MODELS.values() if m.family == family and provider in (None, m.provider)]
    # The row named exactly comes first, unless only another provider of the same model has a credential.
    rows.sort(key=lambda m: m.id != key)
    if not rows:
        if provider is not None:
            served = ", ".join(m.family for m in MODELS.values() if m.provider == provider)
            raise InputError(f"{get_service(provider).label} does not serve {name!r} here: it serves {served}.")
        return get_model(key)
    # Of the rows a credential reaches, a live one before a retired one (music-01 on Replicate, not on the AI/ML API).
    with_token = sorted((m for m in rows if m.provider in available), key=lambda m: not m.live)
    return (with_token or rows)[0]


def default_model(available: tuple[str, ...] = ()) -> str:
    """The row used when none is chosen: :data:`DEFAULT_MODEL`, unless only another service has a credential."""
    if not available or "aimlapi" in available:
        return DEFAULT_MODEL
    return SERVICES[available[0]].default_model


def options_by_name(*, live_only: bool = False) -> dict[str, dict[str, OptionSpec]]:
    """Every option name of the table, with each model that takes it and its spec there, in table order.

    What an edge builds one control per name from (one "length" control whose range and default
    follow the chosen model: ``options_by_name()["duration_s"]["stable-audio"].range_words()``).

    Returns
    -------
    dict
        ``{name: {model id: OptionSpec}}``.
    """
    out: dict[str, dict[str, OptionSpec]] = {}
    for m in MODELS.values():
        if m.live or not live_only:
            for o in m.options:
                out.setdefault(o.name, {})[m.id] = o
    return out
