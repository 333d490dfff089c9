"""A tier's promotion share is a share of its firms: above 1 it is refused at the field
itself, before the check of promotion + exit_rate (compile._Builder._pipeline)."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs


def test_a_promotion_share_above_one_is_refused_at_its_field() -> None:
    """promotion 1.5 with exit_rate 0: the sum check would name exit_rate; the range of
    promotion, [0, 1], is what is broken, and the message names it."""
    tiers: dict[str, Any] = {
        "sme": {"name": "sme", "base": 1000, "promotion": 1.5, "exit_rate": 0.0},
        "ht": {"name": "ht", "base": 0},
    }
    d = {
        "id": "t",
        "name": "t",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 100.0}},
        "pipelines": {"firms": {"name": "firms", "entries": {"base": 100.0}, "tiers": tiers}},
    }
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(d), required=False)
    assert str(info.value) == (
        "pipelines.firms.tiers.sme.promotion: 1.5 is not allowed: the value must be between 0 and 1"
    )
