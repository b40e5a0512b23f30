"""The provider's model list: read without a key, kept with its ETag, never in the way when the network is not."""

from __future__ import annotations

import json

import requests

from music01_core.catalogue import CatalogueClient
from music01_core.models import MODELS, get_model

LIST = {
    "object": "list",
    "data": [
        {
            "id": "minimax-music",
            "aliases": [],
            "type": "audio",
            "info": {"docsJson": "https://x/mm.json"},
            "pricing": {"kind": "fixed", "currency": "USD", "units": [{"name": "generation", "price": 0.06, "per": 1}]},
        },
        {
            "id": "minimax/music-2.6-v2",
            "aliases": ["MiniMax/Music-2.6"],
            "type": "audio",
            "pricing": {"kind": "variable"},
        },
        {"id": "minimax/music-3.0", "aliases": [], "type": "audio"},
        {"id": "minimax/m2", "aliases": [], "type": "chat-completion"},
    ],
}


class FakeSession:
    """Answers the list's GETs from a queue, and records the headers each carried."""

    def __init__(self, *answers):
        self.answers, self.sent = list(answers), []

    def get(self, url, *, params=None, headers=None, timeout=None, stream=False):
        self.sent.append(dict(headers or {}))
        what = self.answers.pop(0)
        if isinstance(what, Exception):
            raise what
        status, body, extra = what
        r = requests.Response()
        r.status_code, r._content, r._content_consumed = status, body, True
        r.headers.update(extra)
        return r


def _ok(body=LIST, etag='W/"1"'):
    return (200, json.dumps(body).encode(), {"ETag": etag})


def test_the_list_is_read_without_a_key_kept_and_matched_by_id_and_alias(tmp_path):
    s = FakeSession(_ok())
    c = CatalogueClient("https://api.example", tmp_path, session=s).check()
    assert all("Authorization" not in h for h in s.sent)
    assert c.listed(get_model("minimax-music")) and c.find("minimax-music").price_words() == "$0.06 per generation"
    assert c.listed(get_model("minimax/music-2.6"))  # republished: the old name is an alias
    assert c.listed(get_model("minimax/music-1.5")) is False
    assert [m.id for m in c.unsupported(MODELS)] == ["minimax/music-3.0"]
    assert "model list checked" in c.checked_words()


def test_a_fresh_copy_is_not_read_again_and_a_304_costs_nothing(tmp_path):
    s = FakeSession(_ok(), (304, b"", {}))
    client = CatalogueClient("https://api.example", tmp_path, session=s)
    first = client.check()
    assert client.check() == first and len(s.sent) == 1  # fresh: no request
    again = client.check(force=True)
    assert (
        s.sent[1]["If-None-Match"] == 'W/"1"' and again.models == first.models and again.checked_at >= first.checked_at
    )


def test_down_slow_malformed_or_huge_keeps_the_copy_and_says_when_it_was_checked(tmp_path, monkeypatch):
    import music01_core.catalogue as cat

    monkeypatch.setattr(cat, "MAX_BYTES", 1000)
    failures = [
        requests.exceptions.ConnectTimeout("slow"),
        (503, b"{}", {}),
        (200, b"<html>", {}),
        (200, json.dumps({"data": "nope"}).encode(), {}),
        (200, json.dumps({"data": ["x" * 2000]}).encode(), {}),
    ]
    s = FakeSession(_ok(), *failures)
    client = CatalogueClient("https://api.example", tmp_path, session=s)
    good = client.check()
    said = [
        "no answer within 4 s",
        "the list answered HTTP 503",
        "the answer was not a model list",
        "the list has no data",
        "the list is too large to read",
    ]
    for why in said:
        c = client.check(force=True)
        assert c.models == good.models and c.checked_at == good.checked_at
        assert c.checked_words().endswith(f"; the last look failed ({why})")
    never = CatalogueClient(
        "https://api.example", tmp_path / "other", session=FakeSession(requests.exceptions.ConnectionError())
    )
    c = never.check()
    assert c.checked_at is None and c.listed(get_model("minimax-music")) is None
    assert c.checked_words() == "model list not checked (no connection)"


def test_a_model_the_list_no_longer_names_is_refused_before_anything_is_sent(tmp_path, monkeypatch):
    import pytest

    from music01_core import errors as E
    from music01_core.backends.api import ApiBackend
    from music01_core.types import MusicRequest

    monkeypatch.setenv("MUSIC01_HOME", str(tmp_path))
    api = ApiBackend(api_key="0123456789abcdef0123456789abcdef", base_url="https://api.example", home=tmp_path / "h")
    request = MusicRequest(model="minimax/music-1.5", prompt="calm piano ballad", lyrics="[Verse]\\nla la la la")
    api.prepare(request)  # no copy of the list: nothing is known, nothing refused
    CatalogueClient("https://api.example", tmp_path, session=FakeSession(_ok())).check()
    with pytest.raises(E.InputError, match="no longer listed by the provider"):
        api.prepare(request)
    api.prepare(MusicRequest(model="minimax/music-2.6", prompt="calm piano ballad", is_instrumental=True))
