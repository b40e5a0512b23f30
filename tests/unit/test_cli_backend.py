"""The CLI's analyze/upload/generate on the offline backend, as a person runs them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def run(tmp_path):
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if k not in ("AIML_API_KEY", "AIMLAPI_API_KEY", "MUSIC01_BACKEND")}
    env.update(PYTHONPATH=str(ROOT), MUSIC01_HOME=str(home))

    def _run(*args, **extra_env):
        return subprocess.run(
            [sys.executable, "-m", "music01_core", *map(str, args)],
            capture_output=True,
            text=True,
            env={**env, **extra_env},
            cwd=tmp_path,
        )

    _run.home = home
    return _run


def test_generate_from_a_reference_in_one_go(run, examples, tmp_path):
    lyrics = tmp_path / "l.txt"
    lyrics.write_text("##Swing to the rhythm of the night\nlet the music take control##\n", encoding="utf-8")
    out = tmp_path / "out.mp3"
    proc = run(
        "generate",
        "--reference",
        examples["song-e-minor"],
        "--purpose",
        "song",
        "--lyrics-file",
        lyrics,
        "-o",
        out,
        "--seed",
        "5",
        "--json",
    )
    assert proc.returncode == 0, proc.stderr
    assert "offline engine — not the real model" in proc.stderr and "no API key" in proc.stderr
    d = json.loads(proc.stdout)
    for key in (
        "path",
        "duration_s",
        "format",
        "sample_rate",
        "bytes",
        "backend",
        "voice_id",
        "instrumental_id",
        "trace_id",
    ):
        assert key in d
    assert d["backend"] == "offline" and d["format"] == "mp3" and d["voice_id"] and d["instrumental_id"]
    assert out.stat().st_size == d["bytes"] > 10_000
    assert 10 <= d["duration_s"] <= 60


def test_upload_then_generate_with_ids(run, examples, tmp_path):
    proc = run("upload", examples["groove-a-minor"], "--purpose", "instrumental", "--json")
    assert proc.returncode == 0, proc.stderr
    ids = json.loads(proc.stdout)
    assert ids["voice_id"] is None and ids["instrumental_id"].startswith("instrumental-")
    assert {"voice_id", "instrumental_id", "trace_id", "backend"} <= set(ids)
    proc = run(
        "generate",
        "--lyrics",
        "hello\\nworld",
        "--instrumental-id",
        ids["instrumental_id"],
        "-o",
        tmp_path / "x.wav",
        "--sample-rate",
        "16000",
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("wrote ") and "16000 Hz" in proc.stdout


@pytest.mark.parametrize(
    "args,contains",
    [
        (["--instrumental-id", "instrumental-2025010100000000-Aaa0aAaA"], "upload the reference again"),
        (["--voice-id", "nonsense"], "not a music-01 voice_id"),
        (["--voice-id", "vocal-2025010100000000-a0AAAaaa", "--sample-rate", "48000"], "sample rate 48000"),
        (["--model", "music-01"], "voice_id or an instrumental_id"),
        # The default model is minimax-music, which needs a reference.
        ([], "minimax-music needs a reference track: --reference FILE or --reference-url URL"),
        (["--model", "minimax/music-2.0", "--prompt", "warm lofi beats"], "at least 10"),
        (
            ["--model", "minimax-music", "--prompt", "jazz", "--reference-url", "http://127.0.0.1:9/x.mp3"],
            "takes no style prompt",
        ),
    ],
)
def test_generate_bad_input_exit_2(run, tmp_path, args, contains):
    proc = run("generate", "--lyrics", "hello", *args, "-o", tmp_path / "x.mp3")
    assert proc.returncode == 2, proc.stderr
    errors = [ln for ln in proc.stderr.splitlines() if ln.startswith("error: ")]
    assert len(errors) == 1 and contains in errors[0] and "Traceback" not in proc.stderr
    assert not (tmp_path / "x.mp3").exists()


def test_generate_long_lyrics_fail_before_upload(run, examples, tmp_path):
    proc = run(
        "generate",
        "--lyrics",
        "a" * 601,
        "--reference",
        examples["groove-a-minor"],
        "--purpose",
        "instrumental",
        "-o",
        tmp_path / "x.mp3",
    )
    assert proc.returncode == 2 and "601 characters" in proc.stderr
    assert not (run.home / "offline").exists(), "nothing may be uploaded for lyrics that cannot be sent"


def test_backend_flag_and_env(run, examples):
    proc = run("--backend", "offline", "upload", examples["groove-a-minor"], "--purpose", "instrumental")
    assert proc.returncode == 0 and "offline engine" in proc.stderr and proc.stdout.startswith("uploaded: ")
    proc = run("upload", examples["groove-a-minor"], "--purpose", "instrumental", MUSIC01_BACKEND="nonsense")
    assert proc.returncode == 2 and "backend must be auto, offline or api" in proc.stderr


def test_output_format_follows_the_suffix_and_is_converted_when_the_model_returns_only_mp3(run, examples, tmp_path):
    # Issue 20.8: `-o out.wav --format wav` wrote MP3 bytes into out.wav for minimax-music.
    ref = examples["song-e-minor"]
    out = tmp_path / "piece.wav"
    p = run("generate", "--reference", ref, "--lyrics", "la la\\nla", "-o", out, "--format", "wav", "--seed", "1")
    assert p.returncode == 0, p.stderr
    assert out.read_bytes()[:4] == b"RIFF" and "converted to WAV on this computer" in p.stderr
    from music01_core.history import History

    assert History(run.home).list()[0].format == "mp3"  # the history keeps what the model returned
    # Issue 20.2: a suffix no model returns is refused before anything is made: no file, no history entry.
    p = run(
        "generate", "--model", "minimax/music-2.6", "--prompt", "upbeat pop", "--instrumental", "-o", tmp_path / "x.ogg"
    )
    assert p.returncode == 2 and "not 'ogg'" in p.stderr and not (tmp_path / "x.ogg").exists()
    assert len(History(run.home).list()) == 1
    # A model that returns WAV itself is asked for WAV (no conversion note), at the rate asked.
    p = run(
        "generate", "--model", "minimax/music-2.6", "--prompt", "upbeat pop", "--instrumental", "-o", tmp_path / "y.wav",
        "--sample-rate", "16000",
    )  # fmt: skip
    assert p.returncode == 0 and "converted" not in p.stderr, p.stderr
    from music01_core.ffmpeg import probe

    info = probe(tmp_path / "y.wav")
    assert info.container == "wav" and info.sample_rate == 16000


def test_generate_never_overwrites_without_force_and_writes_into_a_folder(run, tmp_path):
    args = ("generate", "--model", "minimax/music-2.6", "--prompt", "lo-fi hip hop, rain", "--instrumental")
    out = tmp_path / "song.mp3"
    out.write_bytes(b"my own song")
    p = run(*args, "-o", out)
    assert p.returncode == 2 and "already exists" in p.stderr and "--force" in p.stderr
    assert out.read_bytes() == b"my own song" and not (run.home / "history").exists()
    assert run(*args, "-o", out, "--force").returncode == 0 and out.read_bytes() != b"my own song"
    folder = tmp_path / "pieces"
    folder.mkdir()
    p = run(*args, "-o", folder)
    assert p.returncode == 0, p.stderr
    (made,) = folder.iterdir()
    assert made.name.startswith("music-2.6-") and made.suffix == ".mp3"
    p = run(*args, "-o", tmp_path / "no" / "such" / "x.mp3")
    assert p.returncode == 2 and "does not exist" in p.stderr and not (tmp_path / "no").exists()


def test_lyrics_file_final_newline_and_counts(run, tmp_path):
    f = tmp_path / "l.txt"
    f.write_text("one line of a song\n", encoding="utf-8")  # as every editor saves it
    p = run("lyrics", "check", "--file", f)
    assert p.returncode == 0 and "warning" not in p.stderr, p.stderr
    assert "18 / 600 characters, 1 line, 0 pauses" in p.stdout, p.stdout
    f.write_text("one\n\ntwo\n\n", encoding="utf-8")  # more than the one final newline is the song's
    assert "trailing" in run("lyrics", "check", "--file", f).stderr


def test_resume_on_the_offline_engine_says_what_to_do(run):
    p = run("resume", "abc:minimax-music")
    assert p.returncode == 2 and "not the real model has" not in p.stderr
    assert "the offline engine (no API key) sends nothing to the provider" in p.stderr, p.stderr


def test_a_local_file_for_a_url_only_model_is_refused_at_once_with_the_model_that_takes_it(run, tmp_path):
    # Issue 20.11: with a key and no public address, minimax-music cannot fetch a file on this computer.
    # Said before the clip is prepared or anything is sent, with the flags that send the clip itself.
    p = run(
        "generate", "--reference", tmp_path / "missing-but-never-read.wav", "--lyrics", "la la", "-o", tmp_path / "o.mp3",
        AIML_API_KEY="sk-test-any", AIML_API_BASE="http://127.0.0.1:9",
    )  # fmt: skip
    assert p.returncode == 2, p.stderr
    assert "--model minimax/music-cover --prompt" in p.stderr and "does not exist" not in p.stderr


def test_a_music01_reference_is_prepared_with_music01s_own_bounds(run, tmp_path):
    """12 s is over music-01's 10 s: its --reference was refused with minimax-music's 15 s (the default model's)."""
    from tests.audiogen import tone, write_audio

    clip = write_audio(tmp_path / "twelve.wav", tone(12.0), 44100)
    proc = run(
        "generate",
        "--model",
        "music-01",
        "--reference",
        clip,
        "--purpose",
        "voice",
        "--lyrics",
        "la la la",
        "-o",
        "o.mp3",
    )
    assert proc.returncode == 0, proc.stderr
    assert "reference uploaded: voice_id=vocal-" in proc.stderr and (tmp_path / "o.mp3").stat().st_size > 1000
