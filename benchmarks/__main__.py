"""Run every benchmark and print one table: each figure against its anchor and its target.

    python -m benchmarks            # all of them (a few minutes on 2 cores)
    python -m benchmarks analyze    # only those whose file name contains "analyze"
    python -m benchmarks cold       # bench_cold: a fresh `music01 analyze` on a 13 s and a 60 s clip

Each ``bench_*.py`` prints lines ``ratio <figure> = <value> ... target <op> <bound>``; this
runner collects them.  ``realdata.py`` is not run here: it needs ``apt-get`` (see README).
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
LINE = re.compile(
    r"ratio\s+(?P<figure>.+?)\s*=\s*(?P<value>[\d.]+)\s*(?P<unit>%[^(]*)?.*?"
    r"target\s*(?P<op><=|>=|<|>)\s*(?P<bound>[\d.]+)"
)
OPS = {"<=": lambda v, b: v <= b, ">=": lambda v, b: v >= b, "<": lambda v, b: v < b, ">": lambda v, b: v > b}


def run(script: Path) -> tuple[list[dict], float, int]:
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, cwd=HERE.parent)
    rows = []
    for line in proc.stdout.splitlines():
        m = LINE.search(line)
        if m:
            value, bound = float(m["value"]), float(m["bound"])
            rows.append(
                {
                    "figure": m["figure"].strip(),
                    "value": value,
                    "op": m["op"],
                    "bound": bound,
                    "ok": OPS[m["op"]](value, bound),
                }
            )
    return rows, time.perf_counter() - started, proc.returncode


def main(argv: list[str]) -> int:
    scripts = sorted(HERE.glob("bench_*.py"))
    if argv:
        scripts = [s for s in scripts if any(a in s.stem for a in argv)]
    table, failed = [], 0
    for script in scripts:
        print(f"running {script.name}…", file=sys.stderr, flush=True)
        rows, took_s, rc = run(script)
        if rc != 0 or not rows:
            table.append((script.stem, "(no figures: the benchmark failed)", "", "", "FAILED"))
            failed += 1
            continue
        for r in rows:
            table.append(
                (script.stem, r["figure"], f"{r['value']:g}", f"{r['op']} {r['bound']:g}", "ok" if r["ok"] else "OVER")
            )
            failed += not r["ok"]
        print(f"  {took_s:.0f} s", file=sys.stderr)
    widths = [
        max(len(str(row[i])) for row in [("benchmark", "figure (what / anchor)", "value", "target", ""), *table])
        for i in range(5)
    ]
    head = ("benchmark", "figure (what / anchor)", "value", "target", "")
    for row in (head, *table):
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    print(f"{len(table) - failed}/{len(table)} figures within target")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
