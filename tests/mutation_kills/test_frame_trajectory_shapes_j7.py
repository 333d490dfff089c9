"""Frame.trajectory: a metric read from a series shared by every sample (one row) comes
back with one row per sample, also when the number of samples equals the number of years;
and an expression with no values per sample and year is refused by name."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_array_equal

from clustersim.core import expr as ex
from clustersim.core.targets import Frame

YEARS = np.array([2023, 2024, 2025])


def _frame() -> Frame:
    """3 samples (x has one row each) and 3 years; gdp is the same in every sample, stored
    as one shared row."""
    series = {
        "x": np.arange(9.0).reshape(3, 3),
        "gdp": np.array([[100.0, 105.0, 110.25]]),
    }
    return Frame(series, YEARS, ["a"], {}, {}, {"dbl": ex.parse("gdp * 2")})


def test_a_shared_row_metric_has_a_row_per_sample_when_samples_equal_years() -> None:
    """dbl = gdp * 2 = 200, 210, 220.5 in each of the 3 samples: shape (3, 3), not (1, 3)."""
    got = _frame().trajectory(ex.parse("dbl"))
    assert got.shape == (3, 3)
    assert_array_equal(got, [[200.0, 210.0, 220.5]] * 3)


def test_a_constant_has_no_trajectory() -> None:
    """2 reads no series: no values per sample and year."""
    with pytest.raises(ex.ExprError) as info:
        _frame().trajectory(ex.parse("2"))
    assert str(info.value) == (
        "the expression has no values per sample and year (it reads no series, or an "
        "empty selection of clusters)"
    )
