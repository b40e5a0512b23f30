"""The emulator validates with the provider's contract, never with our client-side model table.

- (a) no module of :mod:`music01_core.emulator` imports :mod:`music01_core.models` (read
  with :mod:`ast`, so the test fails the day someone adds one);
- (b) the emulator on 127.0.0.1 answers 400 just past each limit of
  :mod:`music01_core.emulator.contract` (the stricter of the schema's and the prose's) and
  accepts at it, even with our table loosened;
- (c) our table (:data:`music01_core.models.MODELS`) agrees with the contract on every live
  model's text limits, reference field and ``audio_setting`` rate name: the test that fails
  when a wrong limit is typed into the table.
"""

from __future__ import annotations

import ast
import dataclasses
import json
from pathlib import Path

import pytest
import requests

from music01_core.emulator import EmulatorServer
from music01_core.emulator.contract import JOB_CONTRACTS, MUSIC01, ModelContract
from music01_core.settings import JOB_PATH
from tests.audiogen import KEY

pytestmark = pytest.mark.server
EMULATOR = Path(__file__).resolve().parents[2] / "music01_core" / "emulator"
FORBIDDEN_NAMES = {"MODELS", "get_model", "model_ids", "LEGACY_MODEL", "DEFAULT_MODEL", "live_models", "model_in_use"}
# A fault sent in the header is answered only after the body passed validation: a 503 means
# "accepted", without rendering anything (the same rule test_a_fault_never_hides_a_validation_error relies on).
ACCEPTED = {"X-Music01-Fault": "http:503"}


# --- (a) no import of the model table ------------------------------------------------------------


def _resolve(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join(base + ([node.module] if node.module else []))


def model_table_imports(source: str, package: str = "music01_core.emulator") -> list[str]:
    """Every import of ``music01_core.models`` (or of its names) in ``source``, as text."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.startswith("music01_core.models")]
        elif isinstance(node, ast.ImportFrom):
            module = _resolve(node, package)
            names = {a.name for a in node.names}
            if module.startswith("music01_core.models") or (module == "music01_core" and "models" in names):
                found.append(f"from {module} import {', '.join(sorted(names))}")
            elif names & FORBIDDEN_NAMES:
                found.append(f"from {module} import {', '.join(sorted(names & FORBIDDEN_NAMES))}")
        elif isinstance(node, ast.Constant) and node.value == "music01_core.models":
            found.append("importlib of music01_core.models")
    return found


@pytest.mark.parametrize(
    "source",
    [
        "from ..models import MODELS",
        "def f():\n    from ..models import model_ids\n",
        "from music01_core.models import get_model",
        "from .. import models",
        "import music01_core.models as m",
        "from ..somewhere import LEGACY_MODEL",
    ],
)
def test_the_import_check_finds_each_form(source):
    assert model_table_imports(source)


@pytest.mark.parametrize("path", sorted(EMULATOR.glob("*.py")), ids=lambda p: p.name)
def test_no_emulator_module_imports_the_model_table(path):
    assert model_table_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize("path", sorted(EMULATOR.glob("*.py")), ids=lambda p: p.name)
def test_emulator_functions_stay_short(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    long = [
        (n.name, n.end_lineno - n.lineno + 1)
        for n in ast.walk(tree)
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and n.end_lineno - n.lineno + 1 > 60
    ]
    assert long == []


# --- (b) the emulator enforces the contract ------------------------------------------------------


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    with EmulatorServer(key=KEY, home=tmp_path_factory.mktemp("emu-contract")) as server:
        yield server


@pytest.fixture
def loose_table(monkeypatch):
    """Our table made to allow far more than the provider: the emulator must not notice."""
    from music01_core import models

    for mid, m in list(models.MODELS.items()):
        texts = {k: getattr(m, k) for k in ("lyrics", "prompt") if getattr(m, k) is not None}
        loose = {k: dataclasses.replace(t, min_chars=0, max_chars=10**6, required=False) for k, t in texts.items()}
        monkeypatch.setitem(models.MODELS, mid, dataclasses.replace(m, **loose))


def valid_body(c: ModelContract) -> dict:
    """A body the contract accepts: every required field (and "required unless" one), within its bounds."""
    body: dict = {"model": c.id}
    for s in c.strings:
        if s.required or s.required_unless:
            body[s.name] = "a" * (s.min_units or 12)
    if c.reference is not None:
        body[c.reference.name] = "https://example.com/song.mp3"
    if c.audio_setting is not None:
        body["audio_setting"] = {c.audio_setting.sample_rate_field: 44100, "bitrate": 256000, "format": "mp3"}
    return body


def post(emu, c: ModelContract, body: dict) -> requests.Response:
    headers = {"Authorization": f"Bearer {KEY}", **ACCEPTED}
    return requests.post(emu.url + c.path, json=body, headers=headers, timeout=30)


def limit_cases():
    """One case per enforced bound of every model: (contract, field, a value at the bound, one just past it)."""
    for c in (*JOB_CONTRACTS.values(), MUSIC01):
        for s in c.strings:
            if s.min_units is not None:
                yield pytest.param(c, s.name, "a" * s.min_units, "a" * (s.min_units - 1), id=f"{c.id}-{s.name}-min")
            if s.max_units is not None:
                yield pytest.param(c, s.name, "a" * s.max_units, "a" * (s.max_units + 1), id=f"{c.id}-{s.name}-max")
        for i in c.integers:  # a length, a seed, steps: the schema's minimum and maximum
            if i.minimum is not None:
                yield pytest.param(c, i.name, i.minimum, i.minimum - 1, id=f"{c.id}-{i.name}-min")
            if i.maximum is not None:
                yield pytest.param(c, i.name, i.maximum, i.maximum + 1, id=f"{c.id}-{i.name}-max")


def test_every_model_has_a_limit_case():
    # minimax-music's schema has no length bound, but its prose's "Maximum 600 characters" is enforced.
    covered = {p.values[0].id for p in limit_cases()}
    assert covered == {c.id for c in (*JOB_CONTRACTS.values(), MUSIC01)}


@pytest.mark.parametrize("contract, field, at, past", list(limit_cases()))
def test_the_emulator_answers_400_just_past_each_limit(emu, loose_table, contract, field, at, past):
    emu.reset()
    r = post(emu, contract, {**valid_body(contract), field: at})
    assert r.status_code == 503, r.text  # passed validation; the header's fault answered
    r = post(emu, contract, {**valid_body(contract), field: past})
    assert r.status_code == 400, r.text
    assert any(m.startswith(f"{field} must") for m in r.json()["message"]), r.json()["message"]


@pytest.mark.parametrize("contract", [*JOB_CONTRACTS.values(), MUSIC01], ids=lambda c: c.id)
def test_required_fields_are_required(emu, loose_table, contract):
    emu.reset()
    assert post(emu, contract, valid_body(contract)).status_code == 503  # minimax/music-2.6: model and lyrics
    required = [s.name for s in contract.strings if s.required]
    required += [contract.reference.name] if contract.reference is not None and contract.reference.required else []
    for name in required:
        body = {k: v for k, v in valid_body(contract).items() if k != name}
        r = post(emu, contract, body)
        assert r.status_code == 400 and f"{name} should not be empty" in r.json()["message"], r.text


@pytest.mark.parametrize(
    "contract", [c for c in (*JOB_CONTRACTS.values(), MUSIC01) if c.audio_setting is not None], ids=lambda c: c.id
)
def test_the_audio_setting_rate_goes_by_the_contracts_name(emu, contract):
    emu.reset()
    rate = contract.audio_setting.sample_rate_field
    other = "audio_sample_rate" if rate == "sample_rate" else "sample_rate"
    setting = {k: v for k, v in valid_body(contract)["audio_setting"].items() if k != rate}
    r = post(emu, contract, {**valid_body(contract), "audio_setting": {**setting, other: 44100}})
    assert r.status_code == 400 and f"audio_setting.property {other} should not exist" in r.json()["message"]
    r = post(emu, contract, {**valid_body(contract), "audio_setting": {**setting, rate: 48000, "bitrate": 48000}})
    assert r.status_code == 400 and len(r.json()["message"]) == 2, r.text


def test_a_model_without_audio_setting_or_flags_refuses_them(emu):
    c = JOB_CONTRACTS["minimax-music"]
    r = post(emu, c, {**valid_body(c), "audio_setting": {"format": "mp3"}, "is_instrumental": True})
    messages = r.json()["message"]
    assert r.status_code == 400 and "property audio_setting should not exist" in messages
    assert "property is_instrumental should not exist" in messages


def test_flags_must_be_booleans(emu):
    c = JOB_CONTRACTS["minimax/music-2.6"]
    assert post(emu, c, {**valid_body(c), "is_instrumental": True, "lyrics_optimizer": False}).status_code == 503
    r = post(emu, c, {**valid_body(c), "is_instrumental": "yes"})
    assert r.status_code == 400 and r.json()["message"] == ["is_instrumental must be a boolean value"]


@pytest.mark.parametrize("contract", [c for c in JOB_CONTRACTS.values() if c.reference], ids=lambda c: c.id)
def test_the_reference_must_be_a_uri(emu, contract):
    name = contract.reference.name
    for ok in ("https://example.com/a.mp3", "data:audio/mpeg;base64,SUQz"):
        assert post(emu, contract, {**valid_body(contract), name: ok}).status_code == 503, ok
    for bad in ("", "song.mp3", "SUQzBAAAAAAA", 42):
        r = post(emu, contract, {**valid_body(contract), name: bad})
        assert r.status_code == 400 and r.json()["message"] == [f"{name} must be a URL address"], bad


def test_an_unknown_model_names_the_contracts_models(emu):
    r = requests.post(
        emu.url + JOB_PATH, json={"model": "music-01"}, headers={"Authorization": f"Bearer {KEY}"}, timeout=30
    )
    assert r.status_code == 400
    assert r.json()["message"] == ["model must be one of the following values: " + ", ".join(JOB_CONTRACTS)]


# --- (c) our client table agrees with the contract ------------------------------------------------


def _table(model_id: str):
    from music01_core.models import MODELS

    return MODELS[model_id]


def _texts(m) -> dict:
    """Our table's text fields by role, as (JSON field, required, min, max)."""
    return {
        role: (spec.api_field, spec.required, spec.min_chars, spec.max_chars)
        for role, spec in (("lyrics", m.lyrics), ("prompt", m.prompt))
        if spec is not None
    }


def _expected_texts(c: ModelContract, table: dict) -> dict:
    """What the table's text fields must be, by role.

    The table has the contract's enforced bounds (the stricter of the schema's and the
    prose's); with no minimum at all, the table's minimum is 0 or 1 ("not empty": the client
    leaves an empty field out).
    """
    out = {}
    for s in c.strings:
        if s.role not in ("lyrics", "prompt"):
            continue
        got_min, got_max = table.get(s.role, (None, None, None, None))[2:]
        lo = s.min_units if s.min_units is not None else got_min if got_min in (0, 1) else 0
        # No maximum anywhere in the reference (stable-audio's prompt): the table keeps one of its own
        # (and says so in its limit_note: tests/unit/test_provider_counting.py).
        hi = s.max_units if s.max_units is not None else got_max
        out[s.role] = (s.name, s.required, lo, hi)
    return out


def _contract_id(c: ModelContract) -> str:
    return c.id


def test_the_contract_covers_every_live_model_of_the_table():
    from music01_core.models import live_models

    assert {m.id for m in live_models() if m.provider == "aimlapi"} == set(JOB_CONTRACTS)
    assert all(_table(c).protocol == "job" for c in JOB_CONTRACTS)


@pytest.mark.parametrize("contract", [*JOB_CONTRACTS.values(), MUSIC01], ids=_contract_id)
def test_our_table_has_the_contracts_text_limits(contract):
    table = _texts(_table(contract.id))
    assert table == _expected_texts(contract, table), f"music01_core/models.py vs {contract.source}"


@pytest.mark.parametrize("contract", list(JOB_CONTRACTS.values()), ids=_contract_id)
def test_our_table_has_the_contracts_reference_field(contract):
    m = _table(contract.id)
    assert m.takes_reference == (contract.reference is not None and contract.reference.required), contract.source
    if contract.reference is not None:
        assert m.reference.api_field == contract.reference.name, contract.source
        # The ways a "format: uri" field can carry that the prose names (a URL, Base64 as a data: URI).
        assert set(m.reference.ways) == set(contract.reference.prose_ways), contract.source


@pytest.mark.parametrize("contract", [*JOB_CONTRACTS.values(), MUSIC01], ids=_contract_id)
def test_our_table_has_the_contracts_audio_setting_and_flags(contract):
    m = _table(contract.id)
    want = contract.audio_setting.sample_rate_field if contract.audio_setting is not None else None
    got = m.audio_setting.sample_rate_field if m.audio_setting is not None else None
    assert got == want, contract.source
    assert set(m.flags) == set(contract.flags), contract.source
    if contract.audio_setting is not None:
        assert set(m.returns) == set(contract.audio_setting.formats), contract.source


@pytest.mark.parametrize("contract", list(JOB_CONTRACTS.values()), ids=_contract_id)
def test_our_table_has_the_contracts_required_unless_rules(contract):
    m = _table(contract.id)
    for role, spec in (("lyrics", m.lyrics), ("prompt", m.prompt)):
        field = contract.string(role)
        if spec is not None and field is not None:
            assert spec.required_unless == field.required_unless, (role, contract.source)


def test_the_consistency_check_catches_a_wrong_limit():
    c = JOB_CONTRACTS["minimax/music-1.5"]
    wrong = dict(_texts(_table(c.id)))
    wrong["prompt"] = ("prompt", True, 10, 3000)  # 300 mistyped as 3000
    assert wrong != _expected_texts(c, wrong)


def test_each_contract_cites_its_source():
    for c in JOB_CONTRACTS.values():
        assert c.source.startswith("aimlapi/api-docs@f14fa72:") and c.source.endswith(".json"), c.source
    assert MUSIC01.source.startswith("shared/api/music-01.openapi.json")
    # Plain data: it can be shown (e.g. in a report) without our table.
    json.dumps({c.id: dataclasses.asdict(c) for c in (*JOB_CONTRACTS.values(), MUSIC01)})
