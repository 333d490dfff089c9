"""An exit rate is the share of a stock leaving each year: above 1 it is refused at its own
field, for a cluster's firms and for a pipeline tier (where promotion 0 + exit 1.5 would
otherwise be refused by the sum check, naming the sum rather than the field's range)."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs


def _refusal(d: dict[str, Any]) -> str:
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(d), required=False)
    return str(info.value)


def _base() -> dict[str, Any]:
    return {
        "id": "t",
        "name": "t",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 100.0}},
    }


def test_a_firms_exit_rate_above_one_is_refused() -> None:
    d = _base()
    d["clusters"] = {
        "a": {
            "name": "A",
            "output": {"base": 100, "growth": 0.05},
            "firms": {"base": 10, "entries": {"base": 1}, "exit_rate": 1.5},
        }
    }
    assert _refusal(d) == (
        "clusters.a.firms.exit_rate: 1.5 is not allowed: the value must be between 0 and 1"
    )


def test_a_tier_exit_rate_above_one_is_refused_at_its_field() -> None:
    d = _base()
    tiers: dict[str, Any] = {
        "sme": {"name": "sme", "base": 1000, "promotion": 0.0, "exit_rate": 1.5},
        "ht": {"name": "ht", "base": 0},
    }
    d["pipelines"] = {"firms": {"name": "firms", "entries": {"base": 100.0}, "tiers": tiers}}
    assert _refusal(d) == (
        "pipelines.firms.tiers.sme.exit_rate: 1.5 is not allowed: the value must be between 0 and 1"
    )
