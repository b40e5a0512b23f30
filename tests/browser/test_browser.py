"""The app in a real browser (Debian's Chromium driven by Playwright), offline."""

import re
import shutil
from pathlib import Path

import pytest

from tests.appserver import ROOT, AppServer
from tests.audiogen import KEY

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
MODEL_LABELS = {
    "minimax-music": "MiniMax Music (reference",
    "minimax/music-cover": "MiniMax Music Cover",
    "music-01": "music-01 (legacy",
    "minimax/music-2.6": "MiniMax Music 2.6",
}
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs it with apt)")
    pytest.importorskip("playwright")
    srv = AppServer(tmp_path_factory.mktemp("browser") / "home").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield b
        b.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def tab(page, label):
    page.get_by_role("tab", name=re.compile(label)).click()


def choose_model(page, model_id):
    # By role: once the Lyrics tab has been drawn, "model" is also in other fields' labels.
    page.get_by_role("combobox", name="Model", exact=True).click()
    page.get_by_role("option", name=re.compile(re.escape(MODEL_LABELS[model_id]))).click()
    page.get_by_text(f"{model_id}** —").or_(page.get_by_text(f"{model_id} —")).first.wait_for(timeout=10_000)


def walk(page, url, tag, model_id="minimax-music"):
    from music01_core.models import get_model

    m = get_model(model_id)
    page.goto(url)
    page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    shot(page, f"{tag}-0-start")
    if model_id != "minimax-music":
        choose_model(page, model_id)
    if m.takes_reference:
        # 1 · Reference: one click on an example, wait for the analysis card.
        page.get_by_role("button", name="song-e-minor").click()
        page.get_by_text(re.compile("suggested segment", re.I)).wait_for(timeout=90_000)
        page.get_by_text(f"segment — {model_id} accepts it").wait_for(timeout=30_000)
        page.get_by_role("button", name="Prepare clip").click()
        page.get_by_text('"sha256"').wait_for(timeout=60_000)
        shot(page, f"{tag}-1-reference")
    if m.protocol == "music01":
        # 2 · Upload (music-01 only).
        tab(page, "Purpose")
        page.get_by_role("button", name="Upload", exact=True).click()
        page.get_by_text('"cached"').wait_for(timeout=60_000)
        page.wait_for_function(
            "() => [...document.querySelectorAll('textarea, input')].some(e => e.value.startsWith('vocal-'))",
            timeout=10_000,
        )
        shot(page, f"{tag}-2-upload")
    # 3 · Lyrics: the docs' example is there; the counter shows the model's limit.
    tab(page, "Lyrics")
    page.get_by_text(re.compile(rf"\d+ / {m.lyrics.max_chars}")).first.wait_for(timeout=10_000)
    if m.prompt is not None:
        assert page.get_by_label("Style prompt").is_visible()
    shot(page, f"{tag}-3-lyrics")
    # 4 · Generate.
    tab(page, "Generate")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text("saved to history").wait_for(timeout=120_000)
    trace = page.locator("code").filter(has_text=re.compile(r"^[0-9a-f]{32}$")).first.inner_text()
    shot(page, f"{tag}-4-generate")
    # 5 · History: the new row, with the same trace id.
    tab(page, "History")
    page.get_by_text(trace).locator("visible=true").first.wait_for(timeout=20_000)
    shot(page, f"{tag}-5-history")
    return trace


def test_five_steps_offline(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    trace = walk(page, server.url, "walk")
    tab(page, "Generate")
    # The result is a file from the history, offered for download…
    page.get_by_text(re.compile(r"music01-\d{8}T\d{6}-[0-9a-f]{8}")).locator("visible=true").first.wait_for(
        timeout=10_000
    )
    # The player decoded it: its waveform shows a length of more than ten seconds.
    page.get_by_text(re.compile(r"^0:[1-5]\d$")).locator("visible=true").first.wait_for(timeout=20_000)
    # A row of the history plays and downloads that generation.
    tab(page, "History")
    page.get_by_text(trace).locator("visible=true").first.click()
    page.get_by_text(re.compile(r"minimax-music · offline")).locator("visible=true").first.wait_for(timeout=20_000)
    page.get_by_text(re.compile(r"^0:[1-5]\d$")).locator("visible=true").first.wait_for(timeout=20_000)
    shot(page, "walk-6-history-row")
    # The details name the ids this piece has; minimax-music has no music-01 voice/instrumental id to show.
    assert "instrumental_id None" not in page.inner_text("body")
    assert "Traceback" not in page.content()
    # The table calls an offline trace id what it is, and shows ids whole (not cut at the column's edge).
    assert page.get_by_text("generation or trace id").locator("visible=true").count() == 1
    assert page.get_by_text("id at the provider").count() == 0
    # Each id, its cell, its row and the table hold it without overflow: nothing is cut at a column's
    # edge or pushed past the table's right side (where the history entry's id used to end up).
    whole = """e => { for (let x = e, i = 0; x && i < 6; x = x.parentElement, i++)
                        if (x.scrollWidth > x.clientWidth + 1) return false;
                      return true; }"""
    for shown in (trace, re.compile(r"^\d{8}T\d{6}-[0-9a-f]{8}$")):
        assert page.get_by_text(shown).locator("visible=true").first.evaluate(whole), f"{shown} is cut"


def test_sessions_do_not_share_history_or_keys(server, browser):
    a = browser.new_context()
    b = browser.new_context()
    pa, pb = a.new_page(), b.new_page()
    pa.goto(server.url)
    pb.goto(server.url)
    for page in (pa, pb):  # both pages rendered before anything is compared
        page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    # A pastes a key: only A's banner changes, and the key is in no page or config.
    pa.get_by_text("Your keys (optional)").click()
    pa.get_by_label("API key").fill(KEY)
    pa.get_by_text("using the key you pasted").wait_for(timeout=10_000)
    assert pb.get_by_text("offline engine (no API key)").count() >= 1
    assert pb.get_by_text("using the key you pasted").count() == 0
    for page in (pa, pb):
        assert KEY not in page.content()
    import requests

    assert KEY not in requests.get(server.url + "config", timeout=10).text
    assert KEY not in requests.get(server.url, timeout=10).text
    assert KEY not in server.logs()
    a.close()
    b.close()


def test_labels_tabs_and_examples_follow_the_model(server, browser):
    """Issue 20, item 10: after a switch nothing on the page still describes the model before it."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url)
    page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    tabs = page.get_by_role("tab")
    # The default model uploads nothing: no music-01 step, and the steps are numbered without a gap
    # ("Compare models" sits beside them, unnumbered).
    expect(tabs).to_have_text(["1 · Reference", "2 · Lyrics", "3 · Generate", "4 · History", "Compare models"])
    page.get_by_text("minimax-music takes a reference track + lyrics").wait_for(timeout=5_000)
    choose_model(page, "minimax/music-2.6")
    page.get_by_text("minimax/music-2.6 takes style prompt").wait_for(timeout=10_000)
    assert page.get_by_text("minimax-music takes").count() == 0
    tab(page, "Lyrics")
    page.get_by_text("[Verse] Streetlights flicker").first.wait_for(timeout=10_000)
    examples = page.locator("button").filter(has_text=re.compile(r"^(##|\[Verse\]|\[Intro\])")).locator("visible=true")
    assert examples.count() >= 2 and not any(t.startswith("##") for t in examples.all_inner_texts())
    page.get_by_text("tags shape the song").wait_for(timeout=5_000)
    shot(page, "labels-1-music-2.6")
    choose_model(page, "music-01")
    expect(tabs).to_have_text(
        ["1 · Reference", "2 · Purpose & upload", "3 · Lyrics", "4 · Generate", "5 · History", "Compare models"]
    )
    # music-01's lyrics: type plain lines and the wrap box and the status line agree (off), then tick it.
    lyrics = page.get_by_role("textbox", name=re.compile("^Lyrics"))
    lyrics.fill("hello moon\nhello sky")
    box = page.get_by_role("checkbox", name="add accompaniment (##…##)")
    page.get_by_text("accompaniment wrap off").wait_for(timeout=10_000)
    expect(box).not_to_be_checked(timeout=10_000)
    box.check()
    page.get_by_text("accompaniment wrap on").wait_for(timeout=10_000)
    expect(lyrics).to_have_value("##hello moon\nhello sky##")
    shot(page, "labels-2-music-01-wrap")
    choose_model(page, "minimax-music")
    expect(tabs).to_have_text(["1 · Reference", "2 · Lyrics", "3 · Generate", "4 · History", "Compare models"])
    assert "Traceback" not in page.content()


def test_a_short_file_gets_one_verdict_the_chosen_models(server, browser, bad_files):
    """Issue 20, item 9: a short file showed "needs more than 15 s" beside music-01's 10 s."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url)
    page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    page.locator("input[type=file]").first.set_input_files(str(bad_files / "len-7.9.wav"))
    page.get_by_text(re.compile("suggested segment", re.I)).wait_for(timeout=90_000)
    page.get_by_text("the file is 7.90 s; minimax-music needs more than 15 s").wait_for(timeout=30_000)
    page.wait_for_timeout(1_000)  # any warning toast of the analysis has landed by now
    shot(page, "short-file")
    body = page.inner_text("body")
    assert "needs more than 10 s" not in body and "music-01 needs" not in body, body
    choose_model(page, "minimax/music-cover")  # 6 s is enough for it
    page.get_by_text("7.9 s segment — minimax/music-cover accepts it").wait_for(timeout=10_000)


def test_a_non_audio_file_is_refused_in_words(server, browser, tmp_path):
    """Issue 20, item 13: the browser's refusal listed Gradio's MIME types."""
    notes = tmp_path / "notes.txt"
    notes.write_text("not a song\n")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url)
    page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    page.get_by_text("up to 200 MB").wait_for(timeout=5_000)
    page.locator("input[type=file]").first.set_input_files(str(notes))
    page.get_by_text("notes.txt: not an audio file").wait_for(timeout=10_000)
    page.get_by_text(re.compile("MP3, WAV, FLAC, OGG, Opus or M4A")).first.wait_for(timeout=5_000)
    shot(page, "not-audio")
    assert "audio/aac" not in page.inner_text("body")


def test_a_key_with_a_space_is_refused_when_pasted(server, browser):
    """Issue 20, item 13: the page took it until Generate."""
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(server.url)
    page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    page.get_by_text("Your keys (optional)").click()
    spaced = f"{KEY[:12]} {KEY[12:]}"
    page.get_by_label("API key").fill(spaced)
    page.get_by_text(re.compile("copy the key again")).wait_for(timeout=10_000)
    page.get_by_text("the key you pasted cannot be used as it is").wait_for(timeout=10_000)
    shot(page, "key-with-space")
    for part in (KEY[:12], KEY[12:]):
        assert part not in page.content()
    page.get_by_label("API key").fill(KEY)  # corrected: the message goes
    page.get_by_text("using the key you pasted").wait_for(timeout=10_000)
    assert page.get_by_text(re.compile("copy the key again")).count() == 0
    assert KEY not in server.logs()


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs it with apt)")
    srv = AppServer(tmp_path_factory.mktemp("browser-shared") / "home", MUSIC01_SHARED="1").start()
    yield srv
    srv.stop()


def test_shared_server_keeps_histories_apart(shared_server, browser):
    a = browser.new_context(viewport={"width": 1280, "height": 900})
    b = browser.new_context(viewport={"width": 1280, "height": 900})
    pa, pb = a.new_page(), b.new_page()
    trace = walk(pa, shared_server.url, "shared-a")
    pb.goto(shared_server.url)
    pb.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    tab(pb, "History")
    pb.wait_for_timeout(2000)
    shot(pb, "shared-b-history")
    assert pb.get_by_text(trace).count() == 0, "session B sees session A's generation"
    assert trace not in pb.content()
    a.close()
    b.close()


def test_legacy_music01_and_a_text_only_model(server, browser):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    walk(page, server.url, "legacy", "music-01")
    page.get_by_text("Retired by the provider").locator("visible=true").first.wait_for(timeout=5_000)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    walk(page, server.url, "text-only", "minimax/music-2.6")
    tab(page, "Reference")
    page.get_by_text("no reference needed").locator("visible=true").first.wait_for(timeout=5_000)
    shot(page, "text-only-6-no-reference")
    assert "Traceback" not in page.content()


@pytest.fixture(scope="module")
def api_server(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs it with apt)")
    from music01_core.emulator import EmulatorServer
    from tests.appserver import free_port

    port = free_port()
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-browser"), latency_s=8.0) as emu:
        # The app says it is public at its loopback address, so the emulator fetches the served link there.
        srv = AppServer(
            tmp_path_factory.mktemp("browser-api") / "home",
            AIML_API_KEY=KEY,
            AIML_API_BASE=emu.url,
            MUSIC01_PUBLIC_URL=f"http://127.0.0.1:{port}",
            port=port,
        ).start()
        yield srv, emu
        srv.stop()


def test_a_job_left_behind_is_resumed_from_history(api_server, browser):
    srv, emu = api_server
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(srv.url)
    page.get_by_text("via AI/ML API").first.wait_for(timeout=30_000)
    choose_model(page, "minimax/music-2.6")
    tab(page, "Generate")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text(re.compile(r"(queued|generating)… \d+ s")).first.wait_for(timeout=30_000)
    shot(page, "api-1-generating")
    page.get_by_role("button", name="Cancel").click()  # the person stops waiting; the job goes on
    tab(page, "History")
    row = page.get_by_text(re.compile(r":music-2\.6$")).locator("visible=true").first
    row.wait_for(timeout=20_000)
    # The tab's two tables redraw one after the other: let them settle, then the row must still be there.
    page.wait_for_timeout(2_000)
    page.get_by_text(re.compile(r"^(queued|generating)$")).locator("visible=true").first.wait_for(timeout=20_000)
    shot(page, "api-2-pending")
    row.click()
    # As a person would: the picked id shows in the box before Resume is pressed.
    from playwright.sync_api import expect

    expect(page.get_by_label("generation id")).to_have_value(re.compile(r":music-2\.6$"), timeout=10_000)
    page.get_by_role("button", name="Resume").click()
    page.get_by_text("saved to history").locator("visible=true").first.wait_for(timeout=60_000)
    shot(page, "api-3-resumed")
    assert len(emu.stats()["submits"]) == 1, "resume must never submit again"
    from music01_core.history import History

    gid = emu.stats()["submits"][0]["id"]
    # The cancelled page's own thread and the Resume both finish the job: it is saved once.
    page.wait_for_timeout(3000)
    assert [e.generation_id for e in History(srv.home).list()] == [gid]
    assert emu.stats()["file_auth_headers"] == 0
    assert KEY not in page.content() and KEY not in srv.logs()


def test_with_a_key_a_file_from_disk_reaches_minimax_music_then_music_cover(api_server, browser, examples):
    """The default flow with a key: a file uploaded from disk goes to minimax-music through the app's own
    short-lived link, and to music-cover as Base64; each Generate is one submit."""
    srv, emu = api_server
    before = len(emu.stats()["submits"])
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(srv.url)
    page.get_by_text("minimax-music").first.wait_for(timeout=30_000)
    page.get_by_text("short-lived link").first.wait_for(timeout=10_000)
    page.locator("input[type=file]").first.set_input_files(str(examples["song-e-minor"]))
    page.get_by_text("segment — minimax-music accepts it").wait_for(timeout=90_000)
    # The card says what the chosen model asks of a reference: this example has a voice and a band.
    page.get_by_text("music and vocals — what minimax-music asks of a reference").wait_for(timeout=30_000)
    page.get_by_role("button", name="Prepare clip").click()
    page.get_by_text('"sha256"').wait_for(timeout=60_000)
    tab(page, "Generate")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text(re.compile(r"(queued|generating)… \d+ s")).first.wait_for(timeout=30_000)
    done = re.compile(r"{} via AI/ML API · cost \d+ credits")
    page.get_by_text(re.compile(done.pattern.format("minimax-music"))).first.wait_for(timeout=90_000)
    page.get_by_text("Show as code").click()
    page.get_by_text("<the app's short-lived link to your clip>").first.wait_for(timeout=10_000)
    shot(page, "api-4-minimax-music-link")
    choose_model(page, "minimax/music-cover")
    tab(page, "Lyrics")
    page.get_by_label("Style prompt").fill("bossa nova guitar, soft brushes, late-night cafe")
    tab(page, "Generate")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text(re.compile(done.pattern.format("minimax/music-cover"))).first.wait_for(timeout=90_000)
    page.get_by_text("data:audio/mpeg;base64,<the clip, Base64-encoded>").first.wait_for(timeout=10_000)
    shot(page, "api-5-music-cover-base64")
    submits = emu.stats()["submits"][before:]
    assert [(s["model"], s["reference"]) for s in submits] == [
        ("minimax-music", "url"),
        ("minimax/music-cover", "base64"),
    ]
    assert emu.stats()["file_auth_headers"] == 0
    assert "Traceback" not in page.content() and KEY not in page.content() and KEY not in srv.logs()


@pytest.fixture(scope="module")
def laptop_api_server(tmp_path_factory):
    """A key on a laptop: the API (the emulator), and no public address for the app to serve clips at."""
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs it with apt)")
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-laptop"), latency_s=1.0) as emu:
        srv = AppServer(tmp_path_factory.mktemp("browser-laptop") / "home", AIML_API_KEY=KEY, AIML_API_BASE=emu.url)
        yield srv.start(), emu
        srv.stop()


def test_a_local_clip_for_a_url_only_model_offers_the_clip_model_at_once(laptop_api_server, browser, examples):
    """Issue 20, item 11: said when the file is chosen, not at Generate; one click to the model that takes it."""
    from playwright.sync_api import expect

    from music01_core.models import MODELS, get_model

    srv, emu = laptop_api_server
    url_only = next(m for m in MODELS.values() if m.live and m.reference.ways == ("url",))
    alt = next(m for m in MODELS.values() if m.live and "base64" in m.reference.ways)
    assert get_model(None) is url_only, "the default model is the URL-only one this flow starts on"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(srv.url)
    page.get_by_text("via AI/ML API").first.wait_for(timeout=30_000)
    page.locator("input[type=file]").first.set_input_files(str(examples["song-e-minor"]))
    notice = page.get_by_text(f"{url_only.id} takes its reference only as a public URL")
    notice.wait_for(timeout=30_000)
    page.get_by_text(f"style prompt of {alt.prompt.min_chars}–{alt.prompt.max_chars} characters").wait_for()
    page.get_by_text(re.compile("suggested segment", re.I)).wait_for(timeout=90_000)
    page.get_by_role("button", name="Prepare clip").click()
    page.get_by_text('"sha256"').wait_for(timeout=60_000)
    tab(page, "Lyrics")
    page.get_by_role("textbox", name=re.compile("^Lyrics")).fill("##Hello moon, hello sky\nsing me softly##")
    tab(page, "Reference")
    shot(page, "laptop-1-notice")
    page.get_by_role("button", name=f"Switch to {alt.id} (takes the clip itself)").click()
    page.get_by_text(f"{alt.id}** —").or_(page.get_by_text(f"{alt.id} —")).first.wait_for(timeout=10_000)
    expect(notice).to_be_hidden(timeout=10_000)
    # The clip is still the one to send; the lyrics kept their words; a style prompt is there.
    page.get_by_text('"sha256"').wait_for(timeout=5_000)
    tab(page, "Lyrics")
    expect(page.get_by_role("textbox", name=re.compile("^Lyrics"))).to_have_value(
        "Hello moon, hello sky\nsing me softly", timeout=10_000
    )
    expect(page.get_by_role("textbox", name=re.compile("^Style prompt"))).to_have_value(
        re.compile(r"^Same style as the original: \d+ BPM, [A-G]"), timeout=10_000
    )
    shot(page, "laptop-2-switched")
    before = len(emu.stats()["submits"])
    tab(page, "Generate")
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text(re.compile(rf"{re.escape(alt.id)} via AI/ML API · cost \d+ credits")).first.wait_for(
        timeout=120_000
    )
    shot(page, "laptop-3-made")
    submits = emu.stats()["submits"][before:]
    assert [(s["model"], s["reference"]) for s in submits] == [(alt.id, "base64")]
    assert "Traceback" not in page.content() and KEY not in page.content() and KEY not in srv.logs()
