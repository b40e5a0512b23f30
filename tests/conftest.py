"""Shared fixtures: every audio file the tests use is generated here, never committed."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.audiogen import tone, write_audio  # noqa: F401

# --- Parallel runs ---------------------------------------------------------------------------
# pyproject's addopts run the suite with pytest-xdist on every core (`-n auto --dist loadfile`;
# `-n 0` runs it in one process). Under loadfile each test file goes to one worker whole, in
# its own order, so a file's module fixtures (an app server, an emulator, a browser) start once,
# as in a serial run; tests that wait on a server's clock never share a server with another
# worker. The scheduler below adds two things to loadfile: files that must not run at the same
# time go out as one unit (TOGETHER), and the longest units go out first (SECONDS), so the run
# does not end with one worker busy on a long file while the other idles.

# Both build music01 and its kernel package with pip from this folder (in-tree builds: build/,
# *.egg-info); two such builds at once can trip over each other's files.
TOGETHER = {
    "tests/notebooks/test_install.py": "tests/notebooks/(pip installs)",
    "tests/notebooks/test_kernel.py": "tests/notebooks/(pip installs)",
}
# Roughly how long each unit of 4 s or more takes alone, in seconds, on 2 cores (measured
# 2026-12). Only the order depends on them: a stale figure costs time, never a test. A unit not
# listed counts PER_TEST_S for each of its tests.
SECONDS = {
    "tests/notebooks/test_notebooks.py": 190,
    "tests/browser/test_browser.py": 130,
    "tests/unit/test_analysis.py": 47,
    "tests/app/test_app_replicate.py": 45,
    "tests/server/test_replicate_jobs.py": 31,
    "tests/server/test_replicate_emulator.py": 29,
    "tests/server/test_fault_matrix.py": 41,
    "tests/unit/test_engine.py": 31,
    "tests/server/test_jobs_emulator.py": 24,
    "tests/server/test_new_models_emulator.py": 29,
    "tests/app/test_app_takes.py": 42,
    "tests/browser/test_browser_takes.py": 25,
    "tests/server/test_takes_emulator.py": 20,
    "tests/unit/test_new_models.py": 23,
    "tests/app/test_app_client.py": 23,
    "tests/server/test_emulator.py": 23,
    "tests/unit/test_cli_backend.py": 20,
    "tests/server/test_secrets.py": 20,
    "tests/notebooks/(pip installs)": 15,
    "tests/app/test_app_bad_input.py": 12,
    "tests/unit/test_audio.py": 7,
    "tests/unit/test_vocals_verdict.py": 7,
    "tests/unit/test_room.py": 7,
    "tests/app/test_app_isolation.py": 6,
    "tests/app/test_app_wiring.py": 6,
    "tests/app/test_app_room.py": 6,
    "tests/unit/test_bad_input.py": 6,
    "tests/unit/test_rhythm.py": 5,
    "tests/app/test_app_ui.py": 4,
}
PER_TEST_S = 0.05


def _unit(nodeid: str) -> str:
    path = nodeid.split("::", 1)[0]
    return TOGETHER.get(path, path)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "loadfile":
        return None  # another --dist given on the command line: xdist's own
    from xdist.scheduler import LoadScopeScheduling

    class LongestFileFirst(LoadScopeScheduling):
        _ordered = False

        def _split_scope(self, nodeid: str) -> str:
            return _unit(nodeid)

        def _assign_work_unit(self, node) -> None:
            if not self._ordered:  # the first assignment: the queue is complete, nothing sent yet
                self._ordered = True
                units = sorted(self.workqueue.items(), key=lambda u: -SECONDS.get(u[0], PER_TEST_S * len(u[1])))
                self.workqueue.clear()
                self.workqueue.update(units)
            super()._assign_work_unit(node)

    return LongestFileFirst(config, log)


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
