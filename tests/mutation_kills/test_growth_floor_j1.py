"""A growth rate of exactly -100% is refused however it arises, and a growth kind's own
message names the exact field it is about (compile._Builder.growth_parts)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.errors import ScenarioError

RATE = "clusters.a.output.growth.rate"


def _scenario(growth: Any) -> cs.Scenario:
    return cs.Scenario.model_validate(
        {
            "id": "g",
            "name": "g",
            "base_year": 2023,
            "end_year": 2026,
            "region": {"gdp": {"base": 100}},
            "clusters": {"a": {"name": "A", "output": {"base": 10.0, "growth": growth}}},
        }
    )


def test_a_target_of_zero_is_a_rate_of_exactly_minus_100_percent_and_refused() -> None:
    """to_target 0 in 2026 from 10 in 2023: r = (0 / 10)^(1/3) - 1 = -1 exactly, every year."""
    sc = _scenario({"kind": "to_target", "value": 0, "year": 2026})
    with pytest.raises(ScenarioError) as info:
        compile_scenario(sc)
    assert str(info.value) == "clusters.a.output.growth: growth must stay above -100%"


def test_a_drawn_constant_rate_of_exactly_minus_100_percent_is_refused() -> None:
    """Values a caller drew (as a sweep does) are used as given: one sample's rate of -1.0,
    constant over the years, is refused; -0.999 (a 99.9% fall) is not."""
    sc = _scenario({"rate": {"dist": "uniform", "low": -0.5, "high": 0.5}})
    u = {RATE: np.full(3, 0.5)}
    with pytest.raises(ScenarioError) as info:
        compile_scenario(
            sc, samples=3, seed=1, uniforms=u, drawn={RATE: np.array([0.05, -1.0, 0.05])}
        )
    assert str(info.value) == "clusters.a.output.growth: growth must stay above -100%"
    ok = compile_scenario(
        sc, samples=3, seed=1, uniforms=u, drawn={RATE: np.array([0.05, -0.999, 0.05])}
    )
    assert ok.model.samples == 3


def test_a_growth_kinds_message_about_one_field_is_located_at_that_field() -> None:
    """to_target's year must be after the base year: the kind says so about
    ``...growth.year``, and the message is that path once, not prefixed by ``...growth``."""
    sc = _scenario({"kind": "to_target", "value": 200, "year": 2023})
    with pytest.raises(ScenarioError) as info:
        compile_scenario(sc)
    assert str(info.value) == "clusters.a.output.growth.year: 2023 must be after the base year 2023"


def test_a_yearly_rate_of_exactly_minus_100_percent_in_a_projected_year_is_refused() -> None:
    """Linear growth from a drawn start to 5% (2024 to 2026): the 2024 rate is the start
    itself, so one sample's start of -1.0 is a -100% year and refused; -0.999 is not."""
    start = "clusters.a.output.growth.start"
    sc = _scenario(
        {"kind": "linear", "start": {"dist": "uniform", "low": -0.5, "high": 0.5}, "end": 0.05}
    )
    u = {start: np.full(3, 0.5)}
    with pytest.raises(ScenarioError) as info:
        compile_scenario(
            sc, samples=3, seed=1, uniforms=u, drawn={start: np.array([0.05, -1.0, 0.05])}
        )
    assert str(info.value) == "clusters.a.output.growth: growth must stay above -100%"
    ok = compile_scenario(
        sc, samples=3, seed=1, uniforms=u, drawn={start: np.array([0.05, -0.999, 0.05])}
    )
    assert ok.model.samples == 3
