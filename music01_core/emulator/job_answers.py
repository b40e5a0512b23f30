"""How each job model's answers look, and what of its body the engine renders: read from :mod:`.contract`.

The job interface (:mod:`.jobs`) is one for every model; what differs between models is data in
their contracts (:class:`~.contract.JobAnswer`, :class:`~.contract.IntegerField`), read here:

- the id's suffix (``…:lyria2`` for ``google/lyria2``; ``…:elevenlabs/eleven_music``);
- ``meta.usage``: ``credits_used`` and ``usd_spent``, or ``credits_used`` alone (Lyria 2, Stable
  Audio), as each response schema lists them;
- ``audio_file``: ``url`` alone (ElevenLabs' example), or with ``content_type`` (Stable Audio's WAV
  is ``application/octet-stream``), ``file_name`` and ``file_size``;
- the format the model makes (WAV for Lyria 2 and Stable Audio), and the length and seed a body
  asks for (``music_length_ms``, ``seconds_total``, ``seed``; the schema's default when left out).
"""

from __future__ import annotations

from .common import EmulatorState
from .contract import ModelContract
from .logs import new_id, usd

__all__ = [
    "job_id",
    "job_usage",
    "job_audio_file",
    "job_content_type",
    "job_format",
    "render_options",
    "CONTENT_TYPES",
]

#: The content type of each format, where a model's example names none.
CONTENT_TYPES = {"mp3": "audio/mpeg", "wav": "audio/wav", "pcm": "application/octet-stream"}


def job_id(state: EmulatorState, contract: ModelContract) -> str:
    """A new generation id in the emulator's style, with the model's own suffix (``uuid`` style)."""
    return new_id(state.id_style, contract.answer.id_suffix or contract.id.split("/")[-1])


def job_usage(contract: ModelContract | None, credits: int) -> dict:
    """``meta.usage`` for ``credits``, with the fields the model's response schema lists."""
    fields = contract.answer.usage if contract is not None else ("credits_used", "usd_spent")
    figures = {"credits_used": credits, "usd_spent": usd(credits)}
    return {f: figures[f] for f in fields}


def job_audio_file(state: EmulatorState, contract: ModelContract, url: str, fmt: str, size: int) -> dict:
    """``audio_file`` of a finished job: the URL, and the file's facts where the model's example gives them."""
    out = {"url": url}
    full = contract.answer.file_fields if contract.answer.file_fields is not None else not state.sparse_audio_file
    if full:
        out.update(content_type=job_content_type(contract, fmt), file_name=url.rsplit("/", 1)[-1], file_size=size)
    return out


def job_content_type(contract: ModelContract, fmt: str) -> str:
    """The content type the model's file is labelled with (its example's, else the format's)."""
    return contract.answer.content_type or CONTENT_TYPES.get(fmt, "application/octet-stream")


def job_format(contract: ModelContract) -> str:
    """The format a model without ``audio_setting.format`` makes (every MiniMax schema defaults to mp3)."""
    return contract.answer.format


def render_options(contract: ModelContract, body: dict) -> dict:
    """What of ``body``'s integer fields the engine renders: ``{"length_s": …, "seed": …}`` (only those known)."""
    out: dict = {}
    for spec in contract.integers:
        value = body.get(spec.name, spec.default)
        if value is None:
            continue
        if spec.role in ("length_ms", "length_s"):
            out["length_s"] = value / 1000 if spec.role == "length_ms" else value
        elif spec.role == "seed":
            out["seed"] = int(value)
    return out
