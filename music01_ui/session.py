"""Sessions, keys, limits, served files and the error edge shared by every step of the app."""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import threading
import time
from collections import defaultdict, deque
from pathlib import Path

import gradio as gr

from music01_core.errors import InputError, Music01Error
from music01_core.settings import ENV_API_KEYS, data_home

logger = logging.getLogger("music01.app")

MAX_UPLOAD_MB = 200  # a 10-minute 48 kHz stereo WAV is ~110 MB
MAX_UPLOAD = f"{MAX_UPLOAD_MB}mb"  # Gradio's own notation, for launch(max_file_size=…)
MAX_UPLOAD_TEXT = f"{MAX_UPLOAD_MB} MB"  # …and how a person reads it
SHARED = bool(os.environ.get("SPACE_ID")) or os.environ.get("MUSIC01_SHARED") == "1"
# A shared server fetches no reference URL on its own network unless its owner allows it
# (a workshop whose files sit on a LAN server, with the offline engine or the emulator).
PRIVATE_URLS = os.environ.get("MUSIC01_ALLOW_PRIVATE_URLS") == "1"
#: What is wrong in the server's settings, said in one line each; app.main() stops on them
#: (a module-level int() would have ended the start with a traceback instead).
CONFIG_PROBLEMS: list[str] = []


def _env_count(name: str, default: int) -> int:
    """A whole number of generations from the environment (``default`` when unset)."""
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        CONFIG_PROBLEMS.append(f"{name} must be a whole number, 0 or more (it is {raw!r}): fix or unset it.")
        return default
    return int(raw)


def server_token(service: str) -> str | None:
    """The credential this server was started with for ``service`` (a key of ``SERVICES``), or None.

    Read from the service's own variables (``AIML_API_KEY``, ``REPLICATE_API_TOKEN``…), first one set wins.
    """
    from music01_core.models import get_service

    s = get_service(service)
    for name in s.token_envs if s is not None else ():
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    return None


def server_services() -> tuple[str, ...]:
    """The services this server has a credential for, in the table's order (what the start model follows)."""
    from music01_core.models import SERVICES

    return tuple(name for name in SERVICES if server_token(name))


def _check_server_tokens() -> None:
    """A server credential of the wrong shape (a Replicate token in AIML_API_KEY…): said at start, never echoed."""
    from music01_core.models import SERVICES
    from music01_core.providers.base import clean_token

    for name, service in SERVICES.items():
        raw = server_token(name)
        if raw is None:
            continue
        try:
            clean_token(service, raw)
        except InputError as exc:
            var = next(v for v in service.token_envs if os.environ.get(v, "").strip())
            CONFIG_PROBLEMS.append(f"{var}: {exc}")


def _env_model() -> str:
    """The model the page starts on: ``MUSIC01_MODEL`` (a room's choice), else the one the server's tokens run.

    With only a Replicate token the page opens on music-01 at Replicate (``default_model``).
    """
    from music01_core.models import DEFAULT_MODEL, env_model, resolve_model

    try:
        m = env_model()
        # A model two providers serve opens on the one whose token the server has, as the CLI chooses it.
        return resolve_model(m.id if m is not None else None, available=server_services()).id
    except InputError as exc:
        CONFIG_PROBLEMS.append(str(exc))
        return DEFAULT_MODEL


GENERATIONS_PER_HOUR = _env_count("MUSIC01_GENERATIONS_PER_HOUR", 5)
_check_server_tokens()
START_MODEL = _env_model()
CPU_SLOTS = threading.BoundedSemaphore(max(1, os.cpu_count() or 1))  # offline renders are CPU-bound


def server_key() -> str | None:
    """The server's AI/ML API key (``AIML_API_KEY``, else ``AIMLAPI_API_KEY``), or None."""
    for name in ENV_API_KEYS:
        if os.environ.get(name, "").strip():
            return os.environ[name].strip()
    return None


def session_home(request: gr.Request) -> Path:
    """Everything a session keeps: one folder per browser session on a shared server."""
    root = data_home()
    if not SHARED:
        return root
    sid = getattr(request, "session_hash", None) or "anonymous"
    return root / "sessions" / hashlib.sha256(sid.encode()).hexdigest()[:20]


class RateLimiter:
    """At most ``limit`` generations per hour per session and per client address."""

    def __init__(self, limit: int, window_s: float = 3600.0) -> None:
        self.limit, self.window_s = limit, window_s
        self.events: dict[str, deque] = defaultdict(deque)
        self.lock = threading.Lock()

    def check(self, *keys: str, message: str | None = None, count: int = 1) -> None:
        """Count ``count`` events under every key, or raise ``gr.Error`` when a key has fewer than ``count`` left.

        All or nothing: a refused check counts nothing.  ``message`` may use ``{limit}``, ``{wait}``
        (e.g. "12 min 5 s"), ``{left}`` and ``{count}``.
        """
        now = time.time()
        with self.lock:
            for key in keys:
                q = self.events[key]
                while q and q[0] < now - self.window_s:
                    q.popleft()
                if len(q) + count > self.limit:
                    # Until enough of the events counted leave the window, the oldest first.
                    k = min(len(q) + count - self.limit, len(q)) - 1
                    wait_s = int(q[k] + self.window_s - now) + 1 if k >= 0 else int(self.window_s)
                    wait = f"{wait_s // 60} min {wait_s % 60} s"
                    raise gr.Error(
                        (
                            message
                            or "This demo allows {limit} generations per hour on its shared key. Try again in "
                            "{wait} — or paste your own AI/ML API key above, or use the offline engine on your "
                            "own machine."
                        ).format(limit=self.limit, wait=wait, left=max(0, self.limit - len(q)), count=count),
                        title="Limit reached",
                    )
            for key in keys:
                self.events[key].extend([now] * count)

    def refund(self, key: str, count: int = 1) -> None:
        """Take back the last ``count`` events counted under ``key`` (they did not happen after all)."""
        with self.lock:
            for _ in range(count):
                if self.events.get(key):
                    self.events[key].pop()

    def used(self, key: str) -> int:
        """Events counted under ``key`` in the current window."""
        now = time.time()
        with self.lock:
            return sum(1 for t in self.events.get(key, ()) if t >= now - self.window_s)


LIMITER = RateLimiter(GENERATIONS_PER_HOUR)
# Room mode: one allowance for everybody on this server's key (a class sharing the teacher's
# key), on top of the per-person one.  0 or unset: no room cap.
ROOM_GENERATIONS_PER_HOUR = _env_count("MUSIC01_ROOM_GENERATIONS_PER_HOUR", 0)
ROOM_LIMITER = RateLimiter(ROOM_GENERATIONS_PER_HOUR) if ROOM_GENERATIONS_PER_HOUR > 0 else None


def _publisher():
    """The link publisher when the app has a public address (Spaces, or MUSIC01_PUBLIC_URL); else None."""
    from music01_core.share import LinkPublisher, public_base_url

    base = public_base_url()
    return LinkPublisher(data_home() / "links", base) if base else None


PUBLISHER = _publisher()


#: The service whose credential the core's ``ApiBackend`` takes as ``api_key`` (every other one comes in
#: ``tokens=``), and the one asked about when no model is named (music-01's upload, a resume).
KEY_SERVICE = "aimlapi"


def box_tokens(*values: str | None) -> dict[str, str]:
    """The credential boxes' values, given in ``SERVICES`` order, as one mapping: service name → what was pasted.

    The one place where the boxes' order meets the services: a missing trailing value is an empty box.
    """
    from music01_core.models import SERVICES

    return {name: raw or "" for name, raw in zip(SERVICES, values, strict=False)}


def pasted_tokens(tokens: dict[str, str | None] | None) -> dict[str, str]:
    """The credentials pasted in this browser session, by service (empty boxes left out)."""
    return {name: raw.strip() for name, raw in (tokens or {}).items() if (raw or "").strip()}


def credential_source(model_id, tokens: dict[str, str | None] | None = None) -> str | None:
    """Whose credential serves ``model_id``: ``"pasted"``, ``"server"``, or None (the offline engine stands in)."""
    from music01_core.models import get_model

    m = get_model(model_id)
    if m.provider in pasted_tokens(tokens):
        return "pasted"
    if server_token(m.provider):
        return "server"
    return None


def open_session_backend(tokens: dict[str, str | None] | None, request: gr.Request, model: str | None = None):
    """The backend for this call: the pasted credentials (``tokens``: service → pasted), else the server's, else offline.

    Each service gets its own credential (a pasted one wins over the server's); a model whose
    provider has none runs on the offline engine (``Client.offline_for``).  Returns (backend,
    whether the credential that serves ``model`` is the server's: the shared allowance applies).
    Without ``model``, :data:`KEY_SERVICE`'s credential is the one asked about (music-01's upload,
    a resume).
    """
    from music01_core.backends import ApiBackend, OfflineBackend
    from music01_core.models import SERVICES
    from music01_core.secret import Secret

    home = session_home(request)
    pasted = pasted_tokens(tokens)
    # A token pasted in another service's box is refused here, naming the box and never echoing it
    # (the key service's own box is checked by the backend, in the words it has always used).
    for name, raw in pasted.items():
        if name == KEY_SERVICE:
            continue
        problem = token_problem(name, raw)
        if problem is not None:
            raise InputError(f"the {credential_phrase(SERVICES.get(name))} box: {problem}")
    if not pasted and not server_services():
        return OfflineBackend(home=home), False
    others = {name: Secret(raw) for name, raw in pasted.items() if name != KEY_SERVICE}
    key = Secret(pasted[KEY_SERVICE]) if KEY_SERVICE in pasted else None
    backend = ApiBackend(api_key=key, tokens=others, home=home, publisher=PUBLISHER)
    service = _service_of(model)
    shared = service in backend.credentials and service not in pasted
    return backend, shared


def _service_of(model: str | None) -> str:
    from music01_core.models import get_model

    return get_model(model).provider if model else KEY_SERVICE


def limit_shared_key(shared_key: bool, request: gr.Request, model: str | None = None, *, count: int = 1) -> None:
    """Count a generation on the server's credential: against the room's cap when one is set, and the
    person's own hourly allowance on a shared server.

    ``count`` > 1 (takes side by side): all of them are counted, or none, before anything is sent.
    """
    if not shared_key or count < 1:
        return
    from music01_core.models import get_service

    service = get_service(_service_of(model))
    # The AI/ML API's wording stays as it always was; another service names its own token.
    what = credential_phrase(service)
    own = (
        None
        if service is None or service.name == KEY_SERVICE
        else (
            f"This demo allows {{limit}} generations per hour on its shared {what}. Try again in {{wait}} — or "
            f"paste your own {what} above, or use the offline engine on your own machine."
        )
    )
    if count > 1:  # several takes at once: the message says how many are left (_GRID_* below)
        own = _GRID_OWN.format(what=what)
    if ROOM_LIMITER is not None:
        # Checked first: when the room's allowance is spent, nobody's own count moves.
        ROOM_LIMITER.check(
            "room",
            message=(
                _GRID_ROOM
                if count > 1
                else "This room's {limit} generations per hour on the shared key are used up. The next one "
                "frees in {wait}. Meanwhile, listen to what the room made, or ask the teacher."
            ),
            count=count,
        )
    if SHARED:
        try:
            LIMITER.check(*_own_keys(request), message=own, count=count)
        except gr.Error:
            if ROOM_LIMITER is not None:
                ROOM_LIMITER.refund("room", count)  # these were not made: they must not use the room's allowance
            raise


def refund_shared_key(shared_key: bool, request: gr.Request, *, count: int = 1) -> None:
    """Give back what :func:`limit_shared_key` counted for calls refused before they were sent."""
    if not shared_key or count < 1:
        return
    if ROOM_LIMITER is not None:
        ROOM_LIMITER.refund("room", count)
    if SHARED:
        for key in _own_keys(request):
            LIMITER.refund(key, count)


def _own_keys(request: gr.Request) -> tuple[str, str]:
    """A person's allowance on a shared server: their session and their address, each counted."""
    client = getattr(getattr(request, "client", None), "host", None) or "?"
    return f"session:{getattr(request, 'session_hash', '?')}", f"ip:{client}"


#: What a grid of takes hears when the allowance left is smaller than the grid (``{what}``: the credential).
_GRID_ROOM = (
    "This room has {left} of its {limit} generations per hour left on the shared key, and these takes need "
    "{count}: nothing was sent. Choose fewer models, or try again in {wait}."
)
_GRID_OWN = (
    "This demo allows {{limit}} generations per hour per person on its shared {what}: you have {{left}} left, "
    "and these takes need {{count}}. Nothing was sent. Choose fewer models, try again in {{wait}}, or paste your "
    "own {what} above."
)


def shared_left(request: gr.Request) -> int | None:
    """How many generations this person may still make on the server's credential this hour: the smaller of
    the room's allowance and, on a shared server, their own; None when nothing caps it."""
    left = []
    if ROOM_LIMITER is not None:
        left.append(ROOM_LIMITER.limit - ROOM_LIMITER.used("room"))
    if SHARED:
        client = getattr(getattr(request, "client", None), "host", None) or "?"
        for key in (f"session:{getattr(request, 'session_hash', '?')}", f"ip:{client}"):
            left.append(LIMITER.limit - LIMITER.used(key))
    return max(0, min(left)) if left else None


def token_problem(service: str, raw: str | None) -> str | None:
    """What is wrong with a credential pasted in ``service``'s box, in words that never repeat it; None when usable or empty.

    The check the backend makes before a call (``clean_token``: stray spaces, line breaks, and
    the shape of another service's credential), run when it is pasted.
    """
    from music01_core.models import SERVICES
    from music01_core.providers.base import clean_token

    if not (raw or "").strip():
        return None
    try:
        clean_token(SERVICES[service], raw)
    except InputError as exc:
        return str(exc)
    return None


def pasted_key_problem(api_key: str | None) -> str | None:
    """What is wrong with a pasted AI/ML API key, in words that never repeat it; None when it is usable or empty.

    The same check the API backend makes before a call, run when the key is pasted: a stray
    space or line break — or a Replicate token in this box — is then said at once, not at Generate.
    """
    return token_problem(KEY_SERVICE, api_key)


def token_status(service: str, raw: str | None) -> str:
    """The line under a credential box: empty while it is usable (or not pasted), else what to fix."""
    problem = token_problem(service, raw)
    if problem is None:
        return ""
    return f"❌ {problem[:1].upper()}{problem[1:]} Until then, Generate stops with this message."


def key_status(api_key: str | None) -> str:
    """The line under the AI/ML API key box: empty while the key is usable (or not pasted), else what to fix."""
    return token_status(KEY_SERVICE, api_key)


def display_name(m) -> str:
    """How the page names a model: its id, or its MiniMax name when the id carries its provider ("music-01")."""
    return m.family if m.id != m.remote_id else m.id


def banner_text(tokens: dict[str, str | None] | None = None, model_id: str | None = None) -> str:
    """The status line: which service makes the chosen model, with whose credential (``tokens``: service → pasted)
    — or the offline engine."""
    from music01_core.models import get_model, get_service

    m = get_model(model_id)
    service = get_service(m.provider)
    label = service.label if service is not None else m.provider
    word = _credential_word(service)
    name = f"**{display_name(m)}**" + ("" if m.live else " (legacy: retired by the provider in August 2026)")
    source = credential_source(m.id, tokens)
    if source == "pasted":
        raw = pasted_tokens(tokens)[m.provider]
        if token_problem(m.provider, raw) is not None:
            return (
                f"⚠️ {name} via **{label}** — the {word} you pasted cannot be used as it is: see under the {word} box."
            )
        return f"🔑 {name} via **{label}** — using the {word} you pasted (kept only in this browser session)."
    if source == "server":
        limit = f" Shared demo {word}: {GENERATIONS_PER_HOUR} generations per hour per person." if SHARED else ""
        if ROOM_GENERATIONS_PER_HOUR > 0:
            limit += f" This room: {ROOM_GENERATIONS_PER_HOUR} per hour in all."
        return f"🎵 {name} via **{label}**.{limit}"
    ref = "your reference" if m.takes_reference else "a built-in example your style prompt picks"
    what = credential_phrase(service)
    paste = f"paste {'an' if what[:1] in 'AEIOU' else 'a'} {what}"
    return (
        f"🧪 **offline engine ({offline_reason(m)}) — not {display_name(m)}.** It makes music on this machine from "
        f"{ref}, following the model's rules; {paste} below to use the real model."
    )


def credential_phrase(service) -> str:
    """What a service's credential is called in full: "AI/ML API key", "Replicate API token"."""
    if service is None:
        return "API key"
    if service.label.endswith("API") and service.token_name.startswith("API "):
        return f"{service.label}{service.token_name[3:]}"
    return f"{service.label} {service.token_name}"


def _credential_word(service) -> str:
    """ "key" (the AI/ML API's API key) or "token" (Replicate's API token)."""
    return (service.token_name.split()[-1] if service is not None else "key").lower()


def offline_reason(model_id) -> str:
    """Why the offline engine stands in for a model: "no API key" (the AI/ML API), "no Replicate token"."""
    from music01_core.models import get_model, get_service

    m = get_model(model_id)
    service = get_service(m.provider)
    if service is None or service.name == KEY_SERVICE:
        return "no API key"
    return f"no {service.label} {_credential_word(service)}"


def served_dir() -> Path:
    """Where copies handed to browsers live (one random folder per file); swept on a shared server."""
    import tempfile

    return Path(os.environ.get("GRADIO_TEMP_DIR") or Path(tempfile.gettempdir()) / "gradio") / "music01"


def _resolve_job(home: Path, job) -> bool:
    """The cleanup's last try for an old pending job: fetch and save it with the server's credentials."""
    from music01_core.backends import ApiBackend

    if not server_services():
        return False
    ApiBackend(home=home).resume(job.generation_id, wait_s=5)
    return True


def start_cleanup(every_s: float = 6 * 3600) -> threading.Thread | None:
    """On a shared server: sweep old sessions and served copies now and every ``every_s``."""
    from music01_core.cleanup import sweep, ttl_days_from_env

    if not SHARED:
        return None
    ttl = ttl_days_from_env()

    def loop():
        while True:
            try:
                sweep(data_home(), ttl_days=ttl, served_dir=served_dir(), resolve=_resolve_job)
            except Exception:  # a failed sweep only costs disk space
                logger.exception("cleanup failed")
            time.sleep(every_s)

    t = threading.Thread(target=loop, name="music01-cleanup", daemon=True)
    t.start()
    logger.info("shared server: sessions and served files unchanged for %g days are removed", ttl)
    return t


def server_backend():
    """The backend of the server's own credentials (its data folder), or None when it has none.

    For what the server reads in the background (the provider's model list) and what only the teacher
    sees (the shared key's balance and spend): never handed to a person's session.
    """
    from music01_core.backends import ApiBackend

    if not server_services():
        return None
    try:
        return ApiBackend(home=data_home(), publisher=PUBLISHER)
    except Music01Error as exc:  # a mistyped server credential is said at start (CONFIG_PROBLEMS)
        logger.info("no server backend: %s", type(exc).__name__)
        return None


def _check_listings(backend) -> None:
    """Read the provider's model list of each service ``backend`` has a credential for; log when, never the key."""
    try:
        for name, listing in backend.check_listings().items():
            logger.info("%s: %s", name, listing.checked_words())
    except Exception:  # the list only adds words to the page: a failure costs nothing else
        logger.info("model list not read", exc_info=True)


def start_listing_refresh(every_s: float = 3600.0) -> threading.Thread | None:
    """With a server credential: read the provider's model list in a daemon thread, now and every ``every_s``.

    Nothing waits on it: the page reads the copy on disk (``model list not checked`` until there is
    one).  A copy younger than the catalogue's ``MAX_AGE_S`` is not read again (a 304 when it is).
    """
    backend = server_backend()
    if backend is None:
        return None

    def loop():
        while True:
            _check_listings(backend)
            time.sleep(every_s)

    t = threading.Thread(target=loop, name="music01-model-list", daemon=True)
    t.start()
    return t


#: A pasted key may start one background read of the list at a time, at most every few minutes.
_PASTED_REFRESH = {"lock": threading.Lock(), "last": float("-inf")}
PASTED_REFRESH_EVERY_S = 300.0


def refresh_listings_soon(tokens: dict[str, str | None] | None) -> threading.Thread | None:
    """A session with its own pasted credential: read the model list once in the background (never waited on).

    Only when the credential is usable and no read started in the last few minutes; the list is read
    without any credential, so whose key started it does not matter.
    """
    pasted = {n: raw for n, raw in pasted_tokens(tokens).items() if token_problem(n, raw) is None}
    if not pasted:
        return None
    state = _PASTED_REFRESH
    if time.monotonic() - state["last"] < PASTED_REFRESH_EVERY_S or not state["lock"].acquire(blocking=False):
        return None
    try:
        backend, _ = open_session_backend(pasted, None)
    except Music01Error:
        state["lock"].release()
        return None
    state["last"] = time.monotonic()

    def once():
        try:
            _check_listings(backend)
        finally:
            state["lock"].release()

    t = threading.Thread(target=once, name="music01-model-list-once", daemon=True)
    t.start()
    return t


def serve_copy(path: str | Path | None) -> str | None:
    """A copy of ``path`` in Gradio's own file cache, under a fresh random folder.

    The data directory itself is never served: a browser can fetch only files handed to
    its own session, at unguessable paths.
    """
    import secrets
    import shutil

    if not path:
        return None
    cache = served_dir()
    cache.mkdir(parents=True, exist_ok=True)
    # 128 random bits in the path: a link is a capability no other session can guess
    # (mkdtemp's 8 characters are about 41 bits).
    folder = cache / secrets.token_hex(16)
    folder.mkdir(mode=0o700)
    out = folder / Path(path).name
    shutil.copyfile(path, out)
    return str(out)


def friendly(fn):
    """Turn library errors into messages that say what to fix; never show a traceback."""
    from music01_core.errors import JobPendingError

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        # A person's mistake is not the server's: one log line each, no traceback in the
        # operator's log (Gradio prints one for every gr.Error unless told not to).
        try:
            return fn(*args, **kwargs)
        except gr.Error as exc:
            exc.print_exception = False
            logger.info("%s: told the person: %s", fn.__name__, exc.title or "error")
            raise
        except JobPendingError as exc:
            logger.info("%s: job still pending", fn.__name__)
            raise gr.Error(
                str(exc).replace("`music01 resume", "the History tab's Resume, or `music01 resume"),
                title="Answer lost — not sent again"
                if exc.status == "answer lost"
                else "Still running at the provider",
                print_exception=False,
            ) from None
        except Music01Error as exc:
            logger.info("%s: %s", fn.__name__, type(exc).__name__)
            raise gr.Error(
                str(exc),
                title="Please check" if isinstance(exc, InputError) else "The service failed",
                print_exception=False,
            ) from None
        except Exception:
            logger.exception("unexpected error in %s", fn.__name__)
            raise gr.Error(
                "Something unexpected went wrong (it was logged on the server). Please try again.",
                print_exception=False,
            ) from None

    return wrapper
