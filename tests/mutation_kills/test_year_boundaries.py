"""Year boundaries a scenario must respect, each refused at the boundary with its message."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs


def _doc(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
    }
    d.update(over)
    return d


def test_history_in_the_base_year_is_refused() -> None:
    d = _doc(region={"gdp": {"base": 100}, "history": {"gdp": {2023: 90}}})
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(d))
    assert "region.history.gdp.2023: history must be before the base year 2023" in str(info.value)


def test_a_window_starting_in_its_target_year_is_refused() -> None:
    t = {
        "kind": "change_since",
        "label": "t",
        "metric": "gdp",
        "from_year": 2025,
        "year": 2025,
        "at_least": 0,
    }
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(_doc(targets={"t": t})))
    assert "the window must start before the target year 2025, got 2025" in str(info.value)
