"""A cluster series read in a history year given for some clusters only is refused with
the gap named, not read as NaN for the missing cluster."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.parametrize("engine", ["numpy", "projection"])
@pytest.mark.parametrize("metric", ["sum(output@2020)", "sum(output - output@2020)"])
def test_a_history_year_missing_one_cluster_is_named(engine: str, metric: str) -> None:
    """output in 2020 is 80 for a and not given for b: the values in 2020 are (80, NaN), one
    of two missing (not all), and the message names output[b]."""
    doc: dict[str, Any] = {
        "id": "h",
        "name": "h",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}, "history": {"output": {2020: 80}}},
            "b": {"name": "B", "output": {"base": 50}},
        },
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": metric, "year": 2025, "at_least": 0}
        },
    }
    with pytest.raises(
        cs.ScenarioError, match=r"the history in 2020 is incomplete: no value for output\[b\]$"
    ):
        run_targets(cs.Scenario.model_validate(doc), samples=2, seed=1, engine=engine)
