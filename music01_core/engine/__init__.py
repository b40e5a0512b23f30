"""The offline engine: real music from a reference with no key and no network."""

from .melody import plan_song, syllabify
from .reference import ReferenceFeatures, extract
from .renderer import Rendered, render
from .voice import Note, sing

__all__ = ["ReferenceFeatures", "extract", "Rendered", "render", "Note", "sing", "plan_song", "syllabify"]
