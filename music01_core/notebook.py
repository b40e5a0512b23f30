"""What every companion notebook does first, as one call: :func:`notebook_setup`.

This module is an entry point for notebooks, like :mod:`music01_core.cli` is for the shell:
it prints what a person needs to see (which backend, which model, where each model runs,
what a cell will cost, what a piece cost). The library modules it calls never print.
"""

from __future__ import annotations

import logging
import os
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from .models import DEFAULT_MODEL, MODELS, get_model, get_service, resolve_model

logger = logging.getLogger(__name__)

__all__ = ["NotebookSession", "notebook_setup", "notebook_emulator"]


@dataclass
class NotebookSession:
    """What a notebook works with after :func:`notebook_setup`.

    Attributes
    ----------
    backend : Backend
        The API client (a key or token is set and ``offline`` is False) or the offline engine.
        A model whose service has no credential runs on the offline engine (:meth:`runs_on`).
    model : str
        The notebook's model: the row of the table (``replicate/minimax/music-01``…).
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
        """True when the notebook's model goes to its real service and is paid for."""
        return self.billed_for(self.model)

    def billed_for(self, model=None) -> bool:
        """True when ``model`` (default the notebook's) goes to its real service, not the offline engine or an emulator."""
        m = get_model(model or self.model)
        return not self.backend.offline_for(m) and not self._local(m)

    def _local(self, m) -> bool:
        """Whether ``m``'s service runs on this machine (an emulator)."""
        from .references import is_loopback_url

        cred = self.backend.credential(m.provider)
        return is_loopback_url(cred.base_url) if cred is not None else bool(self.backend.local_service)

    def runs_on(self, model=None) -> str:
        """Where ``model``'s pieces are made: its service, a local emulator of it, or the offline engine (and why).

        Parameters
        ----------
        model : str or Model, optional
            Default: the notebook's model.

        Returns
        -------
        str
            E.g. "Replicate", "a local emulator of Replicate (nothing is billed)",
            "the offline engine (no Replicate token)".
        """
        m = get_model(model or self.model)
        service = get_service(m.provider)
        if self.backend.offline_for(m):
            if service is None:
                return "the offline engine"
            if m.provider in _tokens_in_env():
                return "the offline engine (the offline switch is on)"
            return f"the offline engine (no {_token_words(service)})"
        label = service.label if service is not None else self.backend.label
        return f"a local emulator of {label} (nothing is billed)" if self._local(m) else label

    def notice(self, model=None) -> str:
        """The per-model offline notice of ``model`` (default the notebook's); "" when it runs on its service.

        E.g. "no Replicate token: music-01 · Replicate runs on the offline engine".
        """
        m = get_model(model or self.model)
        if not self.backend.offline_for(m):
            return ""
        service = get_service(m.provider)
        name = _short(m)
        if service is None:
            return f"{name} runs on the offline engine"
        if m.provider in _tokens_in_env():
            return f"the offline switch is on: {name} runs on the offline engine, even with {service.token_envs[0]} set"
        return f"no {_token_words(service)}: {name} runs on the offline engine"

    def cost(self, generations: int, model=None) -> str:
        """Say, before a cell generates, what it will cost; returns the sentence it printed.

        Parameters
        ----------
        generations : int
            How many pieces the cell makes.
        model : str or Model, optional
            Default: the notebook's model.

        Returns
        -------
        str
            Free (the offline engine, or an emulator), or billed: credits for the AI/ML API,
            the list price with its source for a service that reports no cost (Replicate).
        """
        m = get_model(model or self.model)
        if self.backend.offline:
            text = f"Offline engine: this cell makes {generations} piece(s) here, for free."
        elif self.backend.offline_for(m):
            text = f"Offline engine ({self.notice(m)}): this cell makes {generations} piece(s) here, for free."
        elif self._local(m):
            text = f"This cell sends {generations} generation(s) to a local emulator: nothing is billed."
        else:
            price = self.backend.price_for(m)
            text = f"💳 Billed by {_service_label(m)}: {generations} generation(s) of {_short(m)}, {price.words(generations)}."
            if not price.known:
                text += " See the model's page before you run."
            elif m.provider == "replicate":
                text += f" {_service_label(m)} reports no cost: the piece shows its predict time."
            listing = self.backend.listing_for(m)
            if listing is not None and listing.listed(m) is False:
                text += (
                    f" ⚠ {m.id} is no longer listed by the provider ({listing.checked_words()}): it will be refused."
                )
        print(text)
        return text

    def summary(self, piece) -> str:
        """Say what a piece is, who made it and what it cost; returns the line it printed.

        Parameters
        ----------
        piece : GenerationResult
            What ``backend.make`` returned.

        Returns
        -------
        str
            Length, format, maker, model, then the cost: credits (and dollars spent) from the
            AI/ML API; the list price and ``predict_time`` from a service that reports no cost
            (Replicate: never "spent"); "nothing billed" for the offline engine or an emulator.
        """
        m = MODELS.get(piece.model)
        if piece.backend == "offline" or m is None:
            maker, free = "the offline engine", True
        else:
            maker, free = self.runs_on(m), self._local(m)
        parts = [f"{piece.duration_s:.1f} s of {piece.format} from {maker}" + (f" · {_short(m)}" if m else "")]
        if piece.credits_used:
            spent = f" (${piece.usd_spent} spent)" if piece.usd_spent and not free else ""
            parts.append(f"{piece.credits_used} credits{spent}")
        extra = piece.extra_info or {}
        if extra.get("list_price"):
            parts.append(str(extra["list_price"]))
        if extra.get("predict_time_s"):
            parts.append(f"predict time {float(extra['predict_time_s']):.1f} s")
        if free and len(parts) == 1:
            parts.append("nothing billed")
        text = " · ".join(parts)
        print(text)
        return text

    def write_lyrics(self, theme: str = "", *, mood: str = "", model=None, **options):
        """Write lyrics for a theme and a mood in ``model``'s format (default the notebook's), and show them.

        With an AI/ML API key a chat model writes them: the price is printed before the one billed call. With
        none, music01's offline writer does, and says so.  The draft's count ("412 / 600 characters") and
        where it was kept follow.

        Parameters
        ----------
        theme, mood : str
        model : str or Model, optional
            The music model whose format and limit apply (default: the notebook's).
        **options
            ``chat_model``, ``follow_up`` ("shorter", "another verse", "keep my chorus") with ``draft``, ``seed``,
            ``into_prompt`` with ``prompt``, ``accompaniment`` (:class:`~music01_core.lyrics_writer.LyricsRequest`).

        Returns
        -------
        LyricsDraft
            Its ``text`` goes in the lyrics field as it is.
        """
        m = get_model(model or self.model)
        if self.backend.offline or self.backend.credential("aimlapi") is None:
            print("Offline writer: music01's templates (not a language model) write these, for free.")

        def said(price) -> None:
            print(("💳 " if not price.local else "") + f"Lyrics by {price.chat_model}: {price.words()}")

        draft = self.backend.write_lyrics(theme, mood=mood, model=m.id, on_price=said, **options)
        print(draft.text)
        print(f"{draft.count_words()} · {draft.writer_words()} · {draft.cost_words()}")
        for w in draft.warnings:
            print(f"note: {w}")
        return draft

    def compare(self, prompt: str = "", *, models, lyrics: str = "", seed: int | None = None, **options) -> list:
        """Takes side by side: one prompt (and lyrics, for the models that sing) sent to 2–4 models, once each.

        The plan is printed first — each take, where it runs and its price, and the one total (billed with a
        key: "💳 …") — then the takes are sent, concurrently, and each take's line is printed as it ends.  A
        model the prompt cannot serve (one that needs a reference, a length out of its range…) is refused in
        the plan, and then nothing is sent.

        Parameters
        ----------
        prompt, lyrics : str
        models : sequence of str
            2–4 model ids.
        seed : int, optional
        **options
            By name, for the models that take them (``duration_s=10``, ``negative_prompt="drums"``).

        Returns
        -------
        list of TakeResult
            In the order of ``models``; empty when the plan refused a take (nothing was sent).
        """
        from .takes import plan_takes, run_takes, spent_words
        from .types import MusicRequest

        plan = plan_takes(self.backend, MusicRequest(prompt=prompt, lyrics=lyrics, seed=seed, options=options), models)
        for line in plan.lines()[:-1]:
            print(line)
        print(("💳 " if plan.billed else "") + plan.total_words())
        if not plan.ready:
            print("Nothing was sent: drop the refused model or fix what its line says, then run this cell again.")
            return []
        # The takes end in worker threads; each one's line is printed here, in the cell's own thread, as it ends.
        import queue
        import threading

        ended: queue.Queue = queue.Queue()
        box: dict = {}

        def work() -> None:
            try:
                box["results"] = run_takes(self.backend, plan, on_take=ended.put)
            except BaseException as exc:  # raised below, in the cell's thread
                box["error"] = exc
            finally:
                ended.put(None)

        threading.Thread(target=work, name="music01-compare", daemon=True).start()
        while (take := ended.get()) is not None:
            print(take.line())
        if "error" in box:
            raise box["error"]
        print(spent_words(box["results"]))
        return box["results"]

    def export_mine(self, path: str | os.PathLike) -> Path:
        """A zip of :meth:`mine` only: this notebook's takes, not the whole history."""
        from .history import History

        return History(self.backend.home).export_zip(path, entries=self.mine())

    def mine(self) -> list:
        """The history entries this notebook run made (newest first), not the app's or other notebooks'."""
        from .history import History

        return [e for e in History(self.backend.home).list() if e.created >= self.started - 1]

    def __repr__(self) -> str:
        m = get_model(self.model)
        lines = [f"Using: {self.backend.label} · model: {self.model}"]
        if self.notice(m):
            lines.append(self.notice(m))
            lines.append("Nothing is billed: the offline engine follows the model's rules, but it is not the model.")
        elif self._local(m):
            lines.append(f"{_service_label(m)} here is a local emulator on 127.0.0.1: nothing is billed.")
        else:
            service = get_service(m.provider)
            word = service.token_name.split()[-1] if service is not None else "key"
            lines.append(
                f"With a {word}, the cells marked 'billed' are billed by {_service_label(m)}; each says how much "
                "before it runs. Set OFFLINE = True in the first cell to stay offline."
            )
        listing = None if self.backend.offline_for(m) else self.backend.listing_for(m)
        if listing is not None:
            # What the provider's list says of the model, and when it was read ("model list not checked").
            if listing.listed(m) is False:
                lines.append(
                    f"⚠ {m.id} is no longer listed by the provider ({listing.checked_words()}): choose another."
                )
            else:
                lines.append(listing.checked_words()[0].upper() + listing.checked_words()[1:] + ".")
        return "\n".join(lines)


def _tokens_in_env() -> tuple[str, ...]:
    from .backends import tokens_in_env

    return tokens_in_env()


def _token_words(service) -> str:
    """ "Replicate token", "AI/ML API key"."""
    return f"{service.label} {service.token_name.split()[-1]}"


def _service_label(m) -> str:
    service = get_service(m.provider)
    return service.label if service is not None else m.provider


def _short(m) -> str:
    """ "music-01 · Replicate", "minimax-music · AI/ML API": the model and who serves it."""
    return f"{m.family} · {_service_label(m)}"


def notebook_setup(
    *,
    model: str = DEFAULT_MODEL,
    provider: str | None = None,
    offline: bool = False,
    workdir: str | os.PathLike = "notebook-output",
) -> NotebookSession:
    """Open the backend a notebook uses and say which it is.

    Parameters
    ----------
    model : str
        The notebook's model (default ``minimax-music``). A model two services serve
        (``music-01``, ``minimax/music-2.6``) is the row of the service whose key or token is set.
    provider : str, optional
        The service that must serve it (``"replicate"``), whichever credential is set.
    offline : bool
        True: the offline engine even with a key set (the same as ``MUSIC01_BACKEND=offline``).
    workdir : path-like
        Where the notebook writes its files, relative to the notebook.

    Returns
    -------
    NotebookSession
        Its ``repr`` is the banner: the backend, the model, and where the model runs.
    """
    from .backends import open_backend

    # tqdm (pulled in by a dependency) prints a hint with a local file path in notebooks.
    warnings.filterwarnings("ignore", message="IProgress not found")
    # An unknown model is a clear error here, not three cells later.
    m = resolve_model(model, provider=provider, available=_tokens_in_env())
    backend = open_backend("offline" if offline else None)
    # The provider's list (no key sent, a few seconds at most, at most every 4 h): its prices and
    # what it no longer lists are then known to the cost lines below.
    backend.check_listings()
    work = Path(workdir)
    work.mkdir(parents=True, exist_ok=True)
    session = NotebookSession(
        backend=backend, model=m.id, work=work, reference_url=os.environ.get("MUSIC01_REFERENCE_URL", "")
    )
    print(repr(session))
    return session


_EMULATORS: dict = {}


def notebook_emulator(*, key: str, latency_s: float = 3.0, service: str = "aimlapi"):
    """The notebook's loopback emulator: started once, reset (no faults, counters at 0) on every call.

    Re-running the cell that calls it never starts a second server and never carries
    faults queued by an earlier run into the next one.

    Parameters
    ----------
    key : str
        The key (or, for Replicate, the ``r8_…`` token) it requires: a made-up one, never a real one.
    latency_s : float
        Seconds a generation takes.
    service : {"aimlapi", "replicate"}
        The API it imitates.

    Returns
    -------
    EmulatorServer
        Its ``url`` goes in ``AIML_API_BASE`` / ``REPLICATE_BASE_URL``.
    """
    from .emulator import EmulatorServer

    warnings.filterwarnings("ignore", message="IProgress not found")  # as in notebook_setup
    em = _EMULATORS.get(service)
    if em is not None and (em._thread is None or not em._thread.is_alive() or _emulator_key(em) != key):
        em.stop()
        em = None
    if em is None:
        if service == "replicate":
            em = EmulatorServer(host="127.0.0.1", service=service, token=key, run_s=latency_s).start()
        else:
            em = EmulatorServer(host="127.0.0.1", service=service, key=key, latency_s=latency_s).start()
        _EMULATORS[service] = em
        print(f"emulator started on 127.0.0.1, port {em.port}")
    else:
        em.reset()
        if service == "replicate":
            em.state.run_s = latency_s
        else:
            em.state.latency_s = latency_s
        print("emulator already running: reset (no faults queued, counters at 0)")
    return em


def _emulator_key(em) -> str | None:
    """The key an emulator requires (the AI/ML API's ``key``, Replicate's ``token``)."""
    return getattr(em.state, "key", None) if em.service != "replicate" else em.state.token
