"""A loopback web server for a folder: plays the public host a reference URL points at."""

from __future__ import annotations

import contextlib
import http.server
import threading
from pathlib import Path


@contextlib.contextmanager
def serve_folder(root: Path):
    """Serve ``root`` on 127.0.0.1 for the ``with`` block; yields its base URL."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(root), **k)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{srv.server_address[1]}"
    finally:
        srv.shutdown()


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released): "connection refused"."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
