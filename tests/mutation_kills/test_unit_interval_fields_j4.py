"""Numbers read as shares (a stock's exit rate, an input-output coefficient) must lie in
[0, 1]; a to_target value only needs to be >= 0, so a target below 1 is allowed."""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import clustersim as cs

from .test_io_edge import DOC as IO_DOC


def _stock_doc(exit_rate: float) -> dict[str, Any]:
    return {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "indicators": {
            "st": {
                "kind": "stock",
                "name": "st",
                "base": 10,
                "flow": {"base": 1},
                "exit_rate": exit_rate,
            }
        },
        "clusters": {"a": {"name": "A", "output": {"base": 1}}},
    }


def test_an_exit_rate_above_one_is_refused_with_its_bounds() -> None:
    """An exit rate of 1.5 would make the stock negative (10 * (1 - 1.5) + 1 = -4): refused,
    naming the allowed range [0, 1]."""
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(_stock_doc(1.5)))
    assert str(info.value) == (
        "indicators.st.exit_rate: 1.5 is not allowed: the value must be between 0 and 1"
    )


def test_an_exit_rate_of_one_half_runs() -> None:
    """s[t] = s[t-1] (1 - 0.5) + 1 from 10: 10, 6, 4."""
    res = cs.run(cs.Scenario.model_validate(_stock_doc(0.5)))
    np.testing.assert_allclose(res.series["st"][0], [10.0, 6.0, 4.0], rtol=0, atol=1e-12)


def test_an_io_coefficient_above_one_is_refused_with_its_bounds() -> None:
    """A coefficient of 1.5 is refused by its own range check, before any column sum."""
    d = copy.deepcopy(IO_DOC)
    d["io"]["coefficients"]["b"]["rest"] = 1.5
    with pytest.raises(cs.ScenarioError) as info:
        cs.run(cs.Scenario.model_validate(d))
    assert str(info.value) == (
        "io.coefficients.b.rest: 1.5 is not allowed: the value must be between 0 and 1"
    )


def test_to_target_toward_a_value_below_one() -> None:
    """From 1 to 0.25 in two years: the rate is sqrt(0.25) - 1 = -0.5, so 1, 0.5, 0.25."""
    growth = {"kind": "to_target", "value": 0.25, "year": 2025}
    d = {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 1, "growth": growth}}},
    }
    res = cs.run(cs.Scenario.model_validate(d), required=False)
    np.testing.assert_allclose(res.series["output"][0, 0], [1.0, 0.5, 0.25], rtol=1e-12)
