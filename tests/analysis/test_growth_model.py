"""The predictive growth model (fits.fit_growth) and the rolling-origin backtest.

Data are simulated from known AR(1) growth processes with seeded numpy Generators; expected
values come from the generating parameters or from independent formulas (numpy lstsq,
scipy.stats), never from the code under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import t as student

from clustersim.analysis.fits import AR_MIN_PAIRS, fit_growth
from clustersim.analysis.rolling import (
    LEVELS,
    HistorySeries,
    forecast_series,
    quantile_score,
    summarise,
)


def simulate(rng: np.random.Generator, n: int, mu: float, sd: float, ar: float) -> np.ndarray:
    """Levels x_0..x_{n-1} of ln x_t = ln x_{t-1} + mu + u_t, u_t = ar u_{t-1} + e_t."""
    u = rng.normal(0.0, sd / math.sqrt(1.0 - ar * ar))  # stationary start
    y = [math.log(100.0)]
    for _ in range(n - 1):
        u = ar * u + rng.normal(0.0, sd)
        y.append(y[-1] + mu + u)
    return np.exp(np.array(y))


def test_exact_compound_series_has_zero_innovation_sd():
    years = [2010, 2011, 2013, 2016]  # gaps count as several annual steps
    x = 50.0 * 1.08 ** (np.array(years) - 2010)
    f = fit_growth(years, x)
    assert_allclose(f.rate, 0.08, rtol=1e-12)
    assert f.sd is not None and f.sd < 1e-12
    assert f.ar == 0.0 and not f.ar_estimated
    assert f.df == 2  # three intervals, one mean


def test_hand_computed_random_walk_with_drift():
    # ln changes 0.10, 0.02 (one year each) and 0.18 over two years: total 0.30 over 4 years
    y = np.log(100.0) + np.array([0.0, 0.10, 0.12, 0.30])
    f = fit_growth([2000, 2001, 2002, 2004], np.exp(y))
    assert_allclose(f.mu, 0.075, rtol=1e-12)
    # residuals 0.025, -0.055, 0.18 - 0.15 = 0.03 (variance 2 sd^2): Σ r²/k = ...
    ss = 0.025**2 + 0.055**2 + 0.03**2 / 2
    assert f.sd is not None and f.se_mu is not None
    assert_allclose(f.sd, math.sqrt(ss / 2), rtol=1e-12)
    assert_allclose(f.se_mu, math.sqrt(ss / 2) / 2.0, rtol=1e-12)
    centre, scale, df = f.predictive([1, 3])
    assert df == 2
    assert_allclose(centre, [0.075, 0.225], rtol=1e-12)
    # ar = 0: scale² = sd² (h + h² / K), K = 4
    assert_allclose(scale, math.sqrt(ss / 2) * np.sqrt([1 + 1 / 4, 3 + 9 / 4]), rtol=1e-12)


def test_two_points_have_no_interval():
    f = fit_growth([2020, 2022], [100.0, 121.0])
    assert_allclose(f.rate, 0.10, rtol=1e-12)
    assert f.sd is None and f.se_mu is None
    with pytest.raises(ValueError, match="no innovation sd"):
        f.predictive([1])


def test_short_series_shrinks_ar_to_zero():
    rng = np.random.default_rng(11)
    x = simulate(rng, AR_MIN_PAIRS + 1, 0.05, 0.02, 0.6)  # AR_MIN_PAIRS intervals: one pair short
    f = fit_growth(np.arange(x.size), x)
    assert f.ar == 0.0 and not f.ar_estimated


def test_recovers_ar1_parameters_within_their_standard_errors():
    """Long simulated series: mu within 3 se, ar and sd within 3 asymptotic se."""
    rng = np.random.default_rng(20261206)
    mu, sd, ar, n = 0.06, 0.03, 0.4, 400
    x = simulate(rng, n, mu, sd, ar)
    f = fit_growth(np.arange(n), x)
    assert f.ar_estimated
    assert f.se_mu is not None and f.sd is not None
    # se(mu) of an AR(1) mean: sd / (1 - ar) / sqrt(T)
    assert_allclose(f.se_mu, sd / (1 - ar) / math.sqrt(n - 1), rtol=0.15)
    assert abs(f.mu - mu) < 3 * f.se_mu
    assert abs(f.ar - ar) < 3 * math.sqrt((1 - ar * ar) / (n - 2))
    assert abs(f.sd - sd) < 3 * sd / math.sqrt(2 * (n - 2))


def test_ar_matches_an_independent_lstsq():
    rng = np.random.default_rng(5)
    x = simulate(rng, 60, 0.03, 0.02, -0.3)
    f = fit_growth(np.arange(60), x)
    g = np.diff(np.log(x)) - f.mu
    (phi,), *_ = np.linalg.lstsq(g[:-1, None], g[1:], rcond=None)
    assert_allclose(f.ar, phi, rtol=1e-10)
    e = g[1:] - phi * g[:-1]
    assert f.sd is not None
    assert_allclose(f.sd, math.sqrt(e @ e / (e.size - 1)), rtol=1e-10)


def test_ar_predictive_variance_sums_the_innovation_weights():
    f = fit_growth(np.arange(40), simulate(np.random.default_rng(9), 40, 0.05, 0.02, 0.5))
    assert f.sd is not None and f.se_mu is not None
    phi = f.ar
    h = 3
    w = [(1 - phi**i) / (1 - phi) for i in range(1, h + 1)]  # 1, 1 + phi, 1 + phi + phi²
    var = f.sd**2 * sum(c * c for c in w) + (h * f.se_mu) ** 2
    centre, scale, _ = f.predictive([h])
    assert_allclose(scale[0] ** 2, var, rtol=1e-12)
    assert_allclose(centre[0], h * f.mu + f.last_dev * (phi + phi**2 + phi**3), rtol=1e-12)


def test_quantile_score_of_a_point_forecast_is_the_absolute_error():
    taus = np.round(np.arange(0.05, 0.951, 0.05), 10)
    assert_allclose(quantile_score(np.full(taus.size, 2.0), taus, 2.5), 0.5, rtol=1e-12)


def test_quantile_score_approximates_the_normal_crps():
    from scipy.stats import norm

    taus = np.linspace(0.0005, 0.9995, 1000)
    q = norm.ppf(taus)
    y = 0.7
    crps = y * (2 * norm.cdf(y) - 1) + 2 * norm.pdf(y) - 1 / math.sqrt(math.pi)  # closed form
    assert_allclose(quantile_score(q, taus, y), crps, rtol=2e-3)


@pytest.mark.parametrize(("ar", "n_years"), [(0.0, 8), (0.4, 30)])
def test_rolling_intervals_have_nominal_coverage_on_simulated_series(ar: float, n_years: int):
    """Many simulated series: 80% intervals hold 74-86%, 50% and 95% near nominal, PIT flat."""
    rng = np.random.default_rng(1234 + int(ar * 10))
    forecasts = []
    for i in range(400 if n_years < 20 else 250):
        x = simulate(rng, n_years, rng.uniform(0.0, 0.12), rng.uniform(0.01, 0.08), ar)
        hs = HistorySeries("sim", "r", "", f"s{i}", tuple(range(n_years)), tuple(x), ())
        forecasts += forecast_series(hs, min_fit=n_years - 3 if n_years > 20 else 3).forecasts
    s = summarise(forecasts)
    assert s.n > 1000
    assert 0.74 <= s.coverage[80] <= 0.86, s.coverage
    assert 0.44 <= s.coverage[50] <= 0.56, s.coverage
    assert 0.92 <= s.coverage[95] <= 0.98, s.coverage
    assert max(s.pit) < 0.14 and min(s.pit) > 0.06, s.pit  # 10 bins, 10% each
    assert set(s.coverage) == set(LEVELS)


def test_rolling_forecasts_hand_case():
    # 4 points: one origin (2002, three points fitted), one forecast (2003)
    y = np.log(100.0) + np.array([0.0, 0.10, 0.12, 0.25])
    hs = HistorySeries("f", "r", "", "x", (2000, 2001, 2002, 2003), tuple(np.exp(y)), (2, 3, 4, 5))
    (fc,) = forecast_series(hs).forecasts
    mu = 0.06  # 0.12 / 2
    sd = math.sqrt(((0.10 - mu) ** 2 + (0.02 - mu) ** 2) / 1)
    scale = sd * math.sqrt(1 + 1 / 2)
    x2 = 100.0 * math.exp(0.12)
    assert (fc.origin, fc.year, fc.horizon) == (2002, 2003, 1)
    assert_allclose(fc.point["calibrated"], x2 * math.exp(mu), rtol=1e-12)
    assert_allclose(fc.point["naive"], x2 * math.exp(0.02), rtol=1e-12)
    assert_allclose(fc.point["rw_drift"], x2 * math.exp(mu), rtol=1e-12)
    lo, hi = fc.intervals[80]
    q = student.ppf(0.9, 1)
    assert_allclose([lo, hi], x2 * np.exp(mu + np.array([-q, q]) * scale), rtol=1e-10)
    assert_allclose(fc.pit, student.cdf((0.25 - 0.12 - mu) / scale, 1), rtol=1e-10)
