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

    def _make(name: str, duration_s: float, *, sample_rate: int = 44100, channels: int = 2,
              freq: float = 220.0, amplitude: float = 0.3, metadata: dict | None = None) -> Path:
        key = (name, duration_s, sample_rate, channels, freq, amplitude, tuple(sorted((metadata or {}).items())))
        if key not in made:
            path = audio_dir / name
            made[key] = write_audio(path, tone(duration_s, sample_rate, channels, freq, amplitude), sample_rate,
                                    metadata=metadata)
        return made[key]

    return _make
