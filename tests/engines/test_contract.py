"""Every registered engine, held to the independent reference engine.

Parametrised over :data:`clustersim.engines.ENGINES` (a new engine is tested by registering
it) x scenarios that together use every target kind and every growth kind of the
registries; the engine's per-sample value, margin and met must agree with
:func:`clustersim.engines.reference.run_reference` (plain loops written from
docs/scenario-format.md, sharing no arithmetic with production) on the same draws.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.engines.test_reference import assert_targets_agree, scenarios

import clustersim as cs
from clustersim.bench.workloads import synthetic_dict, synthetic_scenario
from clustersim.engine import run_targets
from clustersim.engines import ENGINES
from clustersim.engines.reference import production_draws, run_reference, scenario_document
from clustersim.kinds.growth import GROWTH_KINDS
from clustersim.kinds.targets import TARGET_KINDS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "example.yaml"


def _engines() -> list[Any]:
    out = []
    for name, engine in ENGINES.items():
        marks = []
        if not engine.available():
            marks.append(pytest.mark.skip(reason=f"{name} is not available here"))
        out.append(pytest.param(name, marks=marks, id=name))
    return out


#: the plan language of issue 13: nested clusters, counts over groups, strict and "about"
#: goals, and the window kinds cumulative / change_since / reached_by / pp_change
LANGUAGE: dict[str, Any] = {
    "id": "language",
    "name": "language",
    "base_year": 2023,
    "end_year": 2027,
    "region": {
        "gdp": {"base": 5000, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.02}},
        "industrial_output": {"base": 6000, "growth": 0.03},
    },
    "clusters": {
        "equipment": {
            "name": "equipment",
            "output": {"base": 900, "growth": {"dist": "uniform", "low": 0.0, "high": 0.1}},
        },
        "ships": {"name": "ships", "parent": "equipment", "output": {"base": 300, "growth": 0.05}},
        "materials": {"name": "materials", "output": {"base": 700, "growth": 0.08}},
        "chem": {
            "name": "chem",
            "output": {"base": 500, "growth": {"dist": "normal", "mean": 0.06, "sd": 0.03}},
        },
        "digital": {
            "name": "digital",
            "output": {"base": 400, "growth": 0.12},
            "firms": {"base": 100, "entries": {"base": 12, "growth": 0.05}, "exit_rate": 0.02},
        },
    },
    "groups": {
        "heavy": {"name": "heavy", "clusters": ["equipment", "ships", "materials"]},
        "new": {"name": "new", "clusters": ["chem", "digital"]},
        "dig": {"name": "dig", "clusters": ["digital"]},
    },
    "metrics": {"digital_share": "sum(output, group=new) / industrial_output"},
    "targets": {
        "over_groups": {
            "kind": "count_over",
            "label": "groups of 1,500",
            "over": ["heavy", "new"],
            "threshold": 1500,
            "year": 2027,
            "between": [1, 2],
        },
        "top_level": {
            "kind": "count_over",
            "label": "top-level clusters of 700",
            "threshold": 700,
            "year": 2026,
            "more_than": 1,
        },
        "in_group": {
            "kind": "count_over",
            "label": "heavy members of 700",
            "group": "heavy",
            "threshold": 700,
            "year": 2026,
            "at_least": 2,
        },
        "gdp_strict": {
            "kind": "level",
            "label": "GDP over 6,000",
            "metric": "gdp",
            "year": 2026,
            "more_than": 6000,
        },
        "share_about": {
            "kind": "share",
            "label": "share about 20%",
            "numerator": "sum(output, group=new)",
            "denominator": "industrial_output",
            "year": 2027,
            "about": {"value": 0.2, "tolerance": 0.02},
        },
        "cumulative_entries": {
            "kind": "cumulative",
            "label": "entries 2024-2026",
            "metric": "sum(entries, group=dig)",
            "from_year": 2024,
            "year": 2026,
            "at_least": 38,
        },
        "new_firms": {
            "kind": "change_since",
            "label": "new firms since 2023",
            "metric": "sum(firms, group=dig)",
            "from_year": 2023,
            "year": 2026,
            "at_least": 30,
        },
        "reached": {
            "kind": "reached_by",
            "label": "equipment 1,000 by 2027",
            "metric": "sum(output, group=heavy)",
            "from_year": 2024,
            "year": 2027,
            "at_least": 2300,
        },
        "pp": {
            "kind": "pp_change",
            "label": "share up 2 pp",
            "metric": "digital_share",
            "from_year": 2023,
            "year": 2027,
            "less_than": 0.05,
        },
        # x@YEAR (issue 13): a ratio to a fixed year in a window, a region difference, and a
        # cluster-level ratio counted
        "up_on_2024": {
            "kind": "reached_by",
            "label": "equipment up 20% on 2024 once in 2025-2027",
            "metric": "output[equipment] / output[equipment]@2024",
            "from_year": 2025,
            "year": 2027,
            "at_least": 1.2,
        },
        "gdp_gain": {
            "kind": "level",
            "label": "GDP up more than 1,000 on 2023",
            "metric": "gdp - gdp@2023",
            "year": 2027,
            "more_than": 1000,
        },
        "grown_clusters": {
            "kind": "count_over",
            "label": "clusters up 25% on 2023",
            "variable": "output / output@2023",
            "threshold": 1.25,
            "year": 2027,
            "at_least": 3,
        },
    },
}


def _shocks() -> dict[str, Any]:
    """Issue 15: yearly shocks on every growth kind, two factors (one AR(1)), AR(1)
    deviations, an uncertain sd and a Gaussian copula over a chain of three numbers."""
    d = synthetic_dict(8, 6, shocks=True)
    sh = {"sd": {"dist": "uniform", "low": 0.01, "high": 0.05}, "ar": 0.5, "factor": "group"}
    d["region"]["rd_rest"]["growth"]["shocks"] = {"sd": 0.02, "factor": "region"}
    d["region"]["industrial_output"]["growth"] = {
        "kind": "linear",
        "start": 0.02,
        "end": {"dist": "normal", "mean": 0.06, "sd": 0.01},
        "shocks": sh,
    }
    d["indicators"]["loans"]["growth"] = {
        "kind": "path",
        "rates": {2025: 0.1, 2027: 0.02},
        "interpolation": "linear",
        "shocks": {"sd": 0.05},
    }
    d["indicators"]["patents"] = {
        "kind": "level",
        "name": "patents",
        "base": 10.0,
        "growth": {"kind": "to_target", "value": 20.0, "year": 2028, "shocks": {"sd": 0.04}},
    }
    d["clusters"]["c007"]["firms"] = {
        "base": 50,
        "growth": {"kind": "logistic", "capacity": 200, "rate": 0.4, "shocks": {"sd": 0.03}},
    }
    d["shocks"]["factors"]["group"] = {"ar": 0.0}
    rates = [f"clusters.c00{i}.output.growth.rate" for i in range(3)]
    d["shocks"]["correlations"] = [
        {"between": rates[:2], "rho": 0.5},
        {"between": [rates[1], "region.industrial_output.growth.end"], "rho": -0.4},
        {"between": [rates[2], "region.gdp.growth.rate"], "rho": 0.3},
    ]
    return d


def _contract_scenarios() -> dict[str, cs.Scenario]:
    return {
        "example": cs.load_scenario(EXAMPLE),
        "synthetic": synthetic_scenario(8, 6),
        "language": cs.Scenario.model_validate(LANGUAGE),
        "shocks": cs.Scenario.model_validate(_shocks()),
    }


def _kinds(sc: cs.Scenario) -> tuple[set[str], set[str]]:
    targets = {t.kind for t in sc.targets.values()}
    growth: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("kind")
            if isinstance(kind, str) and kind in GROWTH_KINDS:
                growth.add(kind)
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(sc.model_dump(mode="python"))
    return targets, growth


def test_the_contract_scenarios_cover_every_kind() -> None:
    """If a kind is added to a registry, a contract scenario must use it (or this fails)."""
    targets: set[str] = set()
    growth: set[str] = set()
    for sc in _contract_scenarios().values():
        t, g = _kinds(sc)
        targets |= t
        growth |= g
    assert targets == set(TARGET_KINDS)
    assert growth == set(GROWTH_KINDS)


@pytest.mark.parametrize("engine", _engines())
@pytest.mark.parametrize("name", ["example", "synthetic", "language", "shocks"])
@pytest.mark.parametrize("samples", [1, 24])
def test_every_engine_agrees_with_the_reference(engine: str, name: str, samples: int) -> None:
    sc = _contract_scenarios()[name]
    ref = run_reference(scenario_document(sc), production_draws(sc, samples, 5), samples)
    outs = run_targets(sc, samples=samples, seed=5, engine=engine)
    assert set(outs) == set(ref.targets)
    assert_targets_agree(f"{name} ({engine}, {samples} samples)", outs, ref)


@pytest.mark.parametrize(
    "engine",
    [name for name in ENGINES if name != "numba"],  # numba compiles a kernel per structure
)
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=scenarios(), samples=st.sampled_from([1, 4]), seed=st.integers(0, 2**16))
def test_every_engine_agrees_on_generated_scenarios(
    engine: str, d: dict[str, Any], samples: int, seed: int
) -> None:
    sc = cs.Scenario.model_validate(d)
    ref = run_reference(scenario_document(sc), production_draws(sc, samples, seed), samples)
    outs = run_targets(sc, samples=samples, seed=seed, engine=engine)
    assert_targets_agree(f"generated ({engine})", outs, ref)


def test_numba_is_registered_and_optional() -> None:
    assert set(ENGINES) >= {"numpy", "numba", "projection"}
    assert ENGINES["numba"].available() == (importlib.util.find_spec("numba") is not None)
