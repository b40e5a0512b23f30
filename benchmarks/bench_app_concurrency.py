"""Eight people press Generate at once: the app against the emulator with latency L.

Starts the emulator (latency L) and ``python app.py`` pointed at it, then fires 8
simultaneous generations through gradio_client, on both API paths:

- music-01 (legacy): upload once, then 8 × /generate;
- the job path: 8 × /make with minimax/music-2.6 (submit, poll, download).

Target: all 8 finish within 1.5 L (ratio = wall time of the 8 / L).  Then one job is
followed in this process for a longer L, to measure what polling costs while waiting:
target < 1 % of one core.

    python benchmarks/bench_app_concurrency.py [--latency-s 8] [--path both|music01|job]
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

from benchmarks._util import make_piece  # noqa: E402

KEY = "bench-key-0123456789"


def _burst(users: int, call) -> tuple[float, list[float]]:
    def one(i: int) -> float:
        t = time.perf_counter()
        call(i)
        return time.perf_counter() - t

    t0 = time.perf_counter()
    with cf.ThreadPoolExecutor(users) as pool:
        each = list(pool.map(one, range(users)))
    return time.perf_counter() - t0, each


def polling_cpu(latency_s: float, home: Path) -> tuple[float, float, int]:
    """(CPU seconds, wall seconds, polls) of following one job of ``latency_s`` in this process.

    The emulator runs in its own process (``music01 emulate``), so this process's CPU time
    is the client's alone: submit, polls, download and the check that the audio decodes.
    """
    import subprocess

    import requests

    from music01_core.backends.api import ApiBackend
    from music01_core.backends.base import MusicRequest
    from tests.appserver import free_port

    port = free_port()
    emu = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "music01_core",
            "emulate",
            "--port",
            str(port),
            "--key",
            KEY,
            "--latency-s",
            str(latency_s),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        cwd=home,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                requests.get(url + "/_emulator/stats", timeout=1)
                break
            except requests.RequestException:
                time.sleep(0.1)
        api = ApiBackend(api_key=KEY, base_url=url, home=home / "cpu")
        req = MusicRequest(model="minimax/music-2.6", prompt="warm lofi beats", lyrics="[Verse]\nhello moon")
        api.make(req, wait_s=300)  # warm: imports, one connection, the emulator's first analysis
        requests.post(url + "/_emulator/reset", timeout=5)
        c0, t0 = time.process_time(), time.perf_counter()
        api.make(req, wait_s=300)
        cpu, wall = time.process_time() - c0, time.perf_counter() - t0
        polls = requests.get(url + "/_emulator/stats", timeout=5).json()["requests"].get("/v2/generate/audio", 0) - 1
    finally:
        emu.terminate()
        emu.wait(10)
    return cpu, wall, polls


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--latency-s", type=float, default=8.0)
    ap.add_argument("--users", type=int, default=8)
    ap.add_argument("--path", choices=("both", "music01", "job"), default="both")
    ap.add_argument("--cpu-latency-s", type=float, default=40.0, help="L for the polling CPU measure (0: skip)")
    args = ap.parse_args()
    from gradio_client import Client, handle_file

    from music01_core.emulator import EmulatorServer
    from music01_core.examples import write_example
    from tests.appserver import AppServer

    L = args.latency_s
    rows = []
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        ref = write_example("groove-a-minor", d / "groove.wav")
        with EmulatorServer(key=KEY, latency_s=L, home=d / "emu") as emu:
            app = AppServer(d / "home", AIML_API_KEY=KEY, AIML_API_BASE=emu.url).start()
            try:
                c = Client(app.url, verbose=False)
                if args.path in ("both", "music01"):
                    clip, _ = c.predict(handle_file(str(ref)), 0, 20, "mp3", "music-01", api_name="/prepare")
                    ids = c.predict(handle_file(clip), "instrumental", "", api_name="/upload")
                    # One warm call so the emulator's engine has analysed the reference.
                    c.predict("warm up", "", ids["instrumental_id"], 16000, 32000, "mp3", -1, "", api_name="/generate")
                    wall, each = _burst(
                        args.users,
                        lambda i: Client(app.url, verbose=False).predict(
                            f"take {i}\nla la la",
                            "",
                            ids["instrumental_id"],
                            16000,
                            32000,
                            "mp3",
                            -1,
                            "",
                            api_name="/generate",
                        ),
                    )
                    rows.append(("music-01 /generate", wall, each))
                if args.path in ("both", "job"):

                    def make(i: int):
                        return make_piece(
                            Client(app.url, verbose=False),
                            "minimax/music-2.6",
                            lyrics=f"[Verse]\ntake {i}\nla la la",
                            prompt="warm lofi hip hop",
                            sample_rate=16000,
                            bitrate=32000,
                        )

                    make(-1)  # warm: the engine's analysis of its built-in example
                    wall, each = _burst(args.users, make)
                    rows.append(("job path /make", wall, each))
            finally:
                app.stop()
        for name, wall, each in rows:
            print(
                f"{name}: {args.users} simultaneous generations, emulator latency L = {L:.1f} s: all done in "
                f"{wall:.2f} s (each {min(each):.2f}–{max(each):.2f} s)"
            )
            print(f"  ratio wall time / L, {name} = {wall / L:.2f}  (target <= 1.5)")
        if args.cpu_latency_s > 0:
            cpu, wall, polls = polling_cpu(args.cpu_latency_s, d)
            print(
                f"polling one job of L = {args.cpu_latency_s:.0f} s: {polls} polls, {cpu * 1000:.0f} ms of CPU in "
                f"{wall:.1f} s"
            )
            print(f"  ratio CPU / wall = {100 * cpu / wall:.2f} % of one core  (target < 1 %)")


if __name__ == "__main__":
    main()
