"""A derived metric mixing a cluster and a region series, read in a history year whose
values are drawn (one per sample), checked against the sum written out by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


def _scenario() -> cs.Scenario:
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
        "targets": {
            "mixed": {
                "kind": "change_since",
                "label": "mixed",
                "metric": "sum(output * gdp)",
                "from_year": 2020,
                "year": 2025,
                "at_least": 0,
            },
            "mixed_left": {
                "kind": "change_since",
                "label": "mixed_left",
                "metric": "sum(gdp * output)",  # the region series on the left
                "from_year": 2020,
                "year": 2025,
                "at_least": 0,
            },
            "gdp": {
                "kind": "change_since",
                "label": "gdp",
                "metric": "gdp",
                "from_year": 2020,
                "year": 2025,
                "at_least": 0,
            },
        },
    }
    return cs.Scenario.model_validate(doc)


def test_cluster_times_drawn_region_history_is_summed_per_sample() -> None:
    """3 samples, 2 clusters: sum(output * gdp) in 2020 is (80 + 40) * gdp_2020 of each
    sample; in 2025 (no growth) (100 + 50) * 100 = 15000. gdp_2020 is read back from the
    plain gdp target (100 - gdp_2020), which involves no cluster arithmetic."""
    out = run_targets(_scenario(), samples=3, seed=4, engine="numpy")
    gdp_2020 = 100.0 - np.asarray(out["gdp"].value, dtype=float)
    assert gdp_2020.shape == (3,) and np.ptp(gdp_2020) > 0  # really drawn per sample
    assert np.all((gdp_2020 >= 50) & (gdp_2020 <= 150))
    assert_allclose(out["mixed"].value, 15000.0 - 120.0 * gdp_2020, rtol=1e-13)
    assert_allclose(out["mixed_left"].value, 15000.0 - 120.0 * gdp_2020, rtol=1e-13)
