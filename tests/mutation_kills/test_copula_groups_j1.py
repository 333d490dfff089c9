"""The Gaussian copula's groups and its clipped uniforms (compile.correlation_groups and
compile.correlate_uniforms), each number or message written out by hand."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.compile import CorrelationGroup, correlate_uniforms, correlation_groups
from clustersim.errors import ScenarioError

P = "clusters.{}.output.growth.rate"
A, B, C, D = (P.format(c) for c in "abcd")


def _scenario(correlations: list[dict[str, Any]]) -> cs.Scenario:
    rate = {"dist": "normal", "mean": 0.05, "sd": 0.01}
    return cs.Scenario.model_validate(
        {
            "id": "c",
            "name": "c",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100.0, "growth": 0.05}},
            "clusters": {
                c: {"name": c, "output": {"base": 10.0, "growth": {"rate": rate}}} for c in "abcd"
            },
            "shocks": {"correlations": correlations},
        }
    )


def test_two_disjoint_pairs_are_two_groups_each_with_its_own_factor() -> None:
    """a ~ b (rho 0.5) and c ~ d (rho -0.3) share no path: two groups of two, in the order the
    scenario names them, with the Cholesky factor [[1, 0], [rho, sqrt(1 - rho^2)]] each
    (sqrt(0.75) and sqrt(0.91))."""
    groups = correlation_groups(
        _scenario([{"between": [A, B], "rho": 0.5}, {"between": [C, D], "rho": -0.3}])
    )
    assert [g.paths for g in groups] == [(A, B), (C, D)]
    np.testing.assert_allclose(groups[0].cholesky, [[1.0, 0.0], [0.5, math.sqrt(0.75)]])
    np.testing.assert_allclose(groups[1].cholesky, [[1.0, 0.0], [-0.3, math.sqrt(0.91)]])


def test_a_pair_given_twice_is_refused_without_a_where_function() -> None:
    """Called without ``where`` (as a sweep does), the message is the bare dotted path."""
    sc = _scenario([{"between": [A, B], "rho": 0.5}, {"between": [B, A], "rho": 0.2}])
    with pytest.raises(ScenarioError) as info:
        correlation_groups(sc)
    assert str(info.value) == (
        f"shocks.correlations.1.between: the pair {B}, {A} is already correlated by "
        "shocks.correlations.0"
    )


def test_a_matrix_that_is_not_positive_definite_lists_each_pair_once() -> None:
    """rho_ab = rho_bc = 0.9, rho_ac = -0.9: det = 1 - 3(0.81) + 2(0.9)(0.9)(-0.9) = -2.888 < 0.
    The message points at the first correlation (#0) and lists the three pairs once each, by
    their index."""
    sc = _scenario(
        [
            {"between": [A, B], "rho": 0.9},
            {"between": [B, C], "rho": 0.9},
            {"between": [A, C], "rho": -0.9},
        ]
    )
    with pytest.raises(ScenarioError) as info:
        correlation_groups(sc)
    assert str(info.value) == (
        f"shocks.correlations.0: the correlations among {A}, {B}, {C} are not positive "
        f"definite (no joint normal has them): #0 {A} ~ {B}: rho 0.9; #1 {B} ~ {C}: rho 0.9; "
        f"#2 {A} ~ {C}: rho -0.9; weaken one of them"
    )


def _pair(rho: float) -> CorrelationGroup:
    chol = np.array([[1.0, 0.0], [rho, math.sqrt(1.0 - rho * rho)]])
    return CorrelationGroup(("a", "b"), chol)


def test_a_correlated_uniform_beyond_float_reach_is_clipped_below_one() -> None:
    """u_a = u_b = 1 - 2^-53 (the largest uniform below 1): z = ndtri(u) ~ 8.21 each, and
    b's score is 0.99 z + sqrt(1 - 0.99^2) z ~ 1.131 * 8.21 ~ 9.29, whose normal CDF
    1 - Phi(-9.29) ~ 1 - 8e-21 rounds to 1.0. A uniform of exactly 1 has an infinite
    normal quantile, so it is clipped to 1 - 2^-53."""
    u = np.full(3, 1.0 - 2.0**-53)
    out = correlate_uniforms([_pair(0.99)], {"a": u, "b": u})
    assert np.all(out["b"] == 1.0 - 2.0**-53)


def test_a_correlated_uniform_below_float_reach_is_clipped_to_two_to_the_minus_60() -> None:
    """u_a = u_b = 2^-53: z ~ -8.21 each, b's score ~ 1.131 * -8.21 ~ -9.29, whose normal CDF
    Phi(-9.29) ~ phi(9.29) / 9.29 ~ 8e-21 is below 2^-60 ~ 8.7e-19: clipped to 2^-60 exactly."""
    u = np.full(3, 2.0**-53)
    out = correlate_uniforms([_pair(0.99)], {"a": u, "b": u})
    assert np.all(out["b"] == 2.0**-60)


def test_a_group_with_a_path_missing_from_the_uniforms_is_left_out() -> None:
    """Only groups all of whose paths have uniforms are correlated."""
    assert correlate_uniforms([_pair(0.5)], {"a": np.full(2, 0.5)}) == {}
