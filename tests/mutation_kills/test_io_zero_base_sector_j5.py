"""In an input-output system, a cluster with no base-year output has no final demand: its
output stays 0 (it is not given a unit of demand), and the other sectors are solved as
without it."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets

DOC: dict[str, Any] = {
    "id": "io",
    "name": "io",
    "base_year": 2023,
    "end_year": 2025,
    "region": {"gdp": {"base": 100.0}},
    "clusters": {
        "a": {"name": "a", "output": {"base": 100, "growth": 0.10}},
        "b": {"name": "b", "output": {"base": 0, "growth": 0.0}},
    },
    "io": {
        "illustrative": True,
        "rest": {"output": {"base": 500, "growth": 0.0}},
        "coefficients": {"a": {"a": 0.25, "rest": 0.1}, "rest": {"a": 0.5}},
    },
    "targets": {
        "a": {"kind": "level", "label": "a", "metric": "output[a]", "year": 2025, "at_least": 0},
        "b": {"kind": "level", "label": "b", "metric": "output[b]", "year": 2025, "at_least": 0},
    },
}


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_a_sector_without_base_output_stays_at_zero(engine: str) -> None:
    """b trades with no one and starts at 0: its final demand f_b = (I - A) d_b = 0, and
    0 / 0 growth counts as none, so x_b = 0 every year.

    a and the rest: d_a = 100, 110, 121; d_rest = 500. f0_a = 100 - 0.25 * 100 - 0.1 * 500
    = 25, f0_rest = 500 - 0.5 * 100 = 450. In 2025 f_a = 25 * 1.21 = 30.25, f_rest = 450;
    x_rest = 450 + 0.5 x_a and 0.75 x_a - 0.1 x_rest = 30.25 give 0.7 x_a = 75.25,
    x_a = 107.5."""
    out = run_targets(cs.Scenario.model_validate(DOC), samples=2, seed=1, engine=engine)
    assert_allclose(out["b"].value, [0.0, 0.0], atol=1e-12)
    assert_allclose(out["a"].value, [107.5, 107.5], rtol=1e-12)
