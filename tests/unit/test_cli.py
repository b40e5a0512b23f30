import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from music01_core.settings import MP3_MAX_EXTRA_S

ROOT = Path(__file__).resolve().parents[2]


def run(*args, cwd=None):
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-m", "music01_core", *map(str, args)], capture_output=True, text=True, env=env, cwd=cwd
    )


def assert_one_line_error(proc, code=2, contains=""):
    assert proc.returncode == code, (proc.returncode, proc.stderr)
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(lines) == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    assert contains in lines[0]


def test_prepare_json_keys(make_audio, tmp_path):
    proc = run("prepare", make_audio("cli.flac", 20.0), "-o", tmp_path / "c.mp3", "--start", 2, "--end", 18, "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)
    for key in ("path", "format", "duration_s", "sample_rate", "channels", "bytes", "sha256", "start_s", "end_s"):
        assert key in d
    # An MP3 decodes to the segment plus the encoder's lead-in and padding to whole frames.
    assert d["format"] == "mp3" and 16 < d["duration_s"] < 16 + MP3_MAX_EXTRA_S
    assert (d["start_s"], d["end_s"]) == (2, 18)


def test_prepare_follows_the_rooms_model(make_audio, tmp_path, monkeypatch):
    # A 12 s take suits music-01; with MUSIC01_MODEL=minimax-music (a room's default) prepare says at once
    # that this model needs more than 15 s, and --model still wins over the variable.
    src = make_audio("cli12.wav", 12.0)
    monkeypatch.setenv("MUSIC01_MODEL", "minimax-music")
    assert_one_line_error(run("prepare", src, "-o", tmp_path / "c.mp3"), contains="minimax-music needs more than 15 s")
    assert run("prepare", src, "-o", tmp_path / "c.mp3", "--model", "music-01").returncode == 0
    monkeypatch.setenv("MUSIC01_MODEL", "minimax/music-cover")  # 6 s–6 min
    assert run("prepare", src, "-o", tmp_path / "d.mp3").returncode == 0


def test_prepare_without_a_model_checks_the_default_model(make_audio, tmp_path, monkeypatch):
    # Issue 20.9: a 13 s take passed `prepare`, then `generate` on the default model refused it;
    # and the messages named the retired music-01.
    monkeypatch.delenv("MUSIC01_MODEL", raising=False)
    src = make_audio("cli13.wav", 13.0)
    assert_one_line_error(run("prepare", src, "-o", tmp_path / "c.mp3"), contains="minimax-music needs more than 15 s")
    err = run("prepare", make_audio("cli20.wav", 20.0), "-o", tmp_path / "c.ogg").stderr
    assert "music-01" not in err and "MP3 or WAV" in err


def test_lyrics_check_and_room_estimate_follow_the_rooms_model(monkeypatch):
    text = "[Verse]\n" + "la " * 250  # 757 characters: too long for music-01's format, fine for music-2.6
    assert_one_line_error(run("lyrics", "check", text), contains="remove")
    monkeypatch.setenv("MUSIC01_MODEL", "minimax/music-2.6")
    ok = run("lyrics", "check", text)
    assert ok.returncode == 0 and "/ 3000 characters" in ok.stdout, ok.stderr
    est = json.loads(run("room", "estimate", "--people", 2, "--each", 1, "--json").stdout)
    assert est["model"] == "minimax/music-2.6", est
    monkeypatch.setenv("MUSIC01_MODEL", "music-2.7")  # a typo in the room's variable is named as such
    for args in (("lyrics", "check", "la la"), ("generate", "--lyrics", "la", "-o", "x.mp3")):
        assert_one_line_error(run(*args), contains="MUSIC01_MODEL: unknown model 'music-2.7'")


def test_prepare_human_output(make_audio, tmp_path):
    proc = run("prepare", make_audio("cli.wav", 16.0), "-o", tmp_path / "c.wav")
    assert proc.returncode == 0 and proc.stdout.startswith("wrote ")


def test_prepare_into_a_folder_writes_the_inputs_name_inside_it(make_audio, tmp_path):
    # Issue 20.1: `-o DIR` ended in "unexpected IsADirectoryError"; now it works as `cp` does.
    out = tmp_path / "clips"
    out.mkdir()
    proc = run("prepare", make_audio("my take.wav", 16.0), "-o", out)
    assert proc.returncode == 0, proc.stderr
    assert [p.name for p in out.iterdir()] == ["my take.mp3"] and "my take.mp3" in proc.stdout


@pytest.mark.parametrize(
    "case,contains",
    [
        ("missing", "does not exist"),
        ("empty", "empty"),
        ("text", "not an audio file"),
        ("short", "record a longer take"),
        ("outside", "outside the file"),
        ("reversed", "not after start"),
        ("format", "MP3 or WAV"),
    ],
)
def test_bad_input_exit_2(make_audio, tmp_path, case, contains):
    src = make_audio("cli15.wav", 15.0)
    out = tmp_path / "o.mp3"
    args = ["prepare", src, "-o", out]
    if case == "missing":
        args[1] = tmp_path / "nope.wav"
    elif case == "empty":
        (tmp_path / "e.mp3").write_bytes(b"")
        args[1] = tmp_path / "e.mp3"
    elif case == "text":
        (tmp_path / "t.mp3").write_text("hello\n" * 100)
        args[1] = tmp_path / "t.mp3"
    elif case == "short":
        args[1] = make_audio("cli_short.mp3", 7.9)
    elif case == "outside":
        args += ["--start", "40"]
    elif case == "reversed":
        args += ["--start", "9", "--end", "3"]
    elif case == "format":
        args += ["--format", "flac"]
    proc = run(*args)
    assert_one_line_error(proc, 2, contains)
    assert not out.exists()


def test_usage_error_is_exit_2():
    proc = run("prepare")
    assert proc.returncode == 2 and "error:" in proc.stderr


def test_lyrics_check(tmp_path):
    proc = run("lyrics", "check", "##Hello\\nworld\\n\\nagain##", "--json")
    assert proc.returncode == 0
    d = json.loads(proc.stdout)
    assert d["lines"] == ["Hello", "world", "again"] and d["pauses"] == 1 and d["accompaniment"]
    f = tmp_path / "l.txt"
    f.write_text("x" * 601, encoding="utf-8")
    proc = run("lyrics", "check", "--file", f)
    assert_one_line_error(proc, 2, "601 characters")
    proc = run("lyrics", "check", "--file", tmp_path / "none.txt")
    assert_one_line_error(proc, 2, "does not exist")


def test_unexpected_errors_have_no_traceback_without_debug(monkeypatch, capsys):
    from music01_core import audio, cli

    def boom(*a, **k):
        raise RuntimeError("kaboom")

    monkeypatch.setattr(audio, "check_input_file", boom)
    assert cli.main(["prepare", "in.wav", "-o", "out.mp3"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: unexpected RuntimeError: kaboom") and "Traceback" not in err
    assert cli.main(["--debug", "prepare", "in.wav", "-o", "out.mp3"]) == 1
    assert "Traceback" in capsys.readouterr().err


def test_a_reader_that_goes_away_ends_the_output_quietly(tmp_path):
    """`music01 models | head -1`: no 'unexpected BrokenPipeError', no traceback, the shell's own code."""
    import os
    import subprocess
    import sys

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before the first line is written
    env = {**os.environ, "MUSIC01_HOME": str(tmp_path)}
    try:
        p = subprocess.run(
            [sys.executable, "-m", "music01_core", "models"],
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
            timeout=60,
        )
    finally:
        os.close(write_end)
    assert p.returncode == 141 and p.stderr == ""
