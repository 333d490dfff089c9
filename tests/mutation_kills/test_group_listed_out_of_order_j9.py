"""count_over a group whose clusters are listed out of the scenario's order counts the
group's own clusters, not the run of consecutive clusters between its first and last.

Kills core/targets.py:_columns:a274451341 (``np.all(np.diff(index) == 1)`` ->
``np.any(...)``): group g lists a, b, e, d, cluster indices [0, 1, 4, 3]. Its first and
last are 3 apart, 4 - 1 as for a run, and one step (0 -> 1) is 1, so with ``any`` the
columns 0..3 (a, b, c, d) would be read as the group: c (300) counted instead of e (50).
"""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.engine import run_targets


def _cluster(output: float) -> dict[str, Any]:
    return {"name": "X", "output": {"base": output, "growth": 0.0}}


def _scenario(group: list[str]) -> cs.Scenario:
    """Outputs (no growth): a 10, b 20, c 300, d 40, e 50; at least 1 cluster of g at or
    above 100 in 2025."""
    return cs.Scenario.model_validate(
        {
            "id": "e",
            "name": "e",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 1000, "growth": 0.0}},
            "clusters": {
                "a": _cluster(10),
                "b": _cluster(20),
                "c": _cluster(300),
                "d": _cluster(40),
                "e": _cluster(50),
            },
            "groups": {"g": {"name": "G", "clusters": group}},
            "targets": {
                "t": {
                    "kind": "count_over",
                    "label": "t",
                    "group": "g",
                    "year": 2025,
                    "threshold": 100,
                    "at_least": 1,
                }
            },
        }
    )


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_a_group_listed_out_of_order_counts_only_its_clusters(engine: str) -> None:
    """a 10, b 20, e 50, d 40: none at 100 or more, so 0 of at least 1 (margin -1)."""
    out = run_targets(_scenario(["a", "b", "e", "d"]), samples=1, engine=engine)["t"]
    assert out.value.tolist() == [0.0]
    assert out.margin.tolist() == [-1.0]
    assert out.met.tolist() == [False]


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_the_same_clusters_listed_in_order_count_the_same(engine: str) -> None:
    """Controls: a, b, d, e in the scenario's order (b -> d skips c, not a run): 0 again;
    a, b, c, d (a run, read as a slice of columns): c's 300 counts, 1."""
    assert run_targets(_scenario(["a", "b", "d", "e"]), samples=1, engine=engine)[
        "t"
    ].value.tolist() == [0.0]
    assert run_targets(_scenario(["a", "b", "c", "d"]), samples=1, engine=engine)[
        "t"
    ].value.tolist() == [1.0]
