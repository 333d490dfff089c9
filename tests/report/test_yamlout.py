"""The YAML writer: whatever it writes, PyYAML's safe loader reads back as the same data."""

from __future__ import annotations

import string

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from clustersim.report.yamlout import dump_yaml

_TEXT = st.text(
    alphabet=st.sampled_from(
        list(string.ascii_letters + string.digits + " :#-,.%&*!|>'\"{}[]@`?~=\n\t")
        + list("研发投入占比重镇江：，。（）≥—")
    ),
    max_size=140,
)
_SCALAR = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    _TEXT,
)
_KEY = st.one_of(
    st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), st.integers(1900, 2100), _TEXT
)
_DATA = st.recursive(
    _SCALAR,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_KEY, inner, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=120, deadline=None)
@given(st.dictionaries(st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True), _DATA, max_size=5))
def test_dump_yaml_round_trips_through_the_safe_loader(data):
    text = dump_yaml(data, "a header\nline two")
    assert yaml.safe_load(text) == (data or None)


def test_readable_forms():
    text = dump_yaml(
        {
            "name": {"zh": "新材料", "en": "New materials, advanced"},
            "rate": 1e-05,
            "years": {2024: 0.1, 2026: "5%"},
            "source": "assumption: " + "a long sentence " * 10 + "end\n",
            "literal": "line one\nline two",
            "yes": "no",
        }
    )
    assert 'name: {zh: 新材料, en: "New materials, advanced"}' in text
    assert "rate: 1.0e-05" in text  # YAML 1.1 reads 1e-05 as a string
    assert 'years: {2024: 0.1, 2026: "5%"}' in text
    assert "source: >\n  assumption: a long sentence" in text
    assert "literal: |-\n  line one\n  line two" in text
    assert '"yes": "no"' in text
