"""The layering of docs/architecture.md, measured from the source: no import cycle, nothing imports upwards.

Every import counts, at module level or inside a function, since an import hidden in a
function is still a dependency (it only fails later).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Higher imports lower, never the other way. The package's __init__ is the public facade, so it
# stands with the edges. The emulator sits beside the client: it may use the engine, not the edges.
EDGES, CLIENT, PROVIDERS, CORE, BOTTOM = 4, 3, 2, 1, 0
_BOTTOM = {"errors", "settings", "secret", "storage", "transport"}


def _rank(module: str) -> int:
    parts = module.split(".")
    if parts[0] in ("app", "music01_ui") or module in ("music01_core", "music01_core.__main__"):
        return EDGES
    if module in ("music01_core.cli", "music01_core.notebook"):
        return EDGES
    sub = parts[1] if len(parts) > 1 else ""
    # jobs.py only re-exports the moved job path for one release (deprecated).
    if sub in ("client", "backends", "emulator", "jobs"):
        return CLIENT
    if sub == "providers":
        return PROVIDERS
    if sub in _BOTTOM:
        return BOTTOM
    return CORE


def _modules() -> dict[str, Path]:
    files = [ROOT / "app.py", *(ROOT / "music01_core").rglob("*.py"), *(ROOT / "music01_ui").rglob("*.py")]
    out = {}
    for f in files:
        rel = f.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = f
    return out


def _imports(module: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The project modules ``module`` imports (relative imports resolved, ``from X import sub`` → X.sub)."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from X import sub` names the module X.sub when there is one, else X itself.
            names = [f"{base}.{a.name}" if f"{base}.{a.name}" in known else base for a in node.names]
        else:
            continue
        for name in names:
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


@pytest.fixture(scope="module")
def graph() -> dict[str, set[str]]:
    known = _modules()
    return {m: _imports(m, p, known) for m, p in known.items()}


def test_nothing_imports_a_higher_layer(graph):
    upward = sorted(
        f"{m} ({_rank(m)}) imports {d} ({_rank(d)})" for m, deps in graph.items() for d in deps if _rank(d) > _rank(m)
    )
    assert upward == []


def test_no_import_cycle(graph):
    # Packages import their own modules to re-export them; that is not a cycle of dependencies.
    edges = {m: {d for d in deps if not d.startswith(m + ".")} for m, deps in graph.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(m: str, path: list[str]) -> None:
        state[m] = 1
        for d in sorted(edges.get(m, ())):
            if state.get(d) == 1:
                cycles.append(path[path.index(d) :] + [d] if d in path else [m, d])
            elif d not in state:
                visit(d, [*path, d])
        state[m] = 2

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
    assert cycles == []


def test_the_measure_sees_an_upward_import(tmp_path):
    # The check can fail: a provider that imports the CLI is reported.
    known = {"music01_core.providers.toy": tmp_path / "toy.py", "music01_core.cli": tmp_path / "cli.py"}
    (tmp_path / "toy.py").write_text("def f():\n    from ..cli import main\n")
    deps = _imports("music01_core.providers.toy", known["music01_core.providers.toy"], known)
    assert deps == {"music01_core.cli"} and _rank("music01_core.cli") > _rank("music01_core.providers.toy")
