"""The length and depth limits of an expression, at the limit and one past it: an
expression of exactly MAX_LENGTH characters, or exactly MAX_DEPTH levels deep, is read;
one character or one level more is refused with its message. And ``x@year`` is read on
every line of an expression written over several lines."""

from __future__ import annotations

import pytest

from clustersim.core import expr as ex


def test_the_limits_are_the_documented_numbers() -> None:
    assert (ex.MAX_LENGTH, ex.MAX_DEPTH) == (2000, 64)


def test_an_expression_of_exactly_2000_characters_is_read() -> None:
    text = "gdp" + " " * 1997  # 2000 characters; the spaces are nothing to the parser
    assert ex.parse(text) == ex.Name("gdp")


def test_an_expression_of_2001_characters_is_refused() -> None:
    text = "gdp" + " " * 1998
    with pytest.raises(ex.ExprError) as info:
        ex.parse(text)
    assert str(info.value).startswith(
        "the expression is 2,001 characters long, more than the limit of 2,000: "
    )


def _sum(n: int) -> str:
    """``a + a + ... + a``, n terms: n - 1 additions nested to the left, the first ``a``
    n levels deep (one level per addition, and the name)."""
    return " + ".join(["a"] * n)


def test_a_sum_of_64_terms_is_read() -> None:
    tree = ex.parse(_sum(64))
    depth = 1  # walk the left spine: 63 additions, then the name
    while isinstance(tree, ex.Bin):
        assert tree.op == "+" and tree.right == ex.Name("a")
        tree = tree.left
        depth += 1
    assert (tree, depth) == (ex.Name("a"), 64)


def test_a_sum_of_65_terms_is_refused() -> None:
    with pytest.raises(ex.ExprError) as info:
        ex.parse(_sum(65))
    assert str(info.value).startswith("the expression 'a + a + a + ")
    assert "nests more than 64 levels deep (a sum of n terms is n levels)" in str(info.value)


def test_years_on_the_second_and_third_lines_of_an_expression() -> None:
    """Inside parentheses an expression may run over lines (a YAML block keeps them); each
    ``x@year`` is found at its place on its own line."""
    got = ex.parse("((gdp@2025\n  - gdp@2023)\n  / gdp@2023)")
    want = ex.Bin(
        "/",
        ex.Bin("-", ex.At(ex.Name("gdp"), 2025), ex.At(ex.Name("gdp"), 2023)),
        ex.At(ex.Name("gdp"), 2023),
    )
    assert got == want
