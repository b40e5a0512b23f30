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
    "PromptError",
    "SettingError",
    "InvalidRequestError",
    "UnknownIdError",
    "BackendUnavailableError",
    "FFmpegError",
    "FFmpegNotFoundError",
    "MissingApiKeyError",
    "ApiError",
    "ApiConnectionError",
    "AuthenticationError",
    "InsufficientCreditsError",
    "UsageLimitError",
    "RateLimitError",
    "ContentFlaggedError",
    "LyricsFlaggedError",
    "OutputFlaggedError",
    "ApiInvalidRequestError",
    "ApiUnknownIdError",
    "EndpointNotFoundError",
    "ServerError",
    "GenerationTimeoutError",
    "IncompleteResultError",
    "BadAudioError",
    "ProtocolError",
    "ReferenceInputError",
    "ReferenceUrlError",
    "NoReferenceRouteError",
    "ModelRetiredError",
    "JobError",
    "JobFailedError",
    "JobNotFoundError",
    "ResultExpiredError",
    "JobPendingError",
    "HTTP_STATUS_ERRORS",
    "BASE_RESP_ERRORS",
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
class OutputPathError(InputError):
    """The output cannot be written where asked: its folder does not exist, or a file is already there."""


class LyricsError(InputError):
    """Lyrics that music-01 would reject."""


class EmptyLyricsError(LyricsError):
    """Nothing to sing: the lyrics are empty (or empty inside the ## wrap)."""


class LyricsTooLongError(LyricsError):
    """The lyrics exceed music-01's character limit."""


class PromptError(InputError):
    """A style prompt outside the chosen model's bounds."""


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


# --- the music-01 service --------------------------------------------------------------
class MissingApiKeyError(BackendUnavailableError, InputError):
    """The API backend was asked for but no key is set."""


class ApiError(Music01Error):
    """The music-01 service (or its gateway) answered with a failure, or did not answer.

    Attributes
    ----------
    http_status : int or None
        The HTTP status, when there was a response.
    code : int or None
        ``base_resp.status_code``, when the body had one.
    trace_id, inference_id, request_id : str or None
        The ids support asks for.
    may_be_billed : bool
        True when a generate request may have reached the service (do not resend blindly).
    retryable : bool
        Whether trying again later can help.
    """

    exit_code = 3
    default_advice = "try again later; if it keeps failing, contact AI/ML API support with the ids below."

    def __init__(
        self,
        message: str,
        *,
        http_status: int | None = None,
        code: int | None = None,
        trace_id: str | None = None,
        inference_id: str | None = None,
        request_id: str | None = None,
        may_be_billed: bool = False,
        retryable: bool = False,
        retry_after_s: float | None = None,
    ) -> None:
        self.http_status = http_status
        self.code = code
        self.trace_id = trace_id
        self.inference_id = inference_id
        self.request_id = request_id
        self.may_be_billed = may_be_billed
        # A request that may have been billed is never one to repeat blindly, whatever the status says.
        self.retryable = retryable and not may_be_billed
        self.retry_after_s = retry_after_s
        ids = [
            f"{k} {v}"
            for k, v in (("trace_id", trace_id), ("x-inference-id", inference_id), ("requestId", request_id))
            if v
        ]
        if may_be_billed:
            message += " The request may have reached the service and may be billed: it was not sent again."
        if ids:
            message += f" ({', '.join(ids)})"
        super().__init__(message)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(http_status={self.http_status}, code={self.code}, "
            f"trace_id={self.trace_id!r}, may_be_billed={self.may_be_billed})"
        )


class ApiConnectionError(ApiError):
    """No connection to the service could be opened (nothing was sent)."""


class AuthenticationError(ApiError):
    """The key is missing, wrong or revoked (HTTP 401, codes 1004, 2049)."""


class InsufficientCreditsError(ApiError):
    """The account is out of credits (HTTP 403, code 1008)."""


class UsageLimitError(ApiError):
    """The account's usage limit is reached (code 2056)."""


class RateLimitError(ApiError):
    """Too many requests or connections (HTTP 429, codes 1002, 1041, 2045)."""


class ContentFlaggedError(ApiError):
    """The service's content filter stopped the request."""


class LyricsFlaggedError(ContentFlaggedError, InputError):
    """The lyrics were flagged as sensitive (code 1026): change them."""


class OutputFlaggedError(ContentFlaggedError):
    """The generated music was flagged as sensitive (code 1027)."""


class ApiInvalidRequestError(ApiError, InvalidRequestError):
    """The service rejected the request's shape or values (HTTP 400, codes 1039, 1042, 2013)."""


class ApiUnknownIdError(ApiInvalidRequestError, UnknownIdError):
    """The service does not (or no longer) know an id (code 2013 on generate)."""


class EndpointNotFoundError(ApiError):
    """HTTP 404: the base URL or path is wrong."""


class ServerError(ApiError):
    """The gateway or the model failed (HTTP 500/502/503, codes 1000, 1024, 1033)."""


class GenerationTimeoutError(ApiError):
    """The generation did not finish in time (HTTP 504, code 1001, or our read timeout)."""


class IncompleteResultError(ApiError):
    """The service answered ``data.status`` 1 (in progress) with no finished audio."""


class BadAudioError(ApiError):
    """The audio in the answer is malformed: bad hex, wrong size, or not the asked format."""


class ProtocolError(ApiError):
    """The answer is not what the contract describes (not JSON, missing fields)."""


class ModelRetiredError(ApiError):
    """The provider no longer serves the chosen model (music-01 since August 2026)."""


# --- references for the job models ---------------------------------------------------
class ReferenceInputError(AudioInputError):
    """A reference cannot be given to the chosen model in the way it was offered."""


class ReferenceUrlError(ReferenceInputError):
    """A reference URL is unusable: unreachable, not audio, too long or short, too big, not http(s)."""


class NoReferenceRouteError(ReferenceInputError):
    """A URL-only model, a local file, and no way for the provider to fetch it.

    ``alternative`` names a live model that takes the audio itself, which the edges offer
    (the CLI's ``--model``, the app's one-click switch); None when the table has none.
    """

    def __init__(self, message: str, *, alternative: str | None = None) -> None:
        super().__init__(message)
        self.alternative = alternative


# --- the asynchronous job interface ------------------------------------------------------
class JobError(ApiError):
    """A generation job failed or cannot be followed.

    Attributes
    ----------
    generation_id : str or None
        The provider's id of the job (keep it: support asks for it, ``resume`` takes it).
    """

    def __init__(self, message: str, *, generation_id: str | None = None, **kwargs) -> None:
        self.generation_id = generation_id
        if generation_id:
            message += f" (generation id {generation_id})"
        super().__init__(message, **kwargs)


class JobFailedError(JobError):
    """The provider reported ``status: error`` for the job; ``error_name``/``error_message`` say why."""

    def __init__(
        self, message: str, *, error_name: str | None = None, error_message: str | None = None, **kwargs
    ) -> None:
        self.error_name = error_name
        self.error_message = error_message
        super().__init__(message, **kwargs)


class JobNotFoundError(JobError):
    """The provider does not know the generation id (mistyped, from another account, or expired)."""


class ResultExpiredError(JobError):
    """The finished audio's download link no longer works."""


class JobPendingError(Music01Error):
    """The wait ran out while the job still runs at the provider; it is kept and can be resumed.

    Not a failure: exit code 4 in the CLI.
    """

    exit_code = 4

    def __init__(self, message: str, *, generation_id: str, status: str = "queued") -> None:
        self.generation_id = generation_id
        self.status = status
        super().__init__(message)


# One table from what the service says to what we raise, with what to tell people.
# HTTP statuses of the gateway (body: {message, path, requestId, statusCode, timestamp}).
HTTP_STATUS_ERRORS: dict[int, tuple[type[ApiError], str]] = {
    400: (ApiInvalidRequestError, "the service rejected the request as invalid: {detail}"),
    401: (
        AuthenticationError,
        "the API key was refused (HTTP 401): check AIML_API_KEY — copy the key again from your AI/ML API dashboard.",
    ),
    403: (InsufficientCreditsError, "the AI/ML API account is out of credits (HTTP 403): top up, then try again."),
    404: (
        EndpointNotFoundError,
        "the endpoint was not found (HTTP 404): check AIML_API_BASE (it should be "
        "https://api.aimlapi.com or your emulator's address).",
    ),
    429: (RateLimitError, "too many requests right now (HTTP 429): wait a minute and try again."),
    500: (ServerError, "the service failed (HTTP 500): try again later."),
    502: (ServerError, "the service's gateway failed (HTTP 502): try again later."),
    503: (ServerError, "the model is unavailable or under maintenance (HTTP 503): try again later."),
    504: (GenerationTimeoutError, "the generation timed out at the gateway (HTTP 504)."),
}
# Upstream codes (base_resp.status_code), from MiniMax's error table.
BASE_RESP_ERRORS: dict[int, tuple[type[ApiError], str]] = {
    1000: (
        ServerError,
        "music-01 reported an unknown error (1000); an unusable reference file can cause it — "
        "try another clip or try again.",
    ),
    1001: (GenerationTimeoutError, "music-01 timed out (1001): try again later."),
    1002: (RateLimitError, "music-01's rate limit was hit (1002): wait a minute and try again."),
    1004: (AuthenticationError, "music-01 says the request is not authorised (1004): check AIML_API_KEY."),
    1008: (InsufficientCreditsError, "the balance is insufficient (1008): top up your AI/ML API account."),
    1024: (ServerError, "music-01 had an internal error (1024): try again later."),
    1026: (LyricsFlaggedError, "the lyrics were flagged as sensitive (1026): change the lyrics and try again."),
    1027: (
        OutputFlaggedError,
        "the generated music was flagged as sensitive (1027): change the lyrics or the reference and try again.",
    ),
    1033: (ServerError, "a service behind music-01 failed (1033): try again later."),
    1039: (ApiInvalidRequestError, "the request is over music-01's token limit (1039): shorten the lyrics."),
    1041: (RateLimitError, "too many connections at once (1041): wait a little and try again."),
    1042: (
        ApiInvalidRequestError,
        "the lyrics contain too many invisible or illegal characters (1042): clean "
        "them (music01 lyrics check shows what it removes) and try again.",
    ),
    2013: (ApiInvalidRequestError, "music-01 rejected the parameters (2013): {detail}"),
    2045: (RateLimitError, "requests are rising too fast (2045): slow down and try again in a minute."),
    2049: (AuthenticationError, "the API key is invalid (2049): check AIML_API_KEY."),
    2056: (UsageLimitError, "the account's usage limit is reached (2056): raise the limit or wait for it to reset."),
}
#: Codes worth retrying for an idempotent call (upload), with backoff.
RETRYABLE_CODES = frozenset({1000, 1001, 1002, 1024, 1033, 1041, 2045})
RETRYABLE_HTTP = frozenset({429, 500, 502, 503, 504})
#: Codes the contract allows fewer retries for than the attempt limit (1000: "at most once").
MAX_RETRIES_BY_CODE = {1000: 1}
