"""A wrapper that keeps an API key out of reprs, logs, tracebacks and pickles."""

from __future__ import annotations

__all__ = ["Secret", "clean_api_key"]


def clean_api_key(raw: str) -> str:
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
            "slip): copy the key again from your AI/ML API dashboard, as one line."
        )
    if not key.isascii():
        raise InputError(
            "the API key contains characters that are not plain ASCII (curly quotes or a stray symbol "
            "from copying?): copy the key again from your AI/ML API dashboard."
        )
    return key


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
