"""Served reference links: unguessable, expiring, and nothing else under the data directory."""

from urllib.parse import urlsplit

from music01_core.share import LinkPublisher, public_base_url


class Clock:
    def __init__(self):
        self.t = 1000.0

    def __call__(self):
        return self.t


def test_publish_resolve_expire(tmp_path, make_audio):
    clock = Clock()
    pub = LinkPublisher(tmp_path / "links", "https://demo.example.hf.space/", ttl_s=60, clock=clock)
    url = pub.publish(make_audio("link.mp3", 12.0))
    parts = urlsplit(url)
    assert url.startswith("https://demo.example.hf.space/music01/ref/") and parts.path.endswith("/reference.mp3")
    token = parts.path.split("/")[3]
    assert len(token) >= 40
    assert pub.resolve(token, "reference.mp3").read_bytes()[:3] in (b"ID3", b"\xff\xfb", b"\xff\xf3")
    assert pub.resolve(token, "other.mp3") is None  # the name is part of the link
    assert pub.resolve("../../etc", "passwd") is None and pub.resolve("x" * 10) is None
    assert pub.resolve(token[:-1] + ("A" if token[-1] != "A" else "B"), "reference.mp3") is None
    clock.t += 61
    assert pub.resolve(token, "reference.mp3") is None and not (tmp_path / "links" / token).exists()


def test_cleanup_removes_only_expired_links(tmp_path, make_audio):
    clock = Clock()
    pub = LinkPublisher(tmp_path / "links", "https://x.test", ttl_s=60, clock=clock)
    pub.publish(make_audio("a.mp3", 12.0))
    clock.t += 50
    fresh = pub.publish(make_audio("a.mp3", 12.0))
    clock.t += 20
    assert pub.cleanup() == 1
    assert pub.resolve(urlsplit(fresh).path.split("/")[3], "reference.mp3") is not None


def test_public_base_url(monkeypatch):
    monkeypatch.delenv("MUSIC01_PUBLIC_URL", raising=False)
    monkeypatch.delenv("SPACE_HOST", raising=False)
    assert public_base_url() is None
    monkeypatch.setenv("SPACE_HOST", "someone-music01.hf.space")
    assert public_base_url() == "https://someone-music01.hf.space"
    monkeypatch.setenv("MUSIC01_PUBLIC_URL", "https://music.example.org/")
    assert public_base_url() == "https://music.example.org"
