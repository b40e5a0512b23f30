"""The provider's live list, prices and balance in the app (issue 23), driven through ``gradio_client``
against the emulator: the picker marks a model the list no longer names, the price beside Generate
says its figure and source, a delisted model is refused before anything is billed, the teacher's
estimate names the list, and no balance or spend of the server's key reaches a session without the
teacher token.
"""

from __future__ import annotations

import itertools
import re
import socket
import threading
import time
from pathlib import Path

import pytest
import requests

from tests.appserver import AppServer
from tests.audiogen import KEY

pytestmark = pytest.mark.app
TOKEN = "teacher-c4t4l0gue"
OTHER = "sk-test-OWNKEY-9876543210fedcba"  # a person's own key (the emulator takes any key)
LYRICS = "[Verse]\nla la la la la"
STYLE = "warm lofi hip hop"
DELISTED = "minimax/music-1.5"
PRICED = "minimax/music-2.6"
NEW = "minimax/music-3.0"
#: A figure no default of the emulator has: the list's price of PRICED.
PRICE = {"kind": "fixed", "currency": "USD", "units": [{"name": "generation", "price": 0.25, "per": 1}]}
# Today "checked 10:42"; a list read before midnight "checked 2026-12-06 23:59" (pricing.checked_words_at).
CHECKED = r"checked (?:\d{4}-\d\d-\d\d )?\d\d:\d\d"


def make(model: str, key: str = "") -> tuple:
    """``/make``'s inputs, in its order: a small, quick piece."""
    return (model, LYRICS, STYLE, None, "", False, False, 24000, 64000, "mp3", 1, key, "", "", "", "song")


def price(client, model: str, key: str = "", sample_rate: int = 44100) -> str:
    return client.predict(model, key, "", sample_rate, 256000, "mp3", api_name="/price")


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """The emulator's list with DELISTED gone, PRICED at $0.25 and NEW added; the app starts with a copy of it
    on disk (a server restarted after a check), on the emulator's key, in room mode."""
    from music01_core.catalogue import CatalogueClient
    from music01_core.emulator import EmulatorServer
    from music01_core.models import SERVICES

    with EmulatorServer(home=tmp_path_factory.mktemp("emu-cat"), latency_s=0.3) as emu:
        emu.catalogue(
            delist=[DELISTED],
            price={"id": PRICED, "pricing": PRICE},
            add={"id": NEW, "type": "audio", "info": {"name": "MiniMax Music 3.0", "developer": "MiniMax"}},
        )
        home = tmp_path_factory.mktemp("app-cat") / "home"
        copy = CatalogueClient.of(SERVICES["aimlapi"], emu.url, home=home).check(force=True)
        assert copy.checked_at is not None and copy.find(DELISTED) is None
        srv = AppServer(
            home,
            AIML_API_KEY=KEY,
            AIML_API_BASE=emu.url,
            MUSIC01_SHARED="1",
            MUSIC01_GENERATIONS_PER_HOUR="50",
            MUSIC01_ROOM_GENERATIONS_PER_HOUR="10",
            MUSIC01_TEACHER_TOKEN=TOKEN,
        ).start()
        yield srv, emu
        srv.stop()


def _menu(srv) -> dict:
    config = requests.get(srv.url + "config", timeout=10).json()
    (menu,) = [c["props"] for c in config["components"] if c.get("props", {}).get("label") == "Model"]
    return menu


def test_the_picker_marks_a_model_the_list_no_longer_names(served):
    from music01_core.models import MODELS, model_label

    srv, _ = served
    menu = _menu(srv)
    labels = {value: label for label, value in menu["choices"]}
    assert set(labels) == set(MODELS), "the menu's values are the model ids, as scripts pass them"
    assert re.fullmatch(
        re.escape(model_label(DELISTED)) + rf" — no longer listed by the provider \({CHECKED}\)", labels[DELISTED]
    ), labels[DELISTED]
    assert labels[PRICED] == model_label(PRICED), "a listed model's label is unchanged"
    assert labels["replicate/minimax/music-1.5"] == model_label("replicate/minimax/music-1.5")  # Replicate: no list
    # The page opens on the server key's model: the hint says the list names it, and what it lists beyond ours.
    assert menu["value"] == "minimax-music" and menu["info"].startswith("minimax-music takes")
    assert re.search(rf"· listed by the provider \({CHECKED}\)", menu["info"]), menu["info"]
    assert f"{NEW}: listed by the provider, not supported here yet" in menu["info"]


def test_the_price_beside_generate_says_the_lists_figure_and_source(served):
    from gradio_client import Client

    srv, _ = served
    c = Client(srv.url, verbose=False)
    line = price(c, PRICED)
    assert re.fullmatch(
        rf"local emulator: nothing is billed · at the provider: ≈ \$0\.25 \(500,000 credits\) a piece · "
        rf"provider's list, {CHECKED}",
        line,
    ), line
    # A `variants` price: the variant of the page's settings (44.1 kHz by default), said as such.
    two = price(c, "minimax/music-2.0")
    assert "≈ $0.12 (240,000 credits) a piece · provider's list" in two and two.endswith("for these settings"), two
    # Delisted: the list has no figure, this session's history neither.
    assert "no price figure (the provider's list has none, none in your history)" in price(c, DELISTED)
    # No Replicate token anywhere: the offline engine stands in, and it is free.
    assert price(c, "replicate/minimax/music-2.6") == "offline engine: free"


def test_a_delisted_model_is_refused_before_anything_is_billed(served):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    srv, emu = served
    before = len(emu.stats()["submits"])
    for key in ("", OTHER):  # the server's key, then a person's own
        with pytest.raises(AppError) as caught:
            Client(srv.url, verbose=False).predict(*make(DELISTED, key), api_name="/make")
        said = str(caught.value)
        assert re.search(rf"{DELISTED} is no longer listed by the provider \({CHECKED}\): nothing was sent", said), said
        assert "Traceback" not in said
    assert len(emu.stats()["submits"]) == before, "a delisted model must not reach the provider"
    # A listed model on the same server still goes through.
    _, info = Client(srv.url, verbose=False).predict(*make(PRICED), api_name="/make")
    assert info["backend"] == "api" and len(emu.stats()["submits"]) == before + 1


def test_the_teachers_estimate_names_the_list(served):
    from gradio_client import Client

    srv, _ = served
    panel = Client(srv.url, verbose=False).predict(TOKEN, PRICED, api_name="/room")
    assert re.search(
        r"At most, per hour of class: 10 generations of minimax/music-2\.6 ≈ \$2\.50 \(5,000,000 credits\) at "
        rf"\$0\.25 \(500,000 credits\) each \(provider's list, {CHECKED}\)",
        panel,
    ), panel


def _figures(usd: float) -> list[str]:
    from music01_core.account import credits_of, money

    return [money(usd), f"{credits_of(usd):,} credits"]


def _server_balance(emu) -> float:
    import hashlib

    state = emu.billing()
    return state["balances"].get(hashlib.sha256(KEY.encode()).hexdigest()[:12], state["balance_usd"])


def _arguments(endpoint: dict) -> list:
    """Every parameter of a public endpoint at its default, or empty (no token, no key)."""
    out = []
    for p in endpoint["parameters"]:
        if p.get("parameter_has_default"):
            value = p.get("parameter_default")
        else:
            value = {"str": "", "float": 0, "int": 0, "bool": False}.get((p.get("python_type") or {}).get("type"))
        if "key" in p["parameter_name"] or "token" in p["parameter_name"]:
            value = ""
        out.append(value)
    return out


def test_no_balance_or_spend_of_the_server_key_without_the_teacher_token(served, tmp_path):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    from music01_core.backends import ApiBackend
    from music01_core.types import MusicRequest

    srv, emu = served
    # A piece billed on the server's key that no session here knows (made on another machine).
    elsewhere = ApiBackend(
        api_key=KEY, base_url=emu.url, home=tmp_path / "elsewhere", poll_delays=lambda: itertools.repeat(0.2)
    ).make(MusicRequest(model=PRICED, lyrics=LYRICS, prompt=STYLE))
    stranger = Client(srv.url, verbose=False, download_files=False)
    made = stranger.predict(*make(PRICED), api_name="/make")  # a student on the server's key
    server_usd = _server_balance(emu)
    assert server_usd < 10.0, "the emulator bills the server's key"
    secret = _figures(server_usd)

    # Every public endpoint, without the teacher token or a key: what comes back (or the refusal) has no
    # balance, no "balance, checked", no spend report.
    endpoints = stranger.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert {"/balance", "/price", "/room_account", "/make", "/room"} <= set(endpoints)
    seen = {"/make (the student's piece)": repr(made)}
    for name, endpoint in endpoints.items():
        try:
            seen[name] = repr(
                Client(srv.url, verbose=False, download_files=False).predict(*_arguments(endpoint), api_name=name)
            )
        except (AppError, ValueError, TypeError) as exc:
            seen[name] = f"refused: {exc}"
    for name, text in seen.items():
        for figure in (*secret, "balance, checked", "spend over the last", "usage log", elsewhere.generation_id):
            assert figure not in text, (name, figure, text)
    assert "refused" in seen["/room_account"] and "teacher token" in seen["/room_account"]
    assert seen["/balance"] == repr(
        "Paste your own AI/ML API key above to see what it has left (shown only in this browser tab)."
    )

    # A person's own key: its balance, not the server's.
    own = Client(srv.url, verbose=False).predict(OTHER, api_name="/balance")
    assert re.fullmatch(
        rf"\$10\.00 \(20,000,000 credits\) · AI/ML API balance, {CHECKED} — your key, shown only in this tab", own
    ), own

    # The teacher: the server key's balance and the last 24 hours, with the unknown row's generation id.
    panel = Client(srv.url, verbose=False).predict(TOKEN, api_name="/room_account")
    assert f"**Balance:** {secret[0]} ({secret[1]}) · AI/ML API balance, checked" in panel, panel
    assert "billed on this key but not in your history (1)" in panel and elsewhere.generation_id in panel, panel
    assert re.search(r"total here: \$[\d.]+ \([\d,]+ credits\) for [1-9]\d* piece", panel), panel
    assert re.search(r"total in the provider's log: \$[\d.]+ \([\d,]+ credits\) for [2-9]\d* generations", panel), panel
    for text in (requests.get(srv.url + "config", timeout=10).text, srv.logs(), panel, own):
        assert KEY not in text and OTHER not in text and TOKEN not in text


def test_a_short_shared_key_is_refused_without_saying_its_balance(served):
    from gradio_client import Client
    from gradio_client.exceptions import AppError

    srv, emu = served
    emu.billing(balance_usd=0.05)
    try:
        before = len(emu.stats()["submits"])
        with pytest.raises(AppError) as caught:
            Client(srv.url, verbose=False).predict(*make(PRICED), api_name="/make")
        said = str(caught.value)
        assert "The shared key's balance is below this piece's price (≈ $0.25 (500,000 credits) a piece" in said, said
        for figure in _figures(0.05):
            assert figure not in said, said
        # A person's own short key: its own balance is theirs to read.
        with pytest.raises(AppError) as caught:
            Client(srv.url, verbose=False).predict(*make(PRICED, OTHER), api_name="/make")
        assert "balance $0.05 (100,000 credits) is below this piece's price" in str(caught.value)
        assert len(emu.stats()["submits"]) == before, "nothing is sent when the balance is short"
    finally:
        emu.billing(balance_usd=10.0)


def test_start_up_never_waits_on_the_list(monkeypatch, tmp_path):
    """A list that never answers: the refresh starts in the background and the page says "not checked"."""
    from music01_ui import session
    from music01_ui.generate import price_line
    from music01_ui.model import model_info

    with socket.socket() as silent:  # accepts connections (the backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        for name in ("AIML_API_KEY", "AIMLAPI_API_KEY", "AIML_API_BASE", "AIMLAPI_BASE_URL", "REPLICATE_API_TOKEN"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("MUSIC01_HOME", str(tmp_path))
        monkeypatch.setenv("AIML_API_KEY", KEY)
        monkeypatch.setenv("AIML_API_BASE", f"http://127.0.0.1:{silent.getsockname()[1]}")
        started = time.monotonic()
        thread = session.start_listing_refresh(every_s=3600)
        assert isinstance(thread, threading.Thread) and thread.daemon
        assert time.monotonic() - started < 1.0, "start-up must not wait on the list"
        assert model_info(PRICED).endswith(" · model list not checked")
        assert "model list not checked" in price_line(PRICED)
        copy = Path(tmp_path) / "catalogue" / "aimlapi.json"
        deadline = time.monotonic() + 20
        while not copy.exists():  # the read gave up (its short timeout) and noted why
            assert time.monotonic() < deadline and thread.is_alive()
            time.sleep(0.2)
        assert model_info(PRICED).endswith(" · model list not checked")


def _in_process(monkeypatch, tmp_path, emu):
    """This process as the served app (shared, on the emulator's key, in a room), with fresh allowances."""
    from music01_core.catalogue import CatalogueClient
    from music01_core.models import SERVICES
    from music01_ui import session

    for name in ("AIML_API_KEY", "AIMLAPI_API_KEY", "AIML_API_BASE", "AIMLAPI_BASE_URL", "REPLICATE_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path))
    monkeypatch.setenv("AIML_API_KEY", KEY)
    monkeypatch.setenv("AIML_API_BASE", emu.url)
    assert CatalogueClient.of(SERVICES["aimlapi"], emu.url, home=tmp_path).check(force=True).checked_at
    monkeypatch.setattr(session, "SHARED", True)
    monkeypatch.setattr(session, "LIMITER", session.RateLimiter(50))
    monkeypatch.setattr(session, "ROOM_LIMITER", session.RateLimiter(10))
    return session


def _person(sid: str, host: str):
    from types import SimpleNamespace

    return SimpleNamespace(session_hash=sid, client=SimpleNamespace(host=host), headers={}, query_params={})


def test_a_refusal_before_the_send_gives_the_shared_allowance_back(served, monkeypatch, tmp_path):
    import gradio as gr

    from music01_core.backends import ApiBackend
    from music01_core.errors import ApiInvalidRequestError, InvalidRequestError
    from music01_ui.generate import api_make

    srv, emu = served
    session = _in_process(monkeypatch, tmp_path, emu)
    person = _person("refund-me", "10.9.8.7")
    counted = lambda: (  # noqa: E731
        session.ROOM_LIMITER.used("room"),
        session.LIMITER.used("session:refund-me"),
        session.LIMITER.used("ip:10.9.8.7"),
    )
    quiet = lambda *a, **k: None  # noqa: E731 - no progress bar here
    emu.billing(balance_usd=0.05)
    try:
        before = len(emu.stats()["submits"])
        for _ in range(3):  # the balance check refuses: nothing was sent, nothing is counted
            with pytest.raises(gr.Error, match="shared key's balance is below this piece's price"):
                api_make(*make(PRICED), request=person, progress=quiet)
        assert len(emu.stats()["submits"]) == before and counted() == (0, 0, 0)
    finally:
        emu.billing(balance_usd=10.0)

    # A check of the request's own in the send path, before the submit: given back too.
    def refuse(self, job, provider, error=InvalidRequestError):
        raise error("this request cannot be sent as it is: nothing was sent.")

    monkeypatch.setattr(ApiBackend, "_refuse_short", refuse)
    with pytest.raises(gr.Error, match="nothing was sent"):
        api_make(*make(PRICED), request=person, progress=quiet)
    assert counted() == (0, 0, 0)
    # The service's own answer (it was sent): counted.
    monkeypatch.setattr(ApiBackend, "_refuse_short", lambda *a: refuse(*a, error=ApiInvalidRequestError))
    with pytest.raises(gr.Error):
        api_make(*make(PRICED), request=person, progress=quiet)
    assert counted() == (1, 1, 1)


def test_balance_reads_are_throttled_per_session_and_address_and_the_providers_words_stay_plain(
    served, monkeypatch, tmp_path
):
    import gradio as gr

    from music01_core.backends import ApiBackend
    from music01_core.errors import ApiError
    from music01_ui import account

    srv, emu = served
    session = _in_process(monkeypatch, tmp_path, emu)
    assert (account.BALANCE_LIMITER.limit, account.BALANCE_LIMITER.window_s) == (10, 600.0)
    monkeypatch.setattr(account, "BALANCE_LIMITER", session.RateLimiter(10, 600.0))
    reads = lambda: emu.stats()["methods"].get("GET /v2/billing", 0)  # noqa: E731
    first = reads()
    for _ in range(10):
        shown = account.api_balance(OTHER, request=_person("tester", "203.0.113.7"))
        assert shown.endswith("— your key, shown only in this tab"), shown
    assert reads() == first + 10
    for who in (_person("tester", "203.0.113.7"), _person("fresh-tab", "203.0.113.7"), _person("tester", "10.1.1.1")):
        with pytest.raises(gr.Error, match=r"at most 10 times in 10 minutes for each person: try again in \d+ min"):
            account.api_balance(f"{OTHER}-{who.session_hash}", request=who)
    assert reads() == first + 10, "a refused read asks the provider nothing"
    assert account.api_balance(OTHER, request=_person("someone-else", "198.51.100.2")).endswith("only in this tab")
    # No key pasted, or one that cannot be sent: nothing is read, nothing is counted.
    assert account.api_balance("", request=_person("tester", "203.0.113.7")) == account.NO_KEY

    # What the provider (or anyone answering at its address) says is shown as plain text, not as Markdown or HTML.
    def hostile(self, service="aimlapi", **_):
        raise ApiError("<img src=x onerror=alert(1)> **pay** [here](https://evil.example/x) $$x$$\n# top up")

    monkeypatch.setattr(ApiBackend, "balance", hostile)
    said = account.api_balance(OTHER, request=_person("quiet", "192.0.2.9"))
    assert said.startswith("❌ Balance not read: ") and "\n" not in said
    for raw in ("<img", "**pay**", "[here](", "$$", "\n# top"):
        assert raw not in said, said
    assert "&lt;img src=x onerror=alert\\(1\\)&gt;" in said and "\\*\\*pay\\*\\*" in said, said
    assert "\\[here\\]\\(https://evil\\.example/x\\)" in said and "\\$\\$x\\$\\$ \\# top up" in said, said
