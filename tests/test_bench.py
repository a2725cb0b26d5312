"""eval.bench's variants: ``--against NAME=VALUE[,...]`` becomes per-call settings of their own
types, and a name or value the settings refuse is a clear error, not a silent default."""

from __future__ import annotations

import pytest

from eval.bench import variant


def test_a_variant_takes_each_value_as_its_settings_type() -> None:
    assert variant("read_depth=3") == {"read_depth": 3}
    assert variant("retrieval=hybrid+reader,k=4") == {"retrieval": "hybrid+reader", "k": 4}
    assert variant("abstain_threshold=0.5") == {"abstain_threshold": 0.5}
    assert variant("answer_forms=false") == {"answer_forms": False}


@pytest.mark.parametrize(
    "text, said",
    [
        ("reading_depth=3", "per-call setting's name"),
        ("read_depth", "per-call setting's name"),
        ("read_depth=0", "read_depth"),
        ("retrieval=fast", "retrieval"),
        ("answer_forms=flase", "expected yes or no"),
        ("reader_model=/tmp/x", "per-call"),  # a model setting cannot change per call
    ],
)
def test_a_variant_the_settings_refuse_is_an_error(text: str, said: str) -> None:
    with pytest.raises(SystemExit, match=said):
        variant(text)
