"""The Gaussian copula on given uniforms: a group only some of whose paths are given is left
alone, and a correlated uniform is floored at 2^-60 (so no quantile is -inf)."""

from __future__ import annotations

import math

import numpy as np

from clustersim.compile import CorrelationGroup, correlate_uniforms

#: rho 0.5 between x and y: L = [[1, 0], [0.5, sqrt(0.75)]]
GROUP = CorrelationGroup(("x", "y"), np.array([[1.0, 0.0], [0.5, math.sqrt(0.75)]]))


def test_a_group_with_a_path_missing_is_not_correlated() -> None:
    """Only x is given: the group x ~ y is skipped, nothing is returned (no KeyError)."""
    assert correlate_uniforms([GROUP], {"x": np.array([0.3])}) == {}


def test_a_correlated_uniform_far_in_the_tail_is_floored_at_two_to_the_minus_60() -> None:
    """u = 1e-18 for both: z = ndtri(1e-18) ~ -8.76, so y's score is
    0.5 z + sqrt(0.75) z ~ 1.366 * -8.76 ~ -11.96, whose CDF (~ 3e-33) is below
    2^-60 ~ 8.67e-19: y's uniform is 2^-60. x's score is z itself: its uniform is 1e-18 again
    (above the floor)."""
    out = correlate_uniforms([GROUP], {"x": np.array([1e-18]), "y": np.array([1e-18])})
    assert out["y"][0] == 2.0**-60
    assert math.isclose(float(out["x"][0]), 1e-18, rel_tol=1e-9)
