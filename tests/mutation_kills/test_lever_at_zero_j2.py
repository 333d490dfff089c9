"""A lever whose level is 0 in its required_from year has no closed form (the rate that
takes 0 to a goal does not exist): the search runs and, as 0 stays 0 at any rate,
finds none in range (no division by zero).

gdp 1e-320 (a subnormal float) in 2023, -99.9999% in 2024: 1e-320 * 1e-6 = 1e-326,
below half the smallest subnormal (4.9e-324 / 2), so exactly 0.0 from 2024 on.
"""

from __future__ import annotations

import clustersim as cs


def test_a_lever_at_zero_in_its_start_year_is_none_in_range() -> None:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2026,
        "region": {
            "gdp": {
                "base": 1e-320,
                "growth": {"kind": "path", "rates": {2024: -0.999999, 2025: 0.05, 2026: 0.05}},
            }
        },
        "clusters": {"a": {"name": "A", "output": {"base": 100, "growth": 0.05}}},
        "targets": {
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "gdp",
                "year": 2026,
                "at_least": 1,
                "required_from": 2024,
            }
        },
    }
    res = cs.run(cs.Scenario.model_validate(d))
    assert res.series["gdp"][0, 1] == 0.0
    rg = res.target("t").required_growth
    assert rg is not None
    assert rg["method"] == "none_in_range" and rg["rate"] is None and rg["from_year"] == 2024
