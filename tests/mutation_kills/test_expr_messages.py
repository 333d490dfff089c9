"""Expressions quoted in messages: in full up to 60 characters, else the first 57 and
'...'."""

from __future__ import annotations

import pytest

from clustersim.core import expr as ex


def test_a_short_expression_is_quoted_in_full() -> None:
    with pytest.raises(ex.ExprError) as info:
        ex.parse("gdp * 1e101")
    assert str(info.value) == (
        "in 'gdp * 1e101': the number '1e101' is too large "
        "(numbers in expressions are limited to 1e+100 in magnitude)"
    )


def test_a_long_expression_is_cut_at_57_characters() -> None:
    text = "gdp + " * 12 + "1e101"  # 77 characters
    with pytest.raises(ex.ExprError) as info:
        ex.parse(text)
    assert str(info.value).startswith("in '" + text[:57] + "...': the number '1e101' is too large")


@pytest.mark.parametrize("text", ["", "   ", None, 5])
def test_an_empty_or_non_string_expression_is_refused(text: object) -> None:
    with pytest.raises(ex.ExprError, match=r"^an expression must be a non-empty string$"):
        ex.parse(text)  # type: ignore[arg-type]
