"""What the engine needs to know about a reference, computed once (at upload) and stored.

Bars come from the beat track grouped in fours, with the downbeat phase chosen where the
low, percussive onsets are strongest; each bar gets a feature vector (chroma for harmony,
MFCC for timbre) so the arranger can tell which bars can follow which.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from ..analysis import analyze_with_features
from ..storage import atomic_write_bytes

logger = logging.getLogger(__name__)

__all__ = ["ReferenceFeatures", "extract", "load", "save"]

FEATURES_VERSION = 1


@dataclass
class ReferenceFeatures:
    """Engine-ready description of one reference clip.  Times in seconds."""

    sha256: str
    duration_s: float
    tempo_bpm: float
    key_tonic: str
    key_mode: str
    vocals: str
    bar_starts_s: list[float]
    bar_ends_s: list[float]
    bar_vectors: list[list[float]]
    bar_chroma: list[list[float]]
    bar_level_db: list[float]
    pitch_range_midi: list[float] | None
    pitch_midi: list[float]
    pitch_frame_rate: float
    chroma_mean: list[float]
    version: int = FEATURES_VERSION

    @property
    def n_bars(self) -> int:
        return len(self.bar_starts_s)


def _bars(beats: np.ndarray, onset_env: np.ndarray, frame_rate: float, duration_s: float) -> list[tuple[float, float]]:
    if len(beats) < 5:
        # Too few beats to group: fall back to 2-second "bars" so arranging still works.
        edges = np.arange(0.0, duration_s - 1.0, 2.0)
        return [(float(a), float(min(a + 2.0, duration_s))) for a in edges]
    idx = np.clip((beats * frame_rate).astype(int), 0, len(onset_env) - 1)
    strength = onset_env[idx]
    phase = int(np.argmax([strength[p::4].mean() if len(strength[p::4]) else 0 for p in range(4)]))
    starts = beats[phase::4]
    bars = [(float(a), float(b)) for a, b in zip(starts[:-1], starts[1:], strict=True)]
    return bars


def extract(path: str | os.PathLike, *, sha256: str = "") -> ReferenceFeatures:
    """Analyse a reference clip for the engine.

    Parameters
    ----------
    path : path-like
        A prepared clip (or any audio).
    sha256 : str
        The clip's hash, recorded for cache checks.
    """
    from ..analysis import track_pitch
    from ..audio import load_audio

    y, sr = load_audio(path, sample_rate=22050, mono=True)
    analysis, feats = analyze_with_features(path, audio=(y, sr))
    fr = feats["frame_rate"]
    bars = _bars(np.asarray(analysis.beat_times_s), feats["onset_env"], fr, analysis.duration_s)
    chroma, mfcc, frame_db = feats["chroma"], feats["mfcc"], feats["frame_db"]
    mfcc_n = (mfcc - mfcc.mean(axis=1, keepdims=True)) / (mfcc.std(axis=1, keepdims=True) + 1e-6)
    vectors, bar_chroma, levels = [], [], []
    for a, b in bars:
        i, j = int(a * fr), max(int(a * fr) + 1, int(b * fr))
        c = chroma[:, i:j].mean(axis=1)
        c = c / (np.linalg.norm(c) + 1e-9)
        m = mfcc_n[1:, i:j].mean(axis=1)
        m = m / (np.linalg.norm(m) + 1e-9)
        vectors.append(np.concatenate([c, 0.7 * m]).round(5).tolist())
        bar_chroma.append((c / (c.max() + 1e-9)).round(4).tolist())
        levels.append(round(float(np.median(frame_db[i:j])), 2))
    pitch = feats["pitch"]
    if analysis.duration_s > 100:  # analysis tracked pitch on windows only; the engine needs all of it
        pitch = track_pitch(y, sr)
    midi = np.where(pitch.voiced, pitch.midi, np.nan)
    return ReferenceFeatures(
        sha256=sha256,
        duration_s=analysis.duration_s,
        tempo_bpm=analysis.tempo_bpm,
        key_tonic=analysis.key_tonic,
        key_mode=analysis.key_mode,
        vocals=analysis.vocals,
        bar_starts_s=[round(a, 5) for a, _ in bars],
        bar_ends_s=[round(b, 5) for _, b in bars],
        bar_vectors=vectors,
        bar_chroma=bar_chroma,
        bar_level_db=levels,
        pitch_range_midi=list(analysis.pitch_range_midi) if analysis.pitch_range_midi else None,
        pitch_midi=[None if not np.isfinite(v) else round(float(v), 3) for v in midi],  # type: ignore[misc]
        pitch_frame_rate=pitch.frame_rate,
        chroma_mean=list(analysis.chroma_mean),
    )


def save(features: ReferenceFeatures, path: str | os.PathLike) -> None:
    """Write features as JSON (atomically)."""
    # A unique temporary name per writer: two sessions may cache the same reference at once.
    atomic_write_bytes(path, json.dumps(asdict(features)).encode("utf-8"))


def load(path: str | os.PathLike) -> ReferenceFeatures | None:
    """Read features written by :func:`save`; None when missing, unreadable or outdated."""
    path = Path(path)
    if not path.exists():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
        if d.get("version") != FEATURES_VERSION:
            return None
        return ReferenceFeatures(**d)
    except (OSError, ValueError, TypeError) as exc:
        logger.warning("ignoring unreadable reference features %s: %s", Path(path).name, exc)
        return None
