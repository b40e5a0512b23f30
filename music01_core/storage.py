"""Small, safe file storage helpers: atomic writes and an inter-process lock."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import threading
from pathlib import Path

__all__ = ["atomic_write_bytes", "atomic_write_json", "atomic_copy", "file_lock", "output_file"]

_thread_locks: dict[str, threading.Lock] = {}
_guard = threading.Lock()


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` to ``path`` so that readers see the old or the new file, never half of one."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def atomic_copy(src: str | os.PathLike, dst: str | os.PathLike) -> None:
    """Copy ``src`` to ``dst`` so that readers see the old file or the whole new one.

    The temporary name is unique per writer: threads of one server may store the same
    clip at once.
    """
    dst = Path(dst)
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dst.name}.", suffix=".tmp", dir=dst.parent)
    os.close(fd)
    try:
        shutil.copyfile(src, tmp)
        os.replace(tmp, dst)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def output_file(path: str | os.PathLike, *, default_name: str, overwrite: bool = True) -> Path:
    """Where to write an output a person named, as ``cp`` reads a destination.

    An existing folder means ``folder/default_name``; otherwise ``path`` itself, whose folder
    must exist (a typo must not silently create ``/no/such/dir``).

    Parameters
    ----------
    path : path-like
        What the person gave (``-o``).
    default_name : str
        The file name to use inside a folder.
    overwrite : bool
        False: an existing file is refused (a paid piece is not written over a file by surprise).

    Raises
    ------
    OutputPathError
        The folder does not exist, or (``overwrite=False``) the file does.
    """
    from .errors import OutputPathError

    out = Path(path)
    if out.is_dir():
        out = out / default_name
    folder = out.parent
    if not folder.is_dir():
        raise OutputPathError(
            f"the folder {folder} does not exist: create it first (mkdir) or choose an output in an existing folder."
        )
    if out.is_dir():
        raise OutputPathError(f"{out} is a folder: choose a file name for the output.")
    if not overwrite and out.exists():
        raise OutputPathError(f"{out} already exists: choose another output name, or add --force to replace it.")
    return out


def atomic_write_json(path: str | os.PathLike, obj) -> None:
    """Write ``obj`` as JSON atomically."""
    atomic_write_bytes(path, json.dumps(obj, ensure_ascii=False, indent=1).encode("utf-8"))


@contextlib.contextmanager
def file_lock(path: str | os.PathLike):
    """Hold an exclusive lock on ``path`` (a lock file) across threads and processes."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _guard:
        tlock = _thread_locks.setdefault(str(path), threading.Lock())
    with tlock:
        with open(path, "a+b") as f:
            try:
                import fcntl

                fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            except ImportError:  # pragma: no cover - Windows: msvcrt locks a byte range
                import msvcrt

                msvcrt.locking(f.fileno(), msvcrt.LK_LOCK, 1)
            try:
                yield
            finally:
                try:
                    import fcntl

                    fcntl.flock(f.fileno(), fcntl.LOCK_UN)
                except ImportError:  # pragma: no cover
                    pass
