"""A required growth exactly at the lowest rate the scenario format accepts,
-100% + 1e-9 (RATE_LO), is still the closed form's answer: only a rate below it is none."""

from __future__ import annotations

import clustersim as cs


def test_a_goal_reached_exactly_at_the_lowest_rate_is_closed_form() -> None:
    """gdp 1.0 in 2023 must be at most q = (-1 + 1e-9) + 1 (exact in floats: Sterbenz) in
    2024: 1.0 (1 + r) <= q gives r = q - 1 = -1 + 1e-9 = -0.999999999, exactly the floor."""
    q = (-1.0 + 1e-9) + 1.0
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2024,
        "region": {"gdp": {"base": 1.0, "growth": 0.05}},
        "clusters": {"a": {"name": "A", "output": {"base": 10, "growth": 0.05}}},
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2024, "at_most": q}
        },
    }
    rg = cs.run(cs.Scenario.model_validate(d)).target("t").required_growth
    assert rg is not None
    assert rg["method"] == "closed_form"
    assert rg["rate"] == -1.0 + 1e-9 == -0.999999999
