"""A piece's price before billing: every kind of the provider's list read with its ``per``, then the
history, then the table's list price, then no figure; dollars with credits beside them, always a source."""

import time
from dataclasses import replace

import pytest

from music01_core.backends import OfflineBackend
from music01_core.backends.base import MusicRequest
from music01_core.catalogue import Catalogue, ListedModel
from music01_core.history import History
from music01_core.pricing import Price, price_of


def _listing(pricing, model_id="minimax/music-2.6", aliases=(), checked_at=None):
    at = time.time() if checked_at is None else checked_at
    return Catalogue(models=(ListedModel(model_id, tuple(aliases), "audio", pricing),), checked_at=at)


def _fixed(price, name="generation", per=1, **extra):
    return {"kind": "fixed", "currency": "USD", "units": [{"name": name, "price": price, "per": per, **extra}]}


def test_fixed_per_generation_in_dollars_and_credits_with_its_source():
    p = price_of("minimax/music-2.6", listing=_listing(_fixed(0.195)))
    assert p.usd_each == pytest.approx(0.195) and p.credits_each == pytest.approx(390_000)
    assert p.source == "provider's list" and p.detail.startswith("checked ")
    assert p.words().startswith("≈ $0.195 (390,000 credits) a piece · provider's list, checked ")
    assert p.words(4).startswith("≈ $0.78 (1,560,000 credits) for 4 pieces")


def test_per_is_read_with_price():
    # $195 per 1000 generations is $0.195 each.
    assert price_of("minimax/music-2.6", listing=_listing(_fixed(195, per=1000))).usd_each == pytest.approx(0.195)


def test_a_unit_that_is_not_a_piece_gives_no_figure_but_says_what_the_list_says():
    p = price_of("minimax/music-2.6", listing=_listing(_fixed(0.002, name="second")))
    assert p.usd_each is None and p.as_listed == "$0.002 per second"
    assert p.words().startswith("$0.002 per second · provider's list")


def test_variants_give_a_range_or_the_variant_of_the_settings():
    variants = {
        "kind": "variants",
        "currency": "USD",
        "variants": [
            {"when": {"audio_setting.audio_sample_rate": 32000}, "price": 0.1, "unit": "generation", "per": 1},
            {"when": {"audio_setting.audio_sample_rate": 44100}, "price": 0.12, "unit": "generation", "per": 1},
        ],
    }
    p = price_of("minimax/music-2.0", listing=_listing(variants, "minimax/music-2.0"))
    assert (p.usd_each, p.usd_high) == (pytest.approx(0.1), pytest.approx(0.12)) and "by setting" in p.detail
    assert p.amount() == "$0.10–$0.12 (200,000–240,000 credits)"
    chosen = price_of(
        "minimax/music-2.0",
        listing=_listing(variants, "minimax/music-2.0"),
        settings={"audio_setting.audio_sample_rate": 44100},
    )
    assert chosen.usd_each == pytest.approx(0.12) and chosen.usd_high is None and "for these settings" in chosen.detail


def test_variable_pricing_has_no_figure():
    p = price_of("minimax/music-2.6", listing=_listing({"kind": "variable", "currency": "USD"}))
    assert p.usd_each is None and p.source == "provider's list" and "priced by use" in p.words()


def test_a_model_republished_under_a_new_id_is_found_by_its_alias():
    p = price_of(
        "minimax/music-2.6", listing=_listing(_fixed(0.2), "minimax/music-2.6-v2", aliases=["minimax/music-2.6"])
    )
    assert p.usd_each == pytest.approx(0.2)


def test_history_then_table_then_no_figure(tmp_path):
    # Nothing known: no figure, said plainly.
    p = price_of("minimax/music-2.6", homes=[tmp_path])
    assert p.usd_each is None and p.words() == "no price figure (model list not checked, none in your history)"
    # A list that has no price for the model falls through to the history.
    offline = OfflineBackend(home=tmp_path / "scratch")
    r = offline.make(MusicRequest(model="minimax/music-2.6", prompt="calm piano music", lyrics="[Verse]\nla"))
    for usd in ("0.19", "0.2", "0.21"):
        History(tmp_path).save(replace(r, backend="api", credits_used="1", usd_spent=usd))
    History(tmp_path).save(
        replace(r, backend="offline")
    )  # the offline engine's pieces cost nothing and are not counted
    p = price_of("minimax/music-2.6", listing=_listing(None), homes=[tmp_path])
    assert p.usd_each == pytest.approx(0.2) and p.source == "your history" and p.detail == "median of 3 pieces"
    # Replicate reports no cost: its table list price, in dollars only (it has no credits).
    rp = price_of("replicate/minimax/music-01", homes=[tmp_path])
    assert rp.source == "list price" and rp.usd_each == pytest.approx(0.035) and "credits" not in rp.words()


def test_an_unreadable_price_is_no_figure_never_an_error():
    for bad in (_fixed("0.1"), _fixed(True), _fixed(-1), {"kind": "fixed"}, {"kind": "weird"}, {"units": 3}):
        p = price_of("minimax/music-2.6", listing=_listing(bad))
        assert isinstance(p, Price) and p.usd_each is None


def test_to_dict_for_json():
    d = price_of("minimax/music-2.6", listing=_listing(_fixed(0.195))).to_dict()
    assert d["usd_each"] == pytest.approx(0.195) and d["credits_each"] == pytest.approx(390_000)
    assert d["source"] == "provider's list" and d["words"].startswith("≈ $0.195")
