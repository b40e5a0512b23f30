"""Issue 24: ElevenLabs, Lyria 2 and Stable Audio end to end against the emulator on 127.0.0.1.

- each model through ``Client`` (and Stable Audio through the CLI): submitted once, polled,
  downloaded, its format told by the bytes (WAV labelled ``application/octet-stream`` too), its
  length and seed honoured, its credits kept in the history;
- the body the emulator received is the one the table promised (``music_length_ms`` in ms…);
- each model's answers have its page's shape (WAV with ``content_type``/``file_name``/``file_size``,
  usage credits only, ids ``…:lyria2``; ElevenLabs: the URL alone);
- a bad value is refused before anything is sent (no submit), and the emulator itself refuses a
  bad body with the gateway's documented 400.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from music01_core import errors as E
from music01_core.audio import audio_format
from music01_core.backends.api import ApiBackend
from music01_core.emulator import EmulatorServer
from music01_core.emulator.contract import CREDITS
from music01_core.history import History
from music01_core.settings import CREDITS_PER_USD, JOB_PATH
from music01_core.types import MusicRequest
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
FAST = lambda: iter([0.2] * 100_000)  # noqa: E731 - poll often: the emulator's latency is short
ELEVEN, LYRIA, STABLE = "elevenlabs/eleven_music", "google/lyria2", "stable-audio"
PROMPT = "Lo-fi pop hip-hop ambient music, slow intro, then faster with loud bass"
AUTH = {"Authorization": f"Bearer {KEY}"}


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-new-models"), latency_s=1.0) as server:
        yield server


@pytest.fixture
def api(emu, tmp_path):
    emu.reset()
    return ApiBackend(api_key=KEY, base_url=emu.url, home=tmp_path / "home", backoff_s=0.05, poll_delays=FAST)


def submits(emu) -> list[str]:
    return [s["model"] for s in emu.stats()["submits"]]


@pytest.mark.parametrize(
    "model, options, seed, sent, fmt, length_s, suffix",
    [
        (ELEVEN, {"duration_s": 20}, None, {"music_length_ms": 20000}, "mp3", 20.0, ":elevenlabs/eleven_music"),
        (LYRIA, {"negative_prompt": "drums"}, 42, {"negative_prompt": "drums", "seed": 42}, "wav", None, ":lyria2"),
        (
            STABLE,
            {"duration_s": 12, "steps": 50},
            None,
            {"seconds_total": 12, "steps": 50},
            "wav",
            12.0,
            ":stable-audio",
        ),
    ],
)
def test_each_model_end_to_end_through_the_client(api, emu, model, options, seed, sent, fmt, length_s, suffix):
    seen = []
    r = api.make(
        MusicRequest(model=model, prompt=PROMPT, options=options, seed=seed), on_status=lambda s, t: seen.append(s)
    )
    assert submits(emu) == [model]  # one billed submit
    assert {"queued", "completed"} <= set(seen) and emu.stats()["requests"].get(JOB_PATH, 0) >= 2  # polled
    assert emu.state.jobs[r.generation_id]["body"] == {"model": model, "prompt": PROMPT, **sent}
    assert r.generation_id.endswith(suffix) and r.model == model and r.backend == "api"
    assert r.format == fmt and audio_format(r.audio) == fmt
    assert r.duration_s == length_s if length_s is not None else 20 <= r.duration_s <= 58
    assert r.credits_used == str(CREDITS[model])  # meta.usage.credits_used
    assert float(r.usd_spent) == pytest.approx(CREDITS[model] / CREDITS_PER_USD)  # meta.usage, else the header
    entry = History(api.home).list()[0]
    assert entry.generation_id == r.generation_id and entry.format == fmt and entry.audio_path.endswith(f".{fmt}")
    assert entry.credits_used == str(CREDITS[model]) and History(api.home).pending() == []
    assert emu.stats()["file_auth_headers"] == 0


def test_lyria_answers_the_same_audio_for_the_same_seed(api, emu):
    a = api.make(MusicRequest(model=LYRIA, prompt="calm piano", seed=7))
    b = api.make(MusicRequest(model=LYRIA, prompt="calm piano", options={"seed": 7}))
    c = api.make(MusicRequest(model=LYRIA, prompt="calm piano", seed=8))
    assert a.audio == b.audio and a.audio != c.audio and submits(emu) == [LYRIA] * 3


def test_stable_audio_through_the_cli(emu, tmp_path):
    emu.reset()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "REPLICATE"))}
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)

    def generate(*args):
        cmd = [sys.executable, "-m", "music01_core", "generate", "--model", STABLE, "--prompt", "lofi beat", *args]
        return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)

    out = generate("--option", "duration_s=9", "--option", "steps=20", "-o", str(tmp_path / "s.wav"))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "wav, 9.00 s" in out.stdout and ":stable-audio" in out.stdout and "84000 credits" in out.stdout
    assert (tmp_path / "s.wav").read_bytes()[:4] == b"RIFF" and submits(emu) == [STABLE]
    out = generate("--option", "duration_s=9", "-o", str(tmp_path / "s.mp3"))  # converted here from the WAV
    assert out.returncode == 0 and "returns WAV; converted to MP3" in out.stderr, out.stderr
    assert audio_format((tmp_path / "s.mp3").read_bytes()) == "mp3"
    bad = generate("--option", "duration_s=48", "-o", str(tmp_path / "bad.wav"))
    assert bad.returncode == 2 and "must be from 1 to 47 s for stable-audio" in bad.stderr
    assert submits(emu) == [STABLE, STABLE] and not (tmp_path / "bad.wav").exists()


@pytest.mark.parametrize(
    "model, options, seed, said",
    [
        (ELEVEN, {"duration_s": 5}, None, "from 10 to 300 s"),
        (ELEVEN, {"seed": 5}, None, "takes no option 'seed'"),
        (LYRIA, {}, -1, "seed must be from 0"),
        (LYRIA, {"negative_prompt": "x" * 601}, None, "at most 600"),
        (STABLE, {"steps": 1001}, None, "from 1 to 1000"),
        (STABLE, {"start_s": "soon"}, None, "whole number of seconds"),
    ],
)
def test_a_bad_value_is_refused_before_anything_is_sent(api, emu, model, options, seed, said):
    with pytest.raises(E.SettingError, match=said):
        api.make(MusicRequest(model=model, prompt=PROMPT, options=options, seed=seed))
    assert submits(emu) == [] and emu.stats()["requests"].get(JOB_PATH, 0) == 0
    assert History(api.home).pending() == [] and History(api.home).list() == []


@pytest.mark.parametrize(
    "body, messages",
    [
        ({"model": ELEVEN, "prompt": "lofi", "music_length_ms": 9999}, ["music_length_ms must not be less than 10000"]),
        (
            {"model": ELEVEN, "prompt": "lofi", "music_length_ms": 300001},
            ["music_length_ms must not be greater than 300000"],
        ),
        ({"model": ELEVEN, "prompt": "lofi", "lyrics": "la la"}, ["property lyrics should not exist"]),
        ({"model": ELEVEN, "prompt": "a" * 2001}, ["prompt must be shorter than or equal to 2000 characters"]),
        ({"model": LYRIA, "prompt": "a" * 601}, ["prompt must be shorter than or equal to 600 characters"]),
        ({"model": LYRIA, "prompt": "lofi", "seed": -1}, ["seed must not be less than 0"]),
        ({"model": LYRIA, "prompt": "lofi", "seed": "7"}, ["seed must be an integer number"]),
        ({"model": LYRIA, "negative_prompt": "drums"}, ["prompt should not be empty"]),
        (
            {"model": STABLE, "prompt": "lofi", "seconds_total": 48, "steps": 2.5},
            ["seconds_total must not be greater than 47", "steps must be an integer number"],
        ),
        (
            {"model": STABLE, "prompt": "lofi", "audio_setting": {"format": "mp3"}},
            ["property audio_setting should not exist"],
        ),
    ],
)
def test_the_emulator_refuses_a_bad_body_with_the_gateways_400(emu, body, messages):
    emu.reset()
    r = requests.post(emu.url + JOB_PATH, json=body, headers=AUTH, timeout=30)
    assert r.status_code == 400, r.text
    assert r.json()["message"] == messages and r.json()["statusCode"] == 400
    assert submits(emu) == []


def poll_until_done(emu, gid: str) -> dict:
    for _ in range(100):
        body = requests.get(emu.url + JOB_PATH, params={"generation_id": gid}, headers=AUTH, timeout=30).json()
        if body["status"] not in ("queued", "generating"):
            return body
        time.sleep(0.2)
    raise AssertionError(f"{gid} never finished")


@pytest.mark.parametrize(
    "body, suffix, audio_keys, ctype, usage",
    [
        (
            {"model": ELEVEN, "prompt": "lofi", "music_length_ms": 10000},
            ":elevenlabs/eleven_music",
            {"url"},
            "audio/mpeg",
            {"credits_used", "usd_spent"},
        ),
        (
            {"model": LYRIA, "prompt": "lofi", "seed": 1},
            ":lyria2",
            {"url", "content_type", "file_name", "file_size"},
            "audio/wav",
            {"credits_used"},
        ),
        (
            {"model": STABLE, "prompt": "lofi", "seconds_total": 3},
            ":stable-audio",
            {"url", "content_type", "file_name", "file_size"},
            "application/octet-stream",
            {"credits_used"},
        ),
    ],
)
def test_each_model_answers_in_its_pages_shape(emu, body, suffix, audio_keys, ctype, usage):
    emu.reset()
    r = requests.post(emu.url + JOB_PATH, json=body, headers=AUTH, timeout=30)
    assert r.status_code < 300, r.text
    submitted = r.json()
    assert submitted["status"] == "queued" and submitted["id"].endswith(suffix)
    assert set(submitted["meta"]["usage"]) == usage
    done = poll_until_done(emu, submitted["id"])
    assert done["status"] == "completed" and set(done["audio_file"]) == audio_keys
    assert set(done["meta"]["usage"]) == usage and done["meta"]["usage"]["credits_used"] == CREDITS[body["model"]]
    if "content_type" in audio_keys:
        assert done["audio_file"]["content_type"] == ctype
    audio = requests.get(done["audio_file"]["url"], timeout=30)
    assert audio.headers["content-type"] == ctype  # stable-audio: a WAV labelled application/octet-stream
    assert audio_format(audio.content) == ("mp3" if body["model"] == ELEVEN else "wav")
    if "file_size" in audio_keys:
        assert done["audio_file"]["file_size"] == len(audio.content)


def test_the_options_and_seed_sent_are_kept_with_the_sent_record_and_the_piece(tmp_path):
    import json

    from music01_core.backends.api import ApiBackend
    from music01_core.emulator import EmulatorServer
    from music01_core.history import History
    from music01_core.types import MusicRequest

    key = "sk-test-options-record-0123"
    with EmulatorServer(key=key, home=tmp_path / "emu") as emu:
        backend = ApiBackend(api_key=key, base_url=emu.url, home=tmp_path / "home")
        job = backend.prepare(
            MusicRequest(model="google/lyria2", prompt="warm strings", options={"negative_prompt": "drums"}, seed=42)
        )
        sent = backend._sent_record(backend.provider_for(job.model), job)
        assert sent.options == {"negative_prompt": "drums", "seed": 42}  # on disk before the billed call
        piece = backend.run(job)
    assert piece.options == {"negative_prompt": "drums", "seed": 42} and piece.seed == 42
    (entry,) = History(tmp_path / "home").list()
    assert entry.options == {"negative_prompt": "drums", "seed": 42} and entry.seed == 42
    record = json.loads((Path(entry.audio_path).parent / "record.json").read_text())
    assert record["options"] == {"negative_prompt": "drums", "seed": 42}
