"""No target of a trend scenario is decided by how the scenario was written.

A trend scenario is a forecast: its growth comes from published history, never from the plan. A
target's outcome is *decided by construction* when the scenario's own assumptions fix it; the
rules are the production audit's (:mod:`clustersim.scenario.audit`, ``clustersim validate
--audit``):

1. ``to_target``: a growth of kind ``to_target`` aimed at the target's own value and year;
2. ``target_rate``: a constant (or path) rate equal to the rate the target asks for;
3. ``flat_base``: a series whose central base equals the target's goal and that does not grow;
4. ``no_spread``: a margin with no spread across 200 Monte Carlo samples;
5. ``central_on_goal``: a central projection that lands on the goal itself.

The first tests prove each rule fires on a small scenario built to trip it (this file's tripwire),
the last holds every shipped trend scenario to "none".
"""

from __future__ import annotations

from pathlib import Path

import pytest

import clustersim as cs

ROOT = Path(__file__).resolve().parents[2]
TRENDS = sorted((ROOT / "scenarios").glob("*-trend.yaml"))


def find_construction(scenario: cs.Scenario, samples: int = 200, seed: int = 11) -> list[str]:
    """The targets of ``scenario`` whose outcome its own assumptions fix, each with the reason
    (the production audit's English messages)."""
    return [f.text("en") for f in cs.audit(scenario, samples=samples, seed=seed).findings]


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
        ("t_aimed", "indicators.aimed.growth grows to_target to the target's own 150 in 2026"),
        ("t_rate", "region.gdp.growth is a fixed rate equal to the target's rate 0.05"),
        ("t_flat", "indicators.flat.base is the goal 10 with no growth"),  # rule 3
        ("t_fixed", "margin -93.345 in every one of 200 samples"),  # rule 4: 5 x 1.1^3 - 100
        ("t_rate", "in every one of 200 samples"),  # rule 4: a fixed 5% gives 5% in all
        ("t_centred", "the central projection lands on the goal 100"),  # rule 5
        ("t_aimed", "the central projection lands on the goal 150"),  # rule 5
    ],
)
def test_each_rule_fires_on_a_scenario_built_to_trip_it(
    tripped: list[str], target: str, reason: str
) -> None:
    assert any(
        f.startswith(f"{target}: fixed by construction: ") and reason in f for f in tripped
    ), tripped


def test_an_honest_forecast_is_not_flagged(tripped: list[str]) -> None:
    # base 80 +- 10 growing 5% +- 1 pp: 80 x 1.05^3 = 92.61 in 2026, below the goal, with spread
    assert not [f for f in tripped if f.startswith("t_honest")]
    assert not [f for f in tripped if f.startswith("t_flat") and "in every one" in f]
