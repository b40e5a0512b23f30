"""What every companion notebook does first, as one call: :func:`notebook_setup`.

This module is an entry point for notebooks, like :mod:`music01_core.cli` is for the shell:
it prints what a person needs to see (which backend, which model, what a cell will cost).
The library modules it calls never print.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .models import DEFAULT_MODEL, get_model

logger = logging.getLogger(__name__)

__all__ = ["NotebookSession", "notebook_setup", "notebook_emulator"]


@dataclass
class NotebookSession:
    """What a notebook works with after :func:`notebook_setup`.

    Attributes
    ----------
    backend : Backend
        The API (a key is set and ``offline`` is False) or the offline engine.
    model : str
        The notebook's model.
    work : Path
        A folder relative to the notebook (no machine paths end up in saved outputs).
    reference_url : str
        ``MUSIC01_REFERENCE_URL``: a public WAV/MP3 for URL-only models with a real key.
    started : float
        Unix time of the setup; :meth:`mine` lists what was made since.
    """

    backend: object
    model: str
    work: Path
    reference_url: str = ""
    started: float = field(default_factory=time.time)

    @property
    def billed(self) -> bool:
        """True when generations go to the AI/ML API and spend credits."""
        return not self.backend.offline and not self.backend.local_service

    def cost(self, generations: int, model=None) -> str:
        """Say, before a cell generates, what it will cost; returns the sentence it printed."""
        from .room import estimate_cost

        m = get_model(model or self.model)
        if self.backend.offline:
            text = f"Offline engine: this cell makes {generations} piece(s) here, for free."
        elif not self.billed:
            text = f"This cell sends {generations} generation(s) to a local emulator: nothing is billed."
        else:
            est = estimate_cost(m, generations, data_home=self.backend.home)
            text = f"💳 Billed: {est.describe()}"
        print(text)
        return text

    def export_mine(self, path: str | os.PathLike) -> Path:
        """A zip of :meth:`mine` only: this notebook's takes, not the whole history."""
        from .history import History

        return History(self.backend.home).export_zip(path, entries=self.mine())

    def mine(self) -> list:
        """The history entries this notebook run made (newest first), not the app's or other notebooks'."""
        from .history import History

        return [e for e in History(self.backend.home).list() if e.created >= self.started - 1]

    def __repr__(self) -> str:
        lines = [f"Using: {self.backend.label} · model: {self.model}"]
        if not self.backend.offline:
            lines.append(
                "With a key, the cells marked 'billed' spend credits; each says how much before it runs. "
                "Set OFFLINE = True in the first cell to stay offline."
            )
        else:
            lines.append("Nothing is billed: the offline engine follows the model's rules, but it is not the model.")
        return "\n".join(lines)


def notebook_setup(
    *, model: str = DEFAULT_MODEL, offline: bool = False, workdir: str | os.PathLike = "notebook-output"
) -> NotebookSession:
    """Open the backend a notebook uses and say which it is.

    Parameters
    ----------
    model : str
        The notebook's model (default ``minimax-music``).
    offline : bool
        True: the offline engine even with a key set (the same as ``MUSIC01_BACKEND=offline``).
    workdir : path-like
        Where the notebook writes its files, relative to the notebook.

    Returns
    -------
    NotebookSession
        Its ``repr`` is the banner: the backend and the model.
    """
    from .backends import open_backend

    # tqdm (pulled in by a dependency) prints a hint with a local file path in notebooks.
    warnings.filterwarnings("ignore", message="IProgress not found")
    get_model(model)  # an unknown model is a clear error here, not three cells later
    backend = open_backend("offline" if offline else None)
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    session = NotebookSession(
        backend=backend, model=model, work=work, reference_url=os.environ.get("MUSIC01_REFERENCE_URL", "")
    )
    print(repr(session))
    return session


_EMULATOR = None


def notebook_emulator(*, key: str, latency_s: float = 3.0):
    """The notebook's loopback emulator: started once, reset (no faults, counters at 0) on every call.

    Re-running the cell that calls it never starts a second server and never carries
    faults queued by an earlier run into the next one.
    """
    from .emulator import EmulatorServer

    warnings.filterwarnings("ignore", message="IProgress not found")  # as in notebook_setup
    global _EMULATOR
    em = _EMULATOR
    if em is not None and (em._thread is None or not em._thread.is_alive() or em.state.key != key):
        em.stop()
        em = None
    if em is None:
        em = EmulatorServer(host="127.0.0.1", key=key, latency_s=latency_s).start()
        _EMULATOR = em
        print(f"emulator started on 127.0.0.1, port {em.port}")
    else:
        em.reset()
        em.state.latency_s = latency_s
        print("emulator already running: reset (no faults queued, counters at 0)")
    return em
