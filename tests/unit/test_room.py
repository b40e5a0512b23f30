"""Room mode's numbers: what a class costs before it starts, and what the room has used."""

import time
from dataclasses import replace

import pytest

from music01_core.backends import OfflineBackend
from music01_core.backends.base import MusicRequest
from music01_core.catalogue import Catalogue, ListedModel
from music01_core.history import History
from music01_core.room import estimate_cost, room_usage


def test_estimate_from_no_figure_then_your_history_then_the_providers_list(tmp_path):
    first = estimate_cost("minimax-music", 75, data_home=tmp_path)
    # Nothing written by hand: with no list and no history, no figure.
    assert first.usd_total is None and first.credits_total is None
    assert "no cost figure is known (no figure, model list not checked, none in your history)" in first.describe()
    # Three real generations recorded in two sessions: their median dollars.
    offline = OfflineBackend(home=tmp_path / "scratch")
    r = offline.make(MusicRequest(model="minimax/music-2.6", prompt="calm piano music", lyrics="[Verse]\nla"))
    for home, credits, usd in (
        (tmp_path / "sessions" / "a", "100000", "0.05"),
        (tmp_path / "sessions" / "a", "140000", "0.07"),
        (tmp_path / "sessions" / "b", "120000", "0.06"),
    ):
        History(home).save(replace(r, backend="api", model="minimax-music", credits_used=credits, usd_spent=usd))
    est = estimate_cost("minimax-music", 10, data_home=tmp_path)
    assert est.usd_total == pytest.approx(0.60) and est.credits_total == pytest.approx(1_200_000)
    assert est.source == "your history, median of 3 pieces"
    assert (
        "10 generations of minimax-music ≈ $0.60 (1,200,000 credits) at $0.06 (120,000 credits) each" in est.describe()
    )
    # The provider's list wins over the history.
    listing = Catalogue(
        models=(ListedModel("minimax/music", ("minimax-music",), "audio", _fixed(0.035)),), checked_at=time.time()
    )
    listed = estimate_cost("minimax-music", 10, data_home=tmp_path, listing=listing)
    assert listed.usd_total == pytest.approx(0.35) and listed.source.startswith("provider's list, checked ")
    with pytest.raises(ValueError, match="at least 1"):
        estimate_cost("minimax-music", 0)


def _fixed(usd):
    return {"kind": "fixed", "currency": "USD", "units": [{"name": "generation", "price": usd, "per": 1}]}


def test_room_usage_counts_every_session_and_the_last_hour(tmp_path):
    offline = OfflineBackend(home=tmp_path / "scratch")
    r = offline.make(MusicRequest(model="minimax/music-2.6", prompt="calm piano music", lyrics="[Verse]\nla"))
    History(tmp_path / "sessions" / "s1").save(replace(r, backend="api", credits_used="84000", usd_spent="0.04"))
    History(tmp_path / "sessions" / "s1").save(r)
    History(tmp_path / "sessions" / "s2").save(r)
    (tmp_path / "sessions" / "empty").mkdir()
    u = room_usage(tmp_path)
    assert (u.sessions, u.generations_total, u.generations_last_hour, u.billed_last_hour) == (2, 3, 3, 1)
    assert u.credits_total == 84_000 and u.usd_total == pytest.approx(0.04)
    assert [row["session"] for row in u.per_session] == [1, 2] and u.per_session[0]["generations"] == 2
    later = room_usage(tmp_path, now=time.time() + 7200)  # two hours on: nothing in the last hour
    assert later.generations_last_hour == 0 and later.generations_total == 3
