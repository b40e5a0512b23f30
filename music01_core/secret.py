"""A wrapper that keeps an API key out of reprs, logs, tracebacks and pickles."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["Secret", "clean_api_key", "looks_like_key", "redact_url"]

# A run of 16+ letters and digits with both in it: the shape of an API key (AI/ML API keys
# are 32 hex characters), and not of a host label or path word people type.
_KEYLIKE = re.compile(r"[A-Za-z0-9]{16,}")


def clean_api_key(raw: str, *, where: str = "your AI/ML API dashboard") -> str:
    """An API key as pasted, made safe to send: surrounding spaces and line ends removed.

    A line break or other control character *inside* the key (a common paste) is refused,
    without echoing the key: ``http.client`` would otherwise fail with a message that
    contains the whole ``Authorization`` header.

    Raises
    ------
    InputError
        When the key holds control characters, spaces or non-ASCII characters.
    """
    from .errors import InputError

    key = (raw or "").strip()
    if any(ord(c) < 33 or ord(c) == 127 for c in key):
        raise InputError(
            "the API key contains a line break, space or other control character (a common copy-paste "
            f"slip): copy the key again from {where}, as one line."
        )
    if not key.isascii():
        raise InputError(
            "the API key contains characters that are not plain ASCII (curly quotes or a stray symbol "
            f"from copying?): copy the key again from {where}."
        )
    return key


def looks_like_key(part: str) -> bool:
    """Whether one piece of a URL (a host label, a path segment) has the shape of an API key."""
    return any(any(c.isdigit() for c in run) and any(c.isalpha() for c in run) for run in _KEYLIKE.findall(part or ""))


def redact_url(url: str) -> str:
    """``url`` safe to show in a message or log: what may carry a secret is replaced by ``…``.

    User names and passwords, query strings and fragments go, and so does every host label or
    path segment shaped like a key (a key pasted into ``AIML_API_BASE`` by mistake).
    """
    try:
        parts = urlsplit(url or "")
    except ValueError:
        return "<an unreadable URL>"
    host = parts.hostname or ""
    host = ".".join("…" if looks_like_key(label) else label for label in host.split("."))
    if ":" in host:
        host = f"[{host}]"  # an IPv6 address keeps its brackets
    try:
        port = parts.port
    except ValueError:
        port = None
    netloc = ("…@" if "@" in parts.netloc else "") + host + (f":{port}" if port else "")
    path = "/".join("…" if looks_like_key(seg) else seg for seg in parts.path.split("/"))
    return urlunsplit((parts.scheme, netloc, path, "…" if parts.query else "", "…" if parts.fragment else ""))


class Secret:
    """Holds a secret string; every way of printing it shows ``<secret>``.

    Use :meth:`reveal` at the one place the value is needed (the Authorization header).
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The secret itself."""
        return self._value

    def __repr__(self) -> str:
        return "<secret>"

    __str__ = __repr__

    def __bool__(self) -> bool:
        return bool(self._value)

    def __eq__(self, other) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("music01.Secret", self._value))

    def __reduce__(self):
        raise TypeError("a Secret cannot be pickled or copied into state")

    def __deepcopy__(self, memo):
        return self

    def __copy__(self):
        return self
