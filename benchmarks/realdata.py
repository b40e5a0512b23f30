"""A labelled dev set of real recordings, fetched from Debian packages, and the analysis measured on it.

Nothing here can download from the Internet at large, but Debian's packages can be
fetched by name.  This script fetches the packages below with ``apt-get download`` and
unpacks them with ``dpkg-deb -x`` (no root install), cuts labelled clips with ffmpeg,
caches everything outside the repository (``$MUSIC01_DEVSET``, default
``~/.cache/music01-devset``), then runs :func:`music01_core.analysis.analyze` on every clip
and prints a confusion matrix with the accuracy per class and the time per second of audio.

- **speech**: Asterisk's telephone prompts in five languages, joined into 12–20 s clips;
  and "podcasts": the same speech over a real instrumental bed 12 dB down (still speech);
- **none**: real game soundtracks (no voice);
- **singing**: real sung recordings are scarce in Debian; none are included yet (see the
  issue): the matrix reports the classes it has.

The clip list it makes is written to ``benchmarks/realdata_labels.tsv`` (id, label, source
package, file, start, length), which is committed; the audio is not.  Packages kept back
for an independent check (``fillets-ng-data*``, ``fretsonfire-songs-*``,
``sonic-pi-samples``, pygame's examples) are never used here.

    python benchmarks/realdata.py [--per-source N] [--no-analyse]
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
MUSIC = ("fb-music-high", "nexuiz-music", "singularity-music", "planetblupi-music-ogg", "drascula-music", "asc-music",
         "hyperrogue-music")
HELD_OUT = ("fillets-ng-data", "fretsonfire-songs", "sonic-pi-samples", "pygame")
AUDIO_EXT = (".wav", ".ogg", ".mp3", ".flac", ".mod", ".it", ".xm", ".s3m")
LABELS_TSV = Path(__file__).with_name("realdata_labels.tsv")


def cache_dir() -> Path:
    return Path(os.environ.get("MUSIC01_DEVSET") or Path.home() / ".cache" / "music01-devset")


def fetch(package: str, root: Path) -> Path:
    """Download and unpack one Debian package under ``root``; return its unpacked folder."""
    assert not package.startswith(HELD_OUT), f"{package} is kept for the independent check"
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
            subprocess.run([_ffmpeg(), "-v", "error", "-y", *inputs, "-filter_complex", ";".join(filt) + ";" + concat,
                            "-map", "[o]", "-t", "20", "-ac", "1", str(dst)], check=True)
        clips.append({"id": cid, "label": "speech", "package": f"asterisk-core-sounds-{lang}-wav",
                      "file": ";".join(f.name for f in group), "start_s": 0, "length_s": round(min(total, 20), 1)})
    return clips


def music_clips(pkg_dir: Path, package: str, out: Path, n: int) -> list[dict]:
    """Cut 20 s from a third of the way into ``n`` of the package's longer tracks."""
    files = sorted(p for p in pkg_dir.rglob("*") if p.suffix.lower() in AUDIO_EXT and p.stat().st_size > 200_000)
    clips = []
    for f in files:
        if len(clips) >= n:
            break
        d = _duration_s(f)
        if d < 25:
            continue
        start = round(d / 3, 1)
        cid = f"music-{package.split('-')[0]}-{len(clips):02d}"
        dst = out / f"{cid}.wav"
        if not dst.exists():
            subprocess.run([_ffmpeg(), "-v", "error", "-y", "-ss", str(start), "-t", "20", "-i", str(f), "-ac", "2",
                            "-ar", "44100", str(dst)], check=True)
        clips.append({"id": cid, "label": "none", "package": package, "file": f.name, "start_s": start,
                      "length_s": 20})
    return clips


def podcast_clips(speech: list[dict], music: list[dict], out: Path, n: int) -> list[dict]:
    """Real speech over a real instrumental bed 12 dB down: still speech."""
    clips = []
    for k in range(min(n, len(speech), len(music))):
        s, m = speech[k * 3 % len(speech)], music[k * 5 % len(music)]
        cid = f"podcast-{k:02d}"
        dst = out / f"{cid}.wav"
        if not dst.exists():
            subprocess.run([_ffmpeg(), "-v", "error", "-y", "-i", str(out / f"{s['id']}.wav"), "-i",
                            str(out / f"{m['id']}.wav"), "-filter_complex",
                            "[0:a]aresample=44100,pan=stereo|c0=c0|c1=c0[v];[1:a]volume=-12dB[b];"
                            "[v][b]amix=inputs=2:duration=shortest:normalize=0[o]", "-map", "[o]", str(dst)],
                           check=True)
        clips.append({"id": cid, "label": "speech", "package": f"{s['package']}+{m['package']}",
                      "file": f"{s['id']}+{m['id']}", "start_s": 0, "length_s": s["length_s"]})
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
    rows = speech + music + podcast_clips(speech, music, out, per_source)
    with open(LABELS_TSV, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=["id", "label", "package", "file", "start_s", "length_s"], delimiter="\t")
        w.writeheader()
        w.writerows(rows)
    return out, rows


def measure(out: Path, rows: list[dict]) -> None:
    from music01_core.analysis import analyze

    classes = ["singing", "speech", "none", "unsure"]
    matrix: dict[str, dict[str, int]] = {}
    confident_errors = []
    analyse_s = audio_s = 0.0
    analyze(str(out / f"{rows[0]['id']}.wav"))  # warm: imports and compiled kernels
    for r in rows:
        t = time.perf_counter()
        a = analyze(str(out / f"{r['id']}.wav"))
        analyse_s += time.perf_counter() - t
        audio_s += a.duration_s
        got = a.vocals
        matrix.setdefault(r["label"], {c: 0 for c in classes})[got] = matrix.setdefault(
            r["label"], {c: 0 for c in classes}).get(got, 0) + 1
        if got != r["label"] and got != "unsure" and a.vocals_confidence >= 0.8:
            confident_errors.append(f"{r['id']}: {r['label']} → {got} ({a.vocals_confidence:.0%})")
    print(f"{len(rows)} real clips ({sum(1 for r in rows if r['label'] == 'speech')} speech in "
          f"{len({r['package'] for r in rows if r['label'] == 'speech'})} sources, "
          f"{sum(1 for r in rows if r['label'] == 'none')} instrumental)")
    head = "true / verdict"
    print(f"{head:>16} " + " ".join(f"{c:>8}" for c in classes) + "   accuracy")
    for label, counts in matrix.items():
        total = sum(counts.values())
        print(f"{label:>16} " + " ".join(f"{counts.get(c, 0):>8}" for c in classes)
              + f"   {counts.get(label, 0) / total:6.0%}")
    print("confident errors (≥ 80 %):", len(confident_errors))
    for e in confident_errors:
        print("  ", e)
    print(f"analysis time / audio time (warm): {analyse_s / audio_s:.3f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--per-source", type=int, default=4, help="clips per package (default 4)")
    ap.add_argument("--no-analyse", action="store_true", help="only fetch and cut")
    args = ap.parse_args()
    out, rows = build(args.per_source)
    print(f"{len(rows)} clips in {out}", file=sys.stderr)
    if not args.no_analyse:
        measure(out, rows)


if __name__ == "__main__":
    main()
