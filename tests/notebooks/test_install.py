"""The documented installs: what the README's commands give, and what Hugging Face Spaces runs."""

import re
import shlex
import shutil
import subprocess
import sys

import pytest

from tests.notebooks.conftest import ROOT

README = ROOT / "README.md"
# The set-up lines a student types, the same in the README, the workshop guide and the handout.
SETUP = (
    "python3 -m venv .venv && . .venv/bin/activate",
    r"py -3.11 -m venv .venv; .venv\Scripts\Activate.ps1",
    "pip install -r requirements-notebooks.txt",
    "jupyter lab notebooks/",
)


def readme_command(label: str) -> str:
    """The first line of the code block after the README paragraph that starts with LABEL."""
    text = README.read_text(encoding="utf-8")
    m = re.search(rf"^{re.escape(label)}.*?\n```\w*\n(.+?)\n", text, re.M | re.S)
    assert m, f"no code block after {label!r} in the README"
    return m.group(1)


@pytest.mark.slow
def test_the_readme_app_install_puts_music01_on_path(venv):
    """The README's "Run the app" install gives the `music01` command its command-line section uses."""
    line = readme_command("Run the app")
    pip, _, _ = line.partition("&&")
    args = shlex.split(pip)
    assert args[:2] == ["pip", "install"], line
    venv.pip_install(*args[2:])
    music01 = venv.script("music01")
    assert music01.is_file(), f"{line!r} puts no music01 command in the venv"
    r = subprocess.run([str(music01), "--version"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and r.stdout.startswith("music01 "), r.stdout + r.stderr


def test_requirements_txt_installs_without_the_repository(tmp_path):
    """Hugging Face Spaces installs requirements.txt on its own, before it copies the repository
    in (the file alone is mounted into the build): a local path there (`.`, `-e .`) breaks the
    deployment. Here too it sits alone in an empty folder; pip must accept every line."""
    shutil.copy(ROOT / "requirements.txt", tmp_path / "requirements.txt")
    r = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--dry-run", "--no-index", "--no-deps", "-q"]
        + ["--disable-pip-version-check", "-r", "requirements.txt"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("doc", ["README.md", "docs/workshop.md", "docs/handout.md"])
def test_the_readme_workshop_guide_and_handout_give_the_same_setup(doc):
    text = (ROOT / doc).read_text(encoding="utf-8")
    missing = [line for line in SETUP if line not in text]
    assert not missing, f"{doc} lacks {missing}"


@pytest.mark.slow
def test_pip_install_dot_then_python_app_py_serves_the_page(venv, tmp_path):
    """`pip install .` (a real, non-editable install) holds the app's handlers too: app.py started
    from elsewhere finds music01_ui and music01_core in the venv, not in this checkout."""
    import os
    import time
    import urllib.request

    from tests.appserver import free_port

    venv.pip_install(".")
    where = subprocess.run(
        [str(venv.python), "-c", "import music01_core.client, music01_ui.page; print(music01_ui.page.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert where.returncode == 0 and str(venv.path) in where.stdout, where.stdout + where.stderr
    shutil.copy(ROOT / "app.py", tmp_path / "app.py")  # its folder holds no music01_ui to fall back on
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "MUSIC01_HOME": str(tmp_path / "home")}
    env.pop("AIML_API_KEY", None)
    proc = subprocess.Popen(
        [str(venv.python), "app.py"], cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None and status != 200:
            try:
                status = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).status
            except OSError:
                time.sleep(0.5)
        assert status == 200, proc.stdout.read().decode(errors="replace") if proc.poll() is not None else "no answer"
    finally:
        proc.terminate()
        proc.wait(timeout=30)
