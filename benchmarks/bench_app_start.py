"""Start-up: ``python app.py`` to its first HTTP 200, against a bare Gradio Blocks hello-world.

Target: ratio <= 1.5.  Prints the best of several interleaved runs of each.

    python benchmarks/bench_app_start.py [--runs 3]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.appserver import free_port  # noqa: E402

HELLO = """
import os, gradio as gr
with gr.Blocks() as demo:
    gr.Markdown("hello")
demo.launch(server_name="127.0.0.1", server_port=int(os.environ["GRADIO_SERVER_PORT"]))
"""


def time_to_200(cmd: list[str], env: dict) -> float:
    port = free_port()
    env = {**env, "GRADIO_SERVER_PORT": str(port), "GRADIO_SERVER_NAME": "127.0.0.1"}
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    try:
        while True:
            try:
                if requests.get(f"http://127.0.0.1:{port}/", timeout=1).status_code == 200:
                    return time.perf_counter() - t0
            except requests.RequestException:
                pass
            if proc.poll() is not None:
                raise RuntimeError(f"{cmd} exited early")
            if time.perf_counter() - t0 > 120:
                raise RuntimeError("no answer within 120 s")
            time.sleep(0.05)
    finally:
        proc.terminate()
        proc.wait(10)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01"))}
        env.update(MUSIC01_HOME=d, GRADIO_ANALYTICS_ENABLED="False")
        hello_py = Path(d) / "hello.py"
        hello_py.write_text(HELLO)
        app, hello = [], []
        for _ in range(args.runs):
            hello.append(time_to_200([sys.executable, str(hello_py)], env))
            app.append(time_to_200([sys.executable, str(ROOT / "app.py")], env))
    print(
        f"time to first HTTP 200 (best of {args.runs}): app.py {min(app):.2f} s · hello-world Blocks {min(hello):.2f} s"
    )
    print(f"ratio app / hello-world = {min(app) / min(hello):.2f}  (target <= 1.5)")


if __name__ == "__main__":
    main()
