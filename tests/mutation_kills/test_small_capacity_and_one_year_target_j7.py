"""Growth kinds at the low edge of what they accept: a logistic capacity below 1 (only a
capacity <= 0 is refused) and a to_target one year after the base (only a year at or
before the base is refused)."""

from __future__ import annotations

import math
from typing import Any

import pytest

import clustersim as cs


def _doc(output: dict[str, Any], end_year: int = 2025) -> dict[str, Any]:
    return {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": end_year,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": output}},
    }


def test_logistic_towards_a_capacity_of_one_half() -> None:
    """x0 = 0.25, K = 0.5, rate ln 2: x[t] = K / (1 + (K/x0 - 1) e^(-rt)) = 0.5 / (1 + 2^-t),
    so 0.25, 1/3, 0.4 in 2023..2025."""
    growth = {"kind": "logistic", "capacity": 0.5, "rate": math.log(2)}
    sc = cs.Scenario.model_validate(_doc({"base": 0.25, "growth": growth}))
    out = cs.run(sc, required=False).series["output"]
    assert [float(v) for v in out.reshape(-1)] == pytest.approx([0.25, 1 / 3, 0.4], rel=1e-12)


def test_to_target_one_year_after_the_base() -> None:
    """100 in 2023 to 150 in 2024: the implied rate is 50%, kept after the target year,
    so 100, 150, 225."""
    growth = {"kind": "to_target", "value": 150, "year": 2024}
    sc = cs.Scenario.model_validate(_doc({"base": 100, "growth": growth}))
    out = cs.run(sc, required=False).series["output"]
    assert [float(v) for v in out.reshape(-1)] == pytest.approx([100.0, 150.0, 225.0], rel=1e-12)
