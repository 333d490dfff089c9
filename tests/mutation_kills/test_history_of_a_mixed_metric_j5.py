"""A derived metric mixing a cluster and a region series, read in a history year through
the metric's name, with the region's history drawn (one value per sample): each cluster's
value times its own sample's region value, summed by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_a_mixed_metric_by_name_in_a_history_year(engine: str) -> None:
    """3 samples, 2 clusters. m = output * gdp; sum(m) in 2020 is (80 + 40) * gdp_2020 of
    each sample, in 2025 (no growth) (100 + 50) * 100 = 15000. gdp_2020 is read back from
    the plain gdp target (100 - gdp_2020)."""
    doc: dict[str, Any] = {
        "id": "h",
        "name": "h",
        "base_year": 2023,
        "end_year": 2025,
        "region": {
            "gdp": {"base": 100},
            "history": {"gdp": {2020: {"dist": "uniform", "low": 50, "high": 150}}},
        },
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}, "history": {"output": {2020: 80}}},
            "b": {"name": "B", "output": {"base": 50}, "history": {"output": {2020: 40}}},
        },
        "metrics": {"m": "output * gdp"},
        "targets": {
            tid: {
                "kind": "change_since",
                "label": tid,
                "metric": metric,
                "from_year": 2020,
                "year": 2025,
                "at_least": 0,
            }
            for tid, metric in (("m", "sum(m)"), ("gdp", "gdp"))
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=3, seed=4, engine=engine)
    gdp_2020 = 100.0 - np.asarray(out["gdp"].value, dtype=float)
    assert np.ptp(gdp_2020) > 0 and np.all((gdp_2020 >= 50) & (gdp_2020 <= 150))
    assert_allclose(out["m"].value, 15000.0 - 120.0 * gdp_2020, rtol=1e-13)
