"""The notebooks run in the Python music01 was installed into, whatever other Jupyter the machine has.

The situation of a student's laptop whose base Python also has Jupyter: a second interpreter's
"python3" kernel is where Jupyter looks first (JUPYTER_PATH, and the user's own Jupyter folder),
and the notebooks are run from the venv the README's set-up made.
"""

import json
import os
import subprocess
import sys

import nbformat
import pytest

from tests.notebooks.conftest import ROOT

pytestmark = [pytest.mark.notebooks, pytest.mark.slow]
NOTEBOOK = ROOT / "notebooks" / "01_quickstart.ipynb"
# Printed from inside the kernel: which interpreter, which environment.
PROBE = "import sys\nprint(sys.executable)\nprint(sys.prefix)"


def trap(tmp_path):
    """Kernel folders where Jupyter looks before the venv's own, each with a "python3" kernel that
    runs another Python with Jupyter (this test's interpreter)."""
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "Python 3 (another Python)",
        "language": "python",
    }
    env = {}
    for var, folder in (("JUPYTER_PATH", tmp_path / "jupyter-path"), ("JUPYTER_DATA_DIR", tmp_path / "user-jupyter")):
        (folder / "kernels" / "python3").mkdir(parents=True)
        (folder / "kernels" / "python3" / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        env[var] = str(folder)
    return env


def run(venv, nb, tmp_path, env) -> nbformat.NotebookNode:
    """`jupyter nbconvert --execute` with the venv's Jupyter (its interpreter runs nbconvert)."""
    src = tmp_path / "run" / "probe.ipynb"
    src.parent.mkdir(exist_ok=True)
    nbformat.write(nb, src)
    r = subprocess.run(
        [str(venv.python), "-m", "nbconvert", "--to", "notebook", "--execute", "--output", "done.ipynb", src.name],
        cwd=src.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return nbformat.read(src.parent / "done.ipynb", as_version=4)


def probe_output(nb) -> list[str]:
    return nb.cells[-1].outputs[0].text.split()


def test_the_venv_runs_the_notebooks_when_another_python3_kernel_is_found_first(venv, tmp_path):
    # The README's set-up for the notebooks, into the venv.
    venv.pip_install("-r", "requirements-notebooks.txt")
    assert (venv.path / "share" / "jupyter" / "kernels" / "music01" / "kernel.json").is_file()
    assert venv.script("music01").is_file()

    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "JUPYTER", "PYTHON"))}
    env.update(trap(tmp_path), MUSIC01_HOME=str(tmp_path / "home"), MPLBACKEND="Agg")

    # The trap works: a notebook that asks for "python3" runs in the other Python.
    control = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(PROBE)])
    control.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    assert probe_output(run(venv, control, tmp_path, env)) == [sys.executable, sys.prefix]

    # The quickstart's own metadata and first cell (music01's import and setup), then the probe.
    quickstart = nbformat.read(NOTEBOOK, as_version=4)
    first = next(c for c in quickstart.cells if c.cell_type == "code")
    nb = nbformat.v4.new_notebook(metadata=quickstart.metadata)
    nb.cells = [nbformat.v4.new_code_cell(first.source), nbformat.v4.new_code_cell(PROBE)]
    done = run(venv, nb, tmp_path, env)
    assert not [o for c in done.cells for o in c.outputs if o.output_type == "error"]
    assert "offline engine" in "".join(o.get("text", "") for o in done.cells[0].outputs)
    assert probe_output(done) == [str(venv.python), str(venv.path)]
