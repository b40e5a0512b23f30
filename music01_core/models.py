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
    "ClipLimits",
    "ReferenceSpec",
    "TextSpec",
    "AudioSettingSpec",
    "Model",
    "MODELS",
    "DEFAULT_MODEL",
    "LEGACY_MODEL",
    "get_model",
    "env_model",
    "model_in_use",
    "model_ids",
    "live_models",
]


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
    ways : tuple of {"upload", "url", "base64"}
        ``upload``: music-01's upload endpoint (a local file); ``url``: an http(s) URL the
        provider fetches; ``base64``: the audio itself inside the request.  Empty: no reference.
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
    """

    ways: tuple[str, ...] = ()
    limits: ClipLimits | None = None
    formats: tuple[str, ...] = ("mp3", "wav")
    max_bytes: int | None = None
    api_field: str = "reference_audio_url"
    content: tuple[str, ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.ways)


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

    @property
    def need(self) -> str:
        """How much it is needed, for menus: "" (required), " (optional)", or " (optional with …)"."""
        if self.required_unless:
            names = (f.removeprefix("is_").replace("_", " ") for f in self.required_unless)
            return f" (optional with {' or '.join(names)})"
        return "" if self.required else " (optional)"


@dataclass(frozen=True)
class AudioSettingSpec:
    """The ``audio_setting`` object a model takes; ``sample_rate_field`` is its rate's name."""

    sample_rate_field: str = "sample_rate"
    send_all: bool = True  # music-01: one spec version requires all three, so all three are sent


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
        Whose model it is (``"aimlapi"``: the AI/ML API).
    reference : ReferenceSpec
    lyrics, prompt : TextSpec or None
        The lyrics field and the style-prompt field.
    audio_setting : AudioSettingSpec or None
    flags : tuple of str
        Boolean request fields the model takes (``is_instrumental``, ``lyrics_optimizer``).
    returns : tuple of str
        Audio formats the provider can return (``audio_setting.format``'s enum, or what its
        reference shows for a model without settings); the first is what it returns by default.
    expected_s : float
        How long a generation usually takes at the provider.
    credits_hint : int or None
        Credits one generation is expected to use, for cost estimates before a class.  The
        provider publishes no price per model; its reference's one example of
        ``meta.usage.credits_used`` is 120,000 (= $0.06, ``music-2.6.json``).  Credits
        recorded in a history win over this (:func:`music01_core.room.estimate_cost`).
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
    # The enum of audio_setting.format in every music model's schema (aimlapi/api-docs f14fa72,
    # docs/api-references/music-models/MiniMax/*.json).
    returns: tuple[str, ...] = ("mp3", "wav", "pcm")
    expected_s: float = 60.0
    credits_hint: int | None = 120_000
    retired_on: str | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def live(self) -> bool:
        return self.status == "live"

    @property
    def takes_reference(self) -> bool:
        return self.reference.required

    @property
    def takes_purpose(self) -> bool:
        """Whether its reference is uploaded first with a purpose (song, voice, instrumental) for ids (music-01)."""
        return "upload" in self.reference.ways

    @property
    def wraps_accompaniment(self) -> bool:
        """Whether its lyrics use music-01's ``##…##`` accompaniment wrap."""
        return self.lyrics is not None and self.lyrics.style == "music01"

    def to_dict(self) -> dict:
        """A JSON-ready description (``music01 models --json``)."""
        d = asdict(self)
        d["live"] = self.live
        return d


_MUSIC01_LYRICS = TextSpec("lyrics", "lyrics", 1, 600, style="music01")
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
            credits_hint=None,  # no figure was ever documented for music-01
            summary="retired by the provider in August 2026: upload a reference for ids, then generate from lyrics.",
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
