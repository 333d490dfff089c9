"""A growth kind's own refusal without a ``field: message`` form (a logistic capacity of
0: "<path>.capacity must be > 0") is placed at the growth block, with the kind's message
whole after it."""

from __future__ import annotations

import pytest

import clustersim as cs


def test_a_logistic_capacity_of_zero_is_refused_at_the_growth() -> None:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.05}},
        "clusters": {
            "a": {
                "name": "A",
                "output": {"base": 100, "growth": {"kind": "logistic", "capacity": 0, "rate": 0.1}},
            }
        },
    }
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(d), required=False)
    assert str(info.value) == (
        "clusters.a.output.growth: clusters.a.output.growth.capacity must be > 0"
    )
