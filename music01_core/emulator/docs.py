"""Each model's machine-readable reference, where the catalogue's ``info.docsJson`` points: ``GET /_docs/{id}.json``.

The provider's catalogue gives every model ``info.docsJson``, the URL of its OpenAPI document
(``https://api.aimlapi.com/docs-json?model=…&endpoint=…`` in aimlapi/api-docs f14fa72,
``complete-model-list.md``).  The emulator's catalogue points it at ``{base}/_docs/{id}.json``
(:func:`.catalogue._project`), answered here with the references music01 keeps
(``music01_core/provider_docs/``, aimlapi/api-docs at f14fa72), byte for byte, for the live job
models (asked for by id or by an alias of their catalogue item); any other name is a 404.  Like
the catalogue it needs no key: a request that carries an Authorization header is answered all the
same and counted in ``stats["docs_auth_headers"]`` (shown by ``GET /_emulator/catalogue``), so a
test can prove a client never sends one.

Test controls, so a test can make the live reference drift: ``POST /_emulator/catalogue`` with
``{"docs": spec}`` (or a list of specs; in Python ``EmulatorServer.catalogue(docs=...)``).  A spec
names the model (``"id"``, an id or alias) and holds any of:

- ``"patch"``: ``{field: change}`` on the model's request schema, a field named as ``lyrics`` or
  ``audio_setting.format``.  ``null`` removes the field; a dict is merged into its schema (a key set
  to ``null`` is deleted; a field not there is created), and its ``"required"``, when a boolean,
  adds the field to its object's ``required`` list or takes it out;
- ``"replace"``: a whole document, served instead;
- ``"answer"``: ``"http:<status>"`` or ``"badjson"``: how the document is answered from now on;
- ``"url"``: the catalogue item's ``info.docsJson`` set to this (an address nothing answers on);
- ``"restore"``: ``true``: the kept document, answered normally, at its usual address (applied first).

The catalogue's ``reset`` op restores every document.
"""

from __future__ import annotations

import copy
import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from ..drift import KEPT, FieldFacts, RequestFacts, kept_bytes, kept_doc, request_schema
from .common import EmulatorState, common_fault, gateway
from .contract import ModelContract

__all__ = ["DOCS_PREFIX", "docs_router", "apply_docs_ops", "reset_docs", "contract_facts"]

DOCS_PREFIX = "/_docs"
_SPEC_KEYS = {"id", "patch", "replace", "answer", "url", "restore"}


def _edits(state: EmulatorState) -> dict:
    """Per kept model id: ``{"doc": dict or None, "answer": str or None, "url": bool}`` (call with the lock held)."""
    if not hasattr(state, "_docs_edits"):
        state._docs_edits = {}
        state.stats.setdefault("docs_auth_headers", 0)
    return state._docs_edits


def _doc_id(catalogue: list[dict], name: str) -> str | None:
    """The kept model whose document ``name`` asks for: ``name`` itself, or an id/alias of its catalogue item."""
    key = name.lower()
    kept = {k.lower(): k for k in KEPT}
    if key in kept:
        return kept[key]
    for item in catalogue:
        names = [item.get("id", ""), *item.get("aliases", [])]
        if key in (n.lower() for n in names):
            return next((kept[n.lower()] for n in names if n.lower() in kept), None)
    return None


def _item(catalogue: list[dict], model_id: str) -> dict:
    for item in catalogue:
        if model_id.lower() in (n.lower() for n in [item.get("id", ""), *item.get("aliases", [])]):
            return item
    raise KeyError(f"no model {model_id!r} in the catalogue")


def reset_docs(state: EmulatorState) -> None:
    """Every document back to the kept one (call with the lock held)."""
    _edits(state).clear()


def apply_docs_ops(state: EmulatorState, catalogue: list[dict], specs) -> None:
    """Apply document edits (see the module's docstring); call with ``state.lock`` held.

    Raises KeyError for a model with no kept document, ValueError for a malformed spec.
    """
    for spec in specs if isinstance(specs, list | tuple) else [specs]:
        if not isinstance(spec, dict) or "id" not in spec or set(spec) - _SPEC_KEYS:
            raise ValueError(f"a docs spec is an object with id and some of {sorted(_SPEC_KEYS - {'id'})}")
        model_id = _doc_id(catalogue, str(spec["id"]))
        if model_id is None:
            raise KeyError(f"no kept reference for {spec['id']!r}")
        edits = _edits(state)
        if spec.get("restore"):
            if edits.pop(model_id, {}).get("url"):
                _item(catalogue, model_id).get("info", {}).pop("docsJson", None)
        entry = edits.setdefault(model_id, {"doc": None, "answer": None, "url": False})
        if "replace" in spec:
            if not isinstance(spec["replace"], dict):
                raise ValueError("replace takes a whole document (a JSON object)")
            entry["doc"] = copy.deepcopy(spec["replace"])
        if spec.get("patch") is not None:
            entry["doc"] = entry["doc"] or kept_doc(model_id)
            _patch(entry["doc"], model_id, spec["patch"])
        if "answer" in spec:
            entry["answer"] = spec["answer"] or None
        if "url" in spec:
            _item(catalogue, model_id).setdefault("info", {})["docsJson"] = str(spec["url"])
            entry["url"] = True


def _patch(doc: dict, model_id: str, patch: dict) -> None:
    """Edit ``model_id``'s request schema in ``doc`` (``{field: null or {keyword: value or null}}``)."""
    found = request_schema(doc, model_id)
    if found is None or not isinstance(patch, dict):
        raise ValueError(f"the document describes no request for {model_id}, or the patch is not an object")
    for name, change in patch.items():
        *parents, leaf = str(name).split(".")
        parent = found[1]
        for part in parents:
            parent = (parent.get("properties") or {}).get(part)
            if not isinstance(parent, dict):
                raise ValueError(f"no object field {part!r} on the way to {name!r}")
        props = parent.setdefault("properties", {})
        if change is None:
            if props.pop(leaf, None) is None:
                raise ValueError(f"no field {name!r} to remove")
            _require(parent, leaf, False)
            continue
        if not isinstance(change, dict):
            raise ValueError(f"the change of {name!r} is null or an object")
        prop = props.setdefault(leaf, {})
        for key, value in change.items():
            if key == "required" and isinstance(value, bool):
                _require(parent, leaf, value)
            elif value is None:
                prop.pop(key, None)
            else:
                prop[key] = copy.deepcopy(value)


def _require(parent: dict, name: str, on: bool) -> None:
    required = [r for r in parent.get("required") or [] if r != name] + ([name] if on else [])
    if required:
        parent["required"] = required
    else:
        parent.pop("required", None)  # OpenAPI 3.0: a required list is never empty


def docs_router(state: EmulatorState) -> APIRouter:
    """``GET /_docs/{id}.json`` over ``state`` (its catalogue is ``state.catalogue``)."""
    router = APIRouter()
    with state.lock:
        _edits(state)

    @router.get(DOCS_PREFIX + "/{name:path}")
    async def doc(name: str, request: Request):
        with state.lock:
            if "authorization" in request.headers:
                state.stats["docs_auth_headers"] += 1
            model_id = _doc_id(state.catalogue, name.removesuffix(".json")) if name.endswith(".json") else None
            entry = copy.deepcopy(_edits(state).get(model_id) or {})
        if model_id is None:
            return gateway(404, request.url.path, f"Cannot GET {request.url.path}")
        if entry.get("answer"):
            answer = common_fault(entry["answer"], request.url.path)
            if answer is not None:
                return answer
        body = json.dumps(entry["doc"]).encode("utf-8") if entry.get("doc") else kept_bytes(model_id)
        return Response(body, media_type="application/json")

    return router


def contract_facts(c: ModelContract) -> RequestFacts:
    """The emulator's contract for one model, as :mod:`music01_core.drift` facts, to compare with the kept reference.

    Only what :mod:`.contract` records: field names, types, required-ness, the **schema's**
    ``minLength``/``maxLength`` (never the stricter ``prose_*`` bounds, kept apart there), an integer's
    ``minimum``/``maximum``/``default``, enums and ``format``.  The ``model`` field's type is left unstated (None): the contract does not
    record it (minimax-music's schema states none, the others ``string``).
    """
    out = {"model": FieldFacts(required=True, enum=(c.id,))}
    for s in c.strings:
        out[s.name] = FieldFacts(type="string", required=s.required, min_length=s.min_length, max_length=s.max_length)
    if c.reference is not None:
        out[c.reference.name] = FieldFacts(type="string", required=c.reference.required, format=c.reference.format)
    if c.audio_setting is not None:
        out["audio_setting"] = FieldFacts(type="object")
        for name, values in c.audio_setting.enums():
            kind = "string" if isinstance(values[0], str) else "integer"
            required = name in c.audio_setting.required
            out[f"audio_setting.{name}"] = FieldFacts(type=kind, required=required, enum=tuple(values))
    out.update({f: FieldFacts(type="boolean") for f in c.flags})
    for i in c.integers:
        out[i.name] = FieldFacts(
            type="integer",
            required=i.required,
            minimum=i.minimum,
            maximum=i.maximum,
            default=i.default,
            format=i.format,
        )
    return RequestFacts(model_id=c.id, path=c.path, fields=out)
