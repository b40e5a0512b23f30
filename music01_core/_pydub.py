"""Import pydub once, quietly, already pointed at our ffmpeg.

pydub warns at import time when ``ffmpeg`` is not on PATH, even though we give it a
binary right after; that warning would only confuse people, so it is silenced here.
"""

from __future__ import annotations

import warnings

with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="Couldn't find ffmpeg or avconv", category=RuntimeWarning)
    warnings.filterwarnings("ignore", message="Couldn't find ffprobe or avprobe", category=RuntimeWarning)
    # pydub imports the stdlib audioop, deprecated in 3.11 (we pin nothing that needs 3.13).
    warnings.filterwarnings("ignore", message="'audioop' is deprecated", category=DeprecationWarning)
    from pydub import AudioSegment  # noqa: E402

from .ffmpeg import find_ffmpeg  # noqa: E402


def _point_at_ffmpeg() -> None:
    try:
        AudioSegment.converter = find_ffmpeg()
    except Exception:  # reported with a clear message when ffmpeg is first needed
        pass


_point_at_ffmpeg()

__all__ = ["AudioSegment"]
