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
