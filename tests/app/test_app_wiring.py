"""The app's event wiring and drawing helpers, in-process (no server)."""

import os

import pytest

pytestmark = pytest.mark.app


@pytest.fixture(scope="module")
def app_module():
    import app

    return app


def test_slow_waveform_never_writes_the_segment_message(app_module):
    # The waveform decodes the whole file (seconds for a long one).  An event that writes it
    # together with the live segment message can land after the person typed new start/end
    # values and put back a verdict about the old ones.
    import gradio as gr

    demo = app_module.build()
    waves = [b for b in demo.blocks.values() if isinstance(b, gr.Plot) and "Waveform" in (b.label or "")]
    assert len(waves) == 1
    writers = [fn for fn in demo.fns.values() if any(o is waves[0] for o in fn.outputs)]
    assert writers, "nothing draws the waveform"
    for fn in writers:
        assert list(fn.outputs) == [waves[0]], f"{fn.name} writes the waveform together with {fn.outputs}"


def test_waveform_decodes_each_file_once(app_module, make_audio, monkeypatch):
    import music01_core.audio

    src = make_audio("wave.wav", 12.0)
    calls = []
    real = music01_core.audio.load_audio
    monkeypatch.setattr(music01_core.audio, "load_audio", lambda *a, **k: calls.append(a) or real(*a, **k))
    app_module._envelope.cache_clear()
    app_module.waveform_figure(str(src), 1.0, 11.0)
    app_module.waveform_figure(str(src), 2.0, 11.5)
    assert len(calls) == 1
    st = src.stat()
    os.utime(src, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # the file changed: draw it anew
    fig = app_module.waveform_figure(str(src), 2.0, 11.5)
    assert len(calls) == 2
    (ax,) = fig.axes
    assert 11.0 < ax.get_xlim()[1] < 12.5  # the whole 12 s file is drawn


def test_live_check_reads_an_empty_end_as_prepare_does(app_module):
    # An emptied number field sends 0; prepare takes that as "to the end", so must the check.
    msg = app_module.segment_check("ref.mp3", 20, 0, {"duration_s": 60.0})
    assert msg.startswith("✅ 40.0 s"), msg
    assert app_module.segment_check("ref.mp3", 20, 25, {"duration_s": 60.0}).startswith("❌")


@pytest.mark.parametrize("model_id", ["minimax/music-2.6", "music-01", "minimax-music"])
def test_the_page_starts_on_the_rooms_model_with_its_fields(app_module, monkeypatch, model_id):
    # MUSIC01_MODEL (read once at start into START_MODEL) picks the model the page opens on; every field
    # starts as a change of the menu would leave it, so nothing flashes or shows the wrong step.
    import gradio as gr

    from music01_core.models import get_model

    m = get_model(model_id)
    monkeypatch.setattr(app_module, "START_MODEL", model_id)
    demo = app_module.build()
    by_label = {b.label: b for b in demo.blocks.values() if getattr(b, "label", None)}
    assert by_label["Model"].value == model_id
    assert by_label["Style prompt"].visible is (m.prompt is not None)
    assert by_label["instrumental (no vocals)"].visible is ("is_instrumental" in m.flags)
    assert by_label["add accompaniment (##…##)"].visible is m.wraps_accompaniment
    assert by_label["Lyrics"].value.startswith("[Verse]") is (m.lyrics.style == "tags")
    groups = [b for b in demo.blocks.values() if isinstance(b, gr.Group)]
    reference_group = next(g for g in groups if any(getattr(c, "label", None) == "Reference" for c in g.children))
    assert reference_group.visible is m.takes_reference


@pytest.mark.parametrize(
    "env, words",
    [
        ({"MUSIC01_MODEL": "music-2.7"}, "MUSIC01_MODEL: unknown model 'music-2.7'"),
        ({"MUSIC01_ROOM_GENERATIONS_PER_HOUR": "ten"}, "MUSIC01_ROOM_GENERATIONS_PER_HOUR must be a whole number"),
        ({"MUSIC01_GENERATIONS_PER_HOUR": "-1"}, "MUSIC01_GENERATIONS_PER_HOUR must be a whole number"),
    ],
)
def test_a_mistyped_setting_stops_the_app_with_one_line(tmp_path, env, words):
    import subprocess
    import sys

    from tests.appserver import ROOT

    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AIML", "MUSIC01", "GRADIO"))}
    proc = subprocess.run(
        [sys.executable, str(ROOT / "app.py")],
        env={**clean, "MUSIC01_HOME": str(tmp_path), "PYTHONPATH": str(ROOT), **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2 and "Traceback" not in proc.stderr, proc.stderr
    lines = [ln for ln in proc.stderr.splitlines() if ln.startswith("music01: ")]
    assert len(lines) == 1 and words in lines[0], proc.stderr
