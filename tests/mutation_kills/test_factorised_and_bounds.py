"""The blocked engine's factorised series (base x scale) sliced by year and by cluster when
the scale has one year or one cluster, and the met edge of a goal, each written out."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

from clustersim.core import blocked as bl
from clustersim.core.targets import MET_RTOL, Bound

RNG = np.random.default_rng(22)
T, B, C = 4, 3, 5


def test_years_of_a_scaling_shared_by_every_year() -> None:
    """A scale of one year (T = 1) holds for every year: years 1:3 are base[1:3] x scale."""
    base = RNG.uniform(1, 2, (T, B, C))
    scale = RNG.uniform(0, 1, (1, 1, C))
    got = bl.Scaled(base, scale).years(1, 3)
    assert got.base.shape == (2, B, C)
    assert_array_equal(got.full(), base[1:3] * scale)


def test_column_of_a_scaling_shared_by_every_cluster() -> None:
    """A scale of one cluster (C = 1) holds for every cluster: column 2 is base[..., 2] x
    scale[..., 0]."""
    base = RNG.uniform(1, 2, (T, B, C))
    scale = RNG.uniform(0, 1, (T, B, 1))
    assert_array_equal(bl.Scaled(base, scale).column(2), base[..., 2] * scale[..., 0])


def test_an_inclusive_goal_is_met_exactly_at_its_tolerance_edge() -> None:
    """at_least 10,000: the scale is 10,000, the edge -1e-9 x 10,000 = -1e-5. A margin of
    exactly -1e-5 meets it (9,999.99999 counts as reaching 10,000); the next float below
    does not."""
    b = Bound(lo=10_000.0)
    edge = -(MET_RTOL * 10_000.0)
    assert MET_RTOL == 1e-9 and b.met_from == edge
    below = np.nextafter(edge, -np.inf)
    assert_array_equal(b.reached(np.array([edge, below, 0.0])), [True, False, True])
    # a value short of the goal by float rounding alone is met
    assert_array_equal(b.reached(b.margin(np.array([9_999.999999999998]))), [True])


def test_a_strict_goal_is_met_only_above_its_tolerance_edge() -> None:
    """more_than 10,000: met only when the margin is above +1e-5, first at the float just
    above it; 10,000 plus rounding (a margin of 1e-5 or less) does not meet it."""
    b = Bound(lo=10_000.0, strict=True)
    tol = MET_RTOL * 10_000.0
    above = np.nextafter(tol, np.inf)
    assert b.met_from == above
    assert_array_equal(b.reached(np.array([tol, above, 0.0])), [False, True, False])
