"""``backtest`` on synthetic histories with known trends.

Projections are checked against closed forms: compound ``x_a (1 + r)^k``, the naive
``x_a (x_a / x_p)^k``, the plan's own rates, and Monte Carlo quantiles of
``x_a (1 + r)^k`` with ``r ~ N(r̂, se)``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import norm
from scipy.stats import t as student

from clustersim.analysis.backtesting import backtest
from clustersim.analysis.observed import DataError
from clustersim.analysis.options import Options

from .conftest import predictive_reference, series_rows


def _trend(seed: int, n: int = 16, rate: float = 0.05, noise: float = 0.02):
    rng = np.random.default_rng(seed)
    t = np.arange(2000, 2000 + n)
    return t, 100 * (1 + rate) ** (t - 2000) * np.exp(rng.normal(0, noise, n))


def test_a_known_trend_beats_the_naive_baseline(tiny, csv_writer):
    wins, gaps = 0, []
    for seed in range(12):
        t, v = _trend(seed)
        bt = backtest(csv_writer(series_rows("gdp", t, v), f"g{seed}.csv"), tiny, 2010)
        cal, naive = bt.mape("calibrated"), bt.mape("naive")
        wins += cal < naive
        gaps.append(naive - cal)
    assert wins >= 9  # the fitted trend wins in most histories ...
    assert np.mean(gaps) > 0.02  # ... and by a wide margin on average
    t, v = _trend(0)
    bt = backtest(csv_writer(series_rows("gdp", t, v)), tiny, 2010)
    assert bt.mape("calibrated") < bt.mape("naive")


def test_projections_follow_their_closed_forms(tiny, csv_writer):
    t, v = _trend(1)
    bt = backtest(csv_writer(series_rows("gdp", t, v)), tiny, 2010)
    (s,) = bt.series
    rate = (v[t == 2010][0] / v[t == 2000][0]) ** (1 / 10) - 1  # mean annual log growth
    xa, xp = v[t == 2010][0], v[t == 2009][0]
    assert (s.anchor.year, s.anchor.value) == (2010, xa)
    assert [r.year for r in s.records] == list(range(2011, 2016))
    for r in s.records:
        k = r.year - 2010
        obs = v[t == r.year][0]
        assert r.observed == obs
        assert_allclose(r.projected["calibrated"], xa * (1 + rate) ** k, rtol=1e-12)
        assert_allclose(r.projected["naive"], xa * (xa / xp) ** k, rtol=1e-12)
        # the tiny scenario's own GDP growth is 5% (outside its 2020-2025 horizon: its CAGR)
        assert_allclose(r.projected["plan"], xa * 1.05**k, rtol=1e-12)
        assert_allclose(r.error("naive"), xa * (xa / xp) ** k / obs - 1, rtol=1e-12)
    errs = [abs(r.projected["calibrated"] / r.observed - 1) for r in s.records]
    assert_allclose(bt.mape("calibrated"), np.mean(errs), rtol=1e-12)


def test_the_plan_rates_are_the_scenario_s_own_by_year(tiny, csv_writer):
    # industrial_output grows 3% in 2021-2022 and 4% from 2023 in the tiny scenario
    t = np.arange(2016, 2025)
    v = 180 * 1.035 ** (t - 2016)
    bt = backtest(csv_writer(series_rows("industrial_output", t, v)), tiny, 2021)
    xa = v[t == 2021][0]
    plan = {r.year: r.projected["plan"] for r in bt.records}
    assert_allclose(
        [plan[2022], plan[2023], plan[2024]],
        [xa * 1.03, xa * 1.03 * 1.04, xa * 1.03 * 1.04**2],
        rtol=1e-12,
    )
    assert_allclose(bt.series[0].plan_rate, (1.03**2 * 1.04**3) ** (1 / 5) - 1, rtol=1e-12)


def test_monte_carlo_intervals_and_coverage(tiny, csv_writer):
    from numpy.polynomial.hermite_e import hermegauss
    from scipy.optimize import brentq

    t, v = _trend(2, noise=0.03)
    bt = backtest(csv_writer(series_rows("gdp", t, v)), tiny, 2010, samples=16000, seed=5)
    # the fragment's rate: R ~ N(exp(mu) - 1, exp(mu) se(mu) x w), w = t_df(0.9) / z(0.9), mu
    # the mean annual log growth 2000-2010; and its yearly shocks: ln(1 + g_t) = ln(1 + R) + e_t,
    # e_t ~ N(0, (sd w)^2) independent (the fitted ar is negative, alternating growth, and is
    # written 0). So ln x_{2010+k} = ln x_2010 + k ln(1 + R) + N(0, k (sd w)^2): its quantiles
    # solve E_R[Phi((q - ln x_2010 - k ln(1 + R)) / (sqrt(k) sd w))] = p, the expectation over
    # the normal R by Gauss-Hermite quadrature (no delta method, no sampling).
    mu, se_mu, sd, ar, df = predictive_reference(t[t <= 2010], v[t <= 2010])
    assert ar < 0
    w = student.ppf(0.9, df) / norm.ppf(0.9)
    f_rate, f_se, s_sd = math.expm1(mu), math.exp(mu) * se_mu * w, sd * w
    nodes, weights = hermegauss(80)
    weights = weights / weights.sum()
    log_growth = np.log1p(f_rate + f_se * nodes)
    xa = v[t == 2010][0]

    def quantile(k: int, p: float) -> float:
        def cdf(q: float) -> float:
            return float(weights @ norm.cdf((q - k * log_growth) / (math.sqrt(k) * s_sd))) - p

        return xa * math.exp(brentq(cdf, -5.0, 5.0, xtol=1e-14))

    for r in bt.records:
        k = r.year - 2010
        lo50, hi50 = r.intervals["50"]
        lo80, hi80 = r.intervals["80"]
        assert lo80 < lo50 < r.projected["calibrated"] < hi50 < hi80
        want = [quantile(k, p) for p in (0.25, 0.75, 0.10, 0.90)]
        # sampling error of the 16,000-sample 10% quantile of the log level (sd sigma_k):
        # sqrt(0.09 / n) / phi(z_0.9) sigma_k (about 0.0018 at k = 5); allowed 4 of them
        sigma_k = math.sqrt(k * k * (se_mu * w) ** 2 + k * s_sd**2)
        q_se = math.sqrt(0.09 / 16000) / norm.pdf(norm.ppf(0.9)) * sigma_k
        assert_allclose([lo50, hi50, lo80, hi80], want, rtol=4 * q_se)
        # wider than the rate's uncertainty alone (the old, parameter-only interval)
        lo80_par, hi80_par = xa * (1 + f_rate + np.array([-1.0, 1.0]) * norm.ppf(0.9) * f_se) ** k
        assert lo80 < lo80_par and hi80 > hi80_par
    inside = [lo <= r.observed <= hi for r in bt.records for lo, hi in [r.intervals["80"]]]
    assert bt.coverage("80") == pytest.approx(np.mean(inside))
    doc = bt.to_dict()
    assert doc["samples"] == 16000 and doc["seed"] == 5 and doc["n"] == 5
    assert set(doc["coverage"]) == {"50", "80"}
    again = backtest(
        csv_writer(series_rows("gdp", t, v), "again.csv"), tiny, 2010, samples=16000, seed=5
    )
    assert again.records[0].intervals == bt.records[0].intervals  # same seed, same numbers


def test_logistic_and_elasticity_series_are_projected_by_their_kind(tiny, csv_writer):
    t = np.arange(2005, 2021)
    beta = 500 / (1 + np.exp(-0.25 * (t - 2021)))  # an exact logistic history
    out = 30 * 1.1 ** (t - 2005)
    rd = 2 * (1 + 1.4 * 0.1) ** (t - 2005)  # R&D grows 1.4 x output's 10%
    rows = series_rows("output", t, beta, cluster="beta")
    rows += series_rows("output", t, out, cluster="alpha")
    rows += series_rows("rd", t, rd, cluster="alpha")
    bt = backtest(csv_writer(rows), tiny, 2014)
    by = {s.name: s for s in bt.series}
    assert by["output[beta]"].fit.fit.kind == "logistic"
    assert by["rd[alpha]"].fit.fit.kind == "elasticity"
    for name in ("output[beta]", "output[alpha]", "rd[alpha]"):
        for r in by[name].records:
            assert abs(r.error("calibrated")) < 1e-6, (name, r.year)


def test_a_break_after_until_excludes_the_new_scope(tiny, csv_writer):
    t, v = _trend(3)
    v = np.where(t >= 2013, v * 1.5, v)
    rows = [
        dict(r, **({"break": "1"} if r["year"] == 2013 else {})) for r in series_rows("gdp", t, v)
    ]
    bt = backtest(csv_writer(rows, extra=("break",)), tiny, 2010)
    (s,) = bt.series
    assert [r.year for r in s.records] == [2011, 2012]
    assert [y for y, _ in s.excluded] == [2013, 2014, 2015]
    assert "structural break in 2013" in s.excluded[0][1]


def test_nothing_to_backtest_is_an_error(tiny, csv_writer):
    t, v = _trend(4)
    data = csv_writer(series_rows("gdp", t, v))
    with pytest.raises(
        DataError, match=r"nothing to backtest up to 2016:\n  gdp: no observation after 2016"
    ):
        backtest(data, tiny, 2016)
    with pytest.raises(DataError, match="gdp: 1 observation"):
        backtest(data, tiny, 2000)


def test_options_select_series(tiny, csv_writer):
    t, v = _trend(5)
    rows = series_rows("gdp", t, v) + series_rows("patents", t, v, unit="件")
    bt = backtest(csv_writer(rows), tiny, 2010, options=Options(series=("patents",)))
    assert [s.name for s in bt.series] == ["patents"]
    assert math.isfinite(bt.mape("naive"))


def test_an_elasticity_needs_two_common_years_before_until(tiny, csv_writer):
    rows = series_rows("output", [2010, 2012, 2013], [10, 12, 13], cluster="alpha")
    rows += series_rows(
        "rd", [2009, 2010, 2011, 2012, 2013], [1, 1.1, 1.2, 1.3, 1.4], cluster="alpha"
    )
    with pytest.raises(
        DataError,
        match=r"rd\[alpha\]: an elasticity fit needs two years in which both rd\[alpha\] and "
        r"output\[alpha\] are observed",
    ):
        backtest(csv_writer(rows), tiny, 2011)
