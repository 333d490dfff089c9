"""A count over a group of one cluster reads that cluster's column only."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

import clustersim as cs
from clustersim.core.targets import _columns
from clustersim.engine import run_targets


def test_columns_of_one_and_of_a_run_and_of_scattered_clusters() -> None:
    vals = np.arange(12.0).reshape(3, 4)
    assert_array_equal(_columns(vals, np.array([2])), vals[:, [2]])
    assert_array_equal(_columns(vals, np.array([1, 2, 3])), vals[:, 1:4])
    assert_array_equal(_columns(vals, np.array([0, 3])), vals[:, [0, 3]])


def test_count_over_a_group_of_one_cluster() -> None:
    """a 100, b 300: in group g = [b] one cluster is at 200 or more; in all, one too; at
    50 or more, g has 1 and all have 2."""
    doc = {
        "id": "o",
        "name": "o",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}},
            "b": {"name": "B", "output": {"base": 300}},
        },
        "groups": {"g": {"name": "G", "clusters": ["b"]}},
        "targets": {
            f"{scope}{bar}": {
                "kind": "count_over",
                "label": "c",
                "year": 2025,
                "threshold": bar,
                "at_least": 1,
                **({"group": "g"} if scope == "g" else {}),
            }
            for scope in ("g", "all")
            for bar in (50, 200)
        },
    }
    res = cs.run(cs.Scenario.model_validate(doc), required=False)
    got = {k: res.target(k).median_value for k in ("g50", "g200", "all50", "all200")}
    assert got == {"g50": 1.0, "g200": 1.0, "all50": 2.0, "all200": 1.0}


def test_a_cluster_exactly_at_the_threshold_counts() -> None:
    """a 100 and b 300, threshold 100 ("at least 100"): both count, in every engine."""
    doc = {
        "id": "o",
        "name": "o",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}},
            "b": {"name": "B", "output": {"base": 300}},
        },
        "targets": {
            "c": {"kind": "count_over", "label": "c", "year": 2025, "threshold": 100, "at_least": 2}
        },
    }
    sc = cs.Scenario.model_validate(doc)
    for engine in ("numpy", "projection"):
        out = run_targets(sc, samples=2, seed=1, engine=engine)["c"]
        assert_array_equal(out.value, [2.0, 2.0], err_msg=engine)
