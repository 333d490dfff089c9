"""Plain text for people: levels, runs of years, file lines, padded tables."""

from __future__ import annotations

import pytest

from clustersim.analysis.text import level_text, lines_text, years_text


@pytest.mark.parametrize(
    ("x", "text"),
    [
        (10_800_000.4, "10,800,000"),
        (5113.46, "5,113.46"),
        (10_800.0, "10,800"),
        (133.1, "133.1"),
        (0.23814, "0.2381"),
        (-250.5, "-250.5"),
    ],
)
def test_level_text(x, text):
    assert level_text(x) == text


def test_years_text_joins_runs():
    assert years_text([2015, 2019, 2020, 2021, 2023]) == "2015, 2019-2021, 2023"
    assert years_text([2020]) == "2020"
    assert years_text([]) == "-"


def test_lines_text():
    assert lines_text([4]) == "line 4"
    assert lines_text([2, 3, 4, 9]) == "lines 2-4, 9"
    assert lines_text([]) == "no rows"
