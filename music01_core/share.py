"""Short-lived, unguessable links to prepared clips, for a provider that takes only URLs.

When the app runs at a public address (``SPACE_HOST`` on Hugging Face Spaces, or
``MUSIC01_PUBLIC_URL``), :class:`LinkPublisher` copies a prepared clip under a random
token and hands out ``<public base>/music01/ref/<token>/<name>``; the app serves that path
(:meth:`LinkPublisher.resolve`) until the link expires.  Nothing else under the data
directory is reachable this way.
"""

from __future__ import annotations

import json
import logging
import os
import re
import secrets
import shutil
import time
from pathlib import Path

from .settings import ENV_PUBLIC_URL, LINK_TTL_S

logger = logging.getLogger(__name__)

__all__ = ["LinkPublisher", "public_base_url", "LINK_ROUTE"]

#: The app's route for published clips (``{token}`` and ``{name}`` are filled in).
LINK_ROUTE = "/music01/ref/{token}/{name}"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{32,64}$")


def public_base_url() -> str | None:
    """The app's public address: ``MUSIC01_PUBLIC_URL``, else ``https://$SPACE_HOST``, else None."""
    explicit = os.environ.get(ENV_PUBLIC_URL, "").strip().rstrip("/")
    if explicit:
        return explicit
    host = os.environ.get("SPACE_HOST", "").strip()
    return f"https://{host}" if host else None


class LinkPublisher:
    """Publish clips at random, expiring paths.

    Parameters
    ----------
    root : path-like
        Where published copies live (one folder per token).
    base_url : str
        The public address the provider will fetch from.
    ttl_s : float
        Seconds a link stays valid.
    clock : callable
        ``time.time`` (tests pass a fake).
    """

    def __init__(self, root: str | os.PathLike, base_url: str, *, ttl_s: float = LINK_TTL_S, clock=time.time) -> None:
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")
        self.ttl_s = ttl_s
        self._clock = clock

    def publish(self, path: str | os.PathLike) -> str:
        """Copy ``path`` under a fresh token and return its public URL."""
        from .storage import atomic_copy, atomic_write_json

        self.cleanup()
        token = secrets.token_urlsafe(32)
        src = Path(path)
        name = "reference" + src.suffix.lower()
        atomic_copy(src, self.root / token / name)
        atomic_write_json(self.root / token / "link.json", {"expires": self._clock() + self.ttl_s, "name": name})
        return self.base_url + LINK_ROUTE.format(token=token, name=name)

    def link(self, ref):
        """A :class:`~music01_core.references.Reference` of kind ``link`` for a local one."""
        from dataclasses import replace

        return replace(ref, kind="link", value=self.publish(ref.local_path or ref.value))

    def resolve(self, token: str, name: str | None = None) -> Path | None:
        """The file behind a live token, or None (unknown, malformed or expired)."""
        if not _TOKEN_RE.match(token or ""):
            return None
        folder = self.root / token
        try:
            meta = json.loads((folder / "link.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if self._clock() > float(meta.get("expires", 0)):
            shutil.rmtree(folder, ignore_errors=True)
            return None
        if name is not None and name != meta.get("name"):
            return None
        path = folder / str(meta.get("name"))
        return path if path.is_file() else None

    def cleanup(self) -> int:
        """Delete expired links; return how many."""
        if not self.root.exists():
            return 0
        gone = 0
        now = self._clock()
        for folder in self.root.iterdir():
            try:
                meta = json.loads((folder / "link.json").read_text(encoding="utf-8"))
                expired = now > float(meta.get("expires", 0))
            except (OSError, ValueError):
                expired = folder.is_dir() and now - folder.stat().st_mtime > self.ttl_s
            if expired:
                shutil.rmtree(folder, ignore_errors=True)
                gone += 1
        return gone
