"""Throwaway venvs for the set-up tests: the README's install commands, run for real in seconds."""

import os
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = "Scripts" if os.name == "nt" else "bin"
EXE = ".exe" if os.name == "nt" else ""


@dataclass
class Venv:
    path: Path

    @property
    def python(self) -> Path:
        return self.path / BIN / f"python{EXE}"

    def script(self, name: str) -> Path:
        return self.path / BIN / f"{name}{EXE}"

    def pip_install(self, *args: str) -> subprocess.CompletedProcess:
        """`pip install ARGS` from the repository's root, as the README has it, offline: the
        dependencies are this environment's (already satisfied), music01 and its kernel are built
        with this environment's setuptools."""
        cmd = [str(self.python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        cmd += ["--no-index", "--no-build-isolation", "--no-deps", *args]
        r = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
        return r


@pytest.fixture
def venv(tmp_path) -> Venv:
    """A new venv (its own sys.prefix, bin/ and share/) that sees this environment's packages.

    Not --system-site-packages: when the tests run in a venv themselves, that would lend the new
    one the base interpreter's packages instead of these. A .pth line adds this environment's
    site-packages after the venv's own (site.addsitedir, so their .pth hooks run as well), which
    makes the README's installs into it offline and quick while everything they install lands in
    the venv. Without pip: this environment's pip, importable from there, does the installing.
    """
    from importlib.metadata import version

    from packaging.version import Version

    if Version(version("setuptools")) < Version("70.1"):
        pytest.fail("these tests build music01 with this environment's setuptools: pip install -r requirements-dev.txt")
    v = Venv(tmp_path / "venv")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(v.path)], check=True, timeout=120)
    purelib = subprocess.run(
        [str(v.python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    outer = [p for p in site.getsitepackages() if Path(p).is_dir()]
    (Path(purelib) / "_outer_site.pth").write_text(
        "import site; " + "; ".join(f"site.addsitedir({p!r})" for p in outer) + "\n", encoding="utf-8"
    )
    return v
