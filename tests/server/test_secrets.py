"""The key never leaks: every failure path of the CLI against the emulator, with --debug (the
most talkative setting), then a scan of all output and every file written for the key."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from music01_core.emulator import EmulatorServer
from tests.audiogen import KEY

pytestmark = pytest.mark.server
ROOT = Path(__file__).resolve().parents[2]
# The whole key, and pieces long enough to identify it (a log that cut it would still leak these).
NEEDLES = [KEY, KEY[:16], KEY[-16:]]

# (queued faults, CLI arguments after "generate")
CASES = [
    ({}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi piano, rain", "--instrumental"]),
    ({"submit": ["http:401"]}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"]),
    ({"submit": ["http:403"]}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"]),
    ({"submit": ["http:500"]}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"]),
    ({"submit": ["reset"]}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"]),
    (
        {"submit": ["code:1026;http=400"]},
        ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"],
    ),
    (
        {"poll": ["badjson", "http:502"]},
        ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"],
    ),
    ({"job": ["job:error"]}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"]),
    ({"job": ["job:expired"]}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"]),
    ({"job": ["job:notaudio"]}, ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental"]),
    (
        {"job": ["job:stuck"]},
        ["--model", "minimax/music-2.6", "--prompt", "lo-fi beats, rain", "--instrumental", "--wait-s", "3"],
    ),
    (
        {"generate": ["http:504"]},
        ["--model", "music-01", "--lyrics", "la la", "--instrumental-id", "instrumental-2025011003141125-Akz9eWnD"],
    ),
    (
        {"generate": ["code:2049"]},
        ["--model", "music-01", "--lyrics", "la la", "--instrumental-id", "instrumental-2025011003141125-Akz9eWnD"],
    ),
]


def test_no_failure_path_prints_or_stores_the_key(tmp_path):
    home = tmp_path / "home"
    outputs = []
    with EmulatorServer(key=KEY, home=tmp_path / "emu", latency_s=0.2) as emu:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "AIML_API_KEY": KEY,
            "AIML_API_BASE": emu.url,
            "MUSIC01_HOME": str(home),
            "MUSIC01_RESCUE_DIR": str(tmp_path / "rescued"),
        }
        env.pop("MUSIC01_BACKEND", None)

        def cli(*args):
            p = subprocess.run(
                [sys.executable, "-m", "music01_core", "--debug", "--backend", "api", *args],
                capture_output=True,
                text=True,
                env=env,
                timeout=180,
            )
            outputs.append((args, p.returncode, p.stdout + p.stderr))
            return p

        for k, (faults, args) in enumerate(CASES):
            emu.reset()
            emu.faults(**faults)
            cli("generate", *args, "-o", str(tmp_path / f"out-{k}.mp3"))
        # A wrong key (the server refuses it) and a key pasted with a line break inside.
        env_bad = dict(env)
        env["AIML_API_KEY"] = KEY[:20] + "\n" + KEY[20:]
        cli(
            "generate",
            "--model",
            "minimax/music-2.6",
            "--prompt",
            "lo-fi beats, rain",
            "--instrumental",
            "-o",
            str(tmp_path / "x.mp3"),
        )
        env.update(env_bad)
        # A key pasted into the base URL, as a host label, a path segment, a password or a query (issue
        # 20.4): refused before anything is sent, and never echoed, by upload and by generate.
        for base in (
            f"https://{KEY}.invalid",
            f"https://api.example.invalid/{KEY}",
            f"https://user:{KEY}@api.example.invalid",
            f"https://api.example.invalid/?key={KEY}",
        ):
            env["AIML_API_BASE"] = base
            p = cli(
                "generate",
                "--model",
                "minimax/music-2.6",
                "--prompt",
                "lo-fi beats, rain",
                "--instrumental",
                "-o",
                str(tmp_path / "b.mp3"),
            )
            assert p.returncode == 2 and "belongs in AIML_API_KEY" in p.stderr, p.stderr
            p = cli("upload", str(tmp_path / "any.mp3"), "--purpose", "song")
            assert p.returncode == 2 and "belongs in AIML_API_KEY" in p.stderr, p.stderr
        env.update(env_bad)
        for args in (["jobs"], ["history", "--json"], ["models"]):
            cli(*args)
        for job_args in (["resume", "nonexistent:music-2.6"],):
            cli(*job_args)
        assert emu.stats()["file_auth_headers"] == 0, "a download carried the key"
    # Every case ran, and some failed the way they should (this test must not pass by doing nothing).
    codes = [rc for _, rc, _ in outputs]
    assert codes[0] == 0 and codes.count(3) >= 5 and 4 in codes and 2 in codes, codes
    hits = [(args, n) for args, _, text in outputs for n in NEEDLES if n in text]
    assert not hits, hits
    # Every file written: history records, pending jobs, audio, the library; zips opened.
    from music01_core.history import History

    History(home).export_zip(home / "exports" / "all.zip")
    scanned = 0
    for path in [*home.rglob("*"), *(tmp_path / "rescued").rglob("*")]:
        if not path.is_file():
            continue
        blobs = [path.read_bytes()]
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as z:
                blobs += [z.read(n) for n in z.namelist()]
        for blob in blobs:
            scanned += 1
            for n in NEEDLES:
                assert n.encode() not in blob, f"{n[:6]}… found in {path}"
    assert scanned >= 5
