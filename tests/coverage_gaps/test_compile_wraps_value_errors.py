"""A ValueError that building the ops raises outside any field's own check reaches the caller
as a ScenarioError with the same message (chained to it), not as a bare ValueError: here
the design's quantiles of two clusters' output bases, of 3 and 2 samples, whose drawn
bases cannot be stacked into one ``(S, C)`` array."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.compile import compile_scenario


def test_a_value_error_while_building_is_a_scenario_error() -> None:
    normal = {"dist": "normal", "mean": 10, "sd": 1}
    sc = cs.Scenario.model_validate(
        {
            "id": "w",
            "name": "w",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100}},
            "clusters": {c: {"name": c, "output": {"base": normal}} for c in "ab"},
        }
    )
    u = {
        "clusters.a.output.base": np.array([0.5, 0.5, 0.5]),
        "clusters.b.output.base": np.array([0.5, 0.5]),
    }
    with pytest.raises(cs.ScenarioError) as info:
        compile_scenario(sc, samples=2, seed=1, uniforms=u)
    cause = info.value.__cause__
    assert type(cause) is ValueError
    assert str(info.value) == str(cause)
    assert "(3,)" in str(cause) and "(2,)" in str(cause)  # the two samples' counts
    # with quantiles of 2 samples each the same scenario compiles: median 10 in both
    u["clusters.a.output.base"] = np.array([0.5, 0.5])
    op: Any = compile_scenario(sc, samples=2, seed=1, uniforms=u).model.op("output")
    x0 = np.asarray(op.x0)
    assert x0.shape == (2, 2) and np.all(x0 == 10.0)
