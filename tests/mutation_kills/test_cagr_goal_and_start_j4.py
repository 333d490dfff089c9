"""cagr's report goal path compounds the goal, and its closed form from a history year
works for any positive start value, including one of 1 or less."""

from __future__ import annotations

import math

import pytest

from clustersim.core import expr as ex
from clustersim.core.targets import Bound
from clustersim.kinds.targets import TARGET_KINDS


def test_cagr_goal_path_compounds_the_goal() -> None:
    """100 at 10% a year: 100, 110, 121."""
    kind = TARGET_KINDS["cagr"]
    got = [kind.goal_path(100.0, 0.1, n) for n in (0, 1, 2)]
    assert got == pytest.approx([100.0, 110.0, 121.0], rel=1e-14)


@pytest.mark.parametrize("x_start", [0.5, 1.0])
def test_cagr_closed_form_from_a_start_value_of_one_or_less(x_start: float) -> None:
    """From 2020 (history x_start) to 2025 at 5%, base year 2023 with x0 = 0.8: n = 2 and
    r = ((1.05^5 x_start / 0.8)^(1/2) - 1."""
    cagr = TARGET_KINDS["cagr"]
    spec = cagr.spec("t", ex.parse("gdp"), 2025, Bound(lo=0.05), start=2020)
    got = cagr.closed_form(spec, 0.8, 0.05, 2023, lambda y: x_start)
    assert got is not None
    assert got == pytest.approx(math.sqrt(1.05**5 * x_start / 0.8) - 1.0, rel=1e-13)
