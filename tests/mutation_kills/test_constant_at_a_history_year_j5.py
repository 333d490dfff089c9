"""A constant expression read in a year before the base year (``(2*3)@2020``) is that
constant: it needs no history."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_a_constant_in_a_history_year(engine: str) -> None:
    """gdp 100 (no growth) in 2025, minus (2 * 3) in 2020: 100 - 6 = 94."""
    doc: dict[str, Any] = {
        "id": "h",
        "name": "h",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
        "targets": {
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "gdp - (2*3)@2020",
                "year": 2025,
                "at_least": 0,
            }
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=2, seed=1, engine=engine)
    assert_allclose(out["t"].value, [94.0, 94.0], rtol=1e-15)
