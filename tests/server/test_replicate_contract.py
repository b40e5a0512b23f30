"""Our Replicate rows held against the emulator's copy of Replicate's model pages (never the reverse:
the emulator does not read the table)."""

from __future__ import annotations

import pytest

from music01_core.emulator.replicate_contract import REPLICATE_MODELS, input_problems
from music01_core.models import MODELS
from music01_core.providers.replicate import prediction_input
from music01_core.references import Reference
from music01_core.settings import BITRATES, SAMPLE_RATES, AudioSetting
from music01_core.types import Job

pytestmark = pytest.mark.server
ROWS = [m for m in MODELS.values() if m.provider == "replicate"]


def test_every_replicate_row_is_a_model_the_contract_knows():
    assert {m.remote_id for m in ROWS} == set(REPLICATE_MODELS)
    music01 = MODELS["replicate/minimax/music-01"]
    assert music01.version == REPLICATE_MODELS["minimax/music-01"].version


@pytest.mark.parametrize("m", ROWS, ids=lambda m: m.id)
def test_text_bounds_and_fields_are_within_the_pages(m):
    contract = REPLICATE_MODELS[m.remote_id]
    for spec in (m.lyrics, m.prompt):
        if spec is None:
            continue
        field = contract.spec(spec.api_field)
        assert field is not None and field.type == "string", spec.api_field
        assert field.max_length is None or spec.max_chars <= field.max_length
        assert spec.min_chars >= (field.min_length or 0)
    for _, name in m.reference.purpose_fields:
        assert contract.spec(name).type == "uri"
    audio = m.audio_setting
    assert contract.spec(audio.sample_rate_field).enum == SAMPLE_RATES
    assert contract.spec("bitrate").enum == BITRATES
    if audio.format_field is None:
        assert contract.spec("audio_format") is None and m.returns == ("mp3",)
    else:
        assert set(m.returns) <= set(contract.spec(audio.format_field).enum)
    for flag in m.flags:
        assert contract.spec(flag).type == "boolean"


@pytest.mark.parametrize("m", ROWS, ids=lambda m: m.id)
def test_every_input_music01_builds_passes_the_pages_checks(m):
    ref = None
    if m.takes_reference:
        ref = Reference(
            kind="url", value="https://example.org/a.mp3", sha256="0" * 64, bytes=1, duration_s=20, format="mp3"
        )
    for purpose in [p for p, _ in m.reference.purpose_fields] or ["song"]:
        for fmt in m.returns:
            job = Job(
                model=m,
                lyrics="[Verse]\nla la la la" if m.lyrics else None,
                prompt="calm piano ballad" if m.prompt else None,
                reference=ref,
                audio_setting=AudioSetting(24000, 128000, fmt),
                purpose=purpose,
                is_instrumental="is_instrumental" in m.flags,
            )
            assert input_problems(REPLICATE_MODELS[m.remote_id], prediction_input(job)) == []
