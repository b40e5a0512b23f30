"""`music01 models --live` and the refusal of a delisted model, against the emulator's catalogue on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from music01_core.emulator import EmulatorServer
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]


def _cli(env, *args):
    return subprocess.run(
        [sys.executable, "-m", "music01_core", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_models_live_reads_the_list_without_the_key_and_a_delisted_model_is_refused(tmp_path):
    with EmulatorServer(key=KEY, home=tmp_path / "emu") as emu:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "REPLICATE"))}
        env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
        out = _cli(env, "models", "--live")
        assert out.returncode == 0, out.stderr
        assert (
            "model list checked" in out.stdout
            and "≈ $0.195 (390,000 credits) a piece · provider's list, checked " in out.stdout
        )
        emu.catalogue(delist=["minimax/music-1.5"])
        emu.catalogue(
            add={"id": "minimax/music-3.0", "type": "audio", "info": {"name": "Music 3.0", "developer": "MiniMax"}}
        )
        emu.catalogue(republish={"id": "minimax/music-2.6", "as": "minimax/music-2.6-pro"})
        rows = json.loads(_cli(env, "models", "--live", "--json").stdout)
        by_id = {r["id"]: r for r in rows}
        assert by_id["minimax/music-1.5"]["listed"] is False
        assert by_id["minimax/music-2.6"]["listed"] is True  # still there, as an alias of the new id
        assert by_id["minimax/music-3.0"] == {**by_id["minimax/music-3.0"], "listed": True, "supported": False}
        assert emu.catalogue()["catalogue_auth_headers"] == 0  # the key never went to the list
        refused = _cli(
            env,
            "generate",
            "--model",
            "minimax/music-1.5",
            "--prompt",
            "calm piano ballad",
            "--lyrics",
            "[Verse]\\nla la la la",
            "-o",
            str(tmp_path / "x.mp3"),
        )
        assert refused.returncode != 0 and "no longer listed by the provider" in refused.stderr
        assert emu.stats()["submits"] == []
        made = _cli(
            env,
            "generate",
            "--model",
            "minimax/music-2.6",
            "--prompt",
            "calm piano ballad",
            "--instrumental",
            "-o",
            str(tmp_path / "y.mp3"),
        )
        assert made.returncode == 0, made.stderr
        assert "(≈ $0.195 (390,000 credits) a piece · provider's list, checked " in made.stderr
        plain = _cli(env, "models")  # fresh copy: no request, the same words
        assert (
            "no longer listed by the provider" in plain.stdout
            and "listed by the provider, not supported here yet" in plain.stdout
        )
