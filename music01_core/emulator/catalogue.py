"""The AI/ML API's model catalogue, as the provider documents it: ``GET /v1/models`` and ``GET /model/{id}``.

Sources (aimlapi/api-docs at commit f14fa72): ``docs/api-references/service-endpoints/complete-model-list.md``
and ``docs/api-references/service-endpoints/models.json``; summarised in
``/work/shared/api/service-endpoints.md`` ("Model catalogue").

- ``GET /v1/models`` (also ``/models`` and ``/api/v1/models``) needs **no key**; a key, if sent, is
  ignored, but the request is counted in ``stats["catalogue_auth_headers"]`` so a test can prove a
  client never sends one.  Answer ``{"object": "list", "data": [item, ...]}``; each item has ``id``,
  ``aliases``, ``type``, ``tags`` and ``info`` (``name``, ``developer``, ``description``, ``url``,
  ``docsUrl``, ``docsJson``).
- ``include=pricing,modalities,capabilities`` or ``all`` (``details=true``/``1`` is all) attach those
  sections; unknown values are ignored.  Filters, case-insensitive, comma-separated or repeated = OR,
  several parameters = AND: ``id`` (an id **or an alias**), ``type``, ``tags``, ``capabilities``,
  ``modalities``, ``input_modalities``, ``output_modalities``.
- ``GET /model/{id}`` (singular, not under /v1; slashes go into the path as they are; aliases match):
  ``{"object": "model", "data": item}`` or a gateway 404.
- ``pricing`` as the reference shows it: read ``kind`` first.  ``fixed``: ``{kind, currency, units:
  [{name, measure?, price, per}]}``; ``variants``: ``{kind, currency, dimensions, variants: [{when,
  price, unit, per}]}``; ``variable``: ``{kind, currency}`` (no figure ahead of the request).
- A weak ``ETag`` in the provider's (Express) form ``W/"<length hex>-<base64 sha1>"``, hashed over the
  answer and the whole catalogue, so it differs per query and changes on any catalogue edit (even one a
  filtered answer does not show); ``If-None-Match`` with it gives ``304`` and an empty body.
- music-01 is in the reference's "Deprecated" table, so it is not in the default catalogue.  The
  reference shows no music model's pricing block: the defaults below are plausible and cover every kind
  (music-2.6's 0.195 per generation is the music-2.6 page's example cost; ElevenLabs', Lyria 2's and
  Stable Audio's are plausible figures, marked so below).

- Each item's ``info.docsJson`` is ``{base}/_docs/{id}.json``, served by :mod:`.docs` (the model's
  OpenAPI document, as music01 keeps it) on this router, with no key either.

Test controls: ``POST /_emulator/catalogue`` with ops ``delist`` (ids), ``add`` (an item),
``republish`` (``{"id", "as"}``: new canonical id, the old one kept in ``aliases``), ``price``
(``{"id", "pricing"}``), ``fault`` (``http:<status>``, ``slow``, ``badjson``, ``huge``: the next
catalogue answer only; also the ``X-Music01-Fault`` header), ``docs`` (edit a model's document so
the live reference drifts: see :mod:`.docs`) and ``reset`` (documents too); ``GET /_emulator/catalogue``
shows the state.  In Python: :func:`apply_ops` (``EmulatorServer.catalogue(...)``).
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from .common import EmulatorState, common_fault, gateway, slow_json
from .docs import DOCS_PREFIX, apply_docs_ops, docs_router, reset_docs

__all__ = ["catalogue_router", "apply_ops", "default_catalogue", "snapshot", "CATALOGUE_PATHS"]

CATALOGUE_PATHS = ("/v1/models", "/models", "/api/v1/models")
SECTIONS = ("pricing", "modalities", "capabilities")
DOCS = "https://docs.aimlapi.com/api-references"
FAULT_ENDPOINT = "catalogue"


def _music(
    model_id: str, name: str, page: str, description: str, pricing: dict, aliases=(), developer: str = "MiniMax"
) -> dict:
    return {
        "id": model_id,
        "aliases": list(aliases),
        "type": "audio",
        "tags": ["playground:audio", "tier:tier_2"],
        "info": {
            "name": name,
            "developer": developer,
            "description": description,
            "url": f"https://aimlapi.com/models/{model_id.replace('/', '-')}",
            "docsUrl": f"{DOCS}/music-models/{page if '/' in page else 'minimax/' + page}",
        },
        "modalities": {"input": ["text", "audio"] if "cover" in model_id else ["text"], "output": ["audio"]},
        "capabilities": ["music_generation"],
        "pricing": pricing,
    }


def _fixed(price: float, name: str = "generation", per: int = 1) -> dict:
    return {"kind": "fixed", "currency": "USD", "units": [{"name": name, "price": price, "per": per}]}


# A plausible ``variants`` price (the reference shows no music model's pricing block); its dimension
# names music-2.0's own request field (music-2.0.json: ``audio_setting.audio_sample_rate``).
_SAMPLE_RATE_VARIANTS = {
    "kind": "variants",
    "currency": "USD",
    "dimensions": ["audio_setting.audio_sample_rate"],
    "variants": [
        {"when": {"audio_setting.audio_sample_rate": 32000}, "price": 0.1, "unit": "generation", "per": 1},
        {"when": {"audio_setting.audio_sample_rate": 44100}, "price": 0.12, "unit": "generation", "per": 1},
    ],
}


def default_catalogue() -> list[dict]:
    """The default items: the live music models (MiniMax's and three other vendors') and two chat models (no
    music-01)."""
    variants = copy.deepcopy(_SAMPLE_RATE_VARIANTS)
    music = [
        _music(
            "minimax-music",
            "MiniMax Music (legacy)",
            "minimax-music-legacy",
            "Songs from a reference track and lyrics.",
            _fixed(0.035),
        ),
        _music(
            "minimax/music-cover",
            "MiniMax Music Cover",
            "music-cover",
            "A cover of a song in a new style.",
            _fixed(0.15),
        ),
        _music(
            "minimax/music-2.6",
            "MiniMax Music 2.6",
            "music-2-6",
            "Full songs with vocals from a prompt and lyrics.",
            _fixed(0.195),
            aliases=["music-2.6"],
        ),
        _music(
            "minimax/music-2.0",
            "MiniMax Music 2.0",
            "music-2.0",
            "Songs with vocals from a prompt and lyrics.",
            variants,
        ),
        _music(
            "minimax/music-1.5",
            "MiniMax Music 1.5",
            "music-1.5",
            "Songs up to four minutes from lyrics.",
            {"kind": "variable", "currency": "USD"},
        ),
        *_other_vendors(),
    ]
    return music + [
        _chat("minimax/m2", "MiniMax M2", "MiniMax", ["MiniMax-M2"], 0.3, 1.2),
        _chat("openai/gpt-4o", "GPT-4o", "Open AI", ["gpt-4o"], 2.5, 10.0),
    ]


def _other_vendors() -> list[dict]:
    """The other vendors' music models on the same job interface (their pages: aimlapi/api-docs f14fa72,
    docs/api-references/music-models/{elevenlabs,google,Stability-AI}/).

    Plausible prices, not published: 0.06 is their response schemas' own example (120,000 credits);
    the emulator bills :data:`.contract.CREDITS`.
    """
    return [
        _music(
            "elevenlabs/eleven_music",
            "Eleven Music v1",
            "elevenlabs/eleven_music",
            "Songs from a prompt that can hold lyrics, 10 s to 5 minutes.",
            _fixed(0.06),
            developer="ElevenLabs",
        ),
        _music(
            "google/lyria2",
            "Lyria 2",
            "google/lyria-2",
            "Music from a description, with a negative prompt and a seed.",
            _fixed(0.06),
            developer="Google",
        ),
        _music(
            "stable-audio",
            "Stable Audio",
            "Stability-AI/stable-audio",
            "Sound and music clips up to 47 seconds from a prompt.",
            _fixed(0.042),
            developer="Stability AI",
        ),
    ]


def _chat(model_id: str, name: str, developer: str, aliases: list, input_price: float, output_price: float) -> dict:
    rates = [("input", input_price), ("output", output_price)]
    return {
        "id": model_id,
        "aliases": aliases,
        "type": "openai/chat-completions",
        "tags": ["playground:chat", "tier:tier_2"],
        "info": {
            "name": name,
            "developer": developer,
            "description": f"{name}, a chat model.",
            "contextLength": 128000,
            "url": f"https://aimlapi.com/models/{model_id.split('/')[-1]}-api",
            "docsUrl": f"{DOCS}/text-models-llm/{model_id}",
        },
        "modalities": {"input": ["text"], "output": ["text"]},
        "capabilities": ["streaming", "tools"],
        "pricing": {
            "kind": "fixed",
            "currency": "USD",
            "units": [{"name": "token", "measure": m, "price": p, "per": 1_000_000} for m, p in rates],
        },
    }


def _ensure(state: EmulatorState) -> list[dict]:
    if not getattr(state, "_catalogue_ready", False):
        state.catalogue[:] = default_catalogue()
        state._catalogue_ready = True
    return state.catalogue


def _find(models: list[dict], name: str) -> dict | None:
    name = name.lower()
    for m in models:
        if m["id"].lower() == name or name in (a.lower() for a in m.get("aliases", [])):
            return m
    return None


def _need(models: list[dict], name: str) -> dict:
    m = _find(models, str(name))
    if m is None:
        raise KeyError(f"no model {name!r} in the catalogue")
    return m


def apply_ops(state: EmulatorState, ops: dict) -> dict:
    """Apply catalogue edits (``reset``, ``delist``, ``add``, ``republish``, ``price``, ``fault``, ``docs``);
    return :func:`snapshot`.

    Raises KeyError for an unknown model id, ValueError for a malformed op.
    """
    unknown = set(ops) - {"reset", "delist", "add", "republish", "price", "fault", "docs"}
    if unknown:
        raise ValueError(f"unknown catalogue ops: {', '.join(sorted(unknown))}")
    with state.lock:
        models = _ensure(state)
        if ops.get("reset"):
            models[:] = default_catalogue()
            state.faults[FAULT_ENDPOINT].clear()
            reset_docs(state)
        for name in _as_list(ops.get("delist")):
            models.remove(_need(models, name))
        for item in _as_list(ops.get("add")):
            _add(models, item)
        for spec in _as_list(ops.get("republish")):
            m = _need(models, spec["id"])
            old, m["id"] = m["id"], spec["as"]
            m["aliases"] = [old] + [a for a in m.get("aliases", []) if a != old]
        for spec in _as_list(ops.get("price")):
            _need(models, spec["id"])["pricing"] = copy.deepcopy(spec["pricing"])
        state.faults[FAULT_ENDPOINT].extend(_as_list(ops.get("fault")))
        if ops.get("docs") is not None:
            apply_docs_ops(state, models, ops["docs"])
    return snapshot(state)


def _as_list(value) -> list:
    if value is None:
        return []
    return list(value) if isinstance(value, list | tuple) else [value]


def _add(models: list[dict], item: dict) -> None:
    missing = {"id", "type", "info"} - set(item)
    if missing or not {"name", "developer"} <= set(item.get("info", {})):
        raise ValueError(f"an item needs id, type and info.name/developer (missing {sorted(missing)})")
    if _find(models, item["id"]) is not None:
        raise ValueError(f"{item['id']!r} is already in the catalogue")
    models.append({"aliases": [], "tags": [], **copy.deepcopy(item)})


def snapshot(state: EmulatorState) -> dict:
    """The catalogue as stored (all sections), the queued faults and the auth-header counts (list, documents)."""
    with state.lock:
        return {
            "models": copy.deepcopy(_ensure(state)),
            "faults": list(state.faults[FAULT_ENDPOINT]),
            "catalogue_auth_headers": state.stats["catalogue_auth_headers"],
            "docs_auth_headers": state.stats.get("docs_auth_headers", 0),
        }


def _values(request: Request, name: str) -> set[str]:
    """A query parameter's values, comma-separated or repeated, lower-cased."""
    return {v.strip().lower() for raw in request.query_params.getlist(name) for v in raw.split(",") if v.strip()}


def _sections(request: Request) -> set[str]:
    wanted = _values(request, "include")
    if "all" in wanted or request.query_params.get("details", "").lower() in ("true", "1"):
        return set(SECTIONS)
    return wanted & set(SECTIONS)


def _keep(model: dict, request: Request) -> bool:
    """Every given filter must match (AND); values within one filter are OR."""
    mods = model.get("modalities", {})
    fields = {
        "id": [model["id"], *model.get("aliases", [])],
        "type": [model.get("type", "")],
        "tags": model.get("tags", []),
        "capabilities": model.get("capabilities", []),
        "input_modalities": mods.get("input", []),
        "output_modalities": mods.get("output", []),
        "modalities": mods.get("input", []) + mods.get("output", []),
    }
    for name, have in fields.items():
        wanted = _values(request, name)
        if wanted and not wanted & {h.lower() for h in have}:
            return False
    return True


def _project(model: dict, sections: set[str], base: str) -> dict:
    """The item as served: the always-present keys plus the sections asked for."""
    item = {k: copy.deepcopy(v) for k, v in model.items() if k not in SECTIONS}
    info = item.setdefault("info", {})
    info.setdefault("docsJson", f"{base}{DOCS_PREFIX}/{model['id']}.json")
    for s in SECTIONS:
        if s in sections and s in model:
            item[s] = copy.deepcopy(model[s])
    return item


def _etag(body: bytes, models: list[dict]) -> str:
    """Over the whole catalogue as well as the answer, so any catalogue edit changes it."""
    whole = json.dumps(models, sort_keys=True).encode("utf-8")
    digest = base64.b64encode(hashlib.sha1(whole + b"\n" + body).digest()).decode("ascii")[:27]
    return f'W/"{len(body):x}-{digest}"'


def _not_modified(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match", "")
    tags = {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
    return "*" in tags or etag.removeprefix("W/") in tags


def _huge(payload: dict) -> JSONResponse:
    """The answer padded with ~6 MB of filler models (the ``huge`` fault)."""
    filler = [
        {
            "id": f"filler/model-{i}",
            "aliases": [],
            "type": "filler",
            "tags": [],
            "info": {"name": f"Filler {i}", "developer": "nobody", "description": "x" * 560},
        }
        for i in range(10_000)
    ]
    return JSONResponse({**payload, "data": payload["data"] + filler})


def _answer(models: list[dict], request: Request, payload: dict, fault: str | None):
    """The JSON answer with its ETag, 304 for a matching If-None-Match, or the fault's answer."""
    if fault:
        resp = common_fault(fault, request.url.path)
        if resp is not None:
            return resp
        if fault == "huge":
            return _huge(payload)
    body = json.dumps(payload, separators=(",", ":")).encode("utf-8")
    etag = _etag(body, models)
    if _not_modified(request, etag):
        return Response(status_code=304, headers={"ETag": etag})
    if fault == "slow":
        return slow_json(payload, headers={"ETag": etag})
    return Response(body, media_type="application/json", headers={"ETag": etag})


def _begin(state: EmulatorState, request: Request):
    """Count an Authorization header (never required) and take the next catalogue fault."""
    with state.lock:
        if "authorization" in request.headers:
            state.stats["catalogue_auth_headers"] += 1
        models = copy.deepcopy(_ensure(state))
    return models, state.take_fault(FAULT_ENDPOINT, request)


def catalogue_router(state: EmulatorState) -> APIRouter:
    """The catalogue routes and their control endpoint over ``state``."""
    router = APIRouter()
    with state.lock:
        _ensure(state)
    router.include_router(docs_router(state))

    async def list_models(request: Request):
        models, fault = _begin(state, request)
        sections, base = _sections(request), str(request.base_url).rstrip("/")
        data = [_project(m, sections, base) for m in models if _keep(m, request)]
        return _answer(models, request, {"object": "list", "data": data}, fault)

    for path in CATALOGUE_PATHS:
        router.add_api_route(path, list_models, methods=["GET"])

    @router.get("/model/{model_id:path}")
    async def get_model(model_id: str, request: Request):
        models, fault = _begin(state, request)
        model = _find(models, model_id)
        if model is None:
            early = common_fault(fault, request.url.path) if fault else None
            return early or gateway(404, request.url.path, f"Model {model_id} not found")
        data = _project(model, _sections(request), str(request.base_url).rstrip("/"))
        return _answer(models, request, {"object": "model", "data": data}, fault)

    @router.get("/_emulator/catalogue")
    async def show():
        return snapshot(state)

    @router.post("/_emulator/catalogue")
    async def edit(request: Request):
        try:
            return apply_ops(state, await request.json())
        except (KeyError, ValueError, TypeError, AttributeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)

    return router
