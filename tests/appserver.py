"""Start ``python app.py`` on 127.0.0.1 for a test, the way a person runs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class AppServer:
    def __init__(self, home: Path, *, port: int | None = None, **env) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.home = home
        self.log = home.parent / f"app-{self.port}.log"
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AIML", "MUSIC01", "GRADIO", "SPACE_ID", "REPLICATE"))
        }
        self.env = {
            **clean,
            "MUSIC01_HOME": str(home),
            "GRADIO_SERVER_PORT": str(self.port),
            "GRADIO_SERVER_NAME": "127.0.0.1",
            "GRADIO_ANALYTICS_ENABLED": "False",
            "PYTHONPATH": str(ROOT),
            **env,
        }
        self.proc = None

    def start(self, timeout_s: float = 90) -> AppServer:
        self._fh = open(self.log, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, str(ROOT / "app.py")],
            env=self.env,
            cwd=self.home.parent,
            stdout=self._fh,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"app exited: {self.log.read_text()[-2000:]}")
            try:
                if requests.get(self.url, timeout=2).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.3)
        raise RuntimeError("app did not start in time")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self._fh.close()

    def logs(self) -> str:
        return self.log.read_text(errors="replace")


def make_args(
    model: str,
    lyrics: str = "",
    prompt: str = "",
    *,
    url: str = "",
    sample_rate: int = 44100,
    bitrate: int = 256000,
    fmt: str = "mp3",
    seed: int = 1,
    key: str = "",
) -> tuple:
    """The app's ``/make`` inputs, in its order, for ``client.predict(*make_args(...), api_name="/make")``.

    No clip, no switches, no music-01 ids: the cases that need those call ``/make`` themselves.
    """
    return (model, lyrics, prompt, None, url, False, False, sample_rate, bitrate, fmt, seed, key, "", "")
