"""Expression text as users write it: a message quotes up to 60 characters in full, and
``@year`` is read on any line of a multi-line expression."""

from __future__ import annotations

import pytest

from clustersim.core import expr as ex


def test_a_60_character_expression_is_quoted_in_full() -> None:
    """'1e101 + ' (8 characters) and 52 a's: 60 characters, at the limit, so not cut to
    57 + '...'."""
    text = "1e101 + " + "a" * 52
    assert len(text) == 60
    with pytest.raises(ex.ExprError) as info:
        ex.parse(text)
    assert str(info.value) == (
        f"in {text!r}: the number '1e101' is too large "
        "(numbers in expressions are limited to 1e+100 in magnitude)"
    )


def test_a_61_character_expression_is_cut_to_57_and_dots() -> None:
    text = "1e101 + " + "a" * 53
    with pytest.raises(ex.ExprError) as info:
        ex.parse(text)
    assert str(info.value).startswith(f"in {text[:57] + '...'!r}: the number '1e101'")


def test_year_marks_on_the_second_and_third_lines() -> None:
    """(gdp@2025 / gdp@2020) written over three lines (as a YAML literal block keeps it):
    gdp in 2025 over gdp in 2020, each ``@`` found at its place in the whole text."""
    got = ex.parse("(gdp@2025\n/\ngdp@2020)")
    assert got == ex.Bin("/", ex.At(ex.Name("gdp"), 2025), ex.At(ex.Name("gdp"), 2020))


def test_year_marks_after_lines_of_different_lengths() -> None:
    """The third line's offset is the sum of the first two lines' lengths (with their
    newlines): 'x@2021' on line 3 after '(gdp@2025 +' and '  va@2024 +'."""
    got = ex.parse("(gdp@2025 +\n  va@2024 +\n x@2021)")
    want = ex.Bin(
        "+",
        ex.Bin("+", ex.At(ex.Name("gdp"), 2025), ex.At(ex.Name("va"), 2024)),
        ex.At(ex.Name("x"), 2021),
    )
    assert got == want
