"""A growth kind's own refusal is placed at the field it names (``field: message``, a
logistic capacity of 0), and one without that form (a plugin kind's plain ValueError) at
the growth block, with the kind's message whole after it: either way the path is said
once."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.kinds.growth.logistic import Logistic


def _scenario(growth: dict[str, Any]) -> cs.Scenario:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.05}},
        "clusters": {"a": {"name": "A", "output": {"base": 100, "growth": growth}}},
    }
    return cs.Scenario.model_validate(d)


def test_a_logistic_capacity_of_zero_is_refused_at_the_capacity() -> None:
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(_scenario({"kind": "logistic", "capacity": 0, "rate": 0.1}), required=False)
    assert str(info.value) == "clusters.a.output.growth.capacity: the capacity must be > 0"


def test_a_kind_message_without_a_field_is_placed_at_the_growth(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Every shipped kind names its field; a kind that does not (a plugin's plain
    ValueError) is placed at its growth block."""

    def refuse(self: Logistic, ctx: Any, x0: Any, path: str) -> Any:
        raise ValueError("no room to grow: the capacity is below the base")

    monkeypatch.setattr(Logistic, "compile", refuse)
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(_scenario({"kind": "logistic", "capacity": 50, "rate": 0.1}), required=False)
    assert str(info.value) == (
        "clusters.a.output.growth: no room to grow: the capacity is below the base"
    )
