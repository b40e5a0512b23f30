"""music01: prepare references and make music with MiniMax music-01, online or offline."""

__version__ = "0.1.0"

from .audio import Clip, format_duration, load_audio, prepare_clip  # noqa: E402
from .errors import *  # noqa: E402,F401,F403
from .errors import __all__ as _errors_all  # noqa: E402
from .lyrics import PAUSE, LyricsReport, build_lyrics, check_lyrics, prepare_lyrics  # noqa: E402


def notebook_setup(**kwargs):
    """Open a notebook's backend and say which it is (see :func:`music01_core.notebook.notebook_setup`)."""
    from .notebook import notebook_setup as setup

    return setup(**kwargs)


__all__ = [
    "__version__",
    "Clip",
    "prepare_clip",
    "load_audio",
    "format_duration",
    "LyricsReport",
    "check_lyrics",
    "prepare_lyrics",
    "build_lyrics",
    "PAUSE",
    "notebook_setup",
    *_errors_all,
]
