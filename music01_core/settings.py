"""Constants, environment variable names and defaults, in one place.

Values marked "contract" come from the music-01 OpenAPI document and the notes that go
with it; see ``docs`` in the README for where they are described.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# --- environment variable names ------------------------------------------------------
ENV_HOME = "MUSIC01_HOME"
ENV_FFMPEG = "MUSIC01_FFMPEG"
ENV_BACKEND = "MUSIC01_BACKEND"
ENV_MODEL = "MUSIC01_MODEL"  # the model chosen when none is named (default: models.DEFAULT_MODEL)
ENV_PUBLIC_URL = "MUSIC01_PUBLIC_URL"  # the app's public address, for served reference links
# The AI/ML API's own SDK reads these names, so people already have them set.
ENV_API_KEYS = ("AIML_API_KEY", "AIMLAPI_API_KEY")
ENV_API_BASES = ("AIML_API_BASE", "AIMLAPI_API_BASE")

DEFAULT_API_BASE = "https://api.aimlapi.com"  # contract: servers[0]
UPLOAD_PATH = "/v2/generate/audio/minimax/upload"  # contract
GENERATE_PATH = "/v2/generate/audio/minimax/generate"  # contract
MODEL = "music-01"
JOB_PATH = "/v2/generate/audio"  # the asynchronous interface: POST submits, GET ?generation_id= polls
# Usage logs: one row per request with its client_request_id and inference_id (usage-logs.md, logs-v2.json).
LOGS_PATH = "/v2/logs"
# Credits per dollar, the provider's own rate: music-2.6's page shows 390,000 credits = $0.195 and
# its reference example 120,000 = $0.06 (aimlapi/api-docs f14fa72, music-models/minimax/music-2-6.md).
CREDITS_PER_USD = 2_000_000
LOGS_PAGE = 100  # the largest page the endpoint serves
LOGS_WINDOW_S = 900.0  # rows looked at around a lost submit: its send time ± this
# Waits before each look in the logs after a submit's answer was lost: they come from an analytics
# pipeline and can lag; past these, the record stays and `music01 resume` looks again later.
LOGS_WAITS_S = (2.0, 5.0, 10.0)
LOGS_MAX_PAGES = 50  # a spend report reads at most this many pages of LOGS_PAGE rows (5,000 requests)
# A key's balance: GET /v2/billing answers {current_balance (USD), currency: "USD"}, both always present
# (aimlapi/api-docs f14fa72: docs/api-references/service-endpoints/account-balance.md, billing-v2.json).
BILLING_PATH = "/v2/billing"
BALANCE_TIMEOUT_S = (2.0, 4.0)  # read before each billed call: never worth a long wait
# Where a balance is topped up (the dashboard's billing page; the reference itself names only /app/keys).
TOP_UP_URL = "https://aimlapi.com/app/billing"

# The offline engine makes at most this many seconds when a model's length option asks for more: a
# 300 s stand-in took ~14 s and 1.6 GB at its peak, too much for a shared server with no key (and no cap).
OFFLINE_MAX_S = 120.0

# --- the job path (live-models.md) ------------------------------------------------------
DEFAULT_WAIT_S = 600.0  # how long to wait for a job before leaving it pending (the provider's example: 600 s)
POLL_FIRST_S = 1.0  # first poll this soon after the submit, and never more often
POLL_FRACTION = 0.25  # then wait a quarter of the time waited so far: a job is seen done at most ~25 % late
POLL_MAX_S = 10.0  # …and at most 10 s between polls, the provider's own example
POLL_RETRIES = 5  # failed polls in a row (5xx, reset, timeout) before the wait ends as "resume later"
MAX_RESULT_BYTES = 64 * 1024 * 1024  # a finished piece (about a minute) is a few MB
LINK_TTL_S = 3600.0  # served reference links live an hour: long enough for a queue, short enough to leak little

# --- reference clips (contract: longer than 10 s, at most 10 minutes) -----------------
API_MIN_CLIP_S = 10.0
API_MAX_CLIP_S = 600.0
# Decoders disagree by a few tens of milliseconds (MP3 encoder delay and padding), so we
# keep clear of both limits by this much, measured on the written file.
CLIP_MARGIN_S = 0.25
MIN_CLIP_S = API_MIN_CLIP_S + CLIP_MARGIN_S
MAX_CLIP_S = API_MAX_CLIP_S - CLIP_MARGIN_S
CLIP_FORMATS = ("mp3", "wav")  # what the upload endpoint accepts
DEFAULT_CLIP_FORMAT = "mp3"
DEFAULT_CLIP_BITRATE_KBPS = 192
# An MP3 clip decodes a little longer than the segment it holds: the encoder's lead-in
# (576 + 529 samples) plus padding to whole frames.  Measured at most 0.096 s (16 kHz);
# a segment is shortened by up to this much only when it would otherwise pass MAX_CLIP_S.
MP3_MAX_EXTRA_S = 0.15
# Sample rates kept as they are; anything else is resampled to RESAMPLE_TO.
STANDARD_SAMPLE_RATES = (44100, 48000, 32000, 24000, 22050, 16000)
RESAMPLE_TO = 44100
MAX_CHANNELS = 2
EDGE_FADE_MS = 10  # short fades at cut points, long enough to avoid clicks
SILENCE_DBFS = -60.0  # a clip whose RMS is below this is "silence only"

# --- lyrics (contract: maxLength 600) -------------------------------------------------
MAX_LYRICS_CHARS = 600
ACCOMPANIMENT_MARK = "##"

# --- generate audio settings (contract: AudioSetting enums) ----------------------------
SAMPLE_RATES = (16000, 24000, 32000, 44100)
BITRATES = (32000, 64000, 128000, 256000)
AUDIO_FORMATS = ("mp3", "wav", "pcm")
DEFAULT_SAMPLE_RATE = 44100
DEFAULT_BITRATE = 256000
DEFAULT_AUDIO_FORMAT = "mp3"


def data_home() -> Path:
    """Return the directory where music01 keeps its data.

    ``MUSIC01_HOME`` when set, otherwise the platform's per-user data directory
    (``$XDG_DATA_HOME/music01`` or ``~/.local/share/music01`` on Linux).  The directory is
    not created here; callers create what they need inside it.
    """
    env = os.environ.get(ENV_HOME)
    if env:
        return Path(env).expanduser()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "music01"


# The dataclass lives here with its allowed values, so the contract is in one file.
from dataclasses import dataclass  # noqa: E402


@dataclass(frozen=True)
class AudioSetting:
    """Output audio settings for generate (contract: ``AudioSetting``).

    Attributes
    ----------
    sample_rate : int
        Hz, one of 16000, 24000, 32000, 44100.
    bitrate : int
        bit/s, one of 32000, 64000, 128000, 256000 (used for MP3).
    format : {"mp3", "wav", "pcm"}
        ``pcm`` is raw signed 16-bit little-endian samples.
    """

    sample_rate: int = DEFAULT_SAMPLE_RATE
    bitrate: int = DEFAULT_BITRATE
    format: str = DEFAULT_AUDIO_FORMAT

    def __post_init__(self) -> None:
        from .errors import SettingError

        if self.sample_rate not in SAMPLE_RATES:
            raise SettingError(
                f"sample rate {self.sample_rate} is not one music-01 offers: use one of "
                f"{', '.join(map(str, SAMPLE_RATES))} Hz."
            )
        if self.bitrate not in BITRATES:
            raise SettingError(
                f"bitrate {self.bitrate} is not one music-01 offers: use one of {', '.join(map(str, BITRATES))} bit/s."
            )
        if self.format not in AUDIO_FORMATS:
            raise SettingError(f"format {self.format!r} is not one music-01 offers: use mp3, wav or pcm.")

    def to_dict(self, *, sample_rate_field: str = "sample_rate") -> dict:
        """The JSON object sent as ``audio_setting`` (all three fields, always).

        ``sample_rate_field`` is the rate's name in the chosen model's request
        (``audio_sample_rate`` for the music-2.x models).
        """
        return {sample_rate_field: self.sample_rate, "bitrate": self.bitrate, "format": self.format}
