"""Triangular edges: the CDF is exactly 1 at high, mass of exactly NO_MASS is sampled, and
a truncated draw never falls below its lower bound."""

from __future__ import annotations

import numpy as np

from clustersim.sampling.base import NO_MASS
from clustersim.sampling.triangular import Triangular


def test_cdf_at_high_is_exactly_one_when_the_mode_is_high() -> None:
    """F(high) = 1. With mode = high the left parabola at x = high is
    (b - a)^2 / ((b - a)(c - a)), which in floats is not 1 for b - a = 2.759
    (2.759 ** 2 = 7.612080999999999 but 2.759 * 2.759 = 7.612081): high itself must give 1."""
    assert Triangular(0.0, 2.759, 2.759).cdf(2.759) == 1.0


def test_a_truncation_holding_exactly_no_mass_is_sampled() -> None:
    """triangular(0, 1, 1) has F(x) = x^2; on [0, 1e-6] the mass is 1e-12 = NO_MASS
    exactly (1e-6 ** 2 == 1e-12 in floats), not below it: sampled. u = 0.25 gives
    q = 0.25e-12 and x = sqrt(q) = 5e-7."""
    assert NO_MASS == 1e-6**2
    got = Triangular(0.0, 1.0, 1.0).ppf(np.array([0.25]), 0.0, 1e-6)
    np.testing.assert_allclose(got, [5e-7], rtol=1e-12)


def test_a_draw_at_the_lower_truncation_is_the_bound_itself() -> None:
    """triangular(0, 2, 3) truncated to [2.48, 3]: u = 0 is the quantile F(2.48), which is
    2.48; computed, 3 - sqrt((1 - F(2.48)) * 3) rounds to 2.4799999999999995, one ulp
    below the bound, which the clip to [2.48, 3] must hold."""
    got = Triangular(0.0, 2.0, 3.0).ppf(np.array([0.0, 0.5, 1.0]), 2.48, 3.0)
    assert got[0] == 2.48
    assert np.all((got >= 2.48) & (got <= 3.0))
