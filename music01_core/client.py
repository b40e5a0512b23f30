"""The one client pipeline every edge calls: check once, route once, send once, keep before showing.

``make(request)`` = ``run(prepare(request))``:

1. **prepare** — the model is looked up once; its text is checked once
   (:func:`~music01_core.lyrics.prepare_text_fields`), its settings settled, its reference
   routed once (:func:`~music01_core.references.route_reference`) for the provider that will
   serve it.  Nothing is sent; every bad input ends here with a message that says what to do.
2. **run** — the adapter's submit is the billed call, sent once.  A provider that answers with
   the finished piece (music-01, the offline engine) has it kept in the history at once (with a
   "sent" record on disk while a billed answer is on the way); a job's id is written to disk as
   a pending record before the first poll, then followed, downloaded, checked and kept.
3. **resume** is step 2 started from a pending record: it never submits.

Which adapter serves a model is the table's business (:func:`music01_core.providers.adapter_name`):
nothing here branches on a model, a protocol or a provider's name.
"""

from __future__ import annotations

import inspect
import logging
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from .account import Balance, ShortBalanceError, Spend, parse_since, reconcile
from .audio import audio_format
from .catalogue import CatalogueClient
from .errors import (
    ApiError,
    BadAudioError,
    InputError,
    InsufficientCreditsError,
    JobError,
    JobNotFoundError,
    JobPendingError,
    MissingApiKeyError,
    Music01Error,
    ProtocolError,
    ReferenceUrlError,
    ResultExpiredError,
    SettingError,
)
from .history import History, PendingJob
from .library import ReferenceLibrary
from .lyrics import prepare_text_fields
from .lyrics_writer import ChatLedger, ChatPrice, LyricsDraft, LyricsRequest
from .models import DEFAULT_MODEL, LEGACY_MODEL, MODELS, default_model, get_model, get_service
from .options import check_options
from .pricing import Price, price_of
from .providers import Provider, adapter_name, open_provider
from .providers.aimlapi import job_failed
from .providers.music01 import check_ids
from .references import is_loopback_url, route_reference
from .settings import (
    BALANCE_TIMEOUT_S,
    DEFAULT_WAIT_S,
    LOGS_WAITS_S,
    POLL_FIRST_S,
    POLL_FRACTION,
    POLL_MAX_S,
    POLL_RETRIES,
    AudioSetting,
    data_home,
)
from .types import GenerationResult, Job, JobStatus, MusicRequest, UploadResult, result_from_entry

logger = logging.getLogger(__name__)

__all__ = ["Client", "poll_delays", "new_client_request_id"]

StatusCallback = Callable[[str, float], None]


def new_client_request_id() -> str:
    """A fresh ``X-Client-Request-Id``: 1–128 characters of ``A–Z a–z 0–9 . _ : -``.

    Any other value is silently dropped by the provider (request-tracing-and-cost.md), and then
    nothing would find the request again.
    """
    return f"music01-{uuid.uuid4().hex}"


def poll_delays(*, first_s: float = POLL_FIRST_S, fraction: float = POLL_FRACTION, max_s: float = POLL_MAX_S):
    """Seconds to wait before each poll (±10 % jitter).

    Each wait is ``fraction`` of the time waited so far, at least ``first_s`` and at most
    ``max_s``: a job that takes L seconds is seen done by about ``(1 + fraction) L`` (or
    ``L + max_s``), with a few dozen polls for a one-minute job.
    """
    waited = 0.0
    while True:
        delay = min(max_s, max(first_s, fraction * waited)) * (0.9 + 0.2 * random.random())
        waited += delay
        yield delay


class Client:
    """Make pieces with any model of the table, through the provider adapter that serves it.

    Subclasses say which service they reach: :class:`~music01_core.backends.api.ApiBackend`
    (the AI/ML API, with a key) and :class:`~music01_core.backends.offline.OfflineBackend`
    (the offline engine, for every model).

    Parameters
    ----------
    home : path-like, optional
        Data directory (default ``MUSIC01_HOME``).
    history, library : optional
        A :class:`~music01_core.history.History` / :class:`~music01_core.library.ReferenceLibrary`
        to use instead of the ones under ``home`` (the app gives each session its own).
    """

    name = "client"
    label = "client"
    base_url = ""
    #: Whether every model is served by the offline engine.
    offline = False
    #: Whether the service runs on this machine, so loopback and private reference URLs reach it.
    local_service = False
    publisher = None
    _sleep = staticmethod(time.sleep)
    _clock = staticmethod(time.monotonic)
    _poll_delays = None
    #: Waits before each look in the provider's usage log (default settings.LOGS_WAITS_S; tests pass short ones).
    _log_waits = None

    def __init__(self, home=None, *, history=None, library=None, credentials: dict | None = None) -> None:
        self.home = Path(home) if home is not None else data_home()
        self.history = history if history is not None else History(self.home)
        self.library = library if library is not None else ReferenceLibrary(self.home)
        self.store = self.home
        #: ``{service name: Credential}``: each adapter reads its own, and sends it only to its own service.
        self.credentials: dict = dict(credentials or {})
        self._providers: dict[str, Provider] = {}

    def credential(self, service: str):
        """The :class:`~music01_core.providers.base.Credential` of ``service``, or None when none is set."""
        return self.credentials.get(service)

    def offline_for(self, model) -> bool:
        """Whether the offline engine stands in for ``model``: all offline, or no credential for its provider.

        The fallback is per model: a Replicate token alone still makes the AI/ML API's models
        play, on the offline engine, and says so.
        """
        m = get_model(model)
        return self.offline or (get_service(m.provider) is not None and m.provider not in self.credentials)

    @property
    def key_fp(self) -> str:
        """A one-way fingerprint of the key in use ("" when there is none)."""
        return ""

    def _redact(self, text: str) -> str:
        return text

    def provider_for(self, model) -> Provider:
        """The adapter that serves ``model`` on this client (opened once, then reused)."""
        name = adapter_name(get_model(model), offline=self.offline_for(model))
        if name not in self._providers:
            self._providers[name] = open_provider(name, self)
        return self._providers[name]

    # --- the pipeline ----------------------------------------------------------------------
    def make(
        self,
        request: MusicRequest,
        *,
        wait_s: float | None = None,
        on_status: StatusCallback | None = None,
        on_submit: Callable[[str], None] | None = None,
        fields=None,
    ) -> GenerationResult:
        """Make a piece with any model of the table; saved to the history before it is returned.

        Parameters
        ----------
        request : MusicRequest
        wait_s : float, optional
            Job models: how long to wait before leaving the job pending (default 600 s).
        on_status : callable, optional
            Called as ``on_status(status, elapsed_s)`` while a job runs (``queued``, ``generating``…).
        on_submit : callable, optional
            Called with the generation id once the job is submitted and its id saved.
        fields : TextFields, optional
            The request's text as an edge already checked it (so it is not checked twice).

        Raises
        ------
        JobPendingError
            The wait ran out; the job is kept and :meth:`resume` fetches it later.
        """
        return self.run(self.prepare(request, fields=fields), wait_s=wait_s, on_status=on_status, on_submit=on_submit)

    def prepare(self, request: MusicRequest, *, fields=None) -> Job:
        """Check ``request`` for its model and route its reference: the :class:`Job` to send. Nothing is sent.

        Parameters
        ----------
        request : MusicRequest
        fields : TextFields, optional
            Text already checked by :func:`~music01_core.lyrics.prepare_text_fields`.
        """
        m = get_model(request.model)
        self._refuse_delisted(m)
        fields = fields or prepare_text_fields(
            m,
            lyrics=request.lyrics,
            prompt=request.prompt,
            is_instrumental=request.is_instrumental,
            lyrics_optimizer=request.lyrics_optimizer,
        )
        options = check_options(m, request.options, request=request)  # the row's other fields, by name
        provider = self.provider_for(m)
        setting = _setting_for(m, request.audio_setting)
        if m.reference.purpose_fields:
            m.reference.field_for(request.purpose)  # a purpose the model does not name is refused here
        if request.reference is None and m.gives_ids:
            # The ids of an earlier upload stand in for the reference (music-01's second call alone).
            check_ids(request.voice_id, request.instrumental_id)
            ref = None
        else:
            ref = self._route(request.reference, m, provider)
        job = Job(
            model=m,
            lyrics=fields.lyrics,
            prompt=fields.prompt,
            reference=ref,
            audio_setting=setting,
            is_instrumental=request.is_instrumental and "is_instrumental" in m.flags,
            lyrics_optimizer=request.lyrics_optimizer and "lyrics_optimizer" in m.flags,
            seed=request.seed,
            purpose=request.purpose,
            voice_id=request.voice_id,
            instrumental_id=request.instrumental_id,
            warnings=(*fields.warnings, *options.warnings, *self._stand_in(m)),
            options=options.api,
        )
        return replace(job, **options.request_attrs)  # what an option mirrors (its seed) rides on the job too

    def listing_for(self, model):
        """The copy on disk of the model list of the service that serves ``model`` (never the network),
        or None: offline, or a service that publishes no list."""
        m = get_model(model)
        service, cred = get_service(m.provider), self.credential(m.provider)
        if service is None or cred is None or not service.catalogue_path or self.offline_for(m):
            return None
        return CatalogueClient.of(service, cred.base_url).cached()

    def check_listings(self, *, force: bool = False) -> dict:
        """Read again (when stale, or ``force``) the model list of every service with a credential.

        Never raises and never sends a credential; each read has a short timeout (the app runs
        this in the background at start-up, never in anyone's way).

        Returns
        -------
        dict
            Service name → :class:`~music01_core.catalogue.Catalogue`.
        """
        out = {}
        for name, cred in self.credentials.items():
            service = get_service(name)
            if service is not None and service.catalogue_path and not self.offline:
                out[name] = CatalogueClient.of(service, cred.base_url).check(force=force)
        return out

    def price_for(self, model, *, settings: dict | None = None) -> Price:
        """One piece's expected price and its source (:func:`~music01_core.pricing.price_of`): the copy of the
        provider's list, else this home's history, else the table's list price; never the network."""
        m = get_model(model)
        return price_of(m, listing=self.listing_for(m), homes=[self.home], settings=settings)

    def _refuse_delisted(self, m) -> None:
        """A live model its provider's list no longer names is refused before anything is sent.

        Only the copy of the list on disk is read (never the network: nothing waits on it here);
        with no copy, nothing is known and nothing is refused.
        """
        listing = self.listing_for(m)
        if m.live and listing is not None and listing.listed(m) is False:
            raise InputError(
                f"{m.id} is no longer listed by the provider ({listing.checked_words()}): nothing was sent. "
                "Choose another model (`music01 models --live` lists what it serves now)."
            )

    def _stand_in(self, m) -> tuple[str, ...]:
        """A warning when the offline engine stands in for ``m`` although another service that serves it has a credential."""
        if self.offline or not self.offline_for(m):
            return ()
        twin = next((x for x in MODELS.values() if x.family == m.family and x.provider in self.credentials), None)
        if twin is None:
            return ()
        service = get_service(m.provider)
        return (
            f"no {service.label} {service.token_name} is set, so the offline engine made this, not {m.family}; "
            f"{twin.id} runs it with the credential you have.",
        )

    def _route(self, reference, model, provider: Provider):
        """How the reference reaches ``provider``; a loopback link for a remote provider is refused."""
        ref = route_reference(reference, model, offline=provider.offline, publisher=provider.publisher)
        if (
            ref is not None
            and ref.kind in ("url", "link")
            and is_loopback_url(ref.value)
            and not provider.local_service
        ):
            raise ReferenceUrlError(
                "the reference link points at this machine (127.0.0.1/localhost), which the "
                "provider cannot reach: set MUSIC01_PUBLIC_URL to the app's public address, or "
                "give a public URL."
            )
        return ref

    def run(
        self,
        job: Job,
        *,
        wait_s: float | None = None,
        on_status: StatusCallback | None = None,
        on_submit: Callable[[str], None] | None = None,
    ) -> GenerationResult:
        """Send a prepared job once and return its piece, kept in the history before it is returned.

        Raises
        ------
        ShortBalanceError
            The balance, read just before, is below the piece's price: nothing was sent.
        """
        provider = self.provider_for(job.model)
        self._refuse_short(job, provider)
        try:
            if provider.answers_once:
                piece = self._run_once(provider, job, on_status)
            else:
                pending = self._submit_traced(provider, job)
                if on_submit is not None:
                    on_submit(pending.generation_id)
                if on_status is not None:
                    on_status(pending.status, 0.0)
                piece = self._follow(provider, pending, wait_s=wait_s, on_status=on_status)
        except InsufficientCreditsError as exc:
            raise self._with_balance(exc, provider) from exc
        return replace(piece, warnings=(*job.warnings, *piece.warnings)) if job.warnings else piece

    # --- the account: balance, spend, and the refusal before billing -------------------------------
    def balance(self, service: str = "aimlapi", *, timeout=BALANCE_TIMEOUT_S) -> Balance | None:
        """What the key of ``service`` has left, read now (``GET /v2/billing`` for the AI/ML API).

        Parameters
        ----------
        service : str
            A :data:`~music01_core.models.SERVICES` name.
        timeout : (float, float)
            Connect and read timeouts, in seconds (short: :data:`~music01_core.settings.BALANCE_TIMEOUT_S`).

        Returns
        -------
        Balance or None
            None offline, without a credential for ``service``, or for a service that publishes no
            balance (Replicate).

        Raises
        ------
        ApiError
            The service refused (a key it does not know: 401) or did not answer.
        """
        read = self._account_call(service, "balance")
        return read(timeout=timeout) if read is not None else None

    def spend(self, *, since: str = "24h", homes=None, service: str = "aimlapi") -> Spend:
        """The local history beside the provider's usage log over ``since`` (:func:`~music01_core.account.reconcile`).

        Parameters
        ----------
        since : str
            ``24h``, ``7d``…: a whole number of hours or days, at most 92 days.
        homes : iterable of path-like, optional
            The music01 homes whose histories count (a shared server's: ``room.history_homes``);
            default this client's own history.
        service : str
            Its credential's key is the one reconciled: job records and lyrics requests made with another key
            or sent to another address are left out; saved pieces (no fingerprint kept) are matched by id only.

        Raises
        ------
        InputError
            ``since`` is not a window (checked before anything is read); no credential for ``service``
            (:class:`~music01_core.errors.MissingApiKeyError`), or a service with no usage log.
        ApiError
            The log could not be read (401, 429 after waiting, 5xx, an answer that is not the documented one).
        """
        period, _ = parse_since(since)
        read = self._account_call(service, "logs")
        if read is None:
            s = get_service(service)
            if s is not None and (self.offline or service not in self.credentials):
                raise MissingApiKeyError(
                    f"no {s.token_envs[0]} set: the offline engine bills nothing, so there is no spend to reconcile."
                )
            raise InputError(f"{s.label if s else service} publishes no usage log music01 can read: see its dashboard.")
        rows, complete = read(since=period)
        checked_at = time.time()
        histories = [self.history] if homes is None else [History(h) for h in homes]
        entries = [e for h in histories for e in h.list()]
        entries += [c for h in histories for c in ChatLedger(h.dir.parent).list()]  # lyrics requests (chat calls)
        open_jobs = [j for h in histories for j in h.pending()]  # every job record here knows its id
        # Only this key's records: a job or lyrics request made with another key, or sent to another address
        # (a local emulator), is not in this log.  Saved pieces keep no fingerprint: matched by their ids only.
        from .library import key_fingerprint

        cred = self.credential(service)
        return reconcile(
            entries,
            rows,
            since=period,
            open_jobs=open_jobs,
            checked_at=checked_at,
            service=service,
            complete=complete,
            key_fp=key_fingerprint(cred.token.reveal()) if cred is not None else None,
            base_url=cred.base_url if cred is not None else None,
        )

    # --- lyrics written for you: a chat model of the AI/ML API, or the offline writer ---------------------
    def write_lyrics(
        self, theme: str = "", *, on_price: Callable[[ChatPrice], None] | None = None, **options
    ) -> LyricsDraft:
        """Lyrics for a theme and a mood, in the chosen music model's format and within its limit.

        With an AI/ML API key, a chat model of the provider's list writes them (one billed call, sent once
        through :func:`~music01_core.transport.send_billed`, its record kept under the home before it is
        sent); otherwise music01's offline writer does, and says so.  The draft passes the lyrics check before
        it is returned, and is kept under ``<home>/lyrics/drafts/``.

        Parameters
        ----------
        theme : str
            What the song is about.
        on_price : callable, optional
            Called with the :class:`~music01_core.lyrics_writer.ChatPrice` before the billed call is sent.
        **options
            The other fields of :class:`~music01_core.lyrics_writer.LyricsRequest`: ``mood``, ``model``,
            ``chat_model``, ``follow_up`` with ``draft``, ``seed``, ``into_prompt`` with ``prompt``,
            ``accompaniment``.

        Returns
        -------
        LyricsDraft

        Raises
        ------
        InputError
            Before anything is sent (a model that takes no lyrics, no theme, a chat model not listed…).
        ApiError
            The call failed; never sent again (a lost answer stays in the record for ``music01 spend``).
        """
        from .lyrics_writer import chat_draft, keep_draft, offline_draft
        from .providers.chat import ChatCompletions

        request = LyricsRequest(theme=theme, **options)
        cred = None if self.offline else self.credential("aimlapi")
        if cred is None:
            return keep_draft(self.home, offline_draft(request))
        session = getattr(self, "session", None)
        if session is None:
            import requests

            session = requests.Session()
        chat = ChatCompletions(
            cred.base_url,
            cred.token,
            session=session,
            timeout=(getattr(self, "timeout", (10.0,))[0], 120.0),
            sleep=self._sleep,
            backoff_s=getattr(self, "backoff_s", 1.0),
            max_backoff_s=getattr(self, "max_backoff_s", 30.0),
            redact=self._redact,
        )
        ledger = ChatLedger(self.home)
        draft = chat_draft(
            request,
            send=chat.complete,
            listing=self._chat_listing(cred, refresh=True),
            ledger=ledger,
            secret=cred.token,
            base_url=cred.base_url,
            key_fp=self.key_fp,
            local=is_loopback_url(cred.base_url),
            on_price=on_price,
            new_request_id=new_client_request_id,
        )
        return keep_draft(self.home, draft, ledger)

    def lyrics_price(self, theme: str = "", **options) -> ChatPrice | None:
        """What :meth:`write_lyrics` would cost at most, from the copy of the model list on disk (never the network).

        Returns
        -------
        ChatPrice or None
            None: the offline writer writes them, for free.
        """
        from .lyrics_writer import chat_quote

        cred = None if self.offline else self.credential("aimlapi")
        if cred is None:
            return None
        listing = self._chat_listing(cred, refresh=False)
        return chat_quote(LyricsRequest(theme=theme, **options), listing, local=is_loopback_url(cred.base_url))

    def _chat_listing(self, cred, *, refresh: bool):
        """The copy of the AI/ML API's model list (read now, with short timeouts, when ``refresh`` and never read)."""
        client = CatalogueClient.of(cred.service, cred.base_url)
        listing = client.cached()
        return client.check() if refresh and listing.checked_at is None else listing

    def _account_call(self, service: str, what: str):
        """The adapter's ``balance`` or ``logs`` for ``service``, or None (offline, no credential, none published)."""
        s = get_service(service)
        if s is None or self.offline or service not in self.credentials:
            return None
        provider = self.provider_for(s.default_model)
        return None if provider.offline else getattr(provider, what, None)

    def _quiet_balance(self, provider: Provider) -> Balance | None:
        """The balance of the account ``provider`` bills, or None when it publishes none or it cannot be read
        (short timeouts): reading it never stops a generate."""
        read = None if provider.offline else getattr(provider, "balance", None)
        if read is None:
            return None
        try:
            return read(timeout=BALANCE_TIMEOUT_S)
        except (Music01Error, OSError, ValueError) as exc:
            logger.info("the balance could not be read: %s", exc)
            return None

    def _refuse_short(self, job: Job, provider: Provider) -> None:
        """Refuse, before anything is sent, a billed call that the known balance cannot pay.

        Only when the adapter that bills the piece publishes a balance (the AI/ML API's job models),
        never the offline engine.  The price comes from :meth:`price_for` (disk only); the balance is
        read only when there is a price, with a short timeout; an unknown balance refuses nothing.
        """
        m = job.model
        if provider.offline or getattr(provider, "balance", None) is None:
            return
        try:
            price = self.price_for(m, settings=_price_settings(job))
        except (Music01Error, OSError, ValueError) as exc:
            logger.info("no price for %s before the billed call: %s", m.id, exc)
            return
        if price.usd_each is None:
            return
        balance = self._quiet_balance(provider)
        if balance is not None and balance.currency.upper() == "USD" and balance.usd < price.usd_each:
            raise ShortBalanceError(balance, price)

    def _with_balance(self, exc: InsufficientCreditsError, provider: Provider) -> InsufficientCreditsError:
        """The provider's "out of credits" with the balance said beside it, when it can be read."""
        balance = self._quiet_balance(provider)
        if balance is None:
            return exc
        out = InsufficientCreditsError(f"{exc} Balance now: {balance.words()}.")
        out.__dict__.update(exc.__dict__)  # its status, ids and flags as they were
        return out

    def _run_once(self, provider: Provider, job: Job, on_status) -> GenerationResult:
        """A provider whose answer is the piece: keep a "sent" record until the piece is saved."""
        # The answer cannot be fetched again, so a process killed between the answer and the save
        # loses the audio for good; it must not also lose the *fact*: this record stays behind after
        # such a crash, and `music01 jobs` / the app's History show it as "interrupted".
        if not provider.offline:
            job = replace(job, client_request_id=new_client_request_id())
        marker = None if provider.offline else self.history.add_pending(self._sent_record(provider, job))
        try:
            if on_status is not None and provider.offline:
                on_status("generating", 0.0)
            status = provider.submit(job)
            piece = replace(status.piece, client_request_id=job.client_request_id)
            return self.history.keep(piece, **status.provenance)
        finally:
            # Saved, or an error the person was shown: either way the record has done its job.
            if marker is not None:
                self.history.forget_pending(marker.generation_id)

    def _sent_record(self, provider: Provider, job: Job, *, state: str = "interrupted") -> PendingJob:
        """What is on its way, written before the billed call leaves (never the key, never a Base64 payload)."""
        m = job.model
        setting = None
        if job.audio_setting is not None:
            setting = job.audio_setting.to_dict(
                sample_rate_field=m.audio_setting.sample_rate_field if m.audio_setting else "sample_rate"
            )
        return PendingJob(
            generation_id=f"sent-{job.client_request_id or uuid.uuid4().hex}:{m.id}",
            model=m.id,
            created=time.time(),
            base_url=provider.base_url,
            key_fp=provider.key_fp,
            lyrics=job.lyrics,
            prompt=job.prompt,
            flags=job.flags,
            audio_setting=setting,
            reference=job.reference.describe() if job.reference is not None else None,
            options=dict(job.options or {}),
            status="sent",
            state=state,
            error=f"{m.id} was asked to generate, and the program stopped before its answer was saved",
            client_request_id=job.client_request_id,
        )

    def _submit_traced(self, provider: Provider, job: Job) -> PendingJob:
        """The billed submit, traceable: a "sent" record with a fresh client request id goes to disk
        first; the answer's id replaces it. A lost answer is looked up, never sent again."""
        job = replace(job, client_request_id=new_client_request_id())
        stage = getattr(provider, "stage", None)
        if stage is not None:
            job = stage(job)  # its files go up first (nothing billed), so the record can name them
        fingerprint = getattr(provider, "fingerprint", None)
        sent = self._sent_record(provider, job, state="sent")
        if fingerprint is not None:
            sent = replace(sent, fingerprint=fingerprint(job))
        sent = self._save_pending(sent, None)
        try:
            status = provider.submit(job)  # the billed call: sent once
        except ApiError as exc:
            if not exc.may_be_billed:
                self.history.forget_pending(sent.generation_id)  # refused before any work: nothing to find
                raise
            status = self._recovered(provider, sent, exc)
        return self._answered(sent, status)

    def _answered(self, sent: PendingJob, status: JobStatus) -> PendingJob:
        """Replace the "sent" record by the job's own (saved first, so a crash in between loses nothing)."""
        pending = replace(
            sent,
            generation_id=status.id,
            created=time.time(),
            status=status.status,
            state="pending",
            error=None,
            inference_id=status.inference_id or status.id,
            client_request_id=status.client_request_id or sent.client_request_id,
            credits_used=status.credits_used or sent.credits_used,
            usd_spent=status.usd_spent or sent.usd_spent,
        )
        pending = self._save_pending(pending, status.id)
        self.history.forget_pending(sent.generation_id)
        return pending

    def _save_pending(self, record: PendingJob, generation_id: str | None) -> PendingJob:
        try:
            return self.history.add_pending(record)
        except OSError as exc:
            if generation_id is None:
                raise JobError(
                    f"nothing was sent: the record of the request could not be saved ({exc.strerror or exc}). "
                    "Free some disk space and try again."
                ) from None
            raise JobError(
                f"the job was submitted but its id could not be saved ({exc.strerror or exc}): keep this "
                f"id and run `music01 resume {generation_id}` once there is disk space.",
                generation_id=generation_id,
                may_be_billed=True,
            ) from None

    def _recovered(self, provider: Provider, sent: PendingJob, exc: ApiError | None) -> JobStatus:
        """The job behind a submit whose answer was lost, from the provider's own records; never re-sent."""
        why = str(exc) if exc is not None else (sent.error or "the answer to the submit was never saved")
        self.history.update_pending(sent.generation_id, state="lost", error=why)
        recover = getattr(provider, "recover", None)
        found, trouble = self._look_up(provider, recover, sent) if recover is not None else (None, None)
        records = getattr(provider, "records_name", "usage log")
        if found is None:
            raise JobPendingError(
                f"the answer to the {sent.model} submit was lost ({why.rstrip('.')}); it was not sent again. "
                f"The provider's {records} does not list it yet"
                + (f" ({trouble})" if trouble else getattr(provider, "records_lag", " (it can lag a few minutes)"))
                + ": `music01 resume` looks again (`music01 jobs` lists it as 'answer lost').",
                generation_id=sent.generation_id,
                status="answer lost",
            )
        if not found.billed:
            self.history.forget_pending(sent.generation_id)
            raise JobError(
                f"the answer to the {sent.model} submit was lost ({why.rstrip('.')}), and the provider's {records} "
                "shows the request failed there: it was not billed and nothing was made. Try again."
            )
        return JobStatus(
            id=found.generation_id,
            status="queued",
            credits_used=found.credits_used,
            usd_spent=found.usd_spent,
            inference_id=found.generation_id,
            client_request_id=sent.client_request_id,
        )

    def _look_up(self, provider: Provider, recover, sent: PendingJob):
        """(Recovery or None, what went wrong with the last look): a few looks, spaced for the log's lag."""
        trouble = None
        waits = self._log_waits if self._log_waits is not None else getattr(provider, "recover_waits_s", LOGS_WAITS_S)
        known = (
            self._known_ids() if _takes_known(recover) else None
        )  # read once: this history does not change meanwhile
        for wait_s in waits:
            self._sleep(wait_s)
            try:
                found = recover(sent, known=known) if known is not None else recover(sent)
            except ApiError as err:  # a refusal or a bad page: the record stays, nothing is re-sent
                trouble = f"the {getattr(provider, 'records_name', 'usage log')} could not be read: {err}"
                logger.info("logs lookup for %s failed: %s", sent.client_request_id, err)
                continue
            if found is not None:
                return found, None
        return None, trouble

    def _provider_knowing(self, gid: str) -> Provider | None:
        """The adapter of the first service with a credential here whose records know ``gid``, or None."""
        for name in self.credentials:
            provider = self.provider_for(get_service(name).default_model)
            model_of = getattr(provider, "model_of", None)
            if model_of is not None and model_of(gid):
                return provider
        return None

    def _known_ids(self) -> frozenset:
        """Generation ids this history already holds or follows: never another request's answer."""
        pieces = {e.generation_id for e in self.history.list() if e.generation_id}
        return frozenset(pieces | {j.generation_id for j in self.history.pending()})

    def _needs_credential(self, job: PendingJob | None) -> None:
        """A job of a service whose credential is not set here: say which one resumes it (not "no job")."""
        m = MODELS.get(job.model) if job is not None else None
        service = get_service(m.provider) if m is not None else None
        if service is not None and not self.offline and m.provider not in self.credentials:
            raise InputError(
                f"this job was sent to {service.label} ({m.id}): set {service.token_envs[0]} to the "
                f"{service.token_name} that submitted it, then resume or cancel it."
            )

    # --- resume ------------------------------------------------------------------------------
    def resume(
        self, generation_id: str, *, wait_s: float | None = None, on_status: StatusCallback | None = None
    ) -> GenerationResult:
        """Fetch a job's result without submitting again; a result already saved is returned as it is.

        A job this history has no record of is followed all the same (the id is kept as given).
        """
        gid = (generation_id or "").strip()
        if not gid:
            raise InputError("give the generation id to resume (`music01 jobs` lists them).")
        entry = self.history.find_generation(gid)
        if entry is not None:
            return result_from_entry(entry)
        job = self.history.get_pending(gid)
        self._needs_credential(job)
        known = job is not None and job.model in MODELS
        provider = self.provider_for(job.model if known else default_model(tuple(self.credentials)))
        if job is None and len(self.credentials) > 1:
            provider = self._provider_knowing(gid) or provider  # an id from elsewhere: whose is it?
        if provider.offline:
            provider.poll(gid)  # the engine keeps no jobs: it says so, and what to do
        job = self._resumable(gid, job, provider)
        if job.answer_lost:
            # Its answer never came: the provider's usage log says what became of it. Never re-sent.
            job = self._answered(job, self._recovered(provider, job, None))
        return self._follow(provider, job, wait_s=wait_s, on_status=on_status)

    def cancel(self, generation_id: str) -> JobStatus:
        """Ask the provider to stop a running job; its record is closed with what the provider said.

        Raises
        ------
        InputError
            No such pending job here, or its provider cannot cancel (the AI/ML API has no cancel).
        """
        gid = (generation_id or "").strip()
        job = self.history.get_pending(gid) if gid else None
        if job is None or job.state != "pending":
            raise InputError(f"there is no running job {gid!r} here to cancel (`music01 jobs` lists them).")
        self._needs_credential(job)
        provider = self.provider_for(job.model if job.model in MODELS else DEFAULT_MODEL)
        cancel = getattr(provider, "cancel", None)
        if cancel is None:
            raise InputError(
                f"{job.model}'s provider has no way to cancel a job: it runs to the end, and "
                f"`music01 resume {gid}` fetches it (nothing more is billed)."
            )
        status = cancel(gid)
        if status.status == "error":  # stopped: nothing more to fetch
            self.history.update_pending(gid, state="failed", status=status.status, error=status.error_message)
        # Already finished (a cancel does not undo it): the record stays open, for `resume` to save the piece.
        return status

    def open_records(self) -> list[PendingJob]:
        """Every record ``resume`` can still do something with: jobs running, answers lost."""
        return [j for j in self.history.pending() if j.state == "pending" or j.answer_lost]

    def _resumable(self, gid: str, job: PendingJob | None, provider: Provider) -> PendingJob:
        """The pending record to follow, or a clear error when there is nothing to fetch."""
        if job is not None and job.state == "interrupted":
            # Said once, then dropped from the list: there is nothing to fetch.
            self.history.forget_pending(gid)
            raise InputError(
                f"the {job.model} generate sent at {time.strftime('%Y-%m-%d %H:%M', time.localtime(job.created))} "
                f"was interrupted before its answer was saved, and {job.model} has no way to fetch an answer again. "
                f"It may have been billed: check your usage on the {_service_label(provider)} dashboard. "
                "The entry is now removed from the pending list."
            )
        if job is not None and job.key_fp and job.key_fp != provider.key_fp:
            service = getattr(provider, "service", None)
            where = f"{service.token_envs[0]}" if service is not None else "AIML_API_KEY"
            raise InputError(f"this job was submitted with another API key: set that key ({where}) to resume it.")
        if job is None:
            # Older ids end in ":model"; newer ones (nanoid) do not: the provider's log may know.
            model_of = getattr(provider, "model_of", None)
            model = gid.rsplit(":", 1)[1] if ":" in gid else (model_of(gid) if model_of else None) or "unknown"
            model = f"minimax/{model}" if f"minimax/{model}" in MODELS else model
            job = self.history.add_pending(
                PendingJob(
                    generation_id=gid,
                    model=model,
                    created=time.time(),
                    base_url=provider.base_url,
                    key_fp=provider.key_fp,
                )
            )
        return job

    # --- following a job ---------------------------------------------------------------------
    def _follow(self, provider: Provider, job: PendingJob, *, wait_s, on_status) -> GenerationResult:
        """Poll until the job is done, then download, check and keep its piece."""
        status = _Follower(self, provider, job, wait_s, on_status).until_done()
        return self._keep_download(provider, job, status)

    def _keep_download(self, provider: Provider, job: PendingJob, status: JobStatus) -> GenerationResult:
        """Download a completed job's audio, check it decodes, and keep it (which closes the pending record)."""
        gid = job.generation_id
        setting = job.audio_setting or {}
        m = MODELS.get(job.model)
        fmt = _format_of(status, setting, default=m.returns[0] if m is not None else "mp3")
        try:
            audio = provider.download(status)
            fmt = audio_format(audio, fmt)  # the bytes tell, not a label (stable-audio: "application/octet-stream")
            duration_s, channels = provider.check_audio(audio, fmt)
        except ResultExpiredError as exc:
            self.history.update_pending(gid, state="failed", error=str(exc))
            raise ResultExpiredError(
                f"{exc} The audio of this generation can no longer be fetched; contact "
                f"{_service_label(provider)} support with the generation id if it was billed.",
                generation_id=gid,
            ) from None
        except BadAudioError as exc:
            self.history.update_pending(gid, error=str(exc))
            raise BadAudioError(
                f"{exc} The job is kept: `music01 resume {gid}` tries the download again.", may_be_billed=True
            ) from None
        rate = next((v for k, v in setting.items() if k.endswith("sample_rate")), None) or 44100
        piece = GenerationResult(
            audio=audio,
            format=fmt,
            sample_rate=int(rate),
            bitrate=int(setting.get("bitrate") or 0),
            channels=channels,
            duration_s=round(duration_s, 3),
            backend=provider.name,
            lyrics=job.lyrics or "",
            trace_id=status.trace_id or "",
            extra_info=status.extra_info,
            inference_id=job.inference_id,
            client_request_id=job.client_request_id,
            # The submit's answer carries the cost (meta.usage, x-aimlapi-* headers); a poll seldom does.
            credits_used=status.credits_used or job.credits_used,
            usd_spent=status.usd_spent or job.usd_spent,
            model=job.model,
            prompt=job.prompt,
            generation_id=gid,
            reference=job.reference,
            options=dict(job.options) or None,
            seed=_sent_seed(job),
        )
        # Saved before it is shown: History.keep also closes the pending record.
        return self.history.keep(piece)

    # --- music-01's two calls, for the edges that still offer them ---------------------------------
    def upload(self, clip, purpose: str, **kwargs) -> UploadResult:
        """music-01 (legacy): upload a reference clip for ids (see :meth:`Music01Calls.upload`)."""
        return self.provider_for(LEGACY_MODEL).upload(clip, purpose, **kwargs)

    def generate(
        self,
        lyrics: str,
        *,
        voice_id: str | None = None,
        instrumental_id: str | None = None,
        audio_setting: AudioSetting | None = None,
        seed: int | None = None,
    ) -> GenerationResult:
        """music-01 (legacy): generate from lyrics and the ids of an earlier upload; kept before it is returned.

        When the service no longer knows an id that came from the reference library, the
        reference is uploaded again once, the generate is retried once, and the result's
        ``warnings`` say so.
        """
        request = MusicRequest(
            model=LEGACY_MODEL,
            lyrics=lyrics,
            audio_setting=audio_setting,
            seed=seed,
            voice_id=voice_id,
            instrumental_id=instrumental_id,
        )
        return self.make(request)


class _Follower:
    """The poll loop of one job: waits that grow, failed polls retried, the wait's end leaves it pending."""

    def __init__(self, client: Client, provider: Provider, job: PendingJob, wait_s, on_status) -> None:
        self.history, self.provider, self.on_status = client.history, provider, on_status
        self.clock, self.sleep = client._clock, client._sleep
        self.delays = iter(client._poll_delays() if client._poll_delays else poll_delays())
        self.wait_s = DEFAULT_WAIT_S if wait_s is None else wait_s
        self.gid, self.last_status = job.generation_id, job.status
        self.failures = self.unknown = 0
        self.started = self.clock()

    def until_done(self) -> JobStatus:
        """The ``completed`` status (with its audio link), or an error that keeps or closes the job."""
        while True:
            self._wait()
            status = self._poll()
            if status is None:
                continue
            if self.on_status is not None:
                self.on_status(status.status, self.clock() - self.started)
            if status.status != self.last_status:
                self.last_status = status.status
                self.history.update_pending(self.gid, status=status.status)
            if status.pending:
                continue
            if status.status == "error":
                err = job_failed(status)
                self.history.update_pending(self.gid, state="failed", status="error", error=str(err))
                raise err
            if status.status != "completed":
                self._unknown(status.status)
                continue
            if not status.audio_url:
                raise ProtocolError("the job is completed but has no audio_file.url: resume later.", retryable=True)
            return status

    def _wait(self) -> None:
        """Sleep until the next poll; when the wait has run out, leave the job pending."""
        remaining = self.wait_s - (self.clock() - self.started)
        delay = next(self.delays)
        if remaining <= 0 or (self.failures and remaining < delay):
            self.history.update_pending(self.gid, status=self.last_status)
            keeps_s = getattr(self.provider, "keeps_output_s", None)
            soon = (
                f" {self.provider.label} keeps the finished audio only {keeps_s / 60:.0f} minutes after the job ends: "
                "resume soon."
                if keeps_s
                else " Nothing is lost."
            )
            raise JobPendingError(
                f"the generation is still running at the provider (last status: {self.last_status}): resume later "
                f"with `music01 resume {self.gid}` or the Resume button in the app's History. Nothing more is "
                f"billed.{soon}",
                generation_id=self.gid,
                status=self.last_status,
            )
        self.sleep(min(delay, max(0.0, remaining)))

    def _poll(self) -> JobStatus | None:
        """One poll; None when it failed in a way that polling again can cure."""
        try:
            status = self.provider.poll(self.gid)
        except JobNotFoundError:
            self.history.update_pending(self.gid, state="unknown", error="the provider does not know this id")
            raise
        except ResultExpiredError as exc:
            self.history.update_pending(self.gid, state="expired", error=str(exc))
            raise
        except ApiError as exc:
            if not exc.retryable and not isinstance(exc, ProtocolError):
                raise
            self._failed(exc)
            return None
        self.failures = 0
        return status

    def _unknown(self, status: str) -> None:
        """A status outside the documented enum: polled again a few times, then the job is left pending."""
        self.unknown += 1
        logger.warning("unknown job status %r for %s: polling again", status, self.gid)
        if self.unknown >= POLL_RETRIES:
            self.history.update_pending(self.gid, status=status)
            raise JobPendingError(
                f"the provider keeps reporting the status {status!r}, which its reference does not list; "
                f"the job is kept: resume later with `music01 resume {self.gid}`. Nothing more is billed.",
                generation_id=self.gid,
                status=status,
            )

    def _failed(self, exc: ApiError) -> None:
        self.failures += 1
        logger.info("poll of %s failed (%s); polling again", self.gid, type(exc).__name__)
        if self.failures >= POLL_RETRIES:
            self.history.update_pending(self.gid, status=self.last_status, error=str(exc))
            raise JobPendingError(
                f"the provider did not answer the status checks ({exc}); the job is kept: resume later with "
                f"`music01 resume {self.gid}`. Nothing more is billed.",
                generation_id=self.gid,
                status=self.last_status,
            ) from None
        if exc.retry_after_s is not None:
            self.sleep(min(exc.retry_after_s, getattr(self.provider, "max_backoff_s", 30.0)))


def _service_label(provider: Provider) -> str:
    service = getattr(provider, "service", None)
    return service.label if service is not None else "AI/ML API"


def _sent_seed(job: PendingJob) -> int | None:
    """The seed a job sent, for a model whose API takes one (its seed option's field), else None."""
    m = MODELS.get(job.model)
    field_ = next((o.api_field for o in m.options if o.request_attr == "seed"), None) if m else None
    return job.options.get(field_) if field_ else None


def _price_settings(job: Job) -> dict:
    """The job's output settings as a ``variants`` price names them (``{"audio_setting.audio_sample_rate": 44100}``)."""
    m, setting = job.model, job.audio_setting
    if setting is None or m.audio_setting is None:
        return {}
    sent = setting.to_dict(sample_rate_field=m.audio_setting.sample_rate_field)
    return {f"audio_setting.{k}": v for k, v in sent.items()}


def _setting_for(m, setting: AudioSetting | None) -> AudioSetting | None:
    """The output settings to send ``m`` (None for a model without any); a format it cannot return is refused."""
    if m.audio_setting is None:
        return None
    setting = setting or AudioSetting(format=m.returns[0])
    if setting.format not in m.returns:
        raise SettingError(
            f"{m.id} returns {' or '.join(m.returns)} only, not {setting.format}: choose "
            f"{' or '.join(m.returns)} (the format setting)."
        )
    return setting


def _format_of(status: JobStatus, setting: dict, *, default: str = "mp3") -> str:
    """The audio's format: as asked, else what the file's name or content type says, else the model's own."""
    fmt = str(setting.get("format") or "").lower()
    if fmt in ("mp3", "wav", "pcm"):
        return fmt
    hint = (status.file_name or urlsplit(status.audio_url or "").path or "").lower()
    for ext in ("mp3", "wav", "flac", "ogg", "m4a"):
        if hint.endswith("." + ext):
            return ext
    ctype = (status.content_type or "").lower()
    if "wav" in ctype:
        return "wav"
    return "mp3" if "mpeg" in ctype or "mp3" in ctype else default


def _takes_known(recover) -> bool:
    """Whether an adapter's ``recover`` takes the ids already followed here (adapters of tests may not)."""
    try:
        return "known" in inspect.signature(recover).parameters
    except (TypeError, ValueError):
        return False
