"""A count's required rate steps 1e-12 past the flip its search found, unless the goal is
not met there: a count met only in a band of rates narrower than that step keeps the edge
the search found (engine._required, the ``step`` branch)."""

from __future__ import annotations

import pytest

import clustersim as cs

T = 1000.0
#: a count reaches the threshold less its 1e-9 relative tolerance (§13)
REACH = T * (1 - 1e-9)


def test_a_band_narrower_than_the_step_keeps_the_flip() -> None:
    """Exactly one of two clusters at or above 1,000 in 2021: cluster a gets there from a
    rate of 5% - 5e-13, b from 5% + 3e-13 (bases chosen so, by hand). Met only between the
    two (8e-13 wide, around the grid rate 5%): stepping 1.05e-12 past a's flip would count
    both, so the search's edge, a's flip, is the answer."""
    a_flip, b_flip = 0.05 - 5e-13, 0.05 + 3e-13
    d = {
        "id": "n",
        "name": "n",
        "base_year": 2020,
        "end_year": 2021,
        "region": {"gdp": {"base": 100.0, "growth": 0.0}},
        "clusters": {
            "a": {"name": "A", "output": {"base": REACH / (1 + a_flip), "growth": 0.0}},
            "b": {"name": "B", "output": {"base": REACH / (1 + b_flip), "growth": 0.0}},
        },
        "targets": {
            "one": {
                "kind": "count_over",
                "label": "one",
                "variable": "output",
                "threshold": T,
                "year": 2021,
                "between": [1, 1],
            }
        },
    }
    rg = cs.run(cs.Scenario.model_validate(d)).target("one").required_growth
    assert rg is not None and rg["method"] == "bisection"
    assert rg["rate"] == pytest.approx(a_flip, abs=1e-13)
    assert rg["rate"] < b_flip  # not stepped past b's flip
