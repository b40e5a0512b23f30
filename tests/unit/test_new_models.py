"""Issue 24: ElevenLabs, Lyria 2 and Stable Audio as rows of the table, their options as data.

- the rows: what each takes and returns, with its sources (aimlapi/api-docs f14fa72);
- ``Client.prepare`` checks each option (kind, range, names the model does not take) before anything
  is sent, and the job carries the provider's fields and units (seconds → ``music_length_ms``);
- the seed: a request's seed reaches a model whose API takes one, and the offline engine the same;
- every body music01 builds for the three passes the emulator's contract and its JSON Schema, and a
  body just past each integer bound is refused by both;
- the bytes tell a finished file's format, not its label;
- the offline engine answers each id: the length asked for (or the provider's default), the format
  the model returns, the same audio for the same seed;
- ``music01 models`` and ``--option`` are generic: a model's options are listed and parsed from its row.
"""

from __future__ import annotations

import itertools

import pytest

from music01_core import errors as E
from music01_core.audio import audio_format
from music01_core.backends import OfflineBackend
from music01_core.backends.api import ApiBackend
from music01_core.emulator.contract import CREDITS, JOB_CONTRACTS, validator
from music01_core.emulator.job_answers import job_audio_file, job_usage, render_options
from music01_core.emulator.jobs import validate_job
from music01_core.models import MODELS, OptionSpec, get_model, options_by_name
from music01_core.options import option_lines, parse_option_args
from music01_core.providers.aimlapi import job_payload
from music01_core.types import MusicRequest
from tests.audiogen import KEY

ELEVEN, LYRIA, STABLE = "elevenlabs/eleven_music", "google/lyria2", "stable-audio"
NEW = (ELEVEN, LYRIA, STABLE)
PROMPT = "Lo-fi pop hip-hop ambient music, slow intro, then faster with loud bass"


@pytest.fixture
def api(tmp_path):
    """A client of the AI/ML API whose address nothing answers on: prepare sends nothing."""
    return ApiBackend(api_key=KEY, base_url="http://127.0.0.1:9", home=tmp_path / "home")


def prepare(api, model: str, **kw):
    return api.prepare(MusicRequest(model=model, prompt=kw.pop("prompt", PROMPT), **kw))


# --- the rows ---------------------------------------------------------------------------------------


def test_the_three_rows_say_what_their_references_say():
    eleven, lyria, stable = (get_model(m) for m in NEW)
    for m in (eleven, lyria, stable):
        assert m.live and m.protocol == "job" and m.provider == "aimlapi" and m.list_price is None
        assert m.lyrics is None and not m.takes_reference and m.audio_setting is None and not m.flags
        assert m.prompt.api_field == "prompt" and m.prompt.required
    assert (eleven.prompt.max_chars, lyria.prompt.max_chars, stable.prompt.max_chars) == (2000, 600, 2000)
    assert "Maximum 600" in lyria.prompt.limit_note and "no length limit" in stable.prompt.limit_note
    assert (eleven.returns, lyria.returns, stable.returns) == (("mp3",), ("wav",), ("wav",))
    assert (eleven.expected_s, lyria.expected_s, stable.expected_s) == (30.0, 40.0, 40.0)
    assert any("lyrics inside the prompt" in n for n in eleven.notes) and "lyrics" in eleven.summary
    assert [o.api_field for o in eleven.options] == ["music_length_ms"]
    assert [o.api_field for o in lyria.options] == ["negative_prompt", "seed"]
    assert [o.api_field for o in stable.options] == ["seconds_total", "seconds_start", "steps"]


def test_one_name_one_meaning_across_models():
    by_name = options_by_name()
    assert set(by_name["duration_s"]) == {ELEVEN, STABLE}  # one "length" control serves both
    assert {o.unit for o in by_name["duration_s"].values()} == {"s"}
    assert by_name["duration_s"][ELEVEN].range_words() == "10–300 s (default 10 s)"
    assert by_name["duration_s"][STABLE].range_words() == "1–47 s (default 30 s)"
    assert by_name["seed"][LYRIA].request_attr == "seed" and set(by_name["seed"]) == {LYRIA}
    assert set(by_name) == {"duration_s", "start_s", "steps", "negative_prompt", "seed"}
    assert all(not m.options for m in MODELS.values() if m.id not in NEW)  # nothing else changed
    json_ready = get_model(STABLE).to_dict()["options"]
    assert json_ready[0]["name"] == "duration_s" and json_ready[0]["maximum"] == 47


# --- Client.prepare: each option's bounds, its errors, its units ---------------------------------------


def bound_cases():
    """(model, name, value at each bound) for every int option; (model, name, just past) for refusals."""
    for mid in NEW:
        for o in get_model(mid).options:
            if o.kind != "int":
                continue
            for at, past in ((o.minimum, o.minimum - 1), (o.maximum, o.maximum + 1)):
                yield pytest.param(mid, o, at, past, id=f"{mid}-{o.name}-{at}")


@pytest.mark.parametrize("model, spec, at, past", list(bound_cases()))
def test_each_option_is_accepted_at_its_bounds_and_refused_past_them(api, model, spec, at, past):
    job = prepare(api, model, options={spec.name: at})
    assert job.options == {spec.api_field: at * spec.scale}
    with pytest.raises(E.SettingError) as err:
        prepare(api, model, options={spec.name: past})
    said = str(err.value)
    assert said.startswith(spec.name) and f"for {model}" in said and f"not {past}" in said
    assert f"from {spec.minimum} to {spec.maximum}" in said and "leave it out" in said
    if spec.default is not None:
        assert f"the model's default ({spec.default}" in said


def test_seconds_are_sent_as_milliseconds_to_eleven_music(api):
    assert prepare(api, ELEVEN, options={"duration_s": 20}).options == {"music_length_ms": 20000}
    assert prepare(api, ELEVEN, options={"duration_s": "12.5"}).options == {"music_length_ms": 12500}
    assert prepare(api, STABLE, options={"duration_s": "20", "steps": "50"}).options == {
        "seconds_total": 20,
        "steps": 50,
    }
    assert prepare(api, ELEVEN).options == {}  # nothing given: nothing sent, the provider's default applies
    with pytest.raises(E.SettingError, match="multiple of 0.001 s"):
        prepare(api, ELEVEN, options={"duration_s": 12.0001})
    with pytest.raises(E.SettingError, match="whole number of seconds for stable-audio"):
        prepare(api, STABLE, options={"duration_s": 12.5})


@pytest.mark.parametrize("value", ["abc", True, [20], "20 s", float("nan")])
def test_a_value_that_is_not_a_number_is_refused_with_its_range(api, value):
    with pytest.raises(E.SettingError) as err:
        prepare(api, ELEVEN, options={"duration_s": value})
    assert "must be a number of seconds" in str(err.value) and "10–300 s" in str(err.value)


def test_an_option_the_model_does_not_take_names_the_models_that_do(api):
    with pytest.raises(E.SettingError) as err:
        prepare(api, STABLE, options={"seed": 3})
    said = str(err.value)
    assert "stable-audio takes no option 'seed'" in said and "google/lyria2" in said and "duration_s = 1–47 s" in said
    with pytest.raises(E.SettingError, match="minimax/music-2.0 takes no option 'duration_s'.*it takes no options"):
        api.prepare(
            MusicRequest(
                model="minimax/music-2.0",
                prompt="warm lofi beats",
                lyrics="[Verse]\nhello moon",
                options={"duration_s": 9},
            )
        )
    with pytest.raises(E.SettingError, match="takes no option 'length'"):
        prepare(api, ELEVEN, options={"length": 20})


def test_the_negative_prompt_is_cleaned_counted_and_left_out_when_empty(api):
    job = prepare(api, LYRIA, options={"negative_prompt": "  drums,\u200b vocals "})
    assert job.options == {"negative_prompt": "drums, vocals"}
    assert any("invisible characters from the negative prompt" in w for w in job.warnings)
    assert prepare(api, LYRIA, options={"negative_prompt": " \u200b "}).options == {}
    assert prepare(api, LYRIA, options={"negative_prompt": "🎵" * 300}).options["negative_prompt"]  # 600 units
    with pytest.raises(E.SettingError, match="601 characters as the provider counts.*at most 600"):
        prepare(api, LYRIA, options={"negative_prompt": "a" + "🎵" * 300})
    with pytest.raises(E.SettingError, match="is a text"):
        prepare(api, LYRIA, options={"negative_prompt": 5})


def test_the_requests_seed_reaches_a_model_whose_api_takes_one(api):
    job = prepare(api, LYRIA, seed=7)
    assert job.options == {"seed": 7} and job.seed == 7
    job = prepare(api, LYRIA, options={"seed": "8"})
    assert job.options == {"seed": 8} and job.seed == 8  # the offline engine gets it too
    assert prepare(api, LYRIA, seed=9, options={"seed": 9}).options == {"seed": 9}
    with pytest.raises(E.SettingError, match="given twice"):
        prepare(api, LYRIA, seed=9, options={"seed": 10})
    with pytest.raises(E.SettingError, match="seed must be from 0 to 4294967295"):
        prepare(api, LYRIA, seed=-1)
    job = prepare(api, ELEVEN, seed=7)  # its API takes none: the seed stays the offline engine's
    assert job.options == {} and job.seed == 7


def test_a_bad_option_is_refused_before_the_reference_or_the_provider(api):
    """The option check comes right after the text's, before anything is routed, staged or sent."""
    with pytest.raises(E.PromptError):
        prepare(api, ELEVEN, prompt="", options={"duration_s": 1})  # the text is said first
    with pytest.raises(E.SettingError):
        prepare(api, ELEVEN, options={"duration_s": 1})
    assert api.history.pending() == [] and api.history.list() == []


def test_the_prompt_limit_note_is_said_when_too_long(api):
    with pytest.raises(E.PromptError, match="at most 600 .*'Maximum 600 characters'"):
        prepare(api, LYRIA, prompt="a" * 601)
    with pytest.raises(E.PromptError, match="at most 2000 .*no length limit"):
        prepare(api, STABLE, prompt="a" * 2001)


# --- the body sent: the emulator's contract and its JSON Schema ---------------------------------------


def option_values(spec: OptionSpec) -> list:
    if spec.kind == "text":
        return ["no drums", "🎵" * (spec.max_chars // 2)]
    return [v for v in (spec.minimum, spec.maximum, spec.default) if v is not None]


def bodies(model_id: str):
    """Every combination of each option's bound values (or none), as prepared and sent."""
    m = get_model(model_id)
    client = ApiBackend(api_key=KEY, base_url="http://127.0.0.1:9", home=None)
    choices = [[None, *option_values(o)] for o in m.options]
    for combo in itertools.product(*choices):
        given = {o.name: v for o, v in zip(m.options, combo, strict=True) if v is not None}
        for prompt in ("a", "a" * m.prompt.max_chars, "🎵" * (m.prompt.max_chars // 2)):
            job = client.prepare(MusicRequest(model=model_id, prompt=prompt, options=given))
            yield job_payload(m, lyrics=job.lyrics, prompt=job.prompt, options=job.options)


@pytest.mark.parametrize("model_id", NEW)
def test_every_body_music01_builds_passes_the_emulators_contract_and_schema(model_id, tmp_path, monkeypatch):
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path))
    v = validator(model_id)
    seen = set()
    for body in bodies(model_id):
        contract, problems = validate_job(body)
        assert contract is JOB_CONTRACTS[model_id] and problems == [], body
        assert [e.message for e in v.iter_errors(body)] == [], body
        seen |= set(body)
    assert seen == set(JOB_CONTRACTS[model_id].fields)  # every field of the contract was sent at least once


def test_the_body_sends_each_option_under_its_field():
    body = job_payload(ELEVEN, lyrics=None, prompt="pop", options={"music_length_ms": 20000})
    assert body == {"model": ELEVEN, "prompt": "pop", "music_length_ms": 20000}
    with pytest.raises(E.SettingError, match="takes no field 'seed'"):
        job_payload(ELEVEN, lyrics=None, prompt="pop", options={"seed": 1})


def integer_refusals():
    for c in (JOB_CONTRACTS[m] for m in NEW):
        base = {"model": c.id, "prompt": "lofi"}
        for i in c.integers:
            for bad in (i.minimum - 1, (i.maximum or 10**6) + 1, "20", True, None, 2.5):
                if bad == (i.maximum or 10**6) + 1 and i.maximum is None:
                    continue
                yield pytest.param(c.id, {**base, i.name: bad}, id=f"{c.id}-{i.name}-{bad!r}")


@pytest.mark.parametrize("model_id, body", list(integer_refusals()))
def test_both_validators_refuse_a_bad_integer(model_id, body):
    contract, problems = validate_job(body)
    assert problems and all("must" in p for p in problems), problems
    assert list(validator(model_id).iter_errors(body))


def test_a_whole_float_is_an_integer_as_in_javascript():
    body = {"model": ELEVEN, "prompt": "lofi", "music_length_ms": 20000.0}
    assert validate_job(body)[1] == [] and validator(ELEVEN).is_valid(body)
    assert validate_job({**body, "music_length_ms": 10**400})[1] == ["music_length_ms must not be greater than 300000"]


# --- what the emulator answers, from the contracts ------------------------------------------------------


class _State:
    sparse_audio_file = False


def test_each_models_answer_shape_comes_from_its_contract():
    eleven, lyria, stable = (JOB_CONTRACTS[m] for m in NEW)
    assert job_usage(eleven, 120000) == {"credits_used": 120000, "usd_spent": 0.06}
    assert job_usage(lyria, 120000) == {"credits_used": 120000} and job_usage(stable, 1) == {"credits_used": 1}
    assert job_audio_file(_State(), eleven, "http://x/a.mp3", "mp3", 10) == {"url": "http://x/a.mp3"}
    wav = job_audio_file(_State(), stable, "http://x/b.wav", "wav", 10)
    assert wav == {
        "url": "http://x/b.wav",
        "content_type": "application/octet-stream",
        "file_name": "b.wav",
        "file_size": 10,
    }
    assert job_audio_file(_State(), lyria, "http://x/c.wav", "wav", 3)["content_type"] == "audio/wav"
    assert {c.answer.format for c in (lyria, stable)} == {"wav"} and eleven.answer.format == "mp3"
    assert (lyria.answer.id_suffix, eleven.answer.id_suffix) == ("lyria2", ELEVEN)
    assert all(CREDITS[m] > 0 for m in NEW)


def test_the_emulator_renders_the_length_and_seed_a_body_asks_for():
    eleven, lyria, stable = (JOB_CONTRACTS[m] for m in NEW)
    assert render_options(eleven, {"music_length_ms": 20000}) == {"length_s": 20.0}
    assert render_options(eleven, {}) == {"length_s": 10.0}  # the schema's default
    assert render_options(stable, {"seconds_total": 12, "steps": 5}) == {"length_s": 12}
    assert render_options(stable, {}) == {"length_s": 30}
    assert render_options(lyria, {"seed": 4}) == {"seed": 4} and render_options(lyria, {}) == {}


# --- the bytes tell the format -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "head, claimed, found",
    [
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "mp3", "wav"),  # stable-audio: a WAV labelled anything at all
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", None, "wav"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00", "wav", "mp3"),
        (b"\xff\xfb\x90\x00" + b"\x00" * 8, None, "mp3"),  # an MPEG frame without tags
        (b"\xff\xfb\x90\x00" + b"\x00" * 8, "pcm", "pcm"),  # raw samples can look like a frame sync
        (b"fLaC\x00\x00\x00\x22", None, "flac"),
        (b"OggS\x00\x02", None, "ogg"),
        (b"\x00\x00\x00\x20ftypM4A ", None, "m4a"),
        (b"<html>not audio</html>", "mp3", "mp3"),  # nothing recognised: what was claimed (the decode check follows)
        (b"", None, None),
    ],
)
def test_the_bytes_tell_the_format(head, claimed, found):
    assert audio_format(head, claimed) == found


# --- the offline engine answers each id -----------------------------------------------------------------


@pytest.fixture(scope="module")
def offline(tmp_path_factory):
    return OfflineBackend(home=tmp_path_factory.mktemp("offline-new-models"))


@pytest.mark.parametrize(
    "model, options, length_s, fmt",
    [
        (ELEVEN, {}, 10.0, "mp3"),  # the provider's default length
        (ELEVEN, {"duration_s": 12.5}, 12.5, "mp3"),
        (STABLE, {"duration_s": 7, "steps": 20, "start_s": 2}, 7.0, "wav"),
        (STABLE, {}, 30.0, "wav"),
        (LYRIA, {"negative_prompt": "drums"}, None, "wav"),  # no length option: the engine's own
    ],
)
def test_the_offline_engine_answers_each_id_with_the_length_asked_for(offline, model, options, length_s, fmt):
    r = offline.make(MusicRequest(model=model, prompt=PROMPT, options=options, seed=11))
    assert r.model == model and r.backend == "offline" and r.format == fmt and audio_format(r.audio) == fmt
    assert r.duration_s == length_s if length_s is not None else 20 <= r.duration_s <= 58
    assert r.lyrics == "" and r.prompt == PROMPT and r.seed == 11  # instrumental, from the prompt


@pytest.mark.parametrize("model", NEW)
def test_the_offline_engine_is_deterministic_with_a_seed(offline, model):
    options = {"duration_s": 10 if model == ELEVEN else 8} if get_model(model).option("duration_s") else {}
    make = lambda seed: offline.make(MusicRequest(model=model, prompt="calm piano", options=options, seed=seed))  # noqa: E731
    a, b, c = make(5), make(5), make(6)
    assert a.audio == b.audio and a.audio != c.audio


def test_lyrias_seed_option_makes_the_same_audio_as_the_requests_seed(offline):
    by_option = offline.make(MusicRequest(model=LYRIA, prompt="calm piano", options={"seed": 21}))
    by_request = offline.make(MusicRequest(model=LYRIA, prompt="calm piano", seed=21))
    assert by_option.seed == by_request.seed == 21 and by_option.audio == by_request.audio


# --- the CLI: --option and `music01 models` are generic ---------------------------------------------------


def test_option_args_are_parsed_by_name():
    assert parse_option_args(["duration_s=20", "negative_prompt=no drums, no = signs"]) == {
        "duration_s": "20",
        "negative_prompt": "no drums, no = signs",
    }
    assert parse_option_args(None) == {} and parse_option_args(["seed="]) == {"seed": ""}
    for bad, said in ((["duration_s"], "NAME=VALUE"), (["=3"], "NAME=VALUE"), (["seed=1", "seed=2"], "twice")):
        with pytest.raises(E.SettingError, match=said):
            parse_option_args(bad)


def test_models_lists_each_models_options(monkeypatch, tmp_path, capsys):
    from music01_core.cli import main

    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path))
    monkeypatch.setenv("AIML_API_BASE", "http://127.0.0.1:9")  # the list is not read: nothing answers there
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "options (--option NAME=VALUE):" in out
    for mid in NEW:
        for line in option_lines(mid):
            assert f"      {line}" in out
    assert "duration_s  length, 10–300 s (default 10 s) · sent as music_length_ms (×1000)" in out
    assert "seed             seed, 0–4294967295 · sent as seed · also --seed" in out


def test_generate_refuses_a_bad_option_before_anything(monkeypatch, tmp_path, capsys):
    from music01_core.cli import main

    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path))
    monkeypatch.delenv("AIML_API_KEY", raising=False)
    args = ["generate", "--model", STABLE, "--prompt", "lofi", "-o", str(tmp_path / "a.wav")]
    assert main([*args, "--option", "duration_s=48"]) == 2
    assert "must be from 1 to 47 s for stable-audio" in capsys.readouterr().err
    assert main([*args, "--option", "seed=3"]) == 2
    assert "takes no option 'seed'" in capsys.readouterr().err
    assert main([*args, "--option", "steps"]) == 2
    assert "NAME=VALUE" in capsys.readouterr().err
    assert not (tmp_path / "a.wav").exists()


def test_the_offline_engine_caps_a_long_length_and_says_so(tmp_path, monkeypatch):
    import music01_core.providers.offline as offline_provider
    from music01_core.backends import OfflineBackend
    from music01_core.types import MusicRequest

    monkeypatch.setattr(offline_provider, "OFFLINE_MAX_S", 12.0)  # the real cap is 120 s: slow to render in a test
    piece = OfflineBackend(home=tmp_path).make(
        MusicRequest(model="elevenlabs/eleven_music", prompt="calm piano", options={"duration_s": 20}, seed=3)
    )
    assert abs(piece.duration_s - 12.0) < 0.05
    assert any("at most 12 s" in w and "not the 20 s asked" in w for w in piece.warnings), piece.warnings
    short = OfflineBackend(home=tmp_path).make(
        MusicRequest(model="elevenlabs/eleven_music", prompt="calm piano", options={"duration_s": 11}, seed=3)
    )
    assert abs(short.duration_s - 11.0) < 0.05 and not any("at most" in w for w in short.warnings)
