"""`music01 models --check-docs` against the emulator on 127.0.0.1: its served references, made to drift.

The emulator's catalogue points each model's ``info.docsJson`` at ``/_docs/{id}.json``, which serves
the references music01 keeps; ``POST /_emulator/catalogue {"docs": …}`` edits one so the "live"
reference drifts.  The CLI exits 0 with no drift, 1 with a field-by-field report, 3 when a reference
could not be read, and never sends the key to the list or the documents.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from music01_core.drift import KEPT, kept_bytes
from music01_core.emulator import EmulatorServer
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
LIVE = (
    "minimax-music",
    "minimax/music-cover",
    "minimax/music-2.6",
    "minimax/music-2.0",
    "minimax/music-1.5",
    "elevenlabs/eleven_music",
    "google/lyria2",
    "stable-audio",
)


@pytest.fixture
def emu(tmp_path):
    with EmulatorServer(key=KEY, home=tmp_path / "emu") as server:
        yield server


@pytest.fixture
def env(emu, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "REPLICATE"))}
    # The key is set, as a maintainer's would be: it must still never travel to the list or the documents.
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
    return env


def check_docs(env, *more):
    return subprocess.run(
        [sys.executable, "-m", "music01_core", "models", "--check-docs", *more],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def edit_docs(emu, specs) -> dict:
    """The control op, over HTTP as a test of another language would send it."""
    r = requests.post(f"{emu.url}/_emulator/catalogue", json={"docs": specs}, timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_emulator_serves_the_kept_references_by_id_and_alias(emu):
    listed = requests.get(f"{emu.url}/v1/models", timeout=10).json()["data"]
    urls = {m["id"]: m["info"]["docsJson"] for m in listed}
    for model_id in KEPT:
        r = requests.get(urls[model_id], timeout=10)
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/json")
        assert r.content == kept_bytes(model_id)  # byte for byte
    assert requests.get(f"{emu.url}/_docs/music-2.6.json", timeout=10).content == kept_bytes("minimax/music-2.6")
    emu.catalogue(republish={"id": "minimax/music-2.0", "as": "minimax/music-2.0-pro"})
    moved = requests.get(f"{emu.url}/model/minimax/music-2.0-pro", timeout=10).json()["data"]["info"]["docsJson"]
    assert moved.endswith("/_docs/minimax/music-2.0-pro.json")
    assert requests.get(moved, timeout=10).content == kept_bytes("minimax/music-2.0")
    assert requests.get(urls["openai/gpt-4o"], timeout=10).status_code == 404  # no reference kept for it
    assert requests.get(f"{emu.url}/_docs/minimax/music-2.6", timeout=10).status_code == 404


def test_check_docs_is_clean_on_the_untouched_emulator_and_sends_no_key(emu, env):
    out = check_docs(env)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "aimlapi/api-docs f14fa72" in out.stdout and "model list checked" in out.stdout
    for model_id in LIVE:
        assert f"  {model_id:24s} no change since f14fa72" in out.stdout
    assert out.stdout.rstrip().endswith("No drift.")
    seen = emu.catalogue()
    assert seen["catalogue_auth_headers"] == 0 and seen["docs_auth_headers"] == 0
    assert sum(n for p, n in emu.stats()["requests"].items() if p.startswith("/_docs/")) == len(LIVE)
    # The counter does count a key (so the zero above means something).
    requests.get(f"{emu.url}/_docs/minimax-music.json", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert emu.catalogue()["docs_auth_headers"] == 1


def test_a_drifted_reference_is_reported_field_by_field_and_exits_1(emu, env):
    edit_docs(
        emu,
        [
            {
                "id": "minimax/music-2.6",
                "patch": {
                    "lyrics": {"maxLength": 2500},
                    "audio_setting.format": {"enum": ["mp3", "wav", "pcm", "flac"]},
                    "lyrics_optimizer": None,
                    "prompt": {"required": True},
                },
            },
            {"id": "minimax-music", "patch": {"seed": {"type": "integer", "minimum": 0}}},
        ],
    )
    out = check_docs(env)
    assert out.returncode == 1, out.stdout + out.stderr
    lines = out.stdout.splitlines()
    at = lines.index("  minimax/music-2.6        4 differences from f14fa72:")
    assert lines[at + 1 : at + 5] == [
        "      enum audio_setting.format: + flac",
        "      lyrics: maxLength 3000 → 2500",
        "      removed field `lyrics_optimizer`",
        "      `prompt` now required",
    ]
    assert "      new field `seed` (integer, optional, minimum 0)" in lines
    assert "  minimax/music-cover      no change since f14fa72" in lines
    assert "2 models drifted" in out.stdout

    data = json.loads(check_docs(env, "--json").stdout)
    assert data["drifted"] == 2 and data["not_checked"] == 0
    assert data["reference_commit"].startswith("f14fa72")
    by_id = {m["id"]: m for m in data["models"]}
    assert [m["id"] for m in data["models"]] == list(LIVE)
    assert by_id["minimax/music-2.0"] == {**by_id["minimax/music-2.0"], "status": "same", "differences": []}
    lowered = next(d for d in by_id["minimax/music-2.6"]["differences"] if d["aspect"] == "maxLength")
    assert lowered == {
        "field": "lyrics",
        "aspect": "maxLength",
        "ours": 3000,
        "theirs": 2500,
        "words": "lyrics: maxLength 3000 → 2500",
    }
    assert {d["aspect"] for d in by_id["minimax/music-2.6"]["differences"]} == {
        "enum",
        "maxLength",
        "field",
        "required",
    }
    assert by_id["minimax/music-2.6"]["docs_json"].endswith("/_docs/minimax/music-2.6.json")

    edit_docs(emu, [{"id": "minimax/music-2.6", "restore": True}, {"id": "minimax-music", "restore": True}])
    assert check_docs(env).returncode == 0
    assert emu.catalogue()["catalogue_auth_headers"] == 0 and emu.catalogue()["docs_auth_headers"] == 0


def test_a_reference_that_cannot_be_read_is_not_checked_and_exits_3(emu, env):
    edit_docs(
        emu,
        [
            {"id": "minimax/music-1.5", "answer": "http:404"},
            {"id": "minimax/music-2.0", "url": "http://127.0.0.1:9/nowhere.json"},  # nothing listens there
            {"id": "minimax/music-cover", "answer": "badjson"},
        ],
    )
    out = check_docs(env)
    assert out.returncode == 3, out.stdout + out.stderr
    assert "  minimax/music-1.5        not checked (the document answered HTTP 404)" in out.stdout
    assert "  minimax/music-2.0        not checked (the document could not be reached (ConnectionError))" in out.stdout
    assert "  minimax/music-cover      not checked (the document is not JSON)" in out.stdout
    assert "3 models not checked." in out.stdout
    emu.catalogue(delist=["minimax/music-2.6"])
    data = json.loads(check_docs(env, "--json").stdout)
    assert {m["id"]: m["why"] for m in data["models"] if m["status"] == "not checked"}["minimax/music-2.6"] == (
        "no longer listed by the provider"
    )
    # Drift wins over "not checked": a scheduled job sees the finding that needs work.
    edit_docs(emu, {"id": "minimax-music", "patch": {"prompt": {"maxLength": 600}}})
    assert check_docs(env).returncode == 1
    emu.catalogue(reset=True)  # every document and address back
    assert check_docs(env).returncode == 0
    assert emu.catalogue()["catalogue_auth_headers"] == 0 and emu.catalogue()["docs_auth_headers"] == 0


def test_malformed_docs_ops_are_refused(emu):
    for specs in ({"patch": {}}, {"id": "openai/gpt-4o", "answer": "http:500"}, {"id": "minimax-music", "x": 1}):
        r = requests.post(f"{emu.url}/_emulator/catalogue", json={"docs": specs}, timeout=10)
        assert r.status_code == 400, specs
    r = requests.post(
        f"{emu.url}/_emulator/catalogue", json={"docs": {"id": "minimax-music", "patch": {"nothing": None}}}, timeout=10
    )
    assert r.status_code == 400 and "no field" in r.json()["error"]
