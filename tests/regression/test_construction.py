"""No target of a trend scenario is decided by how the scenario was written.

A trend scenario is a forecast: its growth comes from published history, never from the plan. A
target's outcome is *decided by construction* when the scenario's own assumptions fix it:

1. a growth of kind ``to_target`` aimed at the target's own value and year;
2. a constant (or path) rate equal to the rate the target asks for (CAGR and every-year targets);
3. a series whose central base equals the target's goal and that does not grow;
4. a margin with no spread across 200 Monte Carlo samples (a range collapsed to a point);
5. a central projection that lands on the goal itself (a base or flow sized backwards from it).

``find_construction`` walks the loaded scenario for rules 1-3 and runs it for rules 4-5; the first
tests prove each rule fires on a small scenario built to trip it, the last holds every shipped trend
scenario to "none".
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from pydantic import BaseModel

import clustersim as cs
from clustersim.kinds.growth import Constant
from clustersim.kinds.growth.path import Path as PathGrowth
from clustersim.kinds.growth.to_target import ToTarget
from clustersim.values.numbers import central, is_uncertain

ROOT = Path(__file__).resolve().parents[2]
TRENDS = sorted((ROOT / "scenarios").glob("*-trend.yaml"))
RATE_KINDS = {"cagr", "growth_every_year"}
LEVEL_KINDS = {"level", "stock", "flow_every_year", "group_sum"}
REL = 1e-9


def _close(a: float, b: float) -> bool:
    return abs(a - b) <= REL * max(1.0, abs(a), abs(b))


def _walk(node: Any, path: str) -> Iterator[tuple[str, Any]]:
    """Every pydantic model below ``node`` with its dotted path."""
    if isinstance(node, BaseModel):
        yield path, node
        for name in type(node).model_fields:
            yield from _walk(getattr(node, name), f"{path}.{name}" if path else name)
    elif isinstance(node, dict):
        for k, v in node.items():
            yield from _walk(v, f"{path}.{k}")
    elif isinstance(node, list | tuple):
        for i, v in enumerate(node):
            yield from _walk(v, f"{path}[{i}]")


def _goal(target: Any) -> float | None:
    """The number a target aims at: its bound, or the centre of an ``about`` band (左右)."""
    for name in ("at_least", "at_most", "more_than", "less_than"):
        if getattr(target, name, None) is not None:
            return float(getattr(target, name))
    if getattr(target, "about", None) is not None:
        return float(target.about.value)
    return None


def _zero_growth(growth: Any) -> bool:
    if growth is None:
        return True
    if isinstance(growth, Constant):
        return _close(central(growth.rate), 0.0) and not is_uncertain(growth.rate)
    return False


def _series_paths(metric: str) -> set[str]:
    """Where the series a target's metric names is written (a bare series or ``output[c]``)."""
    m = re.fullmatch(r"(\w+)\[(\w+)\]", metric)
    if m:
        return {f"clusters.{m[2]}.{m[1]}"}
    return {f"indicators.{metric}", f"indicators.{metric}.flow", f"region.{metric}"}


def find_construction(scenario: cs.Scenario, samples: int = 200, seed: int = 11) -> list[str]:
    """The targets of ``scenario`` whose outcome its own assumptions fix, each with the reason."""
    found: list[str] = []
    nodes = list(_walk(scenario.region, "region"))
    for name in ("clusters", "indicators"):
        nodes += list(_walk(getattr(scenario, name), name))
    for tid, t in scenario.targets.items():
        goal = _goal(t)
        year = getattr(t, "year", None)
        for where, node in nodes:
            # Rule 1: a to_target growth aimed at this target's value and year.
            if (
                isinstance(node, ToTarget)
                and goal is not None
                and node.year == year
                and _close(central(node.value), goal)
            ):
                found.append(f"{tid}: {where} grows to_target {goal} in {year}")
            # Rule 2: a fixed rate equal to the rate the target asks for.
            if t.kind in RATE_KINDS and goal is not None:
                rates = []
                if isinstance(node, Constant):
                    rates = [node.rate]
                elif isinstance(node, PathGrowth):
                    rates = list(node.rates.values())
                if any(_close(central(r), goal) and not is_uncertain(r) for r in rates):
                    found.append(f"{tid}: {where} is the target's own rate {goal}")
            # Rule 3: the target's own series based on the goal, not growing.
            base = getattr(node, "base", None)
            numeric = isinstance(base, int | float) or hasattr(base, "point")
            own = where in _series_paths(getattr(t, "metric", ""))
            flat = numeric and own and _zero_growth(getattr(node, "growth", None))
            if t.kind in LEVEL_KINDS and goal is not None and flat and _close(central(base), goal):
                found.append(f"{tid}: {where}.base is the goal {goal} with no growth")
    res = cs.run(scenario, samples=samples, seed=seed)
    plain = cs.run(scenario, samples=1, seed=seed)
    for tr, tp in zip(res.targets, plain.targets, strict=True):
        # Rule 4: no spread across samples.
        if float(np.ptp(tr.margin)) == 0.0:
            found.append(f"{tr.id}: margin {float(tr.margin[0]):g} in every sample")
        # Rule 5: the central projection sits on the goal.
        goal = tp.bound.lo if tp.bound.lo is not None else tp.bound.hi
        if goal is not None and abs(float(tp.margin[0])) <= 1e-6 * max(1.0, abs(goal)):
            found.append(f"{tp.id}: the central projection lands on the goal {goal:g}")
        # ... or, for 左右 (about), on the centre of its band
        about = getattr(scenario.targets[tp.id], "about", None)
        if about is not None:
            centre = float(about.value)
            if abs(float(tp.value[0]) - centre) <= 1e-6 * max(1.0, abs(centre)):
                found.append(f"{tp.id}: the central projection lands on the goal {centre:g}")
    return found


@pytest.mark.parametrize("path", TRENDS, ids=[p.stem for p in TRENDS])
def test_no_trend_target_is_decided_by_construction(path: Path) -> None:
    assert find_construction(cs.load_scenario(path)) == []


TRIP = """
id: trip
name: {zh: 构造检查, en: Construction check}
base_year: 2023
end_year: 2026
region:
  gdp: {base: 1000, growth: {kind: constant, rate: 0.05}}
indicators:
  aimed: {kind: level, name: {zh: 甲, en: a}, base: 100, growth: {kind: to_target, value: 150, year: 2026}}
  flat: {kind: level, name: {zh: 乙, en: b}, base: {dist: normal, mean: 10, sd: 2}, growth: 0}
  fixed: {kind: level, name: {zh: 丙, en: c}, base: 5, growth: 0.1}
  centred: {kind: level, name: {zh: 丁, en: d}, base: {dist: normal, mean: 100, sd: 10},
            growth: {kind: constant, rate: {dist: normal, mean: 0.0, sd: 0.01}}}
  honest: {kind: level, name: {zh: 戊, en: e}, base: {dist: normal, mean: 80, sd: 10},
           growth: {kind: constant, rate: {dist: normal, mean: 0.05, sd: 0.01}}}
targets:
  t_aimed: {kind: level, label: {zh: 甲, en: a}, metric: aimed, year: 2026, at_least: 150}
  t_rate: {kind: cagr, label: {zh: 增速, en: rate}, metric: gdp, from_year: 2023, year: 2026, at_least: 0.05}
  t_flat: {kind: level, label: {zh: 乙, en: b}, metric: flat, year: 2026, at_least: 10}
  t_fixed: {kind: level, label: {zh: 丙, en: c}, metric: fixed, year: 2026, at_least: 100}
  t_centred: {kind: level, label: {zh: 丁, en: d}, metric: centred, year: 2026, at_least: 100}
  t_honest: {kind: level, label: {zh: 戊, en: e}, metric: honest, year: 2026, at_least: 100}
"""


@pytest.fixture(scope="module")
def tripped(tmp_path_factory: pytest.TempPathFactory) -> list[str]:
    path = tmp_path_factory.mktemp("trip") / "trip.yaml"
    path.write_text(TRIP, encoding="utf-8")
    return find_construction(cs.load_scenario(path))


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        ("t_aimed", "grows to_target 150.0 in 2026"),  # rule 1
        ("t_rate", "is the target's own rate 0.05"),  # rule 2
        ("t_flat", "indicators.flat.base is the goal 10.0 with no growth"),  # rule 3
        ("t_fixed", "margin -93.345 in every sample"),  # rule 4: 5 x 1.1^3 - 100
        ("t_rate", "in every sample"),  # rule 4: a fixed 5% gives 5% (margin ~1e-17) in all
        ("t_centred", "the central projection lands on the goal 100"),  # rule 5
        ("t_aimed", "the central projection lands on the goal 150"),  # rule 5
    ],
)
def test_each_rule_fires_on_a_scenario_built_to_trip_it(
    tripped: list[str], target: str, reason: str
) -> None:
    assert any(f.startswith(f"{target}: ") and reason in f for f in tripped), tripped


def test_an_honest_forecast_is_not_flagged(tripped: list[str]) -> None:
    # base 80 +- 10 growing 5% +- 1 pp: 80 x 1.05^3 = 92.61 in 2026, below the goal, with spread
    assert not [f for f in tripped if f.startswith("t_honest")]
    assert not [f for f in tripped if f.startswith("t_flat") and "every sample" in f]
