"""A CAGR from a history year, with the required growth applied from a later year
(``required_from``): the start value is read from history, the lever's level in its
start year from the scenario's own path.

gdp: 800 in 2020 (history), 1000 in 2023 (base), growing 5%: 1050 in 2024. A CAGR of 6%
2020-2026 needs gdp(2026) = 800 * 1.06^6, reached from 1050 in 2024 in two years:
r = (800 * 1.06^6 / 1050)^(1/2) - 1 = 0.03960...
"""

from __future__ import annotations

import math

import pytest

import clustersim as cs


def test_cagr_from_history_with_a_late_required_from() -> None:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2028,
        "region": {"gdp": {"base": 1000, "growth": 0.05}, "history": {"gdp": {2020: 800}}},
        "clusters": {"a": {"name": "A", "output": {"base": 10, "growth": 0.05}}},
        "targets": {
            "t": {
                "kind": "cagr",
                "label": "t",
                "metric": "gdp",
                "from_year": 2020,
                "year": 2026,
                "at_least": 0.06,
                "required_from": 2024,
            }
        },
    }
    rg = cs.run(cs.Scenario.model_validate(d)).target("t").required_growth
    assert rg is not None
    want = math.sqrt(800 * 1.06**6 / 1050) - 1
    assert rg["method"] == "closed_form" and rg["from_year"] == 2024
    assert rg["rate"] == pytest.approx(want, abs=1e-12)
    assert want == pytest.approx(0.0396040, abs=1e-6)
