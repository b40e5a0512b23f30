"""The companion notebooks: committed clean, executed headless, leaking nothing."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.audiogen import KEY
from tests.fileserver import serve_folder

pytestmark = pytest.mark.notebooks
ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
SOLUTIONS = sorted((ROOT / "notebooks" / "solutions").glob("[0-9][0-9]_*_solutions.ipynb"))
ALL = NOTEBOOKS + SOLUTIONS
CELL_TIMEOUT_S = 300
# The kernel every notebook names: installed into the environment music01 is installed into
# (jupyter-kernel/, listed in requirements-notebooks.txt).
KERNEL = "music01"


def test_there_are_seven_numbered_notebooks():
    assert [p.name[:3] for p in NOTEBOOKS] == ["01_", "02_", "03_", "04_", "05_", "06_", "07_"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_each_ends_with_exercises_and_has_solutions(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    texts = ["".join(c["source"]) for c in nb["cells"]]
    turn = next(i for i, t in enumerate(texts) if t.startswith("## Your turn"))
    exercises = [t for t in texts[turn:] if re.match(r"\*\*\d\.\*\*", t)]
    assert 2 <= len(exercises) <= 3, exercises
    solution = ROOT / "notebooks" / "solutions" / f"{path.stem}_solutions.ipynb"
    assert solution.exists() and solution.name in texts[turn]
    # The switch is at the top: the first code cell, for every notebook that can bill.
    first_code = next(t for t, c in zip(texts, nb["cells"], strict=True) if c["cell_type"] == "code")
    if "04_" not in path.name:
        assert first_code.startswith("# The one switch") and "OFFLINE = False" in first_code
        # Each cell that generates says what it costs before it runs.
        for t in texts:
            if re.search(r"^[^#\n]*\bbackend\.make\(", t, re.M):
                assert "nb.cost(" in t, t


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_committed_without_outputs(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            assert cell.get("outputs") == [] and cell.get("execution_count") is None, f"{path.name} has outputs"
    code = "\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
    imports = set(re.findall(r"^\s*(?:from|import)\s+([a-zA-Z_][\w]*)", code, re.M))
    assert imports <= {
        "music01_core",
        "os",
        "json",
        "io",
        "pathlib",
        "subprocess",
        "zipfile",
        "requests",
        "numpy",
        "matplotlib",
        "soundfile",
        "IPython",
        "getpass",
        "warnings",
        "time",
    }, imports
    assert nb["cells"][0]["cell_type"] == "markdown"


def require_kernel() -> None:
    from jupyter_client.kernelspec import KernelSpecManager

    if KERNEL not in KernelSpecManager().find_kernel_specs():
        pytest.fail(f"the Jupyter kernel {KERNEL!r} is not installed here: pip install -r requirements-dev.txt")


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_names_the_music01_kernel(path):
    """Each notebook asks for the kernel installed with music01, so Jupyter started from the venv runs it
    in the venv, not on a "python3" kernel that another Python registered where Jupyter looks first."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    assert nb["metadata"]["kernelspec"] == {"display_name": KERNEL, "language": "python", "name": KERNEL}
    assert nb["metadata"]["language_info"]["name"] == "python"


def test_in_a_python_without_music01_the_first_cell_says_what_to_do_in_one_line(tmp_path):
    """A student picked another kernel by hand: each notebook's first code cell stops Run All with one
    line naming the kernel and the install, instead of a ModuleNotFoundError traceback."""
    import nbformat
    from nbclient import NotebookClient

    require_kernel()
    firsts = [next(c.source for c in nbformat.read(p, as_version=4).cells if c.cell_type == "code") for p in ALL]
    # One kernel for all ten cells; None in sys.modules makes `import music01_core` fail as it does
    # in a Python where music01 is not installed (ModuleNotFoundError).
    cells = [nbformat.v4.new_code_cell('import sys\nsys.modules["music01_core"] = None')]
    cells += [nbformat.v4.new_code_cell(src) for src in firsts]
    nb = nbformat.v4.new_notebook(cells=cells)
    status = {}

    def executed(cell, cell_index, execute_reply):
        status[cell_index] = execute_reply["content"]["status"]

    NotebookClient(
        nb,
        timeout=60,
        kernel_name=KERNEL,
        allow_errors=True,
        on_cell_executed=executed,
        resources={"metadata": {"path": str(tmp_path)}},
    ).execute()
    assert status[0] == "ok", nb.cells[0].outputs
    lines = set()
    for index, (path, cell) in enumerate(zip(ALL, nb.cells[1:], strict=True), start=1):
        # An error reply, so Run All stops at this cell; shown as one stderr line, no traceback.
        assert status[index] == "error", path.name
        assert [(o.output_type, o.get("name")) for o in cell.outputs] == [("stream", "stderr")], cell.outputs
        text = cell.outputs[0].text
        assert text.startswith("UsageError: ") and text.count("\n") == 1, text
        lines.add(text)
    assert len(lines) == 1, "every notebook says the same thing"
    line = lines.pop()
    for fix in (f'kernel "{KERNEL}"', "pip install -r requirements-notebooks.txt", ".venv"):
        assert fix in line, line


def execute(path: Path, workdir: Path, env: dict) -> dict:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(path, as_version=4)
    require_kernel()
    old = dict(os.environ)
    os.environ.update(env)
    try:
        # No kernel_name: the notebook's own (its metadata), as Jupyter and nbconvert choose it.
        NotebookClient(nb, timeout=CELL_TIMEOUT_S, resources={"metadata": {"path": str(workdir)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(old)
    return nb


def outputs_text(nb) -> str:
    parts = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            parts.append(json.dumps(out))
    return "\n".join(parts)


@pytest.fixture
def clean_env(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "REPLICATE"))}
    env.update(
        MUSIC01_HOME=str(tmp_path / "home"),
        PYTHONPATH=str(ROOT),
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    return env


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.name)
def test_runs_offline_top_to_bottom(path, tmp_path, clean_env, monkeypatch):
    for k in [k for k in os.environ if k.startswith(("AIML", "MUSIC01", "REPLICATE"))]:
        monkeypatch.delenv(k)
    nb = execute(path, tmp_path, clean_env)
    text = outputs_text(nb)
    assert '"output_type": "error"' not in text
    if path.name.startswith("06_"):
        assert "local emulator" in text, "with no token, 06 says it runs on its own emulator of Replicate"
    elif not path.name.startswith("04_"):
        assert "offline engine" in text, "the notebook must say which backend it uses"
    # An inline player wherever a piece is made.
    # (a cell that expects its make to fail, "except …", has nothing to play)
    makes = sum(
        1
        for c in nb.cells
        if c.cell_type == "code" and re.search(r"^[^#\n]*\.make\(", c.source, re.M) and "except" not in c.source
    )
    players = text.count("<audio")
    assert players >= makes, f"{makes} cells make audio, {players} players"
    # No absolute paths of this machine in what would be saved.
    for root in {str(tmp_path), str(ROOT), str(Path.home()), "/tmp/", "/root/"}:
        assert root not in text, f"{root} appears in the outputs of {path.name}"
    if path.name == "01_quickstart.ipynb":
        assert "audio/wav" in text or "<audio" in text  # an inline player with the generated piece


# The notebooks that send the key (02 only analyses; 04 talks to its own emulator with a demo key).
KEYED = [p for p in NOTEBOOKS if p.name[:3] in ("01_", "03_", "05_", "07_")]


@pytest.mark.parametrize("path", KEYED, ids=lambda p: p.name)
def test_with_a_key_uses_the_api_and_never_shows_it(path, tmp_path, clean_env, monkeypatch):
    """With a key set, each notebook uses the API (here: the emulator on 127.0.0.1) and leaks nothing:
    not in its saved outputs, not in any file it wrote."""
    from music01_core import prepare_clip
    from music01_core.emulator import EmulatorServer
    from music01_core.examples import write_example

    # minimax-music fetches its reference from a URL: a loopback web server plays the public host.
    www = tmp_path / "www"
    www.mkdir()
    prepare_clip(write_example("song-e-minor", www / "s.wav"), www / "ref.mp3", start_s=0, end_s=20)

    with serve_folder(www) as files_url:
        with EmulatorServer(key=KEY, home=tmp_path / "emu", latency_s=1.0) as emu:
            env = {
                **clean_env,
                "AIML_API_KEY": KEY,
                "AIML_API_BASE": emu.url,
                "MUSIC01_REFERENCE_URL": f"{files_url}/ref.mp3",
            }
            nb = execute(path, tmp_path, env)
            submits = emu.stats()["submits"]
            file_auth = emu.stats()["file_auth_headers"]
    text = outputs_text(nb)
    shown = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert '"output_type": "error"' not in text
    assert KEY not in text, f"the key is in the outputs of {path.name}"
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.suffix not in (".mp3", ".wav", ".pcm", ".flac"):
            assert KEY.encode() not in f.read_bytes(), f"the key is in {f.relative_to(tmp_path)}"
    assert file_auth == 0, "the key was sent to a file URL"
    if path.name == "01_quickstart.ipynb":
        assert "Using: AI/ML API · model: minimax-music" in shown
        assert "queued" in shown and "completed" in shown and ("audio/wav" in text or "<audio" in text)
        assert [s["model"] for s in submits] == ["minimax-music"], "one billed call, to the live model"
    if path.name == "07_compare_models.ipynb":
        four = ["elevenlabs/eleven_music", "google/lyria2", "minimax/music-2.6", "stable-audio"]
        assert sorted(s["model"] for s in submits) == four, "four takes, four submits, never more"
        # The total is said before anything is sent (here: an emulator, which bills nothing).
        assert shown.index("Free: 4 takes on the local emulator of AI/ML API") < shown.index("history entry")
    shutil.rmtree(tmp_path / "notebook-output", ignore_errors=True)


# 06 talks to Replicate: with no token it starts its own emulator (the offline run above); with one, it uses it.
REPLICATE = [p for p in ALL if p.name.startswith("06_")]


def test_without_a_token_it_runs_on_its_own_replicate_emulator(tmp_path, clean_env):
    nb = execute(ROOT / "notebooks" / "06_music01_on_replicate.ipynb", tmp_path, clean_env)
    shown = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert "emulator started on 127.0.0.1" in shown
    assert "Using: Replicate · model: replicate/minimax/music-01" in shown
    assert "a local emulator" in shown and "nothing is billed" in shown
    assert "LyricsTooLongError" in shown and "at most 350" in shown
    assert "received 0 upload(s) and 0 create(s)" in shown, "the too-long lyric reached the emulator"
    assert "list price $0.035 per output file" in shown and "predict time" in shown
    assert "spent" not in shown


@pytest.mark.parametrize("path", REPLICATE, ids=lambda p: p.name)
def test_with_a_replicate_token_uses_it_and_never_shows_it(path, tmp_path, clean_env):
    """A token in the environment: the notebook starts no emulator of its own and goes where
    REPLICATE_BASE_URL says (here the test's emulator, standing in for Replicate); one create
    per piece; the token is in no output and no file."""
    from music01_core.emulator import EmulatorServer

    token = "r8_" + "Tz4" * 12
    with EmulatorServer(service="replicate", token=token, run_s=1.0, home=tmp_path / "emu") as emu:
        env = {**clean_env, "REPLICATE_API_TOKEN": token, "REPLICATE_BASE_URL": emu.url}
        nb = execute(path, tmp_path, env)
        stats = emu.stats()
    text = outputs_text(nb)
    shown = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert '"output_type": "error"' not in text
    assert "no emulator started" in shown and "emulator started on" not in shown
    assert "Using: Replicate · model: replicate/minimax/music-01" in shown
    assert [c["model"] for c in stats["creates"]] == ["minimax/music-01"], "one create, for the one piece"
    assert stats["tokens_seen"] and len(stats["deletes"]) == len(stats["files"])
    assert token not in text, f"the token is in the outputs of {path.name}"
    for f in tmp_path.rglob("*"):
        if f.is_file() and f.suffix not in (".mp3", ".wav", ".pcm", ".flac"):
            assert token.encode() not in f.read_bytes(), f"the token is in {f.relative_to(tmp_path)}"


def test_with_the_offline_switch_it_says_so_for_the_model(tmp_path, clean_env):
    """MUSIC01_BACKEND=offline (as OFFLINE = True): the offline engine, said for music-01 on Replicate."""
    env = {**clean_env, "MUSIC01_BACKEND": "offline"}
    nb = execute(ROOT / "notebooks" / "06_music01_on_replicate.ipynb", tmp_path, env)
    text = outputs_text(nb)
    shown = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
    assert '"output_type": "error"' not in text
    assert "music-01 · Replicate runs on the offline engine" in shown
    assert "from the offline engine · music-01 · Replicate · nothing billed" in shown
