"""Lyrics checks for music-01: the 600-character limit, lines, pauses and the ## wrap.

music-01 reads ``\\n`` as a new line, ``\\n\\n`` as a pause, and ``##`` at the very
beginning and end as "add accompaniment".  Invisible characters (zero-width spaces, byte
order marks, bidi marks, control characters) make the upstream fail with error 1042, so
they are removed here and the report says so.

Every length limit (lyrics and style prompt, every model) is counted as the provider counts:
its gateway is JavaScript, whose ``string.length`` is in UTF-16 code units, so an emoji counts
two (:func:`provider_length`).  When that count differs from what a person sees, the message
says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from .errors import EmptyLyricsError, InputError, LyricsError, LyricsTooLongError, PromptError
from .models import get_model, model_in_use
from .settings import ACCOMPANIMENT_MARK, MAX_LYRICS_CHARS

__all__ = [
    "LyricsReport",
    "check_lyrics",
    "prepare_lyrics",
    "build_lyrics",
    "set_accompaniment",
    "PAUSE",
    "TextFields",
    "prepare_text_fields",
    "sung_blocks",
    "provider_length",
    "clean_prompt",
    "switch_label",
    "COUNTED_AS_PROVIDER",
]

# A structure tag on its own, e.g. "[Verse]", "[Chorus 2]", "[Intro][Verse]:".
_TAG_RE = re.compile(r"\[[^\[\]\n]{1,30}\]:?")

#: Put this between lines in :func:`build_lyrics` to insert a pause.
PAUSE = ""

# Characters people cannot see that still travel to the server.  Tabs and exotic spaces
# are turned into plain spaces rather than dropped, so words stay apart.
_TO_SPACE = {"\t", "\u00a0", "\u2007", "\u202f", "\u3000", "\u1680"} | {chr(c) for c in range(0x2000, 0x200B)}
_TO_NEWLINE = {"\u2028", "\u2029", "\u0085", "\x0b", "\x0c"}

#: Said next to a count whenever the provider's count differs from the characters a person sees.
COUNTED_AS_PROVIDER = "as the provider counts: emoji and some symbols count as two"

# The switches a TextSpec's ``required_unless`` can name: (what people call it, what it does).
_SWITCHES = {
    "is_instrumental": ("instrumental", "a piece with no vocals, made from the style prompt alone"),
    "lyrics_optimizer": ("lyrics optimizer", "the model writes the lyrics from the style prompt"),
}


def provider_length(text: str) -> int:
    """The length of ``text`` as the provider counts it: UTF-16 code units.

    The AI/ML API's gateway is JavaScript, whose ``string.length`` counts UTF-16 code units:
    a character outside the Basic Multilingual Plane (most emoji, 𝄞) counts two.  Every
    length limit of lyrics and the style prompt is checked with this count.

    Examples
    --------
    >>> provider_length("la la")
    5
    >>> provider_length("🎵 la")
    5
    """
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def _length_words(what: str, n: int, seen: int) -> str:
    """ "the lyrics are 603 characters" — or, when the provider's count differs from what a person sees, says so."""
    if n == seen:
        return f"{what} {n} character{'' if n == 1 else 's'}"
    return f"{what} {n} ({COUNTED_AS_PROVIDER}; you see {seen} character{'' if seen == 1 else 's'})"


@dataclass(frozen=True)
class LyricsReport:
    """What :func:`check_lyrics` found.

    Attributes
    ----------
    text : str
        The lyrics exactly as they will be sent (cleaned).
    chars : int
        The length of ``text`` as the provider counts it (UTF-16 code units, see
        :func:`provider_length`): the count every limit applies to.  It exceeds
        :attr:`visible_chars` by one per emoji or other character outside the BMP.
    max_chars : int
        The limit (600).
    lines : tuple of str
        Sung lines, without the ``##`` marks and without empty lines.
    pauses : int
        Number of pauses (runs of two or more newlines).
    accompaniment : bool
        True when the text is wrapped in ``##`` … ``##`` (music-01-style lyrics only).
    removed : dict
        Invisible characters removed or replaced, by Unicode name, with counts.
    errors : tuple of str
        Reasons music-01 would reject the text; empty when it is fine.
    warnings : tuple of str
        Worth knowing, not blocking (characters removed, very long lines...).
    min_chars : int
        The model's lower bound (10 for the tag-style models).
    style : {"music01", "tags"}
        How the model reads the text: ``music01`` (lines, pauses, ``##`` wrap) or ``tags``
        (lines with structure tags such as ``[Verse]``).
    tags : tuple of str
        Structure tags found (``tags`` style), in order.
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
    min_chars: int = 1
    style: str = "music01"
    tags: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """True when music-01 should accept the text."""
        return not self.errors

    @property
    def excess(self) -> int:
        """Characters over the limit (0 when within it), as the provider counts them."""
        return max(0, self.chars - self.max_chars)

    @property
    def visible_chars(self) -> int:
        """The number of characters a person sees (code points); :attr:`chars` is the provider's count."""
        return len(self.text)

    def to_dict(self) -> dict:
        """Return a JSON-ready dict of the fields plus ``ok`` and ``excess``."""
        d = asdict(self)
        d["lines"] = list(self.lines)
        d["tags"] = list(self.tags)
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
        if self.lines and self.chars < self.min_chars:
            raise LyricsError(self.errors[0])
        if not self.lines:
            raise EmptyLyricsError(self.errors[0])
        raise LyricsError(self.errors[0])


def strip_invisible(text: str) -> tuple[str, dict]:
    """``text`` with invisible and control characters removed (line ends unified), and a count of each removed."""
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
    return wrapped, stripped[len(mark) : -len(mark)] if wrapped else stripped


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


def check_lyrics(text: str, *, max_chars: int | None = None, model=None) -> LyricsReport:
    """Clean lyrics and report what the model will make of them.

    Never raises for content problems: they are listed in ``errors`` (use
    :meth:`LyricsReport.raise_for_errors` or :func:`prepare_lyrics` to raise).

    Parameters
    ----------
    text : str
        Lyrics as typed or pasted.
    max_chars : int, optional
        Character limit; default the model's (600 for music-01 and ``minimax-music``).
    model : str or Model, optional
        Whose rules apply (default the model in use: ``MUSIC01_MODEL``, else ``minimax-music``, which
        keeps music-01's format).

    Returns
    -------
    LyricsReport
    """
    chosen = model_in_use(model)
    spec, name = chosen.lyrics, chosen.id
    style, min_chars = (spec.style, spec.min_chars) if spec is not None else ("music01", 1)
    max_chars = max_chars if max_chars is not None else (spec.max_chars if spec else MAX_LYRICS_CHARS)
    if not isinstance(text, str):
        raise LyricsError(f"lyrics must be text, not {type(text).__name__}.")
    cleaned, removed = strip_invisible(text)
    if cleaned.endswith("\n") and not cleaned.endswith("\n\n"):
        # Editors end a text (and every lyrics file) with one newline: that one is the file's, not the song's.
        cleaned = cleaned[:-1]
    stripped = cleaned.strip()
    wrapped, lines, pauses, tags = _structure(stripped, style)

    chars = provider_length(cleaned)
    errors, warnings = _lyrics_problems(
        cleaned,
        stripped,
        lines,
        removed,
        wrapped=wrapped,
        name=name,
        min_chars=min_chars,
        max_chars=max_chars,
        style=style,
        limit_note=spec.limit_note if spec is not None and max_chars == spec.max_chars else "",
    )
    return LyricsReport(
        text=cleaned,
        chars=chars,
        max_chars=max_chars,
        lines=lines,
        pauses=pauses,
        accompaniment=wrapped,
        removed=removed,
        errors=tuple(errors),
        warnings=tuple(warnings),
        min_chars=min_chars,
        style=style,
        tags=tags,
    )


def _structure(stripped: str, style: str) -> tuple[bool, tuple[str, ...], int, tuple[str, ...]]:
    """(``##`` wrap, sung lines, pauses, structure tags) of cleaned lyrics in ``style``."""
    tags: tuple[str, ...] = ()
    if style == "music01":
        wrapped, body = _unwrap(stripped)
    else:
        # Tag-style lyrics have no ## wrap: "##" is sung (or ignored) like any other text.
        wrapped, body = False, stripped
        tags = tuple(m.group(0).rstrip(":") for m in _TAG_RE.finditer(body))
    lines = tuple(ln.strip() for ln in (_TAG_RE.sub("", body) if style == "tags" else body).split("\n") if ln.strip())
    pauses = len(re.findall(r"\n[ \t]*\n(?:[ \t]*\n)*", body.strip()))
    return wrapped, lines, pauses, tags


def _lyrics_problems(
    cleaned: str,
    stripped: str,
    lines,
    removed: dict,
    *,
    wrapped: bool,
    name: str,
    min_chars: int,
    max_chars: int,
    style: str,
    limit_note: str = "",
) -> tuple[list[str], list[str]]:
    """(errors, warnings) of cleaned lyrics against one model's bounds and format."""
    errors: list[str] = []
    warnings: list[str] = []
    if removed:
        n = sum(removed.values())
        names = ", ".join(f"{k.lower()} ×{v}" for k, v in sorted(removed.items()))
        warnings.append(
            f"removed or replaced {n} invisible character{'s' if n != 1 else ''} ({names}); "
            "the service rejects them (MiniMax error 1042)."
        )
    if not lines:
        errors.append(
            "the lyrics are empty" + (" between the ## marks" if wrapped else "") + ": write at least one line to sing."
        )
    chars, seen = provider_length(cleaned), len(cleaned)
    size = _length_words("the lyrics are", chars, seen)
    if chars > max_chars:
        n = chars - max_chars
        unit = f" character{'s' if n != 1 else ''}" if chars == seen else ""
        note = f" ({limit_note.rstrip('.')})" if limit_note else ""
        errors.append(f"{size}; {name} takes at most {max_chars}{note} — remove {n}{unit}.")
    elif lines and chars < min_chars:
        errors.append(f"{size}; {name} needs at least {min_chars} — write a little more.")
    if style == "tags" and lines and "##" in cleaned:
        warnings.append(
            f"{name} does not read ##…## as 'add accompaniment' (that is music-01's format): "
            "describe the accompaniment in the style prompt instead."
        )
    if cleaned != stripped:
        warnings.append("leading/trailing spaces or newlines are sent as they are and count toward the limit.")
    return errors, warnings


def prepare_lyrics(text: str, *, max_chars: int | None = None, model=None) -> LyricsReport:
    """Check lyrics and raise a :class:`LyricsError` subclass when the model would reject them."""
    report = check_lyrics(text, max_chars=max_chars, model=model)
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


@dataclass(frozen=True)
class TextFields:
    """The text fields of one request, cleaned and checked against the model's table entry.

    Attributes
    ----------
    lyrics, prompt : str or None
        What will be sent (None: the field is left out).
    warnings : tuple of str
    """

    lyrics: str | None
    prompt: str | None
    warnings: tuple[str, ...] = ()


def prepare_text_fields(
    model,
    *,
    lyrics: str | None = None,
    prompt: str | None = None,
    is_instrumental: bool = False,
    lyrics_optimizer: bool = False,
) -> TextFields:
    """Check the lyrics and the style prompt for ``model`` before anything is sent.

    Parameters
    ----------
    model : str or Model
    lyrics, prompt : str, optional
        As typed; empty means "not given".
    is_instrumental, lyrics_optimizer : bool
        Switches of the models that take them (``minimax/music-2.6``): either one makes the
        lyrics unnecessary; without either, a model whose lyrics are ``required_unless``
        them (its table entry) refuses a request with no lyrics, naming both.

    Returns
    -------
    TextFields

    Raises
    ------
    LyricsError, PromptError, InputError
        Saying which field is wrong for this model and what to do.
    """

    m = get_model(model)
    for flag, on in (("is_instrumental", is_instrumental), ("lyrics_optimizer", lyrics_optimizer)):
        if on and flag not in m.flags:
            raise InputError(
                f"{m.id} has no {flag.replace('_', ' ')} switch: turn it off, or choose minimax/music-2.6."
            )
    warnings: list[str] = []
    out_lyrics = _lyrics_field(m, lyrics or "", is_instrumental, lyrics_optimizer, warnings)
    out_prompt = _prompt_field(m, prompt or "", is_instrumental, lyrics_optimizer, warnings)
    # After the prompt's own check, so a prompt that is too long is said first (both must be fixed).
    unless = m.lyrics.required_unless if m.lyrics is not None else ()
    switches = {"is_instrumental": is_instrumental, "lyrics_optimizer": lyrics_optimizer}
    if out_lyrics is None and unless and not any(switches.get(flag) for flag in unless):
        raise LyricsError(_needs_lyrics_or_switch(m.id, unless))
    if out_lyrics is None and out_prompt is None and not is_instrumental:
        raise LyricsError(f"{m.id} needs lyrics or a style prompt: write at least one of them.")
    return TextFields(lyrics=out_lyrics, prompt=out_prompt, warnings=tuple(warnings))


def _lyrics_field(m, lyrics: str, is_instrumental: bool, lyrics_optimizer: bool, warnings: list) -> str | None:
    """The lyrics to send for ``m`` (None: left out); appends to ``warnings``."""
    if m.lyrics is None:
        if lyrics.strip():
            raise LyricsError(f"{m.id} takes no lyrics: clear them, or choose another model.")
        return None
    if not (lyrics.strip() or m.lyrics.required and not (is_instrumental or lyrics_optimizer)):
        return None
    if is_instrumental and lyrics.strip():
        warnings.append("instrumental is on, so the lyrics are not sent.")
        return None
    report = prepare_lyrics(lyrics, model=m)
    warnings += report.warnings
    return report.text


def switch_label(flag: str) -> str:
    """What people call a model's switch (``is_instrumental`` → "instrumental")."""
    return _SWITCHES.get(flag, (flag.replace("_", " "), ""))[0]


def _needs_lyrics_or_switch(model_id: str, flags: tuple[str, ...]) -> str:
    """Why lyrics are needed when none of ``flags`` is on, naming each switch and what it does."""
    ways = []
    for flag in flags:
        label, does = _SWITCHES.get(flag, (flag.replace("_", " "), "see the model's reference"))
        ways.append(f'"{label}" ({flag}: {does})')
    either = " or ".join(ways) if len(ways) < 3 else ", ".join(ways[:-1]) + " or " + ways[-1]
    return f"{model_id} needs lyrics unless a switch is on: write the lyrics, or turn on {either}."


def _prompt_field(m, prompt: str, is_instrumental: bool, lyrics_optimizer: bool, warnings: list) -> str | None:
    """The style prompt to send for ``m`` (None: left out); appends to ``warnings``."""
    if m.prompt is None:
        if prompt.strip():
            raise PromptError(
                f"{m.id} takes no style prompt (its 'prompt' field carries the lyrics): clear the "
                "style prompt, or choose minimax/music-cover or a minimax/music-2.x model."
            )
        return None
    cleaned, removed = _clean_prompt(prompt)
    spec = m.prompt
    if not cleaned and (spec.required or lyrics_optimizer or is_instrumental):
        why = (
            " (the lyrics optimizer writes lyrics from it)"
            if lyrics_optimizer
            else " (an instrumental piece is made from it alone)"
            if is_instrumental
            else ""
        )
        raise PromptError(
            f"{m.id} needs a style prompt{why}: describe the genre, mood and instruments, "
            f"in {max(spec.min_chars, 1)}–{spec.max_chars} characters."
        )
    if not cleaned:
        return None
    n = provider_length(cleaned)
    size = _length_words("the style prompt is", n, len(cleaned))
    if n < spec.min_chars:
        raise PromptError(f"{size}; {m.id} needs at least {spec.min_chars} — say a little more about the style.")
    if n > spec.max_chars:
        note = f" ({spec.limit_note.rstrip('.')})" if spec.limit_note else ""
        raise PromptError(f"{size}; {m.id} takes at most {spec.max_chars}{note} — remove {n - spec.max_chars}.")
    if removed:
        warnings.append("removed invisible characters from the style prompt.")
    return cleaned


def _clean_prompt(prompt: str) -> tuple[str, dict]:
    """The style prompt as it is sent (invisible characters removed, ends stripped), and what was removed."""
    cleaned, removed = strip_invisible(prompt)
    return cleaned.strip(), removed


def clean_prompt(prompt: str) -> str:
    """The style prompt exactly as it will be sent; its limits apply to ``provider_length`` of this.

    Examples
    --------
    >>> clean_prompt("  warm lo-fi,\u200b rain 🌧  ")
    'warm lo-fi, rain 🌧'
    """
    return _clean_prompt(prompt)[0]


def sung_blocks(text: str) -> list[list[str]]:
    """Lines grouped into blocks, for a singer: blank lines and structure tags split blocks.

    Reads both formats: music-01's (``##`` wrap, ``\\n\\n`` pauses) and the tag style
    (``[Verse]``, ``[Chorus]``), so the offline engine can sing either.
    """
    body = text.strip()
    _, body = _unwrap(body)
    body = _TAG_RE.sub("\n\n", body)
    blocks = [[ln.strip() for ln in block.split("\n") if ln.strip()] for block in re.split(r"\n\s*\n", body)]
    return [b for b in blocks if b]
