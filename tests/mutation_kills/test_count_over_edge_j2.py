"""count_over counts a value at the threshold less its float tolerance (MET_RTOL = 1e-9
relative): the edge itself counts, listed with ``over`` or counted in the group alike.

Threshold 100: the edge is 100 - 1e-9 * 100 = 99.9999999. Cluster a's output is exactly
that (no growth: the base value in every year), b's is 50: one cluster counts.
"""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.core.targets import MET_RTOL

EDGE = 100.0 - MET_RTOL * 100.0


def _value(**where: Any) -> float:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 1000, "growth": 0.05}},
        "clusters": {
            "a": {"name": "A", "output": {"base": EDGE, "growth": 0.0}},
            "b": {"name": "B", "output": {"base": 50, "growth": 0.0}},
        },
        "targets": {
            "t": {
                "kind": "count_over",
                "label": "t",
                "year": 2025,
                "threshold": 100,
                "at_least": 1,
                **where,
            }
        },
    }
    tr = cs.run(cs.Scenario.model_validate(d), required=False).target("t")
    assert bool(tr.met[0])
    return float(tr.value[0])


@pytest.mark.parametrize("where", [{"over": ["a", "b"]}, {}])
def test_the_tolerance_edge_counts(where: dict[str, Any]) -> None:
    assert MET_RTOL == 1e-9 and EDGE == 99.9999999
    assert _value(**where) == 1.0
