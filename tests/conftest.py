"""Shared fixtures: every audio file the tests use is generated here, never committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audiogen import tone, write_audio  # noqa: F401


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def make_audio(audio_dir):
    """Factory: ``make_audio("name.mp3", duration_s, sample_rate=..., channels=...)``."""
    made: dict = {}

    def _make(
        name: str,
        duration_s: float,
        *,
        sample_rate: int = 44100,
        channels: int = 2,
        freq: float = 220.0,
        amplitude: float = 0.3,
        metadata: dict | None = None,
    ) -> Path:
        key = (name, duration_s, sample_rate, channels, freq, amplitude, tuple(sorted((metadata or {}).items())))
        if key not in made:
            path = audio_dir / name
            made[key] = write_audio(
                path, tone(duration_s, sample_rate, channels, freq, amplitude), sample_rate, metadata=metadata
            )
        return made[key]

    return _make


@pytest.fixture(scope="session")
def examples(audio_dir):
    """The project's own example references, written once per test session."""
    from music01_core.examples import EXAMPLES, write_example

    return {name: write_example(name, audio_dir / f"{name}.wav") for name in EXAMPLES}


@pytest.fixture(scope="session")
def speech_wav(audio_dir):
    """Real synthetic speech from espeak-ng (CI installs it); skipped where it is missing."""
    import shutil
    import subprocess

    exe = shutil.which("espeak-ng") or shutil.which("espeak")
    if not exe:
        pytest.skip("espeak-ng is not installed (CI installs it with apt)")
    path = audio_dir / "speech.wav"
    text = (
        "Hello everyone, and welcome to the workshop. Today we are going to talk about how music models work, "
        "what they need from a reference recording, and why a spoken sentence like this one is not the same "
        "thing as singing. Please listen carefully and take some notes as we go along."
    )
    subprocess.run([exe, "-w", str(path), "-s", "160", text], check=True, capture_output=True)
    return path


@pytest.fixture(scope="session")
def offline_home(tmp_path_factory):
    return tmp_path_factory.mktemp("music01_home")


@pytest.fixture(scope="session")
def offline(offline_home):
    from music01_core.backends import OfflineBackend

    return OfflineBackend(home=offline_home)


@pytest.fixture(scope="session")
def uploaded(offline, examples):
    """Ids of the example references uploaded once to the offline backend."""
    return {
        "song": offline.upload(examples["song-e-minor"], "song"),
        "groove": offline.upload(examples["groove-a-minor"], "instrumental"),
        "voice": offline.upload(examples["acappella-g-major"], "voice"),
    }


@pytest.fixture(scope="session")
def bad_files(tmp_path_factory):
    """Broken, odd and borderline audio (tests/badfiles.py), made once for the CLI and app matrices."""
    from tests.badfiles import make_bad_files

    return make_bad_files(tmp_path_factory.mktemp("bad"))
