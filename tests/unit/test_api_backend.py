"""The API backend against mocked HTTP (``responses``): the whole fault matrix."""

import json
import re

import pytest
import requests
import responses

from music01_core import errors as E
from music01_core.backends.api import ApiBackend, error_from_response, normalize_base_url
from music01_core.settings import GENERATE_PATH, UPLOAD_PATH, AudioSetting
from tests.audiogen import KEY

BASE = "https://api.example.test"
VOICE = "vocal-2025011003141025-d5ZEMxmp"
INST = "instrumental-2025011003141125-Akz9eWnD"


@pytest.fixture
def sleeps():
    return []


@pytest.fixture
def api(tmp_path, sleeps):
    return ApiBackend(
        api_key=KEY, base_url=BASE, home=tmp_path / "home", sleep=sleeps.append, backoff_s=0.5, max_upload_attempts=3
    )


@pytest.fixture
def clip(make_audio):
    return make_audio("api_clip.mp3", 12.0)


def ok_generate_body(audio: bytes, **extra) -> dict:
    return {
        "data": {"status": 2, "audio": audio.hex()},
        "extra_info": {"audio_size": len(audio)},
        "trace_id": "t" * 32,
        "base_resp": {"status_code": 0, "status_msg": "success"},
        **extra,
    }


@pytest.fixture(scope="module")
def mp3_bytes(tmp_path_factory):
    from tests.audiogen import tone, write_audio

    return write_audio(tmp_path_factory.mktemp("a") / "g.mp3", tone(2.0), 44100).read_bytes()


def test_base_url_normalised():
    assert normalize_base_url("https://api.aimlapi.com/v1/") == "https://api.aimlapi.com"
    assert normalize_base_url("http://127.0.0.1:8787/") == "http://127.0.0.1:8787"
    assert normalize_base_url(None) == "https://api.aimlapi.com"
    with pytest.raises(E.InputError):
        normalize_base_url("api.aimlapi.com")


def test_key_from_env_and_missing_key(monkeypatch, tmp_path):
    for n in ("AIML_API_KEY", "AIMLAPI_API_KEY", "AIML_API_BASE", "AIMLAPI_API_BASE"):
        monkeypatch.delenv(n, raising=False)
    with pytest.raises(E.MissingApiKeyError, match="AIML_API_KEY.*AIMLAPI_API_KEY"):
        ApiBackend(home=tmp_path)
    monkeypatch.setenv("AIMLAPI_API_KEY", KEY)
    monkeypatch.setenv("AIMLAPI_API_BASE", "http://127.0.0.1:9/v1")
    b = ApiBackend(home=tmp_path)
    assert b.base_url == "http://127.0.0.1:9"
    assert KEY not in repr(b) and KEY not in str(vars(b))


@responses.activate
def test_upload_is_multipart_with_generic_name_mime_and_purpose(api, clip):
    responses.post(
        BASE + UPLOAD_PATH,
        json={
            "voice_id": VOICE,
            "instrumental_id": INST,
            "trace_id": "x",
            "base_resp": {"status_code": 0, "status_msg": "success"},
        },
    )
    res = api.upload(clip, "song")
    assert (res.voice_id, res.instrumental_id, res.cached) == (VOICE, INST, False)
    req = responses.calls[0].request
    assert req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.headers["Content-Type"].startswith("multipart/form-data")
    body = req.body
    assert b'name="file"; filename="reference.mp3"' in body and b"Content-Type: audio/mpeg" in body
    assert b'name="purpose"' in body and b"\r\nsong\r\n" in body
    assert b"api_clip" not in body  # the person's file name stays home


@responses.activate
def test_wav_goes_up_as_mp3_unless_asked(api, make_audio):
    wav = make_audio("api_ref.wav", 30.0)
    responses.post(
        BASE + UPLOAD_PATH,
        json={"instrumental_id": INST, "trace_id": "x", "base_resp": {"status_code": 0, "status_msg": "success"}},
    )
    api.upload(wav, "instrumental")
    sent = responses.calls[0].request.body
    assert b"audio/mpeg" in sent and len(sent) < wav.stat().st_size / 4
    api.upload(wav, "instrumental", send_wav=True, use_library=False)
    assert b"audio/wav" in responses.calls[1].request.body


@responses.activate
def test_cache_hit_sends_nothing(api, clip):
    responses.post(
        BASE + UPLOAD_PATH,
        json={"voice_id": VOICE, "trace_id": "x", "base_resp": {"status_code": 0, "status_msg": "success"}},
    )
    first = api.upload(clip, "voice")
    again = api.upload(clip, "voice")
    assert len(responses.calls) == 1
    assert again.cached and again.voice_id == first.voice_id
    # Another key or another service is another library entry.
    other = ApiBackend(api_key=KEY + "2", base_url=BASE, home=api.home, sleep=lambda s: None)
    assert not other.upload(clip, "voice").cached
    lib = (api.home / "library" / "references.json").read_text()
    assert KEY not in lib


@responses.activate
def test_upload_retries_stop_at_the_limit_and_honour_retry_after(api, clip, sleeps):
    responses.post(
        BASE + UPLOAD_PATH, status=429, json={"message": "Too many", "statusCode": "429"}, headers={"Retry-After": "7"}
    )
    with pytest.raises(E.RateLimitError, match="Gave up after 3 attempts"):
        api.upload(clip, "voice")
    assert len(responses.calls) == 3
    assert sleeps == [7.0, 7.0]


@responses.activate
def test_upload_backoff_is_jittered_exponential(api, clip, sleeps):
    responses.post(BASE + UPLOAD_PATH, status=503, json={"message": "down"})
    with pytest.raises(E.ServerError):
        api.upload(clip, "voice")
    assert len(sleeps) == 2
    assert 0.25 <= sleeps[0] <= 0.5 and 0.5 <= sleeps[1] <= 1.0


@responses.activate
def test_upload_retries_then_succeeds(api, clip):
    responses.post(BASE + UPLOAD_PATH, body=requests.exceptions.ConnectionError("refused"))
    responses.post(BASE + UPLOAD_PATH, json={"trace_id": "x", "base_resp": {"status_code": 1002, "status_msg": "rl"}})
    responses.post(
        BASE + UPLOAD_PATH,
        json={"voice_id": VOICE, "trace_id": "x", "base_resp": {"status_code": 0, "status_msg": "success"}},
    )
    assert api.upload(clip, "voice").voice_id == VOICE
    assert len(responses.calls) == 3


@responses.activate
def test_upload_does_not_retry_what_cannot_change(api, clip):
    responses.post(BASE + UPLOAD_PATH, status=401, json={"message": ["Unauthorized"], "statusCode": 401})
    with pytest.raises(E.AuthenticationError):
        api.upload(clip, "voice")
    assert len(responses.calls) == 1


def test_bad_clip_costs_no_round_trip(api, make_audio):
    with responses.RequestsMock() as rs:  # any request would fail the test
        with pytest.raises(E.ClipTooShortError):
            api.upload(make_audio("api_short.wav", 9.0), "voice")
        with pytest.raises(E.UnsupportedFormatError):
            api.upload(make_audio("api_clip.ogg", 12.0), "voice")
        assert len(rs.calls) == 0


@responses.activate
def test_generate_request_shape(api, mp3_bytes):
    responses.post(
        BASE + GENERATE_PATH,
        json=ok_generate_body(mp3_bytes),
        headers={"x-inference-id": "inf-1", "x-aimlapi-credits-used": "630", "x-aimlapi-usd-spent": "0.03"},
    )
    r = api.generate(
        "##hello\nworld##",
        voice_id=VOICE,
        instrumental_id=INST,
        audio_setting=AudioSetting(sample_rate=32000, bitrate=128000, format="mp3"),
    )
    sent = json.loads(responses.calls[0].request.body)
    assert sent == {
        "model": "music-01",
        "lyrics": "##hello\nworld##",
        "refer_voice": VOICE,
        "refer_instrumental": INST,
        "audio_setting": {"sample_rate": 32000, "bitrate": 128000, "format": "mp3"},
    }
    assert r.audio == mp3_bytes and r.inference_id == "inf-1" and r.credits_used == "630" and r.usd_spent == "0.03"
    assert r.trace_id == "t" * 32 and r.backend == "api" and abs(r.duration_s - 2.0) < 0.1
    assert r.path and open(r.path, "rb").read() == mp3_bytes  # saved to the history before it came back


HTTP_CLASSES = {
    400: E.ApiInvalidRequestError,
    401: E.AuthenticationError,
    403: E.InsufficientCreditsError,
    404: E.EndpointNotFoundError,
    429: E.RateLimitError,
    500: E.ServerError,
    502: E.ServerError,
    503: E.ServerError,
    504: E.GenerationTimeoutError,
}
CODE_CLASSES = {
    1000: E.ServerError,
    1001: E.GenerationTimeoutError,
    1002: E.RateLimitError,
    1004: E.AuthenticationError,
    1008: E.InsufficientCreditsError,
    1024: E.ServerError,
    1026: E.LyricsFlaggedError,
    1027: E.OutputFlaggedError,
    1033: E.ServerError,
    1039: E.ApiInvalidRequestError,
    1041: E.RateLimitError,
    1042: E.ApiInvalidRequestError,
    2013: E.ApiUnknownIdError,
    2045: E.RateLimitError,
    2049: E.AuthenticationError,
    2056: E.UsageLimitError,
}


def test_every_documented_status_and_code_is_mapped():
    assert set(HTTP_CLASSES) == set(E.HTTP_STATUS_ERRORS)
    assert set(CODE_CLASSES) == set(E.BASE_RESP_ERRORS)


@pytest.mark.parametrize("status,cls", sorted(HTTP_CLASSES.items()))
@responses.activate
def test_generate_http_status_matrix(api, status, cls):
    body = {
        "message": ["lyrics must be shorter", "audio_setting.format must be one of"],
        "path": GENERATE_PATH,
        "requestId": "req-123",
        "statusCode": str(status),
        "timestamp": "2026-01-01T00:00:00Z",
    }
    responses.post(BASE + GENERATE_PATH, status=status, json=body)
    # music-01 is retired: a 404 at its path now means "gone", and says what replaces it.
    cls = E.ModelRetiredError if status == 404 else cls
    with pytest.raises(cls) as exc:
        api.generate("hello", voice_id=VOICE)
    err = exc.value
    assert type(err) is cls and err.http_status == status and err.request_id == "req-123"
    assert "req-123" in str(err)
    # Sent exactly once — except 429, an explicit rejection, retried a limited number of times.
    assert len(responses.calls) == (3 if status == 429 else 1)
    assert err.may_be_billed == (status >= 500)
    if status >= 500:
        assert "may be billed" in str(err) and "not sent again" in str(err)
    if status == 400:
        assert "lyrics must be shorter; audio_setting.format" in str(err)
    assert isinstance(err, E.InputError) == (status == 400)


@pytest.mark.parametrize("code,cls", sorted(CODE_CLASSES.items()))
@responses.activate
def test_generate_base_resp_matrix(api, code, cls):
    responses.post(
        BASE + GENERATE_PATH,
        json={"trace_id": "trace-9", "base_resp": {"status_code": code, "status_msg": "upstream says"}},
    )
    if code == 2013:
        cls = E.ApiInvalidRequestError  # "upstream says" blames no id: not renewed (an id-blaming 2013 is)
    with pytest.raises(cls) as exc:
        api.generate("hello", voice_id=VOICE)
    assert type(exc.value) is cls and exc.value.code == code and exc.value.trace_id == "trace-9"
    assert "trace-9" in str(exc.value)
    assert len(responses.calls) == 1  # never re-sent, whatever the code


@pytest.mark.parametrize("code,cls", sorted(CODE_CLASSES.items()))
@responses.activate
def test_upload_base_resp_matrix(api, clip, code, cls):
    responses.post(BASE + UPLOAD_PATH, json={"trace_id": "t", "base_resp": {"status_code": code, "status_msg": "x"}})
    expected = E.ApiInvalidRequestError if code == 2013 else cls  # an unknown id only means something on generate
    with pytest.raises(expected):
        api.upload(clip, "voice")
    retries = min(2, E.MAX_RETRIES_BY_CODE.get(code, 2)) if code in E.RETRYABLE_CODES else 0
    assert len(responses.calls) == 1 + retries  # 1000: at most one retry, as the contract says


@pytest.mark.parametrize(
    "exc_factory,cls",
    [
        (lambda: requests.exceptions.ReadTimeout("read timed out"), E.GenerationTimeoutError),
        (lambda: requests.exceptions.ConnectionError("Connection aborted: RemoteDisconnected"), E.ApiConnectionError),
        (lambda: requests.exceptions.ChunkedEncodingError("broken"), E.ApiConnectionError),
    ],
)
@responses.activate
def test_generate_is_never_resent_after_it_may_have_arrived(api, exc_factory, cls):
    responses.post(BASE + GENERATE_PATH, body=exc_factory())
    with pytest.raises(cls) as exc:
        api.generate("hello", voice_id=VOICE)
    assert len(responses.calls) == 1
    assert exc.value.may_be_billed and "may be billed" in str(exc.value)


@responses.activate
def test_generate_retries_a_connection_that_never_opened(api, mp3_bytes, sleeps):
    import urllib3

    never = requests.exceptions.ConnectionError(
        urllib3.exceptions.MaxRetryError(None, "/", urllib3.exceptions.NewConnectionError(None, "Connection refused"))
    )
    responses.post(BASE + GENERATE_PATH, body=never)
    responses.post(BASE + GENERATE_PATH, json=ok_generate_body(mp3_bytes))
    assert api.generate("hello", voice_id=VOICE).audio == mp3_bytes
    assert len(responses.calls) == 2 and len(sleeps) == 1


@responses.activate
def test_generate_429_then_success_honours_retry_after(api, mp3_bytes, sleeps):
    responses.post(BASE + GENERATE_PATH, status=429, json={"message": "slow down"}, headers={"Retry-After": "3"})
    responses.post(BASE + GENERATE_PATH, json=ok_generate_body(mp3_bytes))
    assert api.generate("hello", voice_id=VOICE).audio == mp3_bytes
    assert sleeps == [3.0]


@pytest.mark.parametrize(
    "mutate,cls,match",
    [
        (lambda b: b["data"].update(status=1, audio=""), E.IncompleteResultError, "status 1"),
        (lambda b: b["data"].update(audio=b["data"]["audio"][:-1]), E.BadAudioError, "odd length"),
        (lambda b: b["data"].update(audio="zz" + b["data"]["audio"][2:]), E.BadAudioError, "not valid hex"),
        (lambda b: b["extra_info"].update(audio_size=5), E.BadAudioError, "audio_size says 5"),
        (
            lambda b: b["data"].update(audio=b"plain text, not audio".hex()) or b["extra_info"].pop("audio_size"),
            E.BadAudioError,
            "does not decode as mp3",
        ),
        (lambda b: b.pop("data"), E.ProtocolError, "no data"),
        (lambda b: b.pop("base_resp"), E.ProtocolError, "no base_resp"),
    ],
)
@responses.activate
def test_malformed_successes(api, mp3_bytes, mutate, cls, match):
    body = ok_generate_body(mp3_bytes)
    mutate(body)
    responses.post(BASE + GENERATE_PATH, json=body)
    with pytest.raises(cls, match=match) as exc:
        api.generate("hello", voice_id=VOICE)
    assert exc.value.may_be_billed and len(responses.calls) == 1
    assert not list((api.home / "history").glob("*/record.json")), "nothing silently saved"


@responses.activate
def test_not_json(api):
    responses.post(BASE + GENERATE_PATH, body="<html>oops</html>", status=200)
    with pytest.raises(E.ProtocolError, match="not JSON"):
        api.generate("hello", voice_id=VOICE)


@responses.activate
def test_audio_as_url_is_downloaded_and_capped(api, mp3_bytes, monkeypatch):
    body = ok_generate_body(mp3_bytes)
    body["data"]["audio"] = "https://cdn.example.test/a.mp3"
    responses.post(BASE + GENERATE_PATH, json=body)
    responses.get("https://cdn.example.test/a.mp3", body=mp3_bytes)
    assert api.generate("hello", voice_id=VOICE).audio == mp3_bytes
    import music01_core.providers.aimlapi_music01 as apimod

    monkeypatch.setattr(apimod, "MAX_AUDIO_DOWNLOAD_BYTES", 100)
    with pytest.raises(E.BadAudioError, match="larger than"):
        api.generate("hello", voice_id=VOICE)


@responses.activate
def test_pcm_result(api):
    pcm = bytes(range(256)) * 40  # 10240 bytes = 2560 stereo frames
    body = ok_generate_body(pcm)
    body["extra_info"]["music_channel"] = 2
    responses.post(BASE + GENERATE_PATH, json=body)
    r = api.generate("hello", voice_id=VOICE, audio_setting=AudioSetting(format="pcm", sample_rate=16000))
    assert r.audio == pcm and abs(r.duration_s - 2560 / 16000) < 1e-3
    body["data"]["audio"] = (pcm + b"\x00").hex()
    body["extra_info"]["audio_size"] = len(pcm) + 1
    responses.replace(responses.POST, BASE + GENERATE_PATH, json=body)
    with pytest.raises(E.BadAudioError, match="whole 16-bit"):
        api.generate("hello", voice_id=VOICE, audio_setting=AudioSetting(format="pcm", sample_rate=16000))


def test_error_from_response_parses_loosely():
    err = error_from_response(400, {"message": "Body validation error!", "statusCode": "400"}, {}, operation="generate")
    assert isinstance(err, E.ApiInvalidRequestError) and "Body validation error!" in str(err)
    assert (
        error_from_response(200, {"base_resp": {"status_code": "0", "status_msg": "ok"}}, {}, operation="upload")
        is None
    )
    err = error_from_response(418, {"message": {"message": "teapot"}}, {}, operation="upload")
    assert isinstance(err, E.ApiError) and "teapot" in str(err)


@responses.activate
def test_key_never_leaks_in_errors_or_logs(api, clip, caplog):
    import logging

    caplog.set_level(logging.DEBUG)
    echo = f"invalid api key {KEY}"  # a server that echoes the key back must not make us print it
    responses.post(BASE + GENERATE_PATH, status=401, json={"message": echo})
    responses.post(BASE + UPLOAD_PATH, json={"trace_id": "t", "base_resp": {"status_code": 2049, "status_msg": echo}})
    texts = []
    for call in (lambda: api.generate("hello", voice_id=VOICE), lambda: api.upload(clip, "voice")):
        with pytest.raises(E.ApiError) as exc:
            call()
        texts += [str(exc.value), repr(exc.value)]
    texts.append(caplog.text)
    texts.append(repr(api))
    for t in texts:
        assert KEY not in t, t
    assert any("<api key>" in t for t in texts)
    assert re.search("AIML_API_KEY", texts[0])
