"""Sensitivity and the summary against analytic answers (models in conftest.py)."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustersim.sweep import run_sweep
from clustersim.sweep.partial import SKETCH_ALPHA
from clustersim.sweep.summary import MISSED_OFTEN, PERCENTILES

from .conftest import RATES


def _indices(res, target):
    return {i.factor: i for i in res.summary.sensitivity if i.target == target}


@pytest.mark.parametrize("seed", [1, 7])
def test_sobol_indices_of_an_additive_model(linear, write_sweep, seed):
    """margin = ra + 2 rb + 3 rc - 0.3 (e fixed): S_i = ST_i = 1/14, 4/14, 9/14, 0."""
    sweep = write_sweep(
        method="sobol",
        samples=2048,
        seed=seed,
        fix=[RATES["e"]],
        parameters={RATES[k]: {"range": [0.0, 0.1]} for k in "abcd"},
    )
    res = run_sweep(sweep, workers=1)
    assert res.plan.rows == 2048 * (4 + 2)  # A, B and one AB block per factor
    idx = _indices(res, "m_level")
    expected = {"a": 1 / 14, "b": 4 / 14, "c": 9 / 14, "d": 0.0}
    for k, s in expected.items():
        assert_allclose(idx[RATES[k]].first_order, s, atol=0.01)
        assert_allclose(idx[RATES[k]].total_order, s, atol=0.01)


def test_sobol_groups_the_scenarios_other_uncertain_numbers(linear, write_sweep):
    """e stays uncertain (not fixed, not swept): it is one group, 4/18 of the variance."""
    sweep = write_sweep(
        method="sobol",
        samples=2048,
        seed=3,
        parameters={RATES[k]: {"range": [0.0, 0.1]} for k in "abcd"},
    )
    res = run_sweep(sweep, workers=1)
    # 4 factors + e, the one other uncertain number; f, g are plain numbers
    assert [d.path for d in res.plan.dims] == [RATES[k] for k in "abcde"]
    idx = _indices(res, "m_level")
    other = "other uncertain numbers (1)"
    assert set(idx) == {*(RATES[k] for k in "abcd"), other}
    for key, s in {
        **{RATES[k]: v for k, v in zip("abcd", (1, 4, 9, 0), strict=True)},
        other: 4,
    }.items():
        assert_allclose(idx[key].first_order, s / 18, atol=0.01)
        assert_allclose(idx[key].total_order, s / 18, atol=0.01)


def test_sobol_indices_of_a_product_with_interaction(linear, write_sweep):
    """p = f g with f, g ~ U(0.01, 1): first order 0.43, total 0.57 (not additive)."""
    lo, hi = 0.01, 1.0
    mu, s2 = (lo + hi) / 2, (hi - lo) ** 2 / 12
    var = 2 * mu**2 * s2 + s2**2
    s1, st = mu**2 * s2 / var, (mu**2 * s2 + s2**2) / var
    sweep = write_sweep(
        method="sobol",
        samples=8192,
        seed=11,
        fix="all",
        parameters={RATES[k]: {"range": [lo - 1, hi - 1]} for k in "fg"},
    )
    idx = _indices(run_sweep(sweep, workers=1), "p_level")
    for k in "fg":
        assert_allclose(idx[RATES[k]].first_order, s1, atol=0.02)
        assert_allclose(idx[RATES[k]].total_order, st, atol=0.02)
    assert st - s1 > 0.1  # the interaction is real, and seen


def test_first_order_from_monte_carlo_samples(linear, write_sweep):
    """Without a Sobol' design the first-order index comes from the samples (eta^2)."""
    sweep = write_sweep(
        method="monte_carlo",
        samples=40_000,
        seed=5,
        chunk_size=10_000,
        fix=[RATES["e"]],
        parameters={RATES[k]: {"range": [0.0, 0.1]} for k in "abcd"},
    )
    res = run_sweep(sweep, workers=1)
    idx = _indices(res, "m_level")
    for k, s in {"a": 1 / 14, "b": 4 / 14, "c": 9 / 14, "d": 0.0}.items():
        assert_allclose(idx[RATES[k]].first_order, s, atol=0.02)
        assert idx[RATES[k]].total_order is None
    # a constant margin has no sensitivity rather than 0/0
    assert all(i.first_order is None for i in _indices(res, "gdp_level").values())


def test_probabilities_percentiles_and_what_must_hold(linear, write_sweep):
    """m_level is met iff ra + 2 rb + 3 rc + 2 re >= 0.3; with only c swept over [0, 0.1]
    and the others fixed at their centre (ra = rb = 0, re = 0.05): met iff rc >= 0.2/3."""
    sweep = write_sweep(
        method="lhs",
        samples=3000,
        seed=2,
        chunk_size=1000,
        fix="all",
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["d"]: {"range": [0.0, 0.1]}},
    )
    res = run_sweep(sweep, workers=1)
    cols = res.columns([RATES["c"], "value.m_level", "met.m_level", "all_met"])
    rc = cols[RATES["c"]]
    threshold = 0.2 / 3
    assert np.array_equal(cols["met.m_level"], rc >= threshold - 1e-12)
    t = {s.id: s for s in res.summary.targets}["m_level"]
    # a Latin hypercube puts exactly one sample in each 1/3000 stratum of rc
    assert t.probability == pytest.approx(1 - threshold / 0.1, abs=1 / 3000)
    assert t.probability == float(np.mean(cols["met.m_level"]))
    # the percentiles come from a sketch: within its stated relative error of the exact ones
    exact = np.percentile(cols["value.m_level"], PERCENTILES)
    got = [t.percentiles[f"p{p}"] for p in PERCENTILES]
    np.testing.assert_allclose(got, exact, rtol=SKETCH_ALPHA, atol=0)
    assert res.summary.all_met == float(np.mean(cols["all_met"]))
    # what must hold: every meeting sample has rc above the threshold, every missing one below
    assert t.probability < MISSED_OFTEN
    conds = [c for c in res.summary.conditions if c.target == "m_level"]
    assert conds[0].factor == RATES["c"]  # ranked first
    assert conds[0].separation == pytest.approx(1.0)
    assert conds[0].met[0] >= threshold and conds[0].missed[2] < threshold
    assert conds[1].factor == RATES["d"] and conds[1].separation < 0.1
