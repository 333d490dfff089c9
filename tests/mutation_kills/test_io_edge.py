"""An input-output column summing to exactly 1 (every unit of output used up as inputs) is
not productive: refused at the boundary, not only above it."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import clustersim as cs

DOC: dict[str, Any] = {
    "id": "io",
    "name": "io",
    "base_year": 2023,
    "end_year": 2025,
    "region": {"gdp": {"base": 100.0}},
    "clusters": {
        "a": {"name": "a", "output": {"base": 100, "growth": 0.10}, "va_ratio": {"base": 0.3}},
        "b": {"name": "b", "output": {"base": 200, "growth": 0.0}},
    },
    "io": {
        "illustrative": True,
        "rest": {"output": {"base": 500, "growth": 0.05}},
        "coefficients": {
            "a": {"a": 0.25, "b": 0.2, "rest": 0.05},
            "b": {"a": 0.25, "rest": 0.1},
            "rest": {"a": 0.5, "b": 0.1, "rest": 0.2},
        },
    },
}


def test_a_column_summing_to_exactly_one_is_refused() -> None:
    """Column a: 0.25 + 0.25 + 0.5 = 1 exactly (binary fractions, no rounding)."""
    with pytest.raises(cs.ScenarioError, match=r"io\.coefficients.*column a sum to 1\b"):
        cs.run(cs.Scenario.model_validate(copy.deepcopy(DOC)))
