"""A lognormal truncated below at a bound above its median draws its far upper tail through
the mirrored quantile (from the small tail probability), so a uniform near 1 keeps its
digits: 1 - u times the mass above the bound, not 1 minus a rounded sum."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np
from numpy.testing import assert_allclose

from clustersim.sampling.lognormal import LogNormal


def test_far_upper_tail_above_a_bound_less_than_one_sigma_over_the_median() -> None:
    """median 1, sigma 1, low 1.5: ln 1.5 = 0.405 sigma above the median (between 0 and 1).
    Above 1.5 the upper tail probability of the quantile of u is (1 - u) P(Z > ln 1.5), so
    x = exp(-Phi^-1((1 - u) Phi(-ln 1.5))) (statistics.NormalDist). For u = 1 - 2^-40 the
    sum a + u (1 - a) near 1 keeps only about 4 significant digits of that probability:
    x would be off by ~1.5e-5 relative."""
    n = NormalDist()
    tail = n.cdf(-math.log(1.5))
    u = np.array([1.0 - 2.0**-40, 1.0 - 2.0**-20, 0.5])
    want = [math.exp(-n.inv_cdf((1.0 - float(x)) * tail)) for x in u]
    got = LogNormal(median=1.0, sigma=1.0, low=1.5).ppf(u)
    assert_allclose(got, want, rtol=1e-12)
