"""Getting a reference to the provider: a URL, Base64, a served link, or a local file.

A local file has no address the provider can fetch.  The job models take the reference
as ``reference_audio_url``: an http(s) URL the person gives (fetched here once, to check it
is audio of the right length before anything is billed), Base64 of the prepared clip where
the model documents it (``minimax/music-cover``), or a short-lived, unguessable link to the
prepared clip served by the app itself when it runs at a public address
(:mod:`music01_core.share`).  :func:`route_reference` picks the way the model and the
situation allow, or says plainly which ways there are.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import logging
import os
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit, urlunsplit

from .errors import AudioInputError, NoReferenceRouteError, ReferenceUrlError
from .models import MODELS, get_model
from .storage import atomic_write_bytes
from .transport import read_capped

logger = logging.getLogger(__name__)

__all__ = [
    "Reference",
    "reference_from_file",
    "reference_from_url",
    "route_reference",
    "check_file_route",
    "is_loopback_url",
    "choose_reference",
    "MAX_REFERENCE_DOWNLOAD_BYTES",
]

#: A reference fetched to be checked is capped at this size (music-cover's own cap is 50 MB).
MAX_REFERENCE_DOWNLOAD_BYTES = 100 * 1024 * 1024
_MIME = {
    "mp3": "audio/mpeg",
    "wav": "audio/wav",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "m4a": "audio/mp4",
    "mov": "audio/mp4",
}


@dataclass(frozen=True)
class Reference:
    """A checked reference and how it reaches the provider.

    Attributes
    ----------
    kind : {"file", "url", "base64", "link"}
        ``file``: a local file (the offline engine, music-01's upload); ``url``: a URL the
        person gave; ``base64``: the audio inside the request; ``link``: the app's own
        short-lived link to the clip.
    value : str
        The local path, the URL, or the ``data:`` URI (never logged or stored).
    sha256 : str
        Hex SHA-256 of the audio bytes.
    bytes : int
    duration_s : float
        Decoded length in seconds.
    format : str
        Container (``mp3``, ``wav``…).
    name : str
        A display name (the file's stem, or the URL's last path part).
    local_path : str or None
        A local copy of the audio, when there is one.
    """

    kind: str
    value: str = field(repr=False)
    sha256: str
    bytes: int
    duration_s: float
    format: str
    name: str = ""
    local_path: str | None = None

    def describe(self) -> dict:
        """What the history keeps: never the Base64 payload nor a link's secret token."""
        d = {
            "kind": self.kind,
            "sha256": self.sha256,
            "bytes": self.bytes,
            "duration_s": round(self.duration_s, 3),
            "format": self.format,
            "name": self.name,
        }
        if self.kind == "url":
            d["url"] = _without_query(self.value)
        return d


def _without_query(url: str) -> str:
    # Query strings of signed URLs hold credentials of their own: keep the address only.
    parts = urlsplit(url)
    # No query (it may carry a signed token) and no user:password@ (a key pasted there).
    netloc = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def reference_from_file(path: str | os.PathLike, *, model=None) -> Reference:
    """Check a local clip against ``model``'s reference rules and describe it.

    Raises
    ------
    AudioInputError
        A subclass saying what is wrong (format, length, size) and that ``prepare`` fixes it.
    """
    from .audio import inspect_clip

    clip = inspect_clip(path, model=model)
    return Reference(
        kind="file",
        value=str(clip.path),
        sha256=clip.sha256,
        bytes=clip.bytes,
        duration_s=clip.duration_s,
        format=clip.format,
        name=Path(clip.path).stem,
        local_path=str(clip.path),
    )


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is this machine (127.0.0.0/8, ::1, localhost)."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _private_host(host: str) -> bool:
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False  # unresolvable: the fetch below says so
    for info in infos:
        try:
            ip = ipaddress.ip_address(info[4][0])
        except ValueError:
            continue
        if ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved:
            return True
    return False


_MAX_REDIRECTS = 5


def _check_host(url: str, *, allow_private: bool, hop: bool = False) -> None:
    """Refuse a non-http(s) URL, and a private or local host unless ``allow_private``."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        got = repr(_without_query(url)[:80])
        raise ReferenceUrlError(
            f"the reference URL redirects to {got}: give the http(s) address of the file itself."
            if hop
            else f"the reference URL must start with http:// or https:// and name a host; got {got}."
        )
    if not allow_private and _private_host(parts.hostname):
        raise ReferenceUrlError(
            f"{parts.hostname} is a private or local address"
            + (" (the URL redirects there)" if hop else "")
            + ": the provider cannot fetch it. Give a public URL, or use a local file with Base64 "
            "(minimax/music-cover)."
        )


def _get_checked_redirects(http, url: str, *, allow_private: bool, timeout_s: float):
    """GET ``url``, following redirects by hand so that every hop's host is checked.

    ``requests`` would follow a public URL's redirect to 169.254.169.254 or 127.0.0.1 without
    asking: on a shared server that would let a stranger make the server fetch its own
    private network.  Returns the final streamed response (use it as a context manager).
    """
    import requests

    seen = set()
    for _ in range(_MAX_REDIRECTS + 1):
        _check_host(url, allow_private=allow_private, hop=bool(seen))
        seen.add(url)
        r = http.get(
            url, stream=True, timeout=(10.0, timeout_s), headers={"User-Agent": "music01"}, allow_redirects=False
        )
        if not r.is_redirect:
            return r
        nxt = r.headers.get("Location", "")
        r.close()
        url = urljoin(url, nxt)
        if url in seen:
            break
    raise requests.exceptions.TooManyRedirects("redirect loop")


def reference_from_url(
    url: str,
    *,
    model=None,
    cache_dir: str | os.PathLike | None = None,
    allow_private: bool = False,
    session=None,
    timeout_s: float = 30.0,
    max_bytes: int = MAX_REFERENCE_DOWNLOAD_BYTES,
) -> Reference:
    """Fetch a reference URL once and check it is audio the model accepts.

    Parameters
    ----------
    url : str
        An http(s) URL.
    model : str or Model, optional
    cache_dir : path-like, optional
        Where to keep the fetched copy (default a temporary folder).
    allow_private : bool
        Accept loopback and private-network addresses.  Only when the service itself runs
        here (the emulator, the offline engine): the provider cannot reach them.
    session : requests.Session, optional
    timeout_s : float
    max_bytes : int
        Refuse larger files, before downloading when the server says their size.

    Returns
    -------
    Reference
        ``kind="url"``, with a local copy in ``local_path``.

    Raises
    ------
    ReferenceUrlError
        Unreachable, not http(s), private, too big, not audio, or outside the model's bounds.
    """
    import requests

    m = get_model(model)
    url = (url or "").strip()
    _check_host(url, allow_private=allow_private)

    shown = _without_query(url)
    data = _fetch(
        session or requests.Session(), url, shown, allow_private=allow_private, timeout_s=timeout_s, max_bytes=max_bytes
    )
    if not data:
        raise ReferenceUrlError(f"the reference URL {shown} returned an empty file.")
    return _kept_copy(data, url, m, shown, cache_dir)


def _kept_copy(data: bytes, url: str, m, shown: str, cache_dir) -> Reference:
    """Keep the fetched bytes under ``cache_dir``, check them as ``m``'s reference, and describe them."""
    digest = hashlib.sha256(data).hexdigest()
    folder = Path(cache_dir) if cache_dir is not None else Path(tempfile.mkdtemp(prefix="music01-ref-"))
    folder.mkdir(parents=True, exist_ok=True)
    local = folder / f"{digest[:24]}.bin"
    atomic_write_bytes(local, data)
    ref = _check_fetched(local, m, shown)
    parts = urlsplit(url)
    name = Path(parts.path).stem or parts.hostname
    return Reference(
        kind="url",
        value=url,
        sha256=digest,
        bytes=len(data),
        duration_s=ref[0],
        format=ref[1],
        name=name,
        local_path=str(local),
    )


def _fetch(http, url: str, shown: str, *, allow_private: bool, timeout_s: float, max_bytes: int) -> bytes:
    """The bytes at ``url``, capped at ``max_bytes``; every failure as a ReferenceUrlError naming ``shown``."""
    import requests

    try:
        with _get_checked_redirects(http, url, allow_private=allow_private, timeout_s=timeout_s) as r:
            if r.status_code != 200:
                raise ReferenceUrlError(
                    f"the reference URL answered HTTP {r.status_code}: check that {shown} is public and spelled right."
                )
            return read_capped(
                r,
                max_bytes=max_bytes,
                too_big=lambda n: ReferenceUrlError(
                    f"the file at {shown} is "
                    + (f"{n / 2**20:.0f} MB" if n else f"over {max_bytes / 2**20:.0f} MB")
                    + f"; references are capped at {max_bytes / 2**20:.0f} MB — give a shorter clip."
                ),
            )
    except requests.exceptions.TooManyRedirects:
        raise ReferenceUrlError(f"{shown} redirects in a loop: give the file's final address.") from None
    except requests.exceptions.RequestException as exc:
        raise ReferenceUrlError(
            f"could not fetch the reference URL {shown} ({type(exc).__name__}): check the "
            "address and that it is public."
        ) from None


def _check_fetched(local: Path, m, shown: str) -> tuple[float, str]:
    from . import ffmpeg

    try:
        meas = ffmpeg.measure(local)
    except AudioInputError:
        raise ReferenceUrlError(
            f"{shown} is not audio ffmpeg can decode (a web page or an error page?): give a "
            "direct link to a WAV or MP3 file."
        ) from None
    spec = m.reference
    if spec.formats and meas.container not in spec.formats:
        raise ReferenceUrlError(
            f"{shown} is {meas.container}; {m.id} takes "
            f"{' or '.join(f.upper() for f in spec.formats)} — convert it, or use a local file."
        )
    if spec.limits and not spec.limits.accepts(meas.duration_s):
        lim = spec.limits
        need = "more than" if lim.min_exclusive else "at least"
        raise ReferenceUrlError(
            f"{shown} is {meas.duration_s:.1f} s; {m.id} needs {need} {lim.min_s:g} s and at "
            f"most {lim.max_s:g} s — choose another file or prepare a clip."
        )
    if spec.max_bytes and local.stat().st_size > spec.max_bytes:
        raise ReferenceUrlError(f"{shown} is over {spec.max_bytes / 2**20:.0f} MB, {m.id}'s limit.")
    return meas.duration_s, meas.container


def _as_base64(ref: Reference) -> Reference:
    data = Path(ref.local_path or ref.value).read_bytes()
    uri = f"data:{_MIME.get(ref.format, 'application/octet-stream')};base64,{base64.b64encode(data).decode('ascii')}"
    return Reference(
        kind="base64",
        value=uri,
        sha256=ref.sha256,
        bytes=ref.bytes,
        duration_s=ref.duration_s,
        format=ref.format,
        name=ref.name,
        local_path=ref.local_path,
    )


def route_reference(ref: Reference | None, model, *, offline: bool = False, publisher=None) -> Reference | None:
    """Choose how ``ref`` reaches ``model``'s provider.

    Parameters
    ----------
    ref : Reference or None
    model : str or Model
    offline : bool
        The offline engine reads local files as they are.
    publisher : share.LinkPublisher, optional
        The app's link publisher when it runs at a public address.

    Returns
    -------
    Reference or None
        None for a model that takes no reference.

    Raises
    ------
    NoReferenceRouteError
        A URL-only model, a local file and no public address: names the three ways.
    ReferenceInputError
        A model that needs a reference got none.
    """
    from .errors import ReferenceInputError

    m = get_model(model)
    ways = m.reference.ways
    if not ways:
        return None
    if ref is None:
        raise ReferenceInputError(
            f"{m.id} needs a reference track: prepare a clip from a file"
            + (" or give its URL." if "url" in ways else ".")
        )
    if offline or ref.kind != "file":
        return ref
    if m.reference.local_file:  # the adapter sends the file itself (music-01's upload, Replicate's Files API)
        return ref
    if "base64" in ways:
        if m.reference.max_bytes and ref.bytes * 4 / 3 > m.reference.max_bytes:
            raise ReferenceInputError(
                f"the clip is too big to send as Base64 ({ref.bytes / 2**20:.1f} MB): prepare a shorter MP3 clip."
            )
        return _as_base64(ref)
    if publisher is not None:
        return publisher.link(ref)
    raise _no_route(m)


def check_file_route(model, *, offline: bool = False, publisher=None) -> None:
    """Raise at once when a file on this computer has no way to reach ``model``'s provider.

    Called before a clip is prepared or anything is billed, so that a person hears it
    first, with the model that takes the clip itself (:attr:`NoReferenceRouteError.alternative`).

    Raises
    ------
    NoReferenceRouteError
    """
    m = get_model(model)
    ways = m.reference.ways
    if offline or not ways or m.reference.local_file or "base64" in ways or publisher is not None:
        return
    raise _no_route(m)


def _no_route(m) -> NoReferenceRouteError:
    # The model to offer comes from the table: a live one that takes the audio itself.
    alternative = next((x.id for x in MODELS.values() if x.live and "base64" in x.reference.ways), None)
    second = (
        f"(2) choose {alternative}, which also takes the audio itself as Base64 (with a style prompt); "
        if alternative
        else ""
    )
    return NoReferenceRouteError(
        f"{m.id} takes its reference as a URL the provider can fetch, and a file on this computer has none. "
        "Ways in: (1) give a public http(s) URL of the WAV/MP3 (--reference-url, or the app's URL field); "
        f"{second}({'3' if alternative else '2'}) run the app at a public address (a Hugging Face Space, or set "
        "MUSIC01_PUBLIC_URL), which then serves the prepared clip at a short-lived private link.",
        alternative=alternative,
    )


def choose_reference(
    model,
    *,
    clip: str | os.PathLike | None = None,
    url: str | None = None,
    backend=None,
    cache_dir: str | os.PathLike | None = None,
    allow_private: bool | None = None,
) -> Reference | None:
    """The checked reference for ``model``: the URL when one is given, else the local clip.

    Parameters
    ----------
    model : str or Model
    clip : path-like, optional
        A prepared clip.
    url : str, optional
        A public http(s) URL (fetched once here, to check it).
    backend : Backend, optional
        Loopback and private URLs are accepted only when the service runs on this machine
        (the offline engine, or the API backend pointed at the emulator).
    cache_dir : path-like, optional
        Where a fetched copy is kept.
    allow_private : bool, optional
        Overrides the rule above; a shared server passes False so that strangers cannot
        make it fetch addresses on its own network.

    Returns
    -------
    Reference or None
        None for a model that takes no reference.
    """
    from .errors import ReferenceInputError

    m = get_model(model)
    if not m.takes_reference:
        return None
    if (url or "").strip():
        if "url" not in m.reference.ways:
            raise ReferenceInputError(f"{m.id} does not take a reference URL: give a file instead.")
        if allow_private is None:
            allow_private = backend is None or backend.local_service
        return reference_from_url(url.strip(), model=m, cache_dir=cache_dir, allow_private=allow_private)
    if clip:
        return reference_from_file(clip, model=m)
    raise ReferenceInputError(
        f"{m.id} needs a reference track: a prepared clip"
        + (" or a public URL of a WAV/MP3." if "url" in m.reference.ways else ".")
    )
