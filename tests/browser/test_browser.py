"""The app in a real browser (Debian's Chromium driven by Playwright), offline."""

import re
import shutil
from pathlib import Path

import pytest

from tests.appserver import ROOT, AppServer
from tests.audiogen import KEY

pytestmark = pytest.mark.browser
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
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
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True,
                              args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                    "--disable-background-networking", "--disable-component-update", "--disable-sync"])
        yield b
        b.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def tab(page, label):
    page.get_by_role("tab", name=re.compile(label)).click()


def walk(page, url, tag):
    page.goto(url)
    page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    shot(page, f"{tag}-0-start")
    # 1 · Reference: one click on an example, wait for the analysis card.
    page.get_by_role("button", name="song-e-minor").click()
    page.get_by_text("Suggested purpose").wait_for(timeout=90_000)
    page.get_by_text("segment — music-01 accepts it").wait_for(timeout=30_000)
    page.get_by_role("button", name="Prepare clip").click()
    page.get_by_text('"sha256"').wait_for(timeout=60_000)
    shot(page, f"{tag}-1-reference")
    # 2 · Upload.
    tab(page, "Purpose")
    page.get_by_role("button", name="Upload", exact=True).click()
    page.get_by_text('"cached"').wait_for(timeout=60_000)
    page.wait_for_function("() => [...document.querySelectorAll('textarea, input')].some(e => e.value.startsWith('vocal-'))",
                           timeout=10_000)
    shot(page, f"{tag}-2-upload")
    # 3 · Lyrics: the docs' example is there; the counter shows it.
    tab(page, "Lyrics")
    page.get_by_text(re.compile(r"\d+ / 600")).wait_for(timeout=10_000)
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
        timeout=10_000)
    # The player decoded it: its waveform shows a length of more than ten seconds.
    page.get_by_text(re.compile(r"^0:[1-5]\d$")).locator("visible=true").first.wait_for(timeout=20_000)
    # A row of the history plays and downloads that generation.
    tab(page, "History")
    page.get_by_text(trace).locator("visible=true").first.click()
    page.get_by_text(re.compile(r"voice_id .* instrumental_id")).locator("visible=true").first.wait_for(timeout=20_000)
    page.get_by_text(re.compile(r"^0:[1-5]\d$")).locator("visible=true").first.wait_for(timeout=20_000)
    shot(page, "walk-6-history-row")
    assert "Traceback" not in page.content()


def test_sessions_do_not_share_history_or_keys(server, browser):
    a = browser.new_context()
    b = browser.new_context()
    pa, pb = a.new_page(), b.new_page()
    pa.goto(server.url)
    pb.goto(server.url)
    for page in (pa, pb):  # both pages rendered before anything is compared
        page.get_by_text("offline engine (no API key)").wait_for(timeout=30_000)
    # A pastes a key: only A's banner changes, and the key is in no page or config.
    pa.get_by_text("Your AI/ML API key").click()
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
