"""The defects a contract review found (issue 13), each pinned by a test that failed before its fix."""

import subprocess
import sys

import pytest
import responses

from music01_core import errors as E
from music01_core.backends.api import ApiBackend, error_from_response, normalize_base_url
from music01_core.settings import GENERATE_PATH, UPLOAD_PATH, AudioSetting
from tests.audiogen import KEY

BASE = "https://api.example.test"
INST = "instrumental-2025011003141125-Akz9eWnD"
SETTING = AudioSetting(sample_rate=44100, bitrate=256000, format="mp3")


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def api(tmp_path, sleeps):
    return ApiBackend(
        api_key=KEY, base_url=BASE, home=tmp_path / "home", sleep=sleeps.append, backoff_s=0.5, max_upload_attempts=4
    )


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory):
    from tests.audiogen import tone, write_audio

    return write_audio(tmp_path_factory.mktemp("a") / "g.mp3", tone(2.0), 44100).read_bytes()


def body_with(audio_field, status=2, size=None):
    extra = {"audio_size": size} if size is not None else {}
    return {
        "data": {"status": status, "audio": audio_field},
        "extra_info": extra,
        "trace_id": "t" * 32,
        "base_resp": {"status_code": 0, "status_msg": "success"},
    }


# 1. A known base_resp code wins over the HTTP status.
def test_a_known_code_wins_over_the_http_status():
    err = error_from_response(
        400, {"base_resp": {"status_code": 1026, "status_msg": "sensitive"}, "trace_id": "t1"}, {}, operation="generate"
    )
    assert isinstance(err, E.LyricsFlaggedError) and "change the lyrics" in str(err)
    assert err.http_status == 400 and err.code == 1026 and err.trace_id == "t1"
    assert not err.may_be_billed  # a 4xx rejection was not billed
    err = error_from_response(500, {"base_resp": {"status_code": 1027}}, {}, operation="generate")
    assert isinstance(err, E.OutputFlaggedError) and err.may_be_billed and not err.retryable
    # An unknown code still reads by status.
    err = error_from_response(400, {"base_resp": {"status_code": 777}}, {}, operation="generate")
    assert isinstance(err, E.ApiInvalidRequestError)


# 2. Hex audio: a trailing newline is transport; odd hex with a newline is caught cleanly.
@responses.activate
def test_hex_with_a_trailing_newline_is_kept(api, mp3_bytes):
    responses.post(BASE + GENERATE_PATH, json=body_with(mp3_bytes.hex() + "\n", size=len(mp3_bytes)))
    res = api._send_generate("la la la", None, INST, SETTING, None)
    assert res.audio == mp3_bytes


@responses.activate
def test_odd_hex_with_a_newline_is_a_bad_audio_error(api, mp3_bytes):
    responses.post(BASE + GENERATE_PATH, json=body_with(mp3_bytes.hex()[:-1] + "\n"))
    with pytest.raises(E.BadAudioError, match="not valid hex"):
        api._send_generate("la la la", None, INST, SETTING, None)


# 3. Only data.status == 2 is a finished piece.
@pytest.mark.parametrize("status", [None, 0, 3, "2"])
@responses.activate
def test_only_status_2_is_success(api, mp3_bytes, status):
    body = body_with(mp3_bytes.hex(), size=len(mp3_bytes))
    if status is None:
        del body["data"]["status"]
    else:
        body["data"]["status"] = status
    responses.post(BASE + GENERATE_PATH, json=body)
    with pytest.raises(E.ProtocolError, match="not 2 .finished.") as exc:
        api._send_generate("la la la", None, INST, SETTING, None)
    assert exc.value.may_be_billed and exc.value.trace_id == "t" * 32


# 4. Code 1000 is retried at most once on upload.
@responses.activate
def test_upload_retries_1000_at_most_once(api, make_audio, sleeps):
    clip = make_audio("c1000.mp3", 12.0)
    responses.post(BASE + UPLOAD_PATH, json={"trace_id": "tr-1000", "base_resp": {"status_code": 1000}})
    with pytest.raises(E.ServerError, match="Gave up after 2 attempts"):
        api.upload(clip, "instrumental", use_library=False)
    assert len(responses.calls) == 2 and len(sleeps) == 1


# 8. The gave-up error keeps the ids and the wait.
@responses.activate
def test_gave_up_keeps_trace_id_and_retry_after(api, make_audio):
    clip = make_audio("c1002.mp3", 12.0)
    responses.post(
        BASE + UPLOAD_PATH,
        json={"trace_id": "tr-1002", "base_resp": {"status_code": 1002}},
        headers={"Retry-After": "7", "x-inference-id": "inf-9"},
    )
    with pytest.raises(E.RateLimitError) as exc:
        api.upload(clip, "instrumental", use_library=False)
    assert len(responses.calls) == 4
    e = exc.value
    assert (e.trace_id, e.inference_id, e.retry_after_s, e.code) == ("tr-1002", "inf-9", 7.0, 1002)


# 5. A 2013 renews ids only when its message points at an id.
@pytest.mark.parametrize(
    "msg, renew",
    [
        ("invalid params, refer_instrumental not found", True),
        ("invalid params, lyrics too long", False),
        ("invalid params: sample_rate", False),
        ("", False),
    ],
)
def test_2013_renews_only_for_an_id(msg, renew):
    err = error_from_response(
        200, {"base_resp": {"status_code": 2013, "status_msg": msg}}, {}, operation="generate", has_ids=True
    )
    assert isinstance(err, E.ApiUnknownIdError) is renew
    assert isinstance(err, E.ApiInvalidRequestError)


# 6. A pasted key with a line end works; one with a line break inside is refused without echo.
def test_a_key_with_a_trailing_newline_is_stripped(tmp_path):
    api = ApiBackend(api_key=KEY + "\r\n", base_url=BASE, home=tmp_path)
    assert api._headers()["Authorization"] == f"Bearer {KEY}"


@pytest.mark.parametrize(
    "bad", [KEY[:10] + "\n" + KEY[10:], KEY[:5] + "\x00" + KEY[5:], KEY + " extra", "“" + KEY + "”"]
)
def test_a_key_with_control_characters_is_refused_without_echo(tmp_path, bad):
    with pytest.raises(E.InputError) as exc:
        ApiBackend(api_key=bad, base_url=BASE, home=tmp_path)
    assert KEY[:8] not in str(exc.value) and "copy the key again" in str(exc.value)


def test_the_cli_never_prints_a_pasted_key(tmp_path, make_audio):
    import os

    env = {
        **os.environ,
        "AIML_API_KEY": KEY[:10] + "\n" + KEY[10:],
        "AIML_API_BASE": "http://127.0.0.1:9",
        "MUSIC01_HOME": str(tmp_path),
    }
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "music01_core",
            "--backend",
            "api",
            "generate",
            "--model",
            "minimax/music-2.6",
            "--prompt",
            "lo-fi piano",
            "--instrumental",
            "-o",
            str(tmp_path / "o.mp3"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert r.returncode == 2, r.stderr
    assert KEY[:10] not in r.stdout + r.stderr and KEY[10:] not in r.stdout + r.stderr
    assert "Traceback" not in r.stderr


# 7. http:// only for this machine; the error never echoes the value.
@pytest.mark.parametrize("base", ["http://127.0.0.1:8787", "http://localhost:8787/v1", "http://[::1]:9"])
def test_http_is_allowed_for_loopback(base):
    assert normalize_base_url(base).startswith("http://")


@pytest.mark.parametrize("base", ["http://api.aimlapi.com", "http://192.168.1.20:8787", f"{KEY}", f"ftp://{KEY}"])
def test_http_elsewhere_and_bad_bases_are_refused_without_echo(base, monkeypatch):
    monkeypatch.delenv("MUSIC01_INSECURE_HTTP", raising=False)
    with pytest.raises(E.InputError) as exc:
        normalize_base_url(base)
    assert base not in str(exc.value) and KEY not in str(exc.value)


@pytest.mark.parametrize(
    "base",
    [
        f"https://{KEY}.invalid",  # a key pasted into the host (issue 20.4)
        "https://0123456789abcdef0123456789abcdef.invalid/v2",  # a bare 32-hex key as a host label
        f"https://api.example.test/{KEY}",
        f"https://user:{KEY}@api.example.test",
        f"https://api.example.test/?key={KEY}",
        "https://api.example.test/#frag",
    ],
)
def test_a_base_url_holding_a_key_is_refused_without_echo(base):
    with pytest.raises(E.InputError, match="belongs in AIML_API_KEY") as exc:
        normalize_base_url(base)
    assert KEY not in str(exc.value) and "0123456789abcdef" not in str(exc.value)


@pytest.mark.parametrize(
    "base", ["https://api.aimlapi.com/v1", "https://my-emulator-2026-workshop.example.org", "http://127.0.0.1:8787"]
)
def test_ordinary_base_urls_are_kept(base):
    assert normalize_base_url(base) == base.removesuffix("/v1")


def test_urls_shown_in_messages_are_redacted():
    from music01_core.secret import redact_url

    assert redact_url(f"https://{KEY}.invalid/v2") == "https://….invalid/v2"
    assert redact_url(f"https://u:{KEY}@h.example/a?key={KEY}#x") == "https://…@h.example/a?…#…"
    assert redact_url(f"http://[::1]:8787/{KEY}/x") == "http://[::1]:8787/…/x"
    assert redact_url("https://api.aimlapi.com") == "https://api.aimlapi.com"


def test_could_not_reach_never_echoes_a_key_shaped_host():
    import requests
    import urllib3.exceptions as ue

    from music01_core.transport import send_billed

    class Refused:
        def post(self, *a, **k):
            raise requests.exceptions.ConnectionError(ue.NewConnectionError(None, "Name or service not known"))

    base = f"https://{KEY}.invalid"
    with pytest.raises(E.ApiConnectionError, match="could not reach the service at https://….invalid") as exc:
        send_billed(
            Refused(),
            base + "/v2",
            {},
            headers={},
            timeout=(1, 1),
            sleep=lambda s: None,
            backoff=lambda a, r: 0,
            base_url=base,
        )
    assert KEY not in str(exc.value) and "0123456789abcdef" not in str(exc.value)


def test_a_room_emulator_over_http_needs_an_explicit_opt_in(monkeypatch):
    monkeypatch.setenv("MUSIC01_INSECURE_HTTP", "1")
    assert normalize_base_url("http://192.168.1.20:8787") == "http://192.168.1.20:8787"


# 9. A maybe-billed error is never retryable, whatever the caller asks.
def test_maybe_billed_is_never_retryable():
    e = E.ServerError("x", may_be_billed=True, retryable=True)
    assert e.may_be_billed and not e.retryable


# 10. A full disk after a billed generate keeps the audio and says where.
@responses.activate
def test_a_full_disk_keeps_the_paid_audio(api, mp3_bytes, monkeypatch, tmp_path):
    from music01_core.history import History

    monkeypatch.setenv("MUSIC01_RESCUE_DIR", str(tmp_path / "rescued"))

    def disk_full(self, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(History, "_save", disk_full)
    responses.post(BASE + GENERATE_PATH, json=body_with(mp3_bytes.hex(), size=len(mp3_bytes)))
    res = api.generate("la la la\n", instrumental_id=INST, audio_setting=SETTING)
    assert res.path and open(res.path, "rb").read() == mp3_bytes
    assert str(tmp_path / "rescued") in res.path
    assert any("No space left on device" in w and "copy it somewhere safe" in w for w in res.warnings)
    assert len(responses.calls) == 1  # nothing was sent again


def test_when_even_the_rescue_fails_the_audio_stays_in_the_result(monkeypatch, tmp_path, mp3_bytes):
    from music01_core.backends.base import GenerationResult
    from music01_core.history import History

    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    monkeypatch.setenv("MUSIC01_RESCUE_DIR", str(blocker / "sub"))
    monkeypatch.setattr(History, "_save", lambda self, *a, **k: (_ for _ in ()).throw(OSError(28, "disk full")))
    r = GenerationResult(
        audio=mp3_bytes,
        format="mp3",
        sample_rate=44100,
        bitrate=256000,
        channels=2,
        duration_s=2.0,
        voice_id=None,
        instrumental_id=INST,
        backend="api",
        trace_id="t" * 32,
        seed=None,
        lyrics="la",
    )
    kept = History(tmp_path / "home").keep(r)
    assert kept.path is None and kept.audio == mp3_bytes
    assert any("download it now" in w for w in kept.warnings)
