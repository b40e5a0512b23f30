"""The offline renderer: arrange the reference, sing the lyrics, mix, limit.

- instrumental only: the reference's bars re-sequenced by a seeded walk over a
  bar-similarity graph, joined on bar lines with short equal-power crossfades;
- voice only: the lyrics sung a cappella in the reference's key and the singer's range;
- both: the voice over the arrangement (the reference's own vocals reduced first when it
  is a ``song`` reference), mixed at fixed loudness and peak-limited so it never clips.
"""

from __future__ import annotations

import hashlib
import logging
import math
from dataclasses import dataclass, replace

import numpy as np

from ..analysis import NOTE_NAMES
from .melody import Plan, melody_for, plan_song
from .reference import ReferenceFeatures
from .voice import Note, sing

logger = logging.getLogger(__name__)

__all__ = ["Rendered", "render", "arrange_bars", "reduce_vocals", "limit"]

MAX_PIECE_S = 58.0
XFADE_S = 0.02
CEILING = 10 ** (-1.0 / 20)  # -1 dBFS


@dataclass(frozen=True)
class Rendered:
    """Samples from :func:`render`: ``audio`` shape (n, 2) float32 at ``sample_rate``."""

    audio: np.ndarray
    sample_rate: int
    tempo_bpm: float
    key: str
    bars: int
    capped: bool


def _seed_for(*parts) -> int:
    h = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(h[:8], "little")


def arrange_bars(ref: ReferenceFeatures, n_bars: int, rng: np.random.Generator, *, stay_prob: float = 0.6) -> list[int]:
    """Choose ``n_bars`` reference bars by a seeded walk over the bar-similarity graph.

    From bar ``i`` the walk usually continues to ``i + 1`` (the reference's own flow);
    otherwise, or at the end of the reference, it jumps to a bar that resembles the one
    that would have come next, so every join lands on similar harmony and timbre.
    Silent bars are never chosen.
    """
    n = ref.n_bars
    if n == 0:
        return []
    vec = np.asarray(ref.bar_vectors, dtype=float)
    sim = vec @ vec.T / (np.linalg.norm(vec, axis=1)[:, None] * np.linalg.norm(vec, axis=1)[None, :] + 1e-9)
    loud = np.asarray(ref.bar_level_db) > (max(ref.bar_level_db) - 30)
    usable = np.flatnonzero(loud) if loud.any() else np.arange(n)
    first = usable[: max(1, min(4, len(usable)))]
    seq = [int(rng.choice(first))]
    while len(seq) < n_bars:
        i = seq[-1]
        natural = i + 1
        if natural < n and loud[natural] and rng.random() < stay_prob:
            seq.append(natural)
            continue
        # What should come next sounds like the natural successor (or, past the end, like
        # whatever followed bars resembling this one).
        target = sim[natural] if natural < n else np.r_[sim[i, 1:], -1.0]
        scores = target[usable].copy()
        scores[usable == i] -= 0.5  # do not stutter on one bar
        if len(seq) > 1:
            scores[usable == seq[-2]] -= 0.2
        top = usable[np.argsort(scores)[::-1][:3]]
        seq.append(int(rng.choice(top)))
    return seq


def reduce_vocals(stereo: np.ndarray, sample_rate: int, ref: ReferenceFeatures) -> np.ndarray:
    """Attenuate the reference's own sung line (for ``song`` references).

    The voice's harmonics, from the stored pitch track, are masked out of the mid
    channel; the side channel (where a centred voice is weakest) is kept as it is.
    """
    import librosa

    if not any(v is not None for v in ref.pitch_midi):
        return stereo
    mid = stereo.mean(axis=1)
    side = (stereo[:, 0] - stereo[:, 1]) / 2 if stereo.shape[1] == 2 else np.zeros_like(mid)
    n_fft, hop = 2048, 512
    spec = librosa.stft(mid, n_fft=n_fft, hop_length=hop)
    frames = spec.shape[1]
    t = np.arange(frames) * hop / sample_rate
    pm = np.array([np.nan if v is None else v for v in ref.pitch_midi], dtype=float)
    idx = np.clip((t * ref.pitch_frame_rate).round().astype(int), 0, len(pm) - 1)
    f0 = 440.0 * 2 ** ((pm[idx] - 69) / 12)  # NaN where unvoiced
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)[:, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        h = freqs / f0[None, :]
        k = np.round(h)
        dev = np.abs(h - k) * f0[None, :]
        on = (k >= 1) & (dev < np.maximum(1.5 * sample_rate / n_fft, 0.03 * freqs)) & (freqs < 8000)
    mask = np.where(np.nan_to_num(on, nan=0).astype(bool), 0.12, 1.0)
    mid_r = librosa.istft(spec * mask, hop_length=hop, length=len(mid))
    if stereo.shape[1] == 2:
        return np.stack([mid_r + side, mid_r - side], axis=1).astype(np.float32)
    return mid_r[:, None].astype(np.float32)


def limit(x: np.ndarray, sample_rate: int, *, ceiling: float = CEILING, release_s: float = 0.08) -> np.ndarray:
    """Peak limiter: smooth gain reduction with 5 ms look-ahead; output never exceeds ``ceiling``."""
    from scipy.ndimage import maximum_filter1d
    from scipy.signal import lfilter

    peak = np.abs(x).max(axis=1) if x.ndim == 2 else np.abs(x)
    look = max(1, int(0.005 * sample_rate))
    need = np.minimum(1.0, ceiling / np.maximum(maximum_filter1d(peak, size=2 * look + 1), 1e-9))
    # Release smoothing (one-pole) applied to the gain's "recovery", keeping the dips.
    a = np.exp(-1.0 / (release_s * sample_rate))
    smooth = lfilter([1 - a], [1, -a], 1 - need)
    gain = 1 - np.maximum(1 - need, smooth)
    y = x * (gain[:, None] if x.ndim == 2 else gain)
    return np.clip(y, -ceiling, ceiling)


def _rms(x: np.ndarray) -> float:
    active = np.abs(x) > 1e-4
    return float(np.sqrt(np.mean(x[active] ** 2))) if active.any() else 0.0


def _render_accompaniment(
    ref_audio: np.ndarray, sample_rate: int, ref: ReferenceFeatures, seq: list[int]
) -> tuple[np.ndarray, list[float], list[float]]:
    """Concatenate the chosen bars with equal-power crossfades; return audio, bar starts, bar lengths."""
    xf = int(XFADE_S * sample_rate)
    starts, lengths = [], []
    pos = 0
    n_ref = len(ref_audio)
    fade_in = np.sin(np.linspace(0, np.pi / 2, xf))[:, None]
    fade_out = np.cos(np.linspace(0, np.pi / 2, xf))[:, None]
    total = sum(int(round((ref.bar_ends_s[i] - ref.bar_starts_s[i]) * sample_rate)) for i in seq) + xf
    out = np.zeros((total + xf, ref_audio.shape[1]), dtype=np.float64)
    for i in seq:
        a = int(round(ref.bar_starts_s[i] * sample_rate))
        b = int(round(ref.bar_ends_s[i] * sample_rate))
        seg = ref_audio[a : min(n_ref, b + xf)].astype(np.float64)
        if len(seg) < xf * 2:
            continue
        seg = seg.copy()
        seg[:xf] *= fade_in
        if len(seg) > b - a:  # the tail past the bar line fades under the next bar's head
            seg[b - a :] *= fade_out[: len(seg) - (b - a)]
        out[pos : pos + len(seg)] += seg
        starts.append(pos / sample_rate)
        lengths.append((b - a) / sample_rate)
        pos += b - a
    return out[: pos + xf], starts, lengths


def render(
    blocks: list[list[str]],
    *,
    accompaniment_wrap: bool,
    voice: ReferenceFeatures | None,
    instrumental: ReferenceFeatures | None,
    instrumental_audio: np.ndarray | None,
    instrumental_is_song: bool,
    sample_rate: int,
    seed: int,
    length_s: float | None = None,
) -> Rendered:
    """Render a piece.

    Parameters
    ----------
    blocks : list of list of str
        Lyric lines grouped by pauses.
    accompaniment_wrap : bool
        Whether the lyrics carry the ``##`` wrap.
    voice, instrumental : ReferenceFeatures, optional
        At least one must be given.
    instrumental_audio : np.ndarray, optional
        The instrumental reference decoded at ``sample_rate``, shape (n, channels).
    instrumental_is_song : bool
        Reduce the reference's own vocals first (it was uploaded as a ``song``).
    sample_rate : int
        Output rate in Hz.
    seed : int
        The same inputs and seed give the same samples.
    length_s : float, optional
        The piece's exact length in seconds (a model's length option): the arrangement has as many
        bars as cover it and is cut there, faded; lines sung past it are cut too.  None: the
        length follows the lyrics (at most :data:`MAX_PIECE_S`).

    Returns
    -------
    Rendered
    """
    if voice is None and instrumental is None:
        raise ValueError("render needs a voice or an instrumental reference")
    lead = instrumental or voice
    assert lead is not None
    rng = np.random.default_rng(_seed_for(seed, lead.sha256, voice.sha256 if voice else "", blocks, accompaniment_wrap))
    tempo, bar_s, plan = _timeline(blocks, lead, instrumental, accompaniment_wrap=accompaniment_wrap)
    if length_s is not None:
        plan = replace(plan, total_bars=max(1, math.ceil(length_s / bar_s)), capped=False)
    tonic_pc = NOTE_NAMES.index(lead.key_tonic)
    acc, bar_starts, bar_lengths, bar_chroma = _arrangement(
        plan, bar_s, instrumental, instrumental_audio, instrumental_is_song, sample_rate, rng
    )
    vocal = None
    if voice is not None and plan.phrases:
        notes = _sung_notes(plan, voice, lead, tonic_pc, bar_starts, bar_lengths, bar_chroma=bar_chroma, rng=rng)
        sung_s = plan.total_bars * bar_s
        vocal = sing(notes, sample_rate=sample_rate, duration_s=sung_s, seed=int(rng.integers(1 << 31)))
    # The piece is exactly ``total_bars`` nominal bars long, whatever bars the walk chose,
    # so the length depends on the lyrics alone (and grows with them), or is the length asked for.
    out = _mix(int(round((length_s or plan.total_bars * bar_s) * sample_rate)), acc, vocal, sample_rate)
    return Rendered(
        audio=out,
        sample_rate=sample_rate,
        tempo_bpm=round(tempo, 2),
        key=f"{lead.key_tonic} {lead.key_mode}",
        bars=plan.total_bars,
        capped=plan.capped,
    )


def _timeline(
    blocks: list[list[str]],
    lead: ReferenceFeatures,
    instrumental: ReferenceFeatures | None,
    *,
    accompaniment_wrap: bool,
) -> tuple[float, float, Plan]:
    """(tempo in BPM, bar length in seconds, the lyrics placed on the bars)."""
    tempo = _tempo_for(lead, instrumental)
    bar_s = _bar_seconds(instrumental, tempo)
    plan = plan_song(
        blocks,
        bar_s=bar_s,
        accompaniment_wrap=accompaniment_wrap,
        max_s=MAX_PIECE_S,
        with_instrumental=instrumental is not None,
    )
    return tempo, bar_s, plan


def _tempo_for(lead: ReferenceFeatures, instrumental: ReferenceFeatures | None) -> float:
    """The piece's tempo: the lead reference's, when plausible (else 96 BPM)."""
    tempo = float(lead.tempo_bpm) if 50 <= lead.tempo_bpm <= 200 else 96.0
    if instrumental is None:
        # Beat trackers are unreliable on a lone voice (they often lock onto twice the
        # pulse); fold the tempo into a range where syllables stay singable.
        while tempo > 126:
            tempo /= 2
        while tempo < 63:
            tempo *= 2
    return tempo


def _bar_seconds(instrumental: ReferenceFeatures | None, tempo: float) -> float:
    """The length of one bar: the instrumental's median bar, else four beats of ``tempo``."""
    if instrumental is not None and instrumental.n_bars >= 2:
        lengths = np.asarray(instrumental.bar_ends_s) - np.asarray(instrumental.bar_starts_s)
        return float(np.median(lengths))
    return 4 * 60.0 / tempo


def _arrangement(
    plan: Plan,
    bar_s: float,
    instrumental: ReferenceFeatures | None,
    instrumental_audio: np.ndarray | None,
    instrumental_is_song: bool,
    sample_rate: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray | None, list[float], list[float], list[np.ndarray] | None]:
    """The accompaniment (None without an instrumental), its bar starts and lengths, and each bar's chroma.

    Without an accompaniment the bars are ``bar_s`` apart and have no chroma.
    """
    if instrumental is None or instrumental_audio is None or not instrumental.n_bars:
        return None, [i * bar_s for i in range(plan.total_bars)], [bar_s] * plan.total_bars, None
    seq = arrange_bars(instrumental, plan.total_bars, rng)
    src = reduce_vocals(instrumental_audio, sample_rate, instrumental) if instrumental_is_song else instrumental_audio
    acc, bar_starts, bar_lengths = _render_accompaniment(src, sample_rate, instrumental, seq)
    return acc, bar_starts, bar_lengths, [np.asarray(instrumental.bar_chroma[i]) for i in seq]


def _sung_notes(
    plan: Plan,
    voice: ReferenceFeatures,
    lead: ReferenceFeatures,
    tonic_pc: int,
    bar_starts: list[float],
    bar_lengths: list[float],
    *,
    bar_chroma: list[np.ndarray] | None,
    rng: np.random.Generator,
) -> list[Note]:
    """The lyrics' syllables as notes: a melody in the lead's key and the singer's range, placed on the bars."""
    pr = voice.pitch_range_midi or [55.0, 67.0]
    pitches = melody_for(
        plan,
        tonic_pc=tonic_pc,
        mode=lead.key_mode,
        pitch_range=(pr[0], pr[1]),
        bar_chroma=bar_chroma,
        rng=rng,
        key_chroma=np.asarray(lead.chroma_mean),
    )
    notes: list[Note] = []
    for phrase, phrase_pitches in zip(plan.phrases, pitches, strict=True):
        n = len(phrase.syllables)
        for si, (syl, midi) in enumerate(zip(phrase.syllables, phrase_pitches, strict=True)):
            beat = si * phrase.step_beats
            bar = min(phrase.bar + int(beat // 4), len(bar_starts) - 1)
            beat_len = bar_lengths[bar] / 4
            start = bar_starts[bar] + (beat % 4) * beat_len
            dur = phrase.step_beats * beat_len * 0.92
            if si == n - 1:
                # Hold the last syllable into the rest of the phrase's bars (up to 3 beats),
                # breathing half a beat before the next line.
                last = min(phrase.bar + phrase.bars, len(bar_starts)) - 1
                phrase_end = bar_starts[last] + bar_lengths[last]
                dur = max(dur, min(3 * beat_len, phrase_end - start - 0.5 * beat_len))
            notes.append(Note(start, dur, midi, syl.vowel, syl.onset, 0.75 + 0.2 * ((beat % 2) == 0)))
    return notes


def _mix(n: int, acc: np.ndarray | None, vocal: np.ndarray | None, sample_rate: int) -> np.ndarray:
    """``n`` stereo samples of accompaniment and voice at fixed loudness, faded at both ends and limited."""
    mix = np.zeros((n, 2))
    if acc is not None:
        acc = acc if acc.shape[1] == 2 else np.repeat(acc, 2, axis=1)
        mix[: min(n, len(acc))] = acc[:n]
        r = _rms(mix)
        if r > 0:
            mix = mix * (10 ** (-20 / 20) / r)
    if vocal is not None:
        v = vocal[: len(mix)]
        r = _rms(v)
        target = 10 ** ((-17 if acc is not None else -16) / 20)
        if r > 0:
            v = v * (target / r)
        mix[: len(v)] += v[:, None]
    # A gentle fade at both ends, then the limiter.
    fade = min(len(mix) // 4, int(0.5 * sample_rate))
    if fade > 0:
        mix[: int(0.01 * sample_rate)] *= np.linspace(0, 1, int(0.01 * sample_rate))[:, None]
        mix[-fade:] *= np.linspace(1, 0, fade)[:, None] ** 2
    return limit(mix, sample_rate).astype(np.float32)
