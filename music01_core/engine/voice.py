"""A sung voice from notes: additive source-filter synthesis.

The source is a glottal-like harmonic series (amplitudes falling ~1/k^1.2) whose pitch
carries a delayed vibrato, a slow drift and a little jitter; the filter is the vowel's
formant envelope applied to each harmonic's amplitude, so vowels come out with their
real resonances.  Attacks are soft, releases short, consonants are brief noise bursts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Note", "sing", "VOWELS"]

# Formant frequencies (Hz), bandwidths (Hz) and relative gains, averaged over voices.
VOWELS = {
    "a": ((800, 1150, 2800, 3500), (80, 90, 120, 130), (1.0, 0.5, 0.25, 0.12)),
    "e": ((480, 1720, 2520, 3500), (70, 100, 120, 130), (1.0, 0.35, 0.25, 0.10)),
    "i": ((300, 2200, 2960, 3600), (60, 100, 120, 130), (1.0, 0.25, 0.25, 0.10)),
    "o": ((480, 850, 2600, 3400), (70, 80, 120, 130), (1.0, 0.6, 0.12, 0.06)),
    "u": ((330, 780, 2400, 3300), (60, 80, 120, 130), (1.0, 0.35, 0.07, 0.04)),
    "m": ((260, 1100, 2300, 3300), (60, 200, 250, 300), (1.0, 0.08, 0.03, 0.02)),  # a closed-mouth hum
}
_CONTROL_HZ = 200  # control rate for pitch, vowel and loudness


@dataclass(frozen=True)
class Note:
    """One sung syllable.

    Attributes
    ----------
    start_s, duration_s : float
        Placement in seconds.
    midi : float
        Pitch as a MIDI note number (60 = middle C).
    vowel : str
        A key of :data:`VOWELS`.
    onset : str
        ``""``, ``"noise"`` (s, f, sh...) or ``"stop"`` (t, k, p...): the consonant before the vowel.
    velocity : float
        0..1 loudness.
    """

    start_s: float
    duration_s: float
    midi: float
    vowel: str = "a"
    onset: str = ""
    velocity: float = 0.8


def sing(
    notes: list[Note],
    *,
    sample_rate: int,
    duration_s: float | None = None,
    seed: int = 0,
    vibrato_hz: float = 5.4,
    vibrato_cents: float = 35.0,
    breath: float = 0.02,
) -> np.ndarray:
    """Render sung notes to mono float samples.

    Parameters
    ----------
    notes : list of Note
        Non-overlapping notes in time order.
    sample_rate : int
        Output rate in Hz.
    duration_s : float, optional
        Output length; default the end of the last note plus 0.3 s.
    seed : int
        Seeds jitter, drift and breath noise: the same seed gives the same samples.
    vibrato_hz, vibrato_cents : float
        Vibrato rate (Hz) and depth (cents, peak), reached ~0.3 s into a held note.
    breath : float
        Level of breath noise relative to the voice.

    Returns
    -------
    np.ndarray
        Shape ``(n,)``, float32, peak <= 1.
    """
    rng = np.random.default_rng(seed)
    if duration_s is None:
        duration_s = (max((n.start_s + n.duration_s for n in notes), default=0.0)) + 0.3
    n_out = int(round(duration_s * sample_rate))
    n_ctl = int(np.ceil(duration_s * _CONTROL_HZ)) + 2
    ctl = _Controls.empty(n_ctl)
    prev_end, prev_midi = -1.0, None
    for note in notes:
        if ctl.place(note, prev_end, prev_midi, vibrato_cents):
            prev_end, prev_midi = note.start_s + note.duration_s, note.midi

    # Carry pitch through short gaps so the phase stays continuous.
    idx = np.flatnonzero(np.isfinite(ctl.midi))
    if idx.size == 0:
        return np.zeros(n_out, dtype=np.float32)
    f0_ctl = _living_f0(np.interp(np.arange(n_ctl), idx, ctl.midi[idx]), ctl.vib_depth, rng, vibrato_hz)
    t_out_ctl = np.arange(n_out) * (_CONTROL_HZ / sample_rate)
    out = _voiced(ctl, f0_ctl, t_out_ctl, sample_rate)
    out += _breath_noise(ctl, t_out_ctl, rng, breath)
    peak = np.abs(out).max()
    if peak > 0:
        out /= peak
    return out.astype(np.float32)


@dataclass
class _Controls:
    """What the voice does at the control rate (:data:`_CONTROL_HZ`): pitch, loudness, vibrato, vowel, consonants."""

    midi: np.ndarray
    amp: np.ndarray
    vib_depth: np.ndarray
    formant_f: np.ndarray
    formant_b: np.ndarray
    formant_g: np.ndarray
    noise_env: np.ndarray

    @classmethod
    def empty(cls, n_ctl: int) -> _Controls:
        """Silence for ``n_ctl`` control frames (pitch NaN: none sung)."""
        return cls(
            midi=np.full(n_ctl, np.nan),
            amp=np.zeros(n_ctl),
            vib_depth=np.zeros(n_ctl),
            formant_f=np.zeros((n_ctl, 4)),
            formant_b=np.ones((n_ctl, 4)) * 100,
            formant_g=np.zeros((n_ctl, 4)),
            noise_env=np.zeros(n_ctl),
        )

    def place(self, note: Note, prev_end: float, prev_midi: float | None, vibrato_cents: float) -> bool:
        """Write ``note`` into the tracks (False when it is too short to fill a control frame)."""
        n_ctl = len(self.midi)
        a = int(note.start_s * _CONTROL_HZ)
        b = min(n_ctl, int((note.start_s + note.duration_s) * _CONTROL_HZ))
        if b <= a:
            return False
        tt = np.arange(a, b) / _CONTROL_HZ - note.start_s
        pitch = np.full(b - a, note.midi, dtype=float)
        if prev_midi is not None and note.start_s - prev_end < 0.06:
            # Legato: scoop from the previous note over ~60 ms.
            glide = np.clip(tt / 0.06, 0, 1)
            pitch = prev_midi + (note.midi - prev_midi) * (0.5 - 0.5 * np.cos(np.pi * glide))
        self.midi[a:b] = pitch
        attack = 0.5 - 0.5 * np.cos(np.pi * np.clip(tt / 0.07, 0, 1))
        release = 0.5 - 0.5 * np.cos(np.pi * np.clip((note.duration_s - tt) / 0.09, 0, 1))
        swell = 1.0 - 0.15 * np.exp(-tt / 0.25)
        self.amp[a:b] = note.velocity * attack * release * swell
        self.vib_depth[a:b] = vibrato_cents * np.clip((tt - 0.15) / 0.25, 0, 1)
        vf, vb, vg = VOWELS.get(note.vowel, VOWELS["a"])
        self.formant_f[a:b] = vf
        self.formant_b[a:b] = vb
        self.formant_g[a:b] = vg
        if note.onset:
            k = int((0.06 if note.onset == "noise" else 0.015) * _CONTROL_HZ) + 1
            self.noise_env[a : a + k] = np.maximum(
                self.noise_env[a : a + k], (0.25 if note.onset == "noise" else 0.2) * note.velocity
            )
        return True


def _living_f0(midi: np.ndarray, vib_depth: np.ndarray, rng: np.random.Generator, vibrato_hz: float) -> np.ndarray:
    """Control-rate f0 in Hz: the notes' pitch with vibrato (a wandering rate), slow drift and fast jitter."""
    n_ctl = len(midi)
    # All in cents.
    rate = vibrato_hz * (1 + 0.05 * np.convolve(rng.standard_normal(n_ctl), np.ones(80) / 80, "same"))
    vib = vib_depth * np.sin(2 * np.pi * np.cumsum(rate) / _CONTROL_HZ + rng.uniform(0, 2 * np.pi))
    drift = 8 * np.convolve(rng.standard_normal(n_ctl), np.ones(60) / np.sqrt(60), "same") / 3
    jitter = 3 * rng.standard_normal(n_ctl)
    midi = midi + (vib + drift + jitter) / 100.0
    return 440.0 * 2 ** ((midi - 69) / 12)


def _voiced(ctl: _Controls, f0_ctl: np.ndarray, t_out_ctl: np.ndarray, sample_rate: int) -> np.ndarray:
    """The harmonic voice at ``sample_rate``: each harmonic shaped by the vowel's formants, times the loudness."""
    n_out, n_ctl = len(t_out_ctl), len(f0_ctl)
    out = np.zeros(n_out)
    f0 = np.interp(t_out_ctl, np.arange(n_ctl), f0_ctl)
    phase = np.cumsum(2 * np.pi * f0 / sample_rate)
    max_h = int(min(40, 5500 / max(60.0, float(np.min(f0_ctl)))))
    chunk = sample_rate  # one second at a time keeps memory small
    for s in range(0, n_out, chunk):
        e = min(n_out, s + chunk)
        c_idx = t_out_ctl[s:e]
        lo, hi = int(c_idx[0]), min(n_ctl - 1, int(c_idx[-1]) + 2)
        ctl_range = np.arange(lo, hi + 1)
        if not np.any(ctl.amp[lo : hi + 1] > 0):
            continue
        ph = phase[s:e]
        acc = np.zeros(e - s)
        for k in range(1, max_h + 1):
            fk = f0_ctl[ctl_range] * k
            g = _envelope_gain_multi(fk, ctl.formant_f[ctl_range], ctl.formant_b[ctl_range], ctl.formant_g[ctl_range])
            g *= k**-1.2 * (fk < sample_rate * 0.45) * (fk < 6000)
            acc += np.interp(c_idx, ctl_range, g) * np.sin(k * ph)
        out[s:e] = acc * np.interp(c_idx, np.arange(n_ctl), ctl.amp)
    return out


def _breath_noise(ctl: _Controls, t_out_ctl: np.ndarray, rng: np.random.Generator, breath: float) -> np.ndarray:
    """Breath and consonant noise, high-passed so it sits above the voice."""
    n_out, n_ctl = len(t_out_ctl), len(ctl.amp)
    noise = rng.standard_normal(n_out)
    noise = np.diff(noise, prepend=0.0) * 0.5
    env = np.interp(t_out_ctl, np.arange(n_ctl), breath * ctl.amp + ctl.noise_env)
    return noise * env * 0.5


def _envelope_gain_multi(freqs, ff, fb, fg):
    out = np.full(freqs.shape, 0.02)
    for i in range(4):
        out += fg[:, i] / (1.0 + ((freqs - ff[:, i]) / (fb[:, i] / 2.0)) ** 2)
    return out
