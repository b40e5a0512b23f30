"""Small helpers shared by the benchmarks: timing and peak RSS of a child process, and the app's /make."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run_measured(cmd: list[str]) -> tuple[float, float, str]:
    """Run ``cmd`` and return (wall seconds, peak RSS in MiB of it and its children, stdout).

    Each command runs under a fresh ``python -c`` wrapper so that ``RUSAGE_CHILDREN`` counts
    only that command's process tree.
    """
    wrapper = (
        "import resource, subprocess, sys, time, json;"
        "t=time.perf_counter(); p=subprocess.run(sys.argv[1:], capture_output=True, text=True);"
        "dt=time.perf_counter()-t;"
        "r=resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss;"
        "print(json.dumps({'s': dt, 'rss_kib': r, 'rc': p.returncode, 'out': p.stdout, 'err': p.stderr[-400:]}))"
    )
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    out = subprocess.run([sys.executable, "-c", wrapper, *cmd], capture_output=True, text=True, env=env, check=True)
    d = json.loads(out.stdout)
    if d["rc"] != 0:
        raise RuntimeError(f"{cmd[:3]}… failed: {d['err']}")
    return d["s"], d["rss_kib"] / 1024, d["out"]


def _tree(pid: int) -> list[int]:
    """``pid`` and all its descendants, from /proc (children are listed per thread)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:  # it ended while we looked
            pass
    return out


def _rss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def peak_tree_rss(cmd: list[str], *, interval_s: float = 0.003) -> float:
    """Peak of the summed RSS of ``cmd`` and all its descendants, in MiB (Linux only).

    ``ru_maxrss`` gives the largest *single* process; a tool that runs two ffmpeg at once
    must be charged for both.  Sampling costs CPU, so time with :func:`run_measured` and
    measure memory in a separate run.
    """
    import time

    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    peak = 0
    while proc.poll() is None:
        peak = max(peak, sum(_rss_kib(p) for p in _tree(proc.pid)))
        time.sleep(interval_s)
    if proc.returncode != 0:
        raise RuntimeError(f"{cmd[:3]}… failed with exit code {proc.returncode}")
    return peak / 1024


__all__ = ["run_measured", "peak_tree_rss", "ROOT"]


def make_piece(
    client,
    model: str,
    *,
    lyrics: str = "",
    prompt: str = "",
    clip=None,
    sample_rate: int = 44100,
    bitrate: int = 128000,
):
    """Call the app's ``/make`` endpoint through a ``gradio_client.Client``, with the defaults for the rest.

    ``clip`` is a local file path (sent with ``handle_file``) or None.  Returns (audio, info).
    """
    from gradio_client import handle_file

    clip_arg = handle_file(clip) if clip else None
    return client.predict(
        model, lyrics, prompt, clip_arg, "", False, False, sample_rate, bitrate, "mp3", -1, "", "", "", api_name="/make"
    )
