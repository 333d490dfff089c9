"""Cluster history of one series in one year, drawn (a distribution, one value a sample)
for some clusters and fixed (one value) for others, stacks into one ``(S, C)`` array
whatever the order of the clusters and whether there are more samples than clusters.

Kills compile.py:_history:eb12f4762d (``max(arr.shape[0], val.shape[0])`` ->
``max(arr.shape[1], ...)``): the rows of the stacked array would then be the number of
clusters, not of samples. With a drawn cluster first (3 samples, 2 clusters) the (3, 2)
array cannot be broadcast to (2, 2); with a fixed cluster first (2 samples, 3 clusters) the
array gets 3 rows and 2 drawn values do not fit a column.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import compile_scenario

DRAWN = {"dist": "uniform", "low": 80, "high": 90}


def _history(values: list[Any], uniforms: dict[str, Any]) -> Any:
    """Clusters c0, c1, ... with output history in 2020 given by ``values``."""
    clusters = {
        f"c{i}": {"name": f"C{i}", "output": {"base": 100}, "history": {"output": {2020: v}}}
        for i, v in enumerate(values)
    }
    doc = {
        "id": "h",
        "name": "h",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": clusters,
    }
    n = len(next(iter(uniforms.values())))
    comp = compile_scenario(cs.Scenario.model_validate(doc), samples=n, seed=1, uniforms=uniforms)
    return comp.model.history["output"][2020]


def test_a_drawn_cluster_before_a_fixed_one_with_more_samples_than_clusters() -> None:
    """c0 uniform(80, 90) at quantiles 0.1, 0.5, 0.9: 81, 85, 89; c1 fixed 45."""
    got = _history([DRAWN, 45], {"clusters.c0.history.output.2020": np.array([0.1, 0.5, 0.9])})
    assert got.shape == (3, 2)
    assert_allclose(got, [[81.0, 45.0], [85.0, 45.0], [89.0, 45.0]], rtol=1e-15)


def test_a_fixed_cluster_before_a_drawn_one_with_more_clusters_than_samples() -> None:
    """c0 fixed 45, c1 uniform(80, 90) at quantiles 0.2, 0.6: 82, 86; c2 fixed 30."""
    got = _history([45, DRAWN, 30], {"clusters.c1.history.output.2020": np.array([0.2, 0.6])})
    assert got.shape == (2, 3)
    assert_allclose(got, [[45.0, 82.0, 30.0], [45.0, 86.0, 30.0]], rtol=1e-15)
