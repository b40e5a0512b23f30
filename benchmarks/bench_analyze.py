"""Analysis speed: seconds of analysis per second of audio for a 60 s clip.

Prints the warm ratio (a second call in one process: the app's and notebooks' case)
and the cold ratio (a fresh ``music01 analyze`` process, which also pays the imports;
``bench_cold.py`` measures that case on its own).  Target: <= 0.1 (warm).

    python benchmarks/bench_analyze.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._util import run_measured  # noqa: E402


def main() -> None:
    from dataclasses import replace

    import soundfile as sf

    from music01_core.analysis import analyze
    from music01_core.examples import EXAMPLES, synthesize_example

    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "song60.wav"
        spec = replace(EXAMPLES["song-e-minor"], duration_s=60.0)
        sf.write(path, synthesize_example(spec), 44100, subtype="PCM_16")
        t0 = time.perf_counter()
        analyze(path)
        first = time.perf_counter() - t0
        warm = []
        for _ in range(3):
            t0 = time.perf_counter()
            a = analyze(path)
            warm.append(time.perf_counter() - t0)
        cold, _, _ = run_measured([sys.executable, "-m", "music01_core", "analyze", str(path), "--json"])
    best = min(warm)
    print(f"analyze a 60 s song clip (vocals={a.vocals}, tempo={a.tempo_bpm}, key={a.key})")
    print(f"  warm in-process : {best:6.2f} s   first call in process: {first:6.2f} s   fresh CLI: {cold:6.2f} s")
    print(f"ratio analysis time / audio time, warm  = {best / 60:.3f}  (target <= 0.1)")
    print(f"ratio analysis time / audio time, CLI   = {cold / 60:.3f}  (includes imports and JIT)")


if __name__ == "__main__":
    main()
