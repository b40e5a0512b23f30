"""The API backend and CLI against the loopback emulator started here on 127.0.0.1."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from music01_core import errors as E
from music01_core.backends.api import ApiBackend
from music01_core.emulator import EmulatorServer
from music01_core.history import History
from music01_core.settings import GENERATE_PATH, UPLOAD_PATH, AudioSetting
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
LYRICS = "##Swing to the rhythm of the night\nlet the music take control##"


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emulator"), hang_s=5.0) as server:
        yield server


@pytest.fixture
def api(emu, tmp_path):
    emu.reset()
    return ApiBackend(api_key=KEY, base_url=emu.url + "/v1", home=tmp_path / "home", backoff_s=0.01, read_timeout_s=60)


@pytest.fixture(scope="module")
def song_clip(examples, tmp_path_factory):
    from music01_core import prepare_clip

    return prepare_clip(examples["song-e-minor"], tmp_path_factory.mktemp("clip") / "song.mp3", start_s=0, end_s=20)


def count(emu, path):
    return emu.stats()["requests"].get(path, 0)


def test_upload_generate_and_cache(api, emu, song_clip):
    up = api.upload(song_clip, "song")
    assert up.voice_id.startswith("vocal-") and up.instrumental_id.startswith("instrumental-") and not up.cached
    sent = emu.stats()["bytes"][UPLOAD_PATH]
    again = api.upload(song_clip, "song")
    assert again.cached and emu.stats()["bytes"][UPLOAD_PATH] == sent, "a cache hit must send zero bytes"
    r = api.generate(
        LYRICS,
        voice_id=up.voice_id,
        instrumental_id=up.instrumental_id,
        audio_setting=AudioSetting(format="wav", sample_rate=24000),
    )
    assert r.format == "wav" and r.sample_rate == 24000 and 10 <= r.duration_s <= 60
    assert r.inference_id and r.credits_used and r.usd_spent and len(r.trace_id) == 32
    entries = History(api.home).list()
    assert len(entries) == 1 and entries[0].trace_id == r.trace_id and entries[0].reference_sha256 == song_clip.sha256
    assert Path(entries[0].audio_path).read_bytes() == r.audio


@pytest.mark.parametrize(
    "fault",
    [
        "http:500",
        "http:502",
        "http:503",
        "http:504",
        "reset",
        "hang",
        "status1",
        "oddhex",
        "size",
        "badjson",
        "notaudio",
        "code:1027",
        "code:1001",
    ],
)
def test_generate_is_sent_exactly_once_on_ambiguous_failures(emu, tmp_path, song_clip, fault):
    emu.reset()
    api = ApiBackend(
        api_key=KEY,
        base_url=emu.url,
        home=tmp_path / "h",
        backoff_s=0.01,
        read_timeout_s=1.5 if fault == "hang" else 60,
    )
    up = api.upload(song_clip, "voice")
    emu.faults(generate=[fault])
    with pytest.raises(E.ApiError) as exc:
        api.generate("hello moon", voice_id=up.voice_id)
    assert count(emu, GENERATE_PATH) == 1, "a billed request was sent again"
    assert exc.value.may_be_billed and "may be billed" in str(exc.value)
    assert not History(api.home).list()


def test_explicit_429_is_retried_once(api, emu, song_clip):
    up = api.upload(song_clip, "voice")
    emu.faults(generate=["http:429;retry-after=0"])
    r = api.generate("hello moon", voice_id=up.voice_id, audio_setting=AudioSetting(format="pcm", sample_rate=16000))
    assert count(emu, GENERATE_PATH) == 2 and r.bytes > 0


def test_forgotten_id_is_uploaded_again_once(api, emu, song_clip):
    up = api.upload(song_clip, "voice")
    emu.faults(generate=["code:2013;msg=invalid params, refer_voice not found"])
    r = api.generate("hello moon", voice_id=up.voice_id, audio_setting=AudioSetting(format="pcm", sample_rate=16000))
    assert count(emu, UPLOAD_PATH) == 2 and count(emu, GENERATE_PATH) == 2
    assert r.voice_id != up.voice_id and "uploaded again" in r.warnings[0]
    assert api.upload(song_clip, "voice").voice_id == r.voice_id  # the library holds the new id
    # A 2013 that blames the lyrics or a setting is not "renewed": no second billed generate.
    emu.reset()
    emu.faults(generate=["code:2013;msg=invalid params, lyrics too long"])
    with pytest.raises(E.ApiInvalidRequestError, match="lyrics too long"):
        api.generate("hello moon", voice_id=r.voice_id)
    assert count(emu, UPLOAD_PATH) == 0 and count(emu, GENERATE_PATH) == 1
    # An id the library never had: a clear error, exit-2 kind, no loop.
    with pytest.raises(E.ApiUnknownIdError, match="upload the reference again"):
        api.generate("hello", voice_id="vocal-2025010100000000-a0AAAaaa")


def test_upload_retries_transient_faults(api, emu, song_clip):
    emu.faults(upload=["http:503", "code:1002", "reset"])
    assert api.upload(song_clip, "instrumental").instrumental_id
    assert count(emu, UPLOAD_PATH) == 4


def test_url_audio_is_downloaded(api, emu, song_clip):
    up = api.upload(song_clip, "instrumental")
    emu.faults(generate=["url"])
    r = api.generate("hello", instrumental_id=up.instrumental_id)
    assert r.format == "mp3" and r.bytes > 1000


def test_emulator_is_strict_about_shapes(emu):
    emu.reset()
    url = emu.url + GENERATE_PATH
    auth = {"Authorization": f"Bearer {KEY}"}
    r = requests.post(url, json={"model": "music-01", "lyrics": "x", "refer_voice": "v"})
    assert r.status_code == 401 and r.json()["message"] == "Unauthorized"
    r = requests.post(
        url,
        headers=auth,
        json={
            "model": "music-02",
            "lyrics": "x" * 601,
            "audio_setting": {"format": "ogg", "sample_rate": 48000},
            "extra": 1,
        },
    )
    body = r.json()
    assert r.status_code == 400 and isinstance(body["message"], list) and len(body["message"]) >= 4
    assert {"message", "path", "requestId", "statusCode", "timestamp"} <= set(body)
    r = requests.post(
        url,
        headers=auth,
        json={
            "model": "music-01",
            "lyrics": "x",
            "refer_voice": "vocal-2025010100000000-a0AAAaaa",
            "audio_setting": {"format": "mp3", "sample_rate": 44100, "bitrate": 256000},
        },
    )
    assert r.status_code == 200 and r.json()["base_resp"]["status_code"] == 2013
    r = requests.post(emu.url + UPLOAD_PATH, headers=auth, json={"purpose": "song"})
    assert r.status_code == 400
    r = requests.get(emu.url + "/v1/chat/completions", headers=auth)
    assert r.status_code == 404


@pytest.fixture
def cli_env(emu, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01"))}
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(tmp_path / "home"), AIML_API_BASE=emu.url, AIML_API_KEY=KEY)
    return env


def run_cli(env, *args, cwd):
    return subprocess.run(
        [sys.executable, "-m", "music01_core", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd
    )


def test_cli_against_the_emulator_and_no_key_leak(emu, cli_env, examples, tmp_path):
    emu.reset()
    lyrics = tmp_path / "l.txt"
    lyrics.write_text(LYRICS, encoding="utf-8")
    outputs = []
    args = (
        "--backend",
        "api",
        "generate",
        "--reference",
        examples["song-e-minor"],
        "--purpose",
        "song",
        "--lyrics-file",
        lyrics,
    )
    p = run_cli(cli_env, *args, "-o", tmp_path / "out.mp3", "--json", cwd=tmp_path)
    outputs.append(p)
    assert p.returncode == 0, p.stderr
    assert "AI/ML API · model music-01" in p.stderr and json.loads(p.stdout)["backend"] == "api"
    uploads = count(emu, UPLOAD_PATH)
    p = run_cli(cli_env, *args, "-o", tmp_path / "out2.mp3", cwd=tmp_path)
    outputs.append(p)
    assert p.returncode == 0 and "reference cached" in p.stderr and count(emu, UPLOAD_PATH) == uploads
    # Every fault: exit 3 with one specific line (2 for bad input), and never the key.
    for fault, code in [
        ("http:401", 3),
        ("http:403", 3),
        ("http:429", 3),
        ("http:500", 3),
        ("http:504", 3),
        ("code:1008", 3),
        ("code:1026", 2),
        ("code:1042", 2),
        ("code:2056", 3),
        ("status1", 3),
        ("oddhex", 3),
        ("badjson", 3),
        ("reset", 3),
    ]:
        emu.faults(generate=[fault] * (3 if fault == "http:429" else 1))
        p = run_cli(
            cli_env,
            "--backend",
            "api",
            "generate",
            "--lyrics",
            "hello",
            "--voice-id",
            json.loads(outputs[0].stdout)["voice_id"],
            "-o",
            tmp_path / "x.mp3",
            cwd=tmp_path,
        )
        outputs.append(p)
        errors = [ln for ln in p.stderr.splitlines() if ln.startswith("error: ")]
        assert p.returncode == code and len(errors) == 1 and "Traceback" not in p.stderr, (fault, p.stderr)
    p = run_cli(
        {**cli_env, "AIML_API_KEY": KEY + "-wrong"},
        "--backend",
        "api",
        "upload",
        examples["groove-a-minor"],
        "--purpose",
        "instrumental",
        cwd=tmp_path,
    )
    outputs.append(p)
    assert p.returncode == 3 and "AIML_API_KEY" in p.stderr
    p = run_cli(cli_env, "history", "--json", cwd=tmp_path)
    outputs.append(p)
    assert p.returncode == 0 and len(json.loads(p.stdout)) == 2
    p = run_cli(
        cli_env,
        "--debug",
        "--backend",
        "api",
        "generate",
        "--lyrics",
        "x",
        "--voice-id",
        "vocal-2025010100000000-a0AAAaaa",
        "-o",
        tmp_path / "y.mp3",
        cwd=tmp_path,
    )
    outputs.append(p)
    assert p.returncode == 2
    for p in outputs:
        assert KEY not in p.stdout and KEY not in p.stderr
    for f in (tmp_path / "home").rglob("*"):
        if f.is_file() and f.suffix in (".json", ".txt", ""):
            assert KEY not in f.read_text(errors="ignore"), f


def test_missing_key_names_the_variables(cli_env, tmp_path):
    env = {k: v for k, v in cli_env.items() if k != "AIML_API_KEY"}
    p = run_cli(
        env,
        "--backend",
        "api",
        "generate",
        "--lyrics",
        "x",
        "--voice-id",
        "vocal-2025010100000000-a0AAAaaa",
        "-o",
        tmp_path / "y.mp3",
        cwd=tmp_path,
    )
    assert p.returncode == 2 and "AIML_API_KEY" in p.stderr and "AIMLAPI_API_KEY" in p.stderr


# Issue 13, defect 11: the emulator is no more lenient than the contract.
def _post_generate(emu, body):
    return requests.post(emu.url + GENERATE_PATH, json=body, headers={"Authorization": f"Bearer {KEY}"}, timeout=30)


@pytest.mark.parametrize(
    "setting, missing",
    [
        ({"format": "mp3", "bitrate": 256000}, "sample_rate"),
        ({"format": "mp3", "sample_rate": 44100}, "bitrate"),
        (None, "audio_setting"),
    ],
)
def test_the_emulator_does_not_fill_in_a_missing_setting(emu, setting, missing):
    emu.reset()
    body = {
        "model": "music-01",
        "lyrics": LYRICS,
        "refer_instrumental": "instrumental-2025011003141125-Akz9eWnD",
        "audio_setting": setting,
    }
    r = _post_generate(emu, body)
    assert r.status_code == 400, r.text  # a null audio_setting crashed it with a 500
    assert missing in json.dumps(r.json()["message"])


def test_a_fault_never_hides_a_validation_error(emu):
    emu.reset()
    emu.faults(generate=["http:503"])
    # Lyrics past the contract's 600-character maximum (an empty string is not refused by the schema).
    r = _post_generate(emu, {"model": "music-01", "lyrics": "la " * 201})
    assert r.status_code == 400 and "lyrics" in json.dumps(r.json()["message"])


def test_a_non_2xx_answer_with_base_resp_reaches_the_right_class(api, emu, song_clip):
    up = api.upload(song_clip, "song")
    emu.faults(generate=["code:1026;http=400"])
    with pytest.raises(E.LyricsFlaggedError, match="change the lyrics") as exc:
        api.generate(LYRICS, voice_id=up.voice_id, instrumental_id=up.instrumental_id)
    assert exc.value.http_status == 400 and exc.value.code == 1026 and exc.value.trace_id
    assert count(emu, GENERATE_PATH) == 1
