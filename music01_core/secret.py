"""A wrapper that keeps an API key out of reprs, logs, tracebacks and pickles."""

from __future__ import annotations

__all__ = ["Secret"]


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
