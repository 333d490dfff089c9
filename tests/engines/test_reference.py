"""The reference engine: hand-computed answers, and production held to it.

(a) tiny scenarios whose answers are computed by hand here, checked on the reference and
    on production; (b) every shipped scenario, central path and Monte Carlo, production
    (``run``, and the blocked and numba engines of ``run_targets``) against the reference
    to 1e-9 relative; (c) hypothesis-generated small scenarios covering every growth kind
    and target kind, on ``run`` and the blocked engine.
"""

from __future__ import annotations

import copy
import importlib.util
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import clustersim as cs
from clustersim.engine import run_targets
from clustersim.engines.reference import (
    ReferenceError,
    ReferenceResult,
    production_draws,
    run_reference,
    scenario_document,
)
from clustersim.scenario.models import Scenario

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))
RTOL = 1e-9


# --- helpers ---------------------------------------------------------------------------------


def doc(**over: Any) -> dict[str, Any]:
    """A minimal scenario document (§1): GDP 100 in 2023, no growth, to 2026."""
    d: dict[str, Any] = {
        "id": "t",
        "name": "t",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 100.0}},
    }
    d.update(copy.deepcopy(over))
    return d


def level(metric: str, year: int, **goal: Any) -> dict[str, Any]:
    return {"kind": "level", "label": "t", "metric": metric, "year": year, **goal}


def close(a: Any, b: Any, rtol: float = RTOL) -> bool:
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return bool(np.all(np.abs(a - b) <= rtol * np.maximum(1.0, np.abs(b))))


def assert_agree(sc: Scenario, ref: ReferenceResult, prod: cs.Result) -> None:
    """Production's series and targets equal the reference's to 1e-9 relative.

    Series are compared where the reference defines them (NaN marks a cluster without
    the series; production fills it with 0). Every production series must exist in the
    reference.
    """
    assert prod.clusters == ref.clusters
    for name, got in prod.series.items():
        assert name in ref.series, f"the reference has no series {name!r}"
        want = ref.series[name]
        assert got.shape == want.shape, name
        m = np.isfinite(want)
        err = np.abs(got[m] - want[m]) / np.maximum(np.abs(want[m]), 1e-300)
        assert np.all((err <= RTOL) | (np.abs(got[m] - want[m]) <= 1e-12)), (
            f"{sc.id}: series {name}: max relative error {err.max():.3g}"
        )
    assert_targets_agree(sc.id, {t.id: t for t in prod.targets}, ref)


def assert_targets_agree(what: str, outcomes: Mapping[str, Any], ref: ReferenceResult) -> None:
    """Every target's per-sample value, margin and met equal the reference's (1e-9 relative
    to max(1, |value|)). ``outcomes`` holds production ``TargetResult`` or ``Outcome``."""
    assert set(outcomes) == set(ref.targets), what
    for tid, t in outcomes.items():
        r = ref.targets[tid]
        scale = np.maximum(1.0, np.abs(r.value))
        assert np.all(np.abs(t.value - r.value) <= RTOL * scale), (
            f"{what}: target {tid}: value {t.value[:3]} vs reference {r.value[:3]}"
        )
        assert np.all(np.abs(t.margin - r.margin) <= RTOL * scale), (
            f"{what}: target {tid}: margin {t.margin[:3]} vs reference {r.margin[:3]}"
        )
        # where the margin sits on the tolerance edge, rounding may flip met; elsewhere equal
        edge = np.abs(r.margin) <= 1e-8 * scale
        assert np.array_equal(t.met[~edge], r.met[~edge]), f"{what}: target {tid}: met differs"


def both(d: dict[str, Any], samples: int = 1, seed: int = 1) -> tuple[ReferenceResult, cs.Result]:
    """The reference and production on the same document (production draws)."""
    sc = Scenario.model_validate(d)
    ref = run_reference(scenario_document(sc), production_draws(sc, samples, seed), samples)
    prod = cs.run(sc, samples=samples, seed=seed, required=False)
    assert_agree(sc, ref, prod)
    # the blocked (sweep) engine draws the same streams
    blocked = run_targets(sc, samples=samples, seed=seed, engine="numpy")
    assert_targets_agree(f"{sc.id} (blocked)", blocked, ref)
    return ref, prod


def series(d: dict[str, Any], name: str) -> list[float]:
    """A region series of the central path, checked on both engines."""
    ref, _ = both(d)
    return [float(x) for x in ref.series[name][0]]


# --- (a) hand-computed cases: growth kinds (§10) ----------------------------------------------


def test_constant_growth_compounds() -> None:
    # §10: x[t] = x[t-1] × (1 + g): 100 growing 10% is 110, 121, 133.1
    d = doc(region={"gdp": {"base": 100, "growth": 0.10}})
    assert close(series(d, "gdp"), [100, 110, 121, 133.1])


def test_shorthands_and_percent_strings() -> None:
    # §10 shorthands and §1 "5%" strings: all a constant 10%
    for g in ("10%", {"rate": 0.1}, {"kind": "constant", "rate": "10%"}):
        d = doc(region={"gdp": {"base": "1,00", "growth": g}})
        assert close(run_reference(d).series["gdp"][0], [100, 110, 121, 133.1])


def test_path_step_and_linear() -> None:
    # step: the rate of the latest listed year <= t, the first one before it
    years = {"base_year": 2023, "end_year": 2027}
    step = {"kind": "path", "rates": {2024: 0.1, 2026: 0.2}}
    d = doc(**years, region={"gdp": {"base": 100, "growth": step}})
    assert close(series(d, "gdp"), [100, 110, 121, 145.2, 174.24])
    # linear: 0 up to 2025 (before the first knot its rate holds), 10% in 2026, 20% in 2027
    lin = {"kind": "path", "interpolation": "linear", "rates": {2025: 0.0, 2027: 0.2}}
    d = doc(**years, region={"gdp": {"base": 100, "growth": lin}})
    assert close(series(d, "gdp"), [100, 100, 100, 110, 132])


def test_linear_rate_with_default_and_explicit_years() -> None:
    # §10 linear: from +0% in 2024 to +30% in 2026: 0, 15%, 30%
    d = doc(region={"gdp": {"base": 100, "growth": {"kind": "linear", "start": 0, "end": 0.3}}})
    assert close(series(d, "gdp"), [100, 100, 115, 149.5])
    # held at start before from_year and at end after to_year: 10%, 10%, 20%
    g = {"kind": "linear", "start": 0.1, "end": 0.2, "from_year": 2025, "to_year": 2026}
    d = doc(end_year=2027, region={"gdp": {"base": 100, "growth": g}})
    assert close(series(d, "gdp"), [100, 110, 121, 145.2, 174.24])


def test_to_target_reaches_the_value_and_keeps_its_rate() -> None:
    # §10: (200 / 100)^(1/2) − 1 = √2 − 1 a year: 200 in 2025, 200√2 in 2026
    d = doc(
        region={"gdp": {"base": 100, "growth": {"kind": "to_target", "value": 200, "year": 2025}}}
    )
    assert close(series(d, "gdp"), [100, 100 * math.sqrt(2), 200, 200 * math.sqrt(2)])


def test_logistic_levels() -> None:
    # §10: K / (1 + (K/x0 − 1) e^(−r t)) with K = 200, x0 = 100, r = ln 3: 150, 180, 200 × 27/28
    g = {"kind": "logistic", "capacity": 200, "rate": math.log(3)}
    d = doc(region={"gdp": {"base": 100, "growth": g}})
    assert close(series(d, "gdp"), [100, 150, 180, 200 * 27 / 28])


def test_elasticity_follows_another_series() -> None:
    # §10: g = e × G: R&D outside clusters grows 2 × 10% = 20% a year
    d = doc(
        region={
            "gdp": {"base": 100, "growth": 0.1},
            "rd_rest": {"base": 10, "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 2}},
        }
    )
    assert close(series(d, "rd_rest"), [10, 12, 14.4, 17.28])


# --- (a) clusters, firms, indicators (§7, §9, §11) --------------------------------------------


CLUSTER = {
    "name": "a",
    "output": {"base": 100, "growth": 0.1},
    "va_ratio": {"base": 0.5, "growth": -0.1},  # relative: 0.45 next year, not 0.4
    "energy_per_va": {"base": 2.0},
    "rd": {"base": 5, "growth": {"kind": "elasticity", "to": "output", "elasticity": 2}},
    "firms": {"base": 100, "exit_rate": 0.1, "entries": {"base": 20}},
}


def test_cluster_series_value_added_energy_rd_firms() -> None:
    d = doc(
        end_year=2025,
        region={"gdp": {"base": 1000}, "rd_rest": {"base": 1}, "energy_rest": {"base": 10}},
        clusters={"a": CLUSTER},
    )
    ref, _ = both(d)
    s = {k: v[0, 0] for k, v in ref.series.items() if v.ndim == 3}
    assert close(s["output"], [100, 110, 121])
    assert close(s["va_ratio"], [0.5, 0.45, 0.405])
    assert close(s["value_added"], [50, 49.5, 49.005])  # output × va_ratio
    assert close(s["energy"], [100, 99, 98.01])  # value_added × energy_per_va
    assert close(s["rd"], [5, 6, 7.2])  # own path growing 2 × 10%
    assert close(s["firms"], [100, 110, 119])  # 100 × 0.9 + 20, then 110 × 0.9 + 20
    r = ref.series
    assert close(r["rd_total"][0], [6, 7, 8.2])  # cluster R&D + rd_rest
    assert close(r["energy_total"][0], [110, 109, 108.01])
    assert close(r["rd_intensity"][0], [0.006, 0.007, 0.0082])  # rd_total / gdp
    assert close(r["energy_intensity"][0], [0.11, 0.109, 0.10801])
    assert close(r["cluster_output"][0], [100, 110, 121])


def test_rd_share_of_output_and_firms_growth_path() -> None:
    b = {
        "name": "b",
        "output": {"base": 200, "growth": 0.5},
        "rd": {"share_of_output": {"base": 0.1, "growth": 0.1}},  # 10%, then 11% of output
        "firms": {"base": 10, "growth": {"kind": "constant", "rate": 1.0}},
    }
    d = doc(end_year=2024, clusters={"a": CLUSTER, "b": b})
    ref, _ = both(d)
    assert close(ref.series["rd_share"][0, 1], [0.1, 0.11])  # the share itself (§11)
    assert close(ref.series["rd"][0, 1], [20, 33])  # 0.11 × 300
    assert close(ref.series["firms"][0, 1], [10, 20])
    assert close(ref.series["rd_total"][0], [25, 39])  # 5 + 20, 6 + 33: no rd_rest


def test_stock_indicator_and_its_flow() -> None:
    # §9: s[t] = s[t-1] × (1 − 0.2) + flow[t]; flow 10 growing 10%: 51, then 52.9
    ind = {
        "name": "s",
        "base": 50,
        "flow": {"base": 10, "growth": 0.1},
        "exit_rate": 0.2,
    }
    d = doc(end_year=2025, indicators={"s": ind, "lv": {"name": "l", "base": 3, "growth": 1.0}})
    assert close(series(d, "s"), [50, 51, 52.9])
    assert close(series(d, "s_flow"), [10, 11, 12.1])
    assert close(series(d, "lv"), [3, 6, 12])


def test_observation_annualised() -> None:
    # §4.2: 700 in 7 months is 1200 a year
    d = doc(region={"gdp": {"base": {"value": 700, "months": 7}}})
    assert close(series(d, "gdp"), [1200] * 4)


def test_central_value_clamped_to_low() -> None:
    # §4.4: the central value of a truncated normal is its clamped mean
    rate = {"dist": "normal", "mean": 0.1, "sd": 0.05, "high": 0.05}
    d = doc(region={"gdp": {"base": 100, "growth": {"rate": rate}}})
    assert close(series(d, "gdp")[1], 105)


# --- (a) metrics, history (§6, §12) -----------------------------------------------------------


def test_metrics_reductions_picks_and_precedence() -> None:
    clusters = {
        "a": {"name": "a", "output": {"base": 30}},
        "b": {"name": "b", "output": {"base": 10}},
        "c": {"name": "c", "output": {"base": 20}},
    }
    metrics = {
        "s": "sum(output, group=g) / gdp",  # (30 + 10) / 100
        "m": "mean(output)",
        "lo": "min(output, group=g)",
        "hi": {"expr": "max(output)"},
        "p": "output[c] * 2 - -1",
        "neg": "-gdp ** 2 / 10000",  # Python precedence: -(gdp ** 2), not (-gdp) ** 2
        "uses": "s * 100 + lo",  # a metric declared above
        "share": "output / cluster_output",  # cluster-level
    }
    groups = {"g": {"name": "g", "clusters": ["a", "b"]}}
    d = doc(clusters=clusters, groups=groups, metrics=metrics)
    ref, _ = both(d)
    at0 = {k: v[0, ..., 0] for k, v in ref.series.items()}
    assert close(at0["s"], 0.4)
    assert close(at0["m"], 20)
    assert close(at0["lo"], 10)
    assert close(at0["hi"], 30)
    assert close(at0["p"], 41)
    assert close(at0["neg"], -1)
    assert close(at0["uses"], 50)
    assert close(at0["share"], [0.5, 1 / 6, 1 / 3])


def test_metric_in_a_history_year_from_the_history_of_its_names() -> None:
    # §6: a metric without its own history is computed from the history of its names;
    # energy per GDP 2020: 50 / 100 = 0.5; 2026: 110 / 200 = 0.55 → +10% (change_vs)
    d = doc(
        region={
            "gdp": {"base": 200},
            "energy_rest": {"base": 110},
            "history": {"gdp": {2020: 100}, "energy_rest": {2020: 50}},
        },
        metrics={"e": "energy_rest / gdp"},
        targets={
            "vs": {
                "kind": "change_vs",
                "label": "t",
                "metric": "e",
                "relative_to": 2020,
                "year": 2026,
                "at_most": -0.14,
            }
        },
    )
    ref, _ = both(d)
    t = ref.targets["vs"]
    assert close(t.value, [0.1]) and close(t.margin, [-0.24]) and not t.met[0]


def test_metric_history_of_its_own_wins_and_cluster_history_sums() -> None:
    clusters = {
        "a": {"name": "a", "output": {"base": 30}, "history": {"output": {2022: 15}}},
        "b": {"name": "b", "output": {"base": 10}, "history": {"output": {2022: 5}}},
    }
    d = doc(
        clusters=clusters,
        region={"gdp": {"base": 100}, "history": {"gdp": {2022: 80}, "sh": {2022: 0.9}}},
        metrics={"sh": "sum(output) / gdp", "ratio": "sum(output) / gdp"},
        targets={
            # own history 0.9 → 0.4: change −0.5 a year (pp_change_per_year)
            "pp": {
                "kind": "pp_change_per_year",
                "label": "t",
                "metric": "sh",
                "from_year": 2022,
                "year": 2023,
                "at_least": 0.0,
            },
            # from the clusters' history: 20 / 80 = 0.25 → 0.4: +0.15
            "pp2": {
                "kind": "pp_change_per_year",
                "label": "t",
                "metric": "ratio",
                "from_year": 2022,
                "year": 2023,
                "at_least": 0.0,
            },
        },
    )
    ref, _ = both(d)
    assert close(ref.targets["pp"].value, [-0.5]) and not ref.targets["pp"].met[0]
    assert close(ref.targets["pp2"].value, [0.15]) and ref.targets["pp2"].met[0]


def test_missing_history_is_an_error() -> None:
    d = doc(
        targets={
            "c": {
                "kind": "cagr",
                "label": "t",
                "metric": "gdp",
                "from_year": 2020,
                "year": 2026,
                "at_least": 0.0,
            }
        }
    )
    with pytest.raises(ReferenceError, match="no history for 'gdp' in 2020"):
        run_reference(d)


# --- (a) target kinds (§13) -------------------------------------------------------------------


def one(target: dict[str, Any], d: dict[str, Any] | None = None) -> tuple[float, float, bool]:
    d = (
        copy.deepcopy(d)
        if d is not None
        else doc(
            region={"gdp": {"base": 100, "growth": 0.1}, "history": {"gdp": {2021: 81, 2022: 90}}}
        )
    )
    d["targets"] = {"t": {"label": "t", **target}}
    ref, _ = both(d)
    t = ref.targets["t"]
    return float(t.value[0]), float(t.margin[0]), bool(t.met[0])


def test_level_goals_and_margins() -> None:
    assert close(one(level("gdp", 2025, at_least=121))[:2], [121, 0])  # 100 × 1.1²
    assert one(level("gdp", 2025, at_least=121))[2]
    assert close(one(level("gdp", 2025, at_most=120))[:2], [121, -1])
    # between: min(121 − 100, 125 − 121) = 4
    assert close(one(level("gdp", 2025, between=[100, 125]))[:2], [121, 4])
    assert close(one(level("gdp", 2025, between=[122, 125]))[:2], [121, -1])


def test_met_tolerance_is_relative() -> None:
    # §13: a margin down to −1e-9 × max(1, |a|) counts as met
    g = 1000 * (1 + 5e-10)
    _, m, met = one(level("gdp", 2023, at_least=g), doc(region={"gdp": {"base": 1000}}))
    assert m < 0 and met
    _, m, met = one(
        level("gdp", 2023, at_least=1000 * (1 + 2e-9)), doc(region={"gdp": {"base": 1000}})
    )
    assert m < 0 and not met


def test_stock_share_group_sum() -> None:
    clusters = {
        "a": {"name": "a", "output": {"base": 30, "growth": 1.0}},
        "b": {"name": "b", "output": {"base": 10}},
        "c": {"name": "c", "output": {"base": 20}, "va_ratio": {"base": 0.5}},
    }
    d = doc(
        clusters=clusters,
        groups={"g": {"name": "g", "clusters": ["a", "b"]}},
        indicators={"s": {"name": "s", "base": 10, "flow": {"base": 5}}},
    )
    # stock: 10 + 5 + 5
    assert close(
        one({"kind": "stock", "metric": "s", "year": 2025, "at_least": 20}, d)[:2], [20, 0]
    )
    # share: (60 + 10) / 100 in 2024
    t = {
        "kind": "share",
        "numerator": "sum(output, group=g)",
        "denominator": "gdp",
        "year": 2024,
        "at_least": 0.5,
    }
    assert close(one(t, d)[:2], [0.7, 0.2])
    # group_sum, default variable output: 120 + 10 in 2025
    t = {"kind": "group_sum", "group": "g", "year": 2025, "at_most": 100}
    assert close(one(t, d)[:2], [130, -30])
    # group_sum of a cluster-level expression: output × 2 over g in 2023
    t = {"kind": "group_sum", "variable": "output * 2", "group": "g", "year": 2023, "at_least": 0}
    assert close(one(t, d)[:2], [80, 80])


def test_cagr_from_history() -> None:
    # (121 / 81)^(1/4) − 1 = √(11/9) − 1
    v, m, met = one(
        {"kind": "cagr", "metric": "gdp", "from_year": 2021, "year": 2025, "at_least": 0.1}
    )
    assert close(v, math.sqrt(11 / 9) - 1) and close(m, v - 0.1) and met


def test_growth_every_year_reports_the_binding_year() -> None:
    # 81 → 90 (+11.1%) → 100 (+11.1%) → 110 (+10%) → 121 (+10%): binding at +10%
    t = {
        "kind": "growth_every_year",
        "metric": "gdp",
        "from_year": 2021,
        "year": 2025,
        "at_least": 0.105,
    }
    v, m, met = one(t)
    assert close(v, 0.1) and close(m, -0.005) and not met
    # at_most: the binding year is the fastest, 2022's 90 / 81 − 1
    t = {**t, "at_least": None, "at_most": 0.2}
    t.pop("at_least")
    v, m, _ = one(t)
    assert close(v, 90 / 81 - 1) and close(m, 0.2 - (90 / 81 - 1))


def test_pp_change_and_flow_every_year() -> None:
    # a share 0.10, 0.12, 0.15 (pp changes +2, +3): the binding year is +2 pp
    d = doc(
        end_year=2025,
        region={
            "gdp": {"base": 100},
            "population": {
                "base": 10,
                "growth": {"kind": "path", "rates": {2024: 0.2, 2025: 0.25}},
            },
        },
        metrics={"sh": "population / gdp"},
    )
    t = {
        "kind": "pp_change_per_year",
        "metric": "sh",
        "from_year": 2023,
        "year": 2025,
        "at_least": 0.025,
    }
    v, m, met = one(t, d)
    assert close(v, 0.02) and close(m, -0.005) and not met
    # flow_every_year over [2023, 2025] inclusive: 10, 12, 15 → binding 10
    t = {
        "kind": "flow_every_year",
        "metric": "population",
        "from_year": 2023,
        "year": 2025,
        "between": [11, 20],
    }
    v, m, met = one(t, d)
    assert close(v, 10) and close(m, -1) and not met


def test_change_vs() -> None:
    # 121 / 81 − 1 in 2025 against 2021
    t = {"kind": "change_vs", "metric": "gdp", "relative_to": 2021, "year": 2025, "at_least": 0.5}
    v, m, met = one(t)
    assert close(v, 121 / 81 - 1) and close(m, 121 / 81 - 1.5) and not met


COUNT = doc(
    clusters={
        c: {"name": c, "output": {"base": b}}
        for c, b in {"a": 12000, "b": 10000 * (1 - 2e-16), "c": 6000, "d": 5000, "e": 100}.items()
    },
    groups={"big": {"name": "big", "clusters": ["a", "c", "e"]}},
)


def test_count_over_threshold_with_tolerance_and_group() -> None:
    # b at 9,999.999999999998 reaches 10,000 (§13 tolerance)
    t = {"kind": "count_over", "threshold": 10000, "year": 2024, "between": [1, 1]}
    v, m, met = one(t, COUNT)
    assert v == 2 and m == -1 and not met
    t = {"kind": "count_over", "group": "big", "threshold": 5000, "year": 2024, "at_least": 3}
    assert one(t, COUNT)[:2] == (2, -1)


def test_count_over_tiers_bands_and_cumulative() -> None:
    tiers = [{"threshold": 10000, "at_least": 2}, {"threshold": 5000, "at_least": 3}]
    t = {"kind": "count_over", "year": 2024, "tiers": tiers}
    # bands: [10000, ∞) holds a, b; [5000, 10000) holds c, d → 2 − 2 = 0, 2 − 3 = −1
    assert one(t, COUNT)[:3] == (2, -1, False)
    # cumulative: 2 over 10,000 and 4 over 5,000 → margins 0, 1: binding tier 1
    assert one({**t, "bands": False}, COUNT)[:3] == (2, 0, True)


# --- (b) every shipped scenario, production against the reference ----------------------------


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("samples", [1, 40])
def test_shipped_scenarios_agree(path: Path, samples: int) -> None:
    sc = cs.load_scenario(path)
    draws = production_draws(sc, samples, seed=11)
    ref = run_reference(scenario_document(path), draws, samples)
    prod = cs.run(sc, samples=samples, seed=11, required=False)
    assert prod.samples == ref.samples == samples
    assert_agree(sc, ref, prod)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize(
    "engine",
    [
        "numpy",
        pytest.param(
            "numba",
            marks=[
                pytest.mark.slow,  # the first run compiles one kernel per scenario (~1 min)
                pytest.mark.skipif(
                    importlib.util.find_spec("numba") is None, reason="numba not installed"
                ),
            ],
        ),
    ],
)
def test_shipped_scenarios_blocked_engines_agree(path: Path, engine: str) -> None:
    # the sweep engines (blocked numpy, fused numba kernel) hold targets only; the numba
    # engine draws normals with its own inverse CDF (agreeing with scipy's to ~1e-12)
    sc = cs.load_scenario(path)
    for samples in (1, 40):
        ref = run_reference(scenario_document(sc), production_draws(sc, samples, 11), samples)
        outs = run_targets(sc, samples=samples, seed=11, engine=engine)
        assert_targets_agree(f"{sc.id} ({engine}, {samples} samples)", outs, ref)


# --- edge cases of the documented definitions, production against the reference -------------

# growth windows outside the projection, logistic above capacity, elasticities to stocks, flows
# and totals, observations in history, metrics on metrics in history years, reductions in
# history, ties in "every year" kinds, percent and thousands strings, count_over on
# cluster-level expressions, truncated central values
EDGE: dict[str, dict[str, Any]] = {}
EDGE["linear_from_before_base"] = doc(
    end_year=2027,
    region={
        "gdp": {
            "base": 100,
            "growth": {
                "kind": "linear",
                "start": 0.0,
                "end": 0.3,
                "from_year": 2021,
                "to_year": 2024,
            },
        }
    },
)
EDGE["linear_to_after_end"] = doc(
    end_year=2027,
    region={
        "gdp": {
            "base": 100,
            "growth": {
                "kind": "linear",
                "start": 0.0,
                "end": 0.3,
                "from_year": 2025,
                "to_year": 2030,
            },
        }
    },
)
EDGE["path_knots_outside"] = doc(
    end_year=2027,
    region={
        "gdp": {
            "base": 100,
            "growth": {"kind": "path", "interpolation": "linear", "rates": {2020: 0.5, 2030: -0.1}},
        }
    },
)
EDGE["path_step_before_base"] = doc(
    end_year=2027,
    region={"gdp": {"base": 100, "growth": {"kind": "path", "rates": {2020: 0.5, 2025: -0.1}}}},
)
EDGE["to_target_beyond_end"] = doc(
    region={"gdp": {"base": 100, "growth": {"kind": "to_target", "value": 300, "year": 2040}}}
)
EDGE["logistic_above_K"] = doc(
    region={"gdp": {"base": 100, "growth": {"kind": "logistic", "capacity": 50, "rate": 0.5}}}
)
EDGE["logistic_rate0"] = doc(
    region={"gdp": {"base": 100, "growth": {"kind": "logistic", "capacity": 500, "rate": 0}}}
)
EDGE["elastic_to_stock"] = doc(
    region={"gdp": {"base": 100, "growth": {"kind": "elasticity", "to": "s", "elasticity": 0.5}}},
    indicators={"s": {"name": "s", "base": 10, "flow": {"base": 5}, "exit_rate": 0.1}},
)
EDGE["elastic_to_flow_and_energy_total"] = doc(
    region={
        "gdp": {"base": 100, "growth": {"kind": "elasticity", "to": "s_flow", "elasticity": 0.5}},
        "population": {
            "base": 10,
            "growth": {"kind": "elasticity", "to": "energy_total", "elasticity": 2},
        },
        "energy_rest": {"base": 5, "growth": 0.1},
    },
    indicators={
        "s": {"name": "s", "base": 10, "flow": {"base": 5, "growth": 0.2}, "exit_rate": 0.1}
    },
    clusters={
        "a": {
            "name": "a",
            "output": {"base": 10, "growth": 0.3},
            "va_ratio": {
                "base": 0.3,
                "growth": {"kind": "elasticity", "to": "output", "elasticity": -0.1},
            },
            "energy_per_va": {
                "base": 2,
                "growth": {"kind": "elasticity", "to": "gdp", "elasticity": -1},
            },
        }
    },
)
EDGE["rd_share_elastic"] = doc(
    clusters={
        "a": {
            "name": "a",
            "output": {"base": 10, "growth": 0.3},
            "rd": {
                "share_of_output": {
                    "base": 0.1,
                    "growth": {"kind": "elasticity", "to": "output", "elasticity": 0.2},
                }
            },
        }
    },
    targets={"r": level("rd_intensity", 2026, at_least=0.01)},
)
EDGE["history_observed_months"] = doc(
    region={"gdp": {"base": 100}, "history": {"gdp": {2021: {"value": 40, "months": 6}}}},
    targets={
        "c": {
            "kind": "cagr",
            "label": "t",
            "metric": "gdp",
            "from_year": 2021,
            "year": 2026,
            "at_least": 0.0,
        }
    },
)
EDGE["metric_on_metric_history"] = doc(
    region={
        "gdp": {"base": 100, "growth": 0.1},
        "population": {"base": 10},
        "history": {"gdp": {2021: 50}, "pc": {2021: 4.0}},
    },
    metrics={"pc": "gdp / population", "pc2": "pc * 2"},
    targets={
        "c": {
            "kind": "change_vs",
            "label": "t",
            "metric": "pc2",
            "relative_to": 2021,
            "year": 2026,
            "at_least": 0.0,
        }
    },
)
EDGE["reductions_in_history"] = doc(
    clusters={
        c: {"name": c, "output": {"base": b}, "history": {"output": {2022: b / 2}}}
        for c, b in [("a", 10), ("b", 30)]
    },
    metrics={"m": "mean(output) + min(output) + max(output)"},
    targets={
        "g": {
            "kind": "growth_every_year",
            "label": "t",
            "metric": "m",
            "from_year": 2022,
            "year": 2024,
            "between": [0, 2],
        }
    },
)
EDGE["between_tie_every_year"] = doc(
    region={"gdp": {"base": 100, "growth": {"kind": "path", "rates": {2024: 0.1, 2025: 0.3}}}},
    targets={
        "g": {
            "kind": "growth_every_year",
            "label": "t",
            "metric": "gdp",
            "from_year": 2023,
            "year": 2025,
            "between": [0.0, 0.4],
        }
    },
)
EDGE["goal_strings"] = doc(
    region={"gdp": {"base": "1,000", "growth": "5%"}},
    targets={"g": level("gdp", 2024, at_least="4.9%")},
)
EDGE["count_cluster_metric_group"] = doc(
    clusters={c: {"name": c, "output": {"base": b}} for c, b in [("a", 10), ("b", 30), ("c", 50)]},
    groups={"g": {"name": "g", "clusters": ["b", "c"]}},
    metrics={"sh": "output / cluster_output"},
    targets={
        "n": {
            "kind": "count_over",
            "label": "t",
            "variable": "sh",
            "group": "g",
            "threshold": 0.3333333333333333,
            "year": 2024,
            "at_least": 2,
        },
        "n2": {
            "kind": "count_over",
            "label": "t",
            "variable": "output * 2",
            "threshold": 20,
            "year": 2024,
            "at_most": 1,
        },
    },
)
EDGE["firms_exit_only"] = doc(
    clusters={
        "a": {
            "name": "a",
            "output": {"base": 10},
            "firms": {
                "base": 100,
                "exit_rate": 0.1,
                "entries": {"base": 5, "growth": {"kind": "to_target", "value": 10, "year": 2025}},
            },
        }
    },
    targets={
        "n": {"kind": "stock", "label": "t", "metric": "sum(firms)", "year": 2026, "at_least": 2}
    },
)
EDGE["gdp_uncertain_lognormal_trunc"] = doc(
    region={"gdp": {"base": {"dist": "lognormal", "median": 100, "sigma": 0.5, "low": 90}}}
)
EDGE["normal_central_low_only"] = doc(
    region={
        "gdp": {"base": 100, "growth": {"dist": "normal", "mean": -0.05, "sd": 0.01, "low": 0.0}}
    }
)
EDGE["triangular_central"] = doc(
    region={
        "gdp": {
            "base": 100,
            "growth": {"dist": "triangular", "low": -0.05, "mode": 0.01, "high": 0.2},
        }
    }
)


@pytest.mark.parametrize("name", sorted(EDGE))
@pytest.mark.parametrize("samples", [1, 5])
def test_edge_cases_agree(name: str, samples: int) -> None:
    both(EDGE[name], samples=samples, seed=3)


def test_draw_paths_must_match() -> None:
    d = doc(region={"gdp": {"base": 100, "growth": {"dist": "uniform", "low": 0, "high": 0.1}}})
    with pytest.raises(ReferenceError, match="no draws"):
        run_reference(d, {"region.gdp.growth.ratez": [0.1, 0.2]})
    ref = run_reference(d, {"region.gdp.growth.rate": [0.0, 0.5]})
    assert close(ref.series["gdp"][:, 1], [100, 150])


# --- (c) hypothesis: random small scenarios ---------------------------------------------------

BASE, END = 2022, 2026
rates = st.floats(-0.05, 0.25)
#: an uncertain growth rate of each distribution (§4.3), some truncated
dists = st.sampled_from(
    [
        {"dist": "uniform", "low": -0.02, "high": 0.1},
        {"dist": "normal", "mean": 0.05, "sd": 0.03},
        {"dist": "normal", "mean": 0.05, "sd": 0.03, "low": 0.0, "high": 0.08},
        {"dist": "lognormal", "median": 0.05, "sigma": 0.4, "high": 0.2},
        {"dist": "triangular", "low": -0.01, "mode": 0.02, "high": 0.1},
    ]
)


@st.composite
def growths(
    draw: st.DrawFn,
    x0: float,
    follow: list[str],
    allow_elastic: bool = True,
    allow_dist: bool = True,
) -> Any:
    """A growth block of a random kind (§10) for a series whose base is ``x0``."""
    kinds = ["constant", "path", "linear", "to_target", "logistic", "none"]
    if allow_elastic and follow:
        kinds.append("elasticity")
    kind = draw(st.sampled_from(kinds))
    if kind == "none":
        return None
    if kind == "constant":
        if allow_dist and draw(st.booleans()):
            return {"kind": "constant", "rate": draw(dists)}
        return draw(rates)
    if kind == "path":
        ys = draw(st.lists(st.integers(BASE + 1, END + 1), min_size=1, max_size=3, unique=True))
        return {
            "kind": "path",
            "interpolation": draw(st.sampled_from(["step", "linear"])),
            "rates": {y: draw(rates) for y in ys},
        }
    if kind == "linear":
        g: dict[str, Any] = {"kind": "linear", "start": draw(rates), "end": draw(rates)}
        if draw(st.booleans()):
            a = draw(st.integers(BASE + 1, END - 1))
            g.update(from_year=a, to_year=draw(st.integers(a + 1, END + 1)))
        return g
    if kind == "to_target":
        return {
            "kind": "to_target",
            "value": x0 * draw(st.floats(0.7, 2.0)),
            "year": draw(st.integers(BASE + 1, END + 2)),
        }
    if kind == "logistic":
        return {
            "kind": "logistic",
            "capacity": x0 * draw(st.floats(0.5, 4.0)),
            "rate": draw(st.floats(0.0, 0.8)),
        }
    return {
        "kind": "elasticity",
        "to": draw(st.sampled_from(follow)),
        "elasticity": draw(st.floats(-0.5, 2.0)),
    }


def goal(draw: st.DrawFn, centre: float, spread: float) -> dict[str, Any]:
    """A goal near ``centre`` so that targets are met in some examples and not others."""
    a = centre + spread * draw(st.floats(-1, 1))
    kind = draw(st.sampled_from(["at_least", "at_most", "between"]))
    if kind == "between":
        return {"between": [a, a + abs(spread) * draw(st.floats(0, 2))]}
    return {kind: a}


def _drop_none_growth(node: Any) -> None:
    """``growth: None`` (no growth) is written by leaving the key out (§5)."""
    if isinstance(node, dict):
        if node.get("growth", 0) is None:
            del node["growth"]
        for v in node.values():
            _drop_none_growth(v)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    """A small scenario with clusters, firms, indicators, history, metrics and one target
    of every kind (§13)."""
    gdp0 = draw(st.floats(100, 1000))
    region: dict[str, Any] = {
        "gdp": {"base": gdp0, "growth": draw(growths(gdp0, [], False))},
        "industrial_output": {"base": gdp0 * 1.5, "growth": draw(growths(gdp0 * 1.5, ["gdp"]))},
        "population": {"base": 50.0, "growth": draw(growths(50.0, ["gdp"]))},
        "rd_rest": {
            "base": 5.0,
            "growth": draw(growths(5.0, ["gdp", "industrial_output", "cluster_output"])),
        },
        "energy_rest": {"base": 40.0, "growth": draw(growths(40.0, ["gdp", "lv", "st_flow"]))},
        "history": {
            "gdp": {BASE - 2: gdp0 * 0.8, BASE - 1: gdp0 * draw(st.floats(0.8, 1.0))},
            "energy_intensity": {
                BASE - 2: draw(st.floats(0.05, 0.3)),
                BASE - 1: draw(st.floats(0.05, 0.3)),
            },
        },
    }
    n = draw(st.integers(1, 3))
    clusters: dict[str, Any] = {}
    for i in range(n):
        o0 = draw(st.floats(10, 600))
        c: dict[str, Any] = {
            "name": f"c{i}",
            "output": {"base": o0, "growth": draw(growths(o0, ["gdp", "industrial_output"]))},
            "va_ratio": {"base": draw(st.floats(0.1, 0.6)), "growth": draw(st.floats(-0.03, 0.03))},
            "energy_per_va": {
                "base": draw(st.floats(0.1, 2.0)),
                "growth": draw(growths(1.0, ["output", "gdp"])),
            },
            "history": {"output": {BASE - 1: o0 * draw(st.floats(0.7, 1.1))}},
        }
        if draw(st.booleans()):
            c["rd"] = {"base": o0 * 0.02, "growth": draw(growths(o0 * 0.02, ["output", "gdp"]))}
        else:
            c["rd"] = {
                "share_of_output": {
                    "base": draw(st.floats(0.0, 0.1)),
                    "growth": draw(st.floats(-0.05, 0.1)),
                }
            }
        # cluster c0 always uses entries: with firm growth paths only, production crashes
        # (see test_stock_target_on_firms_with_growth_paths_only)
        if i == 0 or draw(st.booleans()):
            c["firms"] = {
                "base": draw(st.floats(10, 100)),
                "exit_rate": draw(st.floats(0, 0.2)),
                "entries": {"base": draw(st.floats(0, 20)), "growth": draw(rates)},
            }
        else:
            # no uncertain firm growth: the blocked engine crashes on it (see
            # test_blocked_firms_growth_with_uncertain_rate)
            f0 = draw(st.floats(10, 100))
            c["firms"] = {"base": f0, "growth": draw(growths(f0, [], False, False))}
        clusters[f"c{i}"] = c
    cids = list(clusters)
    members = draw(st.lists(st.sampled_from(cids), min_size=1, max_size=n, unique=True))
    indicators = {
        "lv": {"kind": "level", "name": "lv", "base": 20.0, "growth": draw(growths(20.0, ["gdp"]))},
        "st": {
            "kind": "stock",
            "name": "st",
            "base": 100.0,
            "exit_rate": draw(st.floats(0, 0.3)),
            "flow": {"base": 10.0, "growth": draw(growths(10.0, ["gdp", "population"]))},
        },
    }
    metrics = {
        "sh": "sum(output, group=g) / industrial_output",
        "va_pc": "mean(value_added) / population + max(output) * 0 - min(rd) * 0",
        "cl": "output / gdp * 100",
        "osh": "sum(output) / gdp",  # read in a history year from its names' history (§6)
    }
    y = draw(st.integers(BASE + 1, END))
    y0 = draw(st.integers(BASE - 2, y - 1))
    tiers = [
        {"threshold": draw(st.floats(10, 800)), "at_least": draw(st.integers(0, 2))}
        for _ in range(draw(st.integers(1, 2)))
    ]
    mk = draw(st.sampled_from(["gdp", "sh", "rd_intensity", "energy_intensity", "lv", "st"]))
    # only gdp and energy_intensity have history in both earlier years
    w0 = y0 if mk in ("gdp", "energy_intensity") else max(y0, BASE)
    targets: dict[str, Any] = {
        "level": {
            "kind": "level",
            "metric": f"output[{cids[0]}]",
            "year": y,
            **goal(draw, 200, 200),
        },
        "stock": {"kind": "stock", "metric": "sum(firms)", "year": y, **goal(draw, 80 * n, 50)},
        "share": {
            "kind": "share",
            "numerator": "rd_total",
            "denominator": "gdp",
            "year": y,
            **goal(draw, 0.02, 0.02),
        },
        "gsum": {
            "kind": "group_sum",
            "variable": draw(st.sampled_from(["output", "energy", "cl"])),
            "group": "g",
            "year": y,
            **goal(draw, 200, 300),
        },
        "cagr": {
            "kind": "cagr",
            "metric": "gdp",
            "from_year": draw(st.integers(BASE - 2, y - 1)),
            "year": y,
            **goal(draw, 0.05, 0.1),
        },
        "gey": {
            "kind": "growth_every_year",
            "metric": mk,
            "from_year": w0,
            "year": y,
            **goal(draw, 0.03, 0.1),
        },
        "cvs": {
            "kind": "change_vs",
            "metric": mk,
            "relative_to": w0,
            "year": y,
            **goal(draw, 0.0, 0.3),
        },
        "pp": {
            "kind": "pp_change_per_year",
            "metric": "osh",
            "from_year": max(y0, BASE - 1),
            "year": y,
            **goal(draw, 0.0, 0.02),
        },
        "flow": {
            "kind": "flow_every_year",
            "metric": "st_flow",
            "from_year": max(y0, BASE),
            "year": y,
            **goal(draw, 10, 3),
        },
        "count": {
            "kind": "count_over",
            "variable": draw(st.sampled_from(["output", "value_added", "cl"])),
            "threshold": draw(st.floats(10, 800)),
            "year": y,
            **goal(draw, 1, 1),
        },
        "tiers": {
            "kind": "count_over",
            "variable": "output",
            "group": draw(st.sampled_from(["g", None])),
            "tiers": tiers,
            "bands": draw(st.booleans()),
            "year": y,
        },
    }
    for t in targets.values():
        t["label"] = "t"
        if t.get("group") is None:
            t.pop("group", None)
    _drop_none_growth(region)
    for c in clusters.values():
        _drop_none_growth(c)
    for ind in indicators.values():
        _drop_none_growth(ind)
    return doc(
        base_year=BASE,
        end_year=END,
        region=region,
        clusters=clusters,
        groups={"g": {"name": "g", "clusters": members}},
        indicators=indicators,
        metrics=metrics,
        targets=targets,
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios(), st.sampled_from([1, 4]), st.integers(0, 2**16))
def test_random_scenarios_agree(d: dict[str, Any], samples: int, seed: int) -> None:
    both(d, samples=samples, seed=seed)


# --- where production disagrees with the documentation ---------------------------------------


def test_stock_target_on_firms_with_growth_paths_only() -> None:
    d = doc(
        clusters={"a": {"name": "a", "output": {"base": 10}, "firms": {"base": 10, "growth": 0.1}}},
        targets={
            "f": {
                "kind": "stock",
                "label": "t",
                "metric": "sum(firms)",
                "year": 2026,
                "at_least": 13,
            }
        },
    )
    # the reference: 10 × 1.1³ = 13.31
    assert close(run_reference(d).targets["f"].value, [13.31])
    both(d)


def test_a_constant_metric_is_refused_with_its_line() -> None:
    """A metric that reads no series (``2 ** 2``) has no samples or years: production
    refuses it by name (it used to store a 0-d array and fail with IndexError). The
    reference engine would broadcast it; the documented rule is now the refusal."""
    d = doc(
        metrics={"k": "2 ** 2"},
        targets={"f": level("k", 2026, at_least=3)},
    )
    ref = run_reference(d)
    assert close(ref.series["k"][0], [4, 4, 4, 4])  # what a broadcast would give
    with pytest.raises(cs.ScenarioError, match=r"metrics\.k: .*reads no series"):
        cs.run(cs.Scenario.model_validate(d), samples=3, seed=1)


def test_blocked_firms_growth_with_uncertain_rate() -> None:
    """The blocked (sweep) engine's firm recurrence for firms with their own uncertain growth
    (the untested path of issue 22: it raised 'non-broadcastable output operand')."""
    rate = {"dist": "uniform", "low": -0.02, "high": 0.1}
    d = doc(
        end_year=2025,
        clusters={
            "a": {
                "name": "a",
                "output": {"base": 10},
                "firms": {"base": 10, "entries": {"base": 1}},
            },
            "b": {"name": "b", "output": {"base": 10}, "firms": {"base": 10, "growth": rate}},
        },
        targets={
            "f": {
                "kind": "stock",
                "label": "t",
                "metric": "sum(firms)",
                "year": 2025,
                "at_least": 22,
            }
        },
    )
    sc = Scenario.model_validate(d)
    draws = production_draws(sc, 4, 1)
    ref = run_reference(scenario_document(sc), draws, 4)
    # by hand: a = 10 + 1 + 1 = 12; b = 10 (1 + r)^2 in each sample
    r = draws["clusters.b.firms.growth.rate"]
    assert close(ref.targets["f"].value, 12 + 10 * (1 + r) ** 2)
    assert_agree(sc, ref, cs.run(sc, samples=4, seed=1, required=False))  # run() agrees
    assert_targets_agree("blocked", run_targets(sc, samples=4, seed=1, engine="numpy"), ref)


# --- integer indicators (issue 13: counts are integers) ---------------------------------------


def test_integer_indicators_count_whole_units() -> None:
    """§9 ``integer: true``: the indicator is the whole units of its projection. A stock fed
    0.25 a year from 0 is 0.25, 0.5, 0.75, 1.0 -> 0, 0, 0, 1 (the fourth quarter completes
    one: 0.25 x 4 may round an ulp below 1); a level 2.6 growing 50% is 2.6, 3.9, 5.85 ->
    2, 3, 5. Production, the blocked engine and the reference agree, and the internal
    continuous series is not among the results."""
    d = doc(
        end_year=2027,
        indicators={
            "nat": {
                "kind": "stock",
                "name": "n",
                "base": 0,
                "integer": True,
                "flow": {"base": 0.25},
            },
            "lvl": {"kind": "level", "name": "l", "base": 2.6, "growth": 0.5, "integer": True},
        },
        targets={
            "n23": {
                "kind": "stock",
                "label": "t",
                "metric": "nat",
                "year": 2027,
                "between": [2, 3],
            },
            "l": level("lvl", 2025, at_least=5),
        },
    )
    ref, prod = both(d)
    assert close(ref.series["nat"][0], [0, 0, 0, 0, 1])
    assert close(prod.series["nat"][0], [0, 0, 0, 0, 1])
    assert close(prod.series["lvl"][0], [2, 3, 5, 8, 13])  # 2.6 x 1.5^k: 8.775, 13.1625
    assert not any(name.startswith("_") for name in prod.series)
    assert prod.target("n23").value[0] == 1.0 and not prod.target("n23").met[0]
    assert prod.target("l").value[0] == 5.0 and prod.target("l").met[0]  # 5.85 -> 5


def test_integer_count_from_an_uncertain_pace_is_a_whole_number_per_sample() -> None:
    """An uncertain pace f ~ U(0, 0.75) a year: the count after four years is floor(4 f),
    sample by sample, on the production draws; every engine gives the same whole numbers."""
    d = doc(
        end_year=2027,
        indicators={
            "nat": {
                "kind": "stock",
                "name": "n",
                "base": 0,
                "integer": True,
                "flow": {"base": {"dist": "uniform", "low": 0.0, "high": 0.75}},
            },
        },
        targets={
            "n": {"kind": "stock", "label": "t", "metric": "nat", "year": 2027, "at_least": 2}
        },
    )
    sc = Scenario.model_validate(d)
    draws = production_draws(sc, 200, 3)
    [f] = draws.values()
    want = np.floor(4 * np.asarray(f) + 1e-9)
    _, prod = both(d, samples=200, seed=3)
    got = prod.target("n").value
    assert np.array_equal(got, want) and set(np.unique(got)) <= {0.0, 1.0, 2.0, 3.0}
    assert 0 < prod.target("n").probability < 1
    # a count's median and percentiles are sample values: whole numbers
    tr = prod.target("n")
    assert tr.integer and float(tr.median_value).is_integer()
    assert all(float(v).is_integer() for v in tr.percentiles().values())
    assert prod.target("n").probability == float(np.mean(want >= 2))
    if importlib.util.find_spec("numba") is not None:
        outs = run_targets(sc, samples=200, seed=3, engine="numba")
        assert np.array_equal(outs["n"].value, want)
