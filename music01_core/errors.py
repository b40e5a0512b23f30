"""One exception tree for music01.

Every error the library raises derives from :class:`Music01Error`.  Errors caused by
what a person gave us (a file, a segment, lyrics) also derive from :class:`ValueError`
through :class:`InputError`, so generic code can catch them the usual way.  Messages
are written for people: they say what is wrong and what to do about it.
"""

from __future__ import annotations

__all__ = [
    "Music01Error",
    "InputError",
    "AudioInputError",
    "FileMissingError",
    "EmptyFileError",
    "NotAudioError",
    "CorruptAudioError",
    "NoAudioStreamError",
    "ClipTooShortError",
    "ClipTooLongError",
    "SegmentError",
    "UnsupportedFormatError",
    "LyricsError",
    "EmptyLyricsError",
    "LyricsTooLongError",
    "SettingError",
    "InvalidRequestError",
    "UnknownIdError",
    "BackendUnavailableError",
    "FFmpegError",
    "FFmpegNotFoundError",
]


class Music01Error(Exception):
    """Root of every error raised by music01_core."""


class InputError(Music01Error, ValueError):
    """Something a person supplied cannot be used as it is (exit code 2 in the CLI)."""


# --- audio input -------------------------------------------------------------------
class AudioInputError(InputError):
    """An audio file cannot be turned into a valid music-01 reference clip."""


class FileMissingError(AudioInputError):
    """The input file does not exist or is not a regular file."""


class EmptyFileError(AudioInputError):
    """The input file has zero bytes."""


class NotAudioError(AudioInputError):
    """The input is not a media file ffmpeg can open (e.g. a text file renamed .mp3)."""


class CorruptAudioError(AudioInputError):
    """The input opens but cannot be decoded completely (truncated or damaged)."""


class NoAudioStreamError(AudioInputError):
    """The input is a media file without any audio stream (e.g. a silent video)."""


class ClipTooShortError(AudioInputError):
    """The audio (or the chosen segment) is not longer than music-01's 10 s minimum."""


class ClipTooLongError(AudioInputError):
    """The audio (or the chosen segment) is longer than music-01's 10 min maximum."""


class SegmentError(AudioInputError):
    """The requested start/end segment does not fit the file."""


class UnsupportedFormatError(AudioInputError):
    """An output format music-01 does not accept was requested."""


# --- lyrics ------------------------------------------------------------------------
class LyricsError(InputError):
    """Lyrics that music-01 would reject."""


class EmptyLyricsError(LyricsError):
    """Nothing to sing: the lyrics are empty (or empty inside the ## wrap)."""


class LyricsTooLongError(LyricsError):
    """The lyrics exceed music-01's character limit."""


class SettingError(InputError):
    """An option value outside what the contract allows (sample rate, bitrate, format...)."""


class InvalidRequestError(InputError):
    """A request the service would reject as invalid (missing ids, wrong purpose...)."""


class UnknownIdError(InvalidRequestError):
    """A voice_id / instrumental_id the backend does not know (music-01 error 2013)."""


class BackendUnavailableError(Music01Error):
    """The chosen backend cannot be used here (e.g. the API backend without a key)."""


# --- environment -------------------------------------------------------------------
class FFmpegError(Music01Error):
    """ffmpeg failed in a way that is not explained by the input file."""


class FFmpegNotFoundError(FFmpegError):
    """No usable ffmpeg binary was found."""
