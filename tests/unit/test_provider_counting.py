"""Issue 22, items 2–4: limits counted as the provider counts, music-2.6's switches, and the contract.

The AI/ML API's gateway is JavaScript: its length limits count UTF-16 code units, so an emoji
(outside the Basic Multilingual Plane) counts two.  Every payload music01 can build must pass
the provider's contract as the emulator holds it (:mod:`music01_core.emulator.contract`), and
its bounds as the gateway counts them.
"""

import pytest

from music01_core import errors as E
from music01_core.emulator.contract import JOB_CONTRACTS, StringField
from music01_core.emulator.jobs import validate_job
from music01_core.lyrics import check_lyrics, clean_prompt, prepare_lyrics, prepare_text_fields, provider_length
from music01_core.models import get_model, live_models
from music01_core.providers.aimlapi import job_payload
from music01_core.settings import AUDIO_FORMATS, BITRATES, SAMPLE_RATES, AudioSetting

NOTE = "as the provider counts"
EMOJI = "🎵"  # U+1F3B5: one character, two UTF-16 code units


def emoji_text(units: int) -> str:
    """A text of exactly ``units`` UTF-16 code units, mostly emoji (with a space when ``units`` is odd)."""
    text = EMOJI * (units // 2) + (" " * (units % 2))
    return text[::-1] if units % 2 else text  # the space first: nothing to strip at the end


# --- item 1: the count ------------------------------------------------------------------------------


def test_provider_length_counts_utf16_code_units():
    assert provider_length("") == 0
    assert provider_length("la la") == 5
    assert provider_length("é ñ ü ß") == 7  # BMP letters: one each
    assert provider_length("שלום مرحبا 中文") == len("שלום مرحبا 中文")
    assert provider_length(EMOJI) == 2 and len(EMOJI) == 1
    assert provider_length("𝄞") == 2  # musical symbol G clef: outside the BMP too
    assert provider_length("🇫🇷") == 4  # two regional indicators


@pytest.mark.parametrize("model", ["minimax-music", "music-01"])
def test_emoji_lyrics_at_600_units_pass_and_601_fail_with_the_providers_count(model):
    at = "la " + EMOJI * 298 + "a"  # 3 + 596 + 1 = 600 units, 302 characters
    assert provider_length(at) == 600 and len(at) == 302
    r = check_lyrics(at, model=model)
    assert r.ok, r.errors
    assert r.chars == 600 and r.visible_chars == 302 and r.excess == 0
    over = at + "b"
    r = check_lyrics(over, model=model)
    assert not r.ok and r.chars == 601 and r.excess == 1
    assert NOTE in r.errors[0] and "emoji and some symbols count as two" in r.errors[0]
    assert "601" in r.errors[0] and "at most 600" in r.errors[0] and "remove 1" in r.errors[0]
    assert "303 characters" in r.errors[0]  # what the person sees is said too
    with pytest.raises(E.LyricsTooLongError, match=NOTE):
        prepare_lyrics(over, model=model)


def test_lyrics_of_559_characters_counting_639_are_refused():
    text = "a" * 479 + EMOJI * 80  # the example: 559 code points, 639 units
    assert len(text) == 559 and provider_length(text) == 639
    r = check_lyrics(text, model="minimax-music")
    assert r.chars == 639 and r.excess == 39
    assert r.errors == (
        "the lyrics are 639 (as the provider counts: emoji and some symbols count as two; you see 559 characters); "
        "minimax-music takes at most 600 — remove 39.",
    )


def test_bmp_text_counts_and_reads_as_before():
    r = check_lyrics("la " * 201, model="minimax-music")  # 603 characters, all in the BMP
    assert r.chars == r.visible_chars == 603
    assert r.errors == ("the lyrics are 603 characters; minimax-music takes at most 600 — remove 3 characters.",)
    r = check_lyrics("שלום " * 120, model="minimax-music")  # Hebrew: 600 characters, 600 units
    assert r.ok and r.chars == 600
    r = check_lyrics("short", model="minimax/music-cover")
    assert r.errors == ("the lyrics are 5 characters; minimax/music-cover needs at least 10 — write a little more.",)


def test_tag_lyrics_limit_counts_units():
    at = "[Verse]\n" + emoji_text(2992)
    assert provider_length(at) == 3000
    assert check_lyrics(at, model="minimax/music-2.0").ok
    r = check_lyrics(at + EMOJI, model="minimax/music-2.0")
    assert r.chars == 3002 and NOTE in r.errors[0] and "remove 2." in r.errors[0]


def test_emoji_lyrics_under_the_minimum_say_how_they_are_counted():
    r = check_lyrics(EMOJI * 3, model="minimax/music-2.0")  # 3 characters, 6 units, minimum 10
    assert r.errors == (
        "the lyrics are 6 (as the provider counts: emoji and some symbols count as two; you see 3 characters); "
        "minimax/music-2.0 needs at least 10 — write a little more.",
    )
    assert check_lyrics(EMOJI * 5, model="minimax/music-2.0").ok  # 5 characters, 10 units


def test_style_prompt_limit_counts_units():
    lyrics = "[Verse]\nhello there moon"
    at = "warm pop " + emoji_text(1991)
    assert provider_length(at) == 2000
    assert prepare_text_fields("minimax/music-2.6", lyrics=lyrics, prompt=at).prompt == at
    with pytest.raises(E.PromptError) as exc:
        prepare_text_fields("minimax/music-2.6", lyrics=lyrics, prompt=at + EMOJI)
    seen = len(at) + 1
    assert str(exc.value) == (
        f"the style prompt is 2002 (as the provider counts: emoji and some symbols count as two; you see {seen} "
        "characters); minimax/music-2.6 takes at most 2000 — remove 2."
    )
    with pytest.raises(
        E.PromptError, match="the style prompt is 2001 characters; minimax/music-2.6 takes at most 2000"
    ):
        prepare_text_fields("minimax/music-2.6", lyrics=lyrics, prompt="x" * 2001)  # BMP: as before
    assert prepare_text_fields("minimax/music-1.5", lyrics=lyrics, prompt="lofi " + EMOJI * 3).prompt  # 11 units
    with pytest.raises(E.PromptError, match=NOTE):
        prepare_text_fields("minimax/music-1.5", lyrics=lyrics, prompt="x" * 290 + EMOJI * 6)  # 302 units


def test_the_apps_counters_show_the_providers_count():
    from music01_ui.lyrics import lyrics_view, prompt_view

    text = "la " + EMOJI * 299  # 302 characters, 601 units
    counter, _ = lyrics_view(text, "minimax-music")
    assert counter.startswith("**601 / 600** — 1 over") and NOTE in counter and "you see 302" in counter
    counter, _ = lyrics_view("la " * 10, "minimax-music")
    assert counter.startswith("**30 / 600**") and NOTE not in counter  # BMP: unchanged
    view = prompt_view("  lofi " + EMOJI * 3 + "  ", "minimax/music-1.5")
    assert view.startswith("✅ 11 / 300 characters") and NOTE in view
    assert prompt_view("x" * 301, "minimax/music-1.5").startswith("❌ 301 / 300 characters (at least 10)")
    assert NOTE not in prompt_view("warm lofi beats", "minimax/music-1.5")


# --- item 2: music-2.6 needs lyrics, or one of its switches -----------------------------------------


def test_music_26_prompt_only_without_a_switch_is_refused_naming_both():
    with pytest.raises(E.LyricsError) as exc:
        prepare_text_fields("minimax/music-2.6", prompt="upbeat synth pop, female vocal")
    msg = str(exc.value)
    assert msg == (
        'minimax/music-2.6 needs lyrics unless a switch is on: write the lyrics, or turn on "instrumental" '
        '(is_instrumental: a piece with no vocals, made from the style prompt alone) or "lyrics optimizer" '
        "(lyrics_optimizer: the model writes the lyrics from the style prompt)."
    )
    with pytest.raises(E.LyricsError, match="is_instrumental.*lyrics_optimizer"):
        prepare_text_fields("minimax/music-2.6", prompt="upbeat synth pop", lyrics="  \n ")
    with pytest.raises(E.LyricsError, match="needs lyrics unless a switch is on"):
        prepare_text_fields("minimax/music-2.6")


@pytest.mark.parametrize("switch", ["is_instrumental", "lyrics_optimizer"])
def test_music_26_prompt_only_with_either_switch_is_accepted(switch):
    f = prepare_text_fields("minimax/music-2.6", prompt="upbeat synth pop", **{switch: True})
    assert f.lyrics is None and f.prompt == "upbeat synth pop"
    body = job_payload("minimax/music-2.6", lyrics=f.lyrics, prompt=f.prompt, **{switch: True})
    assert body == {"model": "minimax/music-2.6", "prompt": "upbeat synth pop", switch: True}
    assert validate_job(body)[1] == []


def test_the_apps_lyrics_counter_says_when_music_26_needs_its_lyrics():
    from music01_ui.lyrics import lyrics_view

    counter, _ = lyrics_view("[Verse]\nhello moon hello sky", "minimax/music-2.6")
    assert 'needed unless "instrumental" or "lyrics optimizer" is on' in counter
    assert "optional" in lyrics_view("[Verse]\nhello moon hello sky", "minimax/music-cover")[0]


def test_music_26_with_lyrics_needs_no_switch():
    f = prepare_text_fields("minimax/music-2.6", lyrics="[Verse]\nhello there moon")
    assert f.lyrics == "[Verse]\nhello there moon" and f.prompt is None


def test_the_rule_comes_from_the_table():
    assert get_model("minimax/music-2.6").lyrics.required_unless == ("is_instrumental", "lyrics_optimizer")
    for m in live_models():
        if m.lyrics is not None and m.lyrics.required_unless:
            assert set(m.lyrics.required_unless) <= set(m.flags), m.id


# --- item 3: minimum lengths ------------------------------------------------------------------------


def test_music_26_minimums_follow_its_reference_prose():
    m = get_model("minimax/music-2.6")
    assert (m.lyrics.min_chars, m.lyrics.max_chars) == (10, 3000)  # "Length: 10–3000 characters"
    assert (m.prompt.min_chars, m.prompt.max_chars) == (10, 2000)  # "Length: 10–2000 characters"
    with pytest.raises(E.LyricsError, match="the lyrics are 9 characters; minimax/music-2.6 needs at least 10"):
        prepare_text_fields("minimax/music-2.6", lyrics="la la la ")
    assert prepare_text_fields("minimax/music-2.6", lyrics="la la la a").lyrics == "la la la a"
    with pytest.raises(E.PromptError, match="the style prompt is 9 characters; minimax/music-2.6 needs at least 10"):
        prepare_text_fields("minimax/music-2.6", lyrics="[Verse]\nla la la", prompt="lofi jazz")
    with pytest.raises(E.PromptError, match="needs at least 10"):
        prepare_text_fields("minimax/music-2.6", prompt="lofi jazz", is_instrumental=True)
    assert prepare_text_fields("minimax/music-2.6", prompt="lofi jazz!", is_instrumental=True).prompt


def _contract_bounds(spec: StringField) -> tuple[int, int | None]:
    """The stricter of the schema's and the prose's bounds of one contract field."""
    lows = [b for b in (spec.min_length, spec.prose_min_length) if b is not None]
    highs = [b for b in (spec.max_length, spec.prose_max_length) if b is not None]
    return max(lows, default=0), min(highs, default=None)


@pytest.mark.parametrize("model_id", [m.id for m in live_models() if m.provider == "aimlapi"])
def test_table_bounds_are_within_every_bound_the_reference_states(model_id):
    m, contract = get_model(model_id), JOB_CONTRACTS[model_id]
    for role, spec in (("lyrics", m.lyrics), ("prompt", m.prompt)):
        field = contract.string(role)
        assert (spec is None) == (field is None), (model_id, role)
        if spec is None:
            continue
        lo, hi = _contract_bounds(field)
        # No bound at all in the reference (stable-audio's prompt): the table's own, said in its limit_note.
        within = spec.max_chars <= hi if hi is not None else bool(spec.limit_note)
        assert spec.api_field == field.name and spec.min_chars >= max(lo, 1) and within, (role, field)


# --- item 4: every payload music01 can build passes the provider's contract --------------------------


class _Ref:
    def __init__(self, value: str):
        self.value = value


def _texts(spec) -> list[str | None]:
    """Boundary texts for one field: the minimum, the maximum, emoji at the maximum, and (optional) none."""
    if spec is None:
        return [None]
    lo, hi = spec.min_chars, spec.max_chars
    tag = "[Verse]\n" if spec.style == "tags" else ""
    texts = ["a" * lo, "a" * hi, tag + emoji_text(hi - len(tag)), "é" * max(lo, hi // 2) + EMOJI]
    return texts + ([None] if not spec.required else [])


def _settings(m) -> list[AudioSetting | None]:
    settings: list[AudioSetting | None] = [None]
    settings += [AudioSetting(sample_rate=r) for r in SAMPLE_RATES]
    settings += [AudioSetting(bitrate=b) for b in BITRATES]
    return settings + [AudioSetting(format=f) for f in AUDIO_FORMATS]


def _switches(m) -> list[dict]:
    flags = [{}] + [{f: True} for f in m.flags]
    return flags + ([dict.fromkeys(m.flags, True)] if len(m.flags) > 1 else [])


def _references(m) -> list:
    refs = {"url": "https://example.com/song.mp3", "base64": "data:audio/mpeg;base64,SUQzBAAAAAAAI1RTU0U="}
    return [_Ref(refs[w]) for w in m.reference.ways if w in refs] or [None]


def _payloads(m):
    """Every body music01 builds for ``m`` over the boundary values; texts the checks refuse are skipped."""
    import itertools

    bodies = []
    for lyrics, prompt, switches in itertools.product(_texts(m.lyrics), _texts(m.prompt), _switches(m)):
        try:
            f = prepare_text_fields(m, lyrics=lyrics, prompt=prompt, **switches)
        except E.InputError:
            continue
        for setting in _settings(m) if (lyrics, prompt) == (_texts(m.lyrics)[0], _texts(m.prompt)[0]) else [None]:
            for ref in _references(m):
                bodies.append(
                    job_payload(m, lyrics=f.lyrics, prompt=f.prompt, reference=ref, audio_setting=setting, **switches)
                )
    return bodies


def _gateway_length_problems(contract, body: dict) -> list[str]:
    """The contract's bounds (schema and prose, the stricter) counted as the JavaScript gateway counts."""
    problems = []
    for spec in contract.strings:
        if isinstance(body.get(spec.name), str):
            lo, hi = _contract_bounds(spec)
            n = provider_length(body[spec.name])
            if n < lo or (hi is not None and n > hi):
                problems.append(f"{spec.name}: {n} UTF-16 units, outside {lo}–{hi}")
    return problems


@pytest.mark.parametrize("model_id", [m.id for m in live_models() if m.provider == "aimlapi"])
def test_every_payload_music01_builds_passes_the_providers_contract(model_id):
    m = get_model(model_id)
    bodies = _payloads(m)
    assert len(bodies) >= 10, model_id
    units = [provider_length(b.get(m.lyrics.api_field, "")) for b in bodies] if m.lyrics else [0]
    assert m.lyrics is None or max(units) == m.lyrics.max_chars  # the boundary was reached
    for body in bodies:
        contract, problems = validate_job(body)
        assert contract is not None and contract.id == m.id
        assert problems == [], (body.get("model"), problems)
        assert _gateway_length_problems(contract, body) == [], body.get("model")
        if m.lyrics is not None and m.lyrics.required_unless and not any(f in body for f in m.lyrics.required_unless):
            assert m.lyrics.api_field in body  # music-2.6 without a switch always carries lyrics


def test_a_text_the_table_refuses_is_never_built():
    for m in live_models():
        for spec in (m.lyrics, m.prompt):
            if spec is None:
                continue
            over = "a" * (spec.max_chars - 1) + EMOJI  # max + 1 units, max characters
            kwargs = {"lyrics": over} if spec is m.lyrics else {"prompt": over}
            if spec is m.prompt and m.lyrics is not None:
                kwargs["lyrics"] = "[Verse]\nla la la la"
            if m.prompt is not None and spec is m.lyrics:
                kwargs["prompt"] = "warm lofi beats"
            with pytest.raises(E.InputError, match=NOTE):
                prepare_text_fields(m, **kwargs)


def test_clean_prompt_is_what_is_sent():
    assert clean_prompt("  warm lo-fi,\u200b rain  ") == "warm lo-fi, rain"
    f = prepare_text_fields("minimax/music-2.0", lyrics="[Verse]\nla la la la", prompt="  warm lo-fi,\u200b rain  ")
    assert f.prompt == clean_prompt("  warm lo-fi,\u200b rain  ")


def test_a_one_character_prompt_is_counted_in_the_singular():
    from music01_core.lyrics import prepare_text_fields

    with pytest.raises(E.PromptError, match=r"the style prompt is 1 character; minimax/music-2\.0 needs at least 10"):
        prepare_text_fields("minimax/music-2.0", prompt="x", lyrics="[Verse]\nhello moon")
