"""The provider layer, driven the way docs/architecture.md says to extend it.

"How to add a provider" is followed here step by step with a toy provider: one adapter class,
one ``register`` call, one model row. The piece it makes goes through the real client pipeline
(checked once, pending on disk before the first poll, kept in the history before it is returned).
"""

from __future__ import annotations

import io
import wave

import numpy as np
import pytest

from music01_core import errors as E
from music01_core import models
from music01_core.client import Client
from music01_core.models import Model, ReferenceSpec, TextSpec
from music01_core.providers import Provider, adapter_name, open_provider, register, registered, unregister
from music01_core.types import Job, JobStatus, MusicRequest


def _wav_bytes(seconds: float = 1.5, rate: int = 16000) -> bytes:
    t = np.arange(int(seconds * rate)) / rate
    pcm = (0.3 * np.sin(2 * np.pi * 440 * t) * 32767).astype("<i2")
    buf = io.BytesIO()
    with wave.open(buf, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return buf.getvalue()


class ToyJobs:
    """Step 1 of the recipe: an adapter. This one queues a job, finishes it on the second poll."""

    name = "toy"
    label = "Toy provider"
    base_url = "toy://local"
    key_fp = "toyfp"
    local_service = True
    offline = False
    answers_once = False
    publisher = None

    def __init__(self, connection) -> None:
        self.connection = connection
        self.submits: list[Job] = []
        self.polls = 0
        self.finish_after = 2

    def submit(self, job: Job) -> JobStatus:
        self.submits.append(job)
        return JobStatus(id=f"toy-{len(self.submits)}", status="queued")

    def poll(self, generation_id: str) -> JobStatus:
        self.polls += 1
        if self.polls < self.finish_after:
            return JobStatus(id=generation_id, status="generating")
        return JobStatus(id=generation_id, status="completed", audio_url="toy://audio.wav", credits_used="7")

    def download(self, status: JobStatus) -> bytes:
        return _wav_bytes()

    def check_audio(self, audio: bytes, fmt: str) -> tuple[float, int]:
        with wave.open(io.BytesIO(audio)) as w:
            return w.getnframes() / w.getframerate(), w.getnchannels()


TOY_MODEL = Model(
    id="toy/music",
    label="Toy music (prompt)",
    status="live",
    protocol="job",
    provider="toy",  # step 3: the row names its adapter as provider/protocol
    reference=ReferenceSpec(),
    lyrics=None,
    prompt=TextSpec("prompt", "style prompt", 3, 50),
    audio_setting=None,
    returns=("wav",),
    summary="a toy model for the provider recipe",
)


@pytest.fixture
def toy(monkeypatch):
    """Steps 2 and 3: register the adapter and add the model row (undone after the test)."""
    made: list[ToyJobs] = []

    def factory(connection):
        made.append(ToyJobs(connection))
        return made[-1]

    register("toy/job", factory)
    monkeypatch.setitem(models.MODELS, TOY_MODEL.id, TOY_MODEL)
    yield made
    unregister("toy/job")


@pytest.fixture
def client(tmp_path):
    c = Client(home=tmp_path / "home")
    c._sleep = lambda s: None  # the poll waits are the toy's business, not the test's
    c._poll_delays = lambda: iter([0.0] * 1000)
    return c


def test_a_toy_provider_makes_a_piece_through_the_registry(toy, client):
    assert "toy/job" in registered() and adapter_name(TOY_MODEL) == "toy/job"
    seen: list[str] = []
    piece = client.make(
        MusicRequest(model="toy/music", prompt="  calm piano  "),
        on_submit=seen.append,
        on_status=lambda status, _s: seen.append(status),
    )
    adapter = toy[0]
    assert isinstance(adapter, Provider)
    assert len(adapter.submits) == 1 and adapter.submits[0].prompt == "calm piano"  # checked (trimmed) once
    assert seen[:2] == ["toy-1", "queued"] and seen[-1] == "completed"
    assert piece.backend == "toy" and piece.model == "toy/music" and piece.generation_id == "toy-1"
    assert piece.format == "wav" and piece.duration_s == pytest.approx(1.5) and piece.credits_used == "7"
    # Kept before it was returned; the pending record is closed.
    assert client.history.find_generation("toy-1") is not None and client.history.pending() == []
    # Resume of a kept piece returns it without asking the provider again.
    assert client.resume("toy-1").history_id == piece.history_id and adapter.polls == 2


def test_the_toy_model_is_checked_by_its_row_before_anything_is_sent(toy, client):
    with pytest.raises(E.InputError, match="style prompt"):
        client.make(MusicRequest(model="toy/music", prompt="no"))  # 2 characters: the row says 3–50
    assert not toy or toy[0].submits == []


def test_a_wait_that_runs_out_leaves_the_toy_job_pending_and_resume_never_submits_again(toy, client):
    client._poll_delays = lambda: iter([1.0] * 1000)
    with pytest.raises(E.JobPendingError) as exc:
        client.make(MusicRequest(model="toy/music", prompt="calm piano"), wait_s=0.0)
    gid = exc.value.generation_id
    assert [j.generation_id for j in client.history.pending()] == [gid]
    piece = client.resume(gid)
    assert piece.generation_id == gid and len(toy[0].submits) == 1 and client.history.pending() == []


class ToyOnce(ToyJobs):
    """An adapter whose answer is the piece itself (like music-01): nothing to poll."""

    answers_once = True

    def submit(self, job: Job) -> JobStatus:
        from music01_core.types import GenerationResult

        self.submits.append(job)
        self.pending_during_submit = [p.state for p in self.connection.history.pending()]
        audio = _wav_bytes(1.0)
        piece = GenerationResult(
            audio=audio,
            format="wav",
            sample_rate=16000,
            bitrate=0,
            channels=1,
            duration_s=1.0,
            voice_id=None,
            instrumental_id=None,
            backend=self.name,
            trace_id="t1",
            seed=None,
            lyrics="",
            model=job.model.id,
            prompt=job.prompt,
        )
        return JobStatus(id="t1", status="completed", piece=piece)


def test_a_provider_that_answers_once_is_kept_under_a_sent_record(monkeypatch, client):
    made: list[ToyOnce] = []
    register("toy/once", lambda c: made.append(ToyOnce(c)) or made[-1])
    try:
        monkeypatch.setitem(
            models.MODELS, "toy/once", Model(**{**TOY_MODEL.__dict__, "id": "toy/once", "protocol": "once"})
        )
        piece = client.make(MusicRequest(model="toy/once", prompt="calm piano"))
    finally:
        unregister("toy/once")
    # While the billed answer was on the way, a record said so (a crash would have left it behind).
    assert made[0].pending_during_submit == ["interrupted"]
    assert piece.history_id and client.history.pending() == []


def test_a_model_whose_provider_is_not_installed_says_so(monkeypatch, client):
    monkeypatch.setitem(models.MODELS, "toy/music", TOY_MODEL)
    with pytest.raises(E.InputError, match="no provider adapter 'toy/job' is installed"):
        client.make(MusicRequest(model="toy/music", prompt="calm piano"))
    with pytest.raises(E.InputError):
        open_provider("nobody/job", client)


def test_registering_a_name_twice_is_refused_unless_replacing():
    register("toy/twice", ToyJobs)
    try:
        with pytest.raises(ValueError, match="already registered"):
            register("toy/twice", ToyJobs)
        register("toy/twice", ToyOnce, replace=True)
    finally:
        unregister("toy/twice")


def test_the_offline_engine_is_a_provider_of_every_model(tmp_path):
    from music01_core.backends import OfflineBackend

    off = OfflineBackend(home=tmp_path / "h")
    for m in models.MODELS.values():
        p = off.provider_for(m)
        assert isinstance(p, Provider) and p.offline and p.name == "offline"
