"""Lyrics checks for music-01: the 600-character limit, lines, pauses and the ## wrap.

music-01 reads ``\\n`` as a new line, ``\\n\\n`` as a pause, and ``##`` at the very
beginning and end as "add accompaniment".  Invisible characters (zero-width spaces, byte
order marks, bidi marks, control characters) make the upstream fail with error 1042, so
they are removed here and the report says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from .errors import EmptyLyricsError, LyricsError, LyricsTooLongError
from .settings import ACCOMPANIMENT_MARK, MAX_LYRICS_CHARS

__all__ = ["LyricsReport", "check_lyrics", "prepare_lyrics", "build_lyrics", "set_accompaniment", "PAUSE"]

#: Put this between lines in :func:`build_lyrics` to insert a pause.
PAUSE = ""

# Characters people cannot see that still travel to the server.  Tabs and exotic spaces
# are turned into plain spaces rather than dropped, so words stay apart.
_TO_SPACE = {"\t", "\u00a0", "\u2007", "\u202f", "\u3000", "\u1680"} | {chr(c) for c in range(0x2000, 0x200B)}
_TO_NEWLINE = {"\u2028", "\u2029", "\u0085", "\x0b", "\x0c"}


@dataclass(frozen=True)
class LyricsReport:
    """What :func:`check_lyrics` found.

    Attributes
    ----------
    text : str
        The lyrics exactly as they will be sent (cleaned).
    chars : int
        ``len(text)``: the count music-01's limit applies to.
    max_chars : int
        The limit (600).
    lines : tuple of str
        Sung lines, without the ``##`` marks and without empty lines.
    pauses : int
        Number of pauses (runs of two or more newlines).
    accompaniment : bool
        True when the text is wrapped in ``##`` … ``##``.
    removed : dict
        Invisible characters removed or replaced, by Unicode name, with counts.
    errors : tuple of str
        Reasons music-01 would reject the text; empty when it is fine.
    warnings : tuple of str
        Worth knowing, not blocking (characters removed, very long lines...).
    """

    text: str
    chars: int
    max_chars: int
    lines: tuple[str, ...]
    pauses: int
    accompaniment: bool
    removed: dict = field(default_factory=dict)
    errors: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when music-01 should accept the text."""
        return not self.errors

    @property
    def excess(self) -> int:
        """Characters over the limit (0 when within it)."""
        return max(0, self.chars - self.max_chars)

    def to_dict(self) -> dict:
        """Return a JSON-ready dict of the fields plus ``ok`` and ``excess``."""
        d = asdict(self)
        d["lines"] = list(self.lines)
        d["errors"] = list(self.errors)
        d["warnings"] = list(self.warnings)
        d["ok"] = self.ok
        d["excess"] = self.excess
        return d

    def raise_for_errors(self) -> None:
        """Raise the specific :class:`LyricsError` for the first problem, if any."""
        if not self.errors:
            return
        if self.chars > self.max_chars:
            raise LyricsTooLongError(self.errors[0])
        if not self.lines:
            raise EmptyLyricsError(self.errors[0])
        raise LyricsError(self.errors[0])


def _clean(text: str) -> tuple[str, dict]:
    removed: dict[str, int] = {}

    def note(ch: str) -> None:
        name = unicodedata.name(ch, f"U+{ord(ch):04X}")
        removed[name] = removed.get(name, 0) + 1

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    out = []
    for ch in text:
        if ch == "\n":
            out.append(ch)
        elif ch in _TO_NEWLINE:
            note(ch)
            out.append("\n")
        elif ch in _TO_SPACE:
            note(ch)
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Co", "Cs", "Cn"):
            # control, format (zero-width, BOM, bidi), private use, surrogates, unassigned
            note(ch)
        else:
            out.append(ch)
    cleaned = unicodedata.normalize("NFC", "".join(out))
    return cleaned, removed


def _unwrap(stripped: str) -> tuple[bool, str]:
    """(whether ``stripped`` is wrapped in ``##`` … ``##``, the text inside the wrap)."""
    mark = ACCOMPANIMENT_MARK
    wrapped = len(stripped) >= 2 * len(mark) and stripped.startswith(mark) and stripped.endswith(mark)
    return wrapped, stripped[len(mark):-len(mark)] if wrapped else stripped


def set_accompaniment(text: str, on: bool) -> str:
    """Add or remove the ``##`` … ``##`` wrap that asks music-01 for accompaniment.

    Examples
    --------
    >>> set_accompaniment("Hello moon", True)
    '##Hello moon##'
    >>> set_accompaniment(" ##Hello moon## ", False)
    'Hello moon'
    """
    _, body = _unwrap(text.strip())
    return f"{ACCOMPANIMENT_MARK}{body}{ACCOMPANIMENT_MARK}" if on else body


def check_lyrics(text: str, *, max_chars: int = MAX_LYRICS_CHARS) -> LyricsReport:
    """Clean lyrics and report what music-01 will make of them.

    Never raises for content problems: they are listed in ``errors`` (use
    :meth:`LyricsReport.raise_for_errors` or :func:`prepare_lyrics` to raise).

    Parameters
    ----------
    text : str
        Lyrics as typed or pasted.
    max_chars : int
        Character limit; music-01's is 600.

    Returns
    -------
    LyricsReport
    """
    if not isinstance(text, str):
        raise LyricsError(f"lyrics must be text, not {type(text).__name__}.")
    cleaned, removed = _clean(text)
    stripped = cleaned.strip()
    wrapped, body = _unwrap(stripped)
    lines = tuple(ln.strip() for ln in body.split("\n") if ln.strip())
    pauses = len(re.findall(r"\n[ \t]*\n(?:[ \t]*\n)*", body.strip()))

    errors: list[str] = []
    warnings: list[str] = []
    if removed:
        n = sum(removed.values())
        names = ", ".join(f"{k.lower()} ×{v}" for k, v in sorted(removed.items()))
        warnings.append(f"removed or replaced {n} invisible character{'s' if n != 1 else ''} ({names}); "
                        "music-01 rejects them (error 1042).")
    if not lines:
        errors.append("the lyrics are empty" + (" between the ## marks" if wrapped else "")
                      + ": write at least one line to sing.")
    chars = len(cleaned)
    if chars > max_chars:
        errors.append(f"the lyrics are {chars} characters; music-01 takes at most {max_chars} — "
                      f"remove {chars - max_chars} character{'s' if chars - max_chars != 1 else ''}.")
    if cleaned != stripped:
        warnings.append("leading/trailing spaces or newlines are sent as they are and count toward the limit.")
    return LyricsReport(text=cleaned, chars=chars, max_chars=max_chars, lines=lines, pauses=pauses,
                        accompaniment=wrapped, removed=removed, errors=tuple(errors),
                        warnings=tuple(warnings))


def prepare_lyrics(text: str, *, max_chars: int = MAX_LYRICS_CHARS) -> LyricsReport:
    """Check lyrics and raise a :class:`LyricsError` subclass when music-01 would reject them."""
    report = check_lyrics(text, max_chars=max_chars)
    report.raise_for_errors()
    return report


def build_lyrics(lines: Iterable[str], *, accompaniment: bool = False) -> str:
    """Build music-01 lyrics from lines.

    Parameters
    ----------
    lines : iterable of str
        Lines to sing, in order; a :data:`PAUSE` (empty string) between two lines adds a
        pause.
    accompaniment : bool
        Wrap the result in ``##`` … ``##`` so music-01 adds accompaniment.

    Returns
    -------
    str

    Examples
    --------
    >>> build_lyrics(["Hello moon", "hello sky", PAUSE, "goodnight"], accompaniment=True)
    '##Hello moon\\nhello sky\\n\\ngoodnight##'
    """
    parts: list[str] = []
    for line in lines:
        if "\n" in line or "\r" in line:
            raise LyricsError(f"one line may not contain a newline: {line!r}; pass the lines separately.")
        line = line.strip()
        if line == PAUSE:
            if parts and parts[-1] != "":
                parts.append("")
            continue
        parts.append(line)
    while parts and parts[-1] == "":
        parts.pop()
    text = "\n".join(parts)
    if accompaniment:
        text = f"{ACCOMPANIMENT_MARK}{text}{ACCOMPANIMENT_MARK}"
    return text
