import subprocess

import numpy as np
import pytest
import soundfile as sf

from music01_core import (
    AudioInputError,
    ClipTooLongError,
    ClipTooShortError,
    CorruptAudioError,
    EmptyFileError,
    FileMissingError,
    NoAudioStreamError,
    NotAudioError,
    SegmentError,
    UnsupportedFormatError,
    load_audio,
)
from music01_core import prepare_clip as _prepare_clip
from music01_core.ffmpeg import decode_pcm, find_ffmpeg
from music01_core.settings import MAX_CLIP_S, MIN_CLIP_S, MP3_MAX_EXTRA_S
from tests.audiogen import tone, write_audio


def prepare_clip(*args, **kwargs):
    """The clip maker measured against music-01's bounds (MIN_CLIP_S, MAX_CLIP_S: 10 s–10 min), named
    here because a call without a model follows the model in use (minimax-music: over 15 s), which
    test_default_model_bounds_apply_without_a_model checks."""
    kwargs.setdefault("model", "music-01")
    return _prepare_clip(*args, **kwargs)


def test_default_model_bounds_apply_without_a_model(make_audio, tmp_path, monkeypatch):
    monkeypatch.delenv("MUSIC01_MODEL", raising=False)
    src = make_audio("thirteen.wav", 13.0)
    with pytest.raises(ClipTooShortError, match="minimax-music needs more than 15 s"):
        _prepare_clip(src, tmp_path / "x.mp3")
    assert _prepare_clip(src, tmp_path / "y.mp3", model="music-01").duration_s > 12.9
    monkeypatch.setenv("MUSIC01_MODEL", "minimax/music-cover")  # a room's model: 6 s–6 min
    assert _prepare_clip(src, tmp_path / "z.mp3").duration_s > 12.9


def test_output_folder_gets_the_inputs_name(make_audio, tmp_path):
    src = make_audio("take one.wav", 12.0)
    clip = prepare_clip(src, tmp_path)
    assert clip.path == str(tmp_path / "take one.mp3") and (tmp_path / "take one.mp3").is_file()


def decoded_duration_s(path):
    """Length of a file by counting the PCM samples ffmpeg decodes from it (independent of
    the volumedetect count prepare_clip uses): (seconds, sample_rate, channels)."""
    pcm, info = decode_pcm(path, with_info=True)
    return len(pcm) / (2 * info.channels) / info.sample_rate, info.sample_rate, info.channels


@pytest.mark.parametrize("ext", ["wav", "mp3", "flac", "ogg", "opus", "m4a", "webm"])
@pytest.mark.parametrize("out_fmt", ["mp3", "wav"])
def test_every_input_format_becomes_a_valid_clip(make_audio, tmp_path, ext, out_fmt):
    src = make_audio(f"in.{ext}", 14.0)
    clip = prepare_clip(src, tmp_path / f"clip.{out_fmt}")
    assert clip.format == out_fmt
    measured, rate, ch = decoded_duration_s(clip.path)
    assert MIN_CLIP_S <= measured <= MAX_CLIP_S
    assert abs(measured - clip.duration_s) < 1e-6
    assert rate in (44100, 48000) and ch == 2
    assert clip.bytes == (tmp_path / f"clip.{out_fmt}").stat().st_size
    assert len(clip.sha256) == 64


def test_segment_is_cut_where_asked(audio_dir, tmp_path):
    # 10 s of 220 Hz, then 20 s of 660 Hz: a clip of 12-24 s must be all 660 Hz.
    sr = 44100
    y = np.concatenate([tone(10, sr, 1, 220), tone(20, sr, 1, 660)])
    src = write_audio(audio_dir / "two_tones.mp3", y, sr)
    clip = prepare_clip(src, tmp_path / "seg.wav", start_s=12, end_s=24)
    assert abs(clip.duration_s - 12.0) < 0.005
    assert clip.start_s == 12 and abs(clip.end_s - 24) < 0.005
    data, rate = sf.read(clip.path)
    spec = np.abs(np.fft.rfft(data[: rate * 2, 0] if data.ndim > 1 else data[: rate * 2]))
    peak_hz = np.argmax(spec) * rate / (2 * rate)
    assert abs(peak_hz - 660) < 3


def test_fades_at_cut_points(make_audio, tmp_path):
    src = make_audio("loud.wav", 20.0, amplitude=0.9)
    clip = prepare_clip(src, tmp_path / "c.wav", start_s=3.3, end_s=15.1)
    data, rate = sf.read(clip.path)
    mono = data.mean(axis=1)
    assert abs(mono[0]) < 0.01 and abs(mono[-1]) < 0.01  # no click
    assert np.abs(mono[rate : rate + 1000]).max() > 0.5  # but the middle is intact


def test_metadata_is_stripped(make_audio, tmp_path):
    src = make_audio("tagged.mp3", 12.0, metadata={"artist": "Jane Privatename", "comment": "/home/jane/secret"})
    assert b"Privatename" in src.read_bytes()
    for fmt in ("mp3", "wav"):
        out = prepare_clip(src, tmp_path / f"c.{fmt}")
        data = (tmp_path / f"c.{fmt}").read_bytes()
        assert b"Privatename" not in data and b"/home/jane" not in data
        assert not data.startswith(b"ID3"), out


def test_downmix_and_resample(audio_dir, tmp_path):
    six = write_audio(audio_dir / "surround.flac", tone(12, 44100, 6), 44100)
    assert prepare_clip(six, tmp_path / "a.wav").channels == 2
    odd = write_audio(audio_dir / "odd_rate.wav", tone(12, 37800, 1), 37800)
    clip = prepare_clip(odd, tmp_path / "b.mp3")
    assert clip.sample_rate == 44100 and clip.channels == 1
    keep = write_audio(audio_dir / "rate16k.wav", tone(12, 16000, 1), 16000)
    assert prepare_clip(keep, tmp_path / "c.wav").sample_rate == 16000


def test_edge_10_05_s_is_too_short_with_clear_message(make_audio, tmp_path):
    src = make_audio("short_edge.wav", 10.05)
    with pytest.raises(ClipTooShortError) as exc:
        prepare_clip(src, tmp_path / "x.mp3")
    assert "10.05 s" in str(exc.value) and "more than 10 s" in str(exc.value)
    assert not list(tmp_path.iterdir())


def test_7_9_s_message(make_audio, tmp_path):
    with pytest.raises(ClipTooShortError, match=r"7\.90 s; music-01 needs more than 10 s .* record a longer take"):
        prepare_clip(make_audio("short.mp3", 7.9), tmp_path / "x.mp3")


def test_just_over_the_margin_is_accepted_in_mp3(make_audio, tmp_path):
    clip = prepare_clip(make_audio("edge_ok.wav", 10.3), tmp_path / "x.mp3")
    assert clip.duration_s >= MIN_CLIP_S


@pytest.fixture(scope="module")
def long_wav(tmp_path_factory):
    # 600.2 s: just over music-01's 10 minutes.  ffmpeg's generator keeps this fast.
    path = tmp_path_factory.mktemp("long") / "long.wav"
    subprocess.run(
        [
            find_ffmpeg(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "sine=f=330:d=600.2:r=16000",
            "-c:a",
            "pcm_s16le",
            str(path),
        ],
        check=True,
    )
    return path


def test_edge_600_2_s_needs_a_segment(long_wav, tmp_path):
    with pytest.raises(
        ClipTooLongError, match=r"is 10:00 \(600.2 s\) long; music-01 takes at most 10:00 — choose a segment"
    ):
        prepare_clip(long_wav, tmp_path / "x.mp3")
    clip = prepare_clip(long_wav, tmp_path / "y.wav", start_s=0.5)
    assert MIN_CLIP_S <= clip.duration_s <= MAX_CLIP_S
    clip = prepare_clip(long_wav, tmp_path / "z.mp3", start_s=500, end_s=560)
    # The MP3 holds exactly the segment plus the encoder's lead-in and frame padding.
    assert 60 < clip.duration_s < 60 + MP3_MAX_EXTRA_S
    assert (clip.start_s, clip.end_s) == (500, 560)


def test_mp3_at_the_upper_limit_still_fits(long_wav, tmp_path):
    # The longest segment music01 allows, as MP3: the encoder's extra samples must not
    # push the written file past the limit (the cut gives up a sliver instead).
    clip = prepare_clip(long_wav, tmp_path / "max.mp3", start_s=0.2, end_s=0.2 + MAX_CLIP_S)
    measured, _, _ = decoded_duration_s(clip.path)
    assert MAX_CLIP_S - MP3_MAX_EXTRA_S < measured <= MAX_CLIP_S
    assert clip.end_s - clip.start_s <= MAX_CLIP_S - MP3_MAX_EXTRA_S + 1e-6


def test_segment_too_long(long_wav, tmp_path):
    with pytest.raises(ClipTooLongError, match="between start and end"):
        prepare_clip(long_wav, tmp_path / "x.mp3", start_s=0.0, end_s=600.0)


@pytest.mark.parametrize(
    "start,end,exc,match",
    [
        (20, None, SegmentError, "outside the file"),
        (0, 30, SegmentError, "past the end"),
        (8, 5, SegmentError, "not after start"),
        (-1, 12, SegmentError, "negative"),
        (2, 9, ClipTooShortError, "move start/end"),
        (float("nan"), None, SegmentError, "negative"),
    ],
)
def test_bad_segments(make_audio, tmp_path, start, end, exc, match):
    with pytest.raises(exc, match=match):
        prepare_clip(make_audio("fifteen.wav", 15.0), tmp_path / "x.mp3", start_s=start, end_s=end)
    assert not list(tmp_path.iterdir())


def test_missing_empty_and_not_audio(tmp_path):
    with pytest.raises(FileMissingError, match="does not exist"):
        prepare_clip(tmp_path / "nope.mp3", tmp_path / "o.mp3")
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(EmptyFileError, match="empty"):
        prepare_clip(tmp_path / "empty.wav", tmp_path / "o.mp3")
    (tmp_path / "notes.mp3").write_text("these are my lyrics, not audio\n" * 20)
    with pytest.raises(NotAudioError, match="not an audio file"):
        prepare_clip(tmp_path / "notes.mp3", tmp_path / "o.mp3")
    with pytest.raises(FileMissingError, match="not a file"):
        prepare_clip(tmp_path, tmp_path / "o.mp3")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty.wav", "notes.mp3"]


def test_no_audio_stream(tmp_path):
    video = tmp_path / "silent_video.mkv"
    subprocess.run(
        [
            find_ffmpeg(),
            "-v",
            "error",
            "-y",
            "-f",
            "lavfi",
            "-i",
            "color=c=red:s=32x32:d=12",
            "-c:v",
            "ffv1",
            str(video),
        ],
        check=True,
    )
    with pytest.raises(NoAudioStreamError, match="no audio stream"):
        prepare_clip(video, tmp_path / "o.mp3")


@pytest.mark.parametrize("keep", [2, 8])  # half of the samples, and an eighth (the second fooled a size check)
def test_truncated_wav(make_audio, tmp_path, keep):
    full = make_audio("full.wav", 120.0).read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full[: len(full) // keep])  # header still promises 2:00
    held = "1:00" if keep == 2 else "0:15"
    with pytest.raises(CorruptAudioError, match=f"truncated: the header says 2:00 but the file holds {held}"):
        prepare_clip(cut, tmp_path / "o.mp3")
    assert [p.name for p in tmp_path.iterdir()] == ["cut.wav"]


@pytest.mark.parametrize("out", ["o.mp3", "o.wav"])
def test_segment_where_the_header_promises_audio_that_is_missing(make_audio, tmp_path, out):
    full = make_audio("full.wav", 120.0).read_bytes()
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full[: len(full) // 8])  # 15 s of samples, header still promises 2:00
    with pytest.raises(SegmentError, match=r"header says 2:00 but the file holds 0:15 .*was the recording cut off"):
        prepare_clip(cut, tmp_path / out, start_s=20, end_s=40)
    assert [p.name for p in tmp_path.iterdir()] == ["cut.wav"]
    # A segment inside what it holds still works, and says what it noticed.
    clip = prepare_clip(cut, tmp_path / out, start_s=1, end_s=14)
    assert abs(clip.end_s - 14) < 0.01 and "was the recording cut off" in clip.warnings[0]


def test_corrupt_mp3_body(make_audio, tmp_path):
    good = make_audio("good.mp3", 20.0).read_bytes()
    bad = tmp_path / "bad.mp3"
    bad.write_bytes(good[:4000] + bytes(np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8)))
    with pytest.raises(AudioInputError):
        prepare_clip(bad, tmp_path / "o.mp3")
    assert [p.name for p in tmp_path.iterdir()] == ["bad.mp3"]


def test_silence_warns(make_audio, tmp_path):
    clip = prepare_clip(make_audio("silence.wav", 12.0, amplitude=0.0), tmp_path / "s.mp3")
    assert clip.warnings and "silent" in clip.warnings[0]


def test_unsupported_output_format(make_audio, tmp_path):
    with pytest.raises(UnsupportedFormatError, match="MP3 or WAV"):
        prepare_clip(make_audio("ok.wav", 12.0), tmp_path / "x.flac")
    with pytest.raises(UnsupportedFormatError):
        prepare_clip(make_audio("ok.wav", 12.0), tmp_path / "x.mp3", format="ogg")


def test_errors_are_value_errors(tmp_path):
    with pytest.raises(ValueError):
        prepare_clip(tmp_path / "missing.wav", tmp_path / "o.mp3")


def test_load_audio_mono_and_segment(make_audio):
    y, sr = load_audio(make_audio("la.mp3", 12.0), sample_rate=22050, start_s=2, duration_s=5)
    assert sr == 22050 and y.ndim == 1 and abs(len(y) / sr - 5) < 0.01 and y.dtype == np.float32
    y2, _ = load_audio(make_audio("la.mp3", 12.0), mono=False)
    assert y2.shape[0] == 2
