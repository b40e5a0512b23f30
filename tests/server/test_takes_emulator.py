"""Takes side by side (issue 24) against the emulator on 127.0.0.1: four models, four submits, never more.

- a grid of four is exactly four submits (``POST /v2/generate/audio``), each take a normal traced job
  (its own client request id, polled, downloaded, kept in the history with the credits it reported);
- a take failing at the provider (``job:error``) or at the submit (``http:503``) fails alone: it is not
  sent again, the others complete, and nothing is left pending;
- the plan sends nothing, and says the emulator bills nothing while showing the provider's list prices.
"""

from __future__ import annotations

import pytest

from music01_core.backends.api import ApiBackend
from music01_core.emulator import EmulatorServer
from music01_core.emulator.contract import CREDITS
from music01_core.history import History
from music01_core.settings import JOB_PATH
from music01_core.takes import plan_takes, run_takes, spent_words
from music01_core.types import MusicRequest
from tests.audiogen import KEY

pytestmark = pytest.mark.server
FAST = lambda: iter([0.2] * 100_000)  # noqa: E731 - poll often: the emulator's latency is short
FOUR = ["minimax/music-2.6", "elevenlabs/eleven_music", "google/lyria2", "stable-audio"]
TEMPLATE = MusicRequest(
    prompt="warm indie pop, acoustic guitar and soft drums",
    lyrics="[Verse]\nMorning light across the river\n[Chorus]\nHold on, hold on",
    options={"duration_s": 10},
    seed=3,
)


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-takes"), latency_s=1.0) as server:
        yield server


@pytest.fixture
def api(emu, tmp_path, monkeypatch):
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path / "data"))  # the copy of the provider's list goes here
    emu.reset()
    return ApiBackend(
        api_key=KEY, base_url=emu.url, home=tmp_path / "home", backoff_s=0.05, poll_delays=FAST, log_waits_s=[0.05]
    )


def posts(emu) -> int:
    return emu.stats()["methods"].get(f"POST {JOB_PATH}", 0)


def test_a_plan_sends_nothing_and_says_the_emulator_bills_nothing(api, emu):
    api.check_listings()  # the emulator's list, with its prices (no key sent)
    plan = plan_takes(api, TEMPLATE, FOUR)
    assert posts(emu) == 0 and emu.stats()["submits"] == []
    assert plan.ready and not plan.billed and {t.runs_on for t in plan.takes} == {"local emulator of AI/ML API"}
    assert plan.total_words() == "Free: 4 takes on the local emulator of AI/ML API; nothing is billed."
    words = {t.model: t.price_words() for t in plan.takes}
    assert "at the provider: ≈ $0.195 (390,000 credits) a piece · provider's list" in words["minimax/music-2.6"]
    assert "≈ $0.042 (84,000 credits)" in words["stable-audio"]


def test_four_models_are_four_submits_each_a_traced_job(api, emu):
    results = run_takes(api, plan_takes(api, TEMPLATE, FOUR))
    submits = emu.stats()["submits"]
    assert sorted(s["model"] for s in submits) == sorted(FOUR) and posts(emu) == 4
    assert [r.model for r in results] == FOUR and all(r.ok for r in results)
    entries = {e.id: e for e in History(api.home).list()}
    assert len(entries) == 4 and History(api.home).pending() == []
    ids = set()
    for r in results:
        e = entries[r.history_id]
        assert e.generation_id == r.generation_id and e.backend == "api" and e.model == r.model
        assert e.credits_used == str(CREDITS[r.model]) and e.client_request_id.startswith("music01-")
        ids.add(e.client_request_id)
        assert r.cost_source == "free" and f"{CREDITS[r.model]:,} credits" in r.cost_words
    assert len(ids) == 4, "each take is its own traced request"
    # The body each model received is its own: the length to those that take one, lyrics to the one that sings.
    bodies = {
        emu.state.jobs[r.generation_id]["body"]["model"]: emu.state.jobs[r.generation_id]["body"] for r in results
    }
    assert bodies["elevenlabs/eleven_music"].get("music_length_ms") == 10000
    assert bodies["stable-audio"].get("seconds_total") == 10 and bodies["google/lyria2"].get("seed") == 3
    assert "lyrics" in bodies["minimax/music-2.6"] and "lyrics" not in bodies["stable-audio"]
    assert emu.stats()["file_auth_headers"] == 0


def test_a_take_failing_at_the_provider_fails_alone_and_is_never_sent_again(api, emu):
    emu.faults(job=["job:error"])  # the next job submitted fails at the provider
    results = run_takes(api, plan_takes(api, TEMPLATE, FOUR))
    assert posts(emu) == 4 and len(emu.stats()["submits"]) == 4, "four submits, never more"
    failed = [r for r in results if not r.ok]
    assert len(failed) == 1 and "generation failed" in failed[0].error and failed[0].generation_id
    assert failed[0].error_kind == "JobFailedError"
    made = [r for r in results if r.ok]
    assert len(made) == 3 and len(History(api.home).list()) == 3
    (record,) = [j for j in History(api.home).pending()]
    assert record.generation_id == failed[0].generation_id and record.state == "failed"
    assert spent_words(results) == "3 of 4 takes made (1 failed) · free: nothing was billed."


def test_a_submit_that_fails_is_not_sent_again_and_the_others_complete(api, emu):
    emu.faults(submit=["http:503"])  # one submit answered 503: the usage log says it failed, unbilled
    results = run_takes(api, plan_takes(api, TEMPLATE, FOUR))
    assert posts(emu) == 4, "the refused submit was not sent again"
    assert len(emu.stats()["submits"]) == 3 and sum(r.ok for r in results) == 3
    (failed,) = [r for r in results if not r.ok]
    assert "was not sent again" in failed.error or "not billed" in failed.error
    assert History(api.home).pending() == [] and len(History(api.home).list()) == 3
