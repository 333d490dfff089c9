"""Facts read at import that change what a user sees: how each target kind's value is
written in the reports, and the bounds of a few scenario fields.

Units (docs/scenario-format.md, the kinds table): a rate or a share reads as a percentage
(0.0327 -> ``3.27%``), a change of a share in percentage points (0.0099 -> ``+0.99 pp``),
a count, a sum, a stock change or a cumulative flow as a plain number (1500 -> ``1,500``).
The texts below are written by hand from those rules.
"""

from __future__ import annotations

import math
from typing import Any

import pytest
from pydantic import ValidationError

import clustersim as cs
from clustersim.errors import ScenarioError
from clustersim.kinds.growth.base import Shocks
from clustersim.kinds.growth.path import Path
from clustersim.kinds.targets import TARGET_KINDS, register
from clustersim.kinds.targets.count_over import CountOverTarget, TierField
from clustersim.report.fmt import is_percent, is_pp, num

PERCENT = ["cagr", "change_vs", "growth_every_year", "share"]
PP = ["pp_change", "pp_change_per_year"]
PLAIN = ["change_since", "cumulative", "group_sum", "count_over", "flow_every_year", "stock"]


@pytest.mark.parametrize("kind", PERCENT)
def test_a_rate_or_share_reads_as_percent(kind: str) -> None:
    # goal 1500 and value 1500: a level would read them as plain numbers; these kinds never
    pct = is_percent(kind, 1500.0, 1500.0)
    assert pct is True and not is_pp(kind)
    assert num(0.0327, pct=pct, pp=is_pp(kind)) == "3.27%"


@pytest.mark.parametrize("kind", PP)
def test_a_share_change_reads_in_pp(kind: str) -> None:
    assert is_pp(kind) is True and not is_percent(kind, 0.01, 0.0099)
    assert num(0.0099, pct=False, pp=is_pp(kind)) == "+0.99 pp"
    # the series it reads is a share: its chart is in percent
    assert TARGET_KINDS[kind].chart_percent is True


@pytest.mark.parametrize("kind", PLAIN)
def test_a_count_or_sum_reads_as_a_plain_number(kind: str) -> None:
    # goal 0.5 and value 0.4 would make a level read as a share; these kinds never do
    pct, pp = is_percent(kind, 0.5, 0.4), is_pp(kind)
    assert pct is False and pp is False
    assert num(1500.0, pct=pct, pp=pp) == "1,500"


@pytest.mark.parametrize(
    "kind", ["cagr", "change_vs", "growth_every_year", "count_over", "group_sum"]
)
def test_the_chart_of_a_level_series_is_not_in_percent(kind: str) -> None:
    # cagr & co. read a level series (output, 1,500 a year); count_over the clusters' output
    assert TARGET_KINDS[kind].chart_percent is False


def test_the_chart_of_a_share_is_in_percent() -> None:
    # share reads numerator / denominator, a ratio below 1: its chart is in percent
    assert TARGET_KINDS["share"].chart_percent is True


@pytest.mark.parametrize("kind", ["count_over", "pp_change", "pp_change_per_year", "share"])
def test_a_count_or_a_share_is_not_deflated(kind: str) -> None:
    # a count of clusters and a share (a ratio of two values at the same prices) have no
    # price basis: basis: comparable is refused for them
    assert TARGET_KINDS[kind].deflatable is False


def test_register_returns_the_class_for_use_as_a_decorator() -> None:
    cls = TARGET_KINDS["level"]
    assert register(cls) is cls


def _shocks(**kw: Any) -> Shocks:
    return Shocks.model_validate({"sd": 0.02, "factor": "f", **kw})


@pytest.mark.parametrize("ar", [math.nan, math.inf, 1.0])
def test_shock_ar_outside_0_1_is_refused(ar: float) -> None:
    with pytest.raises(ValidationError):
        _shocks(ar=ar)
    assert _shocks(ar=0.99).ar == 0.99


@pytest.mark.parametrize("loading", [math.nan, 1.5, 2.0])
def test_shock_loading_outside_0_1_is_refused(loading: float) -> None:
    with pytest.raises(ValidationError):
        _shocks(loading=loading)
    assert _shocks(loading=1.0).loading == 1.0


@pytest.mark.parametrize("field", ["ar", "loading"])
@pytest.mark.parametrize("v", [math.nan, math.inf, -math.inf])
def test_a_non_finite_ar_or_loading_is_named_as_such(field: str, v: float) -> None:
    # the message says what is wrong ("a finite number"), not "less than 1" for a NaN
    with pytest.raises(ValidationError) as info:
        _shocks(**{field: v})
    assert [e["type"] for e in info.value.errors()] == ["finite_number"]


def _region_growth(growth: Any) -> cs.Scenario:
    return cs.Scenario.model_validate(
        {
            "id": "e",
            "name": "e",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 1000, "growth": growth}},
            "clusters": {"a": {"name": "A", "output": {"base": 100, "growth": 0.0}}},
        }
    )


@pytest.mark.parametrize(
    "growth", [-1.0, -1.5, {"kind": "path", "rates": {2024: 0.05, 2025: -1.0}}]
)
def test_a_growth_of_minus_100_percent_or_below_is_refused(growth: Any) -> None:
    # -100% a year would take the series to 0 (and below): every growth rate must be above
    with pytest.raises(ScenarioError, match="a growth rate must be above -100%"):
        cs.run(_region_growth(growth), required=False)


def test_a_growth_just_above_minus_100_percent_is_allowed() -> None:
    # -99.9999%: RATE_LO = -1 + 1e-9 is below it
    cs.run(_region_growth(-0.999999), required=False)


def test_a_tier_of_zero_clusters_is_allowed_and_a_negative_one_refused() -> None:
    assert TierField(threshold=100.0, at_least=0).at_least == 0
    with pytest.raises(ValidationError):
        TierField(threshold=100.0, at_least=-1)


def test_count_over_an_empty_list_is_refused() -> None:
    d = {"kind": "count_over", "label": "t", "year": 2025, "threshold": 100, "at_least": 1}
    CountOverTarget.model_validate({**d, "over": ["a"]})
    with pytest.raises(ValidationError, match="at least 1"):
        CountOverTarget.model_validate({**d, "over": []})


def test_a_path_without_rates_is_refused() -> None:
    assert Path.model_validate({"kind": "path", "rates": {2024: 0.05}}).rates == {2024: 0.05}
    with pytest.raises(ValidationError, match="at least 1"):
        Path.model_validate({"kind": "path", "rates": {}})
