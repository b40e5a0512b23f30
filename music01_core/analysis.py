"""Reference analysis: tempo, key, loudness, vocals, purpose and segment.

Everything is computed from one decoded mono copy of the input (22.05 kHz for rhythm and
harmony, a decimated 11.025 kHz harmonic part for pitch tracking).  Spectra, chroma, beats
and tempo come from :mod:`music01_core.dsp` and :mod:`music01_core.rhythm` (ports of the
librosa functions, which take seconds to import), pitch tracking from :mod:`music01_core.pitch`
(librosa's pYIN, ported the same way).  The
vocals verdict uses what separates the three cases acoustically, not file names:

- *singing* holds notes: long runs of stable pitch, with the small, living variation of
  a voice (vibrato, jitter) on them;
- *speech* glides: pitch moves all the time, voiced stretches are syllable-short and
  come at a syllable rate of several per second;
- *none*: little voiced pitch at all, or only machine-steady pitch (an instrument), or
  wavering notes on harmonics brighter than any voice's (a lead synthesiser, brass, reeds).

A lead instrument played with vibrato or bends wavers like a voice, so wavering alone is
not enough: without words heard, *singing* also needs wavering notes through most of the
clip (or vibrato on note after note), and a few wavering notes among steady ones are
reported as ``unsure``.
"""

from __future__ import annotations

import logging
import math
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field

import numpy as np

from . import dsp, pitch, rhythm
from .audio import Clip, check_input_file, load_audio
from .errors import InputError
from .models import model_in_use
from .settings import CLIP_MARGIN_S, MAX_CLIP_S, MIN_CLIP_S
from .voice import VoiceActivity, voice_activity

logger = logging.getLogger(__name__)

__all__ = [
    "Analysis",
    "VocalsVerdict",
    "PitchTrack",
    "analyze",
    "analyze_with_features",
    "estimate_key",
    "track_pitch",
    "PURPOSES",
    "UNSURE_BELOW",
]

PURPOSES = ("song", "voice", "instrumental")
NOTE_NAMES = ("C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B")
# Krumhansl–Kessler key profiles.
_MAJOR = np.array([6.35, 2.23, 3.48, 2.33, 4.38, 4.09, 2.52, 5.19, 2.39, 3.66, 2.29, 2.88])
_MINOR = np.array([6.33, 2.68, 3.52, 5.38, 2.60, 3.53, 2.54, 4.75, 3.98, 2.69, 3.34, 3.17])
SR = 22050
PITCH_SR = 11025
PITCH_HOP = 512  # 46 ms frames at 11.025 kHz: enough for notes, vibrato and syllables
HOP = 512
#: A vocals verdict less confident than this is reported as "unsure" (we could not tell).
UNSURE_BELOW = 0.6
#: analyze() measures files longer than this on windows only, so a 10-minute file takes seconds.
SAMPLE_ABOVE_S = 150.0
SAMPLE_WINDOWS = 3  # the same three windows the pitch tracker samples
SAMPLE_WINDOW_S = 30.0
SAMPLE_TOP_HZ = 5000.0  # in sampled mode the harmonic/percussive split ignores bins above this


@dataclass(frozen=True)
class VocalsVerdict:
    """Whether and how a clip has a human voice.

    Attributes
    ----------
    kind : {"singing", "speech", "none", "unsure"}
        ``unsure``: the evidence is too weak to tell (confidence below :data:`UNSURE_BELOW`).
    confidence : float
        About 0.45 (a guess) to 1.0 (clear-cut), for the most likely kind.
    voiced_ratio : float
        Share of frames with a voiced pitch.
    stable_ratio : float
        Share of voiced frames inside held notes (>= 185 ms within 0.7 semitone).
    note_wobble_cents : float
        Median pitch variation inside held notes, in cents (a voice: 8-60, a synth: ~0,
        but a synth lead with vibrato as much as a voice).
    glide_semitones : float
        Median frame-to-frame pitch change while voiced, in semitones.
    syllable_rate_hz : float
        Voiced onsets per second of voiced-or-short-gap time.
    accompaniment : bool
        Whether something other than one voice plays (chords, drums).
    loud_unvoiced_ratio : float
        Share of loud frames without a voiced pitch (a cappella: near 0).
    vibrato_share : float
        Share of held notes of the strongest 200–1000 Hz partial that wobble like a voice.
    speech_share : float or None
        Share of audible frames the voice-activity model (:mod:`music01_core.voice`) heard
        as words; None where that model cannot run (the verdict then rests on pitch alone).
    held_notes : int
        Held notes found (each >= 250 ms).
    voice_like_share : float
        Share of the active time covered by held notes that wobble like a voice (>= 4 cents):
        a singer carrying the tune covers most of the clip, an instrument's occasional bend
        or vibrato a few seconds.
    brightness_db : float or None
        Energy of the held notes' harmonics at 4–8 kHz over those below 2 kHz, in dB
        (:func:`_harmonic_brightness_db`); None where not measured.
    """

    kind: str
    confidence: float
    voiced_ratio: float
    stable_ratio: float
    note_wobble_cents: float
    glide_semitones: float
    syllable_rate_hz: float
    accompaniment: bool
    loud_unvoiced_ratio: float = 0.0
    vibrato_share: float = 0.0
    speech_share: float | None = None
    held_notes: int = 0
    voice_like_share: float = 0.0
    brightness_db: float | None = None


@dataclass(frozen=True)
class Analysis:
    """What :func:`analyze` found.  Times in seconds, levels in dBFS.

    ``vocals`` is ``singing``, ``speech``, ``none`` or ``unsure`` (we could not tell), with
    ``vocals_confidence``; ``suggested_purpose`` is None when unsure and for speech (no purpose
    fits a spoken clip; a warning says why); ``speech_s`` lists the (start, end) seconds where
    speech was found.
    """

    duration_s: float
    tempo_bpm: float
    beat_times_s: tuple[float, ...]
    key: str
    key_tonic: str
    key_mode: str
    key_confidence: float
    rms_dbfs: float
    peak_dbfs: float
    silence_ratio: float
    vocals: str
    vocals_confidence: float
    vocals_detail: VocalsVerdict
    pitch_range_midi: tuple[float, float] | None
    suggested_purpose: str | None
    suggested_segment: dict
    warnings: tuple[str, ...] = field(default=())
    speech_s: tuple[tuple[float, float], ...] = field(default=())
    sampled: bool = False
    tempo_alternative_bpm: float | None = None
    chroma_mean: tuple[float, ...] = field(default=(), repr=False)

    def to_dict(self) -> dict:
        """JSON-ready dict (beat times rounded to ms)."""
        d = asdict(self)
        d["beat_times_s"] = [round(t, 3) for t in self.beat_times_s]
        d["warnings"] = list(self.warnings)
        d["chroma_mean"] = [round(c, 4) for c in self.chroma_mean]
        d["pitch_range_midi"] = list(self.pitch_range_midi) if self.pitch_range_midi else None
        d["confidence"] = self.vocals_confidence
        d["speech_s"] = [list(span) for span in self.speech_s]
        return d


def estimate_key(chroma_mean: np.ndarray) -> tuple[str, str, float]:
    """Key from a mean chroma vector by correlation with major/minor profiles.

    Returns
    -------
    tonic : str
    mode : {"major", "minor"}
    correlation : float
        Pearson correlation of the best profile, -1..1.
    """
    best = ("C", "major", -2.0)
    c = np.asarray(chroma_mean, dtype=float)
    if not np.any(c > 0):
        return "C", "major", 0.0
    for mode, prof in (("major", _MAJOR), ("minor", _MINOR)):
        for tonic in range(12):
            r = float(np.corrcoef(c, np.roll(prof, tonic))[0, 1])
            if r > best[2]:
                best = (NOTE_NAMES[tonic], mode, r)
    return best


@dataclass(frozen=True)
class PitchTrack:
    """A pitch track at ``frame_rate`` frames per second.

    Attributes
    ----------
    midi : np.ndarray
        Fine pitch (MIDI note numbers, fractional), NaN where unvoiced.
    voiced : np.ndarray
        Boolean voicing decision per frame.
    level_db : np.ndarray
        Frame level in dB relative to the loud (95th percentile) frames.
    frame_rate : float
        Frames per second.
    """

    midi: np.ndarray
    voiced: np.ndarray
    level_db: np.ndarray
    frame_rate: float


def track_pitch(y: np.ndarray, sample_rate: int) -> PitchTrack:
    """Track the main pitch of ``y``: pYIN decides voicing, YIN gives the fine pitch.

    pYIN runs on the harmonic part (drums removed) at 11.025 kHz on a quarter-semitone
    grid, which is ~5x faster than its default and reliable for voicing; YIN on the same
    frames gives continuous pitch values, fine enough to see a singer's vibrato.

    Parameters
    ----------
    y : np.ndarray
        Mono samples, shape ``(n,)``.
    sample_rate : int
        Rate of ``y`` in Hz.
    """
    y11 = dsp.resample(y, orig_sr=sample_rate, target_sr=PITCH_SR, quality="soxr_mq") if sample_rate != PITCH_SR else y
    h = dsp.harmonic(y11, margin=2.0, n_fft=1024, hop_length=256) if len(y11) > 4096 else y11
    kw = dict(fmin=70.0, fmax=900.0, sr=PITCH_SR, frame_length=1024, hop_length=PITCH_HOP, center=True)
    f0, voiced, prob = pitch.pyin(h, resolution=0.25, **kw)
    fine = pitch.yin(h, **kw)
    coarse = pitch.hz_to_midi(np.where(np.isfinite(f0), f0, 1.0))
    midi = pitch.hz_to_midi(fine)
    voiced = voiced & (prob > 0.3) & (np.abs(midi - coarse) < 1.0)
    rms = dsp.frame_rms(y11, frame_length=1024, hop_length=PITCH_HOP)[: len(voiced)]
    ref = max(float(np.percentile(rms, 95)), 1e-9)
    level_db = 20 * np.log10(rms / ref + 1e-9)
    return PitchTrack(
        midi=np.where(voiced, midi, np.nan), voiced=voiced, level_db=level_db, frame_rate=PITCH_SR / PITCH_HOP
    )


def voiced_spans_s(
    track: PitchTrack, *, offset_s: float = 0.0, bridge_s: float = 1.0, min_s: float = 1.0
) -> list[tuple[float, float]]:
    """Stretches of voiced pitch, in seconds: runs closer than ``bridge_s`` are joined, shorter than ``min_s`` dropped.

    Where a speech verdict stands, these are the seconds where speech was found.
    """
    spans: list[list[float]] = []
    for a, b in _runs(track.voiced):
        start, end = offset_s + a / track.frame_rate, offset_s + b / track.frame_rate
        if spans and start - spans[-1][1] <= bridge_s:
            spans[-1][1] = end
        else:
            spans.append([start, end])
    return [(round(a, 1), round(b, 1)) for a, b in spans if b - a >= min_s]


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    """(start, end) index pairs of the True runs in a boolean array."""
    padded = np.concatenate([[False], mask, [False]]).astype(np.int8)
    d = np.diff(padded)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def _held_notes(seg: np.ndarray, *, smooth_frames: int, jump_semitones: float, min_frames: int) -> list[np.ndarray]:
    """Split a pitch run (MIDI per frame) into held notes of at least ``min_frames``.

    The run is cut where its smoothed pitch jumps by more than ``jump_semitones`` from one
    frame to the next; smoothing over several frames keeps vibrato from cutting a note.
    """
    spans = _held_spans(seg, smooth_frames=smooth_frames, jump_semitones=jump_semitones, min_frames=min_frames)
    return [seg[a:b] for a, b in spans]


def _held_spans(
    seg: np.ndarray, *, smooth_frames: int, jump_semitones: float, min_frames: int
) -> list[tuple[int, int]]:
    """The (start, end) frame indices, within ``seg``, of the notes :func:`_held_notes` returns."""
    from scipy.ndimage import uniform_filter1d

    if len(seg) < min_frames:
        return []
    smooth = uniform_filter1d(seg, size=smooth_frames, mode="nearest")
    cuts = [0, *(np.flatnonzero(np.abs(np.diff(smooth)) > jump_semitones) + 1).tolist(), len(seg)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True) if b - a >= min_frames]


def _voice_notes(track: PitchTrack) -> list[tuple[int, int]]:
    """Held notes of a pitch track as (start, end) frames: >= ~250 ms within 0.3 semitone.

    Smoothing over ~230 ms cancels vibrato, so notes split only where the pitch moves on.
    """
    min_note = int(round(0.25 * track.frame_rate))
    return [
        (a + s, a + e)
        for a, b in _runs(track.voiced)
        for s, e in _held_spans(track.midi[a:b], smooth_frames=5, jump_semitones=0.3, min_frames=min_note)
    ]


def _window_max(x: np.ndarray, centre_hz: np.ndarray, bin_hz: float) -> np.ndarray:
    """The largest of ``x`` (one spectrum column) within ±2 % of each centre frequency.

    ±2 % is how far a harmonic moves in a wide vibrato (±35 cents).
    """
    lo = np.floor(centre_hz * 0.98 / bin_hz).astype(int)
    hi = np.minimum(np.ceil(centre_hz * 1.02 / bin_hz).astype(int) + 1, len(x))
    return np.array([x[a:b].max() if b > a else 0.0 for a, b in zip(lo, hi, strict=True)])


def _harmonic_brightness_db(
    spectrum: np.ndarray,
    sample_rate: int,
    hop: int,
    track: PitchTrack,
    *,
    frame_times_s: np.ndarray | None = None,
) -> tuple[float | None, int]:
    """How far up the held notes' harmonics reach: their energy at 4–8 kHz over that below 2 kHz.

    A voice's harmonics fall steeply above its formants (about 12 dB an octave from the
    glottis): the dev set's recorded voices read -37 to -42 dB.  An unfiltered saw or square
    wave falls only 6 dB an octave, and reeds and brass little more: -19 to -2 dB.  A
    darker instrument (a flute, a filtered synthesiser) reads like a voice, so only the
    bright end says anything (:data:`VOICE_BRIGHTNESS_MAX_DB`).  Each held frame's pitch says
    where its harmonics are; a harmonic counts only the energy by which it tops the same
    window halfway to the next harmonic, so drums and breath noise do not brighten it.

    Parameters
    ----------
    spectrum : np.ndarray, shape (n_fft // 2 + 1, frames)
        Magnitude spectrogram of the same signal, ``hop`` samples a column, frames centred.
    sample_rate : int
        Rate of the signal behind ``spectrum``, in Hz.
    hop : int
        Hop of ``spectrum``, in samples.
    track : PitchTrack
        The pitch track whose held notes are measured.
    frame_times_s : np.ndarray, optional
        Each track frame's time in the spectrum's signal, in seconds (a track made of
        windows of a long file); by default frame ``j`` is at ``j / frame_rate``.

    Returns
    -------
    brightness_db : float or None
        Median over held frames, in dB; None without held frames.
    frames : int
        Held frames measured.
    """
    n_bins = spectrum.shape[0]
    bin_hz = sample_rate / (2 * (n_bins - 1))
    ratios = []
    for col, f0_hz in _held_frame_pitches(track, sample_rate, hop, spectrum.shape[1], frame_times_s):
        ratio = _harmonic_ratio_db(spectrum[:, col], f0_hz, sample_rate, bin_hz)
        if ratio is not None:
            ratios.append(ratio)
    if not ratios:
        return None, 0
    return round(float(np.median(ratios)), 1), len(ratios)


def _held_frame_pitches(
    track: PitchTrack, sample_rate: int, hop: int, n_cols: int, frame_times_s: np.ndarray | None
) -> Iterator[tuple[int, float]]:
    """(spectrum column, f0 in Hz) of each frame of the track's held notes that lies in the spectrum."""
    if frame_times_s is None:
        frame_times_s = np.arange(len(track.midi)) / track.frame_rate
    for a, b in _voice_notes(track):
        for j in range(a, b):
            col = int(round(frame_times_s[j] * sample_rate / hop))
            f0_hz = 440.0 * 2 ** ((track.midi[j] - 69) / 12)
            if not (0 <= col < n_cols) or not np.isfinite(f0_hz):
                continue
            yield col, f0_hz


def _harmonic_ratio_db(x: np.ndarray, f0_hz: float, sample_rate: int, bin_hz: float) -> float | None:
    """One spectrum column's harmonic energy of ``f0_hz`` at 4–8 kHz over that below 2 kHz, in dB.

    None when the harmonics do not reach 4 kHz or none below 2 kHz stands above the noise.
    """
    top_hz = min(8000.0, 0.95 * sample_rate / 2)
    k = np.arange(1, int(top_hz / f0_hz) + 1)
    if k.size == 0 or k[-1] * f0_hz < 4000:
        return None
    # The same window halfway between harmonics: what noise alone reaches there.
    peak, floor = _window_max(x, k * f0_hz, bin_hz), _window_max(x, (k + 0.5) * f0_hz, bin_hz)
    energy = np.maximum(peak**2 - floor**2, 0.0)
    low = energy[k * f0_hz < 2000].sum()
    high = energy[k * f0_hz >= 4000].sum()
    if low > 0:
        return 10 * np.log10(max(high, 1e-12 * low) / low)
    return None


def _detrended(note: np.ndarray) -> np.ndarray:
    """A note's pitch minus its straight-line trend (a slow scoop is not wobble)."""
    x = np.arange(len(note))
    return note - np.polyval(np.polyfit(x, note, 1), x)


def _vibrato_notes(harm: np.ndarray, sample_rate: int, n_fft: int, hop: int) -> tuple[float, list[float]]:
    """Follow the strongest harmonic partial in 200–1000 Hz and measure its wobble.

    A voice in a mix is usually the loudest thing in that band, and its partials carry
    vibrato; so do a violin's, a saxophone's and a synthesiser lead's.  Returns the share of
    held notes (>= 0.5 s) whose pitch wobbles periodically by more than 5 cents, and the MIDI
    pitches of those notes (one per note: a share of one note out of one is 100 %, and says little).
    """
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    band = np.flatnonzero((freqs >= 200) & (freqs <= 1000))
    if harm.shape[1] < 12 or band.size < 3:
        return 0.0, []
    logmag = np.log(harm[band] + 1e-9)
    k = np.clip(np.argmax(logmag, axis=0), 1, len(band) - 2)
    cols = np.arange(logmag.shape[1])
    a, b, c = logmag[k - 1, cols], logmag[k, cols], logmag[k + 1, cols]
    offset = np.clip(0.5 * (a - c) / np.where(np.abs(a - 2 * b + c) < 1e-12, -1e-12, a - 2 * b + c), -0.5, 0.5)
    hz = freqs[band[0]] + (k + offset) * (freqs[1] - freqs[0])
    midi = 12 * np.log2(np.maximum(hz, 1.0) / 440.0) + 69
    level = 20 * np.log10(harm[band].max(axis=0) + 1e-9)
    on = level > np.percentile(level, 95) - 25
    min_len = int(round(0.5 * sample_rate / hop))
    wobbles, pitches = [], []
    for start, end in _runs(on):
        for note in _held_notes(midi[start:end], smooth_frames=9, jump_semitones=0.25, min_frames=min_len):
            resid = _detrended(note)
            w = float(np.std(resid) * 100)
            # Vibrato is periodic at 4-8 Hz; joins, beats and slides are not.
            power = np.abs(np.fft.rfft(resid * np.hanning(len(resid)), n=128)) ** 2
            fhz = np.fft.rfftfreq(128, hop / sample_rate)
            periodic = power[(fhz >= 3.5) & (fhz <= 8.5)].sum() / (power[fhz > 1.0].sum() + 1e-12)
            vibrato = w > 5 and periodic > 0.5
            wobbles.append(vibrato)
            if vibrato:
                pitches.append(float(np.median(note)))
    share = float(np.mean(wobbles)) if wobbles else 0.0
    return share, pitches


def _refined_tempo(beat_frames: np.ndarray, frame_rate: float, tempo_bpm: float) -> float:
    """The beat tracker's tempo, refined from the beats themselves.

    The tracker's tempo comes in steps of one onset frame (117.5, 123.0 BPM… at 23 ms
    frames), so the same music re-cut can read one step apart.  A line fitted through runs
    of evenly spaced beats gives the period between the steps.
    """
    if len(beat_frames) < 6:
        return tempo_bpm
    gaps = np.diff(beat_frames)
    med = float(np.median(gaps))
    even = np.abs(gaps - med) <= 0.15 * med
    periods, weights = [], []
    for a, b in _runs(even):
        if b - a >= 4:  # at least five beats in a row
            idx = np.arange(a, b + 1)
            periods.append(np.polyfit(idx, beat_frames[a : b + 1], 1)[0])
            weights.append(b - a)
    if not periods:
        return tempo_bpm
    refined = 60.0 * frame_rate / float(np.average(periods, weights=weights))
    return refined if abs(refined / tempo_bpm - 1) < 0.08 else tempo_bpm


def _tempo_alternative(onset_env: np.ndarray, frame_rate: float, tempo_bpm: float) -> float | None:
    """A competing reading (half, double, 2:3 or 3:2) whose pulse is nearly as strong, or None.

    Strength is the onset envelope's autocorrelation at the beat period, summed over the
    first three multiples so a reading is judged by whether its whole grid is present.
    """
    x = onset_env - onset_env.mean()
    ac = rhythm.autocorrelate(x)
    if ac[0] <= 0:
        return None
    ac = ac / ac[0]

    def strength(bpm: float) -> float:
        lag = 60.0 * frame_rate / bpm
        vals = [np.interp(k * lag, np.arange(len(ac)), ac) for k in (1, 2, 3) if k * lag < len(ac) - 1]
        return float(np.mean(vals)) if vals else 0.0

    own = strength(tempo_bpm)
    best, best_s = None, 0.0
    for ratio in (0.5, 2 / 3, 1.5, 2.0):
        alt = tempo_bpm * ratio
        if 50 <= alt <= 200:
            st = strength(alt)
            if st >= 0.85 * own and st > best_s:
                best, best_s = alt, st
    return None if best is None else round(best, 1)


#: Held notes whose harmonics at 4–8 kHz come within this many dB of those below 2 kHz are
#: brighter than a voice (:func:`_harmonic_brightness_db`).  On benchmarks/realdata.py the
#: recorded voices (sung vowels, speech) read -37 dB at the brightest; an alto saxophone
#: -18.5, a trumpet and a shenai -2, an unfiltered saw or square wave -16 to -19.  The
#: held-out check's close-miked dialogue reached -27.5 dB, so the line sits well above it.
VOICE_BRIGHTNESS_MAX_DB = -22.0
#: A singer carrying a tune holds wavering notes for much of the clip: on benchmarks/realdata.py
#: the sung stand-ins that waver cover 0.55–0.84 of their active time, spoken clips 0.05–0.23,
#: and the darker instruments that waver (a flute, a guitar's bends, a tracker's vibrato) at
#: most 0.44.  Less than this is too little to call singing.
CARRIES_TUNE_SHARE = 0.5
#: Vibrato counts from this many of the melody's notes on (:func:`_vibrato_notes`), and calls
#: a tune carried from this share of them: the dev set's darker instruments with vibrato show
#: it on at most 3 notes; the synthetic singer over a band on 7, nearly half of those its
#: partial tracker holds (its pitch track follows the bass between phrases).
VIBRATO_NOTES_MIN = 4
VIBRATO_SHARE_MIN = 0.4
#: Below this share, words heard over wavering notes are not a sung line but speech with some
#: drawn-out syllables (between the most a spoken clip covers, 0.23, and the least a sung one
#: does, 0.55).
SPOKEN_BELOW_SHARE = 0.35


def _with_words(
    kind: str,
    conf: float,
    speech_share: float | None,
    *,
    held: bool = False,
    voice_like_share: float | None = None,
    glide: float = 0.0,
) -> tuple[str, float]:
    """Weigh the pitch verdict against whether words were heard (the voice-activity model).

    Pitch cannot tell a bowed string's vibrato from a singer's, nor an instrument's short
    notes from syllables; the voice-activity model hears words, spoken or sung, and hears
    neither instruments nor wordless vowels.  Measured on benchmarks/realdata.py: every
    spoken clip scores >= 0.59, every instrumental <= 0.02.

    ``voice_like_share`` (the share of the clip held on wavering notes, see
    :class:`VocalsVerdict`) and ``glide`` (the median pitch step, semitones per frame) tell
    sung words, which sit on held notes, from speech, which glides between short ones.
    """
    if speech_share is None:
        return kind, conf
    if kind == "speech":
        if speech_share >= 0.3:
            return "speech", max(conf, 0.75 + 0.25 * min(1.0, (speech_share - 0.3) / 0.4))
        if speech_share < 0.1:
            # Syllable-sized pitched pieces, but no words: an instrument's short notes.
            return "none", 0.7 + 0.2 * (0.1 - speech_share) / 0.1
        return "speech", min(conf, 0.55)
    if kind == "singing":
        if (
            speech_share >= 0.5
            and voice_like_share is not None
            and voice_like_share < SPOKEN_BELOW_SHARE
            and glide >= 0.1
        ):
            # Words most of the time, in pitch that glides, and too few held notes for a sung
            # line (dev set: speech glides 0.18–0.46 semitone a frame, the sung vowels 0.01–0.03,
            # the synthetic singer with its wide vibrato 0.07).
            return "speech", 0.7
        if speech_share >= 0.2:
            # Held notes and words: sung words, or acted, drawn-out speech.  Nothing here tells
            # them apart (the held-out check's game dialogue read as "singing" when this was
            # trusted), so say we cannot tell.
            return "singing", min(conf, 0.55)
        if speech_share < 0.05:
            # Held notes with vibrato and no words: a wordless voice or a bowed instrument.
            return "singing", min(conf, 0.7)
        return "singing", min(conf, 0.8)
    # Pitch found no voice.
    if speech_share >= 0.3:
        # Words heard, but neither speech's glide nor singing's held notes: we cannot tell which.
        return "speech", 0.5
    if speech_share < 0.1:
        # No words.  Without held notes nothing sounded like a voice at all; with them, a
        # steady wordless voice ("ooh") and an instrument look alike, so stay modest.
        return "none", min(conf, 0.75) if held else max(conf, 0.8)
    return kind, min(conf, 0.6)


def _vocals(
    track: PitchTrack,
    vibrato_share: float = 0.0,
    speech_share: float | None = None,
    *,
    vibrato_notes: int | None = None,
    brightness_db: float | None = None,
) -> VocalsVerdict:
    """Weigh the pitch evidence (and the words heard) into a verdict.

    Parameters
    ----------
    track : PitchTrack
        The clip's pitch track.
    vibrato_share : float
        Share of the strongest partial's held notes that wobble like a voice (:func:`_vibrato_notes`).
    speech_share : float or None
        Share of audible frames heard as words; None where the voice-activity model cannot run.
    vibrato_notes : int, optional
        How many of those notes carry vibrato; the share counts only from
        :data:`VIBRATO_NOTES_MIN` notes on (None: the share stands alone).
    brightness_db : float or None
        The held notes' :func:`_harmonic_brightness_db`; None where not measured.
    """
    ev = _PitchEvidence.of(track, vibrato_share, vibrato_notes)
    kind, conf = _pitch_verdict(ev, brightness_db)
    kind, conf = _with_words(
        kind, conf, speech_share, held=ev.stable_ratio >= 0.3, voice_like_share=ev.voice_like_share, glide=ev.glide
    )
    if conf < UNSURE_BELOW:
        # Too close to call: say so rather than guess with a confident face.
        kind = "unsure"
    return VocalsVerdict(
        kind=kind,
        confidence=round(float(min(conf, 1.0)), 3),
        voiced_ratio=round(ev.voiced_ratio, 3),
        stable_ratio=round(float(ev.stable_ratio), 3),
        note_wobble_cents=round(ev.wobble, 2),
        glide_semitones=round(ev.glide, 3),
        syllable_rate_hz=round(float(ev.syllable_rate), 3),
        accompaniment=bool(ev.accompaniment),
        loud_unvoiced_ratio=round(ev.loud_unvoiced, 3),
        vibrato_share=round(vibrato_share, 3),
        speech_share=speech_share,
        held_notes=ev.held_notes,
        voice_like_share=round(ev.voice_like_share, 3),
        brightness_db=brightness_db,
    )


@dataclass(frozen=True)
class _PitchEvidence:
    """What a pitch track says about a voice (see :class:`VocalsVerdict` for the measures)."""

    voiced_ratio: float
    n_voiced: int
    stable_ratio: float
    wobble: float
    glide: float
    syllable_rate: float
    voice_like_share: float
    vibrato: float
    loud_unvoiced: float
    accompaniment: bool
    held_notes: int

    @classmethod
    def of(cls, track: PitchTrack, vibrato_share: float, vibrato_notes: int | None) -> _PitchEvidence:
        """Measure ``track``; ``vibrato_share`` counts only from :data:`VIBRATO_NOTES_MIN` vibrato notes on."""
        fps = track.frame_rate
        voiced = track.voiced
        n = max(1, len(voiced))
        voiced_ratio = float(voiced.sum() / n)
        glides, runs = [], 0
        for a, b in _runs(voiced):
            runs += 1
            if b - a > 1:
                glides.extend(np.abs(np.diff(track.midi[a:b])).tolist())
        notes = _voice_notes(track)
        wobbles = [float(np.std(_detrended(track.midi[a:b])) * 100) for a, b in notes]
        held_frames = sum(b - a for a, b in notes)
        # Frames of held notes that wobble like a voice (>= 4 cents): how much of the clip a
        # voice would have to be carrying, not just whether a few notes waver.
        living_frames = sum(b - a for (a, b), w in zip(notes, wobbles, strict=True) if w >= 4.0)
        n_voiced = int(voiced.sum())
        stable_ratio = held_frames / n_voiced if n_voiced else 0.0
        wobble = float(np.median(wobbles)) if wobbles else 0.0
        glide = float(np.median(glides)) if glides else 0.0
        active = track.level_db > -30
        active_s = max(active.sum() / fps, 1e-6)
        syllable_rate = runs / active_s
        voice_like_share = min(1.0, living_frames / fps / active_s)
        # Vibrato counts only on enough notes: one note out of one is a share of 100 % (a clip
        # whose partial tracker held a single note through a drum fill read "singing" on that).
        vibrato = vibrato_share if vibrato_notes is None or vibrato_notes >= VIBRATO_NOTES_MIN else 0.0
        # A cappella: whenever it is loud, it is the voice.  Anything loud and unpitched
        # (drums, noise, dense chords) means something else is playing.
        loud_unvoiced = float((~voiced[active]).mean()) if active.any() else 0.0
        return cls(
            voiced_ratio=voiced_ratio,
            n_voiced=n_voiced,
            stable_ratio=stable_ratio,
            wobble=wobble,
            glide=glide,
            syllable_rate=syllable_rate,
            voice_like_share=voice_like_share,
            vibrato=vibrato,
            loud_unvoiced=loud_unvoiced,
            accompaniment=loud_unvoiced > 0.2,
            held_notes=len(notes),
        )


def _pitch_verdict(ev: _PitchEvidence, brightness_db: float | None) -> tuple[str, float]:
    """(kind, confidence) from the pitch evidence alone, before the words heard are weighed."""
    stable_ratio, wobble, glide, vibrato = ev.stable_ratio, ev.wobble, ev.glide, ev.vibrato
    syllable_rate, voiced_ratio = ev.syllable_rate, ev.voiced_ratio
    # Thresholds measured on real recordings (benchmarks/realdata.py: telephone speech in five
    # languages, speech over music, game soundtracks), not only on synthetic voices.
    talking = stable_ratio < 0.3 or (syllable_rate >= 2.8 and glide >= 0.2 and stable_ratio < 0.5)
    if voiced_ratio < 0.12 or ev.n_voiced < 10:
        return "none", 0.6 + 0.4 * (1 - voiced_ratio / 0.12)
    if talking and glide < 0.1:
        # Short pitched pieces that hardly glide: an instrument's short notes, not a voice talking.
        return "none", 0.5 + 0.35 * min(1.0, (0.1 - glide) / 0.08)
    if talking:
        # Pitch that never settles and slides, in syllable-sized pieces: talking.
        return "speech", (
            0.5
            + 0.2 * min(1.0, (glide - 0.1) / 0.2)
            + 0.15 * min(1.0, max(0.0, syllable_rate - 2.0) / 1.5)
            + 0.15 * min(1.0, max(0.0, 0.45 - stable_ratio) / 0.3)
        )
    if wobble < 4.0 and vibrato < 0.18:
        # Notes held without a voice's living wobble or vibrato: most likely an instrument.
        return "none", 0.45 + 0.25 * min(1.0, (4.0 - wobble) / 3.0) + 0.2 * min(1.0, (0.18 - vibrato) / 0.12)
    if brightness_db is not None and brightness_db > VOICE_BRIGHTNESS_MAX_DB:
        # Wobble or vibrato, but harmonics reaching far above any voice's: a lead instrument
        # (a synthesiser's saw or square wave, a reed, brass) played with vibrato or bends.
        return "none", 0.75
    if ev.voice_like_share < CARRIES_TUNE_SHARE and vibrato < VIBRATO_SHARE_MIN:
        # A few wavering notes among steady ones or gaps: an instrument's bend or vibrato looks
        # like this, and so does a voice heard only here and there.  Too little to call.
        return "singing", 0.5
    # A voice's wobble on the notes that carry the tune for most of the clip, or its
    # vibrato on note after note of the melody (a voice over a band, whose pitch track
    # follows the bass between phrases).
    return "singing", (
        0.55
        + 0.25 * min(1.0, (stable_ratio - 0.3) / 0.4)
        + 0.2 * max(min(1.0, (wobble - 4.0) / 6.0), min(1.0, (vibrato - 0.18) / 0.2))
    )


def _suggest_segment(
    duration_s: float, beats: np.ndarray, frame_rms_db: np.ndarray, feats: np.ndarray, *, min_s: float, max_s: float
) -> dict:
    """Most representative window: loud, not silent, away from fades, close to the average."""
    if duration_s < MIN_CLIP_S:
        return {"start_s": 0.0, "end_s": round(duration_s, 3), "valid": False}
    if duration_s <= max_s:
        # Short enough to use whole (trim the last 0.1 s so rounding never exceeds the file).
        end = min(duration_s, MAX_CLIP_S)
        return {"start_s": 0.0, "end_s": round(end, 3), "valid": True}
    length = max(min_s, min(max_s, duration_s * 0.5))
    fps = SR / HOP
    edge = max(2.0, 0.05 * duration_s)  # fade-in/out zone
    starts = [float(b) for b in beats if edge <= b <= duration_s - length - min(edge, 1.0)]
    if not starts:
        starts = list(np.arange(0.0, duration_s - length, 1.0))
    global_feat = feats.mean(axis=1)
    gnorm = np.linalg.norm(global_feat) + 1e-9
    best, best_score = (starts[0] if starts else 0.0), -np.inf
    for s in starts[:: max(1, len(starts) // 200)]:
        a, b = int(s * fps), int((s + length) * fps)
        if b <= a:
            continue
        rms = frame_rms_db[a:b]
        silent = float((rms < -50).mean())
        loud = float(np.median(rms))
        f = feats[:, a:b].mean(axis=1)
        sim = float(f @ global_feat / (np.linalg.norm(f) * gnorm + 1e-9))
        score = sim * 2.0 + loud / 30.0 - silent * 3.0
        if score > best_score:
            best, best_score = s, score
    end = min(best + length, duration_s)
    return {"start_s": round(best, 3), "end_s": round(end, 3), "valid": True}


def _too_short(duration_s: float, model) -> str | None:
    """The warning for a recording shorter than the model's reference bound (None when it is long enough,
    or the model takes no reference)."""
    m = model_in_use(model)
    limits = m.reference.limits
    if limits is None or duration_s >= limits.safe_min_s:
        return None
    need = "more than" if limits.min_exclusive else "at least"
    return f"the audio is {duration_s:.2f} s; {m.id} needs {need} {limits.min_s:g} s — record a longer take."


def analyze(
    source: str | os.PathLike | Clip,
    *,
    purpose: str | None = None,
    segment_s: tuple[float, float] = (30.0, 60.0),
    audio: tuple[np.ndarray, int] | None = None,
    model=None,
) -> Analysis:
    """Analyse a reference (a prepared clip or any audio file).

    Parameters
    ----------
    source : path-like or Clip
        The audio to analyse.
    purpose : {"song", "voice", "instrumental"}, optional
        The purpose the person chose; warnings say when the clip does not fit it.
    segment_s : (float, float)
        Shortest and longest suggested segment, in seconds.
    audio : (np.ndarray, int), optional
        Already-decoded mono samples and their rate, to skip decoding.
    model : str or Model, optional
        Whose length bound a too-short recording is measured against (default the model in
        use: ``MUSIC01_MODEL``, else minimax-music).

    Returns
    -------
    Analysis
    """
    return analyze_with_features(
        source, purpose=purpose, segment_s=segment_s, audio=audio, sample_above_s=SAMPLE_ABOVE_S, model=model
    )[0]


def analyze_with_features(
    source: str | os.PathLike | Clip,
    *,
    purpose: str | None = None,
    segment_s: tuple[float, float] = (30.0, 60.0),
    audio: tuple[np.ndarray, int] | None = None,
    sample_above_s: float | None = None,
    model=None,
) -> tuple[Analysis, dict]:
    """Like :func:`analyze`, also returning the frame-level features the engine reuses.

    sample_above_s : float, optional
        Measure files longer than this on windows only (:func:`analyze` uses 150 s; the
        offline engine, which needs every bar, measures the whole clip).

    Returns
    -------
    analysis : Analysis
    features : dict
        ``chroma`` (12, frames) and ``mfcc`` (13, frames) at ``frame_rate`` frames/s,
        ``pitch`` (a :class:`PitchTrack`), ``frame_db`` (frames,).
    """
    if purpose is not None and purpose not in PURPOSES:
        raise InputError(f"purpose must be one of {', '.join(PURPOSES)}, not {purpose!r}.")
    y, sr = _decoded(source, audio)
    duration_s = len(y) / sr
    warnings: list[str] = []
    if duration_s < 1.0:
        raise InputError(f"the audio is only {duration_s:.2f} s long: there is nothing to analyse.")
    levels = _measure_levels(y)
    if levels.silence_ratio > 0.98:
        warnings.append("the audio is silent: the models need audible singing or music.")
    sampled = sample_above_s is not None and duration_s > sample_above_s
    spec = _measure_spectrum(y, sr, duration_s, levels.frame_db, sampled=sampled)
    if sampled:
        warnings.append(
            f"the file is {duration_s / 60:.1f} min long: tempo, key and voice were measured on "
            f"{SAMPLE_WINDOWS} windows of {SAMPLE_WINDOW_S:.0f} s spread over it (sampled)."
        )
    voice = _measure_voice(y, sr, duration_s, spec)
    if voice.heard is None:
        warnings.append(
            "no voice-activity model on this platform: the voice verdict rests on pitch alone and is less sure."
        )
    analysis = _interpret(
        duration_s, levels, spec, voice, purpose=purpose, segment_s=segment_s, model=model, warnings=warnings
    )
    features = {
        "chroma": spec.chroma,
        "mfcc": spec.mfcc,
        "pitch": voice.track,
        "frame_db": levels.frame_db,
        "frame_rate": sr / HOP,
        "onset_env": spec.onset_env,
    }
    return analysis, features


def _decoded(source: str | os.PathLike | Clip, audio: tuple[np.ndarray, int] | None) -> tuple[np.ndarray, int]:
    """The input as mono samples at :data:`SR` (decoded from ``source`` unless ``audio`` is given)."""
    path = source.path if isinstance(source, Clip) else source
    if audio is None:
        check_input_file(path)
        y, sr = load_audio(path, sample_rate=SR, mono=True)
    else:
        y, sr = audio
        if sr != SR:
            y, sr = dsp.resample(y, orig_sr=sr, target_sr=SR), SR
    return y, sr


@dataclass(frozen=True)
class _Levels:
    """Loudness of the input: per frame (dBFS, :data:`HOP` samples a frame) and overall."""

    frame_db: np.ndarray
    rms_dbfs: float
    peak_dbfs: float
    silence_ratio: float


def _measure_levels(y: np.ndarray) -> _Levels:
    """Frame levels, RMS and peak in dBFS, and the share of silent frames (below -50 dBFS)."""
    frame_rms = dsp.frame_rms(y, frame_length=2048, hop_length=HOP)
    frame_db = 20 * np.log10(np.maximum(frame_rms * math.sqrt(2), 1e-10))  # a full-scale sine reads 0 dBFS
    rms_total = float(np.sqrt(np.mean(y.astype(np.float64) ** 2)))
    rms_dbfs = 20 * math.log10(max(rms_total * math.sqrt(2), 1e-10))
    peak_dbfs = 20 * math.log10(max(float(np.abs(y).max()), 1e-10))
    silence_ratio = float((frame_db < -50).mean())
    return _Levels(frame_db=frame_db, rms_dbfs=rms_dbfs, peak_dbfs=peak_dbfs, silence_ratio=silence_ratio)


@dataclass(frozen=True)
class _Spectrum:
    """What the spectrum says: rhythm, harmony and the frame features the engine reuses."""

    stft: np.ndarray
    sampled: bool
    harm: np.ndarray
    onset_env: np.ndarray
    tempo: float
    tempo_alt: float | None
    beats: np.ndarray
    chroma: np.ndarray
    chroma_mean: np.ndarray
    key: tuple[str, str, float]
    mfcc: np.ndarray
    feats: np.ndarray


def _measure_spectrum(y: np.ndarray, sr: int, duration_s: float, frame_db: np.ndarray, *, sampled: bool) -> _Spectrum:
    """Tempo, beats, key and frame features (chroma, MFCC) of ``y``; sampled: rhythm and key on windows only."""
    stft = np.abs(dsp.stft(y, n_fft=2048, hop_length=HOP))
    cols = _split_columns(duration_s, sr, stft.shape[1], sampled=sampled)
    harm, perc = _harmonic_percussive(stft, cols, sr, sampled=sampled)
    onset_env = rhythm.onset_strength(dsp.amplitude_to_db(perc**2 + harm**2 * 0.3), n_fft=2048, hop_length=HOP)
    tempo, beat_frames = rhythm.track_beats(onset_env, frame_rate_hz=sr / HOP)
    tempo = _refined_tempo(np.asarray(beat_frames, dtype=float), sr / HOP, tempo)
    tempo_alt = _tempo_alternative(onset_env, sr / HOP, tempo)
    # Beats in the file's own time (in a sampled file, each window keeps its place).
    beats = cols[np.asarray(beat_frames, dtype=int)[np.asarray(beat_frames) < len(cols)]] * HOP / sr
    chroma = dsp.chroma(harm**2, sample_rate=sr, tuning=0.0)
    loud = frame_db[cols][: chroma.shape[1]] > -45
    chroma_mean = chroma[:, loud].mean(axis=1) if loud.any() else chroma.mean(axis=1)
    key = estimate_key(chroma_mean)
    if sampled:
        # The segment search reads the whole file, with the cheap chroma of the plain spectrum.
        chroma = dsp.chroma(stft**2, sample_rate=sr, tuning=0.0)
    mfcc = dsp.mfcc(stft**2, sample_rate=sr, n_mfcc=13)
    feats = np.vstack(
        [chroma, (mfcc - mfcc.mean(axis=1, keepdims=True)) / (mfcc.std(axis=1, keepdims=True) + 1e-6) * 0.3]
    )
    return _Spectrum(
        stft=stft,
        sampled=sampled,
        harm=harm,
        onset_env=onset_env,
        tempo=tempo,
        tempo_alt=tempo_alt,
        beats=beats,
        chroma=chroma,
        chroma_mean=chroma_mean,
        key=key,
        mfcc=mfcc,
        feats=feats,
    )


def _split_columns(duration_s: float, sr: int, n_cols: int, *, sampled: bool) -> np.ndarray:
    """The spectrum columns the harmonic/percussive split reads: all of them, or windows of a long file."""
    if not sampled:
        return np.arange(n_cols)
    # A long file: the costly harmonic/percussive split (and what reads it: tempo, key,
    # vibrato) runs on SAMPLE_WINDOWS windows spread over the file, so the time is bounded.
    starts = np.linspace(0, duration_s - SAMPLE_WINDOW_S, SAMPLE_WINDOWS)
    cols = np.concatenate([np.arange(int(s0 * sr / HOP), int((s0 + SAMPLE_WINDOW_S) * sr / HOP)) for s0 in starts])
    return cols[cols < n_cols]


def _harmonic_percussive(
    stft: np.ndarray, cols: np.ndarray, sr: int, *, sampled: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Harmonic and percussive parts of the spectrum's ``cols`` (sampled: split below :data:`SAMPLE_TOP_HZ` only)."""
    if not sampled:
        return dsp.hpss(stft, kernel_size=17)
    top = int(SAMPLE_TOP_HZ * 2048 / sr) + 1
    h, pc = dsp.hpss(stft[:top, cols], kernel_size=17)
    harm, perc = np.zeros((stft.shape[0], len(cols)), dtype=h.dtype), np.zeros((stft.shape[0], len(cols)), h.dtype)
    harm[:top], perc[:top] = h, pc
    return harm, perc


@dataclass(frozen=True)
class _VoiceFindings:
    """The pitch track, the words heard (None without the model), where, and the vocals verdict."""

    track: PitchTrack
    heard: VoiceActivity | None
    spans: list[tuple[float, float]]
    verdict: VocalsVerdict
    vibrato_pitches: list[float]


def _measure_voice(y: np.ndarray, sr: int, duration_s: float, spec: _Spectrum) -> _VoiceFindings:
    """Track pitch, listen for words and weigh them, with the spectrum's vibrato and brightness, into a verdict."""
    # Pitch on at most ~90 s (three 30 s windows spread over the file) keeps long inputs fast.
    if duration_s > 100:
        starts = np.linspace(0, duration_s - 30, 3)
        heard = voice_activity(y, sr, windows_s=[(float(s0), 30.0) for s0 in starts])
        tracks = [track_pitch(y[int(s0 * sr) : int((s0 + 30) * sr)], sr) for s0 in starts]
        track = PitchTrack(
            *(np.concatenate([getattr(t, f) for t in tracks]) for f in ("midi", "voiced", "level_db")),
            frame_rate=tracks[0].frame_rate,
        )
        spans = [sp for t, s0 in zip(tracks, starts, strict=True) for sp in voiced_spans_s(t, offset_s=float(s0))]
        track_times_s = np.concatenate(
            [s0 + np.arange(len(t.midi)) / t.frame_rate for t, s0 in zip(tracks, starts, strict=True)]
        )
    else:
        heard = voice_activity(y, sr)
        track = track_pitch(y, sr)
        spans = voiced_spans_s(track)
        track_times_s = None
    if heard is not None and heard.spans_s:
        spans = list(heard.spans_s)  # where words were heard, rather than any voiced pitch
    vibrato_share, vibrato_pitches = _vibrato_notes(spec.harm, sr, 2048, HOP)
    brightness_db, _ = _harmonic_brightness_db(spec.stft, sr, HOP, track, frame_times_s=track_times_s)
    verdict = _vocals(
        track,
        vibrato_share,
        None if heard is None else heard.share,
        vibrato_notes=len(vibrato_pitches),
        brightness_db=brightness_db,
    )
    return _VoiceFindings(track=track, heard=heard, spans=spans, verdict=verdict, vibrato_pitches=vibrato_pitches)


def _interpret(
    duration_s: float,
    levels: _Levels,
    spec: _Spectrum,
    voice: _VoiceFindings,
    *,
    purpose: str | None,
    segment_s: tuple[float, float],
    model,
    warnings: list[str],
) -> Analysis:
    """Read the measurements into an :class:`Analysis`, adding to ``warnings`` what does not fit."""
    verdict, track = voice.verdict, voice.track
    speech_s = tuple(voice.spans) if verdict.kind == "speech" else ()
    voiced_midi = track.midi[track.voiced]
    chroma_mean, (tonic, mode, key_r) = _key_reading(spec, verdict, voiced_midi)
    pitch_range = _sung_range(verdict, voiced_midi, voice.vibrato_pitches)
    suggested = _suggested_purpose(verdict, speech_s, warnings)
    warnings.extend(_purpose_mismatch(purpose, verdict))
    lo, hi = segment_s
    segment = _suggest_segment(
        duration_s,
        spec.beats,
        levels.frame_db,
        spec.feats,
        min_s=max(lo, MIN_CLIP_S + CLIP_MARGIN_S),
        max_s=min(hi, MAX_CLIP_S),
    )
    if (too_short := _too_short(duration_s, model)) is not None:
        warnings.append(too_short)
    return Analysis(
        duration_s=round(duration_s, 3),
        tempo_bpm=round(spec.tempo, 2),
        beat_times_s=tuple(float(b) for b in spec.beats),
        key=f"{tonic} {mode}",
        key_tonic=tonic,
        key_mode=mode,
        key_confidence=round(key_r, 3),
        rms_dbfs=round(levels.rms_dbfs, 2),
        peak_dbfs=round(levels.peak_dbfs, 2),
        silence_ratio=round(levels.silence_ratio, 3),
        vocals=verdict.kind,
        vocals_confidence=verdict.confidence,
        vocals_detail=verdict,
        pitch_range_midi=pitch_range,
        suggested_purpose=suggested,
        suggested_segment=segment,
        warnings=tuple(warnings),
        chroma_mean=tuple(float(c) for c in chroma_mean / (chroma_mean.max() + 1e-12)),
        speech_s=speech_s,
        sampled=spec.sampled,
        tempo_alternative_bpm=spec.tempo_alt,
    )


def _key_reading(
    spec: _Spectrum, verdict: VocalsVerdict, voiced_midi: np.ndarray
) -> tuple[np.ndarray, tuple[str, str, float]]:
    """The mean chroma and the key read from it: the spectrum's, or a lone voice's sung pitches'."""
    if verdict.kind == "singing" and not verdict.accompaniment and voiced_midi.size >= 20:
        # A lone voice: its harmonics smear a spectral chroma (the 3rd harmonic adds the
        # fifth, the 5th a major third), so read the key from the sung pitches themselves.
        hist = np.bincount(np.round(voiced_midi).astype(int) % 12, minlength=12).astype(float)
        chroma_mean = hist / hist.max()
        return chroma_mean, estimate_key(chroma_mean)
    return spec.chroma_mean, spec.key


def _sung_range(
    verdict: VocalsVerdict, voiced_midi: np.ndarray, vibrato_pitches: list[float]
) -> tuple[float, float] | None:
    """The singing's range, 10th to 90th percentile in MIDI; None without singing or with too few notes."""
    if verdict.kind != "singing":
        return None
    # pYIN's range when it followed the voice (a voice's range, not a bass line);
    # otherwise the notes that carried vibrato.
    pool = voiced_midi if voiced_midi.size >= 10 and np.median(voiced_midi) >= 52 else np.asarray(vibrato_pitches)
    if pool.size >= 3:
        return (round(float(np.percentile(pool, 10)), 2), round(float(np.percentile(pool, 90)), 2))
    return None


def _suggested_purpose(verdict: VocalsVerdict, speech_s: tuple, warnings: list[str]) -> str | None:
    """The purpose the clip fits (None when unsure and for speech, with a warning saying why)."""
    if verdict.kind == "singing":
        suggested = "song" if verdict.accompaniment else "voice"
    elif verdict.kind == "speech":
        # A spoken clip fits no purpose: a voice reference must be sung, and speech is no
        # accompaniment.  The speech warning below says so and what to do instead.
        suggested = None
    elif verdict.kind == "unsure":
        suggested = None  # we could not tell: the person chooses
        warnings.append(
            f"we could not tell whether this has singing, speech or no voice (confidence "
            f"{verdict.confidence:.0%}): choose the purpose yourself."
        )
    else:
        suggested = "instrumental"
    if verdict.kind == "speech":
        where = ", ".join(f"{a:.1f}–{b:.1f} s" for a, b in speech_s[:6]) + (" …" if len(speech_s) > 6 else "")
        warnings.append(
            f"this sounds like speech{f' (at {where})' if where else ''}: the models need singing for a "
            "voice reference and music for an instrumental one, so no purpose is suggested — sing the "
            "words and record them again."
        )
    return suggested


def _purpose_mismatch(purpose: str | None, verdict: VocalsVerdict) -> list[str]:
    """Warnings for a chosen purpose the clip does not fit."""
    warnings = []
    if purpose == "voice" and verdict.kind == "singing" and verdict.accompaniment:
        warnings.append("purpose 'voice' expects a cappella singing, but this clip has accompaniment: use 'song'.")
    if purpose in ("song", "voice") and verdict.kind == "none":
        warnings.append(f"purpose '{purpose}' needs sung vocals, but no voice was found: use 'instrumental'.")
    if purpose == "song" and verdict.kind == "singing" and not verdict.accompaniment:
        warnings.append("purpose 'song' expects vocals with accompaniment; this sounds a cappella: use 'voice'.")
    if purpose == "instrumental" and verdict.kind == "singing":
        warnings.append(
            "purpose 'instrumental' keeps the singing inside the accompaniment: use 'song' to "
            "separate voice and instrumental."
        )
    return warnings
