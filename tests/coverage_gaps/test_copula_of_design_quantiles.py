"""A copula applied to a design's quantiles (``uniforms=``): the compiler draws each
correlated number from the copula's uniforms, not from the quantiles as given.

Two cluster growth rates, N(0.05, 0.01) and N(0.03, 0.02), correlated with rho = 0.6, get
design quantiles ``u_a`` and ``u_b``. With ``z = ndtri(u)`` the Gaussian copula gives
``z_a' = z_a`` and ``z_b' = 0.6 z_a + 0.8 z_b`` (the Cholesky factor of [[1, .6], [.6, 1]]
has rows (1, 0) and (0.6, 0.8)), so the rates are ``0.05 + 0.01 z_a`` and
``0.03 + 0.02 (0.6 z_a + 0.8 z_b)``; computed here with scipy's normal quantile function,
not the compiler's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.testing import assert_allclose
from scipy.stats import norm

import clustersim as cs
from clustersim.compile import compile_scenario

P = "clusters.{}.output.growth.rate"
U_A = np.array([0.2, 0.5, 0.9])
U_B = np.array([0.7, 0.1, 0.5])


def _scenario() -> cs.Scenario:
    rates = {"a": (0.05, 0.01), "b": (0.03, 0.02)}
    clusters: dict[str, Any] = {
        c: {
            "name": c,
            "output": {
                "base": 10.0,
                "growth": {"rate": {"dist": "normal", "mean": m, "sd": s}},
            },
        }
        for c, (m, s) in rates.items()
    }
    return cs.Scenario.model_validate(
        {
            "id": "c",
            "name": "c",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100}},
            "clusters": clusters,
            "shocks": {"correlations": [{"between": [P.format("a"), P.format("b")], "rho": 0.6}]},
        }
    )


def test_correlated_design_quantiles_give_the_copulas_rates() -> None:
    u = {P.format("a"): U_A, P.format("b"): U_B}
    comp = compile_scenario(_scenario(), samples=3, seed=1, uniforms=u)
    op: Any = comp.model.op("output")
    rates = np.asarray(op.rates)  # (S, C, 1): a constant rate, one column for every year
    za, zb = norm.ppf(U_A), norm.ppf(U_B)
    want_a = 0.05 + 0.01 * za
    want_b = 0.03 + 0.02 * (0.6 * za + 0.8 * zb)
    assert rates.shape == (3, 2, 1)
    assert_allclose(rates[:, 0, 0], want_a, rtol=0, atol=1e-12)
    assert_allclose(rates[:, 1, 0], want_b, rtol=0, atol=1e-12)
    # the copula moved b: the design's own quantiles would give 0.03 + 0.02 z_b
    assert np.max(np.abs(rates[:, 1, 0] - (0.03 + 0.02 * zb))) > 0.005
