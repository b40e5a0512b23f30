"""Replicate as the second provider, through the app started here on 127.0.0.1 (issue 26).

The model picker names each model's provider, the page starts on the model the server's tokens
run, a token box per provider refuses the other provider's credential without echoing it, a
Replicate row without a token runs on the offline engine and says so, and music-01 on Replicate
(a clip, a purpose, a token) makes one prediction on the Replicate emulator, with its list price
and predict time — and the token shows up nowhere: not in the page's config, the history, the
info, the logs.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.appserver import AppServer

pytestmark = pytest.mark.app

TOKEN = "r8_LEAKCHECK0123456789abcdefXYZ"  # recognisable Replicate token: must never show up anywhere
AIML_SHAPED = "0123456789abcdef0123456789abcdef"  # the shape of an AI/ML API key
LYRICS = "##Swing to the rhythm of the night\nlet the music take control##"
TAG_LYRICS = "[Verse]\nhello moon\nhello sky"
# A developer's own token must not leak into these apps: every case says what the server has.
NO_SERVER_CREDENTIALS = {"REPLICATE_API_TOKEN": "", "REPLICATE_BASE_URL": ""}


def make(c, model, lyrics="", prompt="", clip=None, *, key="", token="", purpose="song", fmt="mp3"):
    """``/make`` with every input, the two appended ones (Replicate token, purpose) last."""
    return c.predict(
        model,
        lyrics,
        prompt,
        clip,
        "",
        False,
        False,
        44100,
        256000,
        fmt,
        5,
        key,
        "",
        "",
        token,
        purpose,
        api_name="/make",
    )


def _config(srv) -> dict:
    return requests.get(srv.url + "config", timeout=10).json()


def _components(config: dict, label: str) -> list[dict]:
    return [c for c in config["components"] if (c.get("props") or {}).get("label") == label]


def _menu(srv) -> dict:
    (menu,) = _components(_config(srv), "Model")
    return menu["props"]


def _no_token_in(srv, *texts) -> None:
    """The token is nowhere: the page's config, the app's log, any file under its data dir, ``texts``."""
    assert TOKEN not in requests.get(srv.url + "config", timeout=10).text
    assert TOKEN not in srv.logs()
    for path in srv.home.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), path
    for text in texts:
        assert TOKEN not in text


@pytest.fixture(scope="module")
def offline_app(tmp_path_factory):
    srv = AppServer(tmp_path_factory.mktemp("app-rep-offline") / "home", **NO_SERVER_CREDENTIALS).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def offline_client(offline_app):
    from gradio_client import Client

    return Client(offline_app.url, verbose=False)


@pytest.fixture(scope="module")
def clip_of(make_audio):
    """A prepared >15 s clip for music-01 on Replicate, through the app's own /prepare."""
    from gradio_client import handle_file

    def prepare(client):
        src = make_audio("replicate_reference.wav", 22.0, freq=196.0)
        clip, info = client.predict(
            handle_file(str(src)), 0, 20, "mp3", "replicate/minimax/music-01", api_name="/prepare"
        )
        assert 19.5 < info["duration_s"] < 20.5 and info["model"] == "replicate/minimax/music-01"
        return handle_file(clip)

    return prepare


# --- the page: picker, start model, key boxes --------------------------------------------------


def test_the_picker_names_each_rows_provider(offline_app):
    from music01_core.models import MODELS, model_label

    menu = _menu(offline_app)
    choices = {value: label for label, value in menu["choices"]}
    assert set(choices) == set(MODELS)
    assert choices["replicate/minimax/music-01"].startswith("music-01 · Replicate")
    assert "· AI/ML API" in choices["music-01"]  # two providers serve music-01: each says which it is
    for model_id in ("replicate/minimax/music-1.5", "replicate/minimax/music-2.5", "replicate/minimax/music-2.6"):
        assert "· Replicate" in choices[model_id] and choices[model_id].startswith(model_label(model_id))
    # No credential on the server: the page starts where it always did.
    assert menu["value"] == "minimax-music"


def test_a_token_box_per_provider(offline_app):
    config = _config(offline_app)
    (key,) = _components(config, "API key")
    (token,) = _components(config, "Replicate API token")
    assert key["props"]["type"] == token["props"]["type"] == "password"
    assert "sent only to Replicate" in token["props"]["info"] and token["props"]["placeholder"]
    assert "sent only to the AI/ML API" in key["props"]["info"]
    assert _components(config, "Your keys (optional)")
    (purpose,) = _components(config, "Purpose — what the reference is")
    assert purpose["props"]["visible"] is False  # minimax-music has no purpose; Replicate's music-01 shows it


def test_the_endpoints_take_the_token_last_with_a_default(offline_client):
    api = offline_client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    for name in ("/make", "/generate", "/resume", "/check_url", "/upload"):
        params = api[name]["parameters"]
        assert params[-1 if name != "/make" else -3]["parameter_name"] == "replicate_token", name
    # Appended since, each with a default: the reference's purpose, then the model's own options.
    make_params = api["/make"]["parameters"]
    assert [p["parameter_name"] for p in make_params[-3:]] == ["replicate_token", "purpose", "options"]
    assert all(p["parameter_has_default"] for p in make_params[-3:])


def test_banner_and_status_lines_per_model(monkeypatch):
    import music01_ui.session as session

    monkeypatch.delenv("REPLICATE_API_TOKEN", raising=False)
    monkeypatch.delenv("AIML_API_KEY", raising=False)
    monkeypatch.delenv("AIMLAPI_API_KEY", raising=False)

    def banner(model, key="", token=""):
        return session.banner_text({"aimlapi": key, "replicate": token}, model)

    assert "offline engine (no Replicate token) — not music-01" in banner("replicate/minimax/music-01")
    assert "offline engine (no API key) — not minimax-music" in banner("minimax-music")
    # A Replicate token does not make an AI/ML API model real, nor the reverse.
    assert "offline engine (no API key)" in banner("minimax/music-2.6", token=TOKEN)
    assert "using the token you pasted" in banner("replicate/minimax/music-01", token=TOKEN)
    assert "offline engine (no Replicate token)" in banner("replicate/minimax/music-01", key="sk-test-0123456789abcdef")
    monkeypatch.setenv("REPLICATE_API_TOKEN", TOKEN)
    assert "via **Replicate**" in banner("replicate/minimax/music-01")
    assert session.token_status("replicate", TOKEN) == "" and session.key_status("") == ""
    for line in (session.key_status(TOKEN), session.token_status("replicate", AIML_SHAPED)):
        assert line.startswith("❌") and TOKEN not in line and AIML_SHAPED not in line


# --- offline: a Replicate row without a token ---------------------------------------------------


def test_a_replicate_row_without_a_token_runs_offline_and_says_so(offline_client, clip_of):
    from music01_ui.generate import result_card

    _, info = make(offline_client, "replicate/minimax/music-01", LYRICS, clip=clip_of(offline_client), purpose="voice")
    assert info["backend"] == "offline" and info["model"] == "replicate/minimax/music-01"
    card = result_card(info)
    assert "offline engine (no Replicate token) — not music-01" in card
    assert "list price" not in card and "spent" not in card  # nothing was billed
    _, info = make(offline_client, "replicate/minimax/music-1.5", TAG_LYRICS, "warm lofi hip hop")
    assert info["backend"] == "offline" and "not music-1.5" in result_card(info)


@pytest.mark.parametrize(
    "model, lyrics, prompt, boxes, said",
    [
        ("minimax/music-2.6", TAG_LYRICS, "warm lofi hip hop", {"key": TOKEN}, "shaped like a credential of Replicate"),
        ("music-01", LYRICS, "", {"key": TOKEN}, "shaped like a credential of Replicate"),
        (
            "replicate/minimax/music-1.5",
            TAG_LYRICS,
            "warm lofi hip hop",
            {"token": AIML_SHAPED},
            "Replicate API token box",
        ),
        ("minimax/music-2.6", TAG_LYRICS, "warm lofi hip hop", {"token": AIML_SHAPED}, "Replicate API token box"),
    ],
    ids=[
        "replicate-token-in-aiml-box",
        "replicate-token-in-aiml-box-music01",
        "aiml-key-in-replicate-box",
        "aiml-key-in-replicate-box-aiml-model",
    ],
)
def test_a_credential_in_the_other_providers_box_is_refused_unechoed(
    offline_client, offline_app, model, lyrics, prompt, boxes, said
):
    with pytest.raises(Exception) as exc:
        make(offline_client, model, lyrics, prompt, **boxes)
    text = str(exc.value)
    assert said in text and "Traceback" not in text
    assert TOKEN not in text and AIML_SHAPED not in text
    assert TOKEN not in offline_app.logs() and AIML_SHAPED not in offline_app.logs()


def test_bad_input_for_replicate_music01_is_said_plainly(offline_client, clip_of):
    clip = clip_of(offline_client)
    with pytest.raises(Exception, match="350") as exc:
        make(offline_client, "replicate/minimax/music-01", "##" + "la " * 130 + "##", clip=clip)
    assert "Traceback" not in str(exc.value)
    with pytest.raises(Exception, match="mp3 only"):
        make(offline_client, "replicate/minimax/music-01", LYRICS, clip=clip, fmt="wav")
    # Gradio's own check of the choice, before the handler: it names the three purposes.
    with pytest.raises(Exception, match="'song', 'voice', 'instrumental'"):
        make(offline_client, "replicate/minimax/music-01", LYRICS, clip=clip, purpose="choir")


# --- against the Replicate emulator ---------------------------------------------------------------


@pytest.fixture(scope="module")
def pasted_app(tmp_path_factory):
    """No credential on the server; the Replicate emulator as Replicate; the token is pasted per call."""
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(service="replicate", token=TOKEN, run_s=0.5, home=tmp_path_factory.mktemp("rep-emu")) as emu:
        srv = AppServer(
            tmp_path_factory.mktemp("app-rep-pasted") / "home",
            REPLICATE_API_TOKEN="",
            REPLICATE_BASE_URL=emu.url,
        ).start()
        yield srv, emu
        srv.stop()


def test_music01_on_replicate_with_a_pasted_token(pasted_app, clip_of):
    from gradio_client import Client

    from music01_ui.generate import result_card

    srv, emu = pasted_app
    c = Client(srv.url, verbose=False)
    assert _menu(srv)["value"] == "minimax-music"  # a pasted token is the person's, not the server's
    clip = clip_of(c)
    before = len(emu.stats()["creates"])
    audio, info = make(c, "replicate/minimax/music-01", LYRICS, clip=clip, token=TOKEN, purpose="voice")
    creates = emu.stats()["creates"]
    assert len(creates) == before + 1  # one Generate, one create
    assert creates[-1]["id"] == info["generation_id"] and creates[-1]["model"].startswith("minimax/music-01")
    assert audio.endswith(".mp3") and info["backend"] == "replicate" and info["format"] == "mp3"
    assert info["duration_s"] > 1 and info["purpose"] == "voice"
    # The reference went as the purpose said.
    sent = requests.get(
        f"{emu.url}/v1/predictions/{info['generation_id']}", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    ).json()["input"]
    assert "voice_file" in sent and "song_file" not in sent and sent["lyrics"] == LYRICS
    # Replicate reports no cost: the table's list price and the prediction's time instead.
    extra = info["extra_info"]
    assert extra["list_price"].startswith("list price $0.035 per output file (")
    assert isinstance(extra["predict_time_s"], int | float)
    card = result_card(info)
    assert "list price $0.035 per output file" in card and "predict time" in card and "spent" not in card
    assert "music-01 via Replicate" in card
    # Refused before anything is sent: no create for these.
    with pytest.raises(Exception, match="350"):
        make(c, "replicate/minimax/music-01", "##" + "la " * 130 + "##", clip=clip, token=TOKEN)
    with pytest.raises(Exception, match="mp3 only"):
        make(c, "replicate/minimax/music-01", LYRICS, clip=clip, token=TOKEN, fmt="wav")
    assert len(emu.stats()["creates"]) == before + 1
    # Resuming it answers from the history: nothing is created again.
    _, again = c.predict(info["generation_id"], "", TOKEN, api_name="/resume")
    assert again["generation_id"] == info["generation_id"] and len(emu.stats()["creates"]) == before + 1
    _no_token_in(srv, json.dumps(info), json.dumps(again), card)


@pytest.fixture(scope="module")
def server_token_app(tmp_path_factory):
    """The server has a Replicate token (and no AI/ML API key), on a shared server with 1 generation per hour."""
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(
        service="replicate", token=TOKEN, run_s=0.5, home=tmp_path_factory.mktemp("rep-emu-server")
    ) as emu:
        srv = AppServer(
            tmp_path_factory.mktemp("app-rep-server") / "home",
            REPLICATE_API_TOKEN=TOKEN,
            REPLICATE_BASE_URL=emu.url,
            MUSIC01_SHARED="1",
            MUSIC01_GENERATIONS_PER_HOUR="1",
        ).start()
        yield srv, emu
        srv.stop()


def test_the_servers_replicate_token_picks_the_start_model_and_counts_as_shared(server_token_app):
    from gradio_client import Client

    from music01_ui.generate import result_card

    srv, emu = server_token_app
    menu = _menu(srv)
    assert menu["value"] == "replicate/minimax/music-01"
    assert menu["info"].startswith("replicate/minimax/music-01 takes")
    (purpose,) = _components(_config(srv), "Purpose — what the reference is")
    assert purpose["props"]["visible"] is True
    c = Client(srv.url, verbose=False)
    _, info = make(c, "replicate/minimax/music-1.5", TAG_LYRICS, "warm lofi hip hop")
    assert info["backend"] == "replicate" and len(emu.stats()["creates"]) == 1
    assert "list price $0.03 per output file" in result_card(info)
    # The shared token's allowance is spent, and the message names the token to paste instead.
    with pytest.raises(Exception, match="shared Replicate API token") as exc:
        make(c, "replicate/minimax/music-1.5", TAG_LYRICS, "warm lofi hip hop")
    assert TOKEN not in str(exc.value)
    assert len(emu.stats()["creates"]) == 1
    # An AI/ML API model has no credential here: the offline engine makes it, and it is not counted.
    for _ in range(2):
        _, info = make(c, "minimax/music-2.6", TAG_LYRICS, "warm lofi hip hop")
        assert info["backend"] == "offline"
    # The person's own token is not the shared one: no allowance applies.
    _, info = make(c, "replicate/minimax/music-1.5", TAG_LYRICS, "warm lofi hip hop", token=TOKEN)
    assert info["backend"] == "replicate" and len(emu.stats()["creates"]) == 2
    _no_token_in(srv, json.dumps(info))


@pytest.mark.parametrize(
    "env, words",
    [
        ({"REPLICATE_API_TOKEN": AIML_SHAPED}, "REPLICATE_API_TOKEN: this is shaped like a credential"),
        ({"AIML_API_KEY": TOKEN}, "AIML_API_KEY: this is shaped like a credential of Replicate"),
    ],
    ids=["aiml-key-as-replicate-token", "replicate-token-as-aiml-key"],
)
def test_a_server_credential_of_the_other_provider_stops_the_app_unechoed(tmp_path, env, words):
    import os
    import subprocess
    import sys

    from tests.appserver import ROOT

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "GRADIO", "REPLICATE"))}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        env={**clean, "MUSIC01_HOME": str(tmp_path), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("music01: ")]
    assert len(lines) == 1 and words in lines[0], proc.stderr
    assert TOKEN not in proc.stderr + proc.stdout and AIML_SHAPED not in proc.stderr + proc.stdout
