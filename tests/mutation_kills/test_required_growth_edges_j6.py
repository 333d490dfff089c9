"""Required growth at three edges of its search: a ``required_from`` equal to the base
year is the default start (no ``from_year`` in the record); a lever whose base value is
below 1 still has a closed form; a count goal that is met with no margin (a count equal to
an ``at_most`` goal) keeps the met edge of the last bracket.

Region gdp 0.8 in 2023 growing 5%: gdp >= 1 in 2025 needs 0.8 (1 + r)^2 = 1, so
r = sqrt(1.25) - 1 = 0.118033988...

Clusters a 60, b 40, c 90 (output, 2023), one common rate r to 2027 (4 years): at most one
cluster with output >= 100. c reaches 100 at r = (100/90)^(1/4) - 1 = 0.02669..., a at
r* = (100/60)^(1/4) - 1 = 0.13622...; between them the count is 1 and the margin
1 - 1 = 0 exactly (met); from r* on it is 2 (margin -1). So the rate is just below r*, and
fed back, output[a] in 2027 = 60 (1 + rate)^4 < 100 and the goal is met.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import clustersim as cs


def _scenario(
    region: dict[str, Any], clusters: dict[str, Any], target: dict[str, Any]
) -> cs.Scenario:
    return cs.Scenario.model_validate(
        {
            "id": "e",
            "name": "e",
            "base_year": 2023,
            "end_year": 2027,
            "region": region,
            "clusters": clusters,
            "targets": {"t": {"label": "t", **target}},
        }
    )


def _gdp_scenario(**extra: Any) -> cs.Scenario:
    return _scenario(
        {"gdp": {"base": 0.8, "growth": 0.05}},
        {"a": {"name": "A", "output": {"base": 10, "growth": 0.05}}},
        {"kind": "level", "metric": "gdp", "year": 2025, "at_least": 1.0, **extra},
    )


def test_required_from_the_base_year_is_the_default_start() -> None:
    rg = cs.run(_gdp_scenario(required_from=2023)).target("t").required_growth
    assert rg is not None
    assert "from_year" not in rg
    assert rg["method"] == "closed_form"
    assert rg["rate"] == pytest.approx(math.sqrt(1.25) - 1, abs=1e-12)


def test_a_lever_below_one_has_a_closed_form() -> None:
    rg = cs.run(_gdp_scenario()).target("t").required_growth
    assert rg is not None
    assert rg["method"] == "closed_form"
    assert rg["rate"] == pytest.approx(0.118033988749895, abs=1e-12)


def _count_scenario(rate: float | None = None) -> cs.Scenario:
    def out(base: float, growth: float) -> dict[str, Any]:
        return {"base": base, "growth": growth if rate is None else rate}

    return _scenario(
        {"gdp": {"base": 1000, "growth": 0.05}},
        {
            "a": {"name": "A", "output": out(60, 0.10)},
            "b": {"name": "B", "output": out(40, 0.02)},
            "c": {"name": "C", "output": out(90, 0.0)},
        },
        {"kind": "count_over", "variable": "output", "threshold": 100, "year": 2027, "at_most": 1},
    )


def test_a_count_met_with_no_margin_keeps_the_met_edge() -> None:
    rg = cs.run(_count_scenario()).target("t").required_growth
    assert rg is not None and rg["method"] == "bisection"
    rate = float(rg["rate"])
    r_star = (100 / 60) ** 0.25 - 1
    assert r_star == pytest.approx(0.136219, abs=1e-6)
    assert r_star - 1e-9 < rate < r_star
    assert 60 * (1 + rate) ** 4 < 100  # a is still under the threshold
    assert 90 * (1 + rate) ** 4 >= 100  # c is over it: the count is 1, the margin 0
    fed = cs.run(_count_scenario(rate), required=False).target("t")
    assert float(fed.value[0]) == 1.0 and float(fed.margin[0]) == 0.0 and bool(fed.met[0])
