"""A lognormal truncated below at a positive bound of 1 or less is truncated there: its
quantiles are those of the distribution above the bound, not of the whole distribution
clipped to it."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustersim.sampling.lognormal import LogNormal


@pytest.mark.parametrize("low", [0.5, 1.0])
def test_quantiles_above_a_low_bound_of_one_or_less(low: float) -> None:
    """median 2, sigma 0.5: ln X ~ N(ln 2, 0.5). Above ``low`` the CDF starts at
    a = Phi((ln low - ln 2) / 0.5); the quantile of u is exp(ln 2 + 0.5 Phi^-1(a + u (1 - a)))
    (statistics.NormalDist for Phi and its inverse)."""
    n = NormalDist()
    a = n.cdf((math.log(low) - math.log(2.0)) / 0.5)
    u = np.array([0.01, 0.25, 0.5, 0.9])
    want = [math.exp(math.log(2.0) + 0.5 * n.inv_cdf(a + float(x) * (1.0 - a))) for x in u]
    got = LogNormal(median=2.0, sigma=0.5, low=low).ppf(u)
    assert_allclose(got, want, rtol=1e-12)
    assert np.all(got > low)
