"""Cutting 60 s out of a 10-minute MP3: music01's prepare against its anchors.

Anchors: the same cut by the ffmpeg command line (same binary, input seek, same
encoder settings), and a naive pydub whole-file load + slice + export.  Prints wall-time
ratios and peak RSS ratios.  Targets: <= 1.3x the ffmpeg command line, >= 3x faster than
naive pydub, peak RSS <= 0.5x naive pydub.

    python benchmarks/bench_prepare.py [--runs 7]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import peak_tree_rss, run_measured  # noqa: E402
from music01_core.ffmpeg import find_ffmpeg  # noqa: E402

NAIVE_PYDUB = """
import sys, warnings
warnings.simplefilter("ignore")
from pydub import AudioSegment
AudioSegment.converter = sys.argv[1]
# pydub asks ffprobe for stream info unless it is told the decoder; the wheel has no
# ffprobe, so name the decoder ffmpeg picks by itself for MP3 (mp3float), which is what
# pydub would end up using with ffprobe present.  (codec="mp3" would force the slower
# fixed-point decoder and flatter music01 by ~0.5 s.)  Then load the whole file.
seg = AudioSegment.from_file(sys.argv[2], format="mp3", codec="mp3float")
cut = seg[int(float(sys.argv[3]) * 1000):int((float(sys.argv[3]) + 60) * 1000)]
cut.export(sys.argv[4], format="mp3", bitrate="192k")
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7, help="interleaved rounds")
    ap.add_argument("--start", type=float, default=420.0, help="segment start in seconds")
    args = ap.parse_args()
    ff = find_ffmpeg()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        src = d / "ten_minutes.mp3"
        # A music-like 10-minute 44.1 kHz stereo MP3 (two detuned tones plus noise).
        subprocess.run(
            [
                ff,
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "aevalsrc=0.2*sin(2*PI*220*t)+0.1*sin(2*PI*331*t)+0.02*(random(0)-0.5)|"
                "0.2*sin(2*PI*221*t)+0.1*sin(2*PI*330*t):s=44100:d=600",
                "-c:a",
                "libmp3lame",
                "-b:a",
                "192k",
                str(src),
            ],
            check=True,
        )
        s = str(args.start)
        ours = [
            sys.executable,
            "-m",
            "music01_core",
            "prepare",
            str(src),
            "-o",
            str(d / "ours.mp3"),
            "--start",
            s,
            "--end",
            str(args.start + 60),
        ]
        cli = [
            ff,
            "-v",
            "error",
            "-y",
            "-ss",
            s,
            "-t",
            "60",
            "-i",
            str(src),
            "-map_metadata",
            "-1",
            "-c:a",
            "libmp3lame",
            "-b:a",
            "192k",
            str(d / "ffmpeg.mp3"),
        ]
        naive = [sys.executable, "-c", NAIVE_PYDUB, ff, str(src), s, str(d / "naive.mp3")]
        # Interleaved rounds: this machine is shared and its wall times drift by +-20%, so
        # each ratio is taken within a round (the three runs see the same conditions) and
        # the median over rounds is reported, with the range.
        res = {"ours": [], "cli": [], "naive": []}
        for _ in range(args.runs):
            for name, cmd in (("ours", ours), ("cli", cli), ("naive", naive)):
                res[name].append(run_measured(cmd)[0])
        # Memory in separate runs: the whole process tree summed (music01 runs an encoder
        # and a measuring decoder at once; pydub runs ffmpeg beside its own big process).
        m_ours, m_cli, m_naive = (peak_tree_rss(cmd) for cmd in (ours, cli, naive))

    def per_round(num: str, den: str) -> str:
        r = [a / b for a, b in zip(res[num], res[den], strict=True)]
        return f"{statistics.median(r):.2f}  (rounds {min(r):.2f}-{max(r):.2f})"

    print(f"prepare 60 s of a 10-min MP3 ({args.runs} interleaved rounds; median wall time)")
    for key, label, mem in (
        ("ours", "music01 prepare", m_ours),
        ("cli", "ffmpeg CLI     ", m_cli),
        ("naive", "naive pydub    ", m_naive),
    ):
        print(f"  {label} : {statistics.median(res[key]):6.3f} s  peak tree RSS {mem:7.1f} MiB")
    print(f"ratio time  music01 / ffmpeg CLI  = {per_round('ours', 'cli')}  target <= 1.3")
    print(f"ratio speed naive pydub / music01 = {per_round('naive', 'ours')}  target >= 3")
    print(f"ratio RSS   music01 / naive pydub = {m_ours / m_naive:.2f}  target <= 0.5")
    # Both music01 and naive pydub spend most of their time in the same LAME encode of the
    # 60 s, which the ffmpeg command line is nothing but; so a tool that writes this MP3 with
    # that encoder cannot be faster than naive pydub by more than this ratio.
    print(
        f"bound       naive pydub / ffmpeg CLI = {per_round('naive', 'cli')}  "
        "(the most a tool running the same LAME encode can reach)"
    )


if __name__ == "__main__":
    main()
