"""From lyrics to a sung line: syllables, a timeline on the beat grid, and a melody.

One phrase per lyric line, syllables on eighth notes with a held last note, a bar of rest
for every ``\\n\\n`` pause, and instrumental bars before and after when the lyrics carry
the ``##`` wrap.  The melody walks the key's scale inside the singer's range, leaning on
chord tones of the accompaniment bar under it, and ends phrases on stable degrees.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

__all__ = ["Syllable", "Phrase", "Plan", "syllabify", "plan_song", "melody_for"]

_VOWEL_GROUP = re.compile(r"[aeiouyàáâäèéêëìíîïòóôöùúûüæøœå]+", re.IGNORECASE)
_VOWEL_OF = {"a": "a", "e": "e", "i": "i", "y": "i", "o": "o", "u": "u"}
_NOISE_ONSETS = ("sh", "ch", "th", "s", "f", "z", "h", "v", "x", "c")
_STOP_ONSETS = ("t", "k", "p", "d", "g", "b", "q")
_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?", re.UNICODE)


@dataclass(frozen=True)
class Syllable:
    """A syllable: its text, the vowel to sing, and the consonant in front of it."""

    text: str
    vowel: str
    onset: str


@dataclass(frozen=True)
class Phrase:
    """One lyric line placed on the bar grid: it starts on ``bar`` and lasts ``bars``."""

    syllables: tuple[Syllable, ...]
    bar: int
    bars: int
    step_beats: float


@dataclass(frozen=True)
class Plan:
    """The song's timeline in bars (4 beats each)."""

    phrases: tuple[Phrase, ...]
    total_bars: int
    intro_bars: int
    outro_bars: int
    capped: bool


def syllabify(line: str) -> list[Syllable]:
    """Split a line into rough sung syllables (vowel groups of Latin words; one per CJK character)."""
    out: list[Syllable] = []
    for word in _WORD.findall(line):
        if not re.search(r"[a-zA-Zà-ÿ]", word):
            # Scripts without Latin vowels: about one syllable per character (CJK), or per two letters.
            step = 1 if any("\u3040" <= ch <= "\u9fff" or "\uac00" <= ch <= "\ud7af" for ch in word) else 2
            out.extend(Syllable(word[i : i + step], "a", "") for i in range(0, len(word), step))
            continue
        groups = list(_VOWEL_GROUP.finditer(word))
        # A silent final "e" (make, love) is not a syllable of its own.
        if len(groups) > 1 and groups[-1].group().lower() == "e" and groups[-1].end() == len(word):
            groups = groups[:-1]
        if not groups:
            out.append(Syllable(word, "m", ""))
            continue
        prev_end = 0
        for g in groups:
            lead = word[prev_end : g.start()].lower()
            onset = ""
            if lead.endswith(_NOISE_ONSETS) or lead.startswith(_NOISE_ONSETS):
                onset = "noise"
            elif lead and lead[-1] in "".join(_STOP_ONSETS):
                onset = "stop"
            first = g.group()[0].lower()
            out.append(Syllable(word[prev_end : g.end()], _VOWEL_OF.get(first, "a"), onset))
            prev_end = g.end()
    return out


def plan_song(
    blocks: list[list[str]],
    *,
    bar_s: float,
    accompaniment_wrap: bool,
    max_s: float = 58.0,
    min_s: float = 10.0,
    with_instrumental: bool = True,
) -> Plan:
    """Place lyric lines on a bar grid.

    Parameters
    ----------
    blocks : list of list of str
        Lines grouped by pauses (``\\n\\n`` separates blocks).
    bar_s : float
        Length of one bar in seconds.
    accompaniment_wrap : bool
        ``##`` wrap: instrumental sections before and after the vocals.
    max_s : float
        Longest piece, in seconds (music-01's pieces stay near one minute).
    min_s : float
        Shortest piece, in seconds.
    with_instrumental : bool
        Intro/outro get 2 bars each with an instrumental reference, 1 bar of rest without.

    Returns
    -------
    Plan
        When the lyrics do not fit in ``max_s``, syllables are sung faster (down to
        sixteenth notes), lines that still do not fit are left out, and the piece is
        exactly ``max_s`` long (rounded down to whole bars), so longer lyrics never make
        a shorter piece.
    """
    edge = (2 if with_instrumental else 1) if accompaniment_wrap else 0
    max_bars = max(2, int(max_s // bar_s))
    lines = [(bi, syllabify(line)) for bi, block in enumerate(blocks) for line in block]
    min_bars = min(max_bars, max(4, math.ceil(min_s / bar_s)))
    phrases, total = _layout(lines, 0.5, edge)
    if total <= max_bars:
        # Short lyrics still make a piece, not a jingle: pad the end up to ``min_s``.
        return Plan(tuple(phrases), max(total, min_bars), edge, edge + max(0, min_bars - total), capped=False)
    # Too long for one piece: sing faster, drop what still does not fit, and fill exactly
    # ``max_bars`` so that a longer text can never come out shorter than a shorter one.
    for step in (0.375, 0.25):
        phrases, total = _layout(lines, step, edge)
        if total <= max_bars:
            break
    kept = [p for p in phrases if p.bar + p.bars <= max_bars - edge]
    return Plan(tuple(kept), max_bars, edge, max_bars - (kept[-1].bar + kept[-1].bars) if kept else edge, capped=True)


def _layout(lines: list[tuple[int, list[Syllable]]], step_beats: float, edge: int) -> tuple[list[Phrase], int]:
    """Lines (block index, syllables) as phrases after ``edge`` intro bars; also the bar count with the outro."""
    phrases, bar, last_block = [], edge, None
    for bi, syl in lines:
        if last_block is not None and bi != last_block:
            bar += 1  # a pause: one bar of rest
        last_block = bi
        beats = max(2.0, len(syl) * step_beats + 1.5)  # the last syllable is held
        bars = max(1, math.ceil(beats / 4))
        phrases.append(Phrase(tuple(syl), bar, bars, step_beats))
        bar += bars
    return phrases, bar + edge


def melody_for(
    plan: Plan,
    *,
    tonic_pc: int,
    mode: str,
    pitch_range: tuple[float, float],
    bar_chroma: list[np.ndarray] | None,
    rng: np.random.Generator,
    key_chroma: np.ndarray | None = None,
) -> list[list[float]]:
    """Choose one MIDI pitch per syllable, phrase by phrase.

    Parameters
    ----------
    plan : Plan
    tonic_pc : int
        Tonic pitch class (0 = C).
    mode : {"major", "minor"}
    pitch_range : (float, float)
        Singer's comfortable range as MIDI numbers (10th and 90th percentile).
    bar_chroma : list of np.ndarray, optional
        Chroma (12,) of the accompaniment under each output bar, to favour chord tones.
    rng : np.random.Generator
    key_chroma : np.ndarray, optional
        The reference's mean chroma (12,): pitch classes it uses most are preferred.

    Returns
    -------
    list of list of float
        Pitches per phrase, aligned with each phrase's syllables.
    """
    scale = (0, 2, 4, 5, 7, 9, 11) if mode == "major" else (0, 2, 3, 5, 7, 8, 10)
    pitches, centre = _singable_pitches(tonic_pc, scale, pitch_range)
    stable = {(tonic_pc + scale[d]) % 12 for d in (0, 2, 4)}
    pos = int(np.argmin([abs(p - centre) for p in pitches]))
    out: list[list[float]] = []
    for pi, phrase in enumerate(plan.phrases):
        # Phrases end on a stable degree; the last phrase of the song ends on the tonic.
        targets = {tonic_pc % 12} if pi == len(plan.phrases) - 1 else stable
        notes, pos = _phrase_melody(
            phrase, pitches, pos, targets=targets, bar_chroma=bar_chroma, key_chroma=key_chroma, rng=rng
        )
        # Drift back towards the middle of the range between phrases.
        pos = int(round((pos + int(np.argmin([abs(p - centre) for p in pitches]))) / 2))
        out.append(notes)
    return out


def _singable_pitches(
    tonic_pc: int, scale: tuple[int, ...], pitch_range: tuple[float, float]
) -> tuple[list[int], float]:
    """The scale's MIDI pitches in the singer's range (widened to at least 9 semitones), and the range's centre."""
    lo, hi = pitch_range
    if hi - lo < 7:
        mid = (lo + hi) / 2
        lo, hi = mid - 4.5, mid + 4.5
    pitches = [
        m
        for m in range(int(math.floor(lo)) - 1, int(math.ceil(hi)) + 2)
        if (m - tonic_pc) % 12 in scale and lo - 1 <= m <= hi + 1
    ]
    if not pitches:
        pitches = list(range(int(lo), int(hi) + 1))
    return pitches, (lo + hi) / 2


def _phrase_melody(
    phrase: Phrase,
    pitches: list[int],
    pos: int,
    *,
    targets: set[int],
    bar_chroma: list[np.ndarray] | None,
    key_chroma: np.ndarray | None,
    rng: np.random.Generator,
) -> tuple[list[float], int]:
    """One phrase's pitches, walking on from index ``pos`` of ``pitches``; also the index it ends on.

    The last syllable lands on a pitch class in ``targets``.
    """
    notes: list[float] = []
    n = len(phrase.syllables)
    for si in range(n):
        beat = si * phrase.step_beats
        bar = phrase.bar + int(beat // 4)
        strong = (beat % 2) == 0
        cand = int(np.clip(pos + _step(rng, si, n), 0, len(pitches) - 1))
        if si == n - 1:
            cand = min(range(len(pitches)), key=lambda i: (pitches[i] % 12 not in targets, abs(i - cand)))
        else:
            # Lean on what sounds under the note (chord tones, strongly on strong beats)
            # and on the pitch classes the reference uses most.
            here = bar_chroma[bar] if bar_chroma is not None and bar < len(bar_chroma) else None
            window = range(max(0, cand - 1), min(len(pitches), cand + 2))
            cand = max(window, key=lambda i: _fit(i, pitches, here, strong, cand, key_chroma))
        pos = cand
        notes.append(float(pitches[pos]))
    return notes, pos


def _step(rng: np.random.Generator, si: int, n: int) -> int:
    """A random step along the scale for syllable ``si`` of ``n``."""
    step = int(rng.choice([-2, -1, -1, 0, 1, 1, 2]))
    # Arch: rise through the first half of the phrase, fall through the second.
    if n > 3:
        step += 1 if si < n // 2 and rng.random() < 0.35 else (-1 if si >= n // 2 and rng.random() < 0.35 else 0)
    return step


def _fit(
    i: int, pitches: list[int], here: np.ndarray | None, strong: bool, cand: int, key_chroma: np.ndarray | None
) -> float:
    """How well ``pitches[i]`` fits in place of ``pitches[cand]`` over the chroma ``here``, in the reference's key."""
    pc = pitches[i] % 12
    v = -0.25 * abs(i - cand)
    if here is not None:
        v += (1.0 if strong else 0.5) * float(here[pc])
    if key_chroma is not None:
        v += 0.2 * float(np.sqrt(key_chroma[pc]))
    return v
