"""Takes side by side (issue 24), in the core: the plan (refusals, prices, totals, billed or free) and the run
(one call per take, concurrently, a failed take never sent again and the others kept), through a client that
checks as the real one does and counts its billed calls."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import replace
from types import SimpleNamespace

import pytest

from music01_core import errors as E
from music01_core.account import Balance
from music01_core.backends import OfflineBackend
from music01_core.backends.api import ApiBackend
from music01_core.history import History
from music01_core.models import get_model
from music01_core.pricing import LIST, NONE, TABLE, Price
from music01_core.takes import (
    TakesShortBalanceError,
    keep_take,
    kept_takes,
    plan_takes,
    run_takes,
    spent_words,
)
from music01_core.types import GenerationResult, MusicRequest
from tests.audiogen import KEY

M26, M20, M15 = "minimax/music-2.6", "minimax/music-2.0", "minimax/music-1.5"
ELEVEN, LYRIA, STABLE = "elevenlabs/eleven_music", "google/lyria2", "stable-audio"
FOUR = [M26, ELEVEN, LYRIA, STABLE]
PROMPT = "warm indie pop, acoustic guitar and soft drums"
LYRICS = "[Verse]\nMorning light across the river\nwe walk the long way home\n[Chorus]\nHold on, hold on"
TEMPLATE = MusicRequest(prompt=PROMPT, lyrics=LYRICS, options={"duration_s": 10}, seed=3)


class Billing:
    """The offline engine dressed as a billing service: the client's own checks (``prepare``), prices as given,
    every billed call counted, a provider's cost reported, and chosen models failing at the provider."""

    def __init__(self, home, prices=None, *, fail=(), crash=(), barrier=None, balance=None):
        self.inner = OfflineBackend(home=home)
        self.history, self.home = self.inner.history, self.inner.home
        self.prices = prices or {}
        self.fail, self.crash, self.barrier, self._balance = set(fail), set(crash), barrier, balance
        self.calls: Counter = Counter()
        self.balance_reads = 0
        self.lock = threading.Lock()

    def prepare(self, request, **kw):
        return self.inner.prepare(request, **kw)

    def offline_for(self, model) -> bool:
        return False

    def provider_for(self, model):
        return SimpleNamespace(local_service=False)

    def price_for(self, model, *, settings=None) -> Price:
        return self.prices.get(get_model(model).id, Price(None, source=NONE, detail="model list not checked"))

    def balance(self, service="aimlapi", **kw):
        self.balance_reads += 1
        return self._balance

    def run(self, job, **kw):
        with self.lock:
            self.calls[job.model.id] += 1  # the billed call
        if self.barrier is not None:
            self.barrier.wait()  # every take in flight at once, or this times out
        if job.model.id in self.fail:
            raise E.JobFailedError(
                "the provider reports the generation failed: GenerationError", generation_id=f"g-{job.model.id}"
            )
        if job.model.id in self.crash:
            raise RuntimeError("a bug")
        # A short piece, kept in the history before it is returned (as Client.run does), with its reported cost.
        length_s = get_model(job.model).option_values(job.options).get("duration_s", 1.0)
        piece = GenerationResult(
            audio=_wav(0.2),
            format="wav",
            sample_rate=8000,
            bitrate=0,
            duration_s=float(length_s),
            backend="api",
            model=job.model.id,
            prompt=job.prompt,
            lyrics=job.lyrics or "",
            generation_id=f"gen-{job.model.id}",
            credits_used="120000",
            usd_spent="0.06",
        )
        return self.history.keep(piece)


def _wav(seconds: float) -> bytes:
    import io
    import wave

    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(8000)
        w.writeframes(b"\0\0" * int(8000 * seconds))
    return buf.getvalue()


@pytest.fixture
def offline(tmp_path):
    return OfflineBackend(home=tmp_path / "home")


# --- the plan -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "models, said",
    [
        ([M26], "choose 2 to 4 models"),
        ([M26, ELEVEN, LYRIA, STABLE, M20], "choose 2 to 4 models"),
        ([M26, "music-2.6", STABLE], "minimax/music-2.6 is chosen twice"),
        ([M26, "no-such-model"], "unknown model"),
    ],
)
def test_a_plan_needs_two_to_four_distinct_known_models(offline, models, said):
    with pytest.raises(E.InputError, match=said):
        plan_takes(offline, TEMPLATE, models)


def test_each_model_gets_only_what_it_takes(offline):
    template = replace(TEMPLATE, options={"duration_s": 12, "negative_prompt": "drums"})
    plan = plan_takes(offline, template, FOUR)
    assert plan.ready and [t.model for t in plan.takes] == FOUR
    jobs = {t.model: t.job for t in plan.takes}
    assert jobs[M26].lyrics.startswith("[Verse]") and jobs[M26].prompt == PROMPT and jobs[M26].options == {}
    # No lyrics field: no lyrics (said in the notes); the prompt alone.
    for m in (ELEVEN, LYRIA, STABLE):
        assert jobs[m].lyrics is None and jobs[m].prompt == PROMPT
        assert any("no lyrics field" in n for n in dict((t.model, t.notes) for t in plan.takes)[m])
    # Each option only where the model takes it, in its provider's field and unit.
    assert jobs[ELEVEN].options == {"music_length_ms": 12000}
    assert jobs[STABLE].options == {"seconds_total": 12}
    assert jobs[LYRIA].options == {"negative_prompt": "drums", "seed": 3}  # the seed reaches its API too
    notes = {t.model: " ".join(t.notes) for t in plan.takes}
    assert "takes no length or negative prompt" in notes[M26] and "takes no length" in notes[LYRIA]


def test_a_model_that_needs_a_reference_is_refused_in_the_plan_and_nothing_is_sent(tmp_path):
    client = Billing(tmp_path / "home")
    plan = plan_takes(client, TEMPLATE, ["minimax-music", STABLE])
    refused = plan.refused
    assert [t.model for t in refused] == ["minimax-music"] and not plan.ready
    assert "reference track" in refused[0].refused and "this comparison has none" in refused[0].refused
    assert "✗ minimax-music: refused" in "\n".join(plan.lines())
    assert "Nothing can be sent yet: minimax-music is refused" in plan.total_words()
    assert plan.to_dict()["send_words"] is None
    with pytest.raises(E.InputError, match="nothing was sent"):
        run_takes(client, plan)
    assert client.calls == Counter() and History(client.home).list() == []


@pytest.mark.parametrize(
    "template, models, refused, said",
    [
        (replace(TEMPLATE, options={"duration_s": 60}), [STABLE, ELEVEN], STABLE, "must be from 1 to 47 s"),
        (replace(TEMPLATE, lyrics="x" * 3001), [M26, STABLE], M26, "3000"),
        (replace(TEMPLATE, prompt="short"), [M15, STABLE], M15, "style prompt"),
    ],
)
def test_each_take_is_checked_by_prepare_before_anything_is_billed(tmp_path, template, models, refused, said):
    client = Billing(tmp_path / "home")
    plan = plan_takes(client, template, models)
    assert [t.model for t in plan.refused] == [refused] and said in plan.refused[0].refused
    with pytest.raises(E.InputError):
        run_takes(client, plan)
    assert client.calls == Counter()


def prices() -> dict:
    return {
        M26: Price(0.195, source=LIST, detail="checked 10:42"),
        M20: Price(0.10, 0.12, LIST, "checked 10:42, by setting"),
        M15: Price(None, source=LIST, detail="checked 10:42", as_listed="priced by use, no figure ahead"),
        STABLE: Price(0.042, source=LIST, detail="checked 10:42"),
    }


def test_the_total_adds_the_list_prices_and_keeps_no_figure_visible(tmp_path):
    plan = plan_takes(Billing(tmp_path / "home", prices()), TEMPLATE, [M26, M20, M15, STABLE])
    assert plan.ready and len(plan.billed) == 4 and [t.model for t in plan.unpriced] == [M15]
    assert plan.total_usd == pytest.approx(0.337) and plan.total_usd_high == pytest.approx(0.357)
    words = plan.total_words()
    assert words.startswith("Total ≈ $0.337–$0.357 (674,000–714,000 credits) for 3 of 4 billed generations")
    assert "sources: provider's list, checked 10:42" in words
    assert "minimax/music-1.5: priced by use, no figure ahead (checked 10:42), not in the total" in words
    assert plan.send_words() == "Send 4 billed generations (≈ $0.337–$0.357 + 1 with no figure)"
    lines = plan.lines()
    assert lines[0].startswith("1. minimax/music-2.6 · AI/ML API · ≈ $0.195 (390,000 credits) a piece")
    assert "priced by use, no figure ahead" in lines[2]
    d = plan.to_dict()
    assert d["billed"] == 4 and d["unpriced"] == [M15] and d["total_usd"] == pytest.approx(0.337)


def test_a_total_with_no_figure_at_all_says_so(tmp_path):
    plan = plan_takes(Billing(tmp_path / "home"), TEMPLATE, [ELEVEN, STABLE])
    assert plan.amount() == "" and plan.total_words().startswith("Total: no figure for 2 billed generations")
    assert "elevenlabs/eleven_music: no price figure (model list not checked), not in the total" in plan.total_words()
    assert plan.send_words() == "Send 2 billed generations (no price figure)"


def test_dollars_from_a_service_without_credits_are_not_counted_as_credits(tmp_path):
    table = {
        "replicate/minimax/music-1.5": Price(
            0.03, source=TABLE, detail="replicate.com, read on 2026-12-06", credits=False
        ),
        STABLE: Price(0.042, source=LIST, detail="checked 10:42"),
    }
    plan = plan_takes(Billing(tmp_path / "home", table), TEMPLATE, ["replicate/minimax/music-1.5", STABLE])
    assert plan.amount() == "$0.072 (84,000 credits for the AI/ML API's takes)"


def test_billed_or_free_follows_where_each_take_runs(tmp_path, offline, monkeypatch):
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path / "data"))  # the providers' list copies: none here
    free = plan_takes(offline, TEMPLATE, [ELEVEN, STABLE])
    assert [t.billed for t in free.takes] == [False, False] and {t.runs_on for t in free.takes} == {"offline engine"}
    assert free.total_words() == "Free: 2 takes on the offline engine; nothing is billed."
    assert free.send_words() == "Make 2 takes (free: offline engine)"
    # An emulator on this machine bills nothing; the provider's own address does (nothing is sent to plan).
    local = ApiBackend(api_key=KEY, base_url="http://127.0.0.1:9", home=tmp_path / "a")
    plan = plan_takes(local, TEMPLATE, [ELEVEN, STABLE])
    assert not plan.billed and plan.takes[0].runs_on == "local emulator of AI/ML API"
    remote = ApiBackend(api_key=KEY, base_url="https://api.aimlapi.com", home=tmp_path / "b")
    plan = plan_takes(remote, TEMPLATE, [ELEVEN, STABLE])
    assert len(plan.billed) == 2 and plan.takes[0].runs_on == "AI/ML API"
    assert plan.total_words().startswith("Total: no figure for 2 billed generations")
    # A Replicate row with no token runs on the offline engine for this client: free, and said.
    mixed = plan_takes(remote, TEMPLATE, [STABLE, "replicate/minimax/music-1.5"])
    assert [t.billed for t in mixed.takes] == [True, False] and "1 more take free" in mixed.total_words()


def test_the_plan_id_follows_what_is_sent_and_its_price(tmp_path):
    client = Billing(tmp_path / "home", prices())
    a = plan_takes(client, TEMPLATE, [M26, STABLE])
    assert plan_takes(client, TEMPLATE, [M26, STABLE]).plan_id == a.plan_id
    assert plan_takes(client, replace(TEMPLATE, prompt=PROMPT + "!"), [M26, STABLE]).plan_id != a.plan_id
    assert plan_takes(client, TEMPLATE, [STABLE, M26]).plan_id != a.plan_id
    client.prices[M26] = Price(0.25, source=LIST, detail="checked 11:00")
    assert plan_takes(client, TEMPLATE, [M26, STABLE]).plan_id != a.plan_id


# --- the run ------------------------------------------------------------------------------------------------------


def test_a_grid_of_four_is_four_billed_calls_each_saved_with_its_cost(tmp_path):
    client = Billing(tmp_path / "home", prices())
    plan = plan_takes(client, TEMPLATE, FOUR)
    seen = []
    results = run_takes(client, plan, on_take=seen.append)
    assert client.calls == Counter(FOUR) and sum(client.calls.values()) == 4
    assert [r.model for r in results] == FOUR and all(r.ok for r in results)
    assert sorted(r.model for r in seen) == sorted(FOUR)
    entries = History(client.home).list()
    assert len(entries) == 4 and {r.history_id for r in results} == {e.id for e in entries}
    for r in results:
        assert r.cost_source == "reported" and r.cost_usd == pytest.approx(0.06)
        assert r.cost_words == "$0.06 (120,000 credits), reported" and r.duration_s > 0
        assert r.to_dict()["file_name"].startswith("music01-") and "path" not in r.to_dict()
    assert {r.duration_s for r in results if r.model in (ELEVEN, STABLE)} == {10.0}
    assert spent_words(results) == "4 takes made · $0.24 (480,000 credits) for 4 billed (reported)."


def test_a_failed_take_is_never_sent_again_and_the_others_are_kept(tmp_path):
    client = Billing(tmp_path / "home", prices(), fail={LYRIA}, crash={ELEVEN})
    results = run_takes(client, plan_takes(client, TEMPLATE, FOUR))
    assert client.calls == Counter(FOUR), "each take sent once: the failed ones too, and never again"
    by = {r.model: r for r in results}
    assert not by[LYRIA].ok and "generation failed" in by[LYRIA].error and by[LYRIA].generation_id == f"g-{LYRIA}"
    assert by[LYRIA].error_kind == "JobFailedError" and "may have been billed" in by[LYRIA].cost_words
    assert not by[ELEVEN].ok and "unexpected error" in by[ELEVEN].error and "Traceback" not in by[ELEVEN].error
    assert by[M26].ok and by[STABLE].ok and len(History(client.home).list()) == 2
    assert "✗ google/lyria2: the provider reports" in by[LYRIA].line()
    assert spent_words(results).startswith("2 of 4 takes made (2 failed) · $0.12")


def test_the_takes_are_in_flight_at_once_or_in_turn(tmp_path):
    client = Billing(tmp_path / "home", barrier=threading.Barrier(4, timeout=20))
    results = run_takes(client, plan_takes(client, TEMPLATE, FOUR))  # a barrier of 4: all four at once
    assert all(r.ok for r in results) and client.calls == Counter(FOUR)
    order = []
    client = Billing(tmp_path / "home2")
    client.run = (lambda run: lambda job, **kw: (order.append(job.model.id), run(job, **kw))[1])(client.run)
    run_takes(client, plan_takes(client, TEMPLATE, [STABLE, ELEVEN]), max_workers=1)
    assert order == [STABLE, ELEVEN]


def test_a_balance_below_the_total_refuses_the_grid_before_anything_is_sent(tmp_path):
    short = Balance(usd=0.2, currency="USD", checked_at=time.time())
    client = Billing(tmp_path / "home", prices(), balance=short)
    plan = plan_takes(client, TEMPLATE, [M26, STABLE])  # $0.237 together: each alone would pass
    with pytest.raises(TakesShortBalanceError, match=r"below the 2 billed takes' total \$0\.237") as err:
        run_takes(client, plan)
    assert isinstance(err.value, E.InsufficientCreditsError) and "nothing was sent" in str(err.value)
    assert client.calls == Counter() and client.balance_reads == 1
    client._balance = replace(short, usd=5.0)
    assert all(r.ok for r in run_takes(client, plan)) and sum(client.calls.values()) == 2


def test_free_takes_cost_nothing_and_say_where_they_ran(offline):
    results = run_takes(offline, plan_takes(offline, replace(TEMPLATE, options={"duration_s": 2}), [STABLE, M15]))
    assert [r.cost_words for r in results] == ["free (offline engine)"] * 2
    assert all(r.cost_usd == 0.0 and r.cost_source == "free" and not r.billed for r in results)
    assert spent_words(results) == "2 takes made · free: nothing was billed."


# --- keep ------------------------------------------------------------------------------------------------------------


def test_keep_marks_a_take_beside_its_history_entry(offline):
    results = run_takes(offline, plan_takes(offline, replace(TEMPLATE, options={"duration_s": 2}), [STABLE, M15]))
    history = History(offline.home)
    mark = keep_take(history, results[0].history_id, note="kept from a comparison of stable-audio, music-1.5")
    assert mark["model"] == STABLE and mark["note"].startswith("kept from")
    assert set(kept_takes(history)) == {results[0].history_id}
    assert len(history.list()) == 2, "the entry itself is not changed or moved"
    with pytest.raises(E.InputError, match="not a history id"):
        keep_take(history, "../../etc")


def test_the_notebook_helper_prints_the_total_before_it_sends(offline, tmp_path, capsys):
    from music01_core.notebook import NotebookSession

    nb = NotebookSession(backend=offline, model=STABLE, work=tmp_path)
    results = nb.compare(PROMPT, models=[STABLE, M15], lyrics=LYRICS, duration_s=2, seed=1)
    out = capsys.readouterr().out
    assert len(results) == 2 and all(r.ok for r in results)
    total = out.index("Free: 2 takes on the offline engine; nothing is billed.")
    assert total < out.index("stable-audio · 2.0 s wav") and out.rstrip().endswith("free: nothing was billed.")
    assert nb.compare(PROMPT, models=["minimax-music", STABLE]) == []
    assert "Nothing was sent" in capsys.readouterr().out


def test_room_allowance_counts_a_grid_all_or_nothing():
    import gradio as gr

    from music01_ui.session import RateLimiter

    room = RateLimiter(5)
    room.check("room", count=2)
    msg = "{left} left of {limit}, need {count}, wait {wait}"
    with pytest.raises(gr.Error, match=r"3 left of 5, need 4, wait \d+ min \d+ s"):
        room.check("room", message=msg, count=4)
    assert room.used("room") == 2, "a refused grid counts nothing"
    room.check("room", count=3)
    assert room.used("room") == 5
    room.refund("room", 3)
    assert room.used("room") == 2
