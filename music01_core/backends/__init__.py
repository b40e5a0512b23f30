"""Backends: the same two calls, offline or over the music-01 API."""

from __future__ import annotations

import logging
import os

from ..errors import InputError
from ..models import SERVICES
from ..settings import ENV_API_KEYS, ENV_BACKEND
from .base import Backend, GenerationResult, UploadResult
from .offline import OfflineBackend

logger = logging.getLogger(__name__)

__all__ = [
    "Backend",
    "GenerationResult",
    "UploadResult",
    "OfflineBackend",
    "ApiBackend",
    "open_backend",
    "api_key_from_env",
    "tokens_in_env",
    "MODES",
]


def __getattr__(name: str):
    # The API backend pulls in requests; load it only when someone asks for it.
    if name == "ApiBackend":
        from .api import ApiBackend

        return ApiBackend
    raise AttributeError(name)


MODES = ("auto", "offline", "api")


def api_key_from_env() -> str | None:
    """The API key from ``AIML_API_KEY`` or ``AIMLAPI_API_KEY``, or None."""
    for name in ENV_API_KEYS:
        value = os.environ.get(name, "").strip()
        if value:
            return value
    return None


def tokens_in_env() -> tuple[str, ...]:
    """The services (``models.SERVICES`` keys) whose credential is set in the environment."""
    return tuple(s.name for s in SERVICES.values() if any(os.environ.get(n, "").strip() for n in s.token_envs))


def open_backend(
    mode: str | None = None,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    home: str | os.PathLike | None = None,
) -> Backend:
    """Open a backend.

    Parameters
    ----------
    mode : {"auto", "offline", "api"}, optional
        Default ``MUSIC01_BACKEND`` or ``"auto"``: the services whose key or token is set (each
        model falls back to the offline engine when its own service has none), else offline.
    api_key, base_url : str, optional
        For the API backend; default from the environment.
    home : path-like, optional
        Data directory (default ``MUSIC01_HOME``).
    """
    mode = (mode or os.environ.get(ENV_BACKEND) or "auto").strip().lower()
    if mode not in MODES:
        raise InputError(f"backend must be auto, offline or api, not {mode!r}.")
    key = api_key or api_key_from_env()
    if mode == "offline" or (mode == "auto" and not key and not tokens_in_env()):
        return OfflineBackend(home=home)
    from .api import ApiBackend

    return ApiBackend(api_key=key, base_url=base_url, home=home)
