"""Keep a shared server's disk bounded: old session folders and served copies are removed.

A hosted demo gives every browser session its own folder (references, history, pending
jobs) under ``<data home>/sessions``, and hands files to browsers as copies in a cache
folder.  Nothing removed them, so a busy Space filled its disk.  :func:`sweep` removes
a session folder once nothing in it has changed for ``ttl_days``
(``MUSIC01_SESSION_TTL_DAYS``, default 7), and served copies of the same age.

A paid job is never thrown away unseen: a session that still has a *pending* job is kept,
and the job is first handed to ``resolve`` (which may fetch and save it); a job that is
still unresolved after the TTL is marked ``expired`` in its record, and the session goes
at the next sweep.
"""

from __future__ import annotations

import logging
import os
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

logger = logging.getLogger(__name__)

__all__ = ["SweepReport", "sweep", "ttl_days_from_env", "DEFAULT_TTL_DAYS"]

DEFAULT_TTL_DAYS = 7.0


@dataclass
class SweepReport:
    """What one :func:`sweep` did (counts, and folders kept because of pending jobs)."""

    sessions_removed: int = 0
    served_removed: int = 0
    jobs_resolved: int = 0
    jobs_expired: int = 0
    kept_pending: list[str] = field(default_factory=list)
    bytes_freed: int = 0


def ttl_days_from_env() -> float:
    """``MUSIC01_SESSION_TTL_DAYS`` as a number of days (default 7; at least one hour)."""
    raw = os.environ.get("MUSIC01_SESSION_TTL_DAYS", "").strip()
    try:
        days = float(raw) if raw else DEFAULT_TTL_DAYS
    except ValueError:
        logger.warning("MUSIC01_SESSION_TTL_DAYS=%r is not a number: using %s days", raw, DEFAULT_TTL_DAYS)
        days = DEFAULT_TTL_DAYS
    return max(days, 1 / 24)


def _last_change(folder: Path) -> float:
    latest = folder.stat().st_mtime
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                latest = max(latest, os.stat(os.path.join(dirpath, name)).st_mtime)
            except OSError:
                continue
    return latest


def _size(folder: Path) -> int:
    total = 0
    for dirpath, _, files in os.walk(folder):
        for name in files:
            try:
                total += os.stat(os.path.join(dirpath, name)).st_size
            except OSError:
                continue
    return total


def sweep(
    data_home: str | os.PathLike,
    *,
    ttl_days: float,
    served_dir: str | os.PathLike | None = None,
    resolve: Callable[[Path, object], bool] | None = None,
    now: float | None = None,
) -> SweepReport:
    """Remove sessions and served copies unchanged for ``ttl_days``.

    Parameters
    ----------
    data_home : path-like
        The app's data folder; sessions live in ``<data_home>/sessions/<id>``.
    ttl_days : float
        Age, in days since the last change, after which a folder goes.
    served_dir : path-like, optional
        The folder of copies handed to browsers (one random sub-folder per file).
    resolve : callable, optional
        ``resolve(session_home, pending_job) -> bool``: try to fetch and save a pending job
        (True when it is saved).  Without it, old pending jobs are only marked expired.
    now : float, optional
        The time (``time.time()``); tests pass a fake clock.

    Returns
    -------
    SweepReport
    """
    now = time.time() if now is None else now
    cutoff = now - ttl_days * 86400
    report = SweepReport()
    _sweep_sessions(Path(data_home) / "sessions", cutoff, ttl_days=ttl_days, resolve=resolve, report=report)
    served = Path(served_dir) if served_dir else None
    for folder in sorted(served.iterdir()) if served and served.is_dir() else []:
        if folder.is_dir() and _last_change(folder) <= cutoff:
            _remove(folder, report)
            report.served_removed += 1
    if report.sessions_removed or report.served_removed or report.jobs_expired:
        logger.info(
            "cleanup: %d sessions and %d served copies removed (%.1f MB), %d jobs resolved, %d expired",
            report.sessions_removed,
            report.served_removed,
            report.bytes_freed / 1e6,
            report.jobs_resolved,
            report.jobs_expired,
        )
    return report


def _remove(folder: Path, report: SweepReport) -> None:
    """Delete ``folder``, counting its bytes as freed."""
    report.bytes_freed += _size(folder)
    shutil.rmtree(folder, ignore_errors=True)


def _sweep_sessions(
    sessions: Path, cutoff: float, *, ttl_days: float, resolve: Callable | None, report: SweepReport
) -> None:
    """Remove the session folders unchanged since ``cutoff``, settling their pending jobs first."""
    from .history import History

    for folder in sorted(sessions.iterdir()) if sessions.is_dir() else []:
        if not folder.is_dir() or _last_change(folder) > cutoff:
            continue
        history = History(folder)
        waiting = [j for j in history.pending() if j.state == "pending"]
        for job in waiting:
            _settle(folder, history, job, ttl_days=ttl_days, resolve=resolve, report=report)
        if waiting:
            # A job was just settled: its session is kept one more period (settling it wrote
            # to the folder), so the person finds the result, or the expiry, where they left it.
            report.kept_pending.append(folder.name)
            continue
        _remove(folder, report)
        report.sessions_removed += 1


def _settle(folder: Path, history, job, *, ttl_days: float, resolve: Callable | None, report: SweepReport) -> None:
    """Hand a pending job to ``resolve``; when that does not save it, mark it expired."""
    saved = False
    if resolve is not None:
        try:
            saved = bool(resolve(folder, job))
        except Exception as exc:  # a failed fetch only postpones the decision
            logger.info("could not resolve job %s during cleanup: %s", job.generation_id, exc)
    if saved:
        report.jobs_resolved += 1
        return
    history.update_pending(
        job.generation_id,
        state="expired",
        error=f"not finished after {ttl_days:g} days: expired by the cleanup",
    )
    report.jobs_expired += 1
