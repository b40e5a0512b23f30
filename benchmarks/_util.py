"""Small helpers shared by the benchmarks: timing and peak RSS of a child process."""

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


__all__ = ["run_measured", "ROOT"]
