"""Estimating shocks from a history panel (issue 15): on data simulated from the model the
projection draws, with known parameters, the fit recovers them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustersim.analysis.shocks import fit_shocks, one_factor_loadings

LOADINGS = np.array([0.8, 0.5, 0.3, 0.6])
SD = np.array([0.02, 0.05, 0.03, 0.04])
AR = np.array([0.0, 0.4, 0.2, 0.6])
MU = np.array([0.08, 0.05, 0.1, 0.03])


def simulate(n: int, seed: int = 0) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Levels of 4 series: ln-growth mu_i + d_it, d_it = ar_i d_i,t-1 + e_it,
    e_it = sd_i (sqrt(L_i) f_t + sqrt(1 - L_i) z_it), f and z standard normal."""
    rng = np.random.default_rng(seed)
    f = rng.standard_normal(n)
    z = rng.standard_normal((4, n))
    e = SD[:, None] * (np.sqrt(LOADINGS)[:, None] * f + np.sqrt(1 - LOADINGS)[:, None] * z)
    d = np.zeros((4, n))
    for t in range(n):
        d[:, t] = (AR * d[:, t - 1] if t else 0.0) + e[:, t]
    lx = np.concatenate([np.zeros((4, 1)), np.cumsum(MU[:, None] + d, axis=1)], axis=1)
    years = np.arange(2000, 2000 + n + 1)
    return years, {f"s{i}": 100.0 * np.exp(lx[i]) for i in range(4)}


def test_the_fit_recovers_sd_ar_correlation_and_loadings() -> None:
    n = 5_000  # long enough for tight errors, short enough that e^(ln x) stays finite
    years, panel = simulate(n)
    fit = fit_shocks(years, panel)
    assert fit.names == ("s0", "s1", "s2", "s3") and len(fit.years) == n - 1
    # standard errors at n = 5e3: sd ~ sd / sqrt(2n) (1%), ar ~ sqrt((1 - ar²) / n)
    assert_allclose(fit.sd, SD, rtol=0.045)
    assert np.all(np.abs(fit.ar - AR) < 4.5 * np.sqrt((1 - AR**2) / n))
    assert np.all(np.abs(fit.mean - MU) < 4.5 * SD / (1 - AR) / math.sqrt(n))
    want = np.sqrt(np.outer(LOADINGS, LOADINGS))
    np.fill_diagonal(want, 1.0)
    assert np.max(np.abs(fit.correlation - want)) < 4.5 / math.sqrt(n)
    assert_allclose(fit.loading, LOADINGS, atol=0.05)
    assert fit.shocks("s1", "region") == {
        "sd": pytest.approx(fit.sd[1]),
        "ar": pytest.approx(fit.ar[1]),
        "factor": "region",
        "loading": pytest.approx(fit.loading[1]),
    }


def test_one_factor_loadings_of_an_exact_one_factor_matrix() -> None:
    lam = np.sqrt([0.9, 0.4, 0.1, 0.7, 0.5])
    r = np.outer(lam, lam)
    np.fill_diagonal(r, 1.0)
    assert_allclose(one_factor_loadings(r), lam**2, atol=1e-9)
    assert_allclose(one_factor_loadings([[1.0, 0.3], [0.3, 1.0]]), [0.3, 0.3])


def test_missing_years_and_bad_input() -> None:
    years, panel = simulate(60, seed=3)
    panel["s2"][10] = np.nan  # two growth years of s2 go missing, and the innovation after
    fit = fit_shocks(years, panel)
    # 60 growth years, less the first (an AR(1) innovation needs the year before) and 3
    assert len(fit.years) == 60 - 1 - 3
    with pytest.raises(ValueError, match="consecutive"):
        fit_shocks([2000, 2002, 2003], {"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="at least 4 growth years"):
        fit_shocks([2000, 2001, 2002], {"a": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match="> 0"):
        fit_shocks(range(2000, 2006), {"a": [1.0, 2.0, -3.0, 4.0, 5.0, 6.0]})
