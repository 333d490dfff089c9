"""A tier whose firms all leave each year (promotion + exit = 100%, allowed), and the
shocked rates' base-year column, each written out by hand."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.core.growth import shocked_rates


def test_a_tier_may_lose_all_its_firms_each_year() -> None:
    """sme: 1000 firms, 50% promoted and 50% leaving (100% in all, the limit, accepted);
    entries 100 a year. sme = 1000, then 0 + 100 = 100 every year; ht (top) gains the
    promoted half of sme a year earlier: 0, 500, 550, 600."""
    tiers: dict[str, Any] = {
        "sme": {"name": "sme", "base": 1000, "promotion": 0.5, "exit_rate": 0.5},
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
    r = cs.run(cs.Scenario.model_validate(d), samples=1, seed=1, required=False)
    assert_allclose(r.series["sme"][0], [1000, 100, 100, 100], rtol=1e-15)
    assert_allclose(r.series["ht"][0], [0, 500, 550, 600], rtol=1e-15)


def test_shocked_rates_keep_the_base_year_column() -> None:
    """Column 0 (the base year) is the rate as given; later columns (1 + r) e^d - 1."""
    rates = np.array([[0.1, 0.2, 0.3], [0.0, -0.1, 0.05]])
    dev = np.array([[0.0, np.log(2.0)], [np.log(0.5), 0.0]])
    want = np.array([[0.1, 0.2, 1.6], [0.0, -0.55, 0.05]])
    assert_allclose(shocked_rates(rates, dev), want, rtol=1e-15, atol=1e-16)
    out = np.full((2, 3), np.nan)
    got = shocked_rates(rates, dev, out=out)
    assert got is out
    assert_array_equal(out[:, 0], [0.1, 0.0])
    assert_allclose(out, want, rtol=1e-15, atol=1e-16)


def test_a_drawn_exit_rate_that_overflows_in_some_samples_is_refused() -> None:
    """promotion 0.5 and exit uniform on [0.3, 0.7]: about half the samples lose more than
    all their firms; one such sample is enough to refuse the scenario, naming the field."""
    tiers: dict[str, Any] = {
        "sme": {
            "name": "sme",
            "base": 1000,
            "promotion": 0.5,
            "exit_rate": {"dist": "uniform", "low": 0.3, "high": 0.7},
        },
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
        cs.run(cs.Scenario.model_validate(d), samples=40, seed=1, required=False)
    assert "pipelines.firms.tiers.sme.exit_rate: promotion + exit_rate is 1." in str(info.value)
