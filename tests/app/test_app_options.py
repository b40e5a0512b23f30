"""A model's own fields through the app: one JSON ``options`` input of /make, checked before anything is sent."""

import json

import pytest

from tests.appserver import AppServer, make_args

pytestmark = pytest.mark.app


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    from gradio_client import Client

    srv = AppServer(tmp_path_factory.mktemp("app") / "home").start()
    yield Client(srv.url, verbose=False)
    srv.stop()


def _make(client, model, prompt, options, **kw):
    # /make's inputs, an empty Replicate token, the purpose, then the options object.
    return client.predict(*make_args(model, prompt=prompt, **kw), "", "song", json.dumps(options), api_name="/make")


def test_a_length_option_shapes_the_piece(client):
    _, info = _make(client, "stable-audio", "lo-fi hip-hop beat with vinyl crackle", {"duration_s": 6}, fmt="wav")
    assert info["model"] == "stable-audio" and abs(info["duration_s"] - 6.0) < 0.05, info
    assert info["options"] == {"seconds_total": 6}  # as sent: the provider's field
    _, eleven = _make(client, "elevenlabs/eleven_music", "calm piano with soft strings", {"duration_s": 11})
    assert abs(eleven["duration_s"] - 11.0) < 0.05 and eleven["options"] == {"music_length_ms": 11000}


def test_a_bad_option_is_refused_with_what_to_do(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match=r"must be from 1 to 47 s for stable-audio, not 48"):
        _make(client, "stable-audio", "lo-fi beat", {"duration_s": 48}, fmt="wav")
    with pytest.raises(AppError, match=r"stable-audio takes no option 'negative_prompt'"):
        _make(client, "stable-audio", "lo-fi beat", {"negative_prompt": "drums"}, fmt="wav")
    with pytest.raises(AppError, match=r"options must be a JSON object"):
        client.predict(
            *make_args("stable-audio", prompt="lo-fi beat", fmt="wav"), "", "song", "[1, 2]", api_name="/make"
        )


def test_scripts_written_before_options_still_work(client):
    _, info = client.predict(*make_args("minimax/music-2.6", "[Verse]\nla la la la", "calm piano"), api_name="/make")
    assert info["model"] == "minimax/music-2.6" and not info.get("options")


def test_the_page_builds_one_control_per_option_name_and_follows_the_model():
    from music01_ui.options import SPECS, option_view, options_json

    assert set(SPECS) == {"duration_s", "start_s", "steps", "negative_prompt"}  # the seed rides on the seed box
    names = list(SPECS)
    view = dict(zip(names, option_view("stable-audio"), strict=True))
    assert view["duration_s"]["visible"] and (view["duration_s"]["minimum"], view["duration_s"]["maximum"]) == (1, 47)
    assert view["duration_s"]["value"] == 30 and not view["negative_prompt"]["visible"]
    eleven = dict(zip(names, option_view("elevenlabs/eleven_music"), strict=True))
    assert (eleven["duration_s"]["minimum"], eleven["duration_s"]["maximum"], eleven["duration_s"]["value"]) == (
        10,
        300,
        10,
    )
    values = {"duration_s": 20.0, "start_s": "", "steps": " 50 ", "negative_prompt": "drums"}
    ordered = [values[n] for n in names]
    # Only what the chosen model takes, empty boxes left out (the provider's default), numbers as typed.
    assert options_json("stable-audio", *ordered) == '{"duration_s": 20, "steps": "50"}'
    assert options_json("google/lyria2", *ordered) == '{"negative_prompt": "drums"}'
    assert options_json("minimax/music-2.6", *ordered) == "{}"
