"""Turn any audio a person has into a reference clip that the chosen model accepts.

:func:`prepare_clip` decodes only the chosen segment (ffmpeg seeks on the input side),
then down-mixes, fades the cut points and encodes WAV or MP3 without any metadata in the
same ffmpeg pass.  The written bytes are decoded (for MP3 while they are being written,
on the other core) to prove the length is inside the model's limits with a safety margin.
:func:`load_audio` is the shared decoder for analysis and the offline engine.
"""

from __future__ import annotations

import hashlib
import logging
import math
import os
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import ffmpeg
from .errors import (
    ClipTooLongError,
    ClipTooShortError,
    CorruptAudioError,
    EmptyFileError,
    FileMissingError,
    SegmentError,
    UnsupportedFormatError,
)
from .models import model_in_use
from .settings import (
    CLIP_FORMATS,
    DEFAULT_CLIP_BITRATE_KBPS,
    DEFAULT_CLIP_FORMAT,
    EDGE_FADE_MS,
    MAX_CHANNELS,
    MP3_MAX_EXTRA_S,
    RESAMPLE_TO,
    SILENCE_DBFS,
    STANDARD_SAMPLE_RATES,
)

if TYPE_CHECKING:  # numpy is imported lazily: the CLI's prepare does not need it
    import numpy as np

logger = logging.getLogger(__name__)

__all__ = [
    "Clip",
    "prepare_clip",
    "inspect_clip",
    "check_segment",
    "load_audio",
    "format_duration",
    "check_input_file",
    "audio_format",
]

# A segment end this close past the end of the file is treated as "the end" (durations
# in containers are rounded, and people type 30 for a 29.98 s file).
_END_TOLERANCE_S = 0.1


@dataclass(frozen=True)
class Clip:
    """A reference clip written to disk, ready for the upload endpoint.

    Attributes
    ----------
    path : str
        Where the clip was written.
    format : {"mp3", "wav"}
        Container and codec.
    duration_s : float
        Length measured by decoding the written file, in seconds.
    sample_rate : int
        Sample rate in Hz.
    channels : int
        1 or 2.
    bytes : int
        File size in bytes.
    sha256 : str
        Hex SHA-256 of the file's bytes (the key of the reference library).
    start_s, end_s : float
        The segment of the source that the clip holds, in seconds.
    warnings : tuple of str
        Things worth telling the person that did not stop the clip (e.g. silence only).
    """

    path: str
    format: str
    duration_s: float
    sample_rate: int
    channels: int
    bytes: int
    sha256: str
    start_s: float
    end_s: float
    warnings: tuple[str, ...] = field(default=())

    def to_dict(self) -> dict:
        """Return the fields as a JSON-ready dict (warnings as a list)."""
        d = asdict(self)
        d["warnings"] = list(self.warnings)
        return d


def format_duration(seconds: float) -> str:
    """Format seconds as ``m:ss`` (``h:mm:ss`` past an hour), e.g. ``751`` -> ``"12:31"``."""
    total = int(seconds + 0.5) if seconds >= 60 else int(seconds)
    h, rem = divmod(total, 3600)
    m, s = divmod(rem, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def _fmt_s(seconds: float) -> str:
    # Near the limits people need the decimals: 10.05 s must not print as "10.1 s".
    return f"{seconds:.2f} s" if seconds < 60 else f"{format_duration(seconds)} ({seconds:.1f} s)"


def check_input_file(path: str | os.PathLike) -> Path:
    """Check that ``path`` names a non-empty regular file and return it as a Path."""
    p = Path(path)
    if not p.exists():
        raise FileMissingError(f"{p} does not exist: check the path and try again.")
    if not p.is_file():
        raise FileMissingError(f"{p} is not a file: give the path of an audio file.")
    if p.stat().st_size == 0:
        raise EmptyFileError(f"{p.name} is empty (0 bytes): choose the audio file again or re-record it.")
    return p


def _limits(model):
    """(ClipLimits, model id) of the chosen model; the model in use when None (:func:`~music01_core.models.model_in_use`)."""
    m = model_in_use(model)
    if m.reference.limits is None:
        from .errors import InputError

        raise InputError(f"{m.id} takes no reference audio: there is no clip to prepare for it.")
    return m.reference.limits, m.id


def check_segment(
    total_s: float | None, start_s: float | None, end_s: float | None, *, model=None, declared_s: float | None = None
) -> tuple[float, float | None]:
    """Check a start/end segment against a file's length, as :func:`prepare_clip` will.

    Parameters
    ----------
    total_s : float or None
        The file's length in seconds (None when unknown).
    start_s, end_s : float or None
        The segment; None means the start / the end of the file.
    model : str, optional
        Whose length bounds apply (default: the model in use, ``MUSIC01_MODEL`` or minimax-music).
    declared_s : float, optional
        The length the file's header promised when it holds less (an interrupted WAV
        recording, :attr:`~music01_core.ffmpeg.MediaInfo.declared_s`): a segment past what it
        holds is then explained with both lengths.

    Returns
    -------
    start_s : float
    length_s : float or None
        None when neither ``end_s`` nor ``total_s`` says where it ends.

    Raises
    ------
    SegmentError, ClipTooShortError, ClipTooLongError
    """
    start, end = _parse_segment(start_s, end_s)
    if total_s is not None:
        end = _end_within(total_s, start, end, declared_s=declared_s)
    length = None if end is None else end - start
    if length is not None:
        whole = start == 0 and end_s is None
        _check_length(length, whole=whole, model=model)
    return start, length


def _parse_segment(start_s: float | None, end_s: float | None) -> tuple[float, float | None]:
    """(start, end) in seconds, checked on their own: a start of 0 or later, an end after it."""
    start = 0.0 if start_s is None else float(start_s)
    if not math.isfinite(start) or start < 0:
        raise SegmentError(f"start {start_s} is negative: use a start of 0 s or later.")
    if end_s is not None:
        end = float(end_s)
        if not math.isfinite(end):
            raise SegmentError(f"end {end_s} is not a number of seconds.")
        if end <= start:
            raise SegmentError(
                f"end ({end:.2f} s) is not after start ({start:.2f} s): the end must come later than the start."
            )
    else:
        end = None
    return start, end


def _end_within(total_s: float, start: float, end: float | None, *, declared_s: float | None) -> float:
    """The segment's end within a file of ``total_s`` seconds (the file's end when open or a hair past it)."""
    if declared_s and (start >= total_s or (end is not None and end > total_s + _END_TOLERANCE_S)):
        raise SegmentError(
            f"{_cut_off(declared_s, total_s)} The segment {start:.2f}–"
            f"{'the end' if end is None else f'{end:.2f} s'} is past what it holds: choose one within "
            f"the first {total_s:.2f} s."
        )
    if start >= total_s:
        raise SegmentError(
            f"start {start:.2f} s is outside the file, which is {_fmt_s(total_s)} long: choose a start inside it."
        )
    if end is not None and end > total_s + _END_TOLERANCE_S:
        raise SegmentError(
            f"end {end:.2f} s is past the end of the file, which is {_fmt_s(total_s)} long: "
            f"choose an end of at most {total_s:.2f} s."
        )
    if end is None or end > total_s:
        end = total_s
    return end


def _cut_off(declared_s: float, held_s: float) -> str:
    """The sentence for a file whose header promises more than it holds."""
    return (
        f"the header says {format_duration(round(declared_s))} but the file holds {format_duration(round(held_s))} "
        f"({held_s:.2f} s) — was the recording cut off?"
    )


def _check_length(length_s: float, *, whole: bool, model=None) -> None:
    limits, name = _limits(model)
    what = "the file" if whole else "the segment"
    if length_s < limits.safe_min_s:
        hint = "record a longer take" if whole else "move start/end further apart"
        need = "more than" if limits.min_exclusive else "at least"
        raise ClipTooShortError(
            f"{what} is {_fmt_s(length_s)}; {name} needs {need} {limits.min_s:g} s "
            f"(music01 asks for {limits.safe_min_s:.2f} s to keep a safety margin) — {hint}."
        )
    if length_s > limits.safe_max_s:
        if whole:
            # A file at the limit itself ("10:00 long: takes at most 10:00") needs the margin said.
            margin = (
                f", and music01 keeps {limits.max_s - limits.safe_max_s:g} s under it"
                if length_s <= limits.max_s
                else ""
            )
            raise ClipTooLongError(
                f"the file is {_fmt_s(length_s)} long; {name} takes at most "
                f"{format_duration(limits.max_s)}{margin} — choose a segment of at most "
                f"{limits.safe_max_s:.2f} s with start/end (30–60 s is plenty for a reference)."
            )
        raise ClipTooLongError(
            f"the segment is {_fmt_s(length_s)}; {name} takes at most "
            f"{format_duration(limits.max_s)} — choose at most {limits.safe_max_s:.2f} s between start and end."
        )


def prepare_clip(
    input_path: str | os.PathLike,
    output_path: str | os.PathLike,
    *,
    start_s: float | None = None,
    end_s: float | None = None,
    format: str | None = None,
    bitrate_kbps: int = DEFAULT_CLIP_BITRATE_KBPS,
    model=None,
) -> Clip:
    """Turn an audio file into a reference clip for the chosen model.

    Parameters
    ----------
    input_path : path-like
        Any audio ffmpeg reads: WAV, MP3, FLAC, OGG/Vorbis, Opus, M4A/AAC, WebM/Opus...
    output_path : path-like
        Where to write the clip.  Written atomically: on failure nothing is left there.
    start_s, end_s : float, optional
        Segment of the input in seconds; default the whole file.
    format : {"mp3", "wav"}, optional
        Output format; default from the output file's suffix, else ``"mp3"``.
    bitrate_kbps : int
        MP3 bitrate in kbit/s.
    model : str, optional
        Whose length bounds the clip must meet (see :mod:`music01_core.models`); default
        the model in use (``MUSIC01_MODEL``, else minimax-music).

    Returns
    -------
    Clip
        What was written, measured by decoding the written file.

    Raises
    ------
    AudioInputError
        A subclass saying exactly what is wrong with the input or the segment.
    """
    src = check_input_file(input_path)
    out, fmt = _clip_target(src, Path(output_path), format)
    limits, _ = _limits(model)
    info = ffmpeg.probe(src)
    start, length = _clip_segment(src, info, start_s, end_s, model=model)
    whole = start == 0 and end_s is None
    rate = info.sample_rate if info.sample_rate in STANDARD_SAMPLE_RATES else RESAMPLE_TO
    channels = min(info.channels, MAX_CHANNELS)
    if length is not None and fmt == "mp3":
        # The MP3 will decode up to MP3_MAX_EXTRA_S longer than the cut; a cut at
        # the very limit gives up that sliver of its end rather than fail after encoding.
        length = min(length, limits.safe_max_s - MP3_MAX_EXTRA_S)
    enc = _Encoding(fmt, rate, channels, bitrate_kbps)
    m, data = _write_atomically(
        out, fmt, lambda tmp: _write_clip(src, tmp, info, start, length, whole, enc, model=model, limits=limits)
    )
    clip = _clip_written(out, fmt, m, data, start=start, length=length, info=info)
    logger.info("prepared %s: %.2f s %s %d Hz x%d", out.name, clip.duration_s, fmt, rate, channels)
    return clip


def _clip_written(
    out: Path,
    fmt: str,
    m: ffmpeg.Measurement,
    data: bytes,
    *,
    start: float,
    length: float | None,
    info: ffmpeg.MediaInfo,
) -> Clip:
    """The :class:`Clip` record of a clip just written as ``data`` and measured as ``m``."""
    # The segment of the source the clip holds.  Not start + decoded length: an MP3 keeps
    # the encoder's lead-in and frame padding (~50 ms), which are not part of the source.
    held_s = m.duration_s if length is None else min(length, m.duration_s)
    return Clip(
        path=str(out),
        format=fmt,
        duration_s=round(m.duration_s, 6),
        sample_rate=m.sample_rate,
        channels=m.channels,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        start_s=round(start, 6),
        end_s=round(start + held_s, 6),
        warnings=tuple(_clip_warnings(info, m)),
    )


@dataclass(frozen=True)
class _Encoding:
    """How a clip is encoded: format, sample rate, channel count and MP3 bitrate."""

    fmt: str
    rate: int
    channels: int
    bitrate_kbps: int


def _clip_target(src: Path, out: Path, format: str | None) -> tuple[Path, str]:
    """Where the clip goes and in which format (from ``format``, else the output's suffix)."""
    if out.is_dir():  # as `cp` reads a folder: the clip goes inside it, named after the input
        out = out / f"{src.stem}.{(format or DEFAULT_CLIP_FORMAT).lower()}"
    fmt = (format or out.suffix.lstrip(".") or DEFAULT_CLIP_FORMAT).lower()
    if fmt not in CLIP_FORMATS:
        raise UnsupportedFormatError(
            f"music01 writes reference clips as MP3 or WAV, not {fmt!r}: use --format mp3 or wav "
            "(or an output name ending in .mp3 / .wav)."
        )
    return out, fmt


def _clip_segment(
    src: Path, info: ffmpeg.MediaInfo, start_s: float | None, end_s: float | None, *, model
) -> tuple[float, float | None]:
    """:func:`check_segment` for the probed input, saying so when its header promised more than it holds."""
    if info.declared_s and end_s is None:
        # Two minutes recorded, fifteen seconds kept: never pass that off as the whole take.
        raise CorruptAudioError(
            f"{src.name} looks truncated: {_cut_off(info.declared_s, info.duration_s)} Choose a segment within "
            f"the first {info.duration_s:.2f} s (start/end) to use what it holds, or re-export the recording."
        )
    try:
        return check_segment(info.duration_s, start_s, end_s, model=model, declared_s=info.declared_s)
    except ClipTooShortError as exc:
        if not info.declared_s:
            raise
        # "Too short" alone would puzzle someone who recorded two minutes: say why.
        msg = str(exc)
        raise ClipTooShortError(f"{_cut_off(info.declared_s, info.duration_s)} {msg[:1].upper()}{msg[1:]}") from exc


def _write_atomically(
    out: Path, fmt: str, write: Callable[[Path], ffmpeg.Measurement]
) -> tuple[ffmpeg.Measurement, bytes]:
    """``write(tmp)`` to a temporary file beside ``out``, then move it there: on failure nothing is left.

    Returns what ``write`` returned and the bytes written.
    """
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.stem}.", suffix=f".partial.{fmt}", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        result = write(tmp)
        data = tmp.read_bytes()
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return result, data


def _write_clip(
    src: Path,
    tmp: Path,
    info: ffmpeg.MediaInfo,
    start: float,
    length: float | None,
    whole: bool,
    enc: _Encoding,
    *,
    model,
    limits,
) -> ffmpeg.Measurement:
    """Encode the segment into ``tmp`` and check the length of what was written."""
    if length is not None:
        # The usual case: one ffmpeg pass that seeks, cuts, fades, encodes and (for
        # MP3) decodes what it wrote, on the other core, to prove the length.
        m = ffmpeg.transcode_segment(
            src,
            tmp,
            start_s=start,
            duration_s=length,
            sample_rate=enc.rate,
            channels=enc.channels,
            fmt=enc.fmt,
            bitrate_kbps=enc.bitrate_kbps,
            fade_s=EDGE_FADE_MS / 1000,
        )
    else:
        m = _write_open_ended(src, tmp, start, whole, enc, model=model)
    if length is not None:
        _check_truncated(src.name, info, wanted_s=length, got_s=m.duration_s)
    if not (limits.safe_min_s <= m.duration_s <= limits.safe_max_s):
        _check_length(m.duration_s, whole=whole, model=model)
    return m


def _write_open_ended(src: Path, tmp: Path, start: float, whole: bool, enc: _Encoding, *, model) -> ffmpeg.Measurement:
    """Encode from ``start`` to the end of a file whose container does not say how long it is."""
    # The container does not say how long it is (browser WebM recordings): decode it
    # (such takes are short), judge its real length, then fade with pydub and encode.
    from ._pydub import AudioSegment

    rate, channels = enc.rate, enc.channels
    pcm = ffmpeg.decode_pcm(src, start_s=start, sample_rate=rate, channels=channels)
    _check_length(len(pcm) / (2 * channels * rate), whole=whole, model=model)
    seg = AudioSegment(data=pcm, sample_width=2, frame_rate=rate, channels=channels)
    seg = seg.fade_in(EDGE_FADE_MS).fade_out(EDGE_FADE_MS)
    ffmpeg.encode_pcm(
        seg.raw_data, tmp, sample_rate=rate, channels=channels, fmt=enc.fmt, bitrate_kbps=enc.bitrate_kbps
    )
    return ffmpeg.measure(tmp)


def _clip_warnings(info: ffmpeg.MediaInfo, m: ffmpeg.Measurement) -> list[str]:
    """What is worth telling about a clip that was written: a cut-off source, silence."""
    warnings: list[str] = []
    if info.declared_s:
        warnings.append(
            f"{_cut_off(info.declared_s, info.duration_s)} The segment you chose lies within what it holds."
        )
    if m.mean_dbfs < SILENCE_DBFS:
        level = "-inf" if m.mean_dbfs == -math.inf else f"{m.mean_dbfs:.0f}"
        warnings.append(
            f"the clip is silent (level {level} dBFS): the model needs audible singing or music — "
            "check the microphone or choose another segment."
        )
    return warnings


def _check_truncated(name: str, info: ffmpeg.MediaInfo, *, wanted_s: float, got_s: float) -> None:
    """Raise when much less audio decodes than the container promised."""
    if info.duration_estimated:
        return  # a bitrate estimate is no promise
    missing = wanted_s - got_s
    if missing > max(0.5, 0.02 * wanted_s):
        raise CorruptAudioError(
            f"{name} looks truncated: its header promises {_fmt_s(wanted_s)} for this segment "
            f"but only {_fmt_s(got_s)} decodes — re-export or re-download the file."
        )


def load_audio(
    path: str | os.PathLike,
    *,
    sample_rate: int = 22050,
    mono: bool = True,
    start_s: float | None = None,
    duration_s: float | None = None,
) -> tuple[np.ndarray, int]:
    """Decode audio to float32 samples in [-1, 1].

    Parameters
    ----------
    path : path-like
        Any audio ffmpeg reads.
    sample_rate : int
        Output sample rate in Hz.
    mono : bool
        Down-mix to one channel.
    start_s, duration_s : float, optional
        Segment in seconds.

    Returns
    -------
    y : np.ndarray
        Shape ``(n,)`` when mono, else ``(channels, n)``.
    sample_rate : int
        The sample rate of ``y`` in Hz.
    """
    import numpy as np

    src = check_input_file(path)
    # Decode the file's own channels and average them here: ffmpeg's stereo-to-mono
    # down-mix adds the channels at -3 dB each, which reads 3 dB hot and can exceed 1.0.
    raw, info = ffmpeg.decode_pcm(
        src, start_s=start_s, duration_s=duration_s, sample_rate=sample_rate, sample_format="f32le", with_info=True
    )
    y = np.frombuffer(raw, dtype="<f4").reshape(-1, info.channels)
    if mono:
        return y.mean(axis=1, dtype=np.float32), sample_rate
    return y[:, :MAX_CHANNELS].T.copy() if info.channels <= MAX_CHANNELS else _fold_to_stereo(y), sample_rate


def _fold_to_stereo(y: np.ndarray) -> np.ndarray:
    """Fold more than two channels into two by alternating them left/right (shape (2, n))."""
    import numpy as np

    left = y[:, 0::2].mean(axis=1)
    right = y[:, 1::2].mean(axis=1)
    return np.stack([left, right]).astype(np.float32)


def inspect_clip(path: str | os.PathLike, *, model=None) -> Clip:
    """Check an existing file the way the provider does and describe it.

    The file must be in one of the model's formats (by content, not by name; e.g. MP3 or
    WAV) and decode to a length inside the model's own bounds, without music01's extra
    margin (minimax-music: more than 15 s).  ``model`` defaults to the model in use.

    Raises
    ------
    AudioInputError
        A subclass saying what is wrong and that ``prepare`` fixes it.
    """
    spec = model_in_use(model).reference
    limits, name = _limits(model)
    src = check_input_file(path)
    info = ffmpeg.probe(src)
    fmt = info.container if info.container in spec.formats else None
    if fmt is None:
        kinds = " or ".join(f.upper() for f in spec.formats)
        raise UnsupportedFormatError(
            f"{src.name} is {info.container}/{info.codec}; {name} accepts only {kinds} references — "
            "convert it with `music01 prepare` (or prepare_clip) first."
        )
    m = ffmpeg.measure(src)
    measured_s, rate, channels = m.duration_s, m.sample_rate, m.channels
    hint = " — `music01 prepare` cuts a valid clip from it." if measured_s > limits.max_s else " — use a longer take."
    if not limits.accepts(measured_s) and measured_s <= limits.max_s:
        need = "more than" if limits.min_exclusive else "at least"
        raise ClipTooShortError(f"{src.name} is {_fmt_s(measured_s)}; {name} needs {need} {limits.min_s:g} s{hint}")
    if measured_s > limits.max_s:
        raise ClipTooLongError(
            f"{src.name} is {format_duration(measured_s)} long; {name} takes at most "
            f"{format_duration(limits.max_s)}{hint}"
        )
    if spec.max_bytes and src.stat().st_size > spec.max_bytes:
        raise ClipTooLongError(
            f"{src.name} is {src.stat().st_size / 2**20:.1f} MB; {name} takes at most "
            f"{spec.max_bytes / 2**20:.0f} MB — prepare a shorter or MP3 clip."
        )
    data = src.read_bytes()
    return Clip(
        path=str(src),
        format=fmt,
        duration_s=round(measured_s, 6),
        sample_rate=rate,
        channels=channels,
        bytes=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        start_s=0.0,
        end_s=round(measured_s, 6),
    )


def audio_format(data: bytes, claimed: str | None = None) -> str | None:
    """The container ``data`` is, read from its first bytes, else ``claimed``.

    A finished job's audio is told by its bytes, not by a label: Stable Audio answers a WAV as
    ``application/octet-stream`` (aimlapi/api-docs f14fa72, ``Stability-AI/stable-audio.md``), and
    a model with no format field answers what it makes.  Raw PCM has no signature: when ``claimed``
    is ``pcm`` only an unmistakable container header overrides it (an MPEG frame sync can be samples).

    Parameters
    ----------
    data : bytes
    claimed : str, optional
        What the request asked for, or the file's name or type said.

    Returns
    -------
    str or None
        ``wav``, ``mp3``, ``flac``, ``ogg``, ``m4a``, or ``claimed``.
    """
    head = bytes(data[:12])
    if head[:4] in (b"RIFF", b"RIFX") and head[8:12] == b"WAVE":
        return "wav"
    if head[:3] == b"ID3":
        return "mp3"
    if head[:4] == b"fLaC":
        return "flac"
    if head[:4] == b"OggS":
        return "ogg"
    if head[4:8] == b"ftyp":
        return "m4a"
    if claimed != "pcm" and len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        return "mp3"  # an MPEG audio frame without tags
    return claimed
