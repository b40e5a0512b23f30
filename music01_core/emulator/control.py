"""The emulator's control endpoints: queue faults, read and reset the counters."""

from __future__ import annotations

from fastapi import APIRouter, Request

__all__ = ["control_router"]


def control_router(state) -> APIRouter:
    """The control endpoints over ``state``: faults, stats, reset.

    Parameters
    ----------
    state : EmulatorState or ReplicateState
        Either emulator's state (``faults``, ``lock``, ``reset()``; the stats as ``stats`` or ``snapshot()``).

    Returns
    -------
    APIRouter
    """
    router = APIRouter()

    @router.get("/_emulator/stats")
    async def get_stats():
        if hasattr(state, "snapshot"):  # the Replicate emulator's journal
            return state.snapshot()
        s = state.stats
        return {
            "requests": dict(s["requests"]),
            "methods": dict(s["methods"]),
            "bytes": dict(s["bytes"]),
            "submits": list(s["submits"]),
            "file_auth_headers": s["file_auth_headers"],
        }

    @router.post("/_emulator/faults")
    async def set_faults(request: Request):
        spec = await request.json()
        with state.lock:
            for endpoint, names in spec.items():
                state.faults[endpoint].extend(names)
            return {"queued": {k: list(v) for k, v in state.faults.items()}}

    @router.post("/_emulator/reset")
    async def reset_stats():
        state.reset()
        return {"ok": True}

    return router
