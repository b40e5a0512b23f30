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
        try:
            text = Path(args.file).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise InputError(f"lyrics file {args.file} does not exist: check the path.") from exc
        except UnicodeDecodeError as exc:
            raise InputError(f"lyrics file {args.file} is not UTF-8 text: save it as UTF-8.") from exc
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
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    pr = sub.add_parser("prepare", help="turn any audio into a valid 10 s–10 min WAV/MP3 reference clip")
    pr.add_argument("input", metavar="INPUT", help="audio file (WAV, MP3, FLAC, OGG, Opus, M4A, WebM...)")
    pr.add_argument("-o", "--output", required=True, metavar="OUTPUT", help="clip to write (.mp3 or .wav)")
    pr.add_argument("--start", type=float, metavar="S", help="segment start in seconds")
    pr.add_argument("--end", type=float, metavar="E", help="segment end in seconds")
    pr.add_argument("--format", choices=None, metavar="mp3|wav", help="output format (default from OUTPUT's suffix)")
    pr.add_argument("--json", action="store_true", help="print one JSON object")
    pr.set_defaults(func=cmd_prepare)

    ex = sub.add_parser("example", help="write one of the project's own example references (WAV)")
    ex.add_argument("output", metavar="OUTPUT", help="WAV file to write")
    ex.add_argument("--name", default="groove-a-minor", help="groove-a-minor (default) or bright-d-major")
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
