"""Issue 22: the provider's contract as JSON Schema, and the two validators agreeing.

- every live model's :func:`~music01_core.emulator.contract.json_schema` is a valid draft
  2020-12 schema;
- every payload music01 builds (boundary texts, emoji at the maximum, each ``audio_setting``
  value, each switch) passes both the emulator's validation (:mod:`.validation`) and the
  JSON Schema validator (:func:`~music01_core.emulator.contract.validator`);
- bodies just past a limit, music-2.6 without lyrics or a switch, an unknown field, a wrong
  enum: refused by both;
- the emulator over HTTP refuses music-2.6's prompt-only body without a switch and accepts it
  with ``is_instrumental: true``.
"""

from __future__ import annotations

import jsonschema
import pytest
import requests

from music01_core.emulator import EmulatorServer
from music01_core.emulator.contract import (
    JOB_CONTRACTS,
    MUSIC01,
    ModelContract,
    json_schema,
    validator,
    validator_class,
)
from music01_core.emulator.jobs import validate_job
from music01_core.emulator.validation import body_problems, js_length
from music01_core.models import get_model, live_models
from music01_core.settings import JOB_PATH
from tests.audiogen import KEY
from tests.unit.test_provider_counting import _payloads

pytestmark = pytest.mark.server
EMOJI = "🎵"  # U+1F3B5: one character, two UTF-16 code units
LIVE = [m.id for m in live_models() if m.provider == "aimlapi"]
ALL = [*JOB_CONTRACTS, MUSIC01.id]
M26 = "minimax/music-2.6"


def contract(model_id: str) -> ModelContract:
    return MUSIC01 if model_id == MUSIC01.id else JOB_CONTRACTS[model_id]


def problems(model_id: str, body: dict) -> list[str]:
    """The emulator's messages for ``body`` (music-01 goes through its contract directly)."""
    if model_id == MUSIC01.id:
        return body_problems(MUSIC01, body)
    c, found = validate_job(body)
    assert c is not None and c.id == model_id
    return found


def schema_errors(model_id: str, body: dict) -> list[str]:
    return [e.message for e in validator(model_id).iter_errors(body)]


def base_body(c: ModelContract) -> dict:
    """A body both accept: every required (or required-unless) field, at 12 units or the minimum."""
    body: dict = {"model": c.id}
    for s in c.strings:
        if s.required or s.required_unless:
            body[s.name] = "a" * max(s.min_units or 0, 12)
    if c.reference is not None:
        body[c.reference.name] = "https://example.com/song.mp3"
    if c.audio_setting is not None:
        body["audio_setting"] = {c.audio_setting.sample_rate_field: 44100, "bitrate": 256000, "format": "mp3"}
    return body


# --- the schema itself ----------------------------------------------------------------------------


def test_the_live_models_are_the_contracts_job_models():
    assert set(LIVE) == set(JOB_CONTRACTS)


@pytest.mark.parametrize("model_id", ALL)
def test_each_schema_is_a_valid_draft_2020_12_schema(model_id):
    schema = json_schema(model_id)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert schema["$comment"].startswith(contract(model_id).source)
    assert type(validator(model_id)) is validator_class()
    keywords = validator_class().VALIDATORS
    assert {"minUnits", "maxUnits", "if", "additionalProperties"} <= set(keywords)


def test_music_26_schema_has_the_prose_bounds_and_the_required_unless_rule():
    schema = json_schema(M26)
    props = schema["properties"]
    assert (props["prompt"]["minUnits"], props["prompt"]["maxUnits"]) == (10, 2000)
    assert (props["lyrics"]["minUnits"], props["lyrics"]["maxUnits"]) == (10, 3000)
    assert "stricter than the schema" in props["lyrics"]["$comment"]
    assert schema["required"] == ["model"]
    (rule,) = schema["allOf"]
    assert rule["then"] == {"required": ["lyrics"]}
    assert {a["required"][0] for a in rule["if"]["not"]["anyOf"]} == {"is_instrumental", "lyrics_optimizer"}
    assert props["audio_setting"]["additionalProperties"] is False
    assert "minLength" not in str(schema) and "maxLength" not in str(schema)


def test_minimax_music_schema_has_the_prose_maximum_and_uri():
    props = json_schema("minimax-music")["properties"]
    assert props["prompt"] == {
        "type": "string",
        "maxUnits": 600,
        "$comment": props["prompt"]["$comment"],
    }
    assert props["reference_audio_url"] == {"type": "string", "format": "uri"}


def test_units_are_utf16_code_units_not_code_points():
    """Why minUnits / maxUnits: JSON Schema's maxLength counts an emoji once, the gateway twice."""
    c = JOB_CONTRACTS["minimax/music-1.5"]
    over = "a" * 298 + EMOJI  # 299 code points, 300 units: at the maximum
    assert js_length(over + "a") == 301
    body = {**base_body(c), "prompt": over + "a"}
    plain = {**json_schema(c.id), "properties": {"prompt": {"type": "string", "maxLength": 300}}}
    plain.pop("additionalProperties")
    assert jsonschema.Draft202012Validator(plain).is_valid(body)  # code points: 300, passes
    assert not validator(c.id).is_valid(body) and problems(c.id, body)  # units: 301, refused by both
    assert validator(c.id).is_valid({**base_body(c), "prompt": over}) and not problems(c.id, {**body, "prompt": over})


# --- every payload music01 builds passes both ------------------------------------------------------


@pytest.mark.parametrize("model_id", LIVE)
def test_every_payload_music01_builds_passes_both(model_id):
    m = get_model(model_id)
    bodies = _payloads(m)
    assert len(bodies) >= 10
    v = validator(model_id)
    for body in bodies:
        assert problems(model_id, body) == [], body
        assert [e.message for e in v.iter_errors(body)] == [], body
    if m.lyrics is not None:  # the boundary (with emoji at the maximum) was reached
        assert max(js_length(b.get(m.lyrics.api_field, "")) for b in bodies) == m.lyrics.max_chars
    if m.audio_setting is not None:
        sent = {item for b in bodies for item in b.get("audio_setting", {}).items()}
        for name, values in JOB_CONTRACTS[model_id].audio_setting.enums():  # each rate, bitrate and format
            assert {(name, v) for v in values} <= sent, name
    for flag in m.flags:
        assert any(b.get(flag) is True and m.lyrics.api_field not in b for b in bodies), flag


@pytest.mark.parametrize("model_id", ALL)
def test_bodies_at_each_bound_pass_both(model_id):
    c = contract(model_id)
    for s in c.strings:
        at = [n for n in (s.min_units, s.max_units) if n is not None]
        texts = ["a" * n for n in at] + ["a" * (n % 2) + EMOJI * (n // 2) for n in at if n >= 2]
        for text in texts:
            body = {**base_body(c), s.name: text}
            assert problems(model_id, body) == [] and schema_errors(model_id, body) == [], (s.name, js_length(text))


# --- what one refuses, the other refuses -----------------------------------------------------------


def refused_cases():
    """(model, body, why): each must be refused by both validators."""
    for c in (*JOB_CONTRACTS.values(), MUSIC01):
        base = base_body(c)
        for s in c.strings:
            if s.min_units:
                yield pytest.param(c.id, {**base, s.name: "a" * (s.min_units - 1)}, id=f"{c.id}-{s.name}-min-1")
            if s.max_units is not None:
                yield pytest.param(c.id, {**base, s.name: "a" * (s.max_units + 1)}, id=f"{c.id}-{s.name}-max+1")
                emoji = {**base, s.name: "a" * (s.max_units - 1) + EMOJI}  # max code points, max + 1 units
                yield pytest.param(c.id, emoji, id=f"{c.id}-{s.name}-emoji-max+1")
            yield pytest.param(c.id, {**base, s.name: None}, id=f"{c.id}-{s.name}-null")
        for name in [s.name for s in c.strings if s.required]:
            yield pytest.param(c.id, {k: v for k, v in base.items() if k != name}, id=f"{c.id}-no-{name}")
        yield pytest.param(c.id, {**base, "sample_rate_hz": 44100}, id=f"{c.id}-unknown-field")
        if c.reference is not None:
            yield pytest.param(c.id, {**base, c.reference.name: "song.mp3"}, id=f"{c.id}-not-a-uri")
        if c.audio_setting is not None:
            rate = c.audio_setting.sample_rate_field
            for k, bad in ((rate, 48000), ("bitrate", True), ("format", "flac")):
                setting = {**base["audio_setting"], k: bad}
                yield pytest.param(c.id, {**base, "audio_setting": setting}, id=f"{c.id}-enum-{k}")
            setting = {**base["audio_setting"], "channels": 2}
            yield pytest.param(c.id, {**base, "audio_setting": setting}, id=f"{c.id}-audio-setting-unknown")
        else:
            yield pytest.param(c.id, {**base, "audio_setting": {"format": "mp3"}}, id=f"{c.id}-audio-setting")
    prompt = {"model": M26, "prompt": "upbeat synth pop, female vocal"}
    yield pytest.param(M26, prompt, id="music-2.6-prompt-only")
    yield pytest.param(M26, {**prompt, "is_instrumental": False, "lyrics_optimizer": False}, id="music-2.6-off")
    yield pytest.param(M26, {**prompt, "is_instrumental": "yes"}, id="music-2.6-switch-not-boolean")
    yield pytest.param(M26, {**prompt, "is_instrumental": True, "lyrics": "la la"}, id="music-2.6-short-lyrics")


@pytest.mark.parametrize("model_id, body", list(refused_cases()))
def test_both_refuse(model_id, body):
    assert problems(model_id, body), body
    assert schema_errors(model_id, body), body


@pytest.mark.parametrize("switch", ["is_instrumental", "lyrics_optimizer"])
def test_music_26_prompt_only_with_a_switch_passes_both(switch):
    body = {"model": M26, "prompt": "upbeat synth pop, female vocal", switch: True}
    assert problems(M26, body) == [] and schema_errors(M26, body) == []
    both = {**body, "is_instrumental": True, "lyrics_optimizer": True}
    assert problems(M26, both) == [] and schema_errors(M26, both) == []


def test_music_26_without_lyrics_or_a_switch_gets_the_gateways_message():
    body = {"model": M26, "prompt": "upbeat synth pop, female vocal"}
    assert problems(M26, body) == ["lyrics should not be empty unless is_instrumental or lyrics_optimizer is true"]
    assert schema_errors(M26, body) == ["'lyrics' is a required property"]


# --- the emulator over HTTP ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-schema")) as server:
        yield server


def test_the_emulator_refuses_music_26_prompt_only_without_a_switch(emu):
    emu.reset()
    headers = {"Authorization": f"Bearer {KEY}"}
    body = {"model": M26, "prompt": "upbeat synth pop, female vocal"}
    r = requests.post(emu.url + JOB_PATH, json=body, headers=headers, timeout=30)
    assert r.status_code == 400, r.text
    assert r.json()["message"] == ["lyrics should not be empty unless is_instrumental or lyrics_optimizer is true"]
    r = requests.post(emu.url + JOB_PATH, json={**body, "is_instrumental": True}, headers=headers, timeout=30)
    assert r.status_code < 300, r.text
    assert r.json().get("id") or r.json().get("generation_id"), r.text
