"""The Replicate emulator (music01_core.emulator.replicate) on 127.0.0.1, driven with plain requests.

What it must imitate is shared/api/replicate.md: auth and problem bodies, both create routes,
validation, the prediction lifecycle, cancel, list, the Files API, retention, and the faults
that lose a create's answer after the prediction was made.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import subprocess
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
import requests

from music01_core.emulator import EmulatorServer
from music01_core.ffmpeg import find_ffmpeg
from tests.audiogen import tone, write_audio
from tests.fileserver import serve_folder

pytestmark = pytest.mark.server

MUSIC01_VERSION = "0254c7e2f54315b667dbae03da7c155822ba29ffe0457be5bc246d564be486bd"
TOKEN = "r8_test-REPLICATE-0123456789abcdef"
PROMPT = "bright happy pop song"
LYRICS = "[verse]\nhello there world\nsing along with me"
SONG = {"prompt": PROMPT, "lyrics": LYRICS}
TERMINAL = ("succeeded", "failed", "canceled", "aborted")
_tokens = itertools.count()


def fp(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:12]


def auth() -> dict:
    """Headers with a token no other test uses (the emulators below accept any token)."""
    return {"Authorization": f"Bearer r8_test-{next(_tokens):06d}-{time.monotonic_ns()}"}


def create(emu, headers, model="minimax/music-1.5", values=None):
    body = {"input": SONG if values is None else values}
    return requests.post(f"{emu.url}/v1/models/{model}/predictions", headers=headers, json=body, timeout=30)


def wait_done(url: str, headers: dict, timeout_s: float = 90.0) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        p = requests.get(url, headers=headers, timeout=10).json()
        if p["status"] in TERMINAL:
            return p
        time.sleep(0.1)
    raise AssertionError(f"{url} did not finish: {p}")


def mp3(path, seconds: float):
    """A small mono MP3 tone (32 kbit/s: 16 s is about 64 KB, under the data-URI limit)."""
    raw = (tone(seconds, 22050, 1) * 32767).astype("<i2").tobytes()
    cmd = [find_ffmpeg(), "-v", "error", "-y", "-f", "s16le", "-ar", "22050", "-ac", "1", "-i", "-"]
    subprocess.run([*cmd, "-c:a", "libmp3lame", "-b:a", "32k", str(path)], input=raw, check=True)
    return path


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    home = tmp_path_factory.mktemp("replicate-emu")
    with EmulatorServer(
        service="replicate", home=home, start_s=0.2, run_s=0.3, hang_s=2.0, max_file_bytes=2 * 2**20
    ) as server:
        yield server


@pytest.fixture
def fresh(emu):
    emu.reset()
    return emu


@pytest.fixture(scope="module")
def audio(tmp_path_factory):
    d = tmp_path_factory.mktemp("replicate-audio")
    return {
        "long_wav": write_audio(d / "long.wav", tone(16.5, 22050, 1), 22050),
        "short_wav": write_audio(d / "short.wav", tone(12.0, 22050, 1), 22050),
        "long_mp3": mp3(d / "long.mp3", 16.5),
    }


def upload(emu, headers, path, **data):
    with open(path, "rb") as fh:
        files = {"content": (path.name, fh, "audio/wav" if path.suffix == ".wav" else "audio/mpeg")}
        return requests.post(f"{emu.url}/v1/files", headers=headers, files=files, data=data, timeout=30)


# --- auth ----------------------------------------------------------------------------------------


def test_a_missing_or_wrong_token_gets_the_documented_401(tmp_path):
    with EmulatorServer(service="replicate", token=TOKEN, home=tmp_path) as strict:
        url = f"{strict.url}/v1/models/minimax/music-1.5/predictions"
        for headers in ({}, {"Authorization": "Bearer r8_wrong"}, {"Authorization": f"Basic {TOKEN}"}):
            r = requests.post(url, headers=headers, json={"input": SONG}, timeout=10)
            assert r.status_code == 401
            assert r.headers["content-type"] == "application/problem+json"
            assert r.json() == {
                "title": "Unauthenticated",
                "detail": "You did not pass a valid authentication token",
                "status": 401,
            }
        ok = requests.get(f"{strict.url}/v1/predictions", headers={"Authorization": f"Token {TOKEN}"}, timeout=10)
        assert ok.status_code == 200 and ok.json()["results"] == []
        stats = strict.stats()
        assert stats["creates"] == []
        assert fp("r8_wrong") in stats["tokens_seen"] and fp(TOKEN) in stats["tokens_seen"]


# --- create --------------------------------------------------------------------------------------


def test_the_model_route_answers_201_with_the_documented_prediction(fresh):
    headers = auth()
    r = create(fresh, {**headers, "X-Music01-Fault": "fail"})
    assert r.status_code == 201
    p = r.json()
    assert re.fullmatch(r"[0-9a-z]{26}", p["id"])
    assert p["model"] == "minimax/music-1.5" and p["version"] == "hidden"
    assert p["input"] == SONG and p["output"] is None and p["error"] is None
    assert p["status"] == "starting" and p["data_removed"] is False and p["source"] == "api"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", p["created_at"])
    assert p["urls"] == {
        "get": f"{fresh.url}/v1/predictions/{p['id']}",
        "cancel": f"{fresh.url}/v1/predictions/{p['id']}/cancel",
        "web": f"{fresh.url}/p/{p['id']}",
    }
    assert r.headers["location"] == p["urls"]["get"]
    assert "logs" in p and "metrics" in p
    done = wait_done(p["urls"]["get"], headers)
    assert done["status"] == "failed" and done["error"].startswith("E1000")


@pytest.mark.parametrize(
    "version",
    [MUSIC01_VERSION, f"minimax/music-01:{MUSIC01_VERSION}", "minimax/music-01"],
)
def test_the_version_route_takes_the_three_documented_forms(fresh, version):
    headers = {**auth(), "X-Music01-Fault": "fail"}
    body = {"version": version, "input": {"lyrics": "la la la"}}
    r = requests.post(f"{fresh.url}/v1/predictions", headers=headers, json=body, timeout=10)
    assert r.status_code == 201, r.text
    assert r.json()["model"] == "minimax/music-01" and r.json()["version"] == "hidden"
    [entry] = fresh.stats()["creates"]
    assert entry["route"] == "version" and entry["model"] == "minimax/music-01"


def test_unknown_models_and_versions_are_refused_as_documented(fresh):
    headers = auth()
    r = create(fresh, headers, model="minimax/music-99")
    assert r.status_code == 404 and "does not exist" in r.json()["detail"]
    for version in ("0" * 64, f"minimax/music-01:{'1' * 64}", "someone/other-model", "not a version"):
        r = requests.post(f"{fresh.url}/v1/predictions", headers=headers, json={"version": version, "input": {}})
        assert r.status_code == 422
        assert r.json() == {
            "title": "Invalid version or not permitted",
            "detail": "The specified version does not exist (or perhaps you don't have permission to use it?)",
            "status": 422,
        }
    assert fresh.stats()["creates"] == []


def test_with_the_model_route_refused_a_client_can_fall_back_to_the_pinned_version(tmp_path):
    with EmulatorServer(service="replicate", home=tmp_path, model_route=False) as emu:
        headers = {**auth(), "X-Music01-Fault": "fail"}
        r = create(emu, headers, model="minimax/music-01", values={"lyrics": "la la la"})
        assert r.status_code == 422 and r.json()["title"] == "Invalid version or not permitted"
        body = {"version": f"minimax/music-01:{MUSIC01_VERSION}", "input": {"lyrics": "la la la"}}
        r = requests.post(f"{emu.url}/v1/predictions", headers=headers, json=body, timeout=10)
        assert r.status_code == 201
        assert [(c["route"], c["model"]) for c in emu.stats()["creates"]] == [("version", "minimax/music-01")]


def test_invalid_inputs_get_one_422_line_per_problem(fresh):
    headers = auth()
    values = {"lyrics": "x" * 401, "sample_rate": 12345, "bitrate": "256000", "tempo": 120, "voice_id": None}
    r = create(fresh, headers, model="minimax/music-01", values=values)
    assert r.status_code == 422 and r.headers["content-type"] == "application/problem+json"
    lines = r.json()["detail"].splitlines()
    assert sorted(lines) == sorted(
        [
            "input: Additional property tempo is not allowed",
            "input.lyrics: String should have at most 400 characters",
            "input.sample_rate: Input should be 16000, 24000, 32000 or 44100",
            "input.bitrate: Invalid type. Expected: integer, given: string",
            "input.voice_id: Invalid type. Expected: string, given: null",
        ]
    )
    # 400 characters is the looser of the page's "350 to 400": accepted.
    ok = create(fresh, {**headers, "X-Music01-Fault": "fail"}, model="minimax/music-01", values={"lyrics": "x" * 400})
    assert ok.status_code == 201
    r = create(fresh, headers, values={"prompt": "short"})
    assert sorted(r.json()["detail"].splitlines()) == [
        "input.prompt: String should have at least 10 characters",
        "input: lyrics is required",
    ]
    r = create(fresh, headers, model="minimax/music-2.6", values={"audio_format": "flac", "is_instrumental": "yes"})
    assert sorted(r.json()["detail"].splitlines()) == [
        "input.audio_format: Input should be 'mp3', 'wav' or 'pcm'",
        "input.is_instrumental: Invalid type. Expected: boolean, given: string",
    ]
    assert len(fresh.stats()["creates"]) == 1


def test_the_create_bodies_are_closed(fresh):
    headers = auth()
    url = f"{fresh.url}/v1/models/minimax/music-1.5/predictions"
    r = requests.post(url, headers=headers, json={"input": SONG, "id": "my-job-1"}, timeout=10)
    assert r.status_code == 422 and r.json()["detail"] == "Additional property id is not allowed"
    r = requests.post(url, headers=headers, json={"version": MUSIC01_VERSION, "input": SONG}, timeout=10)
    assert r.status_code == 422 and "Additional property version" in r.json()["detail"]
    r = requests.post(url, headers=headers, json={}, timeout=10)
    assert r.json()["detail"] == "input is required"
    r = requests.post(url, headers=headers, data="{not json", timeout=10)
    assert r.status_code == 400
    assert fresh.stats()["creates"] == []


# --- lifecycle -----------------------------------------------------------------------------------


def test_a_prediction_starts_processes_succeeds_and_its_output_downloads(fresh):
    headers = auth()
    p = create(fresh, headers).json()
    seen = []
    while not seen or seen[-1] not in TERMINAL:
        seen.append(requests.get(p["urls"]["get"], headers=headers, timeout=10).json()["status"])
        time.sleep(0.05)
    assert seen[0] == "starting" and "processing" in seen and seen[-1] == "succeeded"
    done = requests.get(p["urls"]["get"], headers=headers, timeout=10).json()
    assert isinstance(done["output"], str) and re.search(r"/_delivery/[^/]+/tmp\w{8}\.mp3$", done["output"])
    assert done["metrics"]["predict_time"] > 0 and done["metrics"]["total_time"] >= done["metrics"]["predict_time"]
    assert done["completed_at"] >= done["started_at"] >= done["created_at"]
    audio = requests.get(done["output"], timeout=10)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/mpeg" and len(audio.content) > 10_000
    assert fresh.stats()["delivery_auth_headers"] == 0
    assert requests.get(done["output"], headers=headers, timeout=10).status_code == 200
    assert fresh.stats()["delivery_auth_headers"] == 1


def test_prefer_wait_holds_the_answer_until_done_or_the_wait_runs_out(fresh):
    headers = auth()
    r = create(fresh, {**headers, "Prefer": "wait=60"})
    assert r.status_code == 201 and r.json()["status"] == "succeeded" and r.json()["output"]
    started = time.monotonic()
    r = create(fresh, {**headers, "Prefer": "wait=1", "X-Music01-Fault": "stuck"})
    assert 0.9 < time.monotonic() - started < 5
    assert r.status_code == 202 and r.json()["status"] == "processing"


def test_cancel_ends_a_running_prediction_canceled_and_a_waiting_one_aborted(fresh, tmp_path):
    headers = auth()
    p = create(fresh, {**headers, "X-Music01-Fault": "stuck"}).json()
    time.sleep(0.4)
    r = requests.post(p["urls"]["cancel"], headers=headers, timeout=10)
    assert r.status_code == 200 and r.json()["status"] == "canceled" and "completed_at" in r.json()
    again = requests.post(p["urls"]["cancel"], headers=headers, timeout=10)
    assert again.json()["status"] == "canceled" and again.json()["completed_at"] == r.json()["completed_at"]
    assert requests.post(f"{fresh.url}/v1/predictions/nosuchprediction/cancel", headers=headers).status_code == 404
    with EmulatorServer(service="replicate", home=tmp_path, start_s=30.0) as late:
        p = create(late, {**headers, "X-Music01-Fault": "fail"}).json()
        r = requests.post(p["urls"]["cancel"], headers=headers, timeout=10)
        assert r.json()["status"] == "aborted" and "started_at" not in r.json()


def test_cancel_after_sets_a_deadline_that_cancels_the_run(fresh):
    headers = auth()
    r = create(fresh, {**headers, "Cancel-After": "2s"})
    assert r.status_code == 422
    p = create(fresh, {**headers, "Cancel-After": "5s", "X-Music01-Fault": "stuck"}).json()
    assert p["deadline"] > p["created_at"]
    done = wait_done(p["urls"]["get"], headers, timeout_s=10)
    assert done["status"] == "canceled" and done["completed_at"] == done["deadline"]


def test_get_of_an_unknown_or_someone_elses_prediction_is_404(fresh):
    mine, theirs = auth(), auth()
    p = create(fresh, {**mine, "X-Music01-Fault": "fail"}).json()
    r = requests.get(f"{fresh.url}/v1/predictions/doesnotexist", headers=mine, timeout=10)
    assert r.status_code == 404 and r.json()["status"] == 404 and "does not exist" in r.json()["detail"]
    assert requests.get(p["urls"]["get"], headers=theirs, timeout=10).status_code == 404


# --- prediction faults and run-time failures -----------------------------------------------------


def test_prediction_faults_fail_and_unknown_status(fresh):
    headers = auth()
    fresh.faults(prediction=["unknown_status;polls=2;status=queued", "fail"])
    p = create(fresh, headers).json()
    statuses = [requests.get(p["urls"]["get"], headers=headers).json()["status"] for _ in range(3)]
    assert statuses[:2] == ["queued", "queued"] and statuses[2] != "queued"
    q = create(fresh, headers).json()
    done = wait_done(q["urls"]["get"], headers)
    assert done["status"] == "failed" and done["error"].startswith("E1000:") and done["output"] is None


def test_music_26_fails_when_its_rules_between_fields_are_broken(fresh):
    headers = auth()
    p = create(fresh, headers, model="minimax/music-2.6", values={"is_instrumental": True}).json()
    done = wait_done(p["urls"]["get"], headers)
    assert done["status"] == "failed" and "prompt is required" in done["error"]


def test_music01_fails_without_a_reference_with_an_unissued_id_or_a_short_clip(fresh, audio):
    headers = auth()
    short = upload(fresh, headers, audio["short_wav"]).json()["urls"]["get"]
    cases = [
        ({"lyrics": "la la la"}, "A reference track is required"),
        ({"lyrics": "la la la", "voice_id": "vocal-2025011003141025-d5ZEMxmp"}, "was not found"),
        ({"lyrics": "la la la", "song_file": short}, "longer than 15 seconds (it is 12.0 s)"),
    ]
    for values, message in cases:
        p = create(fresh, headers, model="minimax/music-01", values=values).json()
        done = wait_done(p["urls"]["get"], headers)
        assert done["status"] == "failed" and message in done["error"], done


# --- file inputs ---------------------------------------------------------------------------------


def test_music01_sings_over_a_data_uri_voice_and_an_uploaded_instrumental(fresh, audio):
    headers = auth()
    voice = "data:audio/mpeg;base64," + base64.b64encode(audio["long_mp3"].read_bytes()).decode()
    inst = upload(fresh, headers, audio["long_wav"]).json()["urls"]["get"]
    values = {"lyrics": "##la la la\nsing along##", "voice_file": voice, "instrumental_file": inst}
    p = create(fresh, headers, model="minimax/music-01", values=values).json()
    done = wait_done(p["urls"]["get"], headers)
    assert done["status"] == "succeeded", done
    head = requests.get(done["output"], timeout=10).content[:3]
    assert head == b"ID3" or head[:2] in (b"\xff\xfb", b"\xff\xf3")


def test_music01_fetches_an_http_reference(fresh, audio, tmp_path):
    headers = auth()
    (tmp_path / "song.wav").write_bytes(audio["long_wav"].read_bytes())
    with serve_folder(tmp_path) as www:
        values = {"song_file": f"{www}/song.wav"}  # no lyrics: an instrumental from the reference
        p = create(fresh, headers, model="minimax/music-01", values=values).json()
        assert wait_done(p["urls"]["get"], headers)["status"] == "succeeded"
        p = create(fresh, headers, model="minimax/music-01", values={"song_file": f"{www}/missing.wav"}).json()
        done = wait_done(p["urls"]["get"], headers)
        assert done["status"] == "failed" and "404" in done["error"]


def test_a_data_uri_over_the_limit_is_a_422(fresh):
    headers = auth()
    big = "data:audio/mpeg;base64," + base64.b64encode(b"\0" * (256 * 1024 + 1)).decode()
    r = create(fresh, headers, model="minimax/music-01", values={"song_file": big})
    assert r.status_code == 422
    assert r.json()["detail"].startswith("input.song_file: the data URI holds 262145 bytes")
    assert "262144" in r.json()["detail"] and "POST /v1/files" in r.json()["detail"]
    r = create(fresh, headers, model="minimax/music-01", values={"song_file": "data:audio/mpeg;base64,@@@"})
    assert r.json()["detail"] == "input.song_file: not a valid data URI"
    assert fresh.stats()["creates"] == []


# --- files ---------------------------------------------------------------------------------------


def test_files_upload_get_list_delete(fresh, audio):
    headers = auth()
    r = upload(fresh, headers, audio["long_wav"], metadata=json.dumps({"job": 7}))
    assert r.status_code == 201
    f = r.json()
    data = audio["long_wav"].read_bytes()
    assert f["urls"] == {"get": f"{fresh.url}/v1/files/{f['id']}"} and re.fullmatch(r"[a-z2-7]{26}", f["id"])
    assert f["content_type"] == "audio/wav" and f["size"] == len(data) and f["metadata"] == {"job": 7}
    assert f["checksums"] == {"sha256": hashlib.sha256(data).hexdigest()}
    created, expires = (datetime.fromisoformat(f[k]) for k in ("created_at", "expires_at"))
    assert expires - created == timedelta(hours=1)
    assert requests.get(f["urls"]["get"], headers=headers, timeout=10).json() == f
    assert [x["id"] for x in requests.get(f"{fresh.url}/v1/files", headers=headers).json()["results"]] == [f["id"]]
    assert requests.get(f["urls"]["get"], headers=auth(), timeout=10).status_code == 404  # another token's
    assert requests.delete(f["urls"]["get"], headers=headers, timeout=10).status_code == 204
    gone = requests.get(f["urls"]["get"], headers=headers, timeout=10)
    assert gone.status_code == 404 and gone.json()["detail"] == "File not found"
    assert requests.delete(f["urls"]["get"], headers=headers, timeout=10).status_code == 404
    stats = fresh.stats()
    assert [(e["id"], e["size"]) for e in stats["files"]] == [(f["id"], len(data))]
    assert [(e["id"], e["deleted"]) for e in stats["deletes"]] == [(f["id"], True), (f["id"], False)]
    r = create(fresh, headers, model="minimax/music-01", values={"song_file": f["urls"]["get"]})
    assert r.status_code == 422 and "does not exist or has expired" in r.json()["detail"]


def test_files_413_at_the_limit_and_422_without_content(fresh):
    headers, limit = auth(), 2 * 2**20
    url = f"{fresh.url}/v1/files"
    r = requests.post(url, headers=headers, files={"content": ("a.bin", b"\0" * limit)}, timeout=30)
    assert r.status_code == 413 and r.json()["detail"] == "Files must be less than 2MB in size"
    r = requests.post(url, headers=headers, files={"content": ("a.bin", b"\0" * (limit - 1))}, timeout=30)
    assert r.status_code == 201 and r.json()["content_type"] == "application/octet-stream"
    r = requests.post(url, headers=headers, files={"filename": (None, "a.bin")}, timeout=30)
    assert r.status_code == 422


def test_files_expire_and_predictions_lose_their_data_after_retention(tmp_path, audio):
    headers = auth()
    with EmulatorServer(service="replicate", home=tmp_path, retention_s=1.0, file_ttl_s=0.5) as emu:
        f = upload(emu, headers, audio["long_wav"]).json()
        assert requests.get(f["urls"]["get"], headers=headers).status_code == 200
        p = create(emu, headers).json()
        done = wait_done(p["urls"]["get"], headers)
        assert done["status"] == "succeeded" and done["input"] == SONG
        assert requests.get(done["output"], timeout=10).status_code == 200
        time.sleep(max(0.0, 1.1 - (time.time() - datetime.fromisoformat(done["completed_at"]).timestamp())))
        assert requests.get(f["urls"]["get"], headers=headers).status_code == 404
        assert requests.get(f"{emu.url}/v1/files", headers=headers).json()["results"] == []
        r = create(emu, headers, model="minimax/music-01", values={"song_file": f["urls"]["get"]})
        assert r.status_code == 422 and "expired" in r.json()["detail"]
        gone = requests.get(p["urls"]["get"], headers=headers).json()
        assert gone["data_removed"] is True and gone["input"] == {} and gone["output"] is None and gone["logs"] == ""
        assert gone["status"] == "succeeded"
        assert requests.get(done["output"], timeout=10).status_code == 404


# --- list ----------------------------------------------------------------------------------------


def test_list_pages_newest_first_filters_and_keeps_tokens_apart(tmp_path):
    mine, theirs = auth(), auth()
    with EmulatorServer(service="replicate", home=tmp_path, page_size=2) as emu:
        ids, created = [], []
        for i in range(5):
            p = create(emu, {**mine, "X-Music01-Fault": "fail"}, values={**SONG, "prompt": f"{PROMPT} {i}"}).json()
            ids.append(p["id"])
            created.append(p["created_at"])
            time.sleep(0.01)
        create(emu, {**theirs, "X-Music01-Fault": "fail"})
        pages, url = [], f"{emu.url}/v1/predictions"
        while url:
            page = requests.get(url, headers=mine, timeout=10).json()
            pages.append(page)
            url = page["next"]
        assert [len(p["results"]) for p in pages] == [2, 2, 1]
        assert [r["id"] for p in pages for r in p["results"]] == ids[::-1]
        assert pages[0]["previous"] is None and pages[1]["next"].startswith(f"{emu.url}/v1/predictions?")
        back = requests.get(pages[1]["previous"], headers=mine, timeout=10).json()
        assert [r["id"] for r in back["results"]] == [r["id"] for r in pages[0]["results"]]
        first = pages[0]["results"][0]
        assert first["input"] == {**SONG, "prompt": f"{PROMPT} 4"} and first["source"] == "api"

        def listed(**params):
            out, url = [], f"{emu.url}/v1/predictions"
            while url:
                page = requests.get(url, headers=mine, params=params, timeout=10).json()
                out += [r["id"] for r in page["results"]]
                url, params = page["next"], None
            return out

        assert listed(created_after=created[2]) == ids[:1:-1]  # at or after: 4, 3, 2
        assert listed(created_before=created[2]) == [ids[1], ids[0]]
        shifted = datetime.fromisoformat(created[3]).astimezone(timezone(timedelta(hours=2)))
        assert listed(created_after=shifted.isoformat()) == [ids[4], ids[3]]
        assert listed(source="web") == []
        r = requests.get(f"{emu.url}/v1/predictions", headers=mine, params={"created_after": "yesterday"})
        assert r.status_code == 422


# --- faults that lose the create's answer --------------------------------------------------------


def _created_since(emu, headers, since: str) -> list[dict]:
    return requests.get(f"{emu.url}/v1/predictions", headers=headers, params={"created_after": since}).json()["results"]


@pytest.mark.parametrize("fault", ["lost:reset", "lost:hang", "lost:504"])
def test_a_lost_answer_still_creates_exactly_one_prediction(fresh, fault):
    headers = auth()
    since = datetime.now(UTC).isoformat()
    fresh.faults(create=[fault], prediction=["fail"])
    values = {**SONG, "prompt": f"{PROMPT} {fault}"}
    if fault == "lost:reset":
        with pytest.raises(requests.ConnectionError):
            create(fresh, headers, values=values)
    elif fault == "lost:hang":
        with pytest.raises(requests.ReadTimeout):
            requests.post(
                f"{fresh.url}/v1/models/minimax/music-1.5/predictions",
                headers=headers,
                json={"input": values},
                timeout=(5, 0.5),
            )
    else:
        r = create(fresh, headers, values=values)
        assert r.status_code == 504 and r.headers["content-type"].startswith("text/html")
    [entry] = fresh.stats()["creates"]
    assert (
        entry["input_sha256"]
        == hashlib.sha256(json.dumps(values, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    )
    [found] = _created_since(fresh, headers, since)
    assert found["id"] == entry["id"] and found["input"] == values and found["source"] == "api"


@pytest.mark.parametrize("fault", ["reset", "hang"])
def test_a_create_that_fails_before_creating_makes_nothing(fresh, fault):
    headers = auth()
    fresh.faults(create=[fault])
    if fault == "reset":
        with pytest.raises(requests.ConnectionError):
            create(fresh, headers)
    else:
        assert create(fresh, headers).status_code == 504
    assert fresh.stats()["creates"] == []


def test_402_and_429_and_5xx_answers(fresh, tmp_path):
    headers = auth()
    with EmulatorServer(service="replicate", home=tmp_path, credit=False) as broke:
        r = create(broke, headers)
        assert r.status_code == 402 and r.json()["title"] == "Billing required" and broke.stats()["creates"] == []
    fresh.faults(create=["http:402", "http:429;retry-after=7", "http:429"], get=["http:503;retry-after=2"])
    assert create(fresh, headers).status_code == 402
    r = create(fresh, headers)
    assert r.status_code == 429 and r.headers["retry-after"] == "7"
    assert r.json() == {"detail": "Request was throttled. Your rate limit resets in ~7s."}
    r = create(fresh, headers)
    assert r.status_code == 429 and "retry-after" not in r.headers
    assert r.json() == {"detail": "Request was throttled. Your rate limit resets in ~30s."}
    r = requests.get(f"{fresh.url}/v1/predictions/whatever", headers=headers, timeout=10)
    assert r.status_code == 503 and r.headers["retry-after"] == "2" and r.json()["status"] == 503
    # A status fault never hides a client's bad request.
    fresh.faults(create=["http:503"])
    assert create(fresh, headers, values={"prompt": "short"}).status_code == 422
    assert fresh.stats()["creates"] == []


# --- journal -------------------------------------------------------------------------------------


def test_the_journal_counts_creates_per_token(fresh):
    a, b = auth(), auth()
    for headers in (a, a, b):
        create(fresh, {**headers, "X-Music01-Fault": "fail"})
    stats = fresh.stats()
    token_a = a["Authorization"].split(" ", 1)[1]
    token_b = b["Authorization"].split(" ", 1)[1]
    assert [c["token_fp"] for c in stats["creates"]] == [fp(token_a), fp(token_a), fp(token_b)]
    assert {c["route"] for c in stats["creates"]} == {"model"}
    assert len({c["input_sha256"] for c in stats["creates"]}) == 1
    assert stats["tokens_seen"] == [fp(token_a), fp(token_b)]
    assert stats["methods"]["POST /v1/models/minimax/music-1.5/predictions"] == 3
    assert requests.get(f"{fresh.url}/_emulator/stats", timeout=10).json()["creates"] == stats["creates"]
