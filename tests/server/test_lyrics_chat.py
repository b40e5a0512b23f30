"""Lyrics written for you against the emulator on 127.0.0.1 (issue 24): the Client and the CLI.

One chat call per write (the emulator's own count), its cost in a record the spend report matches, m2's
``<think>`` stripped, hostile answers cleaned, the key in no output or file, and no key → the offline writer.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from music01_core.backends.api import ApiBackend
from music01_core.emulator import EmulatorServer
from music01_core.errors import ApiError, LyricsError
from music01_core.lyrics import check_lyrics
from music01_core.lyrics_writer import ChatLedger
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
CHAT = "POST /v1/chat/completions"
THEME, MOOD = "a lighthouse keeper who misses the sea", "melancholy"
GPT_4O_MINI = {
    "id": "gpt-4o-mini",
    "aliases": ["gpt-4o-mini-2024-07-18"],
    "type": "chat-completion",
    "info": {"name": "GPT-4o mini", "developer": "Open AI"},
    "pricing": {
        "kind": "fixed",
        "currency": "USD",
        "units": [
            {"name": "token", "measure": "input", "price": 0.15, "per": 1_000_000},
            {"name": "token", "measure": "output", "price": 0.6, "per": 1_000_000},
        ],
    },
}
HIDDEN = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\x00-\x08\x0b-\x1f\x7f]")


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-lyrics")) as server:
        yield server


@pytest.fixture
def home(tmp_path, monkeypatch):
    for name in [n for n in os.environ if n.startswith(("AIML", "MUSIC01", "REPLICATE"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


@pytest.fixture
def api(emu, home):
    emu.reset()
    emu.catalogue(reset=True)
    emu.billing(reset=True, balance_usd=10.0)
    return ApiBackend(api_key=KEY, base_url=emu.url, home=home, backoff_s=0.05)


def chats(emu) -> int:
    return emu.stats()["methods"].get(CHAT, 0)


def no_key_in_files(root: Path) -> None:
    for p in root.rglob("*"):
        if p.is_file():
            assert KEY not in p.read_text(errors="ignore"), p


@pytest.mark.parametrize("model_id", ["minimax-music", "minimax/music-2.6", "replicate/minimax/music-01"])
def test_one_call_per_draft_in_the_models_format_and_m2s_reasoning_stripped(emu, api, home, model_id):
    prices = []
    d = api.write_lyrics(THEME, mood=MOOD, model=model_id, on_price=prices.append)
    assert chats(emu) == 1 and len(prices) == 1 and prices[0].local
    assert d.writer == "chat" and d.chat_model == "minimax/m2" and d.local  # the emulator lists m2, not gpt-4o-mini
    assert "<think>" not in d.text and "think" not in d.text.lower()
    assert any("reasoning" in w for w in d.warnings)
    report = check_lyrics(d.text, model=model_id)
    assert report.ok and report.chars == d.count_chars <= d.limit_chars and d.style == report.style
    assert Path(d.path).read_text(encoding="utf-8") == d.text + "\n"
    no_key_in_files(home)


def test_its_cost_is_recorded_and_matched_by_the_spend_report(emu, api, home):
    d = api.write_lyrics(THEME, mood=MOOD, model="minimax/music-2.0")
    (record,) = ChatLedger(home).list()
    assert record.state == "answered" and record.client_request_id == d.client_request_id
    assert int(record.credits_used) == d.credits_used > 0 and record.inference_id == d.inference_id
    assert record.draft_path == d.path and record.model == "minimax/m2"
    spend = api.spend(since="24h")
    (line,) = spend.matched
    assert line.matched_by in ("generation id", "inference id", "client request id") and not spend.unknown
    assert line.provider_credits == pytest.approx(d.credits_used) and line.local_usd == pytest.approx(d.cost_usd)
    assert emu.billing()["charges"] == 1  # the balance paid for it, once


def test_gpt_4o_mini_is_the_default_when_listed(emu, api):
    emu.catalogue(add=GPT_4O_MINI)
    d = api.write_lyrics(THEME, mood=MOOD, model="minimax-music")
    assert d.chat_model == "gpt-4o-mini" and not any("reasoning" in w for w in d.warnings)
    assert "$0.15 per million input tokens" in d.price.words() and chats(emu) == 1
    m2 = api.write_lyrics(THEME, mood=MOOD, model="minimax-music", chat_model="minimax/m2")
    assert m2.chat_model == "minimax/m2" and chats(emu) == 2


@pytest.mark.parametrize("fault", ["chat:hostile", "chat:overlong"])
def test_a_hostile_answer_is_cleaned_and_fitted_with_no_second_call(emu, api, fault):
    emu.faults(chat=[fault])
    d = api.write_lyrics(THEME, mood=MOOD, model="minimax-music")
    assert chats(emu) == 1
    assert not HIDDEN.search(d.text) and not re.search(r"[<>]|script|alert|```|Sure!|I hope", d.text)
    assert d.report.ok and d.count_chars <= 600 and d.text.startswith("##") and d.text.endswith("##")
    if fault == "chat:overlong":
        assert d.trimmed and any("cut at a section or line boundary" in w for w in d.warnings)
    else:
        assert d.removed and any("HTML tags" in w for w in d.warnings)


def test_an_answer_cut_off_in_its_reasoning_is_refused_once_billed(emu, api, home):
    emu.faults(chat=["chat:think-only"])
    with pytest.raises(LyricsError, match="billed once.*nothing more was sent.*the answer was kept in") as exc:
        api.write_lyrics(THEME, model="minimax-music")
    assert chats(emu) == 1
    (record,) = ChatLedger(home).list()
    assert record.state == "answered" and record.finish_reason == "length" and record.credits_used
    # What was paid for is on disk as it came (its reasoning and all), named in the error.
    raw = Path(record.answer_path)
    assert raw.name == f"{record.client_request_id}.raw.txt" and raw.parent == home / "lyrics" / "drafts"
    assert raw.read_text(encoding="utf-8").startswith("<think>") and str(raw) in str(exc.value)
    no_key_in_files(home)


def test_an_overlong_answer_cut_to_fit_is_kept_whole(emu, api, home):
    emu.faults(chat=["chat:overlong"])
    d = api.write_lyrics(THEME, mood=MOOD, model="minimax-music")
    (record,) = ChatLedger(home).list()
    raw = Path(record.answer_path).read_text(encoding="utf-8")
    assert d.trimmed and len(raw) > d.count_chars and any(record.answer_path in w for w in d.warnings)


def test_on_a_shared_key_only_a_default_chat_model_is_asked(emu, api):
    # openai/gpt-4o is in the emulator's list (at $2.5 / $10 per million tokens): fine on one's own key only.
    with pytest.raises(Exception, match="shared key.*gpt-4o-mini or minimax/m2 only"):
        api.lyrics_price(THEME, model="minimax-music", chat_model="openai/gpt-4o", shared_key=True)
    with pytest.raises(Exception, match="shared key.*only.*Nothing was sent"):
        api.write_lyrics(THEME, model="minimax-music", chat_model="openai/gpt-4o", shared_key=True)
    assert chats(emu) == 0
    d = api.write_lyrics(THEME, model="minimax-music", shared_key=True)
    assert d.chat_model == "minimax/m2" and chats(emu) == 1
    mine = api.write_lyrics(THEME, model="minimax-music", chat_model="openai/gpt-4o")  # one's own key: any listed
    assert mine.chat_model == "openai/gpt-4o" and chats(emu) == 2


def test_a_lost_answer_is_not_sent_again_and_the_spend_report_finds_it(emu, api, home):
    emu.faults(chat=["lost:reset"])
    with pytest.raises(ApiError) as exc:
        api.write_lyrics(THEME, model="minimax-music")
    assert exc.value.may_be_billed and "answer lost" in str(exc.value) and chats(emu) == 1
    (record,) = ChatLedger(home).list()
    assert record.state == "lost"
    (line,) = api.spend(since="24h").matched
    assert line.matched_by == "client request id" and line.provider_usd > 0


def test_refusals_before_anything_is_sent(emu, api):
    with pytest.raises(Exception, match="takes no lyrics and does not sing"):
        api.write_lyrics(THEME, model="google/lyria2")
    with pytest.raises(Exception, match="not a chat model the provider lists"):
        api.write_lyrics(THEME, model="minimax-music", chat_model="no/such-model")
    with pytest.raises(Exception, match="hold your API key"):
        api.write_lyrics(f"my key {KEY}", model="minimax-music")
    emu.faults(chat=["http:401"])
    with pytest.raises(ApiError, match="401"):
        api.write_lyrics(THEME, model="minimax-music")
    assert chats(emu) == 1  # only the last one went out


def test_follow_ups_through_the_emulator(emu, api):
    first = api.write_lyrics(THEME, mood=MOOD, model="minimax/music-2.6")
    short = api.write_lyrics(model="minimax/music-2.6", follow_up="shorter", draft=first.text)
    kept = api.write_lyrics(THEME, model="minimax/music-2.6", follow_up="keep my chorus", draft=first.text)
    more = api.write_lyrics(THEME, model="minimax/music-2.6", follow_up="another verse", draft=short.text)
    assert chats(emu) == 4
    assert short.count_chars < first.count_chars and more.text.count("[Verse]") == short.text.count("[Verse]") + 1
    chorus = first.text.split("[Chorus]\n", 1)[1].split("\n[", 1)[0]
    assert f"[Chorus]\n{chorus}" in kept.text and kept.text != first.text


def test_the_emulator_validates_the_body_as_the_reference_says(emu):
    auth = {"Authorization": f"Bearer {KEY}"}
    msgs = [{"role": "user", "content": "Theme: rain"}]
    post = lambda body, **kw: requests.post(emu.url + "/v1/chat/completions", json=body, timeout=10, **kw)  # noqa: E731
    assert post({"model": "minimax/m2", "messages": msgs}).status_code == 401
    assert post({"model": "minimax/m2", "messages": msgs, "temperature": 1.5}, headers=auth).status_code == 400
    assert post({"model": "minimax/m2"}, headers=auth).status_code == 400
    assert post({"model": "nope", "messages": msgs}, headers=auth).status_code == 400
    r = requests.post(emu.url + "/chat/completions", json={"model": "minimax/m2", "messages": msgs}, headers=auth)
    body = r.json()
    assert r.status_code == 200 and body["object"] == "chat.completion" and body["model"] == "MiniMax-M2"
    assert body["choices"][0]["message"]["content"].startswith("<think>") and body["choices"][0]["finish_reason"]
    assert set(body["usage"]) == {"prompt_tokens", "completion_tokens", "total_tokens"}
    assert r.headers["x-aimlapi-credits-used"] == str(body["meta"]["usage"]["credits_used"])
    emu.catalogue(add=GPT_4O_MINI)
    hot = {"model": "gpt-4o-mini", "messages": msgs, "temperature": 1.5}
    r = post(hot, headers=auth)
    assert r.status_code == 200 and r.json()["model"] == "gpt-4o-mini-2024-07-18"
    assert "<think>" not in r.json()["choices"][0]["message"]["content"]
    emu.catalogue(reset=True)


# --- the CLI --------------------------------------------------------------------------------------------------


def run(env, *args):
    out = subprocess.run(
        [sys.executable, "-m", "music01_core", *map(str, args)], env=env, capture_output=True, text=True, timeout=120
    )
    assert KEY not in out.stdout + out.stderr
    return out


@pytest.fixture
def env(emu, home):
    emu.reset()
    emu.catalogue(reset=True)
    out = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "REPLICATE"))}
    out.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(home), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
    return out


def test_the_cli_prints_the_price_then_the_draft_its_count_and_where_it_went(emu, env, home, tmp_path):
    song = tmp_path / "song.txt"
    out = run(env, "lyrics", "write", "--theme", THEME, "--mood", MOOD, "--model", "minimax-music", "-o", song)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines[0].startswith("price: local emulator: nothing is billed · at the provider: at most $")
    counted = r"^\d+ / 600 characters · minimax-music's lyrics \(music01 format\) · written by minimax/m2"
    assert re.search(counted, out.stdout, re.M)
    assert f"written to {song}" in lines[-1] and "kept in " in lines[-1]
    assert song.read_text(encoding="utf-8").startswith("##") and chats(emu) == 1
    short = run(env, "lyrics", "write", "--from", song, "--shorter", "--model", "minimax-music", "--json")
    d = json.loads(short.stdout)
    assert short.returncode == 0 and d["follow_up"] == "shorter" and d["writer"] == "chat" and chats(emu) == 2
    assert d["count_chars"] < len(song.read_text(encoding="utf-8")) and short.stderr.startswith("price: ")
    spent = run(env, "spend")
    assert spent.returncode == 0 and spent.stdout.count("minimax/m2") == 2
    no_key_in_files(home)


def test_the_cli_says_what_cannot_be_written(env):
    out = run(env, "lyrics", "write", "--theme", "x", "--model", "stable-audio")
    assert out.returncode == 2 and "stable-audio takes no lyrics" in out.stderr
    out = run(env, "lyrics", "write", "--theme", "x", "--model", "elevenlabs/eleven_music")
    assert out.returncode == 2 and "--into-prompt" in out.stderr
    out = run(env, "lyrics", "write", "--shorter", "--model", "minimax-music")
    assert out.returncode == 2 and "--from FILE" in out.stderr


def test_no_key_the_offline_writer_says_so(env, home):
    offline = {k: v for k, v in env.items() if not k.startswith("AIML")}
    out = run(offline, "lyrics", "write", "--theme", THEME, "--mood", MOOD, "--model", "minimax/music-1.5")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("writer: music01's offline writer (no AIML_API_KEY set): not a language model")
    assert "written by music01's offline writer, not a language model · free" in out.stdout
    assert "price:" not in out.stdout and "[Verse]" in out.stdout and not ChatLedger(home).list()
    again = run(offline, "lyrics", "write", "--theme", THEME, "--mood", MOOD, "--model", "minimax/music-1.5")
    assert again.stdout.split("kept in")[0] == out.stdout.split("kept in")[0]  # the same request, the same draft
