"""The emulator's balance per key: ``GET /v2/billing``, lowered by each billed call, and a submit refused when short.

Written from ``aimlapi/api-docs`` at commit ``f14fa72`` (never from our model table):
``docs/api-references/service-endpoints/account-balance.md`` and ``billing-v2.json`` —
``GET /v2/billing`` with a key answers ``{current_balance: number (USD), currency: "USD"}``, both
always present; no key (or a wrong one): the gateway's 401.  A 403 on a billed call is "authenticated
but not allowed (e.g., no credits)" (``docs/errors-and-messages/``), with the gateway's message
"You've run out of credits. Please top up your balance." (:data:`.common.GATEWAY_MESSAGES`).

Each key starts with ``balance_usd`` (an option of :func:`~music01_core.emulator.create_app`); each
call billed on it (a created job, a music-01 generate: the calls :mod:`.logs` records with a cost)
lowers it by that cost, once, when its row is recorded.  With ``refuse_when_short`` a submit whose
cost is above the key's balance answers the 403 and bills nothing (its log row is a failed one);
without it the balance may go below zero.  Only a hash of each key is kept, never the key.

Faults for ``GET /v2/billing`` are queued on the endpoint "billing": ``http:<status>``, ``reset``,
``hang``, ``badjson``, ``malformed`` (``current_balance`` as a string).

Test controls: ``POST /_emulator/billing`` with ``balance_usd`` (every key's balance, and the
starting one for keys not seen yet), ``refuse_when_short`` (bool), ``fault`` (queued for the
endpoint) and ``reset``; ``GET /_emulator/billing`` shows the state.  In Python: :func:`apply_ops`
(``EmulatorServer.billing(...)``).
"""

from __future__ import annotations

import hashlib

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .common import EmulatorState, before, gateway

__all__ = ["BILLING_PATH", "billing_router", "apply_ops", "snapshot", "charge", "short_of", "balance_of"]

BILLING_PATH = "/v2/billing"
FAULT_ENDPOINT = "billing"
_OPS = {"balance_usd", "refuse_when_short", "fault", "reset"}


def _key_hash(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    key = auth[7:].strip() if auth.startswith("Bearer ") else ""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def balance_of(state: EmulatorState, key_hash: str) -> float:
    """The balance of the key whose SHA-256 is ``key_hash`` (the starting balance until it is charged)."""
    with state.lock:
        return state.balances.get(key_hash, state.balance_usd)


def charge(state: EmulatorState, key_hash: str, usd: float) -> float:
    """Lower the key's balance by ``usd`` (one billed call); returns the new balance."""
    with state.lock:
        left = round(state.balances.get(key_hash, state.balance_usd) - usd, 9)
        state.balances[key_hash] = left
        state.stats["charges"] += 1
        return left


def short_of(state: EmulatorState, request: Request, usd: float, path: str):
    """The provider's 403 when ``refuse_when_short`` is on and ``usd`` is above the caller's balance; else None."""
    if not state.refuse_when_short or usd <= balance_of(state, _key_hash(request)):
        return None
    return gateway(403, path)


def snapshot(state: EmulatorState) -> dict:
    """The starting balance, each key's balance (by the first 12 characters of its hash), the option, the faults."""
    with state.lock:
        return {
            "balance_usd": state.balance_usd,
            "balances": {k[:12]: v for k, v in state.balances.items()},
            "refuse_when_short": state.refuse_when_short,
            "charges": state.stats["charges"],
            "faults": list(state.faults[FAULT_ENDPOINT]),
        }


def apply_ops(state: EmulatorState, ops: dict) -> dict:
    """Apply billing edits (``reset``, ``balance_usd``, ``refuse_when_short``, ``fault``); return :func:`snapshot`.

    Raises ValueError for an unknown op or a balance that is not a number.
    """
    unknown = set(ops) - _OPS
    if unknown:
        raise ValueError(f"unknown billing ops: {', '.join(sorted(unknown))}")
    balance = ops.get("balance_usd")
    if balance is not None and (not isinstance(balance, int | float) or isinstance(balance, bool)):
        raise ValueError("balance_usd must be a number of dollars")
    with state.lock:
        if ops.get("reset"):
            state.balances.clear()
            state.faults[FAULT_ENDPOINT].clear()
        if balance is not None:
            state.balance_usd = float(balance)
            for k in state.balances:
                state.balances[k] = float(balance)
        if "refuse_when_short" in ops:
            state.refuse_when_short = bool(ops["refuse_when_short"])
        fault = ops.get("fault")
        state.faults[FAULT_ENDPOINT].extend([fault] if isinstance(fault, str) else list(fault or []))
    return snapshot(state)


def billing_router(state: EmulatorState) -> APIRouter:
    """``GET /v2/billing`` and its control endpoint over ``state``.

    Parameters
    ----------
    state : EmulatorState

    Returns
    -------
    APIRouter
    """
    router = APIRouter()

    @router.get(BILLING_PATH)
    async def billing(request: Request):
        fault, resp = await before(state, request, FAULT_ENDPOINT, BILLING_PATH)
        if resp is not None:
            return resp
        left = round(balance_of(state, _key_hash(request)), 6)
        return JSONResponse({"current_balance": str(left) if fault == "malformed" else left, "currency": "USD"})

    @router.get("/_emulator/billing")
    async def show():
        return snapshot(state)

    @router.post("/_emulator/billing")
    async def edit(request: Request):
        try:
            return apply_ops(state, await request.json())
        except (ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return router
