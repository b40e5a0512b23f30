"""The balance and the spend report end to end, against the emulator on 127.0.0.1: Client and CLI.

The emulator's costs are its own (``emulator/contract.py`` ``CREDITS``): a minimax/music-2.6 job is
84,000 credits = $0.042, while its catalogue lists the model at $0.195 a generation (390,000 credits).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from music01_core import errors as E
from music01_core.account import ShortBalanceError
from music01_core.backends.api import ApiBackend
from music01_core.backends.base import MusicRequest
from music01_core.backends.offline import OfflineBackend
from music01_core.catalogue import CatalogueClient
from music01_core.emulator import EmulatorServer
from music01_core.models import SERVICES
from music01_core.settings import JOB_PATH
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
FAST = lambda: iter([0.2] * 100_000)  # noqa: E731 - poll often: the emulator's latency is short
MODEL, PROMPT = "minimax/music-2.6", "calm piano ballad"
COST_USD = 0.042  # the emulator's charge for one minimax/music-2.6 job
NO_KEY = "no AIML_API_KEY set: the offline engine has no balance and bills nothing"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-account"), latency_s=0.5) as server:
        yield server


@pytest.fixture
def home(tmp_path, monkeypatch):
    """This test's music01 home; the copy of the provider's list goes there too (the data directory)."""
    for name in [n for n in os.environ if n.startswith(("AIML", "MUSIC01", "REPLICATE"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def api(emu, home):
    emu.reset()
    emu.catalogue(reset=True)
    emu.billing(reset=True, balance_usd=10.0, refuse_when_short=False)
    return ApiBackend(api_key=KEY, base_url=emu.url, home=home, backoff_s=0.05, poll_delays=FAST)


@pytest.fixture
def env(emu, home):
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "REPLICATE"))}
    out.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(home), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
    return out


_SEEN: list[str] = []  # every output of the CLI, checked for the key


def _cli(env, *args):
    out = subprocess.run(
        [sys.executable, "-m", "music01_core", *args], env=env, capture_output=True, text=True, timeout=180
    )
    _SEEN.extend((out.stdout, out.stderr))
    assert KEY not in out.stdout + out.stderr
    return out


def _piece(api):
    return api.make(MusicRequest(model=MODEL, prompt=PROMPT, is_instrumental=True))


def _check_list(emu, home) -> None:
    """Read the provider's list into this home (no key goes there): music-2.6 is listed at $0.195."""
    listing = CatalogueClient.of(SERVICES["aimlapi"], emu.url, home=home).check(force=True)
    assert listing.find(MODEL) is not None and listing.checked_at is not None


def _balance_now(emu) -> float:
    """What the emulator says the key has left, asked directly."""
    r = requests.get(emu.url + "/v2/billing", headers={"Authorization": f"Bearer {KEY}"}, timeout=10)
    assert r.status_code == 200 and r.json()["currency"] == "USD"
    return r.json()["current_balance"]


def test_balance_via_client_and_cli_is_lowered_by_each_billed_call(emu, api, env):
    first = api.balance()
    assert (first.usd, first.currency, first.credits, first.service) == (10.0, "USD", 20_000_000, "aimlapi")
    piece = _piece(api)
    assert float(piece.usd_spent) == COST_USD
    assert api.balance().usd == pytest.approx(10.0 - COST_USD)
    assert emu.billing()["charges"] == 1
    out = _cli(env, "balance")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("$9.96 (19,916,000 credits) · AI/ML API balance, checked ")
    shown = json.loads(_cli(env, "balance", "--json").stdout)
    assert shown["reason"] is None and shown["service"] == "aimlapi"
    assert shown["balance"]["usd"] == pytest.approx(9.958) and shown["balance"]["credits"] == 19_916_000
    assert shown["balance"]["currency"] == "USD"


def test_without_a_key_there_is_no_balance_and_it_is_said_plainly(env, home):
    bare = {k: v for k, v in env.items() if not k.startswith("AIML_API_KEY")}
    out = _cli(bare, "balance")
    assert (out.returncode, out.stdout.strip()) == (0, NO_KEY)
    assert json.loads(_cli(bare, "spend", "--json").stdout) == {"service": "aimlapi", "spend": None, "reason": NO_KEY}
    assert OfflineBackend(home=home).balance() is None
    with pytest.raises(E.MissingApiKeyError, match="no AIML_API_KEY set"):
        OfflineBackend(home=home).spend()
    # Replicate publishes no balance: its client answers None, and sends nothing.
    replicate = ApiBackend(tokens={"replicate": "r8_" + "Zq7" * 12}, home=home)
    assert replicate.balance("replicate") is None and replicate.balance() is None


def test_a_balance_below_the_price_is_refused_before_anything_is_sent(emu, api, env, home, tmp_path):
    _check_list(emu, home)
    emu.billing(balance_usd=0.10)
    with pytest.raises(ShortBalanceError) as info:
        _piece(api)
    msg = str(info.value)
    assert msg.startswith(
        "balance $0.10 (200,000 credits) is below this piece's price ≈ $0.195 (390,000 credits) a piece · "
        "provider's list, checked "
    )
    assert msg.endswith(": top up at https://aimlapi.com/app/billing or choose a cheaper model; nothing was sent.")
    assert emu.stats()["submits"] == [] and "POST " + JOB_PATH not in emu.stats()["methods"]
    assert api.history.pending() == [] and api.history.list() == []
    assert _balance_now(emu) == 0.10 and emu.billing()["charges"] == 0
    out = _cli(env, "generate", "--model", MODEL, "--prompt", PROMPT, "--instrumental", "-o", str(tmp_path / "x.mp3"))
    assert out.returncode == 3
    assert out.stderr.splitlines()[-1].startswith("error: balance $0.10 (200,000 credits) is below this piece's price")
    assert emu.stats()["submits"] == [] and not (tmp_path / "x.mp3").exists()
    emu.billing(balance_usd=1.0)  # topped up: the same piece goes
    assert _piece(api).generation_id and len(emu.stats()["submits"]) == 1
    assert api.balance().usd == pytest.approx(1.0 - COST_USD)


def test_a_balance_that_cannot_be_read_never_stops_a_generate(emu, api, home):
    _check_list(emu, home)
    emu.billing(balance_usd=0.10, fault=["http:503", "malformed"])  # short, but nobody can tell
    assert _piece(api).generation_id and _piece(api).generation_id
    assert len(emu.stats()["submits"]) == 2 and emu.stats()["methods"]["GET /v2/billing"] == 2
    assert api.balance().usd == pytest.approx(0.10 - 2 * COST_USD)


def test_the_providers_403_when_short_says_the_balance(emu, api, env, tmp_path):
    emu.billing(balance_usd=0.01, refuse_when_short=True)
    assert api.price_for(MODEL).usd_each is None  # no list read, no piece yet: nothing to refuse on here
    with pytest.raises(E.InsufficientCreditsError) as info:
        _piece(api)
    err = info.value
    assert not isinstance(err, ShortBalanceError) and err.http_status == 403
    assert "out of credits (HTTP 403)" in str(err) and "You've run out of credits" in str(err)
    assert "Balance now: $0.01 (20,000 credits) · AI/ML API balance, checked " in str(err)
    assert isinstance(err.__cause__, E.InsufficientCreditsError) and "Balance now" not in str(err.__cause__)
    assert err.request_id == err.__cause__.request_id and err.request_id
    assert emu.stats()["submits"] == [] and emu.billing()["charges"] == 0 and _balance_now(emu) == 0.01
    assert api.history.pending() == []
    spend = api.spend(since="1h")  # the refused submit is a failed row: billed nothing
    assert (spend.failed_rows, spend.unknown, spend.provider_usd) == (1, (), 0)
    out = _cli(env, "generate", "--model", MODEL, "--prompt", PROMPT, "--instrumental", "-o", str(tmp_path / "y.mp3"))
    assert out.returncode == 3 and "Balance now: $0.01 (20,000 credits)" in out.stderr.splitlines()[-1]


def test_spend_puts_the_history_beside_the_log_and_a_row_made_elsewhere_can_be_resumed(emu, api, env, home, tmp_path):
    mine = _piece(api)
    # The same key used elsewhere (another machine, a script): billed, and in no history here.
    r = requests.post(
        emu.url + JOB_PATH,
        json={"model": MODEL, "prompt": "loud rock anthem", "is_instrumental": True},
        headers={"Authorization": f"Bearer {KEY}"},
        timeout=30,
    )
    assert r.status_code == 201
    elsewhere = r.json()["id"]
    out = _cli(env, "spend", "--since", "24h")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("spend over the last 24h · AI/ML API usage log, read ")
    assert [x for x in lines if mine.generation_id[:12] in x and x.count("$0.042") == 2]
    i = lines.index("billed on this key but not in your history (1):")
    assert elsewhere in lines[i + 1] and "$0.042 (84,000 credits)" in lines[i + 1]
    assert lines[i + 2].strip() == "fetch one with: music01 resume <id>"
    assert "total here: $0.042 (84,000 credits) for 1 piece" in lines
    assert "total in the provider's log: $0.084 (168,000 credits) for 2 generations" in lines
    shown = json.loads(_cli(env, "spend", "--since", "24h", "--json").stdout)
    assert [(m["generation_id"], m["matched_by"], m["state"]) for m in shown["matched"]] == [
        (mine.generation_id, "generation id", "saved")
    ]
    assert (shown["matched"][0]["local_usd"], shown["matched"][0]["provider_usd"]) == (COST_USD, COST_USD)
    assert [u["generation_id"] for u in shown["unknown"]] == [elsewhere] and shown["not_logged"] == []
    assert shown["totals"]["local"] == {"usd": COST_USD, "credits": 84000, "pieces": 1}
    assert shown["totals"]["provider"] == {"usd": pytest.approx(0.084), "credits": 168000, "generations": 2}
    got = _cli(env, "resume", elsewhere, "-o", str(tmp_path / "elsewhere.mp3"))
    assert got.returncode == 0, got.stderr
    assert (tmp_path / "elsewhere.mp3").stat().st_size > 1000
    after = api.spend(since="24h", homes=[home])
    assert after.unknown == () and {m.generation_id for m in after.matched} == {mine.generation_id, elsewhere}
    assert after.local_usd == pytest.approx(2 * COST_USD) == after.provider_usd
    # The key is in no output and no file.
    assert not any(KEY in s for s in _SEEN)
    assert not [p for p in home.rglob("*") if p.is_file() and KEY.encode() in p.read_bytes()]


def test_the_window_is_checked_first_and_refusals_are_one_line(emu, api, env):
    out = _cli(env, "spend", "--since", "1w")
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "error: '1w' is not a window the provider's log can be read over: type a whole number of hours or days, "
        "such as 24h or 7d (at most 92d)."
    )
    assert "GET /v2/logs" not in emu.stats()["methods"]
    wrong = "sk-wrong-key-00000000000000000000"
    out = _cli({**env, "AIML_API_KEY": wrong}, "balance")
    assert out.returncode == 3 and len(out.stderr.splitlines()) == 1
    assert out.stderr.startswith("error: the API key was refused (HTTP 401)") and wrong not in out.stderr + out.stdout
    with pytest.raises(E.AuthenticationError):
        ApiBackend(api_key=wrong, base_url=emu.url, home=api.home).balance()


def test_spend_counts_only_this_keys_records_and_no_failed_lyrics_request(emu, api, env, home):
    import time

    from music01_core.history import PendingJob
    from music01_core.library import key_fingerprint
    from music01_core.lyrics_writer import ChatCall, ChatLedger

    other_fp = key_fingerprint("sk-test-ANOTHER-KEY-00000000000000")
    mine = _piece(api)
    ledger, now = ChatLedger(home), time.time()

    def chat(crid: str, state: str, **where) -> None:
        fields = {"base_url": emu.url, "key_fp": api.key_fp, **where}
        cost = {} if state == "failed" else {"usd_spent": "0.0005", "credits_used": "1000"}
        ledger.sent(ChatCall(crid, "minimax/m2", MODEL, now - 30, state, **fields, **cost))

    chat("music01-failed-here", "failed")  # refused before any work: never billed
    chat("music01-other-key", "answered", key_fp=other_fp)  # a key pasted in another session
    chat("music01-real-service", "answered", base_url="https://api.aimlapi.com")  # this key, another address
    api.history.add_pending(
        PendingJob(generation_id="gen-another-key", model=MODEL, created=now - 20, base_url=emu.url, key_fp=other_fp)
    )
    spend = api.spend(since="24h")
    assert [(m.generation_id, m.state) for m in spend.matched] == [(mine.generation_id, "saved")]
    assert spend.not_logged == () and spend.unknown == () and spend.unpriced == 0
    assert spend.local_usd == pytest.approx(COST_USD) == spend.provider_usd
    out = _cli(env, "spend", "--since", "24h")
    assert out.returncode == 0, out.stderr
    assert "no row in the provider's log" not in out.stdout and "no cost reported" not in out.stdout
    assert "total here: $0.042 (84,000 credits) for 1 piece" in out.stdout.splitlines()
