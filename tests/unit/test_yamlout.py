"""The one YAML writer (scenario files of import, calibrated fragments): whatever it writes,
PyYAML's safe loader reads back as the same data."""

from __future__ import annotations

import string

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from clustersim.yamlout import dump_yaml

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
    assert "name: {zh: 新材料, en: 'New materials, advanced'}" in text
    assert "rate: 1.0e-05" in text  # YAML 1.1 reads 1e-05 as a string
    assert "years: {2024: 0.1, 2026: 5%}" in text
    assert "source: 'assumption: a long sentence" in text
    assert "literal: |-\n  line one\n  line two" in text
    assert "'yes': 'no'" in text  # YAML 1.1 reads yes and no as booleans


def test_header_lines_are_comments_and_tuples_lists():
    text = dump_yaml({"a": (1, 2)}, "one\n\ntwo")
    assert text == "# one\n#\n# two\na: [1, 2]\n"


def test_no_other_module_writes_yaml():
    from pathlib import Path

    import clustersim

    src = Path(clustersim.__file__).resolve().parent
    writers = [
        p.relative_to(src).as_posix()
        for p in src.rglob("*.py")
        if "yaml.dump" in p.read_text(encoding="utf-8") or "safe_dump" in p.read_text(encoding="utf-8")
    ]
    assert writers == ["yamlout.py"]
