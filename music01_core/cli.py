"""The ``music01`` command line: the edge where errors become messages and exit codes.

Exit codes: 0 success; 2 bad input or usage; 3 service/API failure; 4 a job still running at
the provider (resume it later); 1 anything unexpected, and for ``models --check-docs`` a provider
reference that differs from the one music01 was built against (3: one could not be read).
Errors are one line on stderr starting ``error: ``; ``--debug`` adds the traceback.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from dataclasses import replace
from pathlib import Path

from . import __version__
from .errors import InputError, JobPendingError, Music01Error
from .models import SERVICES
from .pricing import price_of

logger = logging.getLogger(__name__)

EXIT_OK, EXIT_UNEXPECTED, EXIT_INPUT, EXIT_SERVICE, EXIT_PENDING = 0, 1, 2, 3, 4


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
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"lyrics file {path} does not exist: check the path.") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path} is a folder: give the path of a lyrics text file.") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"lyrics file {path} is not UTF-8 text: save it as UTF-8.") from exc
    return text  # its one final newline is dropped by the lyrics check, as for typed text


def _count(n: int, noun: str) -> str:
    """``1 line``, ``2 lines``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _named_model(value: str | None) -> str | None:
    """The model a command was given: ``--model``, else ``MUSIC01_MODEL`` (a room's default), else None."""
    from .models import env_model

    if value:
        return value
    env = env_model()
    return env.id if env is not None else None


# --- commands -----------------------------------------------------------------------
def cmd_prepare(args: argparse.Namespace) -> int:
    from .audio import check_input_file, prepare_clip
    from .models import model_in_use
    from .storage import output_file

    # The bounds of the model `generate` will use (--model, MUSIC01_MODEL, else the default), so
    # a clip that passes here passes there too.
    model = model_in_use(args.model)
    src = check_input_file(args.input)
    # -o DIR writes DIR/<input name>.mp3, as `cp` does.
    out = output_file(args.output, default_name=f"{src.stem}.{(args.format or 'mp3').lower()}")
    clip = prepare_clip(src, out, start_s=args.start, end_s=args.end, format=args.format, model=model)
    _warn(clip.warnings)
    if args.json:
        _print_json(clip.to_dict())
    else:
        print(
            f"wrote {clip.path}: {clip.format}, {clip.duration_s:.2f} s "
            f"({clip.start_s:.2f}–{clip.end_s:.2f} s of the input), {clip.sample_rate} Hz, "
            f"{clip.channels} ch, {clip.bytes} bytes"
        )
    return EXIT_OK


def cmd_lyrics_check(args: argparse.Namespace) -> int:
    from .lyrics import COUNTED_AS_PROVIDER, check_lyrics

    if args.file is not None:
        text = _read_lyrics_file(args.file)
    elif args.text is not None:
        # A shell cannot easily type a newline, so the two-character "\n" means one.
        text = args.text.replace("\\n", "\n")
    else:
        raise InputError("give the lyrics as TEXT or with --file F.")
    report = check_lyrics(text, model=_named_model(args.model))
    if args.json:
        _print_json(report.to_dict())
    else:
        _warn(report.warnings)
        state = "ok" if report.ok else "rejected"
        shape = (
            f"accompaniment {'on (## wrap)' if report.accompaniment else 'off'}"
            if report.style == "music01"
            else _count(len(report.tags), "structure tag")
        )
        counted = (
            "" if report.chars == report.visible_chars else f" ({COUNTED_AS_PROVIDER}; you see {report.visible_chars})"
        )
        print(
            f"{state}: {report.chars} / {report.max_chars} characters{counted}, {_count(len(report.lines), 'line')}, "
            f"{_count(report.pauses, 'pause')}, {shape}"
        )
    if not report.ok:
        for err in report.errors:
            print(f"error: {err}", file=sys.stderr)
        return EXIT_INPUT
    return EXIT_OK


def cmd_lyrics_write(args: argparse.Namespace) -> int:
    """`music01 lyrics write`: the price first (a billed call), then the draft, its count, and where it was kept."""
    from .backends import open_backend
    from .storage import atomic_write_bytes

    follow = "shorter" if args.shorter else "another verse" if args.another_verse else None
    follow = "keep my chorus" if args.keep_chorus else follow
    if (follow is None) != (args.from_file is None):
        raise InputError(
            "a follow-up needs both the draft and what to do: --from FILE with --shorter, --another-verse or "
            "--keep-chorus."
        )
    draft = _read_lyrics_file(args.from_file) if args.from_file else None
    backend = open_backend(args.backend)
    offline = backend.offline or backend.credential("aimlapi") is None
    said = sys.stderr if args.json else sys.stdout
    if offline:
        print("writer: music01's offline writer (no AIML_API_KEY set): not a language model; free", file=said)

    def on_price(price) -> None:
        print(f"price: {price.words()}", file=said, flush=True)

    out = backend.write_lyrics(
        args.theme,
        mood=args.mood,
        model=_named_model(args.model),
        chat_model=args.chat_model,
        follow_up=follow,
        draft=draft,
        seed=args.seed,
        into_prompt=args.into_prompt,
        prompt=args.prompt,
        accompaniment=not args.no_accompaniment,
        on_price=on_price,
    )
    if args.output:
        atomic_write_bytes(args.output, (out.text + "\n").encode("utf-8"))
    if args.json:
        _print_json({**out.to_dict(), "output": args.output})
        return EXIT_OK
    _warn(out.warnings)
    print(out.text)
    shape = f"{out.model}'s {out.field} ({out.style} format)"
    print(f"{out.count_words()} · {shape} · {out.writer_words()} · {out.cost_words()}")
    where = [f"kept in {out.path}"] if out.path else ["not kept on disk"]
    print("; ".join(where + ([f"written to {args.output}"] if args.output else [])))
    return EXIT_OK


def cmd_analyze(args: argparse.Namespace) -> int:
    from .analysis import analyze

    a = analyze(args.input, purpose=args.purpose)
    if args.json:
        _print_json(a.to_dict())
    else:
        seg = a.suggested_segment
        vocals = ("we could not tell (unsure)" if a.vocals == "unsure" else a.vocals) + f" ({a.vocals_confidence:.0%})"
        alt = f" (or {a.tempo_alternative_bpm:.0f})" if a.tempo_alternative_bpm else ""
        print(
            f"duration {a.duration_s:.2f} s · tempo {a.tempo_bpm:.1f} BPM{alt} · key {a.key} · "
            f"vocals {vocals} · loudness {a.rms_dbfs:.1f} dBFS"
        )
        purpose = a.suggested_purpose or "none (choose it yourself)"
        print(f"suggested purpose: {purpose} · suggested segment: {seg['start_s']:.2f}–{seg['end_s']:.2f} s")
        _warn(a.warnings)
    return EXIT_OK


def _open_backend(args: argparse.Namespace, model=None):
    from .backends import open_backend

    backend = open_backend(args.backend)
    label, why = backend.label, ""
    if backend.offline:
        from .backends import tokens_in_env

        why = " (no API key set)" if not tokens_in_env() else " (--backend offline)"
    elif model is not None and backend.offline_for(model):
        from .models import get_service

        service = get_service(model.provider)
        label = "offline engine — not the real model"
        why = f" (no {service.label} {service.token_name} set: {service.token_envs[0]})"
    shown = f" · model {model.id}" + ("" if model.live else " (legacy: retired by the provider)") if model else ""
    print(f"backend: {label}{why}{shown}", file=sys.stderr)
    return backend


def cmd_upload(args: argparse.Namespace) -> int:
    from .models import LEGACY_MODEL, get_model

    backend = _open_backend(args, get_model(LEGACY_MODEL))
    res = backend.upload(args.clip, args.purpose)
    if args.json:
        _print_json(res.to_dict())
    else:
        ids = ", ".join(
            f"{k}={v}" for k, v in (("voice_id", res.voice_id), ("instrumental_id", res.instrumental_id)) if v
        )
        print(f"{'cached' if res.cached else 'uploaded'}: {ids} (trace {res.trace_id})")
    return EXIT_OK


def _reference_clip(path: str, purpose: str | None, model=None) -> str:
    """Prepare a reference file into the data directory, using the suggested segment for long inputs."""
    from .audio import check_input_file, prepare_clip
    from .ffmpeg import probe
    from .settings import data_home

    # A mistyped path is named as such, not as "not an audio file ffmpeg can read".
    info = probe(check_input_file(path))
    start = end = None
    if info.duration_s is None or info.duration_s > 60:
        from .analysis import analyze

        seg = analyze(path, purpose=purpose).suggested_segment
        if seg.get("valid"):
            start, end = seg["start_s"], seg["end_s"]
            print(f"using the suggested segment {start:.2f}–{end:.2f} s of {Path(path).name}", file=sys.stderr)
    out = data_home() / "clips" / f"{Path(path).stem}.mp3"
    clip = prepare_clip(path, out, start_s=start, end_s=end, model=model)
    _warn(clip.warnings)
    return clip.path


def _choose_model(args: argparse.Namespace):
    """The model to use: --model (on --provider), else music-01 when its own flags are given, else
    MUSIC01_MODEL, else the default; a model two providers serve goes to the one whose token is set."""
    from .backends import tokens_in_env
    from .models import LEGACY_MODEL, env_model, resolve_model

    provider = getattr(args, "provider", None)
    available = tokens_in_env()
    if args.model:
        return resolve_model(args.model, provider=provider, available=available)
    if args.voice_id or args.instrumental_id or args.purpose:
        # Only music-01 takes upload purposes and ids: those flags name it.
        return resolve_model(LEGACY_MODEL, provider=provider, available=available)
    env = env_model()
    if env is not None:
        return resolve_model(env.id, provider=provider, available=available)
    return resolve_model(None, provider=provider, available=available)


class _StatusLine:
    """A context whose ``show`` (an ``on_status`` callback) prints a job's status and elapsed time on a
    terminal, and which clears that line at the end; ``show`` is None when stderr is not a terminal."""

    def __init__(self, expected_s: float = 60.0) -> None:
        self.expected_s = expected_s

    def __enter__(self):
        tty = sys.stderr.isatty()
        self.show = self._print if tty else None
        return self

    def _print(self, status: str, elapsed_s: float) -> None:
        usual = "about a minute" if 45 <= self.expected_s <= 75 else f"about {self.expected_s:.0f} s"
        print(f"\r{status}… {elapsed_s:4.0f} s (usually {usual})", end="", file=sys.stderr, flush=True)

    def __exit__(self, *exc) -> None:
        if self.show:
            print("\r" + " " * 60 + "\r", end="", file=sys.stderr, flush=True)


_OUTPUT_FORMATS = ("mp3", "wav", "pcm")


def _output_format(args: argparse.Namespace, model) -> tuple[str, str]:
    """(the format to write, the format to ask the model for), checked before anything is made.

    The format follows ``-o``'s suffix (or ``--format``); a model that cannot return it gets
    its own default and the piece is converted here (minimax-music returns MP3 only).
    """
    from .errors import SettingError

    suffix = Path(args.output).suffix.lstrip(".").lower()
    if suffix and suffix not in _OUTPUT_FORMATS and not Path(args.output).is_dir():
        raise SettingError(
            f"{Path(args.output).name}: music01 writes MP3, WAV or raw PCM, not {suffix!r} — name the output "
            ".mp3, .wav or .pcm (convert it afterwards if you need another format)."
        )
    if args.format and suffix in _OUTPUT_FORMATS and args.format != suffix:
        raise SettingError(
            f"-o {Path(args.output).name} says {suffix} but --format says {args.format}: make them agree."
        )
    fmt = args.format or (suffix if suffix in _OUTPUT_FORMATS else "mp3")
    return fmt, (fmt if fmt in model.returns else model.returns[0])


def _audio_setting(args: argparse.Namespace, model, fmt: str):
    """The AudioSetting to send; a setting the model does not take is refused, never dropped."""
    from .errors import SettingError
    from .models import MODELS
    from .settings import DEFAULT_BITRATE, DEFAULT_SAMPLE_RATE, AudioSetting

    if model.audio_setting is None and (args.sample_rate is not None or args.bitrate is not None):
        takers = ", ".join(m.id for m in MODELS.values() if m.live and m.audio_setting is not None)
        raise SettingError(
            f"{model.id} takes no audio settings (it returns {'/'.join(model.returns).upper()} as the provider "
            f"makes it): leave out --sample-rate/--bitrate, or choose a model that takes them ({takers})."
        )
    return AudioSetting(
        sample_rate=args.sample_rate or DEFAULT_SAMPLE_RATE, bitrate=args.bitrate or DEFAULT_BITRATE, format=fmt
    )


def _output_target(args: argparse.Namespace, model, fmt: str) -> Path:
    """Where ``-o`` writes the piece: checked (folder exists, no file replaced without --force) before billing."""
    import time

    from .storage import output_file

    name = f"{model.id.rsplit('/', 1)[-1]}-{time.strftime('%Y%m%d-%H%M%S')}.{fmt}"
    return output_file(args.output, default_name=name, overwrite=args.force)


def cmd_generate(args: argparse.Namespace) -> int:
    from .lyrics import prepare_text_fields
    from .options import check_options, parse_option_args
    from .types import MusicRequest

    model = _choose_model(args)
    if args.lyrics_file is not None:
        lyrics = _read_lyrics_file(args.lyrics_file)
    else:
        lyrics = (args.lyrics or "").replace("\\n", "\n")
    # Everything about the output is settled before anything is prepared, sent or billed.
    fmt, asked = _output_format(args, model)
    setting = _audio_setting(args, model, asked)
    target = _output_target(args, model, fmt)
    _refuse_flags_the_model_lacks(args, model)
    # The text is checked once, here, before a reference is prepared, uploaded or billed.
    fields = prepare_text_fields(
        model,
        lyrics=lyrics,
        prompt=args.prompt,
        is_instrumental=args.instrumental,
        lyrics_optimizer=args.lyrics_optimizer,
    )
    options = parse_option_args(args.option)
    check_options(model, options, request=MusicRequest(seed=args.seed))  # a bad name or value: said now
    backend = _open_backend(args, model)
    request = MusicRequest(
        model=model.id,
        lyrics=lyrics,
        prompt=args.prompt or "",
        audio_setting=setting,
        is_instrumental=args.instrumental,
        lyrics_optimizer=args.lyrics_optimizer,
        seed=args.seed,
        voice_id=args.voice_id,
        instrumental_id=args.instrumental_id,
        options=options,
    )
    if model.gives_ids:
        request = _uploaded_reference(args, backend, request)
    else:
        request = replace(request, reference=_job_reference(args, model, backend), purpose=args.purpose or "song")
    result = _make(backend, model, request, fields, args)
    return _write_result(args, backend, result, target, fmt)


def _refuse_flags_the_model_lacks(args: argparse.Namespace, model) -> None:
    """Flags of another model are refused before anything is prepared (the table says what each takes)."""
    if (args.voice_id or args.instrumental_id) and model.takes_purpose and not model.gives_ids:
        raise InputError(
            f"{model.id} takes no voice or instrumental ids (its provider returns none): give --reference "
            "(or --reference-url) with --purpose instead, and it is sent with the request."
        )
    if model.gives_ids:
        if args.prompt or args.reference_url or args.instrumental or args.lyrics_optimizer:
            raise InputError(
                f"{model.id} takes lyrics and a reference file (or ids) only: leave out --prompt, "
                "--reference-url, --instrumental and --lyrics-optimizer, or choose another --model."
            )
        if args.reference and not args.purpose:
            raise InputError("--reference needs --purpose song, voice or instrumental.")
        return
    for flag, value in (
        ("--voice-id", args.voice_id),
        ("--instrumental-id", args.instrumental_id),
        ("--purpose", None if model.takes_purpose else args.purpose),
    ):
        if value:
            raise InputError(
                f"{flag} belongs to music-01's upload step; {model.id} takes "
                + ("a reference file or URL instead." if model.takes_reference else "no reference.")
            )
    if not model.takes_reference and (args.reference or args.reference_url):
        raise InputError(
            f"{model.id} takes no reference track: leave out --reference/--reference-url, or choose "
            "minimax-music or minimax/music-cover."
        )


def _uploaded_reference(args: argparse.Namespace, backend, request):
    """music-01's first call: upload --reference for its purpose, then generate from the ids."""
    if not args.reference:
        return request
    up = backend.upload(_reference_clip(args.reference, args.purpose, request.model), args.purpose)
    print(
        f"reference {'cached' if up.cached else 'uploaded'}: "
        + ", ".join(f"{k}={v}" for k, v in (("voice_id", up.voice_id), ("instrumental_id", up.instrumental_id)) if v),
        file=sys.stderr,
    )
    return replace(
        request, voice_id=request.voice_id or up.voice_id, instrumental_id=request.instrumental_id or up.instrumental_id
    )


def _make(backend, model, request, fields, args: argparse.Namespace):
    """The one billed call, with its status line; Ctrl-C says where the paid piece is."""
    submitted: list[str] = []

    def on_submit(generation_id: str) -> None:
        # Said at once, on any stream: from here on the piece can always be fetched again.
        submitted.append(generation_id)
        print(
            f"generation {generation_id} submitted and kept on disk; if this stops, "
            f"`music01 resume {generation_id}` fetches it without paying again.",
            file=sys.stderr,
            flush=True,
        )

    if not backend.offline_for(model):
        print(
            f"submitting 1 billed generation to {model.id}{_price_before(backend, model)}…", file=sys.stderr, flush=True
        )
    try:
        with _StatusLine(model.expected_s) as line:
            return backend.make(request, fields=fields, wait_s=args.wait_s, on_status=line.show, on_submit=on_submit)
    except KeyboardInterrupt:
        raise _Interrupted(_interrupted_job(backend, model, submitted)) from None


def _price_before(backend, model) -> str:
    """What one piece costs, said before the billed call, with its source: the provider's list (the copy
    on disk: nothing waits on the network here), else this home's history, else the table's list price."""
    return f" ({backend.price_for(model).words()})"


def _interrupted_job(backend, model, submitted: list[str]) -> str:
    """What Ctrl-C during a job means: where the paid piece is, and how to fetch it."""
    if backend.offline_for(model):
        return "interrupted: nothing was billed (offline engine)."
    if submitted:
        gid = submitted[0]
        return (
            f"interrupted: generation {gid} is kept and still running at the provider; nothing more is billed. "
            f"Fetch it with `music01 resume {gid}` (do not run generate again: that would pay twice)."
        )
    if backend.provider_for(model).answers_once:  # music-01: its answer cannot be looked up again
        return (
            f"interrupted while submitting to {model.id}: if the request reached the provider it may be billed, "
            "but no generation id came back. Check `music01 jobs` and your AI/ML API usage page before trying again."
        )
    return (
        f"interrupted while submitting to {model.id}: no generation id came back, and the request is kept as "
        "'answer lost'. `music01 resume` finds it in the provider's usage log if it arrived, without sending it "
        "again (do not run generate again: that could pay twice)."
    )


def _job_reference(args: argparse.Namespace, model, backend):
    """The reference for a job model, checked before anything is billed."""
    from .references import choose_reference
    from .settings import data_home

    if not model.takes_reference:
        return None
    if not args.reference and not args.reference_url:
        raise InputError(
            f"{model.id} needs a reference track: --reference FILE"
            + (" or --reference-url URL." if "url" in model.reference.ways else ".")
        )
    if args.reference:
        _check_file_route(model, backend)
    clip = _reference_clip(args.reference, None, model) if args.reference and not args.reference_url else None
    # Checked now; the client routes it (once) before the billed call.
    return choose_reference(
        model, clip=clip, url=args.reference_url, backend=backend, cache_dir=data_home() / "references"
    )


def _check_file_route(model, backend) -> None:
    """Say at once, before preparing anything, when the provider cannot fetch a local file, and
    which flags send the clip itself instead."""
    from .errors import NoReferenceRouteError
    from .models import get_model
    from .references import check_file_route

    try:
        check_file_route(model, offline=backend.offline)
    except NoReferenceRouteError as exc:
        if not exc.alternative:
            raise
        prompt = get_model(exc.alternative).prompt
        chars = f" ({prompt.min_chars}–{prompt.max_chars} characters)" if prompt else ""
        raise NoReferenceRouteError(
            f"{exc} To send this clip itself, run the same command with "
            f'--model {exc.alternative} --prompt "the style you want"{chars}: your clip and lyrics are kept.',
            alternative=exc.alternative,
        ) from exc


def _write_result(args: argparse.Namespace, backend, result, target: Path, fmt: str) -> int:
    native = result.format
    result = result.save(target, format=fmt)
    _warn(result.warnings)
    if result.format != native:
        print(
            f"note: {result.model} returns {native.upper()}; converted to {fmt.upper()} on this computer "
            "(the history keeps the original).",
            file=sys.stderr,
        )
    if args.json:
        _print_json(result.to_dict())
    else:
        ident = f"generation {result.generation_id}" if result.generation_id else f"trace {result.trace_id}"
        seed = f" · seed {result.seed}" if result.seed is not None else ""
        print(
            f"wrote {result.path}: {result.format}, {result.duration_s:.2f} s, {result.sample_rate} Hz, "
            f"{result.bytes} bytes · {result.model} · {_served_by(backend, result)} · {ident}{seed}{_cost(result)}"
        )
    return EXIT_OK


class _Interrupted(Exception):
    """Ctrl-C during a generate, with the message to show."""


def cmd_models(args: argparse.Namespace) -> int:
    from .backends import tokens_in_env
    from .models import MODELS, SERVICES, default_model, model_label

    if getattr(args, "check_docs", False):
        # The list read now (a 304 costs nothing), then each live model's docsJson, never with a key.
        from .docscheck import check_docs

        report = check_docs(_catalogue(force=True), MODELS)
        print(json.dumps(report.to_dict(), ensure_ascii=False) if args.json else report.words())
        # 1 on any drift (as `diff` exits 1 on a difference), else 3 (a service failure) when a
        # reference could not be read, else 0: a scheduled job fails on either, and can tell them apart.
        return 1 if report.drifted else EXIT_SERVICE if report.unchecked else EXIT_OK
    available = tokens_in_env()
    default = default_model(available)
    listing = _catalogue(force=args.live)
    if args.json:
        rows = []
        for m in MODELS.values():
            service = SERVICES.get(m.provider)
            token = {"token_env": service.token_envs[0], "token_set": m.provider in available} if service else {}
            rows.append(
                {**m.to_dict(), "label": model_label(m.id), "default": m.id == default, **token, **_listing(m, listing)}
            )
        # One array, as before; models the provider lists and the table lacks come last, marked unsupported.
        rows += [{"id": x.id, "listed": True, "supported": False} for x in listing.unsupported(MODELS)]
        checked = listing.checked_words()
        print(json.dumps([{**r, "list_checked": checked} for r in rows], ensure_ascii=False))
        return EXIT_OK
    for service in SERVICES.values():
        state = "set" if service.name in available else "not set: its models run on the offline engine"
        print(
            f"{service.label} — {service.token_envs[0]} {state}"
            + (f" · {listing.checked_words()}" if service.name == "aimlapi" else "")
        )
        for m in (m for m in MODELS.values() if m.provider == service.name):
            _print_model(m, default, _listing(m, listing))
        if service.name == "aimlapi":
            for x in listing.unsupported(MODELS):
                print(f"  {x.id:26s} listed by the provider, not supported here yet")
    print("* the default (follows the tokens that are set; MUSIC01_MODEL or --model to choose another)")
    return EXIT_OK


def _catalogue(*, force: bool, read: bool = True):
    """The AI/ML API's model list: the copy on disk, read again when stale (or ``force``) unless not ``read``;
    never with a key."""
    from .backends.api import normalize_base_url
    from .catalogue import CatalogueClient

    service = SERVICES["aimlapi"]
    base = next((os.environ[n] for n in service.base_envs if os.environ.get(n, "").strip()), None)
    client = CatalogueClient.of(service, normalize_base_url(base))
    return client.check(force=force) if read else client.cached()


def _listing(m, listing) -> dict:
    """What the provider's list says of a row: {"listed": True/False/None, "price": "…"} (AI/ML API rows only)."""
    if m.provider != "aimlapi":
        return {}
    price = price_of(m, listing=listing)
    listed = price.source == "provider's list"
    return {"listed": listing.listed(m), "price": price.words() if listed else None, "price_each": price.to_dict()}


def _print_model(m, default: str, listing: dict | None = None) -> None:
    """One model's lines in `music01 models`."""
    from .options import option_lines

    mark = "*" if m.id == default else " "
    state = "live" if m.live else f"legacy (retired {m.retired_on}; use {m.replacement})"
    listed = (listing or {}).get("listed")
    if listed is False and m.live:
        state += " · no longer listed by the provider"
    elif listed:
        state += " · listed" + (f" · {listing['price']}" if listing.get("price") else "")
    ways = ("file (sent with the request)" if w == "files" else w for w in m.reference.ways)
    ref = "no reference" if not m.takes_reference else "reference: " + " or ".join(ways)
    if m.reference.limits:
        ref += f" {m.reference.limits.min_s:g}–{m.reference.limits.max_s:g} s"
    if m.reference.purpose_fields:
        ref += " (" + "/".join(p for p, _ in m.reference.purpose_fields) + ")"
    texts = []
    for spec in (m.prompt, m.lyrics):
        if spec is not None:
            texts.append(
                f"{spec.label} {spec.min_chars}–{spec.max_chars}{spec.need}"
                + (" (##…##)" if spec.style == "music01" else " ([Verse]…)" if spec.style == "tags" else "")
                + (f" as '{spec.api_field}'" if spec.api_field != spec.label.split()[-1] else "")
            )
    print(f"{mark} {m.id:26s} {state}")
    print(f"    {m.summary}")
    print(f"    {ref} · {' · '.join(texts)}" + (f" · switches: {', '.join(m.flags)}" if m.flags else ""))
    if m.options:
        print("    options (--option NAME=VALUE):" + "".join(f"\n      {line}" for line in option_lines(m)))
    if m.list_price is not None:
        print(f"    {m.list_price.describe()}")


def cmd_jobs(args: argparse.Namespace) -> int:
    import time

    from .history import History

    jobs = History().pending()
    if args.json:
        print(json.dumps([j.to_dict() for j in jobs], ensure_ascii=False))
        return EXIT_OK
    if not jobs:
        print("no pending jobs")
        return EXIT_OK
    for j in jobs:
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(j.created))
        what = (j.prompt or j.lyrics or "").replace("\n", " ")[:40]
        state = j.state if j.state != "pending" else j.status
        if j.answer_lost:
            state = "answer lost — checking the provider's logs"
        print(f"{j.generation_id}  {when}  {j.model}  {state}  “{what}”" + (f"  ({j.error})" if j.error else ""))
    print("resume one with: music01 resume ID -o OUT (or every open one: music01 resume)", file=sys.stderr)
    return EXIT_OK


def cmd_resume(args: argparse.Namespace) -> int:
    from .storage import output_file

    if not args.id:
        return _resume_every_open_record(args)
    target = None
    if args.output:  # checked before waiting, like generate's
        target = output_file(args.output, default_name=f"{args.id.split(':')[0].strip()}.mp3")
    backend = _open_backend(args)
    with _StatusLine() as line:
        result = backend.resume(args.id, wait_s=args.wait_s, on_status=line.show)
    if target is not None:
        suffix = target.suffix.lstrip(".").lower()
        return _write_result(args, backend, result, target, suffix if suffix in _OUTPUT_FORMATS else result.format)
    if args.json:
        _print_json(result.to_dict())
    else:
        _print_saved(result)
    return EXIT_OK


def cmd_cancel(args: argparse.Namespace) -> int:
    backend = _open_backend(args)
    status = backend.cancel(args.id)
    if status.status == "completed":
        print(f"{args.id}: it had already finished (a cancel does not undo it): `music01 resume {args.id}` saves it.")
    else:
        print(f"{args.id}: {status.error_message or status.status}")
    return EXIT_OK


def _print_saved(result) -> None:
    print(
        f"saved {result.path}: {result.format}, {result.duration_s:.2f} s · {result.model} · "
        f"generation {result.generation_id}{_cost(result)}"
    )


def _served_by(backend, result) -> str:
    """Who made the piece: the offline engine, or the service its model belongs to."""
    from .models import MODELS, get_service

    if result.backend == "offline":
        return "offline engine"
    m = MODELS.get(result.model)
    service = get_service(m.provider) if m is not None else None
    return service.label if service is not None else backend.label


def _cost(result) -> str:
    """ " · 120000 credits", or for a service that reports none its list price and predict time; "" offline."""
    if result.credits_used:
        return f" · {result.credits_used} credits"
    extra = result.extra_info or {}
    said = [str(extra["list_price"])] if extra.get("list_price") else []
    if extra.get("predict_time_s"):
        said.append(f"predict time {float(extra['predict_time_s']):.1f} s")
    return "".join(f" · {x}" for x in said)


def _resume_every_open_record(args: argparse.Namespace) -> int:
    """`music01 resume` alone: every job still running and every lost answer, each said plainly."""
    if args.output:
        raise InputError("-o needs the id of one job: `music01 resume ID -o OUT` (`music01 jobs` lists them).")
    backend = _open_backend(args)
    records = backend.open_records()
    if not records:
        print("nothing to resume: no job is running and no answer was lost")
        return EXIT_OK
    outcomes, code = [], EXIT_OK
    for rec in records:
        try:
            result = backend.resume(rec.generation_id, wait_s=args.wait_s)
        except JobPendingError as exc:
            outcomes.append({"id": rec.generation_id, "outcome": "pending", "message": str(exc)})
            code = max(code, EXIT_PENDING)
            print(f"{rec.generation_id}: still open — {exc}", file=sys.stderr)
            continue
        except Music01Error as exc:
            outcomes.append({"id": rec.generation_id, "outcome": "error", "message": str(exc)})
            code = max(code, getattr(exc, "exit_code", EXIT_UNEXPECTED))
            print(f"{rec.generation_id}: {exc}", file=sys.stderr)
            continue
        outcomes.append({"id": rec.generation_id, "outcome": "saved", **result.to_dict()})
        if not args.json:
            _print_saved(result)
    if args.json:
        print(json.dumps(outcomes, ensure_ascii=False))
    return code


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
        first = next(
            (
                ln
                for ln in (e.lyrics or e.prompt or "").replace("#", "").splitlines()
                if ln.strip() and not ln.strip().startswith("[")
            ),
            "",
        )
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(e.created))
        ident = f"generation {e.generation_id}" if e.generation_id else f"trace {e.trace_id}"
        print(
            f"{e.id}  {when}  {e.backend:7s} {e.model:18s} {e.duration_s:5.1f} s  {e.format}  “{first[:40]}”  {ident}"
        )
        print(f"    {e.audio_path}")
    return EXIT_OK


def cmd_emulate(args: argparse.Namespace) -> int:
    from .emulator import serve

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"warning: binding to {args.host}: anyone who can reach this address can use the emulator"
            + ("" if args.key else " (and no --key is required)"),
            file=sys.stderr,
        )
    base = f"http://{args.host}:{args.port}"
    service = SERVICES[args.service]
    key = (
        "<the --key you chose>"
        if args.key
        else ("r8_emulator0000000000000000000000" if args.service == "replicate" else "any-key")
    )
    base_env, key_env = service.base_envs[0], service.token_envs[0]
    # The exact lines to paste in another terminal, for both shells a room has (never the key itself).
    print(
        f"music01 emulator ({service.label}) on {base} ({'key required' if args.key else 'any key accepted'}); "
        "Ctrl-C stops it.\nIn another terminal, point music01 at it:\n"
        f"  macOS/Linux:         export {base_env}={base} {key_env}={key}\n"
        f'  Windows PowerShell:  $env:{base_env}="{base}"; $env:{key_env}="{key}"',
        file=sys.stderr,
    )
    serve(
        host=args.host,
        port=args.port,
        key=args.key,
        latency_s=args.latency_s,
        retire_music01=args.retire_music01,
        service=args.service,
        balance_usd=args.balance_usd,
        refuse_when_short=args.refuse_when_short,
    )
    return EXIT_OK


def cmd_room_estimate(args: argparse.Namespace) -> int:
    from .models import get_model
    from .room import estimate_cost
    from .settings import data_home

    model = get_model(_named_model(args.model))
    # The provider's list: with a key set, read again when older than 4 h (the key is not sent; a few
    # seconds at most); with none, only the copy on disk (no key, no network, as everywhere else).
    keyed = any(os.environ.get(n, "").strip() for n in SERVICES["aimlapi"].token_envs)
    listing = _catalogue(force=False, read=keyed) if model.provider == "aimlapi" else None
    est = estimate_cost(model, args.people * args.each, data_home=data_home(), listing=listing)
    if args.json:
        _print_json(
            {
                "model": est.model,
                "generations": est.generations,
                "people": args.people,
                "each": args.each,
                "usd_total": est.usd_total,
                "credits_total": est.credits_total,
                "source": est.source,
                "price_each": est.price.to_dict(),
            }
        )
        return EXIT_OK
    print(f"{args.people} people × {args.each} each: {est.describe()}")
    print(
        f"To hold the room to this, start the app with MUSIC01_ROOM_GENERATIONS_PER_HOUR={est.generations} "
        "(and MUSIC01_SHARED=1 when the room shares one server).",
        file=sys.stderr,
    )
    return EXIT_OK


def cmd_room_usage(args: argparse.Namespace) -> int:
    from dataclasses import asdict

    from .room import room_usage
    from .settings import data_home

    u = room_usage(data_home())
    if args.json:
        _print_json(asdict(u))
        return EXIT_OK
    print(
        f"{u.sessions} sessions · {u.generations_last_hour} generations in the last hour "
        f"({u.billed_last_hour} billed) · {u.generations_total} in all · {u.pending} pending · "
        f"{u.credits_total:,.0f} credits (≈ ${u.usd_total:,.2f})"
    )
    for r in u.per_session:
        print(
            f"  session {r['session']:>3}: {r['generations']} made, {r['last_hour']} this hour, {r['pending']} pending"
        )
    return EXIT_OK


def _no_account(backend) -> str | None:
    """Why there is no AI/ML API balance or spend to read (no key, or --backend offline); None when there is."""
    if "aimlapi" in backend.credentials and not backend.offline:
        return None
    if backend.offline and "aimlapi" in backend.credentials:
        return "--backend offline: the offline engine has no balance and bills nothing"
    return "no AIML_API_KEY set: the offline engine has no balance and bills nothing"


def cmd_balance(args: argparse.Namespace) -> int:
    """`music01 balance`: what the AI/ML API key has left, in dollars and credits (GET /v2/billing).

    With no key it says so and exits 0: nothing is billed, so nothing is wrong (``--json``: ``"balance": null``).
    """
    from .backends import open_backend

    backend = open_backend(args.backend)
    why = _no_account(backend)
    balance = backend.balance("aimlapi") if why is None else None
    if args.json:
        _print_json({"service": "aimlapi", "balance": balance.to_dict() if balance else None, "reason": why})
    else:
        print(balance.words() if balance is not None else why)
    return EXIT_OK


def cmd_spend(args: argparse.Namespace) -> int:
    """`music01 spend`: every history under MUSIC01_HOME beside the provider's usage log (GET /v2/logs).

    With no key it says so and exits 0, like ``balance`` (``--json``: ``"spend": null``).
    """
    from .account import parse_since
    from .backends import open_backend
    from .room import history_homes
    from .settings import data_home

    parse_since(args.since)  # a window the log cannot be read over is refused before anything else
    backend = open_backend(args.backend)
    why = _no_account(backend)
    if why is not None:
        if args.json:
            _print_json({"service": "aimlapi", "spend": None, "reason": why})
        else:
            print(why)
        return EXIT_OK
    spend = backend.spend(since=args.since, homes=history_homes(data_home()))
    if args.json:
        _print_json(spend.to_dict())
    else:
        print("\n".join(spend.lines()))
    return EXIT_OK


def cmd_example(args: argparse.Namespace) -> int:
    from .examples import write_example

    path = write_example(args.name, args.output)
    print(f"wrote example reference {args.name!r} to {path}")
    return EXIT_OK


# --- parser -------------------------------------------------------------------------
def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser (kept stable: people script against it)."""
    p = _Parser(
        prog="music01",
        description="Prepare references and make music with MiniMax's music models on the "
        "AI/ML API (minimax-music by default), or offline with no key.",
    )
    p.add_argument("--version", action="version", version=f"music01 {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    p.add_argument(
        "--backend",
        choices=("auto", "offline", "api"),
        default=None,
        help="auto (default, env MUSIC01_BACKEND): the API when a key is set, else the offline engine",
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    _add_clip_commands(sub)
    ge = sub.add_parser("generate", help="make a piece with any model (`music01 models` lists them)")
    _add_generate_inputs(ge)
    _add_generate_outputs(ge)
    _add_job_commands(sub)
    _add_room_commands(sub)
    _add_account_commands(sub)
    _add_lyrics_commands(sub)
    return p


def _add_clip_commands(sub) -> None:
    """prepare, analyze and upload: what turns a recording into a reference."""
    pr = sub.add_parser("prepare", help="turn any audio into a valid WAV/MP3 reference clip for the model")
    pr.add_argument("input", metavar="INPUT", help="audio file (WAV, MP3, FLAC, OGG, Opus, M4A, WebM...)")
    pr.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUTPUT",
        help="clip to write (.mp3 or .wav); an existing folder gets INPUT's name, as with cp",
    )
    pr.add_argument("--start", type=float, metavar="S", help="segment start in seconds")
    pr.add_argument("--end", type=float, metavar="E", help="segment end in seconds")
    pr.add_argument("--format", choices=None, metavar="mp3|wav", help="output format (default from OUTPUT's suffix)")
    pr.add_argument(
        "--model",
        default=None,
        metavar="M",
        help="whose length bounds apply (default MUSIC01_MODEL, else minimax-music: over 15 s; "
        "music-cover 6 s–6 min, music-01 10 s–10 min)",
    )
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


def _add_generate_inputs(ge) -> None:
    """generate's model, text and reference options."""
    ge.add_argument(
        "--model",
        metavar="M",
        help="model id (default MUSIC01_MODEL, else minimax-music; music-01 "
        "when --voice-id/--instrumental-id/--purpose are given)",
    )
    ge.add_argument(
        "--provider",
        choices=tuple(SERVICES),
        help="the service that runs --model when two serve it (default: the one whose token is set)",
    )
    src = ge.add_mutually_exclusive_group()
    src.add_argument("--lyrics", metavar="TEXT", help="lyrics; a literal \\n is read as a newline")
    src.add_argument("--lyrics-file", metavar="F", help="read the lyrics from a UTF-8 file")
    ge.add_argument("--prompt", metavar="TEXT", help="style prompt, for the models that take one (`music01 models`)")
    refs = ge.add_mutually_exclusive_group()
    refs.add_argument("--reference", metavar="FILE", help="reference audio file (any format; prepared first)")
    refs.add_argument("--reference-url", metavar="URL", help="public http(s) URL of a WAV/MP3 reference")
    ge.add_argument("--instrumental", action="store_true", help="no vocals (minimax/music-2.6)")
    ge.add_argument(
        "--lyrics-optimizer", action="store_true", help="let the model write lyrics from the prompt (minimax/music-2.6)"
    )
    ge.add_argument("--voice-id", metavar="ID", help="music-01: a voice_id from an upload")
    ge.add_argument("--instrumental-id", metavar="ID", help="music-01: an instrumental_id from an upload")
    ge.add_argument(
        "--purpose", choices=("song", "voice", "instrumental"), help="music-01: what --reference is (default song)"
    )
    ge.add_argument(
        "--option",
        action="append",
        metavar="NAME=VALUE",
        help="a field of the model's own (repeatable): duration_s=30, negative_prompt=…, steps=50 "
        "(`music01 models` lists each model's, with ranges)",
    )


def _add_generate_outputs(ge) -> None:
    """generate's audio settings, wait and output options."""
    ge.add_argument(
        "--sample-rate", type=int, default=None, metavar="N", help="16000, 24000, 32000 or 44100 (default 44100)"
    )
    ge.add_argument(
        "--bitrate", type=int, default=None, metavar="N", help="32000, 64000, 128000 or 256000 (default 256000)"
    )
    ge.add_argument(
        "--format",
        choices=("mp3", "wav", "pcm"),
        help="default from OUT's suffix, else mp3 (converted here when the model returns only MP3)",
    )
    ge.add_argument(
        "--seed",
        type=int,
        metavar="N",
        help="same seed, same audio: for the offline engine, and sent to a model whose API takes a seed (lyria2)",
    )
    ge.add_argument(
        "--wait-s",
        type=float,
        default=600.0,
        metavar="S",
        help="job models: how long to wait before "
        "leaving the job pending (exit 4; `music01 resume ID` fetches it later)",
    )
    ge.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="OUT",
        help="audio file to write (.mp3, .wav or .pcm); an existing folder gets a file named after the model",
    )
    ge.add_argument("--force", action="store_true", help="replace OUT if it exists (default: refuse)")
    ge.add_argument("--json", action="store_true", help="print one JSON object")
    ge.set_defaults(func=cmd_generate)


def _add_job_commands(sub) -> None:
    """models, jobs, resume, history, emulate and example."""
    mo = sub.add_parser("models", help="the models, what each takes, and which are live")
    mo.add_argument("--json", action="store_true", help="print one JSON array")
    mo.add_argument("--live", action="store_true", help="read the provider's model list now (no key is sent)")
    mo.add_argument(
        "--check-docs",
        action="store_true",
        help="compare each live model's reference (its docsJson, read with no key) with the one music01 was built "
        "against, field by field; exit 1 on a difference, 3 when one could not be read, else 0",
    )
    mo.set_defaults(func=cmd_models)

    jo = sub.add_parser("jobs", help="jobs submitted but not saved yet (resume them with `resume`)")
    jo.add_argument("--json", action="store_true", help="print one JSON array")
    jo.set_defaults(func=cmd_jobs)

    re_ = sub.add_parser("resume", help="fetch a pending job's result without submitting again")
    re_.add_argument(
        "id", nargs="?", metavar="ID", help="the generation id (`music01 jobs` lists them); none: every open one"
    )
    re_.add_argument("-o", "--output", metavar="OUT", help="also write the audio here")
    re_.add_argument("--wait-s", type=float, default=600.0, metavar="S", help="how long to wait this time")
    re_.add_argument("--json", action="store_true", help="print one JSON object")
    re_.set_defaults(func=cmd_resume)

    ca = sub.add_parser("cancel", help="stop a running job at its provider (Replicate); nothing more is billed")
    ca.add_argument("id", metavar="ID", help="the generation id (`music01 jobs` lists them)")
    ca.set_defaults(func=cmd_cancel)

    hi = sub.add_parser("history", help="list past generations (newest first)")
    hi.add_argument("--json", action="store_true", help="print one JSON array")
    hi.set_defaults(func=cmd_history)

    em = sub.add_parser(
        "emulate", help="run a loopback emulator of the AI/ML API's (or Replicate's) music endpoints (tests, workshops)"
    )
    em.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    em.add_argument("--port", type=int, default=8787)
    em.add_argument("--key", default=None, help="require this Bearer key (default: accept any)")
    em.add_argument(
        "--service",
        choices=tuple(SERVICES),
        default="aimlapi",
        help="the AI/ML API (default) or Replicate's predictions API",
    )
    em.add_argument("--latency-s", type=float, default=0.0, metavar="X", help="seconds a generation takes")
    em.add_argument(
        "--retire-music01",
        action="store_true",
        help="answer music-01's endpoints as the provider does since August 2026 (retired)",
    )
    em.add_argument(
        "--balance-usd", type=float, default=10.0, metavar="X", help="each key's starting balance (default 10)"
    )
    em.add_argument(
        "--refuse-when-short",
        action="store_true",
        help="answer a submit that costs more than the key's balance with the provider's 403 (out of credits)",
    )
    em.set_defaults(func=cmd_emulate)

    ex = sub.add_parser("example", help="write one of the project's own example references (WAV)")
    ex.add_argument("output", metavar="OUTPUT", help="WAV file to write")
    ex.add_argument(
        "--name",
        default="groove-a-minor",
        help="groove-a-minor (default), bright-d-major, song-e-minor or acappella-g-major",
    )
    ex.set_defaults(func=cmd_example)


def _add_room_commands(sub) -> None:
    """room estimate / usage: for workshops."""
    ro = sub.add_parser("room", help="workshop rooms: what a class will cost, what the room has used")
    rosub = ro.add_subparsers(dest="room_command", metavar="ACTION", parser_class=_Parser)
    rest = rosub.add_parser("estimate", help="credits and dollars for people × generations each, before a class")
    rest.add_argument("--people", type=_positive_int, default=25, help="people in the room (default 25)")
    rest.add_argument("--each", type=_positive_int, default=3, help="generations each (default 3)")
    rest.add_argument(
        "--model", metavar="M", default=None, help="the model (default MUSIC01_MODEL, else minimax-music)"
    )
    rest.add_argument("--json", action="store_true", help="print one JSON object")
    rest.set_defaults(func=cmd_room_estimate)
    rus = rosub.add_parser("usage", help="what every session under MUSIC01_HOME has made and spent")
    rus.add_argument("--json", action="store_true", help="print one JSON object")
    rus.set_defaults(func=cmd_room_usage)
    ro.set_defaults(func=lambda a: _missing(ro))


def _add_account_commands(sub) -> None:
    """balance and spend: what the AI/ML API key has left and what it has spent."""
    ba = sub.add_parser(
        "balance", help="what the AI/ML API key has left, in dollars and credits (no key: says so, exit 0)"
    )
    ba.add_argument("--json", action="store_true", help="print one JSON object")
    ba.set_defaults(func=cmd_balance)
    sp = sub.add_parser(
        "spend", help="your history beside the provider's usage log: each piece's cost, rows made elsewhere, totals"
    )
    sp.add_argument(
        "--since", default="24h", metavar="WINDOW", help="hours or days, such as 24h (default) or 7d; at most 92d"
    )
    sp.add_argument("--json", action="store_true", help="print one JSON object")
    sp.set_defaults(func=cmd_spend)


def _add_lyrics_commands(sub) -> None:
    """lyrics check and lyrics write."""
    ly = sub.add_parser("lyrics", help="lyrics tools")
    lysub = ly.add_subparsers(dest="lyrics_command", metavar="ACTION", parser_class=_Parser)
    lc = lysub.add_parser("check", help="count and check lyrics against music-01's rules")
    lc.add_argument("text", nargs="?", metavar="TEXT", help="lyrics; a literal \\n is read as a newline")
    lc.add_argument("--file", metavar="F", help="read the lyrics from a UTF-8 file")
    lc.add_argument(
        "--model",
        metavar="M",
        default=None,
        help="whose rules (default MUSIC01_MODEL, else music-01's format, which minimax-music shares)",
    )
    lc.add_argument("--json", action="store_true", help="print one JSON object")
    lc.set_defaults(func=cmd_lyrics_check)
    _add_lyrics_write(lysub)
    ly.set_defaults(func=lambda a: _missing(ly))


def _add_lyrics_write(lysub) -> None:
    """lyrics write: a theme and a mood become lyrics in the model's format (a chat model, or the offline writer)."""
    lw = lysub.add_parser(
        "write",
        help="write lyrics for a theme and a mood, in the model's format and within its limit "
        "(a chat model with AIML_API_KEY, else music01's offline writer)",
    )
    lw.add_argument("--theme", metavar="TEXT", default="", help="what the song is about (a follow-up may leave it out)")
    lw.add_argument("--mood", metavar="TEXT", default="", help="how it feels: melancholy, upbeat, tender…")
    lw.add_argument(
        "--model",
        metavar="M",
        default=None,
        help="the music model whose format and limit apply (default MUSIC01_MODEL)",
    )
    lw.add_argument(
        "--chat-model",
        metavar="ID",
        default=None,
        help="the chat model that writes (default: gpt-4o-mini when the provider lists it, else minimax/m2)",
    )
    lw.add_argument("--from", dest="from_file", metavar="FILE", help="the current draft, for a follow-up")
    edit = lw.add_mutually_exclusive_group()
    edit.add_argument("--shorter", action="store_true", help="follow-up: make the draft shorter")
    edit.add_argument("--another-verse", action="store_true", help="follow-up: add one more verse")
    edit.add_argument("--keep-chorus", action="store_true", help="follow-up: write it again, the chorus kept verbatim")
    lw.add_argument(
        "--into-prompt",
        action="store_true",
        help="for a model that sings lyrics written inside its prompt (elevenlabs/eleven_music): put them there",
    )
    lw.add_argument("--prompt", metavar="TEXT", default="", help="with --into-prompt: the style part of the prompt")
    lw.add_argument("--no-accompaniment", action="store_true", help="music-01's format: no ##…## wrap")
    lw.add_argument("--seed", type=int, metavar="N", help="the offline writer's seed (same seed, same draft)")
    lw.add_argument("-o", "--output", metavar="FILE", help="also write the draft to FILE (UTF-8 text)")
    lw.add_argument("--json", action="store_true", help="print one JSON object (the price goes to stderr)")
    lw.set_defaults(func=cmd_lyrics_write)


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is not at least 1")
    return value


def _missing(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_INPUT


def main(argv: list[str] | None = None) -> int:
    """Run the CLI and return its exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING, format="%(levelname)s %(name)s: %(message)s"
    )
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_INPUT
    try:
        return args.func(args)
    except InputError as exc:
        return _fail(exc, EXIT_INPUT, args.debug)
    except JobPendingError as exc:
        print(f"pending: {exc}", file=sys.stderr)
        return EXIT_PENDING
    except Music01Error as exc:
        return _fail(exc, getattr(exc, "exit_code", EXIT_UNEXPECTED), args.debug)
    except _Interrupted as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 130
    except KeyboardInterrupt:
        print("error: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return _reader_gone()
    except Exception as exc:  # the last line of defence: no traceback without --debug
        return _fail(exc, EXIT_UNEXPECTED, args.debug, unexpected=True)


def _reader_gone() -> int:
    """The output's reader went away (``music01 history | head``): stop quietly, as ``ls | head`` does."""
    # Python would report the same error again when it flushes stdout at exit: point it at nothing.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a shell reports for a tool stopped the same way


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
