import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from music01_core import ffmpeg
from music01_core.errors import FFmpegNotFoundError

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fresh_ffmpeg(monkeypatch):
    ffmpeg.find_ffmpeg.cache_clear()
    yield monkeypatch
    ffmpeg.find_ffmpeg.cache_clear()


def _fake_exe(path: Path) -> Path:
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return path


def test_env_variable_wins(fresh_ffmpeg, tmp_path):
    fake = _fake_exe(tmp_path / "my-ffmpeg")
    fresh_ffmpeg.setenv("MUSIC01_FFMPEG", str(fake))
    assert ffmpeg.find_ffmpeg() == str(fake)


def test_env_variable_pointing_nowhere_is_a_clear_error(fresh_ffmpeg, tmp_path):
    fresh_ffmpeg.setenv("MUSIC01_FFMPEG", str(tmp_path / "missing"))
    with pytest.raises(FFmpegNotFoundError, match="MUSIC01_FFMPEG"):
        ffmpeg.find_ffmpeg()


def test_path_is_preferred_over_the_wheel(fresh_ffmpeg, tmp_path):
    _fake_exe(tmp_path / "ffmpeg")
    fresh_ffmpeg.delenv("MUSIC01_FFMPEG", raising=False)
    fresh_ffmpeg.setenv("PATH", str(tmp_path))
    assert ffmpeg.find_ffmpeg() == str(tmp_path / "ffmpeg")


def test_wheel_binary_when_nothing_else(fresh_ffmpeg, tmp_path):
    import imageio_ffmpeg

    fresh_ffmpeg.delenv("MUSIC01_FFMPEG", raising=False)
    fresh_ffmpeg.setenv("PATH", str(tmp_path))  # an empty directory: no ffmpeg, no ffprobe
    assert ffmpeg.find_ffmpeg() == imageio_ffmpeg.get_ffmpeg_exe()


def test_imageio_override_is_honoured(fresh_ffmpeg, tmp_path):
    # IMAGEIO_FFMPEG_EXE is the wheel's own override: the fast lookup must not bypass it.
    (tmp_path / "bin").mkdir()
    fake = _fake_exe(tmp_path / "bin" / "my-ffmpeg")
    fresh_ffmpeg.delenv("MUSIC01_FFMPEG", raising=False)
    fresh_ffmpeg.setenv("PATH", str(tmp_path / "empty"))
    fresh_ffmpeg.setenv("IMAGEIO_FFMPEG_EXE", str(fake))
    assert ffmpeg.find_ffmpeg() == str(fake)


def test_no_ffmpeg_anywhere(fresh_ffmpeg, tmp_path):
    import imageio_ffmpeg

    fresh_ffmpeg.delenv("MUSIC01_FFMPEG", raising=False)
    fresh_ffmpeg.setenv("PATH", str(tmp_path))

    def broken():
        raise RuntimeError("no binary")

    fresh_ffmpeg.setattr(imageio_ffmpeg, "get_ffmpeg_exe", broken)
    fresh_ffmpeg.setattr(ffmpeg, "_wheel_binary", lambda: None)  # as if the wheel had no binary
    with pytest.raises(FFmpegNotFoundError, match="pip install imageio-ffmpeg"):
        ffmpeg.find_ffmpeg()


def test_whole_flow_with_only_the_wheel_ffmpeg(make_audio, tmp_path):
    """A machine with no ffmpeg/ffprobe on PATH: prepare works and pydub says nothing."""
    src = make_audio("wheel_only.m4a", 16.5)
    empty = tmp_path / "bin"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MUSIC01_FFMPEG"}
    env["PATH"] = str(empty)
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run(
        [
            sys.executable,
            "-W",
            "default",
            "-m",
            "music01_core",
            "prepare",
            str(src),
            "-o",
            str(tmp_path / "out.mp3"),
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "Couldn't find" not in proc.stderr and "ffprobe" not in proc.stderr
    assert proc.stderr == ""
    assert '"format": "mp3"' in proc.stdout


def test_probe_reads_stream_info_without_ffprobe(make_audio):
    info = ffmpeg.probe(make_audio("probe.ogg", 11.0, sample_rate=32000, channels=1))
    assert info.container == "ogg" and info.codec == "vorbis"
    assert info.sample_rate == 32000 and info.channels == 1
    assert abs(info.duration_s - 11.0) < 0.1


def test_decode_seeks_on_the_input_side(monkeypatch, make_audio):
    seen = []
    real_run = ffmpeg._run

    def spy(args, **kw):
        seen.append(args)
        return real_run(args, **kw)

    monkeypatch.setattr(ffmpeg, "_run", spy)
    ffmpeg.decode_pcm(make_audio("seek.mp3", 12.0), start_s=5, duration_s=2)
    args = seen[-1]
    assert args.index("-ss") < args.index("-i") and args.index("-t") < args.index("-i")


MINIMAL_FFMPEG = """#!/bin/sh
# A minimal system ffmpeg: no Vorbis decoder, no LAME encoder; everything else is the real one.
for a in "$@"; do
  case "$a" in
    *.ogg) echo "[ogg @ 0x55] Decoder (codec vorbis) not found for input stream #0:0" >&2; exit 1 ;;
    libmp3lame) echo "Unknown encoder 'libmp3lame'" >&2; exit 1 ;;
  esac
done
exec "{real}" "$@"
"""


def test_a_system_ffmpeg_missing_codecs_falls_back_to_the_wheels(fresh_ffmpeg, monkeypatch, tmp_path, caplog):
    # Notebook 02 decodes Vorbis, and every MP3 clip needs LAME: a minimal ffmpeg found first on
    # PATH must not stop either while the wheel's ffmpeg can do it.
    import logging

    import imageio_ffmpeg
    import numpy as np
    import soundfile as sf

    from music01_core import prepare_clip
    from music01_core.ffmpeg import decode_pcm

    wheel = imageio_ffmpeg.get_ffmpeg_exe()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "ffmpeg"
    fake.write_text(MINIMAL_FFMPEG.replace("{real}", wheel))
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    sr = 22050
    t = np.arange(12 * sr) / sr
    sf.write(tmp_path / "tone.wav", 0.3 * np.sin(2 * np.pi * 330 * t), sr)
    ogg = tmp_path / "tone.ogg"
    subprocess.run([wheel, "-v", "error", "-i", str(tmp_path / "tone.wav"), "-c:a", "libvorbis", str(ogg)], check=True)

    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(ffmpeg, "_WHEEL_INSTEAD", None)
    ffmpeg.find_ffmpeg.cache_clear()
    assert ffmpeg.find_ffmpeg() == str(fake)  # the system one is still preferred ...
    with caplog.at_level(logging.INFO, logger="music01_core.ffmpeg"):
        pcm = decode_pcm(ogg, sample_rate=16000, channels=1)  # ... until it lacks a decoder
    assert abs(len(pcm) / 2 / 16000 - 12.0) < 0.1
    assert "lacks a codec (Decoder (codec vorbis) not found" in caplog.text
    assert ffmpeg._binary() == wheel

    # An MP3 encode after a fresh start: the LAME-less system ffmpeg, then the wheel's.
    monkeypatch.setattr(ffmpeg, "_WHEEL_INSTEAD", None)
    clip = prepare_clip(tmp_path / "tone.wav", tmp_path / "clip.mp3", start_s=0, end_s=11, model="music-01")
    assert clip.format == "mp3" and 10.9 < clip.duration_s < 11.1
    assert ffmpeg._binary() == wheel

    # A truly broken file is still a clear error, not a loop of fallbacks.
    monkeypatch.setattr(ffmpeg, "_WHEEL_INSTEAD", None)
    (tmp_path / "junk.mp3").write_text("not audio\n" * 100)
    from music01_core.errors import AudioInputError

    with pytest.raises(AudioInputError):
        prepare_clip(tmp_path / "junk.mp3", tmp_path / "junk-out.mp3")
    assert ffmpeg._WHEEL_INSTEAD is None
