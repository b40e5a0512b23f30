"""Find ffmpeg, run it, and learn about media files without ``ffprobe``.

A fresh machine usually has no ffmpeg at all.  We look, in order, at ``MUSIC01_FFMPEG``,
``ffmpeg`` on ``PATH`` (a system build is preferred when present), then the binary that
the ``imageio-ffmpeg`` wheel ships.  That wheel has no ``ffprobe``, which pydub's
``from_file`` needs, so stream information is read from ``ffmpeg -i`` instead and all
decoding goes through :func:`decode_pcm`, which asks ffmpeg for raw PCM directly.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import math
import os
import re
import shutil
import subprocess
import threading
from dataclasses import dataclass
from pathlib import Path

from .errors import (
    CorruptAudioError,
    FFmpegError,
    FFmpegNotFoundError,
    NoAudioStreamError,
    NotAudioError,
)
from .settings import ENV_FFMPEG

logger = logging.getLogger(__name__)

__all__ = [
    "find_ffmpeg",
    "MediaInfo",
    "probe",
    "decode_pcm",
    "encode_pcm",
    "transcode_segment",
    "Measurement",
    "measure",
]


@functools.lru_cache(maxsize=1)
def find_ffmpeg() -> str:
    """Return the path of the ffmpeg binary to use.

    Order: ``MUSIC01_FFMPEG``, ``ffmpeg`` on ``PATH``, the ``imageio-ffmpeg`` wheel's
    binary.  The result is cached; call ``find_ffmpeg.cache_clear()`` after changing the
    environment.

    Raises
    ------
    FFmpegNotFoundError
        When none of the three is usable.
    """
    env = os.environ.get(ENV_FFMPEG)
    if env:
        if Path(env).is_file() and os.access(env, os.X_OK):
            return env
        raise FFmpegNotFoundError(
            f"{ENV_FFMPEG} points to {env!r}, which is not an executable file: fix or unset {ENV_FFMPEG}."
        )
    on_path = shutil.which("ffmpeg")
    if on_path:
        return on_path
    exe = _wheel_binary()
    if exe:
        return exe
    try:
        import imageio_ffmpeg

        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # the wheel raises RuntimeError when its binary is missing
        raise FFmpegNotFoundError(
            "No ffmpeg found: run `pip install imageio-ffmpeg` (it ships one), install "
            f"ffmpeg on PATH, or set {ENV_FFMPEG} to an ffmpeg binary."
        ) from exc
    return exe


def _wheel_binary() -> str | None:
    """The imageio-ffmpeg wheel's binary, found without importing the package.

    Importing ``imageio_ffmpeg`` costs ~30 ms (it pulls in its video-reading machinery),
    a tenth of a short ``music01 prepare``.  The wheel keeps one ``ffmpeg-<platform>``
    file in ``binaries/``; anything unusual (several files, ``IMAGEIO_FFMPEG_EXE`` set)
    is left to ``imageio_ffmpeg.get_ffmpeg_exe``.
    """
    import importlib.util

    if os.environ.get("IMAGEIO_FFMPEG_EXE"):
        return None
    try:
        spec = importlib.util.find_spec("imageio_ffmpeg")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    found = [
        p
        for loc in spec.submodule_search_locations
        for p in (Path(loc) / "binaries").glob("ffmpeg*")
        if p.is_file() and os.access(p, os.X_OK)
    ]
    return str(found[0]) if len(found) == 1 else None


# What a minimal ffmpeg build says when it lacks a codec or format that the wheel's has
# (Debian's ffmpeg built without Vorbis, a distro build without LAME, a static "lite" build).
_MISSING_CODEC_RE = re.compile(
    r"(?:Decoder|Encoder) \(codec [^)]*\) not found|Unknown (?:decoder|encoder)|"
    r"Decoding requested, but no decoder found|Requested output format '[^']*' is not|"
    r"Unknown input format|Automatic encoder selection failed|No such filter",
    re.I,
)
#: Set once the first binary lacked a codec and the wheel's did the job: used from then on.
_WHEEL_INSTEAD: str | None = None


def _binary() -> str:
    """The ffmpeg to run now: :func:`find_ffmpeg`, or the wheel's once the former lacked a codec."""
    return _WHEEL_INSTEAD or find_ffmpeg()


def _wheel_fallback(current: str, stderr: bytes | str) -> str | None:
    """The wheel's ffmpeg when ``current`` failed for want of a codec the wheel has; else None."""
    global _WHEEL_INSTEAD
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else stderr
    if _WHEEL_INSTEAD or os.environ.get(ENV_FFMPEG) or not _MISSING_CODEC_RE.search(text):
        return None
    wheel = _wheel_binary()
    if wheel is None:
        try:
            import imageio_ffmpeg

            wheel = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception:  # no wheel binary: the first error stands
            return None
    if os.path.realpath(wheel) == os.path.realpath(current):
        return None
    logger.info(
        "the ffmpeg at %s lacks a codec (%s); using the imageio-ffmpeg wheel's from now on",
        current,
        _MISSING_CODEC_RE.search(text).group(0),
    )
    _WHEEL_INSTEAD = wheel
    return wheel


def _run(args: list[str], *, input_bytes: bytes | None = None) -> subprocess.CompletedProcess:
    ff = _binary()
    cmd = [ff, "-nostdin", "-hide_banner", *args]
    if input_bytes is not None:
        cmd.remove("-nostdin")
    logger.debug("running %s", " ".join(cmd))
    try:
        proc = subprocess.run(cmd, input=input_bytes, capture_output=True, check=False)
    except OSError as exc:
        raise FFmpegNotFoundError(f"Could not run ffmpeg at {cmd[0]!r}: {exc}") from exc
    # ``ffmpeg -i`` alone (probe) always exits non-zero; its stderr decides either way.
    if _wheel_fallback(ff, proc.stderr) is not None:
        return _run(args, input_bytes=input_bytes)
    return proc


@dataclass(frozen=True)
class MediaInfo:
    """What ``ffmpeg -i`` says about the first audio stream of a file.

    Attributes
    ----------
    container : str
        Demuxer name, e.g. ``"mp3"``, ``"wav"``, ``"matroska,webm"``.
    codec : str
        Audio codec name, e.g. ``"mp3"``, ``"opus"``, ``"pcm_s16le"``.
    duration_s : float or None
        Duration from the container, in seconds; None when the container does not say
        (browser WebM recordings often do not).
    duration_estimated : bool
        True when ffmpeg estimated the duration from the bitrate.
    declared_s : float or None
        What a WAV header promised when the file holds less (an interrupted recording):
        ``duration_s`` is then what the file really holds.  None when the two agree.
    sample_rate : int
        Sample rate in Hz.
    channels : int
        Number of channels.
    """

    container: str
    codec: str
    duration_s: float | None
    duration_estimated: bool
    sample_rate: int
    channels: int
    declared_s: float | None = None


_LAYOUT_CHANNELS = {
    "mono": 1,
    "stereo": 2,
    "2.1": 3,
    "3.0": 3,
    "3.0(back)": 3,
    "3.1": 4,
    "4.0": 4,
    "quad": 4,
    "quad(side)": 4,
    "4.1": 5,
    "5.0": 5,
    "5.0(side)": 5,
    "5.1": 6,
    "5.1(side)": 6,
    "6.0": 6,
    "6.1": 7,
    "7.0": 7,
    "7.1": 8,
    "7.1(wide)": 8,
    "downmix": 2,
}
_DURATION_RE = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_AUDIO_RE = re.compile(r"Stream #\S+.*?: Audio: ([^,\s]+)[^,]*, (\d+) Hz, ([^,]+)")
_INPUT_RE = re.compile(r"Input #0, ([^ ]+), from")


def probe(path: str | os.PathLike) -> MediaInfo:
    """Read stream information of a media file with ``ffmpeg -i`` (no ffprobe needed).

    Raises
    ------
    NotAudioError
        ffmpeg cannot open the file as media.
    NoAudioStreamError
        The file opens but has no audio stream.
    """
    proc = _run(["-i", os.fspath(path)])
    info = _parse_info(path, proc.stderr.decode("utf-8", "replace"))
    if info.duration_s and info.container == "wav" and info.codec.startswith("pcm_"):
        # A WAV header can lie (a crashed recorder stops writing samples but not the header it
        # wrote first): for PCM the bytes after the data chunk's start say exactly how much
        # audio there is, so the real length is known without decoding.
        held_s = _wav_held_duration_s(path)
        if held_s is not None and info.duration_s > held_s + _WAV_SHORTFALL_S:
            logger.info(
                "%s: the WAV header claims %.1f s, the file holds %.1f s", Path(path).name, info.duration_s, held_s
            )
            return dataclasses.replace(info, duration_s=held_s, declared_s=info.duration_s)
    return info


# Less than this missing from a WAV is rounding or a short trailing chunk, not a cut-off recording.
_WAV_SHORTFALL_S = 0.5


def _parse_info(path: str | os.PathLike, err: str) -> MediaInfo:
    container = _INPUT_RE.search(err)
    if container is None:
        raise NotAudioError(
            f"{Path(path).name} is not an audio file ffmpeg can read "
            f"({_last_line(err) or 'unknown format'}); use a WAV, MP3, FLAC, OGG, Opus, "
            "M4A or WebM recording."
        )
    audio = _AUDIO_RE.search(err)
    if audio is None:
        raise NoAudioStreamError(
            f"{Path(path).name} has no audio stream (an image, or a video without sound?); choose a file with audio."
        )
    codec, rate, layout = audio.group(1), int(audio.group(2)), audio.group(3).strip()
    m = re.match(r"(\d+) channels", layout)
    channels = int(m.group(1)) if m else _LAYOUT_CHANNELS.get(layout, 2)
    dur = _DURATION_RE.search(err)
    duration_s = None
    if dur:
        h, mnt, sec = dur.groups()
        duration_s = int(h) * 3600 + int(mnt) * 60 + float(sec)
    estimated = "Estimating duration from bitrate" in err
    if container.group(1) == "wav":
        # ffmpeg derives a WAV's duration from the file size, which hides truncation;
        # the header's data-chunk size says what the file should hold.
        declared = _wav_declared_duration_s(path)
        if declared is not None:
            duration_s, estimated = max(declared, duration_s or 0.0), False
    return MediaInfo(
        container=container.group(1),
        codec=codec,
        duration_s=duration_s,
        duration_estimated=estimated,
        sample_rate=rate,
        channels=channels,
    )


def _wav_data_chunk(path: str | os.PathLike) -> tuple[int, int, int] | None:
    """(offset of the samples, data size the header declares, bytes per second) of a RIFF/WAVE
    file, or None when the header cannot be read or leaves the size open."""
    import struct

    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return None
    if head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        return None
    pos, byte_rate = 12, None
    while pos + 8 <= len(head):
        cid, size = head[pos : pos + 4], struct.unpack("<I", head[pos + 4 : pos + 8])[0]
        if cid == b"fmt " and pos + 20 <= len(head):
            byte_rate = struct.unpack("<I", head[pos + 16 : pos + 20])[0]
        elif cid == b"data":
            # 0 and 0xFFFFFFFF mean "unknown" in streamed recordings.
            if not byte_rate or size in (0, 0xFFFFFFFF):
                return None
            return pos + 8, size, byte_rate
        pos += 8 + size + (size & 1)
    return None


def _wav_declared_duration_s(path: str | os.PathLike) -> float | None:
    """Duration promised by a RIFF/WAVE header, or None when it cannot be read."""
    chunk = _wav_data_chunk(path)
    return None if chunk is None else chunk[1] / chunk[2]


def _wav_held_duration_s(path: str | os.PathLike) -> float | None:
    """Seconds of PCM a WAV file really holds: its declared data, cut at the end of the file."""
    chunk = _wav_data_chunk(path)
    if chunk is None:
        return None
    offset, declared, byte_rate = chunk
    return max(0, min(declared, Path(path).stat().st_size - offset)) / byte_rate


def _undecodable(path: str | os.PathLike, err: str | bytes) -> CorruptAudioError:
    if isinstance(err, bytes):
        err = err.decode("utf-8", "replace")
    return CorruptAudioError(
        f"{Path(path).name} could not be decoded ({_last_line(err)}); the file may be "
        "damaged or truncated: re-export or re-download it."
    )


def _no_audio(name: str) -> CorruptAudioError:
    return CorruptAudioError(f"{name} decoded to no audio at all: re-export or re-record the input.")


def _last_line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


def decode_pcm(
    path: str | os.PathLike,
    *,
    start_s: float | None = None,
    duration_s: float | None = None,
    sample_rate: int | None = None,
    channels: int | None = None,
    sample_format: str = "s16le",
    with_info: bool = False,
) -> bytes | tuple[bytes, MediaInfo]:
    """Decode (part of) a file to interleaved raw PCM.

    Seeking happens on the input side (``-ss`` before ``-i``), so only the requested
    segment is decoded; ffmpeg's accurate seek keeps the cut sample-exact.

    Parameters
    ----------
    path : path-like
        Input media file.
    start_s, duration_s : float, optional
        Segment to decode, in seconds.  None means from the start / to the end.
    sample_rate : int, optional
        Output sample rate in Hz; None keeps the file's.
    channels : int, optional
        Output channel count; None keeps the file's.
    sample_format : {"s16le", "f32le"}
        Raw sample format.
    with_info : bool
        Also return the input's :class:`MediaInfo`, read from the same ffmpeg run
        (saves a separate :func:`probe`).

    Returns
    -------
    bytes
        Interleaved samples (and the MediaInfo when ``with_info``).

    Raises
    ------
    CorruptAudioError
        ffmpeg reported a decoding error.
    """
    proc = _run(_decode_args(path, start_s, duration_s, sample_rate, channels, sample_format, with_info=with_info))
    err = proc.stderr.decode("utf-8", "replace").strip()
    if proc.returncode != 0:
        raise _undecodable(path, err)
    if with_info:
        return proc.stdout, _parse_info(path, err)
    if err:
        logger.info("ffmpeg reported while decoding %s: %s", Path(path).name, _last_line(err))
    return proc.stdout


def _decode_args(
    path: str | os.PathLike,
    start_s: float | None,
    duration_s: float | None,
    sample_rate: int | None,
    channels: int | None,
    sample_format: str,
    *,
    with_info: bool,
) -> list[str]:
    """ffmpeg's arguments for :func:`decode_pcm`: seek on the input side, raw PCM to stdout."""
    args: list[str] = ["-v", "info", "-nostats"] if with_info else ["-v", "error"]
    if start_s:
        args += ["-ss", f"{start_s:.6f}"]
    if duration_s is not None:
        args += ["-t", f"{duration_s:.6f}"]
    args += ["-i", os.fspath(path), "-map", "0:a:0", "-vn", "-sn", "-dn"]
    if sample_rate:
        args += ["-ar", str(sample_rate)]
    if channels:
        args += ["-ac", str(channels)]
    codec = {"s16le": "pcm_s16le", "f32le": "pcm_f32le"}[sample_format]
    args += ["-c:a", codec, "-f", sample_format, "-"]
    return args


def _output_args(fmt: str, bitrate_kbps: int | None) -> list[str]:
    # No metadata at all: -map_metadata -1, no ID3 tags, and +bitexact so not even the
    # encoder's version string is written; the output then depends only on the samples.
    args = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags", "+bitexact"]
    if fmt == "mp3":
        args += [
            "-c:a",
            "libmp3lame",
            "-b:a",
            f"{bitrate_kbps or 192}k",
            "-id3v2_version",
            "0",
            "-write_id3v1",
            "0",
            "-f",
            "mp3",
        ]
    elif fmt == "wav":
        args += ["-c:a", "pcm_s16le", "-f", "wav"]
    else:  # pragma: no cover - callers validate first
        raise ValueError(f"unsupported format {fmt!r}")
    return args


def encode_pcm(
    pcm: bytes,
    out_path: str | os.PathLike,
    *,
    sample_rate: int,
    channels: int,
    fmt: str,
    bitrate_kbps: int | None = None,
    out_sample_rate: int | None = None,
) -> None:
    """Encode interleaved s16le PCM to an MP3 (libmp3lame, CBR) or 16-bit WAV file with no metadata."""
    args = ["-v", "error", "-f", "s16le", "-ar", str(sample_rate), "-ac", str(channels), "-i", "-"]
    if out_sample_rate and out_sample_rate != sample_rate:
        args += ["-ar", str(out_sample_rate)]
    args += [*_output_args(fmt, bitrate_kbps), "-y", os.fspath(out_path)]
    proc = _run(args, input_bytes=pcm)
    if proc.returncode != 0:
        raise FFmpegError(f"ffmpeg could not write {fmt}: {_last_line(proc.stderr.decode('utf-8', 'replace'))}")


def convert_audio(
    data: bytes,
    out_path: str | os.PathLike,
    *,
    src_format: str,
    fmt: str,
    sample_rate: int,
    channels: int,
    bitrate_kbps: int | None = None,
) -> None:
    """Write encoded audio ``data`` (MP3, WAV or raw s16le PCM) to ``out_path`` as ``fmt``.

    Parameters
    ----------
    data : bytes
        The audio as a model returned it.
    src_format, fmt : {"mp3", "wav", "pcm"}
        Its format, and the one to write.
    sample_rate : int
        Hz; the rate of raw PCM input, and the rate written.
    channels : int
        Channels of raw PCM input, and the count written.
    bitrate_kbps : int, optional
        For an MP3 output.
    """
    import tempfile

    if src_format == "pcm":
        pcm = data
    else:
        with tempfile.TemporaryDirectory(prefix="music01-convert-") as d:
            src = Path(d) / f"in.{src_format}"
            src.write_bytes(data)
            pcm = decode_pcm(src, sample_rate=sample_rate, channels=channels)
    if fmt == "pcm":
        Path(out_path).write_bytes(pcm)
        return
    encode_pcm(pcm, out_path, sample_rate=sample_rate, channels=channels, fmt=fmt, bitrate_kbps=bitrate_kbps)


def transcode_segment(
    src: str | os.PathLike,
    out_path: str | os.PathLike,
    *,
    start_s: float,
    duration_s: float,
    sample_rate: int,
    channels: int,
    fmt: str,
    bitrate_kbps: int | None = None,
    fade_s: float = 0.01,
) -> Measurement:
    """Cut, fade and encode a segment in one ffmpeg pass, and measure what was written.

    Only the segment is decoded (input-side seek) and decoding overlaps encoding, which
    is what keeps a 60 s cut of a 10-minute file close to the bare ffmpeg command line.

    Returns
    -------
    Measurement
        The written file, decoded whole.  For MP3 the encoder's bytes go to the file and,
        as they arrive, to a second ffmpeg that decodes them on the other core, so the
        length proof costs almost no extra wall time.  WAV is written, then measured.
    """
    fade_out_at = max(0.0, duration_s - fade_s)
    args = ["-v", "error"]
    if start_s:
        args += ["-ss", f"{start_s:.6f}"]
    args += [
        "-t",
        f"{duration_s:.6f}",
        "-i",
        os.fspath(src),
        "-map",
        "0:a:0",
        "-vn",
        "-sn",
        "-dn",
        "-af",
        f"afade=t=in:d={fade_s},afade=t=out:st={fade_out_at:.6f}:d={fade_s}",
        "-ar",
        str(sample_rate),
        "-ac",
        str(channels),
        *_output_args(fmt, bitrate_kbps),
    ]
    if fmt != "mp3":
        proc = _run([*args, "-y", os.fspath(out_path)])
        if proc.returncode != 0:
            raise _undecodable(src, proc.stderr)
        return measure(out_path)
    return _encode_streaming(args, Path(out_path), src=src)


def _drain(pipe, into: dict, key: str) -> None:
    try:
        into[key] = pipe.read()
    except (OSError, ValueError):  # closed under us while cleaning up after an error
        into[key] = b""


def _encode_streaming(args: list[str], out_path: Path, *, src: str | os.PathLike) -> Measurement:
    """Run an MP3 encode to a pipe; tee its bytes into ``out_path`` and a measuring decoder.

    The MP3 muxer cannot go back to fill in its Xing/LAME header on a pipe, so it writes
    none: the file is plain CBR frames, and every decoder, the measuring one included,
    decodes the same samples from it (no gapless trimming to disagree about).
    """
    ff = _binary()
    enc_cmd = [ff, "-nostdin", "-hide_banner", *args, "pipe:1"]
    dec_cmd = [ff, "-hide_banner", *_MEASURE_ARGS[:3], "-f", "mp3", "-i", "pipe:0", *_MEASURE_ARGS[3:]]
    logger.debug("running %s | tee %s | %s", " ".join(enc_cmd), out_path, " ".join(dec_cmd))
    procs: list[subprocess.Popen] = []
    errs: dict[str, bytes] = {}
    threads: list[threading.Thread] = []
    try:
        _spawn_pair(ff, enc_cmd, dec_cmd, procs)
        enc, dec = procs
        # stderr is drained on the side so that neither process can block on a full pipe.
        for key, proc in (("enc", enc), ("dec", dec)):
            t = threading.Thread(target=_drain, args=(proc.stderr, errs, key), daemon=True)
            t.start()
            threads.append(t)
        feeding, written = _tee(enc, dec, out_path)
        enc.wait()
        dec.wait()
    finally:
        _reap(procs, threads)
    if enc.returncode != 0:
        if _wheel_fallback(ff, errs.get("enc", b"")) is not None:
            return _encode_streaming(args, out_path, src=src)
        raise _undecodable(src, errs.get("enc", b""))
    if written == 0:
        raise _no_audio(Path(src).name)
    if dec.returncode != 0 or not feeding:
        raise FFmpegError(
            f"the MP3 just written did not decode ({_last_line(errs.get('dec', b'').decode('utf-8', 'replace'))}); "
            "this is a bug in music01 or ffmpeg: please report it."
        )
    return _parse_measurement(out_path.name, errs.get("dec", b"").decode("utf-8", "replace"), path=out_path)


def _spawn_pair(ff: str, enc_cmd: list[str], dec_cmd: list[str], procs: list[subprocess.Popen]) -> None:
    """Start the encoder and the measuring decoder, appending each to ``procs`` as it starts (for clean-up)."""
    try:
        procs.append(
            subprocess.Popen(enc_cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        )
        procs.append(
            subprocess.Popen(dec_cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        )
    except OSError as exc:
        raise FFmpegNotFoundError(f"Could not run ffmpeg at {ff!r}: {exc}") from exc


def _tee(enc: subprocess.Popen, dec: subprocess.Popen, out_path: Path) -> tuple[bool, int]:
    """Copy the encoder's output into ``out_path`` and the decoder; (decoder still fed, bytes written)."""
    feeding, written = True, 0
    with open(out_path, "wb") as f:
        while chunk := os.read(enc.stdout.fileno(), 1 << 16):
            f.write(chunk)
            written += len(chunk)
            if feeding:
                try:
                    dec.stdin.write(chunk)
                except BrokenPipeError:  # the decoder gave up; its stderr says why
                    feeding = False
    try:
        dec.stdin.close()
    except BrokenPipeError:
        pass
    return feeding, written


def _reap(procs: list[subprocess.Popen], threads: list[threading.Thread]) -> None:
    """Kill what still runs, wait for the stderr readers, and close every pipe."""
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for t in threads:  # the processes have ended, so their stderr is at EOF
        t.join(timeout=5)
    for proc in procs:
        for pipe in (proc.stdin, proc.stdout, proc.stderr):
            if pipe is not None:
                try:
                    pipe.close()
                except OSError:  # a closed pipe whose reader left: nothing to flush to
                    pass


@dataclass(frozen=True)
class Measurement:
    """What decoding a whole file found.

    Attributes
    ----------
    container : str
        Demuxer name, e.g. ``"mp3"`` or ``"wav"``.
    duration_s : float
        Decoded samples per channel divided by the sample rate, in seconds.
    sample_rate : int
        Sample rate in Hz.
    channels : int
        Channel count.
    mean_dbfs : float
        Mean power over all samples and channels in dB relative to full scale;
        ``-inf`` for digital silence.
    """

    container: str
    duration_s: float
    sample_rate: int
    channels: int
    mean_dbfs: float


# Decode everything, keep no samples: volumedetect counts them and their power.
_MEASURE_ARGS = ["-v", "info", "-nostats", "-map", "0:a:0", "-af", "volumedetect", "-f", "null", "-"]
_N_SAMPLES_RE = re.compile(r"n_samples: (\d+)")
_MEAN_RE = re.compile(r"mean_volume: (-?[\d.]+) dB")


def measure(path: str | os.PathLike) -> Measurement:
    """Decode a whole file without keeping its samples, and measure it exactly.

    Raises
    ------
    NotAudioError, NoAudioStreamError, CorruptAudioError
    """
    proc = _run([*_MEASURE_ARGS[:3], "-i", os.fspath(path), *_MEASURE_ARGS[3:]])
    err = proc.stderr.decode("utf-8", "replace")
    if proc.returncode != 0:
        _parse_info(path, err)  # raises the specific error when it is not audio at all
        raise _undecodable(path, err)
    return _parse_measurement(Path(path).name, err, path=path)


def _parse_measurement(name: str, err: str, *, path: str | os.PathLike | None = None) -> Measurement:
    info = _parse_info(path or name, err)
    # volumedetect prints once per filter graph; ffmpeg may build (and drop) one before
    # the real run, so the last figures are the ones that count.
    counts = _N_SAMPLES_RE.findall(err)
    total = int(counts[-1]) if counts else 0
    if total == 0:
        raise _no_audio(name)
    means = _MEAN_RE.findall(err)
    mean_dbfs = float(means[-1]) if means else -math.inf
    if mean_dbfs <= -91.0:  # volumedetect's floor: every sample was zero
        mean_dbfs = -math.inf
    return Measurement(
        container=info.container,
        duration_s=total / info.channels / info.sample_rate,
        sample_rate=info.sample_rate,
        channels=info.channels,
        mean_dbfs=mean_dbfs,
    )
