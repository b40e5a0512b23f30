"""The notebooks' helpers: the setup call, what a cell costs, this run's takes, the reusable emulator."""

import time

import pytest
import requests

from music01_core.catalogue import CatalogueClient
from music01_core.notebook import NotebookSession, notebook_emulator, notebook_setup


def _unplugged(self, headers, kept):
    raise requests.exceptions.ConnectionError("unplugged")


def test_setup_says_which_backend_and_honours_the_switch(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("AIML_API_KEY", "sk-test-notebook")
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MUSIC01_BACKEND", raising=False)
    monkeypatch.setattr(CatalogueClient, "_read", _unplugged)  # no network: the model list cannot be read
    nb = notebook_setup(model="minimax/music-2.6", workdir=tmp_path / "out")
    assert nb.backend.name == "api" and nb.billed
    assert "Using: AI/ML API · model: minimax/music-2.6" in capsys.readouterr().out
    off = notebook_setup(model="minimax/music-2.6", offline=True, workdir=tmp_path / "out")
    assert off.backend.name == "offline" and not off.billed
    assert "offline engine" in capsys.readouterr().out
    # What a billed cell prints before it runs: the count and, with no list and no history, no made-up figure.
    text = nb.cost(3)
    assert text.startswith("💳 Billed by AI/ML API: 3 generation(s) of music-2.6 · AI/ML API, no price figure")
    assert "sk-test-notebook" not in text
    assert off.cost(3) == "Offline engine: this cell makes 3 piece(s) here, for free."
    with pytest.raises(ValueError, match="unknown model"):
        notebook_setup(model="nonsense", workdir=tmp_path / "out")


def test_mine_and_export_mine_hold_only_this_runs_takes(offline, tmp_path):
    import zipfile

    from music01_core.backends.base import MusicRequest

    before = offline.make(MusicRequest(model="minimax/music-2.6", prompt="before the run", lyrics="[Verse]\nla la"))
    time.sleep(1.1)
    nb = NotebookSession(backend=offline, model="minimax/music-2.6", work=tmp_path)
    take = offline.make(MusicRequest(model="minimax/music-2.6", prompt="mine, this run", lyrics="[Verse]\nla la"))
    assert [e.id for e in nb.mine()] == [take.history_id]
    names = zipfile.ZipFile(nb.export_mine(tmp_path / "mine.zip")).namelist()
    assert any(take.history_id in n for n in names) and not any(before.history_id in n for n in names)


def test_the_emulator_cell_can_be_run_again(capsys):
    em = notebook_emulator(key="k1", latency_s=0.5)
    try:
        em.faults(poll=["http:502"])
        again = notebook_emulator(key="k1", latency_s=0.5)
        assert again is em, "a second server was started"
        assert not any(em.state.faults.values()), "faults from the earlier run were left queued"
        assert "reset (no faults queued, counters at 0)" in capsys.readouterr().out
    finally:
        em.stop()
    fresh = notebook_emulator(key="k1", latency_s=0.5)  # after stop: a new one
    try:
        assert fresh is not em
    finally:
        fresh.stop()


def test_a_replicate_row_is_said_per_model_and_costed_at_its_list_price(monkeypatch, tmp_path, capsys):
    """With only an AI/ML key, music-01 · Replicate runs offline and says so; with a Replicate token it is
    chosen for 'music-01' and its cost line is the list price, never 'spent'."""
    for name in ("AIML_API_KEY", "AIMLAPI_API_KEY", "REPLICATE_API_TOKEN", "REPLICATE_BASE_URL", "MUSIC01_BACKEND"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("AIML_API_KEY", "sk-test-notebook")
    nb = notebook_setup(model="replicate/minimax/music-01", workdir=tmp_path / "out")
    assert "offline engine" in nb.runs_on() and "Replicate" in nb.notice()
    assert not nb.billed_for("replicate/minimax/music-01") and nb.billed_for("minimax/music-2.6")
    monkeypatch.setenv("REPLICATE_API_TOKEN", "r8_" + "Nb4" * 12)
    nb = notebook_setup(model="music-01", workdir=tmp_path / "out")
    assert nb.model == "replicate/minimax/music-01" and nb.runs_on() == "Replicate"
    text = nb.cost(2)
    assert "$0.07" in text and "list price" in text and "spent" not in text
    assert "r8_" not in capsys.readouterr().out + text


def test_the_cost_line_and_banner_follow_the_providers_list(monkeypatch, tmp_path, capsys):
    from music01_core.emulator import EmulatorServer

    key = "sk-test-notebook-list"
    with EmulatorServer(key=key, home=tmp_path / "emu") as emu:
        monkeypatch.setenv("AIML_API_KEY", key)
        monkeypatch.setenv("AIML_API_BASE", emu.url)
        monkeypatch.setenv("MUSIC01_HOME", str(tmp_path / "home"))
        monkeypatch.delenv("MUSIC01_BACKEND", raising=False)
        emu.catalogue(delist=["minimax/music-1.5"])
        nb = notebook_setup(model="minimax/music-2.6", workdir=tmp_path / "out")  # reads the list: no key sent
        banner = capsys.readouterr().out
        assert "Model list checked " in banner and emu.catalogue()["catalogue_auth_headers"] == 0
        # An emulator bills nothing, so the line says so; a session that counts as billed reads the list's price.
        assert "nothing is billed" in nb.cost(2)
        monkeypatch.setattr(NotebookSession, "_local", lambda self, m: False)
        text = nb.cost(2)
        assert (
            "2 generation(s) of music-2.6 · AI/ML API, ≈ $0.39 (780,000 credits) for 2 pieces · provider's list" in text
        )
        gone = nb.cost(1, "minimax/music-1.5")
        assert "minimax/music-1.5 is no longer listed by the provider (model list checked " in gone
        assert key not in text + gone + banner
