"""A constant read in a year before the base year is that constant: it needs no history.

The scenario format refuses ``(2*3)@2020`` (``@`` on numbers only; tests/engines/
test_at_year.py), but a Frame evaluates any expression tree built directly, and a constant
read in a history year comes back 0-d there (kills ``reshape(1)`` -> ``reshape(0)`` in
``Frame._history``)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustersim.core import expr as ex
from clustersim.core.targets import Frame

YEARS = np.array([2023, 2024, 2025])


def test_a_constant_in_a_history_year() -> None:
    """gdp 100 (no growth) in 2025, minus (2 * 3) in 2020: 100 - 6 = 94, in both samples."""
    gdp = np.full((2, 3), 100.0)
    f = Frame({"gdp": gdp}, YEARS, ["a"], {}, {}, {})
    six = ex.Bin("*", ex.Const(2.0), ex.Const(3.0))
    expr = ex.Bin("-", ex.Name("gdp"), ex.At(six, 2020))
    assert_allclose(f.at(expr, 2025), [94.0, 94.0], rtol=1e-15)
    # the parser itself refuses it: @ needs a series
    with pytest.raises(ex.ExprError, match="applies it to a number"):
        ex.parse("gdp - (2*3)@2020")
