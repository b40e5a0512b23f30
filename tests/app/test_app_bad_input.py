"""Bad input through the app, as strangers on a shared demo produce it.

One shared app (``MUSIC01_SHARED=1``, offline engine) on 127.0.0.1 takes every case through
``gradio_client``: each either works (odd but usable input) or ends in a ``gr.Error`` whose
text says what to do — never a traceback, in the answer or in the server's log — and the
app is still serving afterwards.
"""

from __future__ import annotations

import pytest

from tests.appserver import AppServer, make_args

pytestmark = pytest.mark.app
VOICE = "vocal-2025010100000000-a0AAAaaa"
LA = "[Verse]\nla la la la la"
STYLE = "warm lofi hip hop"


@pytest.fixture(scope="module")
def bad(bad_files):
    """Every file the cases use, made once per test run (tests/badfiles.py)."""
    return bad_files


@pytest.fixture(scope="module")
def shared_app(tmp_path_factory):
    srv = AppServer(tmp_path_factory.mktemp("app-bad-home") / "home", MUSIC01_SHARED="1").start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def client(shared_app):
    from gradio_client import Client

    return Client(shared_app.url, verbose=False)


def prepare(name, model="music-01", start=0, end=0, fmt="mp3"):
    def call(c, f):
        return c.predict(f(name), start, end, fmt, model, api_name="/prepare")

    return call


def analyze(name):
    return lambda c, f: c.predict(f(name), api_name="/analyze")


def make(model, lyrics, prompt="", *, url="", sr=44100, br=256000, fmt="mp3", key=""):
    args = make_args(model, lyrics, prompt, url=url, sample_rate=sr, bitrate=br, fmt=fmt, key=key)
    return lambda c, f: c.predict(*args, api_name="/make")


def generate(lyrics="hello moon", voice="", inst="", *, sr=44100, br=256000, key=""):
    return lambda c, f: c.predict(lyrics, voice, inst, sr, br, "mp3", 1, key, api_name="/generate")


CASES = [
    # --- audio, step 1 (prepare) ---
    ("empty", prepare("empty.mp3"), "is empty (0 bytes): choose the audio file again"),
    ("text-as-mp3", prepare("text.mp3"), "is not an audio file ffmpeg can read"),
    ("png-as-wav", prepare("image.wav"), "has no audio stream (an image"),
    ("zip-as-mp3", prepare("archive.mp3"), "use a WAV, MP3, FLAC, OGG"),
    ("truncated-mp3", prepare("truncated.mp3"), "looks truncated"),
    # A WAV whose header promises hours and holds 20 s (an interrupted recording): both lengths are
    # said for the whole file, and a segment within what it holds works (issue 20, item 3).
    ("lying-wav-header", prepare("lying.wav"), "the header says 3:08:58 but the file holds 0:20"),
    ("lying-wav-header-segment", prepare("lying.wav", start=0, end=15), None),
    ("zero-length-stream", prepare("zero-length.wav"), "the file is 0.00 s"),
    ("all-silence", prepare("silence.wav"), None),
    ("7.9-s", prepare("len-7.9.wav"), "record a longer take"),
    ("10.0-s", prepare("len-10.0.wav"), "needs more than 10 s"),
    ("10.1-s", prepare("len-10.1.wav"), "asks for 10.25 s"),
    ("15.0-s-minimax-music", prepare("len-15.0.wav", "minimax-music"), "minimax-music needs more than 15 s"),
    ("15.0-s-cover", prepare("len-15.0.wav", "minimax/music-cover"), None),
    # The chosen model's bounds and no other's (issue 20, item 9): a short file is told to record a
    # longer take when the page fills end with its own length, a 7.9 s file suits music-cover, and
    # a text-only model has no clip to prepare (it used to get music-01's 10 s bounds).
    ("7.9-s-whole-file-minimax-music", prepare("len-7.9.wav", "minimax-music", end=7.9), "record a longer take"),
    ("7.9-s-cover", prepare("len-7.9.wav", "minimax/music-cover"), None),
    ("prepare-for-a-text-only-model", prepare("full.mp3", "minimax/music-2.6"), "takes no reference audio"),
    ("6.0-s-cover", prepare("len-6.0.wav", "minimax/music-cover"), "asks for 6.25 s"),
    ("600.0-s", prepare("len-600.0.wav"), "keeps 0.25 s under it"),
    ("600.5-s", prepare("len-600.5.wav"), "choose a segment of at most 599.75 s"),
    ("600.5-s-segment", prepare("len-600.5.wav", start=0, end=60), None),
    ("3-hours", prepare("three-hours.flac", "minimax-music"), "3:00:00 (10800.0 s) long"),
    ("8-channels", prepare("eight-channels.wav"), None),
    ("8-kHz", prepare("8k.wav"), None),
    ("192-kHz", prepare("192k.wav"), None),
    ("float32-wav", prepare("float32.wav"), None),
    ("24-bit-wav", prepare("pcm24.wav"), None),
    ("huge-id3-cover", prepare("cover.mp3"), None),
    ("name-with-space", prepare("with space.mp3"), None),
    ("name-unicode", prepare("ünïcødé 音乐.mp3"), None),
    ("name-quotes", prepare('quote\'s "q".mp3'), None),
    ("browser-webm", prepare("take.webm"), None),
    ("end-before-start", prepare("full.mp3", start=15, end=12), "the end must come later than the start"),
    ("end-past-file", prepare("full.mp3", start=10, end=95), "choose an end of at most 20.00 s"),
    ("no-file", lambda c, f: c.predict(None, 0, 0, "mp3", "music-01", api_name="/prepare"), "Upload or record"),
    # --- audio, analysis ---
    ("analyze-empty", analyze("empty.mp3"), "is empty (0 bytes)"),
    ("analyze-text", analyze("text.mp3"), "re-export or re-download it"),
    ("analyze-truncated", analyze("truncated.mp3"), "nothing to analyse"),
    ("analyze-silence", analyze("silence.wav"), None),
    # --- lyrics and prompts ---
    ("lyrics-empty", make("minimax/music-2.0", "", STYLE), "write at least one line to sing"),
    ("lyrics-only-hashes", make("minimax-music", "####"), "empty between the ## marks"),
    ("lyrics-601", generate("x" * 601, VOICE), "remove 1 character"),
    ("lyrics-10000", make("minimax/music-2.6", "x" * 10000, STYLE), "remove 7000 characters"),
    ("lyrics-zero-width-control", make("minimax/music-2.6", "[Verse]\nhello\u200bworld\x07 there la", STYLE), None),
    ("lyrics-rtl", make("minimax/music-2.6", "[Verse]\nשלום עולם\nمرحبا بالعالم", STYLE), None),
    ("lyrics-emoji", make("minimax/music-2.6", "[Verse]\n🎵🎶 la la la la", STYLE), None),
    ("prompt-under-10", make("minimax/music-2.0", LA, "short"), "say a little more about the style"),
    ("prompt-over-2000", make("minimax/music-2.6", LA, "x" * 2001), "takes at most 2000 — remove 1"),
    ("prompt-over-300-1.5", make("minimax/music-1.5", LA, "x" * 301), "takes at most 300"),
    # --- references ---
    ("no-reference", make("minimax-music", "##la la##"), "prepare a clip in step 1, or paste a public URL"),
    ("cover-no-reference", make("minimax/music-cover", LA, STYLE), "needs a reference"),
    ("url-loopback-shared", make("minimax-music", "##la la##", url="http://127.0.0.1:9/x.mp3"), "private or local"),
    ("url-file-scheme", make("minimax-music", "##la la##", url="file:///etc/passwd"), "http:// or https://"),
    (
        "url-metadata",
        lambda c, f: c.predict("http://169.254.169.254/latest/", "minimax-music", "", api_name="/check_url"),
        "169.254.169.254 is a private or local address",
    ),
    (
        "url-for-a-text-model",
        lambda c, f: c.predict("http://example.org/a.mp3", "minimax/music-2.6", "", api_name="/check_url"),
        "does not take a reference URL",
    ),
    # --- ids, settings, keys ---
    ("id-empty", generate(), "give a voice_id or an instrumental_id"),
    ("id-malformed", generate(voice="not-an-id"), "is not a music-01 voice_id"),
    ("id-swapped", generate(inst="vocal-2025011003141025-d5ZEMxmp"), "pass it as voice_id"),
    ("id-from-elsewhere", generate(voice=VOICE), "upload the reference again"),
    ("sample-rate-48000", make("minimax/music-2.6", LA, STYLE, sr=48000), "not in the list of choices"),
    ("bitrate-100", make("minimax/music-2.6", LA, STYLE, br=100), "not in the list of choices"),
    ("format-ogg", make("minimax/music-2.6", LA, STYLE, fmt="ogg"), "not in the list of choices"),
    ("key-with-line-break", generate(voice=VOICE, key="sk-abc\ndef"), "copy the key again"),
    ("key-with-space", make("minimax/music-2.6", LA, STYLE, key="sk-abc def"), "copy the key again"),
    ("upload-nothing", lambda c, f: c.predict(None, "voice", "", api_name="/upload"), "Prepare a clip first"),
    ("upload-text", lambda c, f: c.predict(f("text.mp3"), "voice", "", api_name="/upload"), "is not an audio file"),
    ("resume-unknown", lambda c, f: c.predict("nope", "", api_name="/resume"), "no pending job 'nope'"),
    ("resume-nothing", lambda c, f: c.predict("", "", api_name="/resume"), "Pick a pending job"),
]


@pytest.mark.parametrize("case,call,expect", CASES, ids=[c[0] for c in CASES])
def test_bad_input_in_the_app(client, bad, case, call, expect):
    from gradio_client import handle_file

    def f(name):
        return handle_file(str(bad / name))

    if expect is None:
        assert call(client, f) is not None
        return
    with pytest.raises(Exception) as exc:
        call(client, f)
    text = str(exc.value)
    assert expect in text, text
    assert "Traceback" not in text and 'File "' not in text


def test_a_short_files_analysis_leaves_its_length_to_the_chosen_model(client, bad):
    # The analysis knows no model: its "music-01 needs more than 10 s" beside the chosen model's
    # "needs more than 15 s" made two verdicts on one file.  The length is Prepare's to judge.
    from gradio_client import handle_file

    info = client.predict(handle_file(str(bad / "len-7.9.wav")), api_name="/analyze")
    assert info["suggested_segment"]["valid"] is False
    assert not [w for w in info["warnings"] if "needs more than" in w], info["warnings"]


def test_the_app_still_serves_and_logged_no_traceback(client, shared_app, bad):
    import requests
    from gradio_client import handle_file

    assert len(CASES) >= 40
    assert shared_app.proc.poll() is None
    assert requests.get(shared_app.url, timeout=10).status_code == 200
    clip, info = client.predict(handle_file(str(bad / "full.mp3")), 0, 0, "mp3", "music-01", api_name="/prepare")
    assert info["duration_s"] > 19
    # A person's mistake is not the server's error: no traceback in the operator's log either.
    # The one exception is Gradio's own check of a value the page cannot send (a sample rate
    # outside the dropdown): only a hand-written API call makes it, and Gradio logs it itself.
    ours = [b for b in tracebacks(shared_app.logs()) if "is not in the list of choices" not in b[-1]]
    assert not ours, ours


def tracebacks(log: str) -> list[list[str]]:
    """Each traceback in ``log`` as its lines, the last being the exception."""
    blocks, current = [], None
    for line in log.splitlines():
        if line.startswith("Traceback (most recent call last)"):
            current = [line]
            blocks.append(current)
        elif current is not None:
            current.append(line)
            if line and not line.startswith(" "):
                current = None
    return blocks
