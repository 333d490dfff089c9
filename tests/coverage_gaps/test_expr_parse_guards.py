"""Expression parsing and evaluation paths no other test reaches, each with its exact
message: a NUL character, the parser's own refusals (deep nesting, a ValueError) as other
CPython versions raise them, a fixed-year value where none can be read, and a node that is
not an expression."""

from __future__ import annotations

import ast
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from clustersim.core import expr as ex


def _msg(text: str) -> str:
    with pytest.raises(ex.ExprError) as e:
        ex.parse(text)
    return str(e.value)


def test_a_nul_character_is_refused() -> None:
    assert _msg("gdp\x00") == "the expression contains a NUL character"


def test_the_parsers_recursion_and_memory_errors_say_too_deep(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Python 3.11 refuses deep nesting with a SyntaxError or leaves it to the depth check;
    other versions' parsers raise RecursionError / MemoryError, answered the same way."""
    for exc in (RecursionError, MemoryError):

        def refuse(*args: Any, _e: Any = exc, **kwargs: Any) -> ast.Expression:
            raise _e()

        # only the expression module's view of ``ast`` is patched: pytest itself calls
        # ast.parse when it reports a failing assertion
        monkeypatch.setattr(ex, "ast", SimpleNamespace(**{**vars(ast), "parse": refuse}))
        assert _msg("-(-(gdp))") == (
            "the expression '-(-(gdp))' nests more than 64 levels deep (a sum of n terms is "
            "n levels): define parts of it as metrics, or sum a group with sum(series, group=g)"
        )


def test_a_value_error_of_the_parser_is_quoted(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> ast.Expression:
        raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")

    monkeypatch.setattr(ex, "ast", SimpleNamespace(**{**vars(ast), "parse": refuse}))
    assert _msg("1 + gdp") == (
        "in '1 + gdp': Exceeds the limit (4300 digits) for integer string conversion"
    )


def test_a_fixed_year_value_without_a_reader() -> None:
    e = ex.parse("gdp@2020")
    with pytest.raises(ex.ExprError) as info:
        ex.evaluate(e, lambda n: np.array([1.0]), {}, {}, 0)
    assert str(info.value) == "a value in a fixed year (@2020) cannot be read here"


def test_a_node_that_is_not_an_expression_is_a_type_error() -> None:
    node: Any = object()
    with pytest.raises(TypeError) as e:
        ex.level_of(node, {}, {}, {})
    assert e.value.args == (node,)
    with pytest.raises(TypeError) as e:
        ex.evaluate(node, lambda n: np.array([1.0]), {}, {}, 0)
    assert e.value.args == (node,)
