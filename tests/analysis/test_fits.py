"""The fitting functions on synthetic series with known parameters.

Estimates are compared with the generating parameters (within the stated standard error)
and with independent computations (the OLS covariance matrix, a weighted lstsq).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustersim.analysis.fits import fit_elasticity, fit_logistic, fit_loglinear, growth_jumps


def test_loglinear_exact_compound_series():
    years = np.array([2010, 2011, 2013, 2014, 2018])  # gaps are fine
    x = 250.0 * 1.07 ** (years - 2010)
    f = fit_loglinear(years, x)
    assert_allclose(f.rate, 0.07, rtol=1e-12)
    assert f.se is not None and f.se < 1e-12
    assert_allclose(f.r2, 1.0)
    assert_allclose(f.value_at(2020), 250.0 * 1.07**10, rtol=1e-12)


def test_loglinear_matches_the_ols_covariance_matrix():
    rng = np.random.default_rng(3)
    t = np.arange(2008, 2021, dtype=float)
    y = 4.0 + 0.06 * (t - 2008) + rng.normal(0, 0.04, t.size)
    f = fit_loglinear(t, np.exp(y))
    x_mat = np.column_stack([np.ones_like(t), t])
    beta, ssr, *_ = np.linalg.lstsq(x_mat, y, rcond=None)
    sigma2 = ssr[0] / (t.size - 2)
    cov = sigma2 * np.linalg.inv(x_mat.T @ x_mat)
    assert_allclose(f.slope, beta[1], rtol=1e-10)
    assert f.se_slope is not None
    assert_allclose(f.se_slope, math.sqrt(cov[1, 1]), rtol=1e-10)
    assert_allclose(f.rate, math.expm1(beta[1]), rtol=1e-10)
    assert f.se is not None
    assert_allclose(f.se, math.exp(beta[1]) * math.sqrt(cov[1, 1]), rtol=1e-10)  # delta method
    r2 = 1 - ssr[0] / ((y - y.mean()) ** 2).sum()
    assert_allclose(f.r2, r2, rtol=1e-10)


def test_loglinear_recovers_the_rate_within_its_standard_error():
    rng = np.random.default_rng(7)
    t = np.arange(2005, 2020)
    true_b = math.log1p(0.065)
    x = 800 * np.exp(true_b * (t - 2005) + rng.normal(0, 0.03, t.size))
    f = fit_loglinear(t, x)
    assert f.se is not None
    assert abs(f.rate - 0.065) < 3 * f.se


def test_loglinear_standard_error_is_honest_over_many_series():
    """|b̂ - b| <= se(b̂) holds with probability P(|T| <= 1), T ~ Student t with n - 2 dof."""
    from scipy.stats import t as student

    rng = np.random.default_rng(11)
    t = np.arange(15)
    b, reps = 0.05, 400
    hits = 0
    for _ in range(reps):
        f = fit_loglinear(t, np.exp(2.0 + b * t + rng.normal(0, 0.05, t.size)))
        assert f.se_slope is not None
        hits += abs(f.slope - b) <= f.se_slope
    p = student.cdf(1, t.size - 2) - student.cdf(-1, t.size - 2)  # 0.665
    assert abs(hits / reps - p) < 4 * math.sqrt(p * (1 - p) / reps)


def test_loglinear_with_two_points_has_no_standard_error():
    f = fit_loglinear([2020, 2022], [100.0, 121.0])
    assert_allclose(f.rate, 0.10, rtol=1e-12)
    assert f.se is None


@pytest.mark.parametrize(
    ("years", "values", "message"),
    [
        ([2020], [1.0], "at least 2"),
        ([2020, 2020], [1.0, 2.0], "distinct"),
        ([2020, 2021], [1.0, 0.0], "positive"),
        ([2020, 2021], [1.0, math.nan], "finite"),
    ],
)
def test_loglinear_rejects_bad_input(years, values, message):
    with pytest.raises(ValueError, match=message):
        fit_loglinear(years, values)


def _logistic(t, k, r, m):
    return k / (1 + np.exp(-r * (t - m)))


def test_logistic_exact_curve():
    t = np.arange(2000, 2031)
    f = fit_logistic(t, _logistic(t, 5000.0, 0.3, 2015.0))
    assert_allclose([f.capacity, f.rate, f.midpoint], [5000.0, 0.3, 2015.0], rtol=1e-6)
    assert_allclose(f.r2, 1.0, atol=1e-10)


def test_logistic_recovers_parameters_within_their_standard_errors():
    rng = np.random.default_rng(5)
    t = np.arange(2000, 2031)
    x = _logistic(t, 5000.0, 0.3, 2015.0) * np.exp(rng.normal(0, 0.02, t.size))
    f = fit_logistic(t, x)
    assert f.se_capacity is not None and f.se_rate is not None
    assert abs(f.capacity - 5000.0) < 3 * f.se_capacity
    assert abs(f.rate - 0.3) < 3 * f.se_rate
    assert f.se_capacity < 0.05 * 5000 and f.se_rate < 0.05  # well determined with 31 points


def test_logistic_needs_four_points():
    with pytest.raises(ValueError, match="at least 4"):
        fit_logistic([2020, 2021, 2022], [1.0, 2.0, 3.0])


def test_elasticity_exact_and_against_weighted_lstsq():
    rng = np.random.default_rng(2)
    gx = rng.normal(0.06, 0.03, 12)
    k = rng.integers(1, 3, 12).astype(float)
    f = fit_elasticity(k, 1.3 * gx, gx, to="gdp")
    assert_allclose(f.elasticity, 1.3, rtol=1e-12)
    g = 1.3 * gx + rng.normal(0, 0.01, 12)
    f = fit_elasticity(k, g, gx, to="gdp", years=list(range(12)))
    w = np.sqrt(k)
    e, ssr, *_ = np.linalg.lstsq((w * gx)[:, None], w * g, rcond=None)
    assert_allclose(f.elasticity, e[0], rtol=1e-10)
    se = math.sqrt(ssr[0] / (12 - 1) / (k * gx * gx).sum())
    assert f.se is not None
    assert_allclose(f.se, se, rtol=1e-10)
    assert abs(f.elasticity - 1.3) < 3 * f.se


def test_growth_jumps_flags_the_jiangxi_scope_change_only():
    years = [2015, 2019, 2020, 2021, 2022, 2023, 2024]
    revenue = [3300, 4430.2, 5000, 6500, 10000, 10800, 11600]
    jumps = growth_jumps(years, revenue)
    assert [(a, b) for a, b, _, _ in jumps] == [(2021, 2022)]
    _, _, g, med = jumps[0]
    assert_allclose(g, 10000 / 6500 - 1, rtol=1e-12)
    others = np.log([4430.2 / 3300]) / 4
    lam = np.concatenate(
        [others, np.log([5000 / 4430.2, 6500 / 5000, 10800 / 10000, 11600 / 10800])]
    )
    assert_allclose(med, math.expm1(np.median(lam)), rtol=1e-12)


def test_growth_jumps_quiet_on_a_smooth_series():
    t = np.arange(2010, 2022)
    assert growth_jumps(t, 100 * 1.08 ** (t - 2010) * (1 + 0.01 * np.sin(t))) == []
