"""Offline render speed: seconds of rendering per second of output, for ~1 minute of song.

The reference is uploaded (analysed) first, as in real use; the figure is for
``generate`` alone, MP3 at 44.1 kHz, voice over accompaniment from a song reference.
Target: <= 0.2 (60 s of output in <= 12 s on 2 cores).

    python benchmarks/bench_engine.py
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

LYRICS = (
    "##Swing to the rhythm of the night\nlet the music take control\nfeel the beat and hold on tight\n"
    "we are dancing heart and soul\n\nunder neon silver light\nevery shadow starts to glow\n"
    "sing it loud into the night\nand we never let it go\n\nhold me close and spin around\n"
    "till the morning finds us here##"
)


def main() -> None:
    from music01_core.backends import OfflineBackend
    from music01_core.examples import write_example

    with tempfile.TemporaryDirectory() as d:
        ref = write_example("song-e-minor", Path(d) / "song.wav")
        backend = OfflineBackend(home=Path(d) / "home")
        t0 = time.perf_counter()
        up = backend.upload(ref, "song")
        t_upload = time.perf_counter() - t0
        runs = []
        for seed in (1, 2, 3):
            t0 = time.perf_counter()
            r = backend.generate(LYRICS, voice_id=up.voice_id, instrumental_id=up.instrumental_id, seed=seed)
            runs.append((time.perf_counter() - t0, r.duration_s))
    best, dur = min(runs)
    print(f"render a song: {dur:.1f} s of MP3 output (upload + analysis took {t_upload:.2f} s)")
    print(f"  generate: best {best:.2f} s over {len(runs)} seeds")
    print(f"ratio render time / output time = {best / dur:.3f}  (target <= 0.2)")


if __name__ == "__main__":
    main()
