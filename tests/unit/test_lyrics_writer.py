"""Lyrics written for you (issue 24), in-process: formats and limits per model, the provider's count, cuts at
boundaries, the follow-ups, a chat answer treated as untrusted text, the offline writer, the chat call's record."""

from __future__ import annotations

import re
import unicodedata
from types import SimpleNamespace

import pytest

from music01_core import lyrics_templates as songs
from music01_core.catalogue import Catalogue, ListedModel
from music01_core.errors import ApiConnectionError, InputError, JobError, LyricsError, LyricsTooLongError
from music01_core.lyrics import check_lyrics, provider_length
from music01_core.lyrics_writer import (
    CHAT_MODEL_FACTS,
    DEFAULT_CHAT_MODELS,
    OFFLINE_WRITER,
    ChatLedger,
    LyricsRequest,
    call_was_sent,
    chat_draft,
    chat_facts,
    chat_payload,
    chat_price,
    chat_quote,
    choose_chat_model,
    clean_chat_text,
    follow_up_name,
    lyrics_target,
    offline_draft,
    sings_from_prompt,
)
from music01_core.models import MODELS
from music01_core.secret import Secret

THEME, MOOD = "a lighthouse keeper who misses the sea", "melancholy"
SINGERS = [m.id for m in MODELS.values() if m.lyrics is not None]
FIVE = {"[Intro]", "[Verse]", "[Chorus]", "[Bridge]", "[Outro]"}
INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u206f\ufeff\x00-\x08\x0b-\x1f\x7f]")


def _token_price(inp: float, out: float) -> dict:
    units = [
        {"name": "token", "measure": m, "price": p, "per": 1_000_000} for m, p in (("input", inp), ("output", out))
    ]
    return {"kind": "fixed", "currency": "USD", "units": units}


def listing(*ids: str) -> Catalogue:
    prices = {"gpt-4o-mini": (0.15, 0.6), "minimax/m2": (0.3, 1.2), "openai/gpt-4o": (2.5, 10.0)}
    models = [ListedModel(i, type="chat-completion", pricing=_token_price(*prices.get(i, (1.0, 2.0)))) for i in ids]
    models.append(ListedModel("minimax/music-2.6", type="audio"))
    return Catalogue(models=tuple(models), checked_at=1_700_000_000.0)


# --- format and limit, per model --------------------------------------------------------------------


@pytest.mark.parametrize("model_id", SINGERS)
def test_an_offline_draft_is_in_the_models_format_and_within_its_limit(model_id):
    m = MODELS[model_id]
    d = offline_draft(LyricsRequest(THEME, MOOD, model=model_id))
    assert d.writer == "offline" and d.chat_model is None and d.field == "lyrics" and d.style == m.lyrics.style
    assert d.report is not None and d.report.ok and d.report.text == d.text
    assert d.count_chars == provider_length(d.text) and m.lyrics.min_chars <= d.count_chars <= m.lyrics.max_chars
    assert (
        d.limit_chars == m.lyrics.max_chars and d.count_words() == f"{d.count_chars} / {m.lyrics.max_chars} characters"
    )
    if m.lyrics.style == "music01":
        assert d.text.startswith("##") and d.text.endswith("##") and d.report.accompaniment
        assert "[" not in d.text and "\n\n" in d.text  # lines and pauses, no tags
    else:
        assert "##" not in d.text and "\n\n" not in d.text
        assert set(re.findall(r"\[[^\]]+\]", d.text)) <= FIVE and {"[Verse]", "[Chorus]"} <= set(d.report.tags)


def test_the_wrap_can_be_left_off():
    d = offline_draft(LyricsRequest(THEME, MOOD, model="minimax-music", accompaniment=False))
    assert "##" not in d.text and not d.report.accompaniment and d.report.ok


@pytest.mark.parametrize("model_id", ["google/lyria2", "stable-audio"])
def test_a_model_that_does_not_sing_is_refused_plainly(model_id):
    assert not sings_from_prompt(model_id)
    with pytest.raises(LyricsError, match=rf"{re.escape(model_id)} takes no lyrics and does not sing"):
        offline_draft(LyricsRequest(THEME, MOOD, model=model_id))


def test_a_prompt_singer_takes_lyrics_in_its_prompt_only_when_asked():
    assert sings_from_prompt("elevenlabs/eleven_music")
    with pytest.raises(LyricsError, match="sings lyrics written inside its prompt.*--into-prompt"):
        offline_draft(LyricsRequest(THEME, MOOD, model="elevenlabs/eleven_music"))
    style = "sea shanty, accordion and a male choir"
    d = offline_draft(LyricsRequest(THEME, MOOD, model="elevenlabs/eleven_music", into_prompt=True, prompt=style))
    spec = MODELS["elevenlabs/eleven_music"].prompt
    assert d.field == "prompt" and d.report is None and d.text.startswith(style + "\n\nLyrics:\n[")
    assert d.count_chars == provider_length(d.text) <= spec.max_chars and d.limit_chars == spec.max_chars
    with pytest.raises(Exception, match="leave room for lyrics"):
        lyrics_target("elevenlabs/eleven_music", into_prompt=True, prompt="x " * 990)


# --- counting as the provider counts, cutting at boundaries ------------------------------------------------


def test_lengths_are_counted_in_utf16_units_as_the_provider_counts():
    d = offline_draft(LyricsRequest("🌊 the sea 🌊 and the 🐚 shells", "calm", model="minimax-music"))
    assert d.count_chars == provider_length(d.text) == check_lyrics(d.text, model="minimax-music").chars
    # A song whose characters fit the limit but whose UTF-16 units do not is cut.
    song = [songs.Section("Verse", ("🌊" * 30 + " sea",) * 6)]
    shown = songs.render(song, "music01")
    assert len(shown) <= 350 < songs.units(shown)
    cut, was_cut = songs.fit(song, "music01", 350)
    assert was_cut and songs.units(songs.render(cut, "music01")) <= 350


def test_an_overlong_chat_answer_is_cut_at_line_boundaries_and_says_so(tmp_path):
    lines = [f"Line number {i} of a very long song about the sea" for i in range(40)]
    answer = "##" + "\n".join(lines) + "##"
    d = _chat(tmp_path, answer, model="minimax-music")
    assert d.trimmed and d.count_chars <= 600 and d.report.ok
    assert any("cut at a section or line boundary" in w for w in d.warnings)
    assert all(ln in lines for ln in d.text.strip("#").split("\n") if ln)  # whole lines only


def test_one_line_too_long_loses_whole_words_never_half_a_word():
    words = [f"word{i}" for i in range(200)]
    song = [songs.Section("Verse", (" ".join(words),))]
    cut, was_cut = songs.fit(song, "tags", 300)
    line = cut[0].lines[0]
    assert was_cut and songs.units(songs.render(cut, "tags")) <= 300 and set(line.split()) <= set(words)
    assert line.split() == words[: len(line.split())]


def test_sections_go_first_from_the_end_and_a_kept_chorus_stays():
    chorus = songs.Section("Chorus", ("Hold on to the sea", "hold on to me"))
    song = [songs.Section("Verse", ("a b c",) * 4), chorus, songs.Section("Verse", ("d e f",) * 4), chorus]
    cut, _ = songs.fit(song, "tags", 80, keep=chorus)
    assert chorus in cut and songs.units(songs.render(cut, "tags")) <= 80


# --- follow-ups ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", ["minimax-music", "minimax/music-2.6"])
def test_shorter_another_verse_and_keep_my_chorus(model_id):
    first = offline_draft(LyricsRequest(THEME, MOOD, model=model_id))
    short = offline_draft(LyricsRequest(model=model_id, follow_up="shorter", draft=first.text))
    assert short.count_chars < first.count_chars and short.report.ok and short.follow_up == "shorter"
    base = first
    while base.limit_chars - base.count_chars < 200:  # music-01's 600: room for a verse once sections went
        base = offline_draft(LyricsRequest(model=model_id, follow_up="shorter", draft=base.text))
    more = offline_draft(LyricsRequest(THEME, MOOD, model=model_id, follow_up="another verse", draft=base.text))
    assert more.count_chars > base.count_chars and more.count_chars <= more.limit_chars
    assert _kinds(more.text).count("Verse") == _kinds(base.text).count("Verse") + 1
    kept = offline_draft(LyricsRequest(THEME, MOOD, model=model_id, follow_up="keep my chorus", draft=first.text))
    chorus = songs.find_chorus(songs.parse_sections(first.text)[0])
    assert "\n".join(chorus.lines) in kept.text and kept.text != first.text and kept.report.ok


def test_keep_my_chorus_keeps_a_persons_own_chorus_verbatim():
    mine = "[Verse]\nI walked the pier at dawn\n[Chorus]\nOh Marguerite, my Marguerite — come home!\n[Verse]\nnothing"
    d = offline_draft(LyricsRequest("the harbour", model="minimax/music-2.0", follow_up="keep my chorus", draft=mine))
    assert "[Chorus]\nOh Marguerite, my Marguerite — come home!" in d.text and "I walked the pier" not in d.text


def test_follow_ups_that_cannot_be_made_leave_the_draft_unchanged():
    with pytest.raises(InputError, match="no chorus"):
        offline_draft(LyricsRequest(model="minimax-music", follow_up="keep my chorus", draft="one\ntwo\n\nthree"))
    full = offline_draft(LyricsRequest(THEME, MOOD, model="minimax-music"))
    with pytest.raises(LyricsTooLongError, match='ask for "shorter" first. The draft is unchanged'):
        offline_draft(LyricsRequest(THEME, model="minimax-music", follow_up="another verse", draft=full.text))
    with pytest.raises(InputError, match="as short as they can be"):
        offline_draft(LyricsRequest(model="minimax-music", follow_up="shorter", draft="just one line"))
    with pytest.raises(InputError, match="write or load the lyrics first"):
        offline_draft(LyricsRequest(model="minimax-music", follow_up="shorter", draft=""))
    with pytest.raises(InputError, match="give a theme"):
        offline_draft(LyricsRequest("", model="minimax-music"))


@pytest.mark.parametrize(
    "typed, name", [("another_verse", "another verse"), ("Keep-Chorus", "keep my chorus"), ("shorter", "shorter")]
)
def test_follow_up_names(typed, name):
    assert follow_up_name(typed) == name
    with pytest.raises(InputError, match="one of"):
        follow_up_name("longer")


# --- the offline writer ---------------------------------------------------------------------------------


def test_the_offline_writer_is_deterministic_and_says_what_it_is():
    a = offline_draft(LyricsRequest(THEME, MOOD, model="minimax/music-2.6"))
    b = offline_draft(LyricsRequest(THEME, MOOD, model="minimax/music-2.6"))
    c = offline_draft(LyricsRequest(THEME, MOOD, model="minimax/music-2.6", seed=7))
    d = offline_draft(LyricsRequest(THEME, MOOD, model="minimax/music-2.6", seed=7))
    assert a.text == b.text and c.text == d.text and a.text != c.text
    assert a.writer_words() == OFFLINE_WRITER and a.cost_words() == "free" and OFFLINE_WRITER + "." in a.warnings
    assert "lighthouse" in a.text.lower() or "keeper" in a.text.lower() or "sea" in a.text.lower()


# --- a chat answer is untrusted text ---------------------------------------------------------------------


HOSTILE = (
    "<think>\nThe user wants lyrics. Let me <b>think</b>...\n</think>\n\n"
    "Sure! Here are your lyrics:\n```text\n\ufeff##Hold\u200b on to the \u202esea\u202c tonight\x07\n"
    "<script>alert('x')</script><b>bold</b> words <img src=x onerror=alert(1)>\n"
    "&lt;script&gt;alert(2)&lt;/script&gt;<!-- hidden -->\n"
    "\u2066Wait\u2069 for the \u200dtide\u200c to turn##\n```\nI hope you like them!\n<think>one more idea"
)


def test_hostile_chat_text_is_cleaned_to_plain_text():
    c = clean_chat_text(HOSTILE)
    assert "think" not in c.text.lower() and "one more idea" not in c.text
    assert not re.search(r"[<>]|script|alert|onerror|```|Sure!|I hope", c.text)
    assert not INVISIBLE.search(c.text) and all(unicodedata.category(ch) != "Cf" for ch in c.text)
    assert "Hold on to the sea tonight" in c.text and "Wait for the tide to turn" in c.text
    assert {"ZERO WIDTH SPACE", "RIGHT-TO-LEFT OVERRIDE", "ZERO WIDTH NO-BREAK SPACE", "U+0007"} <= set(c.removed)
    assert any("reasoning" in n for n in c.notes) and "HTML tags" in c.notes and "code fences" in c.notes


@pytest.mark.parametrize(
    "raw, kept",
    [
        ("<think>plan</think>\n\nLa la la", "La la la"),
        ("<THINK>a</think>x<think>b</think>\n[Verse]\nsing", "[Verse]\nsing"),
        ("reasoning without an opening tag</think>Sing it", "Sing it"),
        ("Sing it\n<think>cut off mid thought", "Sing it"),
        ("<think>never closed, all reasoning", ""),
        ("~~~\nline one\n~~~", "line one"),
        ("**[Chorus]**\n- first line\n- second line", "[Chorus]\nfirst line\nsecond line"),
        ("a &amp; b <3 c", "a & b <3 c"),
        ("Okay, baby, come on home\nSure I will", "Okay, baby, come on home\nSure I will"),  # sung, not chatter
        (
            "Certainly! Here's a song about rain:\n\nTitle: Rain\nla\nEnjoy the ride\n\nI hope you like it!",
            "la\nEnjoy the ride",
        ),
    ],
)
def test_reasoning_fences_and_markup_come_out(raw, kept):
    assert clean_chat_text(raw).text == kept


def test_a_chat_answer_is_put_in_the_models_format(tmp_path):
    answer = "Verse 1:\nI walk the shore\nat night\n\nChorus:\nSea, sea\ncall me home\n\n[Pre-Chorus]\nhold on"
    tags = _chat(tmp_path, answer, model="minimax/music-2.0")
    assert tags.text.startswith("[Verse]\nI walk the shore") and "\n\n" not in tags.text and "Chorus:" not in tags.text
    assert set(re.findall(r"\[[^\]]+\]", tags.text)) <= FIVE
    plain = _chat(tmp_path, answer, model="minimax-music")
    assert plain.text == "##I walk the shore\nat night\n\nSea, sea\ncall me home\n\nhold on##" and plain.report.ok


def test_an_answer_with_no_lyrics_is_refused_after_one_billed_call(tmp_path):
    calls = []
    answer = "<think>all reasoning, cut off"
    with pytest.raises(LyricsError, match="answered and billed once.*nothing more was sent") as exc:
        _chat(tmp_path, answer, model="minimax-music", calls=calls)
    assert len(calls) == 1
    (record,) = ChatLedger(tmp_path).list()
    assert record.state == "answered" and record.credits_used == "900" and "no usable lyrics" in record.error
    # The billed answer is not lost: kept as it came, named in the error and the record; the cause is chained.
    raw = tmp_path / "lyrics" / "drafts" / f"{record.client_request_id}.raw.txt"
    assert raw.read_text(encoding="utf-8") == answer and record.answer_path == str(raw)
    assert f"the answer was kept in {raw}" in str(exc.value)
    assert isinstance(exc.value.__cause__, LyricsError) and call_was_sent(exc.value)


def test_an_answer_cut_to_fit_is_kept_whole(tmp_path):
    lines = [f"Line number {i} of a very long song about the sea" for i in range(40)]
    answer = "##" + "\n".join(lines) + "##"
    d = _chat(tmp_path, answer, model="minimax-music")
    (record,) = ChatLedger(tmp_path).list()
    raw = tmp_path / "lyrics" / "drafts" / f"{d.client_request_id}.raw.txt"
    assert d.trimmed and lines[-1] not in d.text and raw.read_text(encoding="utf-8") == answer
    assert record.answer_path == str(raw) and any(f"whole answer is kept in {raw}" in w for w in d.warnings)


def test_the_key_is_never_kept_with_the_answer(tmp_path):
    key = "0123456789abcdef0123456789abcdef"
    send = FakeSend(f"##la la {key} la##")  # were a model ever to echo it
    chat_draft(
        LyricsRequest(THEME, model="minimax-music"),
        send=send,
        listing=listing("minimax/m2"),
        ledger=ChatLedger(tmp_path),
        secret=Secret(key),
    )
    assert all(key not in p.read_text() for p in tmp_path.rglob("*") if p.is_file())


def test_a_record_that_cannot_be_written_is_a_job_error_not_an_input_error(tmp_path, monkeypatch):
    import music01_core.lyrics_writer as lw

    def full(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lw, "atomic_write_json", full)
    send = FakeSend("##la##")
    with pytest.raises(JobError, match="nothing was sent.*No space left") as exc:
        chat_draft(
            LyricsRequest(THEME, model="minimax-music"),
            send=send,
            listing=listing("minimax/m2"),
            ledger=ChatLedger(tmp_path),
        )
    assert not isinstance(exc.value, ValueError) and send.calls == [] and not call_was_sent(exc.value)
    assert isinstance(exc.value.__cause__, OSError)


# --- the chat call: one send, a record, the price first, never the key -----------------------------------


class FakeSend:
    """A chat endpoint in-process: records each call, answers ``content``."""

    def __init__(self, content: str, *, fail: Exception | None = None) -> None:
        self.content, self.fail, self.calls = content, fail, []

    def __call__(self, payload, *, client_request_id=None):
        self.calls.append((payload, client_request_id))
        if self.fail is not None:
            raise self.fail
        return SimpleNamespace(
            content=self.content,
            finish_reason="stop",
            credits_used="900",
            usd_spent="0.00045",
            inference_id="inf-1",
            prompt_tokens=120,
            completion_tokens=300,
        )


def _chat(home, answer: str, *, model: str, calls: list | None = None, **options):
    send = FakeSend(answer)
    try:
        return chat_draft(
            LyricsRequest(options.pop("theme", THEME), MOOD, model=model, **options),
            send=send,
            listing=listing("minimax/m2"),
            ledger=ChatLedger(home),
        )
    finally:
        if calls is not None:
            calls.extend(send.calls)


def test_one_call_its_record_and_its_price_said_first(tmp_path):
    events = []
    send = FakeSend("<think>hm</think>\n\n##Sea, sea\ncall me home##")

    def on_price(price):
        events.append(("price", price.words()))
        assert not send.calls  # said before anything is sent

    d = chat_draft(
        LyricsRequest(THEME, MOOD, model="minimax-music"),
        send=send,
        listing=listing("minimax/m2", "gpt-4o-mini"),
        ledger=ChatLedger(tmp_path),
        on_price=on_price,
        secret=Secret("0123456789abcdef0123456789abcdef"),
    )
    ((payload, crid),) = send.calls
    assert payload["model"] == d.chat_model == "gpt-4o-mini" and payload["temperature"] <= 1
    assert events and "at most $" in events[0][1] and "per million input tokens" in events[0][1]
    assert d.text == "##Sea, sea\ncall me home##" and d.writer == "chat" and d.client_request_id == crid
    assert d.cost_usd == 0.00045 and d.credits_used == 900 and d.cost_words() == "cost $0.00045 (900 credits)"
    (record,) = ChatLedger(tmp_path).list()
    assert record.state == "answered" and record.client_request_id == crid and record.inference_id == "inf-1"
    assert record.backend == "api" and record.model == "gpt-4o-mini" and record.usd_spent == "0.00045"
    text = "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert "0123456789abcdef0123456789abcdef" not in text  # no key anywhere
    records = "".join(p.read_text() for p in (tmp_path / "lyrics" / "calls").rglob("*") if p.is_file())
    assert "Sea, sea" not in records  # no text in records: the answer itself is kept beside the drafts
    raw = tmp_path / "lyrics" / "drafts" / f"{crid}.raw.txt"
    assert record.answer_path == str(raw) and raw.read_text(encoding="utf-8") == send.content


def test_keep_my_chorus_is_kept_verbatim_whatever_the_chat_model_answers(tmp_path):
    mine = "[Verse]\nold verse line\n[Chorus]\nMy very own chorus, word for word\n[Outro]\nbye"
    d = _chat(
        tmp_path,
        "[Verse]\nnew verse\n[Chorus]\nA chorus it made up\n[Bridge]\nnew bridge",
        model="minimax/music-2.6",
        follow_up="keep my chorus",
        draft=mine,
    )
    assert "[Chorus]\nMy very own chorus, word for word" in d.text and "made up" not in d.text


def test_a_shorter_answer_that_is_not_shorter_is_made_shorter(tmp_path):
    draft = "[Verse]\na\nb\n[Chorus]\nc\n[Bridge]\nd"
    d = _chat(tmp_path, draft + "\n[Outro]\ne e e e e e", model="minimax/music-2.6", follow_up="shorter", draft=draft)
    assert d.count_chars < len(draft)


def test_the_key_never_enters_a_prompt(tmp_path):
    send = FakeSend("la")
    key = "0123456789abcdef0123456789abcdef"
    for theme in (f"my key is {key}", "a song about fedcba9876543210fedcba9876543210"):
        with pytest.raises(InputError, match="hold your API key.*Nothing was sent"):
            chat_draft(
                LyricsRequest(theme, model="minimax-music"),
                send=send,
                listing=listing("minimax/m2"),
                ledger=ChatLedger(tmp_path),
                secret=Secret(key),
            )
    assert send.calls == [] and ChatLedger(tmp_path).list() == []


def test_a_lost_answer_is_kept_as_lost_and_never_sent_again(tmp_path):
    send = FakeSend("", fail=ApiConnectionError("the connection broke.", may_be_billed=True))
    with pytest.raises(ApiConnectionError, match="answer lost.*music01 spend") as exc:
        chat_draft(
            LyricsRequest(THEME, model="minimax-music"),
            send=send,
            listing=listing("minimax/m2"),
            ledger=ChatLedger(tmp_path),
        )
    assert len(send.calls) == 1
    (record,) = ChatLedger(tmp_path).list()
    assert record.state == "lost" and record.answer_lost
    assert call_was_sent(exc.value)  # the app keeps the shared allowance it counted


def test_the_spend_report_matches_a_lyrics_request_by_its_client_request_id(tmp_path):
    from music01_core.account import reconcile

    d = _chat(tmp_path, "##la la la##", model="minimax-music")
    row = {
        "created": "2026-01-01T00:00:00Z",
        "status": "succeeded",
        "model": "minimax/m2",
        "cost": {"usd": 0.00045, "credits": 900},
        "inference_id": "another-id",
        "client_request_id": d.client_request_id,
    }
    spend = reconcile(ChatLedger(tmp_path).list(), [row], since="24h")
    (line,) = spend.matched
    assert line.matched_by == "client request id" and line.provider_usd == 0.00045 and not spend.unknown


# --- the shared key, the sizes taken ------------------------------------------------------------------------


def test_on_a_shared_key_only_a_default_chat_model_at_a_listed_price_is_asked(tmp_path):
    cat = listing("minimax/m2", "openai/gpt-4o")
    send = FakeSend("##la la la##")
    ask = lambda cat, **kw: chat_draft(  # noqa: E731
        LyricsRequest(THEME, model="minimax-music", shared_key=True, **kw),
        send=send,
        listing=cat,
        ledger=ChatLedger(tmp_path),
    )
    for chosen in ("openai/gpt-4o", "no/such-model"):
        with pytest.raises(InputError, match="shared key.*gpt-4o-mini or minimax/m2 only"):
            chat_quote(LyricsRequest(THEME, model="minimax-music", chat_model=chosen, shared_key=True), cat)
        with pytest.raises(InputError, match="shared key.*only") as exc:
            ask(cat, chat_model=chosen)
        assert not call_was_sent(exc.value)
    # The list never read: the default is named, and refused at the call since its price is unknown.
    assert chat_quote(LyricsRequest(THEME, model="minimax-music", shared_key=True), Catalogue()).usd_max is None
    with pytest.raises(InputError, match="price is unknown.*shared key"):
        ask(Catalogue())
    with pytest.raises(InputError, match="shared key"):
        ask(Catalogue(), chat_model="openai/gpt-o1-pro")
    assert send.calls == [] and ChatLedger(tmp_path).list() == []
    d = ask(cat)
    assert d.chat_model == "minimax/m2" and len(send.calls) == 1
    # Someone's own key: any listed chat model.
    assert chat_quote(LyricsRequest(THEME, model="minimax-music", chat_model="openai/gpt-4o"), cat).usd_max > 0


@pytest.mark.parametrize("model_id", ["minimax-music", "minimax/music-2.6"])
def test_a_draft_far_over_the_limit_is_refused_before_anything_is_sent(tmp_path, model_id):
    limit = MODELS[model_id].lyrics.max_chars
    huge = "[Verse]\n" + "la la la la la la la\n" * (limit // 10)
    assert provider_length(huge) > 2 * limit
    send = FakeSend("##la##")
    for follow in ("shorter", "another verse", "keep my chorus"):
        with pytest.raises(InputError, match="the draft is .* characters, far over"):
            chat_draft(
                LyricsRequest(model=model_id, follow_up=follow, draft=huge),
                send=send,
                listing=listing("minimax/m2"),
                ledger=ChatLedger(tmp_path),
            )
        with pytest.raises(InputError, match="far over"):
            chat_quote(LyricsRequest(model=model_id, follow_up=follow, draft=huge), listing("minimax/m2"))
    with pytest.raises(InputError, match="theme is 301 characters"):
        offline_draft(LyricsRequest("x" * 301, model=model_id))
    with pytest.raises(Exception, match="prompt is .* characters, far over"):
        lyrics_target("elevenlabs/eleven_music", into_prompt=True, prompt="x" * 5000)
    assert send.calls == []


def test_writing_into_the_prompt_again_replaces_the_lyrics_there():
    model, style = "elevenlabs/eleven_music", "sea shanty, accordion and a male choir"
    ask = lambda **kw: offline_draft(LyricsRequest(model=model, into_prompt=True, **kw))  # noqa: E731
    first = ask(theme=THEME, mood=MOOD, prompt=style)
    again = ask(theme="a city at night", mood=MOOD, prompt=first.text)  # the prompt box, as the app sends it
    short = ask(follow_up="shorter", draft=again.text, prompt=again.text)
    for d in (first, again, short):
        assert d.text.count("Lyrics:") == 1 and d.text.startswith(style + "\n\nLyrics:\n[")
    assert again.count_chars < first.count_chars * 1.5 and "city" in again.text.lower()
    assert short.count_chars < again.count_chars
    assert lyrics_target(model, into_prompt=True, prompt=first.text).prefix == f"{style}\n\nLyrics:\n"
    # The CLI's follow-up on a kept prompt (--from FILE, no --prompt): the style comes with it.
    assert ask(follow_up="shorter", draft=again.text).text.startswith(style + "\n\nLyrics:\n[")


def test_the_app_gives_back_the_shared_allowance_of_a_call_never_sent(monkeypatch):
    from music01_core.errors import InputError as Refused
    from music01_ui import lyrics as page
    from music01_ui import session

    monkeypatch.setattr(session, "SHARED", True)
    monkeypatch.setattr(session, "LIMITER", session.RateLimiter(5))
    monkeypatch.setattr(session, "ROOM_LIMITER", session.RateLimiter(9))
    request = SimpleNamespace(session_hash="s1", client=SimpleNamespace(host="1.2.3.4"))
    seen = {}

    class Backend:
        def __init__(self, fail):
            self.fail = fail

        def lyrics_price(self, **asked):
            seen.update(asked)
            return SimpleNamespace(words=lambda: "at most $0.001")

        def write_lyrics(self, **asked):
            raise self.fail

    def used():
        return session.LIMITER.used("session:s1"), session.LIMITER.used("ip:1.2.3.4"), session.ROOM_LIMITER.used("room")

    for fail, after in ((Refused("a key in the text: nothing was sent."), (0, 0, 0)), (_sent_error(), (1, 1, 1))):
        monkeypatch.setattr(page, "open_session_backend", lambda *a, f=fail, **k: (Backend(f), True))
        with pytest.raises(type(fail)):
            page._write(THEME, MOOD, "minimax-music", "", None, "", "", False, "", request)
        assert used() == after and seen["shared_key"] is True


def _sent_error():
    exc = LyricsError("no usable lyrics; billed once.")
    exc.call_sent = True
    return exc


def test_chat_model_facts_come_from_one_table_and_an_unknown_model_is_asked_safely():
    target = lyrics_target("minimax/music-2.6")
    for name, facts in CHAT_MODEL_FACTS.items():
        low, high = facts["temperature"]
        payload = chat_payload(name, [], target)
        assert low <= payload["temperature"] <= high and 1 <= payload["max_tokens"] <= facts["max_tokens"]
    assert chat_facts("minimax/m2")["thinks"] and not chat_facts("gpt-4o-mini")["thinks"]
    assert set(DEFAULT_CHAT_MODELS) <= set(CHAT_MODEL_FACTS)
    m2, mini = chat_payload("minimax/m2", [], target), chat_payload("gpt-4o-mini", [], target)
    assert m2["max_tokens"] > mini["max_tokens"]  # room to reason aloud first
    unknown = chat_payload("minimax/m1-something-new", [], target)
    assert unknown["temperature"] == 0.7 and unknown["max_tokens"] == mini["max_tokens"]
    assert clean_chat_text("<think>x</think>la").text == "la"  # reasoning is stripped whoever answers


# --- choosing and pricing the chat model --------------------------------------------------------------------


def test_the_default_chat_model_is_a_cheap_listed_one():
    assert DEFAULT_CHAT_MODELS == ("gpt-4o-mini", "minimax/m2")
    assert choose_chat_model(listing("minimax/m2", "gpt-4o-mini"))[0] == "gpt-4o-mini"
    assert choose_chat_model(listing("minimax/m2", "openai/gpt-4o"))[0] == "minimax/m2"
    assert choose_chat_model(listing("openai/gpt-4o", "x/cheap"))[0] == "x/cheap"  # the cheapest answer tokens
    assert choose_chat_model(listing("minimax/m2", "openai/gpt-4o"), "openai/gpt-4o")[0] == "openai/gpt-4o"
    with pytest.raises(InputError, match="not a chat model the provider lists"):
        choose_chat_model(listing("minimax/m2"), "minimax/music-2.6")
    name, found, notes = choose_chat_model(Catalogue())
    assert name == "gpt-4o-mini" and found is None and "model list not checked" in notes[0]


def test_the_price_is_an_upper_bound_from_max_tokens():
    cat = listing("minimax/m2")
    payload = {"messages": [{"role": "user", "content": "é" * 100}], "max_tokens": 1000}
    p = chat_price("minimax/m2", cat.find("minimax/m2"), cat, payload)
    prompt_max = 200 + 4 + 3  # UTF-8 bytes: a token is at least one byte
    assert p.prompt_tokens_max == prompt_max and p.max_tokens == 1000
    assert p.usd_max == pytest.approx(prompt_max * 0.3e-6 + 1000 * 1.2e-6)
    assert "$0.30 per million input tokens; $1.20 per million output tokens" in p.words()
    unknown = chat_price("minimax/m2", None, Catalogue(), payload)
    assert unknown.usd_max is None and "no price figure" in unknown.words()


def _kinds(text: str) -> list[str]:
    return [s.kind for s in songs.parse_sections(text)[0]]
