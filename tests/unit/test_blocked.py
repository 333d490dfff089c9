"""The blocked, time-major targets-only path agrees with the independent reference engine
(tests/engines), and its chunks and blocks with one run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from tests.engines.test_reference import assert_targets_agree

import clustersim as cs
from clustersim.bench.workloads import synthetic_dict, synthetic_scenario
from clustersim.core.blocked import Scaled, evaluate_targets, project_time_major
from clustersim.core.project import project
from clustersim.engine import run_targets
from clustersim.engines.reference import production_draws, run_reference, scenario_document

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def _agree(sc: cs.Scenario, samples: int, seed: int, block: int) -> None:
    """The blocked engine's targets equal the independent reference engine's (its own
    target arithmetic, docs/scenario-format.md), sample by sample, on the same draws."""
    comp = cs.compile_scenario(sc, samples=samples, seed=seed, draw=samples > 1)
    specs = [ct.spec for ct in comp.targets.values()]
    fast = evaluate_targets(comp.model, specs, comp.metrics, block=block)
    ref = run_reference(scenario_document(sc), production_draws(sc, samples, seed), samples)
    assert_targets_agree(f"{sc.id} (blocked, block={block})", fast, ref)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_agree(path: Path) -> None:
    _agree(cs.load_scenario(path), samples=12, seed=11, block=5)


@settings(max_examples=15, deadline=None)
@given(
    clusters=st.integers(4, 12),
    years=st.integers(4, 14),
    samples=st.integers(1, 12),
    block=st.integers(1, 40),
    parametric=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_random_scenarios_agree(
    clusters: int, years: int, samples: int, block: int, parametric: bool, seed: int
) -> None:
    sc = synthetic_scenario(clusters, years, parametric=parametric)
    _agree(sc, samples=samples, seed=seed, block=block)


def test_time_major_series_equal_reference_trajectories() -> None:
    """Every series, time-major and blocked, equals the (S, C, T) reference to 1e-12."""
    comp = cs.compile_scenario(synthetic_scenario(6, 9), samples=40, seed=2)
    ref = project(comp.model)
    rows = slice(10, 25)
    tm = project_time_major(comp.model, rows=rows)
    for name, arr in ref.items():
        v = tm[name]
        full = v.full() if isinstance(v, Scaled) else v
        want = np.moveaxis(arr[rows], -1, 0)  # (T, B, [C])
        assert_allclose(np.broadcast_to(full, want.shape), want, rtol=1e-12, err_msg=name)


def test_fixed_ratios_stay_factorised() -> None:
    """value_added, energy and rd are output times sample-invariant factors: never (T, B, C)."""
    comp = cs.compile_scenario(synthetic_scenario(6, 9), samples=50, seed=2)
    tm = project_time_major(comp.model, need=["energy_total", "rd_total"])
    for name in ("value_added", "energy", "rd"):
        v = tm[name]
        assert isinstance(v, Scaled), name
        # output times the factor (which of the two is the base follows the op's terms)
        output, factor = (v.base, v.scale) if v.base is tm["output"] else (v.scale, v.base)
        assert output is tm["output"], name
        assert factor.shape[1] == 1, name


def test_run_targets_equals_run_in_chunks() -> None:
    """Chunked drawing + blocked projection gives the numbers of one `run`."""
    sc = synthetic_scenario(8, 10)
    ref = cs.run(sc, samples=500, seed=9, required=False)
    out = run_targets(sc, samples=500, seed=9, chunk=130, block=37)
    for t in ref.targets:
        scale = max(1.0, float(np.max(np.abs(t.value))))
        assert_allclose(out[t.id].value, t.value, rtol=1e-12, atol=1e-12 * scale, err_msg=t.id)


def test_run_targets_one_sample_uses_central_values() -> None:
    sc = synthetic_scenario(5, 6)
    ref = cs.run(sc, required=False)
    out = run_targets(sc, samples=1)
    for t in ref.targets:
        assert_allclose(out[t.id].value, t.value, rtol=1e-12, atol=1e-13)


def test_negative_level_through_elasticity_is_an_error() -> None:
    d = synthetic_dict(5, 6, parametric=False)
    d["region"]["gdp"]["growth"] = -0.5
    d["region"]["rd_rest"]["growth"]["elasticity"] = 3.0  # -150% a year
    with pytest.raises(cs.ModelError, match="rd_rest"):
        run_targets(cs.Scenario.model_validate(d), samples=4, seed=1)


def test_a_run_too_large_for_memory_is_refused_before_it_starts() -> None:
    """run() keeps every trajectory: a size that cannot fit is refused, naming the way out."""
    from clustersim.engine import MAX_RUN_BYTES, run_bytes

    sc = synthetic_scenario(20, 12)
    n = MAX_RUN_BYTES // run_bytes(sc, 1) + 1
    assert run_bytes(sc, n) > MAX_RUN_BYTES
    with pytest.raises(cs.ModelError, match="clustersim sweep"):
        cs.run(sc, samples=int(n), seed=1)
