"""Drift of the contract: the comparison of two references, the kept files, and CI's offline check.

- :func:`music01_core.drift.compare` on small hand-made OpenAPI documents: each aspect found, no
  false positive on the same document;
- the kept references are the provider's files byte for byte (their git blob ids at f14fa72) and
  are installed with the package;
- **CI's offline comparison**: music01's own contract (the emulator's :mod:`contract` and the
  client's table) says what the kept references say, field by field, so an edit of either side alone
  fails here;
- :func:`music01_core.docscheck.check_docs` reports each model (same / drift / not checked) and
  never sends a key.
"""

from __future__ import annotations

import copy
import dataclasses
import fnmatch
import gzip
import hashlib
import json
import tomllib
from pathlib import Path

import pytest
import requests

from music01_core import drift
from music01_core.catalogue import Catalogue, ListedModel
from music01_core.docscheck import MAX_BYTES, DocsError, check_docs, fetch_doc, supported
from music01_core.drift import (
    KEPT,
    REFERENCE_DIR,
    Difference,
    FieldFacts,
    compare,
    kept_bytes,
    kept_doc,
    kept_facts,
    request_facts,
    request_fields,
)
from music01_core.emulator.contract import DOCS_COMMIT, JOB_CONTRACTS
from music01_core.emulator.docs import contract_facts
from music01_core.models import MODELS

ROOT = Path(__file__).resolve().parents[2]
SCHEMA_PATH = ("paths", "/v2/generate/audio", "post", "requestBody", "content", "application/json", "schema")


def small_doc() -> dict:
    """A tiny reference in the provider's shape: one model, a nested object, every kind of limit."""
    schema = {
        "type": "object",
        "properties": {
            "model": {"type": "string", "enum": ["acme/song-1"]},
            "prompt": {"type": "string", "minLength": 10, "maxLength": 2000, "description": "Style. Length: 10–2000."},
            "lyrics": {"type": "string", "maxLength": 3000},
            "steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 8},
            "reference_audio_url": {"type": "string", "format": "uri"},
            "audio_setting": {
                "type": "object",
                "properties": {
                    "sample_rate": {"type": "integer", "enum": [16000, 44100], "default": "44100"},
                    "format": {"type": "string", "enum": ["mp3", "wav"], "default": "mp3"},
                },
            },
        },
        "required": ["model", "prompt"],
    }
    return {"openapi": "3.0.0", "paths": {"/v2/generate/audio": {"post": {"requestBody": _body(schema)}}}}


def _body(schema: dict) -> dict:
    return {"required": True, "content": {"application/json": {"schema": schema}}}


def schema_of(doc: dict) -> dict:
    node = doc
    for key in SCHEMA_PATH:
        node = node[key]
    return node


def diffs(edit) -> list[Difference]:
    """The differences an ``edit(schema)`` of the small document makes."""
    theirs = small_doc()
    edit(schema_of(theirs))
    return compare(request_facts(small_doc(), "acme/song-1"), request_facts(theirs, "acme/song-1"))


def words(edit) -> list[str]:
    return [d.words() for d in diffs(edit)]


# --- reading a document ---------------------------------------------------------------------------


def test_request_fields_reads_every_fact_and_the_nested_fields():
    fields = request_fields(small_doc(), "acme/song-1")
    assert sorted(fields) == [
        "audio_setting",
        "audio_setting.format",
        "audio_setting.sample_rate",
        "lyrics",
        "model",
        "prompt",
        "reference_audio_url",
        "steps",
    ]
    assert fields["prompt"] == FieldFacts(
        type="string", required=True, min_length=10, max_length=2000, description="Style. Length: 10–2000."
    )
    assert fields["steps"] == FieldFacts(type="integer", minimum=1, maximum=50, default=8)
    assert fields["audio_setting.sample_rate"].enum == (16000, 44100)
    assert fields["audio_setting.sample_rate"].default == "44100"  # as written: a string
    assert fields["reference_audio_url"].format == "uri" and not fields["lyrics"].required
    assert request_facts(small_doc(), "acme/song-1").path == "/v2/generate/audio"
    assert request_facts(small_doc(), "acme/other") is None and request_fields(small_doc(), "acme/other") == {}


def test_refs_all_of_one_of_and_nullable_fields_are_followed():
    lyrics = {"type": "string", "maxLength": 600}
    doc = {
        "paths": {"/v2/x": {"post": {"requestBody": {"$ref": "#/components/requestBodies/Gen"}}}},
        "components": {
            "requestBodies": {"Gen": _body({"$ref": "#/components/schemas/Any"})},
            "schemas": {
                "Any": {"oneOf": [{"$ref": "#/components/schemas/Other"}, {"$ref": "#/components/schemas/Ours"}]},
                "Other": {
                    "type": "object",
                    "properties": {"model": {"enum": ["acme/other"]}, "x": {"type": "integer"}},
                },
                "Ours": {
                    "allOf": [
                        {"$ref": "#/components/schemas/Base"},
                        {"properties": {"lyrics": {"$ref": "#/components/schemas/Lyrics"}}, "required": ["lyrics"]},
                    ]
                },
                "Base": {"type": "object", "properties": {"model": {"const": "acme/ours"}}, "required": ["model"]},
                "Lyrics": lyrics,
                "Tags": {"type": "array", "items": {"type": "object", "properties": {"name": {"type": "string"}}}},
            },
        },
    }
    schema = doc["components"]["schemas"]["Ours"]["allOf"][1]["properties"]
    schema["seed"] = {"anyOf": [{"type": "integer", "minimum": 0}, {"type": "null"}], "description": "A seed."}
    schema["mood"] = {"type": "string", "nullable": True, "enum": ["calm"]}
    schema["tags"] = {"$ref": "#/components/schemas/Tags"}
    fields = request_fields(doc, "acme/ours")
    assert set(fields) == {"model", "lyrics", "seed", "mood", "tags", "tags[].name"}
    assert fields["lyrics"] == FieldFacts(type="string", required=True, max_length=600)
    assert fields["model"].required and fields["model"].enum is None  # const is read to choose the branch
    assert fields["seed"] == FieldFacts(type="integer or null", description="A seed.")  # minimum only on one branch
    assert fields["mood"].type == "null or string" and fields["mood"].enum == ("calm",)
    assert set(request_fields(doc, "acme/other")) == {"model", "x"}


def test_a_ref_cycle_does_not_hang():
    doc = {
        "paths": {"/x": {"post": {"requestBody": _body({"$ref": "#/components/schemas/A"})}}},
        "components": {"schemas": {"A": {"$ref": "#/components/schemas/A"}}},
    }
    assert request_facts(doc, "m") is None


# --- comparing ------------------------------------------------------------------------------------


def test_the_same_document_shows_no_difference():
    assert diffs(lambda s: None) == []
    assert diffs(lambda s: s["properties"]["audio_setting"]["properties"]["format"]["enum"].reverse()) == []
    assert diffs(lambda s: s.update(properties=dict(reversed(s["properties"].items())))) == []
    for m, _ in KEPT.items():  # and each kept reference against itself, parsed twice
        assert compare(kept_facts(m), request_facts(kept_doc(m), m)) == []


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda s: s["properties"]["lyrics"].update(maxLength=3500), "lyrics: maxLength 3000 → 3500"),
        (lambda s: s["properties"]["prompt"].update(minLength=1), "prompt: minLength 10 → 1"),
        (lambda s: s["properties"]["lyrics"].update(minLength=10), "lyrics: minLength (none) → 10"),
        (lambda s: s["properties"]["steps"].update(maximum=100), "steps: maximum 50 → 100"),
        (lambda s: s["properties"]["steps"].pop("minimum"), "steps: minimum 1 → (none)"),
        (lambda s: s["properties"].update(seed={"type": "integer"}), "new field `seed` (integer, optional)"),
        (lambda s: s["properties"].pop("lyrics"), "removed field `lyrics`"),
        (lambda s: s["required"].append("lyrics"), "`lyrics` now required"),
        (lambda s: s["required"].remove("prompt"), "`prompt` no longer required"),
        (lambda s: s["properties"]["steps"].update(type="number"), "steps: type integer → number"),
        (lambda s: s["properties"]["reference_audio_url"].pop("format"), "reference_audio_url: format uri → (none)"),
        (lambda s: s["properties"]["steps"].update(default=4), "steps: default 8 → 4"),
        (
            lambda s: s["properties"]["audio_setting"]["properties"]["sample_rate"].update(default=44100),
            'audio_setting.sample_rate: default "44100" → 44100',
        ),
        (
            lambda s: s["properties"]["audio_setting"]["properties"]["format"]["enum"].append("flac"),
            "enum audio_setting.format: + flac",
        ),
        (
            lambda s: s["properties"]["audio_setting"]["properties"]["sample_rate"].update(enum=[16000, 48000]),
            "enum audio_setting.sample_rate: + 48000, - 44100",
        ),
        (lambda s: s["properties"]["lyrics"].update(enum=["la"]), "enum lyrics: (none) → la"),
        (
            lambda s: s["properties"]["prompt"].update(description="Style. Length: 10–1000."),
            "prompt: description changed: «…Length: 10–2000.» → «…Length: 10–1000.»",
        ),
    ],
)
def test_each_aspect_is_found_and_said(edit, said):
    assert words(edit) == [said]


def test_a_nested_field_new_removed_or_required_is_found():
    def edit(s):
        sub = s["properties"]["audio_setting"]
        sub["properties"]["bitrate"] = {"type": "integer", "enum": [128000]}
        sub["required"] = ["format"]
        s["properties"]["steps"]["maximum"] = 10

    assert words(edit) == [
        "new field `audio_setting.bitrate` (integer, optional, enum 128000)",
        "`audio_setting.format` now required",
        "steps: maximum 50 → 10",
    ]


def test_a_moved_endpoint_and_a_missing_model_are_differences():
    moved = small_doc()
    moved["paths"]["/v3/generate/audio"] = moved["paths"].pop("/v2/generate/audio")
    ours = request_facts(small_doc(), "acme/song-1")
    assert [d.words() for d in compare(ours, request_facts(moved, "acme/song-1"))] == [
        "endpoint: /v2/generate/audio → /v3/generate/audio"
    ]
    gone = compare(ours, None)
    assert [d.words() for d in gone] == ["the reference no longer describes a request for acme/song-1"]
    assert gone[0].to_dict()["aspect"] == "request"


def test_aspects_limit_the_comparison_and_differences_are_json_ready():
    def edit(s):
        s["properties"]["lyrics"]["maxLength"] = 1
        s["properties"]["prompt"]["description"] = "other"
        s["properties"]["new"] = {"type": "boolean", "default": False}

    theirs = small_doc()
    edit(schema_of(theirs))
    ours = request_facts(small_doc(), "acme/song-1")
    found = compare(ours, request_facts(theirs, "acme/song-1"), aspects=("maxLength",))
    assert [(d.field, d.aspect, d.ours, d.theirs) for d in found] == [("lyrics", "maxLength", 3000, 1)]
    everything = [d.to_dict() for d in compare(ours, request_facts(theirs, "acme/song-1"))]
    json.dumps(everything)  # plain JSON: facts as objects, enums as lists
    new = next(d for d in everything if d["field"] == "new")
    assert new["ours"] is None and new["theirs"]["type"] == "boolean" and new["words"].startswith("new field `new`")


# --- the kept references --------------------------------------------------------------------------


@pytest.mark.parametrize("model_id", sorted(KEPT))
def test_each_kept_reference_is_the_providers_file_byte_for_byte(model_id):
    name, blob = KEPT[model_id]
    data = kept_bytes(model_id)
    assert hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest() == blob  # `git hash-object`
    if name.endswith(".gz"):
        assert gzip.decompress((REFERENCE_DIR / name).read_bytes()) == data


def test_the_kept_references_are_the_commit_the_contract_cites_and_are_installed():
    assert drift.REFERENCE_COMMIT == DOCS_COMMIT
    files = {p.name for p in REFERENCE_DIR.iterdir() if p.is_file()}
    assert {name for name, _ in KEPT.values()} | {"README.md"} == files
    readme = (REFERENCE_DIR / "README.md").read_text(encoding="utf-8")
    assert DOCS_COMMIT in readme and all(blob in readme for _, blob in KEPT.values())
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["package-data"]
    for name in files:
        assert any(fnmatch.fnmatch(f"provider_docs/{name}", g) for g in globs["music01_core"]), name


def test_every_live_model_of_the_ai_ml_api_has_a_kept_reference_and_a_contract():
    ours = {m.remote_id for m in supported(MODELS)}
    assert ours == set(KEPT) == set(JOB_CONTRACTS)


# --- CI's offline comparison: music01's contract against the kept references ----------------------

#: What the emulator's contract records (never prose or descriptions; defaults only of integer fields, checked below).
CONTRACT_ASPECTS = tuple(a for a in drift.ASPECTS if a not in ("default", "description"))


def kept_as_the_contract_reads_it(model_id: str) -> drift.RequestFacts:
    """The kept facts, with the one fact the contract does not record left unstated: the type of ``model``."""
    kept = kept_facts(model_id)
    fields = {**kept.fields, "model": dataclasses.replace(kept.fields["model"], type=None)}
    return dataclasses.replace(kept, fields=fields)


@pytest.mark.parametrize("model_id", sorted(JOB_CONTRACTS))
def test_the_emulators_contract_says_what_the_kept_reference_says(model_id):
    found = compare(
        contract_facts(JOB_CONTRACTS[model_id]), kept_as_the_contract_reads_it(model_id), aspects=CONTRACT_ASPECTS
    )
    assert [d.words() for d in found] == []


@pytest.mark.parametrize("model_id", sorted(JOB_CONTRACTS))
def test_each_limit_the_contract_reads_from_prose_is_in_the_kept_description(model_id):
    for s in JOB_CONTRACTS[model_id].strings:
        text = kept_facts(model_id).fields[s.name].description or ""
        for bound in (s.prose_min_length, s.prose_max_length):
            assert bound is None or str(bound) in text, (s.name, bound, text)
        for flag in s.required_unless:  # "required unless" is read from the switches' descriptions
            assert s.name in (kept_facts(model_id).fields[flag].description or ""), (s.name, flag)


def test_the_offline_comparison_fails_on_a_contract_or_a_reference_edited_alone():
    c = JOB_CONTRACTS["minimax/music-1.5"]
    lyrics = dataclasses.replace(c.string("lyrics"), max_length=3500)
    edited = dataclasses.replace(c, strings=(c.string("prompt"), lyrics))
    found = compare(contract_facts(edited), kept_as_the_contract_reads_it(c.id), aspects=CONTRACT_ASPECTS)
    assert [d.words() for d in found] == ["lyrics: maxLength 3500 → 3000"]
    doc = kept_doc(c.id)
    schema_of(doc)["properties"]["audio_setting"]["properties"]["format"]["enum"].append("flac")
    found = compare(contract_facts(c), request_facts(doc, c.id), aspects=("enum",))
    assert [d.words() for d in found] == ["enum audio_setting.format: + flac"]


@pytest.mark.parametrize("model", supported(MODELS), ids=lambda m: m.id)
def test_the_client_table_sends_the_kept_references_fields(model):
    """The table's sent field names and required-ness are the reference's; its limits at least as strict."""
    kept = kept_facts(model.remote_id).fields
    sent = {"model"}
    for spec in (model.prompt, model.lyrics):
        if spec is not None:
            facts = kept[spec.api_field]
            sent.add(spec.api_field)
            assert spec.required == facts.required, spec.api_field
            assert facts.min_length is None or spec.min_chars >= facts.min_length, spec.api_field
            assert facts.max_length is None or spec.max_chars <= facts.max_length, spec.api_field
    if model.takes_reference:
        sent.add(model.reference.api_field)
        assert kept[model.reference.api_field].required and kept[model.reference.api_field].format == "uri"
    if model.audio_setting is not None:
        names = (model.audio_setting.sample_rate_field, "bitrate", "format")
        sent |= {"audio_setting", *(f"audio_setting.{n}" for n in names)}
        assert tuple(model.returns) == kept["audio_setting.format"].enum
    sent |= set(model.flags)
    assert all(kept[f].type == "boolean" for f in model.flags)
    for o in model.options:  # a length, a seed…: the reference's type, bounds at least as strict, its default
        facts = kept[o.api_field]
        sent.add(o.api_field)
        assert facts.type == ("integer" if o.kind == "int" else "string") and not facts.required, o.name
        assert facts.minimum is None or (o.minimum is not None and o.minimum * o.scale >= facts.minimum), o.name
        assert facts.maximum is None or (o.maximum is not None and o.maximum * o.scale <= facts.maximum), o.name
        assert (o.default * o.scale if o.default is not None else None) == facts.default, o.name
    assert sent == set(kept), "the table and the kept reference name different fields"
    assert {f for f, x in kept.items() if x.required} <= sent


# --- docscheck: fetching and reporting, with no network -------------------------------------------


class FakeResponse:
    def __init__(self, status=200, body=b"", headers=None):
        self.status_code, self.body, self.headers = status, body, headers or {}

    def iter_content(self, size):
        for i in range(0, len(self.body), size):
            yield self.body[i : i + size]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class FakeSession:
    """Answers GETs by URL (a response or an exception) and records each request's headers."""

    def __init__(self, answers):
        self.answers, self.sent = answers, []

    def get(self, url, *, headers=None, timeout=None, stream=False):
        self.sent.append((url, dict(headers or {}), timeout))
        answer = self.answers[url]
        if isinstance(answer, Exception):
            raise answer
        return answer


def listing(**urls) -> Catalogue:
    """A checked list naming the live models (their docsJson from ``urls``, by model id with / as __)."""
    models = []
    for m in supported(MODELS):
        key = m.remote_id.replace("/", "__").replace("-", "_").replace(".", "_")
        if key in urls and urls[key] is not None:
            models.append(ListedModel(id=m.remote_id, type="audio", docs_json=urls[key]))
    return Catalogue(models=tuple(models), checked_at=1.0)


def doc_answer(doc) -> FakeResponse:
    return FakeResponse(body=doc if isinstance(doc, bytes) else json.dumps(doc).encode())


def test_check_docs_reports_same_drift_and_not_checked_and_sends_no_key():
    drifted = kept_doc("minimax/music-2.6")
    schema_of(drifted)["properties"]["lyrics"]["maxLength"] = 2500
    session = FakeSession(
        {
            "https://d/mm": doc_answer(kept_bytes("minimax-music")),
            "https://d/26": doc_answer(drifted),
            "https://d/20": FakeResponse(status=503),
            "https://d/15": requests.exceptions.ConnectTimeout(),
        }
    )
    urls = dict(minimax_music="https://d/mm", minimax__music_2_6="https://d/26", minimax__music_2_0="https://d/20")
    report = check_docs(listing(**urls, minimax__music_1_5="https://d/15"), MODELS, session=session)
    by_id = {c.model_id: c for c in report.checks}
    assert by_id["minimax-music"].status == "same"
    assert [d.words() for d in by_id["minimax/music-2.6"].differences] == ["lyrics: maxLength 3000 → 2500"]
    assert by_id["minimax/music-cover"].why == "no longer listed by the provider"
    assert by_id["minimax/music-2.0"].why == "the document answered HTTP 503"
    assert by_id["minimax/music-1.5"].why == "the document did not answer in time"
    assert [c.model_id for c in report.drifted] == ["minimax/music-2.6"]
    assert len(report.unchecked) == len(supported(MODELS)) - 2  # all but the same one and the drifted one
    assert all("authorization" not in {k.lower() for k in h} for _, h, _ in session.sent)
    text = report.words()
    assert "minimax-music            no change since f14fa72" in text
    assert "      lyrics: maxLength 3000 → 2500" in text and "not checked (the document answered HTTP 503)" in text
    d = report.to_dict()
    assert d["drifted"] == 1 and d["not_checked"] == len(report.unchecked) and d["reference_commit"] == DOCS_COMMIT
    assert d["models"][2]["differences"][0]["aspect"] == "maxLength"


def test_a_list_never_read_or_without_docs_json_checks_nothing():
    never = check_docs(Catalogue(error="the list answered HTTP 503"), MODELS, session=FakeSession({}))
    assert {c.why for c in never.checks} == {"the provider's list could not be read: the list answered HTTP 503"}
    bare = Catalogue(models=tuple(ListedModel(id=m.remote_id) for m in supported(MODELS)), checked_at=1.0)
    assert {c.why for c in check_docs(bare, MODELS, session=FakeSession({})).checks} == {
        "the provider's list gives no docsJson for it"
    }


def test_a_republished_model_is_read_under_its_new_name():
    doc = kept_doc("minimax/music-2.0")
    schema_of(doc)["properties"]["model"]["enum"] = ["minimax/music-2.0-v2"]
    listed = Catalogue(
        models=(ListedModel(id="minimax/music-2.0-v2", aliases=("minimax/music-2.0",), docs_json="https://d/x"),),
        checked_at=1.0,
    )
    report = check_docs(
        listed,
        {"minimax/music-2.0": MODELS["minimax/music-2.0"]},
        session=FakeSession({"https://d/x": doc_answer(doc)}),
    )
    assert [d.words() for d in report.checks[0].differences] == [
        "enum model: + minimax/music-2.0-v2, - minimax/music-2.0"
    ]


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (FakeResponse(body=b"<html>login</html>"), "the document is not JSON"),
        (FakeResponse(body=b"[1, 2]"), "the document is not an OpenAPI object"),
        (FakeResponse(headers={"Content-Length": str(MAX_BYTES + 1)}), "the document is larger than 16 MB"),
        (requests.exceptions.ConnectionError(), "the document could not be reached (ConnectionError)"),
    ],
)
def test_fetch_doc_says_why_a_document_cannot_be_read(answer, why):
    with pytest.raises(DocsError, match=f"^{why}".replace("(", r"\(").replace(")", r"\)")):
        fetch_doc("https://d/x", session=FakeSession({"https://d/x": answer}))


def test_fetch_doc_refuses_a_url_that_is_not_http():
    with pytest.raises(DocsError, match="not an http"):
        fetch_doc("file:///etc/passwd", session=FakeSession({}))


def test_kept_doc_is_a_fresh_copy():
    a = kept_doc("minimax/music-cover")
    schema_of(a)["properties"].clear()
    assert schema_of(kept_doc("minimax/music-cover"))["properties"] and copy.deepcopy(a) == a
