"""The emulator's model catalogue (``GET /v1/models``, ``GET /model/{id}``) and its test controls."""

from __future__ import annotations

import pytest
import requests

from music01_core.emulator import EmulatorServer
from tests.audiogen import KEY

pytestmark = pytest.mark.server

MUSIC = {"minimax-music", "minimax/music-cover", "minimax/music-2.6", "minimax/music-2.0", "minimax/music-1.5"}
MUSIC |= {"elevenlabs/eleven_music", "google/lyria2", "stable-audio"}  # other vendors, the same job interface


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-catalogue")) as s:
        yield s


@pytest.fixture
def emu(server):
    server.catalogue(reset=True)
    server.reset()
    yield server
    server.catalogue(reset=True)


def get(emu, path, **kw):
    return requests.get(emu.url + path, timeout=30, **kw)


def ids(resp):
    return {m["id"] for m in resp.json()["data"]}


@pytest.mark.parametrize("path", ["/v1/models", "/models", "/api/v1/models"])
def test_the_list_needs_no_key(emu, path):
    r = get(emu, path)
    assert r.status_code == 200
    body = r.json()
    assert body["object"] == "list"
    assert MUSIC <= ids(r) and "music-01" not in ids(r) and "minimax/m2" in ids(r)
    for item in body["data"]:
        assert {"id", "aliases", "type", "tags", "info"} <= set(item) and "pricing" not in item
        assert {"name", "developer", "description", "url", "docsUrl", "docsJson"} <= set(item["info"])
        assert item["info"]["docsJson"] == f"{emu.url}/_docs/{item['id']}.json"
    assert {m["type"] for m in body["data"] if m["id"] in MUSIC} == {"audio"}
    assert emu.catalogue()["catalogue_auth_headers"] == 0


@pytest.mark.parametrize("query", ["include=pricing", "include=all", "details=true", "include=bogus,pricing"])
def test_pricing_on_request(emu, query):
    data = {m["id"]: m for m in get(emu, f"/v1/models?{query}").json()["data"]}
    assert data["minimax/music-2.6"]["pricing"] == {
        "kind": "fixed",
        "currency": "USD",
        "units": [{"name": "generation", "price": 0.195, "per": 1}],
    }
    variants = data["minimax/music-2.0"]["pricing"]
    assert variants["kind"] == "variants"
    assert all({"when", "price", "unit", "per"} <= set(v) for v in variants["variants"])
    assert data["minimax/music-1.5"]["pricing"]["kind"] == "variable"
    assert {u["per"] for u in data["minimax/m2"]["pricing"]["units"]} == {1_000_000}


def test_unknown_include_adds_nothing(emu):
    assert all("pricing" not in m for m in get(emu, "/v1/models?include=bogus").json()["data"])


@pytest.mark.parametrize(
    "query, expected",
    [
        ("id=minimax/music-2.6", {"minimax/music-2.6"}),
        ("id=MUSIC-2.6", {"minimax/music-2.6"}),  # an alias, any case
        ("id=minimax/MUSIC-1.5,minimax-m2", {"minimax/music-1.5", "minimax/m2"}),
        ("id=minimax/music-cover&id=gpt-4o", {"minimax/music-cover", "openai/gpt-4o"}),
        ("id=music-01", set()),
        ("type=audio", MUSIC),
        ("type=OpenAI/Chat-Completions", {"minimax/m2", "openai/gpt-4o"}),
        ("type=audio&id=minimax/m2", set()),
    ],
)
def test_filters(emu, query, expected):
    assert ids(get(emu, f"/v1/models?{query}")) == expected


def test_one_model_by_id_or_alias(emu):
    r = get(emu, "/model/minimax/music-2.6")
    assert r.status_code == 200 and r.json()["object"] == "model"
    assert r.json()["data"]["id"] == "minimax/music-2.6" and "pricing" not in r.json()["data"]
    assert get(emu, "/model/Music-2.6?include=pricing").json()["data"]["pricing"]["kind"] == "fixed"
    missing = get(emu, "/model/minimax/music-01")
    assert missing.status_code == 404
    assert {"message", "path", "requestId", "statusCode", "timestamp"} <= set(missing.json())
    assert get(emu, "/v1/model/minimax/music-2.6").status_code == 404  # not under /v1


@pytest.mark.parametrize("path", ["/v1/models?include=pricing", "/model/minimax/music-2.6"])
def test_etag_and_304(emu, path):
    first = get(emu, path)
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = get(emu, path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    emu.catalogue(price={"id": "minimax/music-2.6", "pricing": {"kind": "variable", "currency": "USD"}})
    emu.catalogue(add={"id": "x/new", "type": "audio", "info": {"name": "New", "developer": "X"}})
    changed = get(emu, path, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_delist_add_republish_price_over_http(emu):
    def edit(ops):
        r = requests.post(emu.url + "/_emulator/catalogue", json=ops, timeout=30)
        assert r.status_code == 200, r.text

    edit({"delist": ["minimax/music-1.5"]})
    edit({"add": {"id": "minimax/music-3.0", "type": "audio", "info": {"name": "M3", "developer": "MiniMax"}}})
    edit({"republish": {"id": "minimax/music-2.6", "as": "minimax/music-2.6-v2"}})
    edit({"price": {"id": "minimax/music-cover", "pricing": {"kind": "fixed", "currency": "USD", "units": []}}})
    data = {m["id"]: m for m in get(emu, "/v1/models?include=pricing").json()["data"]}
    assert "minimax/music-1.5" not in data and "minimax/music-3.0" in data
    assert data["minimax/music-3.0"]["aliases"] == [] and data["minimax/music-3.0"]["tags"] == []
    assert "minimax/music-2.6" not in data and "minimax/music-2.6" in data["minimax/music-2.6-v2"]["aliases"]
    assert data["minimax/music-cover"]["pricing"]["units"] == []
    assert ids(get(emu, "/v1/models?id=minimax/music-2.6")) == {"minimax/music-2.6-v2"}
    assert get(emu, "/model/minimax/music-2.6").json()["data"]["id"] == "minimax/music-2.6-v2"
    bad = requests.post(emu.url + "/_emulator/catalogue", json={"delist": ["nope"]}, timeout=30)
    assert bad.status_code == 400


def test_reset_restores_the_defaults(emu):
    emu.catalogue(delist=["minimax/music-2.0"], fault="http:503")
    emu.catalogue(reset=True)
    assert MUSIC <= ids(get(emu, "/v1/models"))


def test_fault_http_is_for_the_next_answer_only(emu):
    emu.catalogue(fault="http:503")
    r = get(emu, "/v1/models")
    assert r.status_code == 503 and r.json()["path"] == "/v1/models"
    assert get(emu, "/v1/models").status_code == 200


def test_fault_badjson_and_slow(emu):
    emu.catalogue(fault="badjson")
    r = get(emu, "/v1/models")
    with pytest.raises(ValueError):
        r.json()
    emu.catalogue(fault="slow")
    r = get(emu, "/v1/models")
    assert r.status_code == 200 and MUSIC <= ids(r)


def test_fault_huge(emu):
    emu.catalogue(fault="huge")
    r = get(emu, "/v1/models")
    assert len(r.content) > 3_000_000
    assert len(get(emu, "/v1/models").content) < 100_000


def test_fault_header(emu):
    assert get(emu, "/model/minimax/music-2.6", headers={"X-Music01-Fault": "http:502"}).status_code == 502


def test_auth_headers_are_ignored_but_counted(emu):
    assert get(emu, "/v1/models", headers={"Authorization": "Bearer wrong"}).status_code == 200
    assert get(emu, "/model/minimax/m2", headers={"Authorization": f"Bearer {KEY}"}).status_code == 200
    get(emu, "/v1/models")
    assert emu.catalogue()["catalogue_auth_headers"] == 2
    assert emu.state.stats["catalogue_auth_headers"] == 2
    emu.reset()
    assert emu.catalogue()["catalogue_auth_headers"] == 0
