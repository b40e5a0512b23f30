"""The records every layer shares: what a request asks for and what a piece is.

They know no provider and no model: the backends fill them, the history keeps them, the edges
show them.  (Moved here from ``backends.base``, which still re-exports them.)
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from .ffmpeg import convert_audio
from .settings import AudioSetting

__all__ = [
    "Piece",
    "PIECE_FIELDS",
    "piece_fields",
    "UploadResult",
    "GenerationResult",
    "MusicRequest",
    "Job",
    "JobStatus",
    "Recovery",
    "PENDING_STATUSES",
    "result_from_entry",
]


@dataclass(frozen=True)
class UploadResult:
    """What an upload returned.

    Attributes
    ----------
    voice_id, instrumental_id : str or None
        The ids for generate, according to the purpose.
    trace_id : str
        For support.
    backend : str
        ``"offline"`` or ``"api"``.
    purpose : str
    sha256 : str
        Hash of the uploaded clip's bytes.
    cached : bool
        True when the ids came from the reference library and nothing was uploaded.
    """

    voice_id: str | None
    instrumental_id: str | None
    trace_id: str
    backend: str
    purpose: str
    sha256: str
    cached: bool = False

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True, kw_only=True)
class Piece:
    """What is known of a finished piece, in hand or on disk: one declaration for both.

    :class:`GenerationResult` (the piece with its audio) and
    :class:`~music01_core.history.HistoryEntry` (its record on disk) share these fields, and
    are mapped onto each other by name (:func:`piece_fields`).

    Attributes
    ----------
    format : str
        ``mp3``, ``wav``, ``pcm`` (or what a provider returned).
    sample_rate, bitrate : int
        Hz and bit/s.
    duration_s : float
    backend : str
        The provider adapter's name (``api``, ``offline``…).
    model : str
        The model id (records from before models existed are music-01's).
    lyrics : str
        The lyrics as sent.
    prompt : str or None
        The style prompt, for the models that take one.
    trace_id, generation_id, inference_id : str or None
        The provider's ids, for support and for resume.
    client_request_id : str or None
        The ``X-Client-Request-Id`` music01 sent with the billed call (the provider's usage log
        lists it): how a piece whose answer was lost is found again.
    credits_used, usd_spent : str or None
        The cost the provider reported, when it did.
    seed : int or None
        The offline engine's, or the one sent to a model whose API takes a seed (Lyria 2).
    voice_id, instrumental_id : str or None
        music-01's ids of the reference (provenance; None for every other model).
    reference : dict or None
        A description of the reference (:meth:`~music01_core.references.Reference.describe`).
    warnings : tuple of str
    extra_info : dict or None
        What the provider's answer adds about the audio (its ``extra_info``: length, size, channels…),
        kept as it came, for support.
    options : dict or None
        The model's own fields as they were sent (``{"music_length_ms": 20000}``: the provider's names
        and units), so a billed piece says what it was asked for.
    """

    format: str
    sample_rate: int
    bitrate: int
    duration_s: float
    backend: str
    model: str = "music-01"
    lyrics: str = ""
    prompt: str | None = None
    trace_id: str = ""
    generation_id: str | None = None
    inference_id: str | None = None
    client_request_id: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None
    seed: int | None = None
    voice_id: str | None = None
    instrumental_id: str | None = None
    reference: dict | None = None
    warnings: tuple[str, ...] = ()
    extra_info: dict | None = None
    options: dict | None = None


#: The names :class:`Piece` declares (what a result and a history record share).
PIECE_FIELDS = tuple(f.name for f in fields(Piece))


def piece_fields(piece) -> dict:
    """The :class:`Piece` fields of a result or a history entry, by name."""
    return {name: getattr(piece, name) for name in PIECE_FIELDS}


@dataclass(frozen=True, kw_only=True)
class GenerationResult(Piece):
    """A generated piece with its audio (the :class:`Piece` fields, and these).

    Attributes
    ----------
    audio : bytes
        The encoded audio (MP3, WAV, or raw s16le PCM).
    channels : int
    path : str or None
        Where the audio was saved, once it was.
    history_id : str or None
        The history entry it was saved as.
    """

    audio: bytes = field(repr=False)
    channels: int = 2
    path: str | None = None
    history_id: str | None = None

    @property
    def bytes(self) -> int:
        return len(self.audio)

    def to_dict(self) -> dict:
        """JSON-ready fields without the audio bytes (``bytes`` gives their count)."""
        d = {k: v for k, v in asdict(self).items() if k != "audio"}
        d["bytes"] = len(self.audio)
        d["warnings"] = list(self.warnings)
        return d

    def save(self, path: str | os.PathLike, *, format: str | None = None) -> GenerationResult:
        """Write the audio atomically and return a copy of the result with ``path`` set.

        Parameters
        ----------
        path : path-like
        format : {"mp3", "wav", "pcm"}, optional
            Convert to this format on this machine first when the model returned another
            (minimax-music returns MP3 only); the copy then describes what was written.
        """
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.partial")
        converted = format is not None and format != self.format
        try:
            if converted:
                convert_audio(
                    self.audio,
                    tmp,
                    src_format=self.format,
                    fmt=format,
                    sample_rate=self.sample_rate,
                    channels=self.channels,
                    bitrate_kbps=self.bitrate // 1000,
                )
            else:
                tmp.write_bytes(self.audio)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        if not converted:
            return replace(self, path=str(path))
        return replace(self, path=str(path), audio=path.read_bytes(), format=format)


@dataclass(frozen=True)
class MusicRequest:
    """One request to make a piece, for any model in the table.

    Attributes
    ----------
    model : str
        A model id (:data:`music01_core.models.MODELS`).
    lyrics, prompt : str
        As typed; which the model takes, and their limits, come from the table.
    reference : Reference, optional
        For the models that take one (:mod:`music01_core.references`).
    audio_setting : AudioSetting, optional
        For the models that take one (default 44.1 kHz, 256 kbit/s MP3).
    is_instrumental, lyrics_optimizer : bool
        Switches of ``minimax/music-2.6``.
    seed : int, optional
        The same seed gives the same audio: on the offline engine always, and sent to a model
        whose API takes a seed (an option with ``request_attr="seed"`` in its row: ``google/lyria2``);
        other models' APIs get none.
    purpose : {"song", "voice", "instrumental"}
        music-01 only: how its reference is uploaded.
    voice_id, instrumental_id : str, optional
        music-01 only: ids of an earlier upload, instead of a reference.
    options : dict
        The model's other fields by their table name, as people give them (``{"duration_s": 20}``,
        ``{"negative_prompt": "drums"}``; a number may come as text, from a command line): which a
        model takes, their ranges and units come from its row (:class:`~music01_core.models.OptionSpec`).
    """

    model: str = "minimax-music"
    lyrics: str = ""
    prompt: str = ""
    reference: object = None
    audio_setting: AudioSetting | None = None
    is_instrumental: bool = False
    lyrics_optimizer: bool = False
    seed: int | None = None
    purpose: str = "song"
    voice_id: str | None = None
    instrumental_id: str | None = None
    options: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Job:
    """A request checked once and ready to send: what a provider adapter receives.

    Made by :meth:`music01_core.client.Client.prepare`; nothing in it is checked again.

    Attributes
    ----------
    model : Model
        The table's entry.
    lyrics, prompt : str or None
        Cleaned and checked text (None: the field is left out).
    reference : Reference or None
        Routed already: a URL, a short-lived link, Base64, or a local file for providers
        that read files (the offline engine, music-01's upload).
    audio_setting : AudioSetting or None
        None for a model that takes none.
    is_instrumental, lyrics_optimizer : bool
        Switches, only when the model takes them.
    seed : int or None
        For the offline engine (and what a model's seed option was given).
    purpose : str
        music-01's upload purpose.
    voice_id, instrumental_id : str or None
        music-01's ids of an earlier upload.
    warnings : tuple of str
        From the checks; shown with the piece.
    client_request_id : str or None
        Set by the pipeline just before the billed call: sent as ``X-Client-Request-Id``.
    options : dict
        The model's other fields, checked and ready to send: ``{api_field: value}`` in the
        provider's units (``{"music_length_ms": 20000}``); :meth:`Model.option_values` reads them back.
    """

    model: object
    lyrics: str | None = None
    prompt: str | None = None
    reference: object = None
    audio_setting: AudioSetting | None = None
    is_instrumental: bool = False
    lyrics_optimizer: bool = False
    seed: int | None = None
    purpose: str = "song"
    voice_id: str | None = None
    instrumental_id: str | None = None
    warnings: tuple[str, ...] = ()
    client_request_id: str | None = None
    options: dict = field(default_factory=dict)

    @property
    def flags(self) -> dict:
        """The switches that are on, as sent (``{"is_instrumental": True}``)."""
        return {k: True for k in ("is_instrumental", "lyrics_optimizer") if getattr(self, k)}


#: Statuses that mean "not finished yet" (the provider's example also treats ``waiting`` so).
PENDING_STATUSES = frozenset({"queued", "generating", "waiting", "pending", "processing", "in_progress"})


@dataclass(frozen=True)
class JobStatus:
    """One answer about a job, from any provider.

    Attributes
    ----------
    id : str
        The generation id, exactly as received.
    status : str
        ``queued``, ``generating``, ``completed`` or ``error`` (others are read as pending).
    audio_url : str or None
    content_type, file_name : str or None
    file_size : int or None
        Expected byte count of the audio, when given.
    error_name, error_message : str or None
    credits_used, usd_spent : str or None
        From ``meta.usage``, else the ``x-aimlapi-*`` headers.
    inference_id, client_request_id, trace_id : str or None
        From the answer's headers and body, when it has them.
    piece : GenerationResult or None
        The finished piece itself, from providers that answer a submit with it (music-01,
        the offline engine): nothing is polled or downloaded then.
    provenance : dict
        Extra facts for the history (``reference_sha256``, ``reference_name``).
    """

    id: str
    status: str
    audio_url: str | None = None
    content_type: str | None = None
    file_name: str | None = None
    file_size: int | None = None
    error_name: str | None = None
    error_message: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None
    inference_id: str | None = None
    client_request_id: str | None = None
    trace_id: str | None = None
    extra_info: dict | None = None
    piece: GenerationResult | None = field(default=None, repr=False)
    provenance: dict = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return self.status in PENDING_STATUSES


@dataclass(frozen=True)
class Recovery:
    """What the provider's own records say of a billed call whose answer was lost.

    Attributes
    ----------
    billed : bool
        False: the request failed at the provider and cost nothing.
    generation_id : str or None
        The id to poll (for a job, the provider's inference id).
    credits_used, usd_spent : str or None
    """

    billed: bool
    generation_id: str | None = None
    credits_used: str | None = None
    usd_spent: str | None = None


def result_from_entry(entry) -> GenerationResult:
    """A :class:`GenerationResult` for a generation already in the history."""
    return GenerationResult(
        **{**piece_fields(entry), "warnings": tuple(entry.warnings)},
        audio=Path(entry.audio_path).read_bytes(),
        channels=2,
        path=entry.audio_path,
        history_id=entry.id,
    )
