"""A series or metric computed once over the years the window targets read (the window
hint, starting after the base year) is sliced for a later, shorter read at the right
offset: the years of the read, not years shifted by the hint's start."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


def _reached_by(metric: str, year: int) -> dict[str, Any]:
    return {
        "kind": "reached_by",
        "label": f"w{year}",
        "metric": metric,
        "from_year": 2024,
        "year": year,
        "at_least": 0,
    }


@pytest.mark.parametrize("engine", ["numpy", "projection"])
@pytest.mark.parametrize("metric", ["cluster_output - output[b]", "m"])
def test_a_shorter_read_after_the_hinted_one(engine: str, metric: str) -> None:
    """Output a = 100 growing 10%: 100, 110, 121, 133.1, 146.41 in 2023-2027. Output b is
    drawn (so cluster_output varies by sample and is not computed once for all samples, and
    not over every year), and cluster_output - output[b] is a's output again.

    The hint is 2024-2026 (years 1:4). The first window reads all of it and keeps it; the
    second (2024-2025, years 1:3) and the level in 2025 (year 2:3) are slices of it at
    offsets 0:2 and 1:2. reached_by takes the best year: 133.1 and 121; the level is 121.
    ``metric`` is read inline (cluster_output, a per-year op) or as a metric of its own."""
    doc = {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2027,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100, "growth": 0.1}},
            "b": {"name": "B", "output": {"base": {"dist": "uniform", "low": 40, "high": 60}}},
        },
        "metrics": {"m": "cluster_output - output[b]"},
        "targets": {
            "w2026": _reached_by(metric, 2026),  # reads years 1:4, the whole hint
            "w2025": _reached_by(metric, 2025),  # then 1:3
            "l2025": {"kind": "level", "label": "l", "metric": metric, "year": 2025, "at_least": 0},
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=3, seed=1, engine=engine)
    assert_allclose(out["w2026"].value, [133.1] * 3, rtol=1e-12)
    assert_allclose(out["w2025"].value, [121.0] * 3, rtol=1e-12)
    assert_allclose(out["l2025"].value, [121.0] * 3, rtol=1e-12)
