"""A cluster's history value drawn per sample beside fixed history of other clusters: the
history year holds one row per sample (compile._history), as many samples as clusters."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


def _target(metric: str) -> dict[str, Any]:
    return {
        "kind": "change_since",
        "label": metric,
        "metric": metric,
        "from_year": 2020,
        "year": 2025,
        "at_least": 0,
    }


def test_drawn_history_of_one_cluster_is_summed_with_the_fixed_history_of_others() -> None:
    """3 clusters, 3 samples. a's 2020 output is uniform on [50, 150], b's is 40, c's 30;
    with no growth the 2025 outputs are 100, 50 and 20. sum(output) changes by
    170 - (a_2020 + 70) = 100 - a_2020 per sample, and a_2020 is read back from the
    plain target on a (100 - a_2020)."""
    doc: dict[str, Any] = {
        "id": "h",
        "name": "h",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {
                "name": "A",
                "output": {"base": 100},
                "history": {"output": {2020: {"dist": "uniform", "low": 50, "high": 150}}},
            },
            "b": {"name": "B", "output": {"base": 50}, "history": {"output": {2020: 40}}},
            "c": {"name": "C", "output": {"base": 20}, "history": {"output": {2020: 30}}},
        },
        "targets": {"all": _target("sum(output)"), "a": _target("output[a]")},
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=3, seed=4, engine="numpy")
    a_2020 = 100.0 - np.asarray(out["a"].value, dtype=float)
    assert a_2020.shape == (3,) and np.ptp(a_2020) > 0  # drawn per sample
    assert np.all((a_2020 >= 50) & (a_2020 <= 150))
    assert_allclose(out["all"].value, 170.0 - (a_2020 + 70.0), rtol=1e-13)
