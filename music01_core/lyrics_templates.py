"""Songs as sections, and a small deterministic lyricist made of templates: no model, no network.

Two users:

- :mod:`music01_core.lyrics_writer` writes with it when there is no key (the offline writer), and
  reads a draft into sections to edit it ("shorter", "another verse", "keep my chorus") or to trim
  it at a section or line boundary;
- the emulator's chat endpoint (:mod:`music01_core.emulator.chat`) answers with it, so it knows
  nothing of music01's model table: it is told a style and a limit, as a chat model is.

A song is a list of :class:`Section` (``Verse``, ``Chorus``, ``Bridge``, ``Intro``, ``Outro``),
rendered in one of two styles:

- ``music01``: one sung line per line, a blank line (a pause) between sections, no tags, and the
  whole optionally wrapped in ``##`` … ``##`` (accompaniment);
- ``tags``: a structure tag on its own line before each section (``[Verse]``…), no blank lines.

Lengths are counted as the provider counts them: UTF-16 code units (:func:`units`).  The same
theme, mood and seed always give the same song.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass, replace

__all__ = [
    "KINDS",
    "Section",
    "units",
    "theme_words",
    "song_seed",
    "parse_sections",
    "render",
    "fit",
    "write_song",
    "shorter",
    "another_verse",
    "keep_chorus",
    "find_chorus",
    "is_label",
    "NoRoomError",
]

#: The structure tags the provider's references name (music-2.6.json, music-2.0.json, music-1.5.json at
#: aimlapi/api-docs f14fa72: "structure tags like [Intro], [Verse], [Chorus], [Bridge], [Outro]").
KINDS = ("Intro", "Verse", "Chorus", "Bridge", "Outro")

_MARK = "##"
_WORD = re.compile(r"[^\W\d_][\w'’-]*")
_STOP = frozenset(
    "a an and the of to in on at for with from by about into over under our your their my his her its "
    "is are was were be been am it this that these those there here what when where who why how i me you "
    "we they he she them us song songs lyrics about write some any all very just like as or but not no so "
    "miss misses missed love loves loved want wants need needs goes going gone make makes made get gets "
    "has have had does did can could would should will shall may might must which whose whom than then "
    "first second third last next new old little big good bad best more most much many every each own "
    "le la les un une des et de du en el los las y con por para una der die das und ein eine".split()
)
# A label line: "[Chorus]", "[Verse 2]:", "Chorus:", "(Chorus)", "**Chorus**", "### Verse 1".
_LABEL = re.compile(
    r"^\s*(?:#{1,6}\s+|\*\*|__)?[\[(]?\s*"
    r"(intro|verse|pre[- ]?chorus|chorus|refrain|hook|bridge|middle ?8|outro|coda|ending|interlude|instrumental)"
    r"(?:\s*(?:\d+|[ivx]+))?\s*[\])]?\s*(?:\*\*|__)?\s*:?\s*$",
    re.I,
)
_TAG_LINE = re.compile(r"^\s*(\[[^\[\]\n]{1,30}\]):?\s*(.*)$")


class NoRoomError(ValueError):
    """An edit that cannot be made within the limit, or on this song (no chorus, nothing left to drop)."""


@dataclass(frozen=True)
class Section:
    """One section of a song.

    Attributes
    ----------
    kind : str
        One of :data:`KINDS`.
    lines : tuple of str
        The sung lines, in order.
    tag : str or None
        The tag exactly as a person wrote it (``"[Chorus 2]"``); None: ``[kind]``.
    """

    kind: str
    lines: tuple[str, ...]
    tag: str | None = None

    def label(self) -> str:
        """The tag line it is rendered with in the ``tags`` style."""
        return self.tag or f"[{self.kind}]"


def units(text: str) -> int:
    """The length of ``text`` as the provider counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def theme_words(theme: str, *, most: int = 5) -> list[str]:
    """The words of a theme worth singing (no small words), in order, each once; at least one."""
    seen: list[str] = []
    for w in _WORD.findall(theme or ""):
        w = w.strip("'’-")
        if len(w) >= 3 and w.lower() not in _STOP and w.lower() not in (s.lower() for s in seen):
            seen.append(w.lower() if not w.isupper() else w)
    return seen[:most] or ["the night"]


def song_seed(*parts) -> int:
    """A seed from the parts of a request (theme, mood, a number…): the same parts, the same seed."""
    text = "\x1f".join(str(p) for p in parts)
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:6], "big")


# --- the lyricist ----------------------------------------------------------------------------------

# (images, feelings) per mood; a mood is matched by any of its words.
_PALETTES = {
    "bright": (
        ["the morning sun", "an open sky", "the summer air", "a field of gold", "the city lights"],
        ["bright", "alive", "golden", "free"],
    ),
    "blue": (
        ["the falling rain", "an empty room", "the fading light", "a winter street", "the last train home"],
        ["lonely", "blue", "far away", "quiet"],
    ),
    "calm": (
        ["the river bend", "a quiet shore", "the evening glow", "a sleeping town", "the soft moonlight"],
        ["easy", "slow", "gentle", "still"],
    ),
    "fierce": (
        ["the burning road", "a storm of sparks", "the thunder sky", "a wall of sound", "the midnight fire"],
        ["restless", "wild", "unbroken", "loud"],
    ),
    "tender": (
        ["your open hands", "a candle flame", "the kitchen light", "a borrowed coat", "the garden gate"],
        ["tender", "close", "warm", "true"],
    ),
    "hopeful": (
        ["the breaking dawn", "a distant shore", "the rising tide", "a brand new day", "the northern star"],
        ["hopeful", "strong", "rising", "ready"],
    ),
    "wistful": (
        ["an old photograph", "the school yard gate", "a faded song", "the autumn leaves", "a postcard sky"],
        ["wistful", "young", "far", "gone"],
    ),
}
_MOODS = {
    "bright": "happy joyful bright upbeat cheerful sunny fun playful excited energetic party dance",
    "blue": "sad melancholy melancholic blue lonely sorrow grief heartbroken somber gloomy",
    "calm": "calm peaceful gentle soft dreamy relaxed chill quiet serene mellow",
    "fierce": "angry fierce dark intense rebellious furious aggressive powerful rock",
    "tender": "love loving romantic tender sweet intimate warm",
    "hopeful": "hopeful uplifting epic inspiring triumphant proud brave",
    "wistful": "nostalgic wistful bittersweet longing memory reflective",
}

_VERSE = [
    "I carry {w} in the palm of my hand",
    "{W} is calling from {img}",
    "We walk along {img}, talking of {w}",
    "Every road I take leads back to {w}",
    "Under {img} I learn your name again",
    "The clock keeps time while I dream of {w}",
    "I wrote {w} on a folded page",
    "Out past {img}, the quiet starts to sing",
    "{W} and I, we never learned to wait",
    "I hear {w} in the sound of the street",
    "My heart is {feel} in {img}",
    "Tell me {w} will still be here tomorrow",
    "I keep a little {w} for the road",
    "We counted stars above {img}",
    "There is {w} in everything I see",
    "I left the door open for {w}",
]
_CHORUS = [
    "Oh {w}, {w}, {feel} and free",
    "Hold on to {w}, hold on to me",
    "We are {feel} tonight, we are {feel} tonight",
    "Sing it out for {w}, let {img} hear",
    "{W}, {W}, carry me home",
    "All we need is {w} and {img}",
    "Say it loud, {w} is all we know",
    "Here we are, {feel} in {img}",
]
_BRIDGE = [
    "And if {img} falls away",
    "I will still be singing {w}",
    "Slow down, breathe in, let it go",
    "Nothing lasts but this, and {w}",
    "One more time for {img}",
]
_INTRO = ["Mm, {w}", "Here it comes, {img}", "Oh, oh, {w}"]
_OUTRO = ["{W}, {w}, fading into {img}", "Let it go, let it go, {w}", "And we sing {w} once more"]
_POOLS = {"Verse": _VERSE, "Chorus": _CHORUS, "Bridge": _BRIDGE, "Intro": _INTRO, "Outro": _OUTRO}
_LENGTHS = {"Verse": 4, "Chorus": 2, "Bridge": 2, "Intro": 1, "Outro": 1}


def _palette(mood: str) -> tuple[list[str], list[str]]:
    words = {w.lower() for w in _WORD.findall(mood or "")}
    for name, said in _MOODS.items():
        if words & set(said.split()):
            return _PALETTES[name]
    return _PALETTES["calm"]


def _lines(kind: str, n: int, words: list[str], mood: str, rng: random.Random, avoid=()) -> tuple[str, ...]:
    """``n`` lines of a ``kind`` section, each from a template not in ``avoid`` when possible (``avoid``, a
    set, gets the templates used)."""
    images, feelings = _palette(mood)
    pool = [t for t in _POOLS[kind] if t not in avoid] or list(_POOLS[kind])
    chosen = rng.sample(pool, min(n, len(pool)))
    out = []
    for template in chosen:
        w = rng.choice(words)
        line = template.format(w=w, W=w[:1].upper() + w[1:], img=rng.choice(images), feel=rng.choice(feelings))
        out.append(line[:1].upper() + line[1:])
    if isinstance(avoid, set):
        avoid.update(chosen)
    return tuple(out)


def _plan(style: str) -> tuple[str, ...]:
    """The sections a song is built from, added in order while they fit."""
    if style == "music01":
        return ("Verse", "Chorus", "Verse", "Chorus", "Bridge", "Chorus")
    return ("Intro", "Verse", "Chorus", "Verse", "Chorus", "Bridge", "Chorus", "Outro")


def write_song(
    theme: str,
    mood: str = "",
    *,
    style: str = "tags",
    max_units: int = 600,
    seed: int | None = None,
    accompaniment: bool = False,
) -> list[Section]:
    """A song from the theme's words and the mood, as sections that render within ``max_units``.

    Parameters
    ----------
    theme, mood : str
    style : {"music01", "tags"}
    max_units : int
        The longest rendering, in UTF-16 code units.
    seed : int, optional
        Default: from the theme and the mood (the same request, the same song).
    accompaniment : bool
        The ``music01`` rendering is wrapped in ``##`` (counted in the length).

    Returns
    -------
    list of Section
        At least a verse and a chorus, then more while they fit (:func:`fit` trims the first two if
        even they do not).
    """
    rng = random.Random(song_seed(theme, mood) if seed is None else seed)
    words = theme_words(theme)
    used: set[str] = set()
    chorus: Section | None = None
    song: list[Section] = []
    for kind in _plan(style):
        if kind == "Chorus" and chorus is not None:
            section = chorus
        else:
            section = Section(kind, _lines(kind, _LENGTHS[kind], words, mood, rng, avoid=used))
            chorus = section if kind == "Chorus" else chorus
        if len(song) >= 2 and units(render(song + [section], style, accompaniment=accompaniment)) > max_units:
            break
        song.append(section)
    return song


# --- reading and writing a song ---------------------------------------------------------------------


def is_label(line: str) -> bool:
    """Whether ``line`` names a section ("[Chorus]", "Verse 2:", "**Bridge**") rather than being sung."""
    return bool(_LABEL.match(line) or _TAG_LINE.match(line) and not _TAG_LINE.match(line).group(2).strip())


def _kind_of(label: str) -> str:
    name = label.lower()
    if "chorus" in name and "pre" not in name or "refrain" in name or "hook" in name:
        return "Chorus"
    if "bridge" in name or "middle" in name or "pre" in name:
        return "Bridge"
    if "intro" in name:
        return "Intro"
    if any(x in name for x in ("outro", "coda", "ending")):
        return "Outro"
    return "Verse"


def _unwrap(text: str) -> tuple[bool, str]:
    body = text.strip()
    if len(body) >= 2 * len(_MARK) and body.startswith(_MARK) and body.endswith(_MARK):
        return True, body[len(_MARK) : -len(_MARK)]
    return False, body


def parse_sections(text: str) -> tuple[list[Section], bool]:
    """A song's sections and whether it was wrapped in ``##`` … ``##``.

    Tags (``[Verse]``) and label lines (``Chorus:``, ``**Bridge**``, ``### Verse 2``) start sections;
    text without any is read as music-01's format: blocks between blank lines, a block sung twice
    being the chorus.  Tags as written are kept (``Section.tag``) when they are ``[…]`` tags.
    """
    wrapped, body = _unwrap(text or "")
    rows = [ln.rstrip() for ln in body.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    if any(_LABEL.match(r) or _TAG_LINE.match(r) for r in rows):
        return _by_labels(rows), wrapped
    blocks = [tuple(ln.strip() for ln in b.split("\n") if ln.strip()) for b in re.split(r"\n\s*\n", "\n".join(rows))]
    blocks = [b for b in blocks if b]
    twice = {b for b in blocks if blocks.count(b) > 1}
    return [Section("Chorus" if b in twice else "Verse", b) for b in blocks], wrapped


def _by_labels(rows: list[str]) -> list[Section]:
    song: list[Section] = []
    kind, tag, lines = "Verse", None, []

    def close():
        if lines or tag is not None:
            song.append(Section(kind, tuple(lines), tag))

    for row in rows:
        label, tagged = _LABEL.match(row), _TAG_LINE.match(row)
        if label or tagged:
            close()
            if label:
                kind, tag = _kind_of(label.group(1)), (row.strip().rstrip(":") if tagged else None)
                rest = ""
            else:
                kind, tag, rest = _kind_of(tagged.group(1)), tagged.group(1), tagged.group(2).strip()
            lines = [rest] if rest else []
        elif row.strip():
            lines.append(row.strip())
    close()
    return [s for s in song if s.lines]


def render(song: list[Section], style: str, *, accompaniment: bool = False) -> str:
    """The song as text in ``style``: ``music01`` (blank line between sections, optional ``##`` wrap) or
    ``tags`` (a tag line before each section, no blank lines, never ``##``)."""
    if style == "music01":
        body = "\n\n".join("\n".join(s.lines) for s in song if s.lines)
        return f"{_MARK}{body}{_MARK}" if accompaniment and body else body
    return "\n".join(line for s in song if s.lines for line in (s.label(), *s.lines))


def find_chorus(song: list[Section]) -> Section | None:
    """The song's chorus (its first ``Chorus`` section), or None."""
    return next((s for s in song if s.kind == "Chorus"), None)


def fit(
    song: list[Section], style: str, max_units: int, *, accompaniment: bool = False, keep: Section | None = None
) -> tuple[list[Section], bool]:
    """The song cut to ``max_units`` at section and line boundaries (never inside a word), and whether it was cut.

    Whole sections go first, from the end (a section equal to ``keep`` only while another copy of it
    stays); then lines from the end of the last section that has more than one; a single line too long
    for the limit loses whole words from its end.

    Raises
    ------
    NoRoomError
        Nothing singable fits (a limit shorter than one word).
    """
    out, cut = list(song), False
    while units(render(out, style, accompaniment=accompaniment)) > max_units:
        cut = True
        droppable = [i for i, s in enumerate(out) if keep is None or s != keep or out.count(s) > 1]
        if len(out) > 1 and droppable:
            out.pop(droppable[-1])
            continue
        i = next((i for i in range(len(out) - 1, -1, -1) if len(out[i].lines) > 1), None)
        if i is not None:
            out[i] = replace(out[i], lines=out[i].lines[:-1])
            continue
        last = out[-1].lines[-1] if out and out[-1].lines else ""
        if " " not in last.strip():
            raise NoRoomError(f"not even one line fits in {max_units} characters")
        out[-1] = replace(out[-1], lines=(*out[-1].lines[:-1], last.rstrip().rsplit(" ", 1)[0].rstrip(" ,;:-")))
    return out, cut


# --- the follow-ups ----------------------------------------------------------------------------------


def shorter(song: list[Section]) -> list[Section]:
    """The song one step shorter: an outro, intro, bridge, repeated chorus or later verse goes, else a line.

    Raises
    ------
    NoRoomError
        One short section is all there is.
    """
    chorus = find_chorus(song)
    for kinds in (("Outro",), ("Intro",), ("Bridge",)):
        for i in range(len(song) - 1, -1, -1):
            if song[i].kind in kinds:
                return song[:i] + song[i + 1 :]
    repeats = [i for i, s in enumerate(song) if chorus is not None and s == chorus]
    if len(repeats) > 1:
        return song[: repeats[-1]] + song[repeats[-1] + 1 :]
    verses = [i for i, s in enumerate(song) if s.kind == "Verse"]
    if len(verses) > 1:
        return song[: verses[-1]] + song[verses[-1] + 1 :]
    longest = max(range(len(song)), key=lambda i: len(song[i].lines), default=None)
    if longest is None or len(song[longest].lines) <= 1:
        raise NoRoomError("the lyrics are as short as they can be: one line")
    out = list(song)
    out[longest] = replace(out[longest], lines=out[longest].lines[:-1])
    return out


def another_verse(song: list[Section], theme: str, mood: str = "", *, seed: int = 0) -> list[Section]:
    """The song with one more verse: before its last chorus (else before an outro, else at the end)."""
    rng = random.Random(song_seed(theme, mood, seed, "verse", len(song)))
    seen = {ln for s in song for ln in s.lines}
    lines = tuple(ln for ln in _lines("Verse", 8, theme_words(theme), mood, rng) if ln not in seen)[:4]
    verse = Section("Verse", lines or _lines("Verse", 4, theme_words(theme), mood, rng))
    choruses = [i for i, s in enumerate(song) if s.kind == "Chorus" and i > 0]
    outros = [i for i, s in enumerate(song) if s.kind == "Outro"]
    at = choruses[-1] if choruses else outros[-1] if outros else len(song)
    return song[:at] + [verse] + song[at:]


def keep_chorus(song: list[Section], theme: str, mood: str = "", *, seed: int = 0) -> list[Section]:
    """The song written again around its chorus: every other section new, the chorus kept word for word.

    Raises
    ------
    NoRoomError
        The song has no chorus (no ``[Chorus]`` tag, and no block sung twice).
    """
    chorus = find_chorus(song)
    if chorus is None:
        raise NoRoomError(
            "the lyrics have no chorus to keep: mark it with [Chorus] (or, in music-01's format, sing one block twice)"
        )
    rng = random.Random(song_seed(theme, mood, seed, "rewrite"))
    words, used = theme_words(theme), {ln for s in song if s != chorus for ln in s.lines}
    out = []
    for s in song:
        if s == chorus:
            out.append(s)
            continue
        fresh = [ln for ln in _lines(s.kind, len(_POOLS[s.kind]), words, mood, rng) if ln not in used]
        n = max(1, len(s.lines))
        out.append(replace(s, lines=tuple(fresh[:n]) or _lines(s.kind, n, words, mood, rng)))
    return out
