"""Reference URLs a stranger may paste, against a hostile web server on 127.0.0.1.

Every case must end in a :class:`ReferenceUrlError` (also a ``ValueError``) whose message
says what to do, before anything is billed, without downloading more than the cap and
without echoing a query token or a ``user:password@``.
"""

from __future__ import annotations

import http.server
import threading
import time
from pathlib import Path

import pytest

from music01_core import errors as E
from music01_core import references
from music01_core.references import choose_reference, reference_from_url
from tests.fileserver import closed_port

pytestmark = pytest.mark.server
TWO_GB = 2 * 1024**3


class Hostile(http.server.BaseHTTPRequestHandler):
    """Routes for each bad case; ``sent`` counts the body bytes written per path."""

    files: dict = {}
    sent: dict = {}
    base = ""

    def log_message(self, *a):
        pass

    def _body(self, data: bytes, ctype="audio/mpeg", status=200):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.sent[self.path] = self.sent.get(self.path, 0) + len(data)

    def _redirect(self, to: str):
        self.send_response(302)
        self.send_header("Location", to)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_GET(self):  # noqa: C901 - one route per case reads best as one table
        path = self.path.split("?")[0]
        try:
            if path in self.files:
                return self._body(self.files[path])
            if path == "/page.mp3":
                return self._body(b"<!doctype html><html><body>Sign in to download</body></html>", "text/html")
            if path == "/empty.mp3":
                return self._body(b"")
            if path == "/loop":
                return self._redirect("/loop")
            if path == "/loop-a":
                return self._redirect(self.base + "/loop-b")
            if path == "/loop-b":
                return self._redirect("/loop-a")
            if path == "/hop":
                return self._redirect("/song.mp3")
            if path == "/to-metadata":
                return self._redirect("http://169.254.169.254/latest/meta-data/")
            if path == "/to-localhost":
                return self._redirect("http://localhost:1/secret.mp3")
            if path == "/to-file":
                return self._redirect("file:///etc/passwd")
            if path == "/huge.mp3":
                # Announces 2 GB, then would send it slowly: a client that trusts the
                # announcement never reads more than the first chunk.
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", str(TWO_GB))
                self.end_headers()
                for _ in range(200):
                    self.wfile.write(b"\xff" * 65536)
                    self.sent[path] = self.sent.get(path, 0) + 65536
                    time.sleep(0.01)
                return None
            if path == "/endless.mp3":
                # No length at all: the cap has to be enforced while reading.
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.end_headers()
                for _ in range(2000):
                    self.wfile.write(b"\xff" * 65536)
                    self.sent[path] = self.sent.get(path, 0) + 65536
                return None
            if path == "/stall.mp3":
                self.send_response(200)
                self.send_header("Content-Type", "audio/mpeg")
                self.send_header("Content-Length", "1000000")
                self.end_headers()
                self.wfile.write(b"\xff" * 1000)
                self.wfile.flush()
                time.sleep(4)
                return None
            return self._body(b"not found", "text/plain", status=404)
        except (BrokenPipeError, ConnectionResetError):
            return None  # the client hung up, as it should on the big ones


@pytest.fixture(scope="module")
def hostile(examples, tmp_path_factory):
    from music01_core import prepare_clip

    d = tmp_path_factory.mktemp("hostile")
    song = prepare_clip(examples["song-e-minor"], d / "song.mp3", start_s=0, end_s=20, model="minimax-music")
    short = prepare_clip(examples["song-e-minor"], d / "short.mp3", start_s=0, end_s=12, model="music-01")

    class Handler(Hostile):
        files = {"/song.mp3": Path(song.path).read_bytes(), "/short.mp3": Path(short.path).read_bytes()}
        sent: dict = {}

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    Handler.base = f"http://127.0.0.1:{srv.server_address[1]}"
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield Handler
    srv.shutdown()


@pytest.fixture
def public_loopback(monkeypatch):
    """Treat 127.0.0.1 as a public host, so the checks on *later* hops are what is tested."""
    real = references._private_host
    monkeypatch.setattr(references, "_private_host", lambda host: host != "127.0.0.1" and real(host))


CASES = [
    # (id, path or absolute URL, options, message that says what to do)
    ("html-not-audio", "/page.mp3", {}, "not audio"),
    ("http-404", "/missing.mp3", {}, "answered HTTP 404: check that"),
    ("empty-file", "/empty.mp3", {}, "returned an empty file"),
    ("redirect-to-itself", "/loop", {}, "redirects in a loop: give the file's final address"),
    ("redirect-a-b-a", "/loop-a", {}, "redirects in a loop"),
    ("2-GB-announced", "/huge.mp3", {}, "is 2048 MB; references are capped at 100 MB"),
    ("no-length-past-cap", "/endless.mp3", {"max_bytes": 2 * 2**20}, "over 2 MB; references are capped"),
    ("stalls-mid-body", "/stall.mp3", {"timeout_s": 1.0}, "could not fetch the reference URL"),
    ("too-short-for-model", "/short.mp3", {}, "needs more than 15 s"),
    ("unreachable", "http://127.0.0.1:{closed}/song.mp3", {}, "could not fetch the reference URL"),
    ("file-scheme", "file:///etc/passwd", {}, "must start with http:// or https://"),
    ("ftp-scheme", "ftp://127.0.0.1/song.mp3", {}, "must start with http:// or https://"),
    ("no-host", "http:///song.mp3", {}, "name a host"),
    ("javascript", "javascript:alert(1)", {}, "must start with http:// or https://"),
]


@pytest.mark.parametrize("case,url,opts,message", CASES, ids=[c[0] for c in CASES])
def test_bad_reference_url(hostile, public_loopback, case, url, opts, message):
    if url.startswith("/"):
        url = hostile.base + url
    url = url.format(closed=closed_port())
    t0 = time.monotonic()
    with pytest.raises(E.ReferenceUrlError, match=message) as exc:
        reference_from_url(url + "?token=sk-query-secret", model="minimax-music", **opts)
    assert isinstance(exc.value, ValueError) and "sk-query-secret" not in str(exc.value)
    assert time.monotonic() - t0 < 15, "a bad URL must fail fast"
    if case == "2-GB-announced":
        # Refused on the announcement: at most what was in flight before the client hung up.
        assert hostile.sent.get("/huge.mp3", 0) < 8 * 2**20
    if case == "no-length-past-cap":
        assert hostile.sent.get("/endless.mp3", 0) < 16 * 2**20


@pytest.mark.parametrize(
    "path,host",
    [("/to-metadata", "169.254.169.254"), ("/to-localhost", "localhost")],
)
def test_a_public_url_may_not_redirect_to_a_private_address(hostile, public_loopback, path, host):
    with pytest.raises(
        E.ReferenceUrlError, match=f"{host} is a private or local address \\(the URL redirects there\\)"
    ):
        reference_from_url(hostile.base + path, model="minimax-music")


def test_a_redirect_to_another_scheme_is_refused(hostile, public_loopback):
    with pytest.raises(E.ReferenceUrlError, match="redirects to 'file:///etc/passwd'"):
        reference_from_url(hostile.base + "/to-file", model="minimax-music")


def test_private_addresses_are_refused_before_any_request(hostile):
    before = dict(hostile.sent)
    for url in (
        hostile.base + "/song.mp3",
        "http://10.1.2.3/song.mp3",
        "http://192.168.0.10/song.mp3",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/song.mp3",
        "http://localhost/song.mp3",
    ):
        with pytest.raises(E.ReferenceUrlError, match="private or local address: the provider cannot fetch it"):
            reference_from_url(url, model="minimax-music")
    assert hostile.sent == before


def test_credentials_in_a_url_are_never_echoed(hostile):
    with pytest.raises(E.ReferenceUrlError) as exc:
        reference_from_url(
            hostile.base.replace("http://", "http://user:sk-pasted-key@") + "/missing.mp3",
            model="minimax-music",
            allow_private=True,
        )
    assert "sk-pasted-key" not in str(exc.value) and "HTTP 404" in str(exc.value)


def test_good_urls_still_work_and_follow_a_redirect(hostile, public_loopback, tmp_path):
    ref = reference_from_url(hostile.base + "/hop", model="minimax-music", cache_dir=tmp_path)
    assert ref.kind == "url" and 19 < ref.duration_s < 21 and ref.value.endswith("/hop")


def test_shared_rule_is_the_callers_choice(hostile):
    class Local:
        local_service = True

    # The offline engine may fetch loopback (a teacher's own file server) ...
    ref = choose_reference("minimax-music", url=hostile.base + "/song.mp3", backend=Local())
    assert ref.duration_s > 15
    # ... but a shared server passes allow_private=False, and then it may not.
    with pytest.raises(E.ReferenceUrlError, match="private or local address"):
        choose_reference("minimax-music", url=hostile.base + "/song.mp3", backend=Local(), allow_private=False)
