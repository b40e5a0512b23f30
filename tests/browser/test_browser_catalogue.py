"""The provider's live list in a real browser (issue 23): the app starts with no copy of the list, reads it
in the background, and the page a visitor then opens marks the delisted model, says why when it is
picked, refuses it at Generate, and shows the price beside Generate."""

import itertools
import re
import time
from pathlib import Path

import pytest

from tests.appserver import ROOT, AppServer
from tests.audiogen import KEY

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts"
DELISTED = "minimax/music-1.5"
PRICED = "minimax/music-2.6"
TOKEN = "teacher-b4l4nce"
PRICE = {"kind": "fixed", "currency": "USD", "units": [{"name": "generation", "price": 0.25, "per": 1}]}


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    if not Path(CHROMIUM).exists():
        pytest.skip("Chromium is not installed (.ci/run installs it with apt)")
    pytest.importorskip("playwright")
    from music01_core.emulator import EmulatorServer

    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-bcat"), latency_s=0.3) as emu:
        emu.catalogue(delist=[DELISTED], price={"id": PRICED, "pricing": PRICE})
        home = tmp_path_factory.mktemp("app-bcat") / "home"
        srv = AppServer(home, AIML_API_KEY=KEY, AIML_API_BASE=emu.url, MUSIC01_TEACHER_TOKEN=TOKEN).start()
        # The list is read in the background after the start: nothing waited on it.
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


def test_the_delisted_model_and_the_price_beside_generate(served, browser):
    from playwright.sync_api import expect

    srv, emu = served
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(srv.url, wait_until="load")
    page.get_by_text("via AI/ML API").first.wait_for(timeout=30_000)
    # The page was built before the list was read ("model list not checked"); the visit reads the copy.
    page.get_by_text(
        re.compile(r"minimax-music takes .* · listed by the provider \(checked (?:\d{4}-\d\d-\d\d )?\d\d:\d\d\)")
    ).wait_for(timeout=10_000)
    # The menu, opened: the delisted row says so (read from the copy the background check wrote).
    page.get_by_role("combobox", name="Model", exact=True).click()
    row = page.get_by_role(
        "option",
        name=re.compile(
            r"^MiniMax Music 1\.5 .* — no longer listed by the provider \(checked (?:\d{4}-\d\d-\d\d )?\d\d:\d\d\)$"
        ),
    )
    expect(row).to_have_count(1, timeout=10_000)
    expect(page.get_by_role("option", name=re.compile(r"^MiniMax Music 2\.6 "))).not_to_contain_text("no longer")
    page.wait_for_timeout(500)  # the list's fade-in
    shot(page, "catalogue-1-picker")
    # Picked: the hint and the card say why, before anything is tried.
    row.click()
    page.get_by_text(re.compile(r"minimax/music-1\.5 takes .* · ⚠️ no longer listed by the provider")).wait_for(
        timeout=10_000
    )
    page.get_by_text("Generate refuses it before anything is billed; choose another model").wait_for(timeout=10_000)
    # Generate: refused in a message, nothing sent.
    page.get_by_role("tab", name=re.compile("Generate")).click()
    page.get_by_text("no price figure (the provider's list has none").wait_for(timeout=10_000)
    page.get_by_role("button", name="Generate", exact=True).click()
    page.get_by_text(re.compile(r"minimax/music-1\.5 is no longer listed by the provider")).first.wait_for(
        timeout=30_000
    )
    assert emu.stats()["submits"] == []
    assert "Traceback" not in page.content()
    page.wait_for_timeout(1000)  # the message's fade-in
    shot(page, "catalogue-2-refused")
    page.locator(".toast-close").first.click()
    # Another model: the price beside Generate, with its source and when the list was read.
    page.get_by_role("combobox", name="Model", exact=True).click()
    page.get_by_role("option", name=re.compile(r"^MiniMax Music 2\.6")).click()
    line = page.get_by_text(
        re.compile(r"≈ \$0\.25 \(500,000 credits\) a piece · provider's list, checked (?:\d{4}-\d\d-\d\d )?\d\d:\d\d")
    )
    line.wait_for(timeout=10_000)
    assert "local emulator: nothing is billed" in line.inner_text()
    shot(page, "catalogue-3-price")
    # A person's own key: its balance, on a click, in this tab only.
    page.get_by_text("Your keys (optional)").click()
    page.get_by_label("API key").fill(KEY)
    page.get_by_role("button", name="Check my balance").click()
    page.get_by_text(
        re.compile(
            r"\$10\.00 \(20,000,000 credits\) · AI/ML API balance, checked (?:\d{4}-\d\d-\d\d )?\d\d:\d\d — your key"
        )
    ).wait_for(timeout=10_000)
    shot(page, "catalogue-4-own-balance")
    assert KEY not in page.content()


def test_the_teachers_balance_and_spend(served, browser, tmp_path):
    from gradio_client import Client

    from music01_core.backends import ApiBackend
    from music01_core.types import MusicRequest

    srv, emu = served
    request = MusicRequest(model=PRICED, lyrics="[Verse]\nla la la la la", prompt="warm lofi hip hop")
    # One piece made in the room (a session of the app), one made elsewhere on the same key.
    Client(srv.url, verbose=False).predict(
        PRICED,
        request.lyrics,
        request.prompt,
        None,
        "",
        False,
        False,
        24000,
        64000,
        "mp3",
        1,
        "",
        "",
        "",
        "",
        "song",
        api_name="/make",
    )
    elsewhere = ApiBackend(
        api_key=KEY, base_url=emu.url, home=tmp_path / "elsewhere", poll_delays=lambda: itertools.repeat(0.2)
    ).make(request)
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    page.goto(srv.url, wait_until="load")
    page.get_by_role("tab", name="Teacher").click()
    page.get_by_label("Teacher token").fill(TOKEN)
    page.get_by_role("button", name="Balance and spend (24 h)").click()
    page.get_by_text(re.compile(r"AI/ML API balance, checked (?:\d{4}-\d\d-\d\d )?\d\d:\d\d")).wait_for(timeout=20_000)
    page.get_by_text(elsewhere.generation_id).first.wait_for(timeout=5_000)
    page.get_by_text(
        re.compile(r"total in the provider's log: \$[\d.]+ \([\d,]+ credits\) for 2 generations")
    ).wait_for(timeout=5_000)
    shot(page, "catalogue-5-teacher-spend")
    assert KEY not in page.content() and TOKEN not in page.content()
