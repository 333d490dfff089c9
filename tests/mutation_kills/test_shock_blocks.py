"""Shocked growth drawn for more samples than one block (4096) on a region series: every sample's path is the
one it has in a run of fewer samples (its draws depend on its index only)."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core.project import project


def test_samples_beyond_the_first_block_continue_the_stream() -> None:
    d = {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 10.0, "growth": {"rate": 0.05, "shocks": {"sd": 0.1}}}},
    }
    sc = cs.Scenario.model_validate(d)
    big = np.asarray(project(compile_scenario(sc, samples=4100, seed=3).model)["gdp"])
    small = np.asarray(project(compile_scenario(sc, samples=3, seed=3).model)["gdp"])
    assert big.shape == (4100, 4)
    assert_array_equal(big[:3], small)
    assert np.all(big[:, 0] == 10.0) and np.ptp(big[4096:, -1]) > 0  # shocked after 4096 too
