"""The AI/ML API as a client: its key, its address, one HTTP session and the retry policy.

The calls themselves live in the provider adapters (:mod:`music01_core.providers.aimlapi` for
the job models, :mod:`music01_core.providers.aimlapi_music01` for the retired music-01); the
pipeline in :mod:`music01_core.client`.
"""

from __future__ import annotations

import logging
import os
import time

import requests

from ..client import Client
from ..errors import MissingApiKeyError
from ..library import key_fingerprint
from ..models import DEFAULT_MODEL, LEGACY_MODEL, SERVICES
from ..providers.aimlapi import check_job_audio
from ..providers.aimlapi_music01 import MAX_AUDIO_DOWNLOAD_BYTES
from ..providers.base import Credential, credential_from_env
from ..references import is_loopback_url
from ..secret import Secret
from ..settings import DEFAULT_API_BASE, ENV_API_BASES, ENV_API_KEYS
from ..transport import USER_AGENT, auth_headers, error_from_response, jittered_backoff_s
from ..transport import normalize_base_url as _normalize
from ..types import GenerationResult, UploadResult

logger = logging.getLogger(__name__)

# error_from_response and USER_AGENT live in music01_core.transport, check_job_audio in
# music01_core.providers.aimlapi; named here too for code that imported them from this module
# (deprecated: import them from their new homes).
__all__ = [
    "ApiBackend",
    "normalize_base_url",
    "error_from_response",
    "USER_AGENT",
    "check_job_audio",
    "MAX_AUDIO_DOWNLOAD_BYTES",
]


def normalize_base_url(base: str | None) -> str:
    """The AI/ML API's root: no trailing ``/``, ``/v1`` or ``/v2`` (see :func:`music01_core.transport.normalize_base_url`).

    The music paths hang off the host root (``/v2/generate/audio/minimax/…``), so a base
    copied from an OpenAI-style setting (``https://api.aimlapi.com/v1``) still works.
    """
    return _normalize(base, default=DEFAULT_API_BASE, env=ENV_API_BASES[0], key_env=ENV_API_KEYS[0])


class ApiBackend(Client):
    """The client pipeline connected to the AI/ML API (every live model, and the retired music-01).

    Parameters
    ----------
    api_key : str, optional
        Default ``AIML_API_KEY``, else ``AIMLAPI_API_KEY``.
    base_url : str, optional
        Default ``AIML_API_BASE`` / ``AIMLAPI_API_BASE``, else ``https://api.aimlapi.com``.
    home : path-like, optional
        Data directory for the reference library and history.
    connect_timeout_s, read_timeout_s : float
        A short connect timeout; a read timeout long enough for a generation (50–60 s,
        sometimes more).
    max_upload_attempts : int
        Upload tries in all (first try included).
    backoff_s, max_backoff_s : float
        Base and cap of the jittered exponential backoff, in seconds.
    session : requests.Session, optional
    sleep : callable
        ``time.sleep`` (tests pass a recorder).
    publisher : share.LinkPublisher, optional
        Serves prepared clips at short-lived links, for URL-only models (the app, at a public address).
    poll_delays : callable, optional
        Returns an iterator of waits before each poll (default :func:`music01_core.jobs.poll_delays`).
    clock : callable
        ``time.monotonic``.
    log_waits_s : sequence of float, optional
        Waits before each look in the provider's usage log for a submit whose answer was lost
        (default :data:`music01_core.settings.LOGS_WAITS_S`).
    """

    name = "api"

    def __init__(
        self,
        api_key: str | Secret | None = None,
        base_url: str | None = None,
        *,
        tokens: dict | None = None,
        home: str | os.PathLike | None = None,
        history=None,
        library=None,
        connect_timeout_s: float = 10.0,
        read_timeout_s: float = 300.0,
        max_upload_attempts: int = 4,
        backoff_s: float = 1.0,
        max_backoff_s: float = 30.0,
        session=None,
        sleep=time.sleep,
        publisher=None,
        poll_delays=None,
        clock=time.monotonic,
        log_waits_s=None,
    ) -> None:
        credentials = _credentials(api_key, base_url, tokens or {})
        aiml = credentials.get("aimlapi")
        self._key = aiml.token if aiml is not None else None
        env_base = next((os.environ[n] for n in ENV_API_BASES if os.environ.get(n, "").strip()), None)
        self.base_url = aiml.base_url if aiml is not None else normalize_base_url(base_url or env_base)
        super().__init__(home, history=history, library=library, credentials=credentials)
        self.timeout = (connect_timeout_s, read_timeout_s)
        self.max_upload_attempts = max(1, int(max_upload_attempts))
        self.backoff_s, self.max_backoff_s = backoff_s, max_backoff_s
        self.session = session or requests.Session()
        self._sleep = sleep
        self.publisher = publisher  # the app's link publisher, when it runs at a public address
        self._poll_delays = poll_delays  # a factory of poll waits (tests pass short ones)
        self._clock = clock
        self._log_waits = log_waits_s  # waits before each look in the usage log (tests pass short ones)

    @property
    def label(self) -> str:
        """The services this client reaches ("AI/ML API", "Replicate", "AI/ML API + Replicate")."""
        return " + ".join(c.service.label for c in self.credentials.values())

    def __repr__(self) -> str:
        return f"ApiBackend(base_url={self.base_url!r}, api_key=<set>)"

    @property
    def local_service(self) -> bool:
        """True when the service runs on this machine (the emulator): loopback reference URLs then work."""
        return is_loopback_url(self.base_url)

    @property
    def key_fp(self) -> str:
        return key_fingerprint(self._key.reveal()) if self._key is not None else ""

    def _redact(self, text: str) -> str:
        # Real keys are long; a few-character test key would mangle ordinary words.
        for cred in self.credentials.values():
            token = cred.token.reveal()
            if len(token) >= 8 and text:
                text = text.replace(token, "<api key>")
        return text

    def _headers(self) -> dict:
        return auth_headers(self._key)

    def _backoff(self, attempt: int, retry_after: float | None) -> float:
        return jittered_backoff_s(attempt, retry_after, base_s=self.backoff_s, max_s=self.max_backoff_s)

    # --- what tests and older code reach on the backend itself ---------------------------------
    @property
    def jobs(self):
        """The :class:`~music01_core.providers.aimlapi.JobClient` of the job models."""
        return self.provider_for(DEFAULT_MODEL).client

    def _send_generate(self, lyrics, voice_id, instrumental_id, setting, seed) -> GenerationResult:
        """music-01's generate call alone (deprecated: tests of the wire format use it)."""
        return self.provider_for(LEGACY_MODEL)._send_generate(lyrics, voice_id, instrumental_id, setting, seed)

    def upload(self, clip, purpose, *, name=None, use_library=True, send_wav: bool = False) -> UploadResult:
        """music-01 (legacy): upload a clip; WAV clips are sent as MP3 (a fraction of the bytes) unless ``send_wav``."""
        return self.provider_for(LEGACY_MODEL).upload(
            clip, purpose, name=name, use_library=use_library, send_wav=send_wav
        )


def _credentials(api_key, base_url: str | None, tokens: dict) -> dict:
    """The credential of every service that has one: the AI/ML API's from ``api_key`` (else its
    variables), the others' from ``tokens`` (else theirs).  Raises MissingApiKeyError when none has."""
    found: dict[str, Credential] = {}
    for service in SERVICES.values():
        if service.name == "aimlapi":
            cred = credential_from_env(service, api_key, base_url)
        else:
            cred = credential_from_env(service, tokens.get(service.name))
        if cred is not None:
            found[service.name] = cred
    if not found:
        others = " or ".join(f"{s.token_envs[0]} ({s.label})" for s in SERVICES.values() if s.name != "aimlapi")
        raise MissingApiKeyError(
            f"no API key: set {ENV_API_KEYS[0]} (or {ENV_API_KEYS[1]}) to your AI/ML API key"
            + (f", or {others}" if others else "")
            + ", or use the offline engine (--backend offline)."
        )
    return found
