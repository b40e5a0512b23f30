"""Takes side by side: one idea sent to 2–4 music models, each a normal traced job, with one total shown first.

Two steps, so that nothing is billed before its price is seen:

1. :func:`plan_takes` builds each model's request from one template (the prompt; the lyrics for the
   models that sing; the options each model takes), checks it with ``Client.prepare`` — every check
   runs here, nothing is sent — and prices it with ``Client.price_for``.  A model the template cannot
   serve (one that needs a reference, lyrics too long for it, a length out of its range…) is refused
   *in the plan*, with the check's own message; a plan with a refusal is never sent.
2. :func:`run_takes` sends each take once, through ``Client.run`` (the same traced, send-once,
   saved-before-shown path as any piece), concurrently; a take that fails is reported with its
   message and is never sent again, nor does it re-send the others.  A grid of four is four billed
   calls, never more.

What a take costs is what its provider reported, else its price from the plan; takes on the offline
engine or a local emulator are free.  :func:`keep_take` marks a take the person keeps (every take is
in the history already: a mark beside its record, nothing is moved).

This module knows no client class: it calls the client it is given (``prepare``, ``run``,
``price_for``, ``offline_for``, ``provider_for``, and ``balance`` when there is one).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from .account import Balance
from .errors import InputError, InsufficientCreditsError, JobPendingError, Music01Error
from .models import get_model, get_service, model_label, options_by_name
from .pricing import NONE, Price, _usd
from .settings import CREDITS_PER_USD
from .storage import atomic_write_json
from .types import GenerationResult, Job, MusicRequest

logger = logging.getLogger(__name__)

__all__ = [
    "MIN_TAKES",
    "MAX_TAKES",
    "PlannedTake",
    "TakePlan",
    "TakeResult",
    "TakesShortBalanceError",
    "check_balance",
    "plan_takes",
    "run_takes",
    "spent_words",
    "keep_take",
    "kept_takes",
]

#: How many models one comparison sends to: at least two (else it is a Generate), at most four (one grid row).
MIN_TAKES, MAX_TAKES = 2, 4
#: The file beside a history entry's record that says the person kept it.
KEPT_FILE = "kept.json"


class TakesShortBalanceError(InsufficientCreditsError):
    """The known balance cannot pay for every billed take of a plan: nothing was sent.

    Attributes
    ----------
    balance : Balance
    total_usd : float
        What the plan's billed takes on that service cost together.
    count : int
        How many billed takes that is.
    """

    def __init__(self, balance: Balance, total_usd: float, count: int) -> None:
        self.balance, self.total_usd, self.count = balance, total_usd, count
        super().__init__(
            f"balance {balance.amount()} is below the {count} billed takes' total {_dollars(total_usd, True)}: "
            "top up, or choose fewer or cheaper models; nothing was sent."
        )


@dataclass(frozen=True)
class PlannedTake:
    """One model's take, checked and priced; nothing sent.

    Attributes
    ----------
    model : str
        The model id.
    label : str
        The model's label as the model picker shows it.
    job : Job or None
        What ``Client.run`` sends; None when the take is refused.
    price : Price or None
        One piece's price at its provider (:meth:`Client.price_for`); None when refused.
    billed : bool
        False on the offline engine or a local emulator (nothing is billed there).
    runs_on : str
        "offline engine", "local emulator of AI/ML API", "AI/ML API", "Replicate".
    refused : str or None
        Why it cannot be sent (the check's own message); None when it can.
    notes : tuple of str
        What the template had that this model does not take, and so was left out.
    """

    model: str
    label: str
    job: Job | None = None
    price: Price | None = None
    billed: bool = False
    runs_on: str = ""
    refused: str | None = None
    notes: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether it can be sent."""
        return self.refused is None

    def price_words(self, *, where: bool = True) -> str:
        """ "free (offline engine)", "≈ $0.195 a piece (390,000 credits) · provider's list, checked 10:42",
        "no price figure (model list not checked, none in your history)".

        ``where=False`` leaves out where a free take runs (for a table that has a column for it).
        """
        if not self.ok:
            return "not sent"
        if not self.billed:
            shown = self.price is not None and (self.price.known or self.price.as_listed)
            at = f" · at the provider: {self.price.words()}" if shown else ""
            return (f"free ({self.runs_on})" if where else "free") + at
        return self.price.words() if self.price is not None else "no price figure"

    def line(self, index: int | None = None) -> str:
        """One line for a terminal or a notebook: the model, where it runs, its price or why it is refused."""
        head = f"{index}. " if index is not None else ""
        if not self.ok:
            return f"{head}✗ {self.model}: refused, {self.refused}"
        notes = f" — {'; '.join(self.notes)}" if self.notes else ""
        where = f"{self.runs_on} · " if self.billed else ""  # a free take's words say where it runs
        return f"{head}{self.model} · {where}{self.price_words()}{notes}"

    def to_dict(self) -> dict:
        """For JSON: the model, where it runs, its price, whether it is billed, refused, and the notes."""
        return {
            "model": self.model,
            "label": self.label,
            "runs_on": self.runs_on,
            "billed": self.billed,
            "price": self.price.to_dict() if self.price is not None else None,
            "price_words": self.price_words(),
            "refused": self.refused,
            "notes": list(self.notes),
        }


@dataclass(frozen=True)
class TakePlan:
    """Every take of one comparison, checked and priced, and their total; nothing sent yet.

    Attributes
    ----------
    takes : tuple of PlannedTake
        In the order the models were given.
    prompt, lyrics : str
        The template's shared text, as given.
    """

    takes: tuple[PlannedTake, ...]
    prompt: str = ""
    lyrics: str = ""

    @property
    def ready(self) -> bool:
        """Whether every take can be sent (a plan with a refused take is never sent)."""
        return all(t.ok for t in self.takes)

    @property
    def refused(self) -> tuple[PlannedTake, ...]:
        return tuple(t for t in self.takes if not t.ok)

    @property
    def billed(self) -> tuple[PlannedTake, ...]:
        """The takes that will be billed (not refused, not on the offline engine or a local emulator)."""
        return tuple(t for t in self.takes if t.ok and t.billed)

    @property
    def free(self) -> tuple[PlannedTake, ...]:
        return tuple(t for t in self.takes if t.ok and not t.billed)

    @property
    def unpriced(self) -> tuple[PlannedTake, ...]:
        """Billed takes with no per-piece figure: shown as such, never counted as $0."""
        return tuple(t for t in self.billed if t.price is None or not t.price.known)

    @property
    def total_usd(self) -> float:
        """Dollars for the billed takes that have a figure (the low end of any range)."""
        return sum(t.price.usd_each for t in self.billed if t.price is not None and t.price.known)

    @property
    def total_usd_high(self) -> float:
        """The high end of :attr:`total_usd` (equal to it when no price is a range)."""
        return sum(t.price.usd_high or t.price.usd_each for t in self.billed if t.price is not None and t.price.known)

    @property
    def total_credits(self) -> float:
        """The AI/ML API's credits for the billed takes it prices in credits (the low end)."""
        priced = (t.price for t in self.billed if t.price is not None and t.price.known and t.price.credits)
        return sum(p.usd_each for p in priced) * CREDITS_PER_USD

    @property
    def sources(self) -> tuple[str, ...]:
        """Where the billed takes' figures come from, each once ("provider's list, checked 10:42")."""
        said = []
        for t in self.billed:
            if t.price is not None and t.price.known:
                said.append(t.price.source + (f", {t.price.detail}" if t.price.detail else ""))
        return tuple(dict.fromkeys(said))

    def amount(self) -> str:
        """The total as an amount: "$0.36 (720,000 credits)", "$0.35–$0.37 (…)"; "" when no billed take has a figure."""
        priced = [t for t in self.billed if t.price is not None and t.price.known]
        if not priced:
            return ""
        low, high = self.total_usd, self.total_usd_high
        usd = _usd(low) if abs(high - low) < 1e-12 else f"{_usd(low)}–{_usd(high)}"
        credits_low = self.total_credits
        if not credits_low:
            return usd
        credits_high = sum((t.price.usd_high or t.price.usd_each) for t in priced if t.price.credits) * CREDITS_PER_USD
        cr = f"{credits_low:,.0f}" + (f"–{credits_high:,.0f}" if abs(credits_high - credits_low) >= 0.5 else "")
        part = "" if all(t.price.credits for t in priced) else " for the AI/ML API's takes"
        return f"{usd} ({cr} credits{part})"

    def total_words(self) -> str:
        """The one total people confirm: what is billed, with dollars and credits, where the figures come from,
        and every billed take that has no figure, named (never counted as $0)."""
        if not self.ready:
            names = ", ".join(t.model for t in self.refused)
            return f"Nothing can be sent yet: {names} {'is' if len(self.refused) == 1 else 'are'} refused (see above)."
        n, free = len(self.billed), len(self.free)
        if n == 0:
            where = ", ".join(dict.fromkeys(t.runs_on for t in self.free))
            return f"Free: {free} take{'s' * (free != 1)} on the {where}; nothing is billed."
        parts = []
        amount = self.amount()
        counted = n - len(self.unpriced)
        if amount:
            of = f"{counted} of {n}" if self.unpriced else f"{n}"
            parts.append(f"Total ≈ {amount} for {of} billed generation{'s' * (n != 1)}")
            parts.append(f"sources: {'; '.join(self.sources)}")
        else:
            parts.append(f"Total: no figure for {n} billed generation{'s' * (n != 1)}")
        for t in self.unpriced:
            what = t.price.as_listed if t.price is not None and t.price.as_listed else "no price figure"
            detail = f" ({t.price.detail})" if t.price is not None and t.price.detail else ""
            parts.append(f"{t.model}: {what}{detail}, not in the total")
        if free:
            parts.append(f"{free} more take{'s' * (free != 1)} free ({', '.join(t.model for t in self.free)})")
        return " · ".join(parts) + "."

    def send_words(self) -> str:
        """What the button that sends the plan says: "Send 4 billed generations (≈ $0.36)", "Make 4 takes (free)"."""
        n, free = len(self.billed), len(self.free)
        if n == 0:
            return f"Make {free} takes (free: {', '.join(dict.fromkeys(t.runs_on for t in self.free))})"
        amount = self.amount().split(" (")[0]
        money = f"≈ {amount}" if amount else "no price figure"
        if self.unpriced and amount:
            money += f" + {len(self.unpriced)} with no figure"
        more = f" + {free} free" if free else ""
        return f"Send {n} billed generation{'s' * (n != 1)} ({money}){more}"

    def lines(self) -> list[str]:
        """One line per take, then the total: what a notebook or a terminal prints before anything is sent."""
        return [t.line(i) for i, t in enumerate(self.takes, 1)] + [self.total_words()]

    @property
    def plan_id(self) -> str:
        """A fingerprint of what would be sent and what it costs: the same inputs and prices, the same id.

        An edge shows the plan, then sends only when the person confirms this id, so a change of model,
        text, option or price between the two asks for a new look.
        """
        parts = [_fingerprint(t) for t in self.takes]
        blob = json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]

    def to_dict(self) -> dict:
        """For JSON: each take, the total and its words, and the plan's id."""
        return {
            "plan_id": self.plan_id,
            "ready": self.ready,
            "takes": [t.to_dict() for t in self.takes],
            "billed": len(self.billed),
            "free": len(self.free),
            "total_usd": round(self.total_usd, 6) if self.amount() else None,
            "total_usd_high": round(self.total_usd_high, 6) if self.amount() else None,
            "unpriced": [t.model for t in self.unpriced],
            "sources": list(self.sources),
            "total_words": self.total_words(),
            "send_words": self.send_words() if self.ready else None,
        }


@dataclass(frozen=True)
class TakeResult:
    """One take, made or failed.

    Attributes
    ----------
    model, label : str
    piece : GenerationResult or None
        The piece, saved to the history before it was returned; None when the take failed.
    error : str or None
        What went wrong, in the client's words; the take was not sent again.
    error_kind : str or None
        The error's class name (``JobFailedError``, ``JobPendingError``…).
    generation_id : str or None
        The provider's id of the job (also for a failed or still-running one: ``resume`` takes it).
    duration_s : float or None
        The piece's length in seconds.
    cost_usd : float or None
        Dollars: reported by the provider, else the plan's price; 0.0 for a free take; None when unknown.
    cost_source : {"reported", "price", "free", "no figure"}
    cost_words : str
        What people read ("$0.06 (120,000 credits), reported", "free (offline engine)").
    billed : bool
        Whether the take went to a billing service.
    elapsed_s : float
        Seconds from send to saved (or to the failure).
    """

    model: str
    label: str
    piece: GenerationResult | None = field(default=None, repr=False)
    error: str | None = None
    error_kind: str | None = None
    generation_id: str | None = None
    duration_s: float | None = None
    cost_usd: float | None = None
    cost_source: str = NONE
    cost_words: str = ""
    billed: bool = False
    elapsed_s: float = 0.0

    @property
    def ok(self) -> bool:
        return self.piece is not None

    @property
    def history_id(self) -> str | None:
        return self.piece.history_id if self.piece is not None else None

    @property
    def pending(self) -> bool:
        """Still running at the provider when the wait ended: kept, resumable, not sent again."""
        return self.error_kind == JobPendingError.__name__

    def line(self) -> str:
        """ "stable-audio · 10.0 s wav · free (offline engine)" or "✗ google/lyria2: <message>"."""
        if not self.ok:
            return f"✗ {self.model}: {self.error}"
        p = self.piece
        return f"{self.model} · {p.duration_s:.1f} s {p.format} · {self.cost_words} · history entry {p.history_id}"

    def to_dict(self) -> dict:
        """For JSON: no audio, no path on this machine (``file_name`` only)."""
        p = self.piece
        return {
            "model": self.model,
            "label": self.label,
            "ok": self.ok,
            "error": self.error,
            "error_kind": self.error_kind,
            "generation_id": self.generation_id,
            "history_id": self.history_id,
            "duration_s": self.duration_s,
            "format": p.format if p is not None else None,
            "file_name": Path(p.path).name if p is not None and p.path else None,
            "cost_usd": self.cost_usd,
            "cost_source": self.cost_source,
            "cost_words": self.cost_words,
            "billed": self.billed,
            "credits_used": p.credits_used if p is not None else None,
            "elapsed_s": round(self.elapsed_s, 1),
        }


# --- the plan ------------------------------------------------------------------------------------------


def plan_takes(client, request_template: MusicRequest, models: Sequence[str]) -> TakePlan:
    """Check and price one take per model from one template; nothing is sent.

    Parameters
    ----------
    client : Client
        The client that will send them (its ``prepare`` checks each take; its ``price_for`` prices it).
    request_template : MusicRequest
        The shared prompt, lyrics, options (by name: ``duration_s``, ``negative_prompt``…), seed,
        switches and reference.  Its ``model`` is ignored.  Each model gets what it takes: a model
        with no lyrics field gets no lyrics, a model with no prompt field no prompt, an option only
        to the models that take it (each left out thing is said in the take's ``notes``).
    models : sequence of str
        2–4 distinct model ids (or names ``get_model`` knows).

    Returns
    -------
    TakePlan
        A take the template cannot serve is in it, ``refused``, with the reason; the plan is then not
        :attr:`~TakePlan.ready` and :func:`run_takes` refuses to send it.

    Raises
    ------
    InputError
        Fewer than two or more than four models, one given twice, or an unknown id.
    """
    chosen = [get_model(str(x).strip()) for x in (models or ()) if str(x or "").strip()]
    ids = [m.id for m in chosen]
    twice = next((mid for i, mid in enumerate(ids) if mid in ids[:i]), None)
    if twice is not None:
        raise InputError(f"{twice} is chosen twice: choose each model once (a comparison is of different models).")
    if not MIN_TAKES <= len(chosen) <= MAX_TAKES:
        raise InputError(
            f"choose {MIN_TAKES} to {MAX_TAKES} models to compare, not {len(chosen)}: one prompt goes to each of them."
        )
    takes = tuple(_plan_one(client, request_template, m) for m in chosen)
    return TakePlan(takes, prompt=request_template.prompt or "", lyrics=request_template.lyrics or "")


def _plan_one(client, template: MusicRequest, m) -> PlannedTake:
    """One model's take: its request from the template, checked by ``prepare``, priced; or refused with why."""
    label = model_label(m.id)
    request, notes = _request_for(template, m)
    if m.takes_reference and request.reference is None and not (request.voice_id or request.instrumental_id):
        return PlannedTake(
            m.id,
            label,
            refused=f"{m.id} makes music from a reference track, and this comparison has none: drop it, or "
            "choose a model that makes music from a prompt.",
        )
    try:
        job = client.prepare(request)
    except Music01Error as exc:  # every check, before anything is billed: said in its own words
        return PlannedTake(m.id, label, refused=str(exc), notes=notes)
    offline = bool(client.offline_for(m))
    local = offline or bool(getattr(client.provider_for(m), "local_service", False))
    return PlannedTake(
        m.id,
        label,
        job=job,
        price=_price(client, m, job),
        billed=not local,
        runs_on=_runs_on(m, offline=offline, local=local),
        notes=notes,
    )


def _request_for(template: MusicRequest, m) -> tuple[MusicRequest, tuple[str, ...]]:
    """The template for ``m``: only the fields it takes; and notes on what was left out."""
    notes = []
    lyrics = template.lyrics or ""
    prompt = template.prompt or ""
    if lyrics.strip() and m.lyrics is None:
        inside = " (write them inside the prompt to hear them)" if m.prompt is not None else ""
        notes.append(f"no lyrics field, so no lyrics{inside}")
        lyrics = ""
    if prompt.strip() and m.prompt is None:
        notes.append("no style prompt field, so no prompt")
        prompt = ""
    given = {k: v for k, v in (template.options or {}).items() if v is not None and v != ""}
    options = {k: v for k, v in given.items() if m.option(k) is not None}
    left = [_option_label(k) for k in given if k not in options]
    if left:
        notes.append(f"takes no {' or '.join(left)}: left out")
    setting = template.audio_setting
    if setting is not None and (m.audio_setting is None or setting.format not in m.returns):
        setting = None  # the model's own default output
    request = replace(
        template,
        model=m.id,
        lyrics=lyrics,
        prompt=prompt,
        options=options,
        reference=template.reference if m.takes_reference else None,
        audio_setting=setting,
        is_instrumental=template.is_instrumental and "is_instrumental" in m.flags,
        lyrics_optimizer=template.lyrics_optimizer and "lyrics_optimizer" in m.flags,
        voice_id=template.voice_id if m.gives_ids else None,
        instrumental_id=template.instrumental_id if m.gives_ids else None,
    )
    if template.reference is not None and not m.takes_reference:
        notes.append("takes no reference: it is left out")
    return request, tuple(notes)


def _option_label(name: str) -> str:
    """An option's label as people read it ("length", "negative prompt"), from any row that takes it."""
    spec = next(iter(options_by_name().get(name, {}).values()), None)
    return spec.label if spec is not None else name


def _price(client, m, job: Job) -> Price:
    """One piece's price at ``m``'s provider, for the job's settings; "no figure" when it cannot be read."""
    try:
        return client.price_for(m, settings=_price_settings(job))
    except (Music01Error, OSError, ValueError) as exc:  # a price is never a reason to fail a plan
        logger.info("no price for %s: %s", m.id, exc)
        return Price(None, source=NONE, detail="the price could not be read", credits=m.provider == "aimlapi")


def _price_settings(job: Job) -> dict:
    """The job's output settings as a ``variants`` price names them (``{"audio_setting.audio_sample_rate": 44100}``)."""
    m, setting = job.model, job.audio_setting
    if setting is None or m.audio_setting is None:
        return {}
    sent = setting.to_dict(sample_rate_field=m.audio_setting.sample_rate_field)
    return {f"audio_setting.{k}": v for k, v in sent.items()}


def _runs_on(m, *, offline: bool, local: bool) -> str:
    service = get_service(m.provider)
    label = service.label if service is not None else m.provider
    if offline:
        return "offline engine"
    return f"local emulator of {label}" if local else label


def _fingerprint(t: PlannedTake) -> dict:
    """What of a take decides what is sent and what it costs (never the time a list was read)."""
    if not t.ok:
        return {"model": t.model, "refused": t.refused}
    j = t.job
    ref = getattr(j.reference, "sha256", None) or (repr(j.reference) if j.reference is not None else None)
    return {
        "model": t.model,
        "lyrics": j.lyrics,
        "prompt": j.prompt,
        "options": j.options,
        "seed": j.seed,
        "setting": repr(j.audio_setting),
        "flags": j.flags,
        "reference": ref,
        "ids": [j.voice_id, j.instrumental_id],
        "billed": t.billed,
        "price": [t.price.usd_each, t.price.usd_high, t.price.source] if t.price is not None else None,
    }


# --- sending ---------------------------------------------------------------------------------------------


def run_takes(
    client,
    plan: TakePlan,
    *,
    on_take: Callable[[TakeResult], None] | None = None,
    on_status: Callable[[str, str, float], None] | None = None,
    wait_s: float | None = None,
    max_workers: int | None = None,
) -> list[TakeResult]:
    """Send each take of ``plan`` once, concurrently, through ``client.run``; the results in the plan's order.

    Each take is a normal job of the client: traced, sent once, saved to the history before it is
    returned, its balance checked before it is billed.  A take that fails (refused by the provider,
    failed at the provider, still running when the wait ends…) is reported with its message; it is
    never sent again, and the others go on.

    Parameters
    ----------
    client : Client
        The client the plan was made with.
    plan : TakePlan
        From :func:`plan_takes`; it must be :attr:`~TakePlan.ready`.
    on_take : callable, optional
        Called with each :class:`TakeResult` as it ends (from a worker thread, one call at a time).
    on_status : callable, optional
        Called as ``on_status(model, status, elapsed_s)`` while each job runs.
    wait_s : float, optional
        How long each job is waited for before it is left pending (the client's default otherwise).
    max_workers : int, optional
        How many takes are in flight at once (default: all; 1 sends them in turn).

    Returns
    -------
    list of TakeResult

    Raises
    ------
    InputError
        The plan has a refused take, or no take: nothing was sent.
    TakesShortBalanceError
        The known balance of a service cannot pay for that service's billed takes together: nothing was sent.
    """
    if not plan.takes or not plan.ready:
        names = ", ".join(t.model for t in plan.refused) or "no model"
        raise InputError(f"this comparison cannot be sent as it is ({names} refused): nothing was sent. {_fix_words()}")
    check_balance(client, plan)
    results: list[TakeResult | None] = [None] * len(plan.takes)
    lock = threading.Lock()

    def one(i: int, take: PlannedTake) -> None:
        res = _run_one(client, take, on_status=on_status, wait_s=wait_s)
        results[i] = res
        if on_take is not None:
            with lock:
                try:
                    on_take(res)
                except Exception:  # a display callback never costs a take
                    logger.exception("on_take failed for %s", take.model)

    workers = max(1, min(max_workers or len(plan.takes), len(plan.takes)))
    if workers == 1:
        for i, take in enumerate(plan.takes):
            one(i, take)
    else:
        queue = list(enumerate(plan.takes))
        qlock = threading.Lock()

        def worker() -> None:
            while True:
                with qlock:
                    if not queue:
                        return
                    i, take = queue.pop(0)
                one(i, take)

        threads = [threading.Thread(target=worker, name=f"music01-take-{n}", daemon=True) for n in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    return [r for r in results if r is not None]


def _fix_words() -> str:
    return "Drop the refused model or fix what its message says, then plan again."


def _run_one(client, take: PlannedTake, *, on_status, wait_s) -> TakeResult:
    """One take through ``client.run``: its piece, or its error; never a second send."""
    started = time.monotonic()
    status_cb = None
    if on_status is not None:

        def status_cb(status: str, elapsed_s: float) -> None:
            on_status(take.model, status, elapsed_s)

    try:
        piece = client.run(take.job, wait_s=wait_s, on_status=status_cb)
    except Music01Error as exc:
        logger.info("take %s failed: %s", take.model, type(exc).__name__)
        return TakeResult(
            take.model,
            take.label,
            error=str(exc),
            error_kind=type(exc).__name__,
            generation_id=getattr(exc, "generation_id", None),
            billed=take.billed,
            cost_words=_failed_cost_words(take, exc),
            elapsed_s=time.monotonic() - started,
        )
    except Exception:  # an unexpected failure ends this take only; said without a traceback
        logger.exception("take %s failed unexpectedly", take.model)
        return TakeResult(
            take.model,
            take.label,
            error="an unexpected error stopped this take (it was logged); it was not sent again.",
            error_kind="Exception",
            billed=take.billed,
            elapsed_s=time.monotonic() - started,
        )
    usd, source, words = _cost(take, piece)
    return TakeResult(
        take.model,
        take.label,
        piece=piece,
        generation_id=piece.generation_id,
        duration_s=piece.duration_s,
        cost_usd=usd,
        cost_source=source,
        cost_words=words,
        billed=take.billed,
        elapsed_s=time.monotonic() - started,
    )


def _cost(take: PlannedTake, piece: GenerationResult) -> tuple[float | None, str, str]:
    """(dollars, source, words): reported by the provider, else the plan's price; free off the billing services."""
    reported_usd = _number(piece.usd_spent)
    reported_credits = _number(piece.credits_used)
    said = _reported_words(reported_usd, reported_credits)
    if not take.billed:
        return 0.0, "free", f"free ({take.runs_on})" + (f" · it reports {said}" if said else "")
    if reported_usd is not None or reported_credits is not None:
        usd = reported_usd if reported_usd is not None else reported_credits / CREDITS_PER_USD
        return usd, "reported", f"{said}, reported"
    if take.price is not None and take.price.known:
        return take.price.usd_each, "price", f"≈ {take.price.amount()} (its price; the provider reported none)"
    return None, NONE, "no figure (the provider reported none, and there is no price)"


def _reported_words(usd: float | None, credits: float | None) -> str:
    """ "$0.06 (120,000 credits)", "120,000 credits", "$0.035"; "" when nothing was reported."""
    if usd is None and credits is None:
        return ""
    if usd is None:
        return f"{credits:,.0f} credits"
    return _usd(usd) + (f" ({credits:,.0f} credits)" if credits is not None else "")


def _failed_cost_words(take: PlannedTake, exc: Music01Error) -> str:
    if not take.billed:
        return f"free ({take.runs_on})"
    if isinstance(exc, JobPendingError):
        return "still running at the provider: billed as one generation when it finishes"
    if getattr(exc, "may_be_billed", False) or getattr(exc, "generation_id", None):
        return "sent once; it may have been billed (`music01 spend` reconciles)"
    return "not billed: refused before any work"


def _number(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def check_balance(client, plan: TakePlan) -> None:
    """Refuse, before anything is sent, a plan whose billed takes on one service its known balance cannot pay.

    :func:`run_takes` calls it first; an edge may call it earlier too (before it counts the takes against
    an allowance).  Only where the client reads a balance (the AI/ML API), for two or more priced takes on
    one service; an unreadable or unknown balance refuses nothing (each take's own check in ``Client.run``
    still runs).

    Raises
    ------
    TakesShortBalanceError
    """
    read = getattr(client, "balance", None)
    if read is None:
        return
    by_service: dict[str, list[PlannedTake]] = {}
    for t in plan.billed:
        if t.price is not None and t.price.known:
            by_service.setdefault(get_model(t.model).provider, []).append(t)
    for service, takes in by_service.items():
        if len(takes) < 2:
            continue  # one take: Client.run's own check says it in the same words as a Generate
        try:
            balance = read(service)
        except (Music01Error, OSError, ValueError) as exc:
            logger.info("the balance could not be read before the takes: %s", exc)
            continue
        total = sum(t.price.usd_each for t in takes)
        if isinstance(balance, Balance) and balance.currency.upper() == "USD" and balance.usd < total:
            raise TakesShortBalanceError(balance, total, len(takes))


def spent_words(results: Sequence[TakeResult]) -> str:
    """What the takes cost together, as reported (else priced); and how many failed.

    E.g. "4 takes made · $0.36 (720,000 credits) billed, reported" or "3 of 4 takes made (1 failed) · free".
    """
    made = [r for r in results if r.ok]
    n, failed = len(results), len(results) - len(made)
    head = f"{len(made)} of {n} takes made ({failed} failed)" if failed else f"{n} takes made"
    billed = [r for r in made if r.billed]
    if not billed:
        return f"{head} · free: nothing was billed."
    usd = sum(r.cost_usd for r in billed if r.cost_usd is not None)
    unknown = [r.model for r in billed if r.cost_usd is None]
    sources = sorted({r.cost_source for r in billed if r.cost_usd is not None})
    tail = f" ({', '.join(unknown)}: no figure)" if unknown else ""
    return f"{head} · {_dollars(usd, True)} for {len(billed)} billed ({' and '.join(sources) or 'no figure'}){tail}."


def _dollars(usd: float, credits: bool) -> str:
    return _usd(usd) + (f" ({usd * CREDITS_PER_USD:,.0f} credits)" if credits else "")


# --- keeping a take --------------------------------------------------------------------------------------


def keep_take(history, entry_id: str, *, note: str = "") -> dict:
    """Mark a take as kept: a small record beside its history entry (the entry itself is not changed or moved).

    Every take is in the history already (saved before it was shown); keeping one says "this is the one".

    Parameters
    ----------
    history : History
    entry_id : str
        The take's history entry (``TakeResult.history_id``).
    note : str
        Why, or what it was compared with.

    Returns
    -------
    dict
        The mark: ``{"entry_id", "model", "kept_at", "note"}``.

    Raises
    ------
    InputError
        No such entry in this history.
    """
    entry = history.get(entry_id)
    mark = {"entry_id": entry.id, "model": entry.model, "kept_at": time.time(), "note": (note or "").strip()[:500]}
    atomic_write_json(history.dir / entry.id / KEPT_FILE, mark)
    return mark


def kept_takes(history, entries=None) -> dict[str, dict]:
    """The kept marks of ``history``'s entries (or of ``entries``, already listed), by entry id.

    Unreadable marks are skipped with a warning.
    """
    out = {}
    for e in history.list() if entries is None else entries:
        path = history.dir / e.id / KEPT_FILE
        if not path.exists():
            continue
        try:
            out[e.id] = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            logger.warning("kept mark of %s is unreadable: %s", e.id, exc)
    return out
