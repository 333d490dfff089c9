"""The numba engine's compiled forms of firm tier pipelines (region and per-cluster ladders,
ceilings, drawn rates) and of input-output coupling (batched small LU solves, drawn
coefficients) agree with the NumPy engine to 1e-12 relative."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.core.blocked import evaluate_targets as numpy_targets
from clustersim.scenario.models import Scenario

pytest.importorskip("numba")
from tests.unit import test_io as io
from tests.unit import test_tiers as region
from tests.unit import test_tiers_cluster as per_cluster

from clustersim.accel.kernel import evaluate_targets as fused_targets

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def agree(comp: Any) -> None:
    specs = [ct.spec for ct in comp.targets.values()]
    ref = numpy_targets(comp.model, specs, comp.metrics, block=7)
    got = fused_targets(comp.model, specs, comp.metrics)
    assert ref
    for tid, r in ref.items():
        g = got[tid]
        scale = max(1.0, float(np.max(np.abs(r.value))))
        assert_allclose(g.value, r.value, rtol=1e-12, atol=1e-12 * scale, err_msg=tid)
        assert_allclose(g.margin, r.margin, rtol=1e-12, atol=1e-12 * scale, err_msg=tid)
        clear = np.abs(r.margin) > 1e-9 * scale
        assert_array_equal(g.met[clear], r.met[clear], err_msg=tid)


def drawn_region_doc() -> dict[str, Any]:
    tiers = copy.deepcopy(region.THREE)
    tiers["sme"]["promotion"] = {"dist": "triangular", "low": 0.05, "mode": 0.1, "high": 0.15}
    tiers["ht"]["exit_rate"] = {"dist": "uniform", "low": 0.01, "high": 0.04}
    tiers["srdi"]["ceiling"] = {"dist": "uniform", "low": 30, "high": 60}
    return region.doc(
        tiers,
        entries={"base": 100, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.03}},
        end=2030,
        metrics={"srdi_share": "srdi / ht"},
        targets={
            "share": {
                "kind": "level",
                "label": "r",
                "metric": "srdi_share",
                "year": 2030,
                "at_least": 0.12,
            },
            "flow": {
                "kind": "level",
                "label": "f",
                "metric": "srdi_in",
                "year": 2029,
                "at_least": 10,
            },
            "stock": {
                "kind": "stock",
                "label": "s",
                "metric": "sme",
                "year": 2027,
                "at_least": 800,
            },
            "every": {
                "kind": "flow_every_year",
                "label": "e",
                "metric": "ht_in",
                "from_year": 2025,
                "year": 2030,
                "at_least": 80,
            },
        },
    )


@pytest.mark.parametrize("samples", [1, 8, 37])
def test_region_pipeline_with_ceilings_and_draws(samples: int) -> None:
    sc = Scenario.model_validate(drawn_region_doc())
    agree(cs.compile_scenario(sc, samples=samples, seed=11, draw=True))


def test_per_cluster_ladders_with_draws() -> None:
    d = per_cluster.targets_doc()
    ev = d["pipelines"]["ev_ladder"]
    ev["tiers"]["sme"]["promotion"] = {"dist": "uniform", "low": 0.05, "high": 0.15}
    ev["tiers"]["ht"]["ceiling"] = {"dist": "uniform", "low": 300, "high": 500}
    ch = d["pipelines"]["chips_ladder"]
    ch["entries"] = {"base": 40, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.03}}
    sc = Scenario.model_validate(d)
    comp = cs.compile_scenario(sc, samples=29, seed=3, draw=True)
    agree(comp)
    # and the hand-computed central case: 468.1284 high-tech firms in ev in 2026
    fixed = cs.compile_scenario(
        Scenario.model_validate(per_cluster.targets_doc()), samples=3, seed=1
    )
    got = fused_targets(fixed.model, [ct.spec for ct in fixed.targets.values()], fixed.metrics)
    assert_allclose(got["ev_ht"].value, 468.1284, rtol=1e-12)


@pytest.mark.parametrize("samples", [1, 8, 29])
def test_io_with_drawn_coefficients(samples: int) -> None:
    d = io.uncertain()
    d["targets"]["rest"] = {
        "kind": "level",
        "label": "rest",
        "metric": "io_rest_output",
        "year": 2024,
        "at_least": 520,
    }
    d["targets"]["sum"] = {
        "kind": "level",
        "label": "s",
        "metric": "sum(output) + io_rest_output",
        "year": 2025,
        "at_least": 900,
    }
    agree(cs.compile_scenario(Scenario.model_validate(d), samples=samples, seed=4, draw=True))


def test_io_hand_solved_case() -> None:
    # tests/unit/test_io.py: 2024 output of the rest is 500 + 15.695 / 0.6475
    d = io.doc(
        targets={
            "rest": {
                "kind": "level",
                "label": "r",
                "metric": "io_rest_output",
                "year": 2024,
                "at_least": 1,
            }
        }
    )
    comp = cs.compile_scenario(Scenario.model_validate(d), samples=2, seed=1)
    got = fused_targets(comp.model, [ct.spec for ct in comp.targets.values()], comp.metrics)
    assert_allclose(got["rest"].value, 500 + 15.695 / 0.6475, rtol=1e-12)


@pytest.mark.parametrize(
    "name", ["ezhou-2029-tiers.yaml", "shenzhen-2025-tiers.yaml", "jiangxi-2025-io.yaml"]
)
def test_shipped_tier_scenarios(name: str) -> None:
    sc = cs.load_scenario(SCENARIOS / name)
    agree(cs.compile_scenario(sc, samples=40, seed=5))
