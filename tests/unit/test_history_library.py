import json
import multiprocessing
import zipfile

import pytest

from music01_core.backends.base import GenerationResult
from music01_core.history import History
from music01_core.library import LibraryEntry, ReferenceLibrary, key_fingerprint
from tests.audiogen import KEY


def result(n=0, **kw):
    base = dict(
        audio=b"ID3" + bytes([n]) * 100,
        format="mp3",
        sample_rate=44100,
        bitrate=256000,
        channels=2,
        duration_s=12.5,
        voice_id="vocal-2025011003141025-d5ZEMxmp",
        instrumental_id=None,
        backend="offline",
        trace_id=f"{n:032x}",
        seed=n,
        lyrics=f"song {n}",
    )
    base.update(kw)
    return GenerationResult(**base)


def test_save_list_get_delete_export(tmp_path):
    h = History(tmp_path)
    a = h.save(result(1), reference_sha256="ab" * 32, reference_name="take one")
    b = h.save(result(2, inference_id="inf", credits_used="630", usd_spent="0.03"))
    entries = h.list()
    assert [e.id for e in entries] == [b.id, a.id]
    assert open(a.audio_path, "rb").read() == result(1).audio
    rec = json.loads((tmp_path / "history" / a.id / "record.json").read_text())
    for k in (
        "lyrics",
        "voice_id",
        "reference_sha256",
        "reference_name",
        "sample_rate",
        "bitrate",
        "format",
        "backend",
        "trace_id",
        "inference_id",
        "credits_used",
        "usd_spent",
        "duration_s",
        "created",
        "seed",
    ):
        assert k in rec
    assert h.get(b.id).credits_used == "630"
    z = h.export_zip(tmp_path / "out" / "all.zip")
    names = zipfile.ZipFile(z).namelist()
    assert f"{a.id}/record.json" in names and f"{b.id}/{b.audio_file}" in names and "index.json" in names
    h.delete(a.id)
    assert [e.id for e in h.list()] == [b.id]


def test_damaged_records_are_skipped_with_a_warning(tmp_path, caplog):
    h = History(tmp_path)
    good = h.save(result(1))
    bad = h.save(result(2))
    (tmp_path / "history" / bad.id / "record.json").write_text("{not json")
    orphan = h.save(result(3))
    (tmp_path / "history" / orphan.id / orphan.audio_file).unlink()
    (tmp_path / "history" / "20260101T000000-deadbeef").mkdir()  # audio of an interrupted save, no record
    assert [e.id for e in h.list()] == [good.id]
    assert "skipping damaged history record" in caplog.text


def test_saved_before_returned(offline, uploaded, monkeypatch):
    """A crash right after the save loses nothing: the entry is already on disk."""
    import dataclasses

    before = len(offline.history.list())

    def boom(*a, **k):
        raise RuntimeError("crash after saving")

    # generate() saves, then builds the returned copy with dataclasses.replace: fail there.
    monkeypatch.setattr(dataclasses, "replace", boom)
    with pytest.raises(RuntimeError):
        offline.generate("hello there", instrumental_id=uploaded["groove"].instrumental_id, seed=1)
    monkeypatch.undo()
    assert len(offline.history.list()) == before + 1


def entry(i, **kw):
    d = dict(
        sha256=f"{i:064x}",
        purpose="voice",
        base_url="https://api.aimlapi.com",
        key_fp=key_fingerprint(KEY),
        voice_id=f"vocal-2025011003141025-{i:08d}",
        instrumental_id=None,
        created=1000.0 + i,
        name=f"r{i}",
    )
    d.update(kw)
    return LibraryEntry(**d)


def test_library_lookup_and_drop(tmp_path):
    lib = ReferenceLibrary(tmp_path)
    e = lib.add(entry(1))
    assert lib.lookup(e.sha256, "voice", e.base_url, e.key_fp) == e
    assert lib.lookup(e.sha256, "song", e.base_url, e.key_fp) is None
    assert lib.lookup(e.sha256, "voice", "http://127.0.0.1:8787", e.key_fp) is None
    assert lib.lookup(e.sha256, "voice", e.base_url, key_fingerprint("another")) is None
    assert lib.drop_id(e.voice_id) == e and lib.lookup(e.sha256, "voice", e.base_url, e.key_fp) is None
    assert KEY not in (tmp_path / "library" / "references.json").read_text()
    assert key_fingerprint(KEY) != KEY and len(key_fingerprint(KEY)) == 16 and key_fingerprint(None) == ""


def _add_many(home, start):
    lib = ReferenceLibrary(home)
    for i in range(start, start + 20):
        lib.add(entry(i))


def test_library_is_safe_with_several_processes(tmp_path):
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_add_many, args=(str(tmp_path), k * 100)) for k in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
        assert p.exitcode == 0
    assert len(ReferenceLibrary(tmp_path).entries()) == 80


def test_unreadable_library_index_is_not_fatal(tmp_path, caplog):
    lib = ReferenceLibrary(tmp_path)
    lib.add(entry(1))
    (tmp_path / "library" / "references.json").write_text("garbage")
    assert lib.entries() == [] and "unreadable" in caplog.text
    lib.add(entry(2))
    assert len(lib.entries()) == 1


def test_atomic_copy_from_many_threads_at_once(tmp_path):
    # Threads of one server may store the same clip at the same moment: each must finish,
    # the result must be whole, and no temporary file may stay behind.
    from concurrent.futures import ThreadPoolExecutor

    from music01_core.storage import atomic_copy

    src = tmp_path / "src.bin"
    src.write_bytes(bytes(range(256)) * 4096)
    dst = tmp_path / "store" / "clip.bin"
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda _: atomic_copy(src, dst), range(32)))
    assert dst.read_bytes() == src.read_bytes()
    assert [p.name for p in dst.parent.iterdir()] == ["clip.bin"]


# A record exactly as 25daccb (before the one pipeline) wrote it: the format on disk has not moved.
RECORD_25DACCB = {
    "id": "20261206T174839-cb27e7de",
    "created": 1796579319.2241063,
    "lyrics": "la la\nla",
    "voice_id": None,
    "instrumental_id": None,
    "backend": "api",
    "format": "mp3",
    "sample_rate": 44100,
    "bitrate": 256000,
    "duration_s": 12.5,
    "bytes": 103,
    "trace_id": "",
    "audio_file": "music01-20261206T174839-cb27e7de.mp3",
    "seed": None,
    "inference_id": None,
    "credits_used": "126000",
    "usd_spent": None,
    "reference_sha256": "ff" * 32,
    "reference_name": None,
    "warnings": [],
    "model": "minimax-music",
    "prompt": None,
    "generation_id": "abc:minimax-music",
    "reference": {"kind": "url", "url": "https://example.com/r.mp3", "sha256": "ff" * 32},
}


def test_a_history_written_before_the_pipeline_still_loads_and_resumes_as_it_was(tmp_path):
    from music01_core.backends import OfflineBackend

    folder = tmp_path / "history" / RECORD_25DACCB["id"]
    folder.mkdir(parents=True)
    (folder / RECORD_25DACCB["audio_file"]).write_bytes(b"ID3" + b"\0" * 100)
    (folder / "record.json").write_text(json.dumps(RECORD_25DACCB))
    (entry,) = History(tmp_path).list()
    assert entry.model == "minimax-music" and entry.credits_used == "126000" and entry.bytes == 103
    # Resume of a saved piece gives it back whole, without asking anyone.
    piece = OfflineBackend(home=tmp_path).resume("abc:minimax-music")
    assert piece.history_id == entry.id and piece.audio == b"ID3" + b"\0" * 100 and piece.reference["url"]
    # Written again, a record has the same keys as then.
    again = History(tmp_path / "again").save(piece)
    written = json.loads((tmp_path / "again" / "history" / again.id / "record.json").read_text())
    assert set(written) == set(RECORD_25DACCB) | {
        "client_request_id",
        "extra_info",
        "options",
    }  # issues 22, 24 add them
