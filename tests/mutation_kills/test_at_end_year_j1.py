"""``x@year`` may name the end year itself, not a year after it (compile._check_at_years)."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.engine import run_targets


def _scenario(expr: str) -> cs.Scenario:
    d: dict[str, Any] = {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.1}},
        "metrics": {"m": {"expr": expr}},
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": "m", "year": 2024, "at_least": 0}
        },
    }
    return cs.Scenario.model_validate(d)


def test_a_metric_may_read_the_end_year() -> None:
    """gdp grows 10% from 100: gdp@2025 - gdp@2024 = 121 - 110 = 11."""
    out = run_targets(_scenario("gdp@2025 - gdp@2024"), samples=1, seed=1, engine="numpy")
    assert float(out["t"].value[0]) == pytest.approx(11.0, rel=1e-12)


def test_a_metric_reading_a_year_after_the_end_is_refused() -> None:
    with pytest.raises(cs.ScenarioError) as info:
        run_targets(_scenario("gdp@2026"), samples=1, seed=1, engine="numpy")
    assert str(info.value) == "metrics.m: @2026 is after the end of the projection (end_year 2025)"
