"""count_over of a cluster metric made only of a value in a fixed year (``output@2023``),
in a scenario with as many projection years as clusters: the metric is the same in every
year, so counting it in the last year counts the 2023 values."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_array_equal

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.parametrize("samples", [1, 2])
@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_count_of_a_fixed_year_metric_with_two_years_and_two_clusters(
    engine: str, samples: int
) -> None:
    """Years 2023, 2024 (2) and clusters a, b (2). m = output@2023: a 100, b 50 in every
    year. In 2024, clusters with m >= 60: a only, 1; (outputs grow 50%, so reading 2024's
    outputs instead would count 2: 150 and 75)."""
    doc: dict[str, Any] = {
        "id": "c",
        "name": "c",
        "base_year": 2023,
        "end_year": 2024,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100, "growth": 0.5}},
            "b": {"name": "B", "output": {"base": 50, "growth": 0.5}},
        },
        "metrics": {"m": "output@2023"},
        "targets": {
            "t": {
                "kind": "count_over",
                "label": "t",
                "variable": "m",
                "year": 2024,
                "threshold": 60,
                "at_least": 1,
            }
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=samples, seed=1, engine=engine)
    assert_array_equal(out["t"].value, [1.0] * samples)
