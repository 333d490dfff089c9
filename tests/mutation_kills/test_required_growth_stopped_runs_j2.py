"""Required growth when a candidate rate would stop the run: a level the lever moves turns
negative (cluster a's output grows at 3 x gdp's growth, so a gdp rate below -1/3 takes
it below zero within a year). Such rates are not met, and no bracket starts or ends at one.

Two years, 2023 -> 2025, gdp 100.
- ``gdp <= 20``: the closed form is (20/100)^(1/2) - 1 = -0.5528 (elasticity 1: a's
  output stays positive, the rate is kept); with elasticity 3, a's growth 3 x -0.5528
  = -1.66 turns the output negative, and every lower grid rate too, so none in range.
- ``gdp * 1 <= 81`` (an expression: no closed form, the grid search): the grid's -50%
  stops the run, -30%, -20% meet, -10% is the root ((81/100)^(1/2) - 1 = -0.1), above it
  not met. The bracket is the finite change at -10%, not the jump from the stopped -50%.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import clustersim as cs


def _required(metric: str, at_most: float, elasticity: float) -> dict[str, Any]:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.05}},
        "clusters": {
            "a": {
                "name": "A",
                "output": {
                    "base": 100,
                    "growth": {"kind": "elasticity", "to": "gdp", "elasticity": elasticity},
                },
            }
        },
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": metric, "year": 2025, "at_most": at_most}
        },
    }
    rg = cs.run(cs.Scenario.model_validate(d)).target("t").required_growth
    assert rg is not None
    return rg


def test_a_closed_form_rate_that_turns_a_level_negative_is_not_kept() -> None:
    ok = _required("gdp", 20, elasticity=1)
    assert ok["method"] == "closed_form"
    assert ok["rate"] == pytest.approx(math.sqrt(0.2) - 1, abs=1e-12)
    stopped = _required("gdp", 20, elasticity=3)
    assert stopped["method"] == "none_in_range"
    assert stopped["rate"] is None


def test_the_search_brackets_the_finite_change_not_the_stopped_rate() -> None:
    rg = _required("gdp * 1", 81, elasticity=3)
    assert rg["method"] == "root_finding"
    assert rg["rate"] == pytest.approx(-0.1, abs=1e-12)
    assert rg["rate"] <= -0.1  # the meeting side of an at_most goal
