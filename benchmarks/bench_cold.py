"""Cold start: a fresh ``music01 analyze`` process on a 13 s and a 60 s clip, against the clip's length.

A one-off command pays for Python, the imports and any numba compilation on top of the
analysis itself.  Each run is a new ``python -m music01_core analyze CLIP`` process; the
figure is the median wall time of ``--runs`` runs divided by the clip's duration.  Target:
<= 0.25 for the 60 s clip.

The very first run after installing (or upgrading) librosa also compiles the numba
kernels it caches on disk; that case is measured once per clip with an empty numba cache
directory (``NUMBA_CACHE_DIR``), so the installed caches are left alone.

    python benchmarks/bench_cold.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import soundfile as sf  # noqa: E402

from benchmarks._util import run_measured  # noqa: E402
from music01_core.examples import EXAMPLES, synthesize_example  # noqa: E402

CLIPS_S = (13.0, 60.0)
TARGET_60S = 0.25


def cold_runs(path: Path, runs: int) -> list[float]:
    """Wall seconds of ``runs`` fresh ``music01 analyze`` processes on ``path``."""
    cmd = [sys.executable, "-m", "music01_core", "analyze", str(path)]
    return [run_measured(cmd)[0] for _ in range(runs)]


def first_ever_run(path: Path) -> float:
    """Wall seconds of one run whose numba kernels must be compiled (an empty cache directory)."""
    with tempfile.TemporaryDirectory() as cache:
        old = os.environ.get("NUMBA_CACHE_DIR")
        os.environ["NUMBA_CACHE_DIR"] = cache  # run_measured passes the environment on
        try:
            return run_measured([sys.executable, "-m", "music01_core", "analyze", str(path)])[0]
        finally:
            if old is None:
                del os.environ["NUMBA_CACHE_DIR"]
            else:
                os.environ["NUMBA_CACHE_DIR"] = old


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5, help="fresh processes per clip (default 5)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        paths = {}
        for length_s in CLIPS_S:
            paths[length_s] = Path(d) / f"song{length_s:.0f}.wav"
            spec = replace(EXAMPLES["song-e-minor"], duration_s=length_s)
            sf.write(paths[length_s], synthesize_example(spec), 44100, subtype="PCM_16")
        cold_runs(paths[CLIPS_S[0]], 1)  # bring files into the page cache; not counted
        results = {s: (cold_runs(p, args.runs), first_ever_run(p)) for s, p in paths.items()}
    for length_s, (times, first) in results.items():
        med = statistics.median(times)
        print(
            f"music01 analyze, {length_s:.0f} s clip, fresh process: median {med:.2f} s, best {min(times):.2f} s "
            f"of {len(times)}; first run with empty numba caches {first:.2f} s"
        )
    for length_s, (times, first) in results.items():
        ratio = statistics.median(times) / length_s
        first_ratio = first / length_s
        target = f"target <= {TARGET_60S}" if length_s == 60.0 else "(no target: reported)"
        print(
            f"ratio cold CLI time / audio time, {length_s:.0f} s clip = {ratio:.3f}  "
            f"(first-ever run {first_ratio:.3f})  {target}"
        )


if __name__ == "__main__":
    main()
