"""The ``music01`` command line: the edge where errors become messages and exit codes.

Exit codes: 0 success; 2 bad input or usage; 3 service/API failure; 1 anything unexpected.
Errors are one line on stderr starting ``error: ``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from . import __version__
from .errors import InputError, Music01Error

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_UNEXPECTED, EXIT_INPUT, EXIT_SERVICE = 0, 1, 2, 3


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors in our one-line format with exit code 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(EXIT_INPUT)


def _print_json(obj: dict) -> None:
    print(json.dumps(obj, ensure_ascii=False, indent=None))


def _warn(messages) -> None:
    for msg in messages:
        print(f"warning: {msg}", file=sys.stderr)


def _read_lyrics_file(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"lyrics file {path} does not exist: check the path.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a folder: give the path of a lyrics text file.") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"lyrics file {path} is not UTF-8 text: save it as UTF-8.") from exc


# --- commands -----------------------------------------------------------------------
def cmd_prepare(args: argparse.Namespace) -> int:
    from .audio import prepare_clip

    clip = prepare_clip(args.input, args.output, start_s=args.start, end_s=args.end, format=args.format)
    _warn(clip.warnings)
    if args.json:
        _print_json(clip.to_dict())
    else:
        print(f"wrote {clip.path}: {clip.format}, {clip.duration_s:.2f} s "
              f"({clip.start_s:.2f}–{clip.end_s:.2f} s of the input), {clip.sample_rate} Hz, "
              f"{clip.channels} ch, {clip.bytes} bytes")
    return EXIT_OK


def cmd_lyrics_check(args: argparse.Namespace) -> int:
    from .lyrics import check_lyrics

    if args.file is not None:
        text = _read_lyrics_file(args.file)
    elif args.text is not None:
        # A shell cannot easily type a newline, so the two-character "\n" means one.
        text = args.text.replace("\\n", "\n")
    else:
        raise InputError("give the lyrics as TEXT or with --file F.")
    report = check_lyrics(text)
    if args.json:
        _print_json(report.to_dict())
    else:
        _warn(report.warnings)
        state = "ok" if report.ok else "rejected"
        print(f"{state}: {report.chars} / {report.max_chars} characters, {len(report.lines)} lines, "
              f"{report.pauses} pauses, accompaniment {'on (## wrap)' if report.accompaniment else 'off'}")
    if not report.ok:
        for err in report.errors:
            print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from .analysis import analyze

    a = analyze(args.input, purpose=args.purpose)
    if args.json:
        _print_json(a.to_dict())
    else:
        seg = a.suggested_segment
        print(f"duration {a.duration_s:.2f} s · tempo {a.tempo_bpm:.1f} BPM · key {a.key} · "
              f"vocals {a.vocals} ({a.vocals_confidence:.0%}) · loudness {a.rms_dbfs:.1f} dBFS")
        print(f"suggested purpose: {a.suggested_purpose} · suggested segment: {seg['start_s']:.2f}–{seg['end_s']:.2f} s")
        _warn(a.warnings)
    return EXIT_OK


def _open_backend(args: argparse.Namespace):
    from .backends import open_backend

    backend = open_backend(args.backend)
    why = ""
    if backend.name == "offline":
        from .backends import api_key_from_env

        why = " (no API key set)" if not api_key_from_env() else " (--backend offline)"
    print(f"backend: {backend.label}{why}", file=sys.stderr)
    return backend


def cmd_upload(args: argparse.Namespace) -> int:
    backend = _open_backend(args)
    res = backend.upload(args.clip, args.purpose)
    if args.json:
        _print_json(res.to_dict())
    else:
        ids = ", ".join(f"{k}={v}" for k, v in (("voice_id", res.voice_id), ("instrumental_id", res.instrumental_id)) if v)
        print(f"{'cached' if res.cached else 'uploaded'}: {ids} (trace {res.trace_id})")
    return EXIT_OK


def _reference_clip(path: str, purpose: str) -> str:
    """Prepare a reference file into the data directory, using the suggested segment for long inputs."""
    from .audio import prepare_clip
    from .ffmpeg import probe
    from .settings import data_home

    info = probe(path)
    start = end = None
    if info.duration_s is None or info.duration_s > 60:
        from .analysis import analyze

        seg = analyze(path, purpose=purpose).suggested_segment
        if seg.get("valid"):
            start, end = seg["start_s"], seg["end_s"]
            print(f"using the suggested segment {start:.2f}–{end:.2f} s of {Path(path).name}", file=sys.stderr)
    out = data_home() / "clips" / f"{Path(path).stem}.mp3"
    clip = prepare_clip(path, out, start_s=start, end_s=end)
    _warn(clip.warnings)
    return clip.path


def cmd_generate(args: argparse.Namespace) -> int:
    from .settings import AudioSetting

    if args.lyrics_file is not None:
        lyrics = _read_lyrics_file(args.lyrics_file)
    else:
        lyrics = args.lyrics.replace("\\n", "\n")
    fmt = args.format or (Path(args.output).suffix.lstrip(".").lower() or "mp3")
    setting = AudioSetting(sample_rate=args.sample_rate, bitrate=args.bitrate, format=fmt)
    from .lyrics import prepare_lyrics

    prepare_lyrics(lyrics)  # fail on bad lyrics before any upload
    backend = _open_backend(args)
    voice_id, inst_id = args.voice_id, args.instrumental_id
    if args.reference:
        if not args.purpose:
            raise InputError("--reference needs --purpose song, voice or instrumental.")
        up = backend.upload(_reference_clip(args.reference, args.purpose), args.purpose)
        print(f"reference {'cached' if up.cached else 'uploaded'}: "
              + ", ".join(f"{k}={v}" for k, v in (("voice_id", up.voice_id), ("instrumental_id", up.instrumental_id)) if v),
              file=sys.stderr)
        voice_id = voice_id or up.voice_id
        inst_id = inst_id or up.instrumental_id
    result = _generate_with_progress(backend, lyrics, voice_id=voice_id, instrumental_id=inst_id,
                                     audio_setting=setting, seed=args.seed)
    result = result.save(args.output)
    _warn(result.warnings)
    if args.json:
        _print_json(result.to_dict())
    else:
        print(f"wrote {result.path}: {result.format}, {result.duration_s:.2f} s, {result.sample_rate} Hz, "
              f"{result.bytes} bytes · {backend.label} · trace {result.trace_id} · seed {result.seed}")
    return EXIT_OK


def _generate_with_progress(backend, lyrics: str, **kwargs):
    """Run a generate, showing elapsed time on a terminal; Ctrl-C says what may be billed."""
    import threading
    import time

    done = threading.Event()
    started = time.monotonic()
    tty = sys.stderr.isatty()

    def tick() -> None:
        while not done.wait(1.0):
            print(f"\rgenerating… {time.monotonic() - started:4.0f} s (music-01 usually takes 50–60 s)",
                  end="", file=sys.stderr, flush=True)

    ticker = threading.Thread(target=tick, daemon=True) if tty else None
    if ticker:
        ticker.start()
    try:
        return backend.generate(lyrics, **kwargs)
    except KeyboardInterrupt:
        if backend.name == "api":
            sent = time.strftime("%H:%M:%S", time.localtime(time.time() - (time.monotonic() - started)))
            raise _Interrupted(f"interrupted: the generate request sent at {sent} to {backend.base_url} may still "
                               "be billed; its ids were not received — check your AI/ML API usage page.") from None
        raise _Interrupted("interrupted: nothing was billed (offline engine).") from None
    finally:
        done.set()
        if ticker:
            print("\r" + " " * 70 + "\r", end="", file=sys.stderr, flush=True)


class _Interrupted(Exception):
    """Ctrl-C during a generate, with the message to show."""


def cmd_history(args: argparse.Namespace) -> int:
    import time

    from .history import History

    entries = History().list()
    if args.json:
        print(json.dumps([e.to_dict() for e in entries], ensure_ascii=False))
        return EXIT_OK
    if not entries:
        print("no generations yet")
    for e in entries:
        first = next((ln for ln in e.lyrics.replace("#", "").splitlines() if ln.strip()), "")
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created))
        print(f"{e.id}  {when}  {e.backend:7s} {e.duration_s:5.1f} s  {e.format}  “{first[:40]}”  trace {e.trace_id}")
        print(f"    {e.audio_path}")
    return EXIT_OK


def cmd_emulate(args: argparse.Namespace) -> int:
    from .emulator import serve

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"warning: binding to {args.host}: anyone who can reach this address can use the emulator"
              + ("" if args.key else " (and no --key is required)"), file=sys.stderr)
    print(f"music01 emulator on http://{args.host}:{args.port} — point AIML_API_BASE at it "
          f"({'key required' if args.key else 'any key accepted'}); Ctrl-C stops it", file=sys.stderr)
    serve(host=args.host, port=args.port, key=args.key, latency_s=args.latency_s)
    return EXIT_OK


def cmd_example(args: argparse.Namespace) -> int:
    from .examples import write_example

    path = write_example(args.name, args.output)
    print(f"wrote example reference {args.name!r} to {path}")
    return EXIT_OK


# --- parser -------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (kept stable: people script against it)."""
    p = _Parser(prog="music01", description="Prepare references and make music with MiniMax music-01.")
    p.add_argument("--version", action="version", version=f"music01 {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    p.add_argument("--backend", choices=("auto", "offline", "api"), default=None,
                   help="auto (default, env MUSIC01_BACKEND): the API when a key is set, else the offline engine")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    pr = sub.add_parser("prepare", help="turn any audio into a valid 10 s–10 min WAV/MP3 reference clip")
    pr.add_argument("input", metavar="INPUT", help="audio file (WAV, MP3, FLAC, OGG, Opus, M4A, WebM...)")
    pr.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="clip to write (.mp3 or .wav)")
    pr.add_argument("--start", type=float, metavar="S", help="segment start in seconds")
    pr.add_argument("--end", type=float, metavar="E", help="segment end in seconds")
    pr.add_argument("--format", choices=None, metavar="mp3|wav", help="output format (default from OUTPUT's suffix)")
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    pr.set_defaults(func=cmd_prepare)

    an = sub.add_parser("analyze", help="tempo, key, vocals, suggested purpose and segment of a reference")
    an.add_argument("input", metavar="INPUT", help="audio file")
    an.add_argument("--purpose", choices=("song", "voice", "instrumental"), help="warn when the clip does not fit it")
    an.add_argument("--json", action="store_true", help="print one JSON object")
    an.set_defaults(func=cmd_analyze)

    up = sub.add_parser("upload", help="upload a prepared clip; prints voice_id / instrumental_id")
    up.add_argument("clip", metavar="CLIP", help="MP3 or WAV, 10 s–10 min (make one with `prepare`)")
    up.add_argument("--purpose", required=True, choices=("song", "voice", "instrumental"))
    up.add_argument("--json", action="store_true", help="print one JSON object")
    up.set_defaults(func=cmd_upload)

    ge = sub.add_parser("generate", help="generate a piece from lyrics and reference ids")
    src = ge.add_mutually_exclusive_group(required=True)
    src.add_argument("--lyrics", metavar="TEXT", help="lyrics; a literal \\n is read as a newline")
    src.add_argument("--lyrics-file", metavar="F", help="read the lyrics from a UTF-8 file")
    ge.add_argument("--voice-id", metavar="ID")
    ge.add_argument("--instrumental-id", metavar="ID")
    ge.add_argument("--reference", metavar="FILE", help="prepare and upload this file first (any audio)")
    ge.add_argument("--purpose", choices=("song", "voice", "instrumental"), help="purpose of --reference")
    ge.add_argument("--sample-rate", type=int, default=44100, metavar="N", help="16000, 24000, 32000 or 44100")
    ge.add_argument("--bitrate", type=int, default=256000, metavar="N", help="32000, 64000, 128000 or 256000")
    ge.add_argument("--format", choices=("mp3", "wav", "pcm"), help="default from OUT's suffix, else mp3")
    ge.add_argument("--seed", type=int, metavar="N", help="seed for the offline engine (same seed, same audio)")
    ge.add_argument("-o", "--output", required=True, metavar="OUT", help="audio file to write")
    ge.add_argument("--json", action="store_true", help="print one JSON object")
    ge.set_defaults(func=cmd_generate)

    hi = sub.add_parser("history", help="list past generations (newest first)")
    hi.add_argument("--json", action="store_true", help="print one JSON array")
    hi.set_defaults(func=cmd_history)

    em = sub.add_parser("emulate", help="run a loopback emulator of the music-01 API (for tests and workshops)")
    em.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    em.add_argument("--port", type=int, default=8787)
    em.add_argument("--key", default=None, help="require this Bearer key (default: accept any)")
    em.add_argument("--latency-s", type=float, default=0.0, metavar="X", help="extra seconds per generate")
    em.set_defaults(func=cmd_emulate)

    ex = sub.add_parser("example", help="write one of the project's own example references (WAV)")
    ex.add_argument("output", metavar="OUTPUT", help="WAV file to write")
    ex.add_argument("--name", default="groove-a-minor", help="groove-a-minor (default), bright-d-major, song-e-minor or acappella-g-major")
    ex.set_defaults(func=cmd_example)

    ly = sub.add_parser("lyrics", help="lyrics tools")
    lysub = ly.add_subparsers(dest="lyrics_command", metavar="ACTION", parser_class=_Parser)
    lc = lysub.add_parser("check", help="count and check lyrics against music-01's rules")
    lc.add_argument("text", nargs="?", metavar="TEXT", help="lyrics; a literal \\n is read as a newline")
    lc.add_argument("--file", metavar="F", help="read the lyrics from a UTF-8 file")
    lc.add_argument("--json", action="store_true", help="print one JSON object")
    lc.set_defaults(func=cmd_lyrics_check)
    ly.set_defaults(func=lambda a: _missing(ly))
    return p


def _missing(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    try:
        return args.func(args)
    except InputError as exc:
        return _fail(exc, EXIT_INPUT, args.debug)
    except Music01Error as exc:
        return _fail(exc, getattr(exc, "exit_code", EXIT_UNEXPECTED), args.debug)
    except _Interrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # the last line of defence: no traceback without --debug
        return _fail(exc, EXIT_UNEXPECTED, args.debug, unexpected=True)


def _fail(exc: BaseException, code: int, debug: bool, *, unexpected: bool = False) -> int:
    if debug:
        import traceback

        traceback.print_exception(exc, file=sys.stderr)
    msg = str(exc) or type(exc).__name__
    if unexpected:
        msg = f"unexpected {type(exc).__name__}: {msg} (run again with --debug and report it)"
    print(f"error: {msg}", file=sys.stderr)
    return code


def main_entry() -> None:
    """Console-script entry point (``music01``)."""
    sys.exit(main())
