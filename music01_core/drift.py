"""Drift of the contract: where a model's machine-readable reference differs from the one music01 was built on.

The AI/ML API publishes each model's request as an OpenAPI document (the catalogue's
``info.docsJson``).  music01 keeps the documents it was built and validated against in
``music01_core/provider_docs/`` (verbatim from ``aimlapi/api-docs`` at :data:`REFERENCE_COMMIT`,
:data:`KEPT`); those are "music01's contract" here.  The emulator's contract
(:mod:`music01_core.emulator.contract`) and the client's table (:mod:`music01_core.models`) are
tested against the same files (``tests/unit/test_drift.py``), so a difference found here is one
music01's code does not know about.

This module is pure (no network): :func:`request_facts` reads the request body of one model out
of a document — the ``POST`` whose JSON schema's ``model`` names it, ``$ref``\\ s followed,
``allOf`` merged, ``oneOf``/``anyOf`` branches chosen by their ``model`` (at the top) or joined
(inside a field), nested objects as ``audio_setting.sample_rate`` — into :class:`FieldFacts`;
:func:`compare` lists the :class:`Difference`\\ s field by field.  The fetching is
:mod:`music01_core.docscheck`'s.
"""

from __future__ import annotations

import functools
import gzip
import json
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

__all__ = [
    "REFERENCE_COMMIT",
    "REFERENCE_DIR",
    "KEPT",
    "ASPECTS",
    "FieldFacts",
    "RequestFacts",
    "Difference",
    "kept_bytes",
    "kept_doc",
    "kept_facts",
    "request_schema",
    "request_facts",
    "request_fields",
    "compare",
]

#: The commit of ``aimlapi/api-docs`` the kept references were copied from.
REFERENCE_COMMIT = "f14fa72fbcea53f909372ad0975b079f4587c70b"
#: Where they are (package data).
REFERENCE_DIR = Path(__file__).with_name("provider_docs")
#: Each supported live model's kept reference: ``model id -> (file, git blob id)``.  The files are
#: ``docs/api-references/music-models/<vendor>/<name>.json`` at :data:`REFERENCE_COMMIT` (``MiniMax/``,
#: ``elevenlabs/``, ``Google/``, ``Stability-AI/``), byte for byte (``minimax-music.json``, 1.7 MB of every
#: model's schemas, is kept gzipped); the blob id is what ``git hash-object`` gives for the (unzipped)
#: bytes, so a test proves nothing was edited.
KEPT: dict[str, tuple[str, str]] = {
    "minimax-music": ("minimax-music.json.gz", "06f750bfbb0b0c3193195ce6e3fe96e0011ab1b0"),
    "minimax/music-cover": ("music-cover.json", "0b684cc8e59fa9780a24c27e7d39ff82b2b50a9d"),
    "minimax/music-2.6": ("music-2.6.json", "29514b98d90d3a2034f7ae4c74cf15ab475ba9e6"),
    "minimax/music-2.0": ("music-2.0.json", "5ee1a3a733b1fabe35cfcfd9d871bc049d3332d0"),
    "minimax/music-1.5": ("music-1.5.json", "06d475a2c50e80adf1c3e8490ceff1bd7078a980"),
    "elevenlabs/eleven_music": ("eleven_music.json", "147319787c6ae99d345accb9fab4b337d7a242fd"),
    "google/lyria2": ("Lyria-2.json", "e639bf2d1d792c63f20fe7c75cb42dc4ac1e92de"),
    "stable-audio": ("stable-audio.json", "2fd54e3ae4f4e8b0ac4586551a8dbd5d5325de9e"),
}

#: What :func:`compare` looks at, in the order differences are listed.  ``field``: a field new or
#: removed; ``path``: the endpoint; ``request``: the document no longer describes the model.
ASPECTS = (
    "request",
    "path",
    "field",
    "required",
    "type",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "enum",
    "format",
    "default",
    "description",
)
_MAX_DEPTH = 24  # $ref chains and nesting deeper than this are not followed (a cycle, or nonsense)


@dataclass(frozen=True)
class FieldFacts:
    """What a reference says of one request field.

    Attributes
    ----------
    type : str or None
        ``string``, ``integer``, ``object``…; several joined by `` or `` (``string or null``); None: unstated.
    required : bool
        Listed in its object's ``required``.
    min_length, max_length, minimum, maximum : int or float or None
        The schema's ``minLength``, ``maxLength``, ``minimum``, ``maximum``.
    enum : tuple or None
        Allowed values, in the document's order (compared as a set).
    format : str or None
    default : object
        As written (the references write ``"44100"``, a string, for an integer field).
    description : str or None
        Whitespace folded: music01 reads some limits from the prose ("Maximum 600 characters").
    """

    type: str | None = None
    required: bool = False
    min_length: int | float | None = None
    max_length: int | float | None = None
    minimum: int | float | None = None
    maximum: int | float | None = None
    enum: tuple | None = None
    format: str | None = None
    default: object = None
    description: str | None = None

    def words(self) -> str:
        """ "integer, optional, enum 1|2" : for a new field."""
        said = [self.type or "no type", "required" if self.required else "optional"]
        for aspect, attr in _LIMITS:
            if getattr(self, attr) is not None:
                said.append(f"{aspect} {_show(getattr(self, attr))}")
        if self.enum is not None:
            said.append("enum " + "|".join(_show(v) for v in self.enum))
        if self.format is not None:
            said.append(f"format {self.format}")
        return ", ".join(said)


_LIMITS = (("minLength", "min_length"), ("maxLength", "max_length"), ("minimum", "minimum"), ("maximum", "maximum"))
_ATTR = {**dict(_LIMITS), "required": "required", "type": "type", "enum": "enum", "format": "format"}
_ATTR.update(default="default", description="description")


@dataclass(frozen=True)
class RequestFacts:
    """One model's request as a reference describes it.

    Attributes
    ----------
    model_id : str
    path : str or None
        The endpoint it is posted to.
    fields : dict of str to FieldFacts
        Top-level fields by name, nested ones as ``parent.child`` (array items as ``parent[].child``).
    """

    model_id: str
    path: str | None
    fields: dict[str, FieldFacts] = field(default_factory=dict)


@dataclass(frozen=True)
class Difference:
    """One way the other reference differs from music01's.

    Attributes
    ----------
    field : str
        The field (``audio_setting.format``); ``""`` for the request as a whole.
    aspect : str
        One of :data:`ASPECTS`.
    ours, theirs : object
        The values (for ``field``: the field's facts or None; for ``enum``: the lists).
    """

    field: str
    aspect: str
    ours: object
    theirs: object

    def words(self) -> str:
        """One line a maintainer reads ("lyrics: maxLength 3000 → 3500", "enum audio_setting.format: + flac")."""
        f, ours, theirs = self.field, self.ours, self.theirs
        if self.aspect == "request":
            return f"the reference no longer describes a request for {ours}"
        if self.aspect == "path":
            return f"endpoint: {ours} → {theirs}"
        if self.aspect == "field":
            return f"new field `{f}` ({theirs.words()})" if ours is None else f"removed field `{f}`"
        if self.aspect == "required":
            return f"`{f}` now required" if theirs else f"`{f}` no longer required"
        if self.aspect == "enum" and ours is not None and theirs is not None:
            mine, other = {_key(v) for v in ours}, {_key(v) for v in theirs}
            change = [f"+ {_show(v)}" for v in theirs if _key(v) not in mine]
            change += [f"- {_show(v)}" for v in ours if _key(v) not in other]
            return f"enum {f}: {', '.join(change)}"
        if self.aspect == "enum":
            return f"enum {f}: {_enum_words(ours)} → {_enum_words(theirs)}"
        if self.aspect == "description":
            before, after = _excerpts(ours or "", theirs or "")
            return f"{f}: description changed: «{before}» → «{after}»"
        if self.aspect == "default":
            return f"{f}: default {_json(ours)} → {_json(theirs)}"
        return f"{f}: {self.aspect} {_show(ours)} → {_show(theirs)}"

    def to_dict(self) -> dict:
        """JSON-ready, with :meth:`words`."""

        def plain(v):
            if isinstance(v, FieldFacts):
                return {k: plain(getattr(v, k)) for k in (f.name for f in fields(v))}
            return list(v) if isinstance(v, tuple) else v

        return {
            "field": self.field,
            "aspect": self.aspect,
            "ours": plain(self.ours),
            "theirs": plain(self.theirs),
            "words": self.words(),
        }


def _show(v) -> str:
    return "(none)" if v is None else v if isinstance(v, str) else _json(v)


def _json(v) -> str:
    return json.dumps(v, ensure_ascii=False)


def _key(v) -> str:
    return json.dumps(v, sort_keys=True)


def _enum_words(values) -> str:
    return "(none)" if values is None else "|".join(_show(v) for v in values)


def _excerpts(a: str, b: str, context: int = 16, most: int = 48) -> tuple[str, str]:
    """The part of each text that differs, with a little context; a long part keeps its two ends (``…`` where cut)."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    lo = max(0, start - context)
    if lo:  # cut at a word's start
        lo = a.find(" ", lo, start) + 1 or lo

    def cut(s: str) -> str:
        hi = min(len(s), len(s) - end + context)
        if hi < len(s):  # and at a word's end
            hi = s.rfind(" ", len(s) - end, hi) if s.rfind(" ", len(s) - end, hi) > 0 else hi
        part = s[lo:hi]
        if len(part) > 2 * most:
            part = part[:most] + "…" + part[-most:]
        return ("…" if lo else "") + part + ("…" if hi < len(s) else "")

    return cut(a), cut(b)


# --- the kept references -------------------------------------------------------------------------


@functools.cache
def kept_bytes(model_id: str) -> bytes:
    """The kept reference of ``model_id``, byte for byte as published (unzipped). KeyError: none kept."""
    name, _ = KEPT[model_id]
    data = (REFERENCE_DIR / name).read_bytes()
    return gzip.decompress(data) if name.endswith(".gz") else data


def kept_doc(model_id: str) -> dict:
    """The kept reference of ``model_id``, parsed (a fresh copy: edit it freely)."""
    return json.loads(kept_bytes(model_id))


@functools.cache
def kept_facts(model_id: str) -> RequestFacts:
    """:func:`request_facts` of the kept reference: music01's contract for ``model_id``."""
    facts = request_facts(kept_doc(model_id), model_id)
    if facts is None:
        raise ValueError(f"the kept reference of {model_id} describes no request for it")
    return facts


# --- reading a document --------------------------------------------------------------------------


def _resolve(doc: dict, node, depth: int = 0):
    """``node`` with a local ``$ref`` followed (``#/components/schemas/X``); anything else as it is."""
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and depth < _MAX_DEPTH:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            return {}
        target = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        if not isinstance(target, dict):
            return {}
        # Keywords beside the $ref (a description, a default) are kept over the target's.
        node, depth = {**target, **{k: v for k, v in node.items() if k != "$ref"}}, depth + 1
    return node if isinstance(node, dict) else {}


def _merged(doc: dict, schema, depth: int = 0) -> dict:
    """``schema`` resolved, its ``allOf`` folded in (properties merged, ``required`` joined)."""
    schema = _resolve(doc, schema)
    parts = schema.get("allOf")
    if not isinstance(parts, list) or depth >= _MAX_DEPTH:
        return schema
    out = {k: v for k, v in schema.items() if k != "allOf"}
    for part in parts:
        part = _merged(doc, part, depth + 1)
        props = {**(part.get("properties") or {}), **(out.get("properties") or {})}
        required = [*(out.get("required") or []), *(part.get("required") or [])]
        out = {**part, **out}
        if props:
            out["properties"] = props
        if required:
            out["required"] = list(dict.fromkeys(required))
    return out


def _names_model(doc: dict, schema: dict, model_id: str) -> bool:
    prop = _merged(doc, (schema.get("properties") or {}).get("model"))
    values = [*(prop.get("enum") or []), *([prop["const"]] if "const" in prop else [])]
    return model_id in values


def _branch_for(doc: dict, schema, model_id: str, depth: int = 0) -> dict | None:
    """The object schema (of ``schema`` or one of its ``oneOf``/``anyOf`` branches) whose ``model`` names ``model_id``."""
    schema = _merged(doc, schema)
    if _names_model(doc, schema, model_id):
        return schema
    if depth >= _MAX_DEPTH:
        return None
    for key in ("oneOf", "anyOf"):
        for branch in schema.get(key) or []:
            found = _branch_for(doc, branch, model_id, depth + 1)
            if found is not None:
                # Keywords beside the oneOf (shared properties, required) apply to the branch too.
                shared = {k: v for k, v in schema.items() if k not in ("oneOf", "anyOf")}
                return _merged(doc, {"allOf": [shared, found]}) if shared.get("properties") else found
    return None


def request_schema(doc: dict, model_id: str) -> tuple[str, dict] | None:
    """``(path, schema)``: the JSON request body of the ``POST`` that takes ``model_id``, or None.

    The schema is the document's own object where it can be (no ``$ref``, ``allOf`` or ``oneOf``
    around it), so an edit of it edits the document.
    """
    for path, ops in (doc.get("paths") or {}).items() if isinstance(doc, dict) else ():
        op = ops.get("post") if isinstance(ops, dict) else None
        body = _resolve(doc, op.get("requestBody")) if isinstance(op, dict) else {}
        for kind, media in (body.get("content") or {}).items():
            if "json" in kind and isinstance(media, dict):
                found = _branch_for(doc, media.get("schema"), model_id)
                if found is not None:
                    return path, found
    return None


def request_facts(doc: dict, model_id: str) -> RequestFacts | None:
    """The facts of ``model_id``'s request in ``doc`` (an OpenAPI document), or None when it describes none."""
    found = request_schema(doc, model_id)
    if found is None:
        return None
    path, schema = found
    out: dict[str, FieldFacts] = {}
    _walk(doc, schema, "", out, 0)
    return RequestFacts(model_id=model_id, path=path, fields=out)


def request_fields(doc: dict, model_id: str) -> dict[str, FieldFacts]:
    """The fields of :func:`request_facts` (empty when the document describes no request for ``model_id``)."""
    facts = request_facts(doc, model_id)
    return dict(facts.fields) if facts else {}


def _walk(doc: dict, schema: dict, prefix: str, out: dict, depth: int) -> None:
    required = set(schema.get("required") or []) if isinstance(schema.get("required"), list) else set()
    props = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    for name, prop in props.items():
        branches = _branches(doc, prop)
        out[prefix + name] = replace(_facts(doc, prop, branches), required=name in required)
        if depth >= _MAX_DEPTH:
            continue
        for b in branches:
            if isinstance(b.get("properties"), dict):
                _walk(doc, b, f"{prefix}{name}.", out, depth + 1)
            items = _merged(doc, b.get("items")) if b.get("type") == "array" else {}
            if isinstance(items.get("properties"), dict):
                _walk(doc, items, f"{prefix}{name}[].", out, depth + 1)


def _branches(doc: dict, prop) -> list[dict]:
    """A field's schema, or its ``oneOf``/``anyOf`` alternatives (each merged with what sits beside them)."""
    prop = _merged(doc, prop)
    alts = [a for key in ("oneOf", "anyOf") for a in (prop.get(key) or [])]
    if not alts:
        return [prop]
    shared = {k: v for k, v in prop.items() if k not in ("oneOf", "anyOf", "description", "default")}
    return [{**shared, **_merged(doc, a)} for a in alts]


def _types(schema: dict) -> list[str]:
    t = schema.get("type")
    found = [x for x in (t if isinstance(t, list) else [t]) if isinstance(x, str)]
    return found + (["null"] if schema.get("nullable") is True else [])


def _facts(doc: dict, prop, branches: list[dict]) -> FieldFacts:
    """A field's facts; over alternatives, the loosest reading (any type, any value, the widest bounds)."""
    prop = _merged(doc, prop)
    types = sorted({t for b in branches for t in _types(b)})

    def bound(key: str, pick):
        values = [b.get(key) for b in branches]
        numbers = [v for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
        return pick(numbers) if numbers and len(numbers) == len(values) else None

    enums = [b.get("enum") for b in branches]
    enum = None
    if all(isinstance(e, list) for e in enums):
        enum = tuple({_key(v): v for e in enums for v in e}.values())
    formats = {b.get("format") for b in branches}
    text = prop.get("description", branches[0].get("description"))
    return FieldFacts(
        type=" or ".join(types) or None,
        min_length=bound("minLength", min),
        max_length=bound("maxLength", max),
        minimum=bound("minimum", min),
        maximum=bound("maximum", max),
        enum=enum,
        format=formats.pop() if len(formats) == 1 else None,
        default=prop.get("default", branches[0].get("default")),
        description=" ".join(text.split()) if isinstance(text, str) else None,
    )


# --- comparing -----------------------------------------------------------------------------------


def compare(ours: RequestFacts, theirs: RequestFacts | None, *, aspects=ASPECTS) -> list[Difference]:
    """Where ``theirs`` differs from ``ours``, field by field, in ``aspects`` (default: all).

    ``theirs`` None (the document describes no request for the model) is one ``request`` difference.
    Enums are compared as sets (their order is not a difference).
    """
    if theirs is None:
        return [Difference("", "request", ours.model_id, None)] if "request" in aspects else []
    out = []
    if "path" in aspects and ours.path != theirs.path:
        out.append(Difference("", "path", ours.path, theirs.path))
    for name in sorted(set(ours.fields) | set(theirs.fields)):
        a, b = ours.fields.get(name), theirs.fields.get(name)
        if a is None or b is None:
            if "field" in aspects:
                out.append(Difference(name, "field", a, b))
            continue
        for aspect in ASPECTS:
            if aspect not in aspects or aspect not in _ATTR:
                continue
            x, y = getattr(a, _ATTR[aspect]), getattr(b, _ATTR[aspect])
            if aspect == "enum" and x is not None and y is not None:
                same = {_key(v) for v in x} == {_key(v) for v in y}
            elif aspect == "default":
                same = _key(x) == _key(y)  # "44100" and 44100, True and 1 told apart
            else:
                same = x == y
            if not same:
                out.append(Difference(name, aspect, x, y))
    return out
