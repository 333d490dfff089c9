"""to_target refuses a base of 0 in any sample, not only when every sample is 0."""

from __future__ import annotations

import numpy as np
import pytest

import clustersim as cs
from clustersim.compile import ScenarioCompiler

PATH = "clusters.a.output.base"


def test_a_drawn_base_of_zero_in_one_sample_is_refused() -> None:
    """Bases 0 and 100 drawn by the caller (a sweep's rows): the first sample cannot grow to
    400, so the compile is refused, naming the smallest base, 0.0."""
    growth = {"kind": "to_target", "value": 400, "year": 2025}
    base = {"dist": "uniform", "low": 0, "high": 200}
    d = {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": base, "growth": growth}}},
    }
    compiler = ScenarioCompiler(cs.Scenario.model_validate(d), seed=1, draw=True)
    with pytest.raises(cs.ScenarioError) as info:
        compiler.compile(
            samples=2,
            uniforms={PATH: np.array([0.0, 0.5])},
            drawn={PATH: np.array([0.0, 100.0])},
        )
    assert str(info.value) == (
        "clusters.a.output.growth: to_target needs a positive base to grow from, the base is "
        "0.0; set the base, or use a path or linear growth"
    )
