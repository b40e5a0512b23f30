"""A labelled dev set of real recordings, fetched from Debian packages, and the analysis measured on it.

Nothing here can download from the Internet at large, but Debian's packages can be
fetched by name.  This script fetches the packages below with ``apt-get download`` and
unpacks them with ``dpkg-deb -x`` (no root install), cuts labelled clips with ffmpeg,
caches everything outside the repository (``$MUSIC01_DEVSET``, default
``~/.cache/music01-devset``), then runs :func:`music01_core.analysis.analyze` on every clip
and prints a confusion matrix with the accuracy per class, the share of "unsure", every
wrong verdict not marked "unsure" (a person reads 70 % as "probably") and the time per
second of audio.

- **speech**: Asterisk's telephone prompts in five languages, joined into 12–20 s clips;
  and "podcasts": the same speech over a real instrumental bed 12 dB down (still speech);
- **none**: real game soundtracks (no voice); then more of them whose tunes carry a
  monophonic lead (tracker modules, chip and synthesiser leads: ``MELODIC``), and the sung
  stand-ins' instrumental twins: the same melodies over the same beds, played by recorded
  lead instruments of another General MIDI font (``fluidr3mono-gm-soundfont``: violin,
  flute, oboe, clarinet, alto saxophone, trumpet, shenai, and square and saw waves with a
  modulation-wheel vibrato and portamento, as a synthesiser lead is played);
- **singing**: real sung recordings with words are scarce in Debian (none found).  The
  stand-in is real recorded voices singing vowels: the "Solo Vox", "Ahh Choir" and "Ohh
  Voices" samples of MuseScore's General SoundFont (``musescore-general-soundfont-small``),
  played as melodies a cappella and over a real instrumental bed.  They test the wordless
  case only; sung *words* remain unmeasured here.

The clip list it makes is written to ``benchmarks/realdata_labels.tsv`` (id, label, source
package, file, start, length), which is committed; the audio is not.  Packages kept back
for an independent check (``fillets-ng-data*``, ``fretsonfire-songs-*``,
``sonic-pi-samples``, pygame's examples) are never used here.

    python benchmarks/realdata.py [--per-source N] [--no-analyse] [--verbose] [--tempo] [--held-out]
"""

from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SPEECH = {f"asterisk-core-sounds-{lang}-wav": lang for lang in ("en", "fr", "es", "it", "ru")}
MUSIC = (
    "fb-music-high",
    "nexuiz-music",
    "singularity-music",
    "planetblupi-music-ogg",
    "drascula-music",
    "asc-music",
    "hyperrogue-music",
    "wesnoth-1.16-music",
)
VOICE_FONT = "musescore-general-soundfont-small"
VOICES = ("Solo Vox", "Ahh Choir", "Ohh Voices")
#: Game soundtracks whose tunes carry a monophonic lead (synth, chip or sampled): the
#: instruments a pitch tracker can take for a voice.  Tracker modules are small files.
MELODIC = (
    "tecnoballz-data",
    "pingus-data",
    "starfighter-data",
    "powermanga-data",
    "pinball-data",
    "holotz-castle-data",
    "ceferino-data",
    "abe-data",
)
#: The same kind of melodies as the sung stand-ins, played by recorded lead instruments of
#: another General MIDI font: the closest instrumental twin of a wordless voice.
LEAD_FONT = "fluidr3mono-gm-soundfont"
LEADS = ("Violin", "Flute", "Oboe", "Clarinet", "Alto", "tp_", "Shenai", "Square Wave", "Sawtooth Wave", "Smooth Saw")
#: Synthesiser waves: a player holds the modulation wheel for the lead's vibrato.
SYNTH_LEADS = ("Square Wave", "Sawtooth Wave", "Smooth Saw")
HELD_OUT = ("fillets-ng-data", "fretsonfire-songs", "sonic-pi-samples", "pygame")
AUDIO_EXT = (".wav", ".ogg", ".mp3", ".flac", ".mod", ".it", ".xm", ".s3m")
LABELS_TSV = Path(__file__).with_name("realdata_labels.tsv")


def cache_dir() -> Path:
    return Path(os.environ.get("MUSIC01_DEVSET") or Path.home() / ".cache" / "music01-devset")


def fetch(package: str, root: Path, *, held_out: bool = False) -> Path:
    """Download and unpack one Debian package under ``root``; return its unpacked folder."""
    assert held_out or not package.startswith(HELD_OUT), f"{package} is kept for the independent check"
    out = root / "pkgs" / package
    if out.exists():
        return out
    debs = root / "debs"
    debs.mkdir(parents=True, exist_ok=True)
    if not list(debs.glob(f"{package}_*.deb")):
        subprocess.run(["apt-get", "download", package], cwd=debs, check=True, capture_output=True)
    deb = sorted(debs.glob(f"{package}_*.deb"))[-1]
    tmp = out.with_suffix(".partial")
    tmp.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["dpkg-deb", "-x", str(deb), str(tmp)], check=True)
    tmp.rename(out)
    return out


def _duration_s(path: Path) -> float:
    from music01_core import ffmpeg

    try:
        return ffmpeg.measure(path).duration_s
    except Exception:
        return 0.0


def _ffmpeg() -> str:
    from music01_core.ffmpeg import find_ffmpeg

    return find_ffmpeg()


def speech_clips(pkg_dir: Path, lang: str, out: Path, n: int) -> list[dict]:
    """Join consecutive prompts (0.3 s apart) into ``n`` clips of 12–20 s."""
    files = sorted(p for p in pkg_dir.rglob("*.wav") if "/digits/" not in str(p) and "/letters/" not in str(p))
    clips, i = [], 0
    step = max(1, len(files) // (n * 8))
    while len(clips) < n and i < len(files):
        group, total = [], 0.0
        while total < 12.0 and i < len(files):
            d = _duration_s(files[i])
            if d > 1.0:
                group.append(files[i])
                total += d + 0.3
            i += step
        if total < 12.0:
            break
        cid = f"speech-{lang}-{len(clips):02d}"
        dst = out / f"{cid}.wav"
        if not dst.exists():
            inputs, filt = [], []
            for k, f in enumerate(group):
                inputs += ["-i", str(f)]
                filt.append(f"[{k}:a]aresample=16000,apad=pad_dur=0.3[a{k}]")
            concat = "".join(f"[a{k}]" for k in range(len(group))) + f"concat=n={len(group)}:v=0:a=1[o]"
            subprocess.run(
                [
                    _ffmpeg(),
                    "-v",
                    "error",
                    "-y",
                    *inputs,
                    "-filter_complex",
                    ";".join(filt) + ";" + concat,
                    "-map",
                    "[o]",
                    "-t",
                    "20",
                    "-ac",
                    "1",
                    str(dst),
                ],
                check=True,
            )
        clips.append(
            {
                "id": cid,
                "label": "speech",
                "package": f"asterisk-core-sounds-{lang}-wav",
                "file": ";".join(f.name for f in group),
                "start_s": 0,
                "length_s": round(min(total, 20), 1),
            }
        )
    return clips


def music_clips(pkg_dir: Path, package: str, out: Path, n: int, *, min_bytes: int = 200_000) -> list[dict]:
    """Cut 20 s from a third of the way into ``n`` of the package's longer tracks.

    ``min_bytes`` skips sound effects; a tracker module of several minutes can be 30 kB.
    A file whose bytes were already taken (a game that ships one tune twice) is skipped.
    """
    import hashlib

    files = sorted(p for p in pkg_dir.rglob("*") if p.suffix.lower() in AUDIO_EXT and p.stat().st_size > min_bytes)
    clips, seen = [], set()
    for f in files:
        if len(clips) >= n:
            break
        digest = hashlib.sha256(f.read_bytes()).hexdigest()
        if digest in seen:
            continue
        seen.add(digest)
        d = _duration_s(f)
        if d < 25:
            continue
        start = round(d / 3, 1)
        cid = f"music-{package.split('-')[0]}-{len(clips):02d}"
        dst = out / f"{cid}.wav"
        if not dst.exists():
            subprocess.run(
                [
                    _ffmpeg(),
                    "-v",
                    "error",
                    "-y",
                    "-ss",
                    str(start),
                    "-t",
                    "20",
                    "-i",
                    str(f),
                    "-ac",
                    "2",
                    "-ar",
                    "44100",
                    str(dst),
                ],
                check=True,
            )
        clips.append({"id": cid, "label": "none", "package": package, "file": f.name, "start_s": start, "length_s": 20})
    return clips


def podcast_clips(speech: list[dict], music: list[dict], out: Path, n: int) -> list[dict]:
    """Real speech over a real instrumental bed 12 dB down: still speech."""
    clips = []
    for k in range(min(n, len(speech), len(music))):
        s, m = speech[k * 3 % len(speech)], music[k * 5 % len(music)]
        cid = f"podcast-{k:02d}"
        dst = out / f"{cid}.wav"
        if not dst.exists():
            subprocess.run(
                [
                    _ffmpeg(),
                    "-v",
                    "error",
                    "-y",
                    "-i",
                    str(out / f"{s['id']}.wav"),
                    "-i",
                    str(out / f"{m['id']}.wav"),
                    "-filter_complex",
                    "[0:a]aresample=44100,pan=stereo|c0=c0|c1=c0[v];[1:a]volume=-12dB[b];"
                    "[v][b]amix=inputs=2:duration=shortest:normalize=0[o]",
                    "-map",
                    "[o]",
                    str(dst),
                ],
                check=True,
            )
        clips.append(
            {
                "id": cid,
                "label": "speech",
                "package": f"{s['package']}+{m['package']}",
                "file": f"{s['id']}+{m['id']}",
                "start_s": 0,
                "length_s": s["length_s"],
            }
        )
    return clips


def _font_voices(sf3: Path) -> tuple[bytes, int, list[dict]]:
    """Read a SoundFont 3 file: its sample bytes' offset and the sample headers."""
    import struct

    b = sf3.read_bytes()
    smpl = shdr = None
    off = 12
    while off < len(b):  # top-level chunks; MuseScore's files do not pad odd sizes
        cid, size = struct.unpack_from("<4sI", b, off)
        if cid == b"LIST":
            o = off + 12
            while o < off + 8 + size:
                c2, s2 = struct.unpack_from("<4sI", b, o)
                if c2 == b"smpl":
                    smpl = o + 8
                elif c2 == b"shdr":
                    shdr = (o + 8, s2)
                o += 8 + s2
        off += 8 + size
    heads = []
    for i in range(shdr[1] // 46):
        name, start, end, loop_a, loop_b, rate, pitch, *_ = struct.unpack_from("<20sIIIIIBbHH", b, shdr[0] + 46 * i)
        heads.append(
            {
                "name": name.split(b"\0")[0].decode("latin1"),
                "start": start,
                "end": end,
                "loop": (loop_a, loop_b),
                "pitch": pitch,
            }
        )
    return b, smpl, heads


def _sung_line(font, voice: str, seed: int, sr: int = 44100, *, lfo: bool = False):
    """A 20 s wordless melody in a major scale from one recorded voice's (or instrument's) samples.

    ``lfo``: play it as a synthesiser lead is played, gliding 60 ms into each note and with a
    delayed 5.5 Hz, ±25 cent vibrato (the modulation wheel), as General MIDI players do.
    """
    import io
    from fractions import Fraction

    import numpy as np
    import soundfile as sf
    from scipy.signal import resample_poly

    b, smpl, heads = font
    cands = [h for h in heads if h["name"].startswith(voice)]
    rng = np.random.default_rng(seed)
    base = (57, 60, 64)[seed % 3]
    out, total, prev = [], 0.0, None
    while total < 20.0:
        midi = base + (0, 2, 4, 5, 7, 9, 11, 12)[rng.integers(0, 8)]
        dur = float(rng.choice([0.4, 0.6, 0.8, 1.2]))
        h = min(cands, key=lambda h: abs(h["pitch"] - midi))
        y, rate = sf.read(io.BytesIO(b[smpl + h["start"] : smpl + h["end"]]), dtype="float32")  # an Ogg stream
        y = y if y.ndim == 1 else y.mean(axis=1)
        a, z = min(h["loop"][0], len(y) - 2), min(h["loop"][1], len(y))
        speed = 2 ** ((midi - h["pitch"]) / 12) * rate / sr
        need = int(dur * sr * speed * (1.6 if lfo else 1.0)) + 1  # room for the glide and vibrato
        parts = [y[:z]]
        while sum(len(p) for p in parts) < need and z - a > 100:
            parts.append(y[a:z])  # sustain on the sample's own loop
        f = Fraction(speed).limit_denominator(200)
        note = resample_poly(np.concatenate(parts)[:need], f.denominator, f.numerator)
        if lfo:
            t = np.arange(int(dur * sr)) / sr
            cents = 25 * np.sin(2 * np.pi * 5.5 * t) * np.clip((t - 0.15) / 0.2, 0, 1)
            if prev is not None:
                cents += 100 * (prev - midi) * np.clip(1 - t / 0.06, 0, 1)
            read = np.concatenate([[0.0], np.cumsum(2 ** (cents[:-1] / 1200))])
            note = np.interp(read, np.arange(len(note)), note)
        note = note[: int(dur * sr)]
        prev = midi
        ramp = min(len(note) // 4, int(0.05 * sr))
        note[:ramp] *= np.linspace(0, 1, ramp)
        note[-ramp:] *= np.linspace(1, 0, ramp)
        out += [note, np.zeros(int(0.06 * sr))]
        total += dur + 0.06
    y = np.concatenate(out)[: 20 * sr]
    return (y / (np.abs(y).max() + 1e-9) * 0.7).astype(np.float32)


def sung_clips(music: list[dict], out: Path, root: Path, n: int) -> list[dict]:
    """Recorded voices singing vowels: a cappella, and over a real instrumental bed (6 dB down)."""
    return _font_clips(music, out, root, n, font_package=VOICE_FONT, names=VOICES, label="singing", prefix="sung")


def lead_clips(music: list[dict], out: Path, root: Path, n: int) -> list[dict]:
    """The sung stand-ins' twins: the same melodies over the same beds, played by recorded lead
    instruments (strings, winds, brass, synthesiser waves with vibrato) instead of voices."""
    return _font_clips(music, out, root, n, font_package=LEAD_FONT, names=LEADS, label="none", prefix="lead")


def _font_clips(
    music: list[dict], out: Path, root: Path, n: int, *, font_package: str, names: tuple, label: str, prefix: str
) -> list[dict]:
    import soundfile as sf

    sf3 = next(fetch(font_package, root).rglob("*.sf3"))
    font = None
    clips = []
    for k in range(n * 2):
        voice = names[k % len(names)]
        bed = music[(k * 7) % len(music)] if k >= n else None
        cid = f"{prefix}-{'band' if bed else 'solo'}-{k:02d}"
        dst = out / f"{cid}.wav"
        if not dst.exists():
            font = font or _font_voices(sf3)
            line = out / f"{cid}.line.wav"
            sf.write(line, _sung_line(font, voice, seed=k, lfo=voice in SYNTH_LEADS), 44100)
            if bed is None:
                line.rename(dst)
            else:
                subprocess.run(
                    [
                        _ffmpeg(),
                        "-v",
                        "error",
                        "-y",
                        "-i",
                        str(line),
                        "-i",
                        str(out / f"{bed['id']}.wav"),
                        "-filter_complex",
                        "[0:a]pan=stereo|c0=c0|c1=c0[v];[1:a]volume=-6dB[b];"
                        "[v][b]amix=inputs=2:duration=shortest:normalize=0[o]",
                        "-map",
                        "[o]",
                        str(dst),
                    ],
                    check=True,
                )
                line.unlink()
        clips.append(
            {
                "id": cid,
                "label": label,
                "package": font_package + (f"+{bed['package']}" if bed else ""),
                "file": voice + (f"+{bed['id']}" if bed else ""),
                "start_s": 0,
                "length_s": 20,
            }
        )
    return clips


def build(per_source: int) -> tuple[Path, list[dict]]:
    root = cache_dir()
    out = root / "clips"
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    speech: list[dict] = []
    for package, lang in SPEECH.items():
        print(f"fetching {package}…", file=sys.stderr)
        speech += speech_clips(fetch(package, root), lang, out, per_source)
    music: list[dict] = []
    for package in MUSIC:
        print(f"fetching {package}…", file=sys.stderr)
        try:
            music += music_clips(fetch(package, root), package, out, per_source)
        except subprocess.CalledProcessError as exc:
            print(f"  skipped {package}: {exc}", file=sys.stderr)
    # The melodic soundtracks come after the beds are chosen, so adding them changes no earlier clip.
    melodic: list[dict] = []
    for package in MELODIC:
        print(f"fetching {package}…", file=sys.stderr)
        melodic += music_clips(fetch(package, root), package, out, per_source, min_bytes=20_000)
    rows = (
        speech
        + music
        + podcast_clips(speech, music, out, per_source)
        + sung_clips(music, out, root, per_source)
        + melodic
        + lead_clips(music, out, root, per_source)
    )
    with open(LABELS_TSV, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "label", "package", "file", "start_s", "length_s"], delimiter="\t")
        w.writeheader()
        w.writerows(rows)
    return out, rows


def _line(cid: str, label: str, a) -> str:
    """One clip's verdict and the evidence behind it."""
    d = a.vocals_detail
    return (
        f"  {cid:28} {label:10} → {a.vocals:8} {a.vocals_confidence:4.0%}  words heard "
        f"{d.speech_share if d.speech_share is not None else '-'}  held {d.stable_ratio:.2f}  "
        f"wobble {d.note_wobble_cents:.1f}  vibrato {d.vibrato_share:.2f}  glide {d.glide_semitones:.2f}"
        + f"  notes {d.held_notes}  wavering {d.voice_like_share:.2f}  brightness {d.brightness_db} dB"
    )


def report(results: list[tuple[str, str, object]]) -> None:
    """Print the confusion matrix, the share of "unsure" and every wrong verdict that was not "unsure".

    A wrong verdict at any confidence the analysis reports (>= its "unsure" line) is counted:
    a person reads 70 % as "probably", so it misleads as much as 90 %.
    """
    from music01_core.analysis import UNSURE_BELOW

    classes = ["singing", "speech", "none", "unsure"]
    matrix: dict[str, dict[str, int]] = {}
    wrong = []
    for cid, label, a in results:
        matrix.setdefault(label, {c: 0 for c in classes})
        matrix[label][a.vocals] = matrix[label].get(a.vocals, 0) + 1
        if a.vocals not in (label, "unsure"):
            wrong.append(f"{cid}: {label} → {a.vocals} ({a.vocals_confidence:.0%})")
    head = "true / verdict"
    print(f"{head:>16} " + " ".join(f"{c:>8}" for c in classes) + "   accuracy")
    for label, counts in matrix.items():
        total = sum(counts.values())
        print(
            f"{label:>16} "
            + " ".join(f"{counts.get(c, 0):>8}" for c in classes)
            + f"   {counts.get(label, 0) / total:6.0%}"
        )
    unsure = sum(1 for _, _, a in results if a.vocals == "unsure")
    print(f"unsure: {unsure} of {len(results)} ({unsure / max(1, len(results)):.0%})")
    print(f"wrong verdicts not marked unsure (confidence ≥ {UNSURE_BELOW:.0%}): {len(wrong)}")
    for e in wrong:
        print("  ", e)
    sure = sum(1 for _, label, a in results if a.vocals not in (label, "unsure") and a.vocals_confidence >= 0.8)
    print(f"of them at ≥ 80 %: {sure}")


def measure(out: Path, rows: list[dict], *, verbose: bool = False) -> None:
    from music01_core.analysis import analyze

    results = []
    analyse_s = audio_s = 0.0
    analyze(str(out / f"{rows[0]['id']}.wav"))  # warm: imports and compiled kernels
    for r in rows:
        t = time.perf_counter()
        a = analyze(str(out / f"{r['id']}.wav"))
        analyse_s += time.perf_counter() - t
        audio_s += a.duration_s
        if verbose:
            print(_line(r["id"], r["label"], a), flush=True)
        results.append((r["id"], r["label"], a))
    print(
        f"{len(rows)} real clips ({sum(1 for r in rows if r['label'] == 'speech')} speech in "
        f"{len({r['package'] for r in rows if r['label'] == 'speech'})} sources, "
        f"{sum(1 for r in rows if r['label'] == 'none')} instrumental, "
        f"{sum(1 for r in rows if r['label'] == 'singing')} sung)"
    )
    report(results)
    print(f"analysis time / audio time (warm): {analyse_s / audio_s:.3f}")


def measure_tempo(out: Path, rows: list[dict]) -> None:
    """For each instrumental: its tempo (and competing reading), and whether the offline
    engine's piece made from it reads at the same tempo with the same analysis (within 2 %)."""
    import tempfile

    import soundfile as sf

    from music01_core.analysis import analyze
    from music01_core.audio import load_audio
    from music01_core.engine import extract, render
    from music01_core.lyrics import sung_blocks

    lyrics = (
        "##\nThe morning light is on the hill\nand every road is quiet still\n\n"
        "we walk along the river side\nwith open hearts and arms so wide\n##"
    )
    same, flips, total = 0, [], 0
    with tempfile.TemporaryDirectory() as tmp:
        for r in (r for r in rows if r["label"] == "none"):
            path = out / f"{r['id']}.wav"
            ref = analyze(path)
            y, _ = load_audio(path, sample_rate=44100, mono=False)
            piece = render(
                sung_blocks(lyrics),
                accompaniment_wrap=True,
                voice=None,
                instrumental=extract(path),
                instrumental_audio=y.T if y.ndim == 2 else y[:, None],
                instrumental_is_song=False,
                sample_rate=44100,
                seed=1,
            )
            sf.write(Path(tmp) / "piece.wav", piece.audio, 44100)
            got = analyze(Path(tmp) / "piece.wav")
            ratio = got.tempo_bpm / ref.tempo_bpm
            total += 1
            ok = abs(ratio - 1) <= 0.02
            same += ok
            alt = f" (or {ref.tempo_alternative_bpm:.0f})" if ref.tempo_alternative_bpm else ""
            galt = f" (or {got.tempo_alternative_bpm:.0f})" if got.tempo_alternative_bpm else ""
            print(
                f"  {r['id']:24} reference {ref.tempo_bpm:6.1f}{alt:9} piece {got.tempo_bpm:6.1f}{galt:9} "
                f"{'same' if ok else f'× {ratio:.2f}'}"
            )
            if not ok:
                flips.append(r["id"])
    print(f"engine pieces read at the reference's tempo (±2 %): {same}/{total}; differ: {', '.join(flips) or '-'}")


def held_out_check(root: Path, *, verbose: bool = False) -> None:
    """The independent check: packages never used for tuning, analysed once, reported as they come.

    - speech: Fish Fillets' Czech dialogue (``fillets-ng-data-cs``), lines of 1 s or more
      joined into 12–20 s clips;
    - none / singing: Sonic Pi's loops and its choir sample (``sonic-pi-samples``);
    - unlabelled: Frets on Fire's band tracks (``fretsonfire-songs-*``): the verdicts are
      listed, not scored (whether any has vocals is not known).
    """
    import numpy as np
    import soundfile as sf

    from music01_core.analysis import analyze
    from music01_core.audio import load_audio

    out = root / "held-out"
    out.mkdir(parents=True, exist_ok=True)
    rows: list[tuple[Path, str]] = []
    cs = fetch("fillets-ng-data-cs", root, held_out=True)
    lines = sorted(p for p in cs.rglob("*.ogg") if "-x-" not in p.name)  # -x-: effects, not dialogue
    step, i = max(1, len(lines) // 120), 0
    for k in range(12):
        dst = out / f"fillets-cs-{k:02d}.wav"
        if not dst.exists():
            parts, total = [], 0.0
            while total < 12.0 and i < len(lines):
                y, _ = load_audio(lines[i], sample_rate=22050, mono=True)
                i += step
                if len(y) >= 22050:
                    parts += [y, np.zeros(6615, np.float32)]
                    total += len(y) / 22050 + 0.3
            if total < 12.0:
                break
            sf.write(dst, np.concatenate(parts)[: 20 * 22050], 22050)
        rows.append((dst, "speech"))
    pi = fetch("sonic-pi-samples", root, held_out=True)
    for f in sorted(pi.rglob("*.flac")):
        if not (f.stem.startswith("loop_") or f.stem == "ambi_choir"):
            continue
        dst = out / f"sonicpi-{f.stem}.wav"
        if not dst.exists():
            y, _ = load_audio(f, sample_rate=22050, mono=True)
            if len(y) < 22050:
                continue
            sf.write(dst, np.tile(y, int(np.ceil(12 * 22050 / len(y))))[: 20 * 22050], 22050)
        rows.append((dst, "singing" if f.stem == "ambi_choir" else "none"))
    for package in ("fretsonfire-songs-muldjord", "fretsonfire-songs-sectoid"):
        for f in sorted(fetch(package, root, held_out=True).rglob("song.ogg")):
            dst = out / f"fof-{f.parent.name.replace(' ', '_')}.wav"
            if not dst.exists():
                y, _ = load_audio(f, sample_rate=22050, mono=True)
                start = len(y) // 3
                sf.write(dst, y[start : start + 20 * 22050], 22050)
            rows.append((dst, "unlabelled"))
    print(f"held-out check ({len(rows)} clips, never used for tuning):")
    results = []
    for path, label in rows:
        a = analyze(path)
        if verbose:
            print(_line(path.stem, label, a), flush=True)
        results.append((path.stem, label, a))
    report([r for r in results if r[1] != "unlabelled"])
    unlabelled = [a.vocals for _, label, a in results if label == "unlabelled"]
    print(
        "unlabelled (band tracks, verdicts listed, not scored): "
        + ", ".join(f"{v} {unlabelled.count(v)}" for v in sorted(set(unlabelled)))
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-source", type=int, default=5, help="clips per package (default 5)")
    ap.add_argument("--no-analyse", action="store_true", help="only fetch and cut")
    ap.add_argument("--verbose", action="store_true", help="print every clip's verdict and evidence")
    ap.add_argument("--tempo", action="store_true", help="also check tempo against the offline engine's pieces")
    ap.add_argument(
        "--held-out",
        action="store_true",
        help="run the independent check on the packages kept out of tuning (report only)",
    )
    args = ap.parse_args()
    out, rows = build(args.per_source)
    print(f"{len(rows)} clips in {out}", file=sys.stderr)
    if not args.no_analyse:
        measure(out, rows, verbose=args.verbose)
        if args.tempo:
            measure_tempo(out, rows)
        if args.held_out:
            held_out_check(cache_dir(), verbose=args.verbose)


if __name__ == "__main__":
    main()
