"""Eight people press Generate at once: the app against the emulator with latency L.

Starts the emulator (latency L) and ``python app.py`` pointed at it, uploads one
reference, then fires 8 simultaneous /generate calls through gradio_client.
Target: all 8 finish within 1.5 L (ratio = wall time of the 8 / L).

    python benchmarks/bench_app_concurrency.py [--latency-s 8]
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

KEY = "bench-key-0123456789"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-s", type=float, default=8.0)
    ap.add_argument("--users", type=int, default=8)
    args = ap.parse_args()
    from gradio_client import Client, handle_file

    from music01_core.emulator import EmulatorServer
    from music01_core.examples import write_example
    from tests.appserver import AppServer

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        ref = write_example("groove-a-minor", d / "groove.wav")
        with EmulatorServer(key=KEY, latency_s=args.latency_s, home=d / "emu") as emu:
            app = AppServer(d / "home", AIML_API_KEY=KEY, AIML_API_BASE=emu.url).start()
            try:
                c = Client(app.url, verbose=False)
                clip, _ = c.predict(handle_file(str(ref)), 0, 20, "mp3", api_name="/prepare")
                ids = c.predict(handle_file(clip), "instrumental", "", api_name="/upload")
                # One warm call so the emulator's engine has analysed the reference.
                c.predict("warm up", "", ids["instrumental_id"], 16000, 32000, "mp3", -1, "", api_name="/generate")

                def one(i: int) -> float:
                    client = Client(app.url, verbose=False)
                    t = time.perf_counter()
                    client.predict(f"take {i}\nla la la", "", ids["instrumental_id"], 16000, 32000, "mp3", -1, "",
                                   api_name="/generate")
                    return time.perf_counter() - t

                t0 = time.perf_counter()
                with cf.ThreadPoolExecutor(args.users) as pool:
                    each = list(pool.map(one, range(args.users)))
                wall = time.perf_counter() - t0
            finally:
                app.stop()
    L = args.latency_s
    print(f"{args.users} simultaneous generations, emulator latency L = {L:.1f} s: all done in {wall:.2f} s "
          f"(each {min(each):.2f}–{max(each):.2f} s)")
    print(f"ratio wall time / L = {wall / L:.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
