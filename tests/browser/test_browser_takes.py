"""Compare models in a real browser (issue 24): four models on the emulator, the plan with its total shown
first, then the grid of four takes (player, length, cost, spectrogram, Keep), one of them kept."""

import re
import time
from pathlib import Path

import pytest

from tests.appserver import ROOT, AppServer
from tests.audiogen import KEY

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs it with apt)")
    pytest.importorskip("playwright")
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-btakes"), latency_s=1.0) as emu:
        home = tmp_path_factory.mktemp("app-btakes") / "home"
        srv = AppServer(home, AIML_API_KEY=KEY, AIML_API_BASE=emu.url).start()
        # The provider's list (its prices) is read in the background after the start.
        copy = home / "catalogue" / "aimlapi.json"
        deadline = time.monotonic() + 30
        while not copy.exists():
            assert time.monotonic() < deadline, "the background check never wrote the list's copy"
            time.sleep(0.2)
        yield srv, emu
        srv.stop()


@pytest.fixture(scope="module")
def browser(served):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"],
        )
        yield b
        b.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def test_a_grid_of_four_takes_on_the_emulator(served, browser):
    from playwright.sync_api import expect

    srv, emu = served
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(srv.url, wait_until="load")
    page.get_by_text("via AI/ML API").first.wait_for(timeout=30_000)
    page.get_by_role("tab", name="Compare models").click()
    # The four models the tab starts on; Plan checks and prices them, and sends nothing.
    page.get_by_role("button", name=re.compile("^Plan")).click()
    send = page.get_by_role("button", name="Make 4 takes (free: local emulator of AI/ML API)")
    send.wait_for(timeout=30_000)
    page.get_by_text(re.compile(r"Free: 4 takes on the local emulator of AI/ML API; nothing is billed")).wait_for()
    expect(page.get_by_text(re.compile(r"at the provider: ≈ \$0\.195 \(390,000 credits\) a piece"))).to_have_count(1)
    assert emu.stats()["submits"] == [], "a plan sends nothing"
    shot(page, "takes-1-plan")
    send.click()
    keep = page.get_by_role("button", name="Keep", exact=True)
    expect(keep).to_have_count(4, timeout=120_000)
    page.get_by_text("4 takes made · free: nothing was billed.").wait_for(timeout=10_000)
    assert len(emu.stats()["submits"]) == 4, "four takes, four submits"
    # Each cell: its player, length and cost, and its spectrogram.
    for model in ("minimax/music-2.6", "elevenlabs/eleven_music", "google/lyria2", "stable-audio"):
        page.get_by_text(model, exact=True).first.wait_for(timeout=10_000)
    expect(page.get_by_text(re.compile(r"^10\.0 s wav · free \(local emulator of AI/ML API\)"))).to_have_count(1)
    expect(page.locator("img[src*='spectrogram']")).to_have_count(4, timeout=60_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll(\"img[src*='spectrogram']\")].every(i => i.complete && i.naturalWidth)",
        timeout=30_000,
    )
    keep.first.click()
    page.get_by_role("button", name="★ Kept").wait_for(timeout=10_000)
    page.get_by_text(re.compile(r"★ kept: History entry")).wait_for(timeout=10_000)
    assert not send.is_visible(), "sent: a new round starts with a new plan"
    page.wait_for_timeout(800)  # the last fade-ins
    shot(page, "takes-2-grid")
    assert KEY not in page.content() and "Traceback" not in page.content()
    # In History, the kept take has its star.
    page.get_by_role("tab", name=re.compile("History")).click()
    page.get_by_text(re.compile(r"^★ minimax/music-2\.6$")).first.wait_for(timeout=20_000)
