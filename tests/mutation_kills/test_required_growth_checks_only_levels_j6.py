"""A candidate rate stops the run only when a *level* the lever moves (a compounding or
stock series) turns negative or not finite; a ratio the lever moves does not count.

gdp 1 in 2023, no growth; cluster a's own R&D 1e306 a year, so rd_intensity =
rd_total / gdp = 1e306 in the scenario itself (finite). gdp <= 0.001 in 2024 needs
1 + r = 0.001, r = -0.999 (closed form, a few ulps lower to clear the goal by a rounding
margin). At that rate rd_intensity = 1e306 / 0.001 = 1e309, beyond the largest float
(1.8e308): inf. gdp itself, the level, stays positive, so the closed form is kept (not
"none in range", which every grid rate >= -50% would give: gdp >= 0.5 > 0.001).
"""

from __future__ import annotations

import math

import pytest

import clustersim as cs


def test_an_overflowing_ratio_does_not_stop_the_run() -> None:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2024,
        "region": {"gdp": {"base": 1, "growth": 0.0}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100, "growth": 0.05}, "rd": {"base": 1e306}}
        },
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2024, "at_most": 1e-3}
        },
    }
    assert math.isinf(1e306 / 1e-3)
    rg = cs.run(cs.Scenario.model_validate(d)).target("t").required_growth
    assert rg is not None
    assert rg["method"] == "closed_form"
    assert rg["rate"] == pytest.approx(-0.999, abs=1e-12)
    assert rg["rate"] < -0.999  # on the meeting side of the goal
