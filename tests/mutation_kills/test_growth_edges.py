"""Edges of the growth kinds' checks, each with the exact message a user reads."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs


def _doc(output: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": output}},
    }


def test_to_target_from_a_base_of_zero_is_refused() -> None:
    """A rate multiplying 0 never reaches 200: the base must be > 0, and 0 itself is named."""
    growth = {"kind": "to_target", "value": 200, "year": 2026}
    sc = cs.Scenario.model_validate(_doc({"base": 0, "growth": growth}))
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(sc, required=False)
    assert (
        "clusters.a.output.growth: to_target needs a positive base to grow from, the base is 0.0"
        in str(info.value)
    )
