"""Property tests (hypothesis): segment bounds and lyrics cleaning hold for any input."""

import math

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from music01_core.audio import check_segment  # noqa: E402
from music01_core.errors import AudioInputError  # noqa: E402
from music01_core.lyrics import check_lyrics  # noqa: E402
from music01_core.models import MODELS  # noqa: E402

seconds = st.one_of(
    st.none(), st.floats(min_value=-50, max_value=4000), st.sampled_from([math.nan, math.inf, -math.inf])
)
with_reference = [m for m in MODELS.values() if m.reference.limits]


@settings(max_examples=400, deadline=None)
@given(
    total=st.one_of(st.none(), st.floats(min_value=0.01, max_value=4000)),
    start=seconds,
    end=seconds,
    model=st.sampled_from([m.id for m in with_reference]),
)
def test_a_segment_is_either_valid_for_the_model_or_refused_with_a_clear_error(total, start, end, model):
    limits = MODELS[model].reference.limits
    try:
        s, length = check_segment(total, start, end, model=model)
    except AudioInputError as exc:
        assert isinstance(exc, ValueError) and str(exc)
        return
    assert s >= 0 and math.isfinite(s)
    if total is not None:
        assert s < total
    if length is not None:
        assert limits.safe_min_s <= length <= limits.safe_max_s
        if total is not None:
            assert s + length <= total + 1e-6


text = st.text(alphabet=st.characters(codec="utf-8"), max_size=800) | st.text(
    alphabet="ab #\n\r\t\u200b\u200e\ufeff\x07\u00a0", max_size=800
)


@settings(max_examples=400, deadline=None)
@given(raw=text, model=st.sampled_from(sorted(MODELS)))
def test_lyrics_cleaning_is_idempotent_and_never_longer(raw, model):
    first = check_lyrics(raw, model=model)
    assert len(first.text) <= len(raw)
    again = check_lyrics(first.text, model=model)
    assert again.text == first.text
    assert not again.removed
