"""Broken, odd and borderline audio files, made on the spot for the bad-input tests (CLI and app)."""

from __future__ import annotations

import struct
import subprocess
import zipfile
from pathlib import Path

import numpy as np
import soundfile as sf

from music01_core.ffmpeg import find_ffmpeg


def _tone(seconds, sample_rate=16000, channels=1):
    t = np.arange(int(seconds * sample_rate)) / sample_rate
    y = 0.3 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))
    return np.repeat(y[:, None], channels, 1) if channels > 1 else y


def make_bad_files(d: Path) -> Path:
    """Write every broken, odd or borderline audio file of the bad-input tests into ``d``."""
    ff = find_ffmpeg()

    def mp3(path, seconds):
        w = d / "tmp.wav"
        sf.write(w, _tone(seconds, 44100), 44100)
        subprocess.run([ff, "-v", "error", "-y", "-i", str(w), "-b:a", "128k", str(path)], check=True)
        return path

    (d / "empty.mp3").write_bytes(b"")
    (d / "text.mp3").write_text("these are my lyrics\n" * 50)
    (d / "image.wav").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(4000))
    with zipfile.ZipFile(d / "archive.mp3", "w") as z:
        z.writestr("a.txt", "x" * 1000)
    full = mp3(d / "full.mp3", 20).read_bytes()
    (d / "truncated.mp3").write_bytes(full[: len(full) // 20])
    sf.write(d / "ok.wav", _tone(20, 44100), 44100)
    wav = bytearray((d / "ok.wav").read_bytes())
    struct.pack_into("<I", wav, 40, 10**9)  # the header claims 3 hours
    (d / "lying.wav").write_bytes(bytes(wav))
    head = bytearray(wav[:44])
    struct.pack_into("<I", head, 40, 0)
    (d / "zero-length.wav").write_bytes(bytes(head))
    sf.write(d / "silence.wav", np.zeros(20 * 16000), 16000)
    for s in (7.9, 10.0, 10.1, 15.0, 6.0, 600.0, 600.5):
        sf.write(d / f"len-{s}.wav", _tone(s), 16000)
    sf.write(d / "eight-channels.wav", _tone(20, 16000, 8), 16000)
    sf.write(d / "8k.wav", _tone(20, 8000), 8000)
    sf.write(d / "192k.wav", _tone(20, 192000), 192000)
    sf.write(d / "float32.wav", _tone(20).astype(np.float32), 16000, subtype="FLOAT")
    sf.write(d / "pcm24.wav", _tone(20), 16000, subtype="PCM_24")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.imsave(d / "cover.png", np.random.default_rng(0).random((900, 900, 3)))
    subprocess.run(
        [
            ff,
            "-v",
            "error",
            "-y",
            "-i",
            str(d / "full.mp3"),
            "-i",
            str(d / "cover.png"),
            "-map",
            "0",
            "-map",
            "1",
            "-c",
            "copy",
            "-id3v2_version",
            "3",
            "-disposition:v",
            "attached_pic",
            str(d / "cover.mp3"),
        ],
        check=True,
    )
    for name in ("with space.mp3", "ünïcødé 音乐.mp3", 'quote\'s "q".mp3'):
        (d / name).write_bytes(full)
    (d / "a-folder.mp3").mkdir()
    subprocess.run(
        [ff, "-v", "error", "-y", "-i", str(d / "ok.wav"), "-c:a", "libopus", str(d / "take.webm")], check=True
    )
    subprocess.run(
        [
            ff,
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "anullsrc=r=8000:cl=mono",
            "-t",
            "10800",
            "-c:a",
            "flac",
            str(d / "three-hours.flac"),
        ],
        check=True,
    )
    (d / "sub").mkdir()
    (d / "sub" / "up.mp3").write_bytes(full)
    return d
