"""The default lever of a negated metric is the series under the minus sign.

``-gdp <= -1500`` in 2028 is gdp >= 1500: gdp 1000 in 2023 growing at r needs
1000 (1 + r)^5 = 1500, r = 1.5^(1/5) - 1 = 0.0844717712...
"""

from __future__ import annotations

import pytest

import clustersim as cs


def test_the_lever_of_minus_gdp_is_gdp() -> None:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2028,
        "region": {"gdp": {"base": 1000, "growth": 0.05}},
        "clusters": {"a": {"name": "A", "output": {"base": 10, "growth": 0.05}}},
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": "-gdp", "year": 2028, "at_most": -1500}
        },
    }
    rg = cs.run(cs.Scenario.model_validate(d)).target("t").required_growth
    assert rg is not None
    assert rg["variable"] == "gdp"
    assert rg["rate"] == pytest.approx(0.0844717712, abs=1e-9)
    assert rg["rate"] == pytest.approx(1.5**0.2 - 1, abs=1e-10)
