"""The app through gradio_client, started here on 127.0.0.1: offline, and the API path via the emulator."""

import pytest

from tests.appserver import AppServer
from tests.audiogen import KEY

pytestmark = pytest.mark.app
LYRICS = "##Swing to the rhythm of the night\nlet the music take control##"


@pytest.fixture(scope="module")
def offline_app(tmp_path_factory):
    srv = AppServer(tmp_path_factory.mktemp("app") / "home").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(offline_app):
    from gradio_client import Client

    return Client(offline_app.url, verbose=False)


def test_named_endpoints_only(client):
    named = set(client.view_api(return_format="dict", print_info=False)["named_endpoints"])
    assert named == {
        "/prepare",
        "/analyze",
        "/upload",
        "/generate",
        "/make",
        "/resume",
        "/check_url",
        "/price",
        "/balance",
        "/write_lyrics",
        "/takes",
    }


def test_whole_flow_offline(client, examples):
    from gradio_client import handle_file

    info = client.predict(handle_file(str(examples["song-e-minor"])), api_name="/analyze")
    assert info["vocals"] == "singing" and info["suggested_purpose"] == "song"
    seg = info["suggested_segment"]
    clip, cinfo = client.predict(
        handle_file(str(examples["song-e-minor"])), seg["start_s"], 25.0, "mp3", "music-01", api_name="/prepare"
    )
    assert clip.endswith(".mp3") and 24.9 < cinfo["duration_s"] < 25.1 and "path" not in cinfo
    ids = client.predict(handle_file(clip), "song", "", api_name="/upload")
    assert ids["voice_id"].startswith("vocal-") and ids["instrumental_id"] and ids["cached"] is False
    assert client.predict(handle_file(clip), "song", "", api_name="/upload")["cached"] is True
    audio, ginfo = client.predict(
        LYRICS, ids["voice_id"], ids["instrumental_id"], 32000, 128000, "mp3", 7, "", api_name="/generate"
    )
    assert audio.endswith(".mp3") and ginfo["backend"] == "offline" and ginfo["sample_rate"] == 32000
    assert 10 <= ginfo["duration_s"] <= 60 and ginfo["seed"] == 7


@pytest.mark.parametrize(
    "call,message",
    [
        (lambda c, f: c.predict(f("short"), 0, 8, "mp3", "music-01", api_name="/prepare"), "needs more than 10 s"),
        (lambda c, f: c.predict(f("short"), 0, 12, "mp3", api_name="/prepare"), "minimax-music needs more than 15 s"),
        (
            lambda c, f: c.predict(
                "minimax/music-cover",
                "",
                "",
                None,
                "",
                False,
                False,
                44100,
                256000,
                "mp3",
                1,
                "",
                "",
                "",
                api_name="/make",
            ),
            "needs a style prompt",
        ),
        (
            lambda c, f: c.predict(
                "minimax-music",
                "##hello##",
                "",
                None,
                "",
                False,
                False,
                44100,
                256000,
                "mp3",
                1,
                "",
                "",
                "",
                api_name="/make",
            ),
            "needs a reference",
        ),
        (
            lambda c, f: c.predict(
                "minimax/music-1.5",
                "[Verse] hello moon",
                "pop",
                None,
                "",
                False,
                False,
                44100,
                256000,
                "mp3",
                1,
                "",
                "",
                "",
                api_name="/make",
            ),
            "at least 10",
        ),
        (lambda c, f: c.predict("nope", "", api_name="/resume"), "no pending job"),
        (
            lambda c, f: c.predict(
                "x" * 601, "vocal-2025010100000000-a0AAAaaa", "", 44100, 256000, "mp3", 1, "", api_name="/generate"
            ),
            "601 characters",
        ),
        (
            lambda c, f: c.predict(
                "hello", "vocal-2025010100000000-a0AAAaaa", "", 44100, 256000, "mp3", 1, "", api_name="/generate"
            ),
            "upload the reference again",
        ),
        (
            lambda c, f: c.predict("hello", "", "", 44100, 256000, "mp3", 1, "", api_name="/generate"),
            "voice_id or an instrumental_id",
        ),
        (lambda c, f: c.predict(f("text"), "voice", "", api_name="/upload"), "not an audio file"),
    ],
)
def test_bad_input_gives_a_clear_error(client, make_audio, tmp_path, call, message):
    from gradio_client import handle_file

    def f(kind):
        if kind == "short":
            return handle_file(str(make_audio("app_short.wav", 12.0)))
        p = tmp_path / "notes.mp3"
        p.write_text("not audio at all\n" * 50)
        return handle_file(str(p))

    with pytest.raises(Exception) as exc:
        call(client, f)
    assert message in str(exc.value) and "Traceback" not in str(exc.value)


def test_speech_as_voice_warns(client, speech_wav, offline_app):
    from gradio_client import handle_file

    info = client.predict(handle_file(str(speech_wav)), api_name="/analyze")
    assert info["vocals"] == "speech"
    assert any("sounds like speech" in w for w in info["warnings"])


def test_the_page_says_its_upload_limit_in_MB(offline_app):
    import requests

    config = requests.get(offline_app.url + "config", timeout=10).text
    assert "up to 200 MB" in config and "200mb" not in config


def test_app_keeps_serving_after_errors(client, offline_app):
    with pytest.raises(Exception, match="empty"):
        client.predict("", "", "", 44100, 256000, "mp3", 1, "", api_name="/generate")
    assert offline_app.proc.poll() is None
    import requests

    assert requests.get(offline_app.url, timeout=10).status_code == 200


@pytest.fixture(scope="module")
def api_app(tmp_path_factory):
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu")) as emu:
        srv = AppServer(
            tmp_path_factory.mktemp("app-api") / "home",
            AIML_API_KEY=KEY,
            AIML_API_BASE=emu.url,
            MUSIC01_SHARED="1",
            MUSIC01_GENERATIONS_PER_HOUR="2",
        ).start()
        yield srv, emu
        srv.stop()


def test_api_path_through_the_emulator_with_rate_limit(api_app, examples):
    from gradio_client import Client, handle_file

    srv, emu = api_app
    c = Client(srv.url, verbose=False)
    clip, _ = c.predict(handle_file(str(examples["groove-a-minor"])), 0, 20, "mp3", "music-01", api_name="/prepare")
    ids = c.predict(handle_file(clip), "instrumental", "", api_name="/upload")
    assert ids["backend"] == "api" and ids["instrumental_id"]
    for _ in range(2):
        audio, info = c.predict(
            "hello moon", "", ids["instrumental_id"], 16000, 32000, "mp3", -1, "", api_name="/generate"
        )
        assert info["backend"] == "api" and info["credits_used"] and info["inference_id"]
    with pytest.raises(Exception, match="generations per hour"):
        c.predict("hello moon", "", ids["instrumental_id"], 16000, 32000, "mp3", -1, "", api_name="/generate")
    # A pasted key is the person's own: no shared-key limit, and it reaches the service.
    audio, info = c.predict(
        "hello moon", "", ids["instrumental_id"], 16000, 32000, "mp3", -1, KEY, api_name="/generate"
    )
    assert info["backend"] == "api"
    # Another session has its own history and library: the ids are not cached there.
    c2 = Client(srv.url, verbose=False)
    clip2, _ = c2.predict(handle_file(str(examples["groove-a-minor"])), 0, 20, "mp3", "music-01", api_name="/prepare")
    assert c2.predict(handle_file(clip2), "instrumental", "", api_name="/upload")["cached"] is False
    assert KEY not in srv.logs()


MAKE = dict(api_name="/make")


def make(c, model, lyrics="", prompt="", clip=None, url="", sample_rate=44100, fmt="mp3", key=""):
    return c.predict(model, lyrics, prompt, clip, url, False, False, sample_rate, 256000, fmt, 5, key, "", "", **MAKE)


def test_every_live_model_offline(client, examples):
    from gradio_client import handle_file

    clip, _ = client.predict(
        handle_file(str(examples["song-e-minor"])), 0, 20, "mp3", "minimax-music", api_name="/prepare"
    )
    _, info = make(client, "minimax-music", LYRICS, clip=handle_file(clip))
    assert info["model"] == "minimax-music" and info["backend"] == "offline" and info["reference"]["kind"] == "file"
    _, info = make(
        client, "minimax/music-cover", "", "bossa nova with soft brushes", clip=handle_file(clip), sample_rate=24000
    )
    assert info["model"] == "minimax/music-cover" and info["sample_rate"] == 24000
    _, info = make(client, "minimax/music-2.6", "[Verse]\nhello moon\nhello sky", "warm lofi hip hop", fmt="wav")
    assert info["format"] == "wav" and any("built-in example" in w for w in info["warnings"])


@pytest.fixture(scope="module")
def jobs_app(tmp_path_factory):
    from music01_core.emulator import EmulatorServer
    from tests.appserver import free_port

    port = free_port()
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-jobs"), latency_s=1.0) as emu:
        # The app says it is public at its own loopback address: the emulator fetches the served link there.
        srv = AppServer(
            tmp_path_factory.mktemp("app-jobs") / "home",
            AIML_API_KEY=KEY,
            AIML_API_BASE=emu.url,
            MUSIC01_PUBLIC_URL=f"http://127.0.0.1:{port}",
            port=port,
        ).start()
        yield srv, emu
        srv.stop()


def test_job_models_through_the_app(jobs_app, examples):
    from gradio_client import Client, handle_file

    from music01_core.history import History

    srv, emu = jobs_app
    c = Client(srv.url, verbose=False)
    clip, _ = c.predict(handle_file(str(examples["song-e-minor"])), 0, 20, "mp3", "minimax-music", api_name="/prepare")
    _, info = make(c, "minimax-music", LYRICS, clip=handle_file(clip))
    assert info["backend"] == "api" and info["generation_id"].endswith(":minimax-music")
    assert info["reference"]["kind"] == "link" and info["credits_used"]
    _, info = make(c, "minimax/music-cover", "", "bossa nova with soft brushes", clip=handle_file(clip))
    assert info["reference"]["kind"] == "base64"
    _, info = make(c, "minimax/music-2.6", "[Verse]\nhello moon", "warm lofi hip hop")
    assert info["model"] == "minimax/music-2.6"
    assert [s["model"] for s in emu.stats()["submits"]] == ["minimax-music", "minimax/music-cover", "minimax/music-2.6"]
    # Resuming a finished job returns it from the history: nothing is submitted again.
    _, again = c.predict(info["generation_id"], "", api_name="/resume")
    assert again["generation_id"] == info["generation_id"] and len(emu.stats()["submits"]) == 3
    assert len(History(srv.home).list()) == 3 and emu.stats()["file_auth_headers"] == 0
    assert KEY not in srv.logs()
