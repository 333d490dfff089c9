"""The fused numba kernel agrees with the NumPy core to 1e-12 relative."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.bench.workloads import synthetic_dict, synthetic_scenario
from clustersim.core.blocked import evaluate_targets as numpy_targets
from clustersim.engine import run_targets
from clustersim.engines import resolve_engine

pytest.importorskip("numba")
from clustersim.accel.codegen import generate
from clustersim.accel.kernel import evaluate_targets as fused_targets

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def _agree(comp) -> None:  # type: ignore[no-untyped-def]
    specs = [ct.spec for ct in comp.targets.values()]
    ref = numpy_targets(comp.model, specs, comp.metrics, block=97)
    got = fused_targets(comp.model, specs, comp.metrics)
    for tid, r in ref.items():
        g = got[tid]
        scale = max(1.0, float(np.max(np.abs(r.value))))
        assert_allclose(g.value, r.value, rtol=1e-12, atol=1e-12 * scale, err_msg=tid)
        assert_allclose(g.margin, r.margin, rtol=1e-12, atol=1e-12 * scale, err_msg=tid)
        clear = np.abs(r.margin) > 1e-9 * scale
        assert_array_equal(g.met[clear], r.met[clear], err_msg=tid)


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_scenarios_agree(path: Path) -> None:
    sc = cs.load_scenario(path)
    _agree(cs.compile_scenario(sc, samples=200, seed=5))


@settings(max_examples=12, deadline=None)
@given(
    clusters=st.integers(4, 30),
    years=st.integers(5, 16),
    samples=st.integers(1, 60),
    parametric=st.booleans(),
    seed=st.integers(0, 2**31),
)
def test_random_scenarios_agree(
    clusters: int, years: int, samples: int, parametric: bool, seed: int
) -> None:
    sc = synthetic_scenario(clusters, years, parametric=parametric)
    _agree(cs.compile_scenario(sc, samples=samples, seed=seed, draw=True))


def test_kernel_source_depends_on_structure_not_numbers() -> None:
    """Scenarios of one shape (other sizes, goals, years) share one compiled kernel."""
    a = cs.compile_scenario(synthetic_scenario(8, 10), samples=3, seed=1)
    b = cs.compile_scenario(synthetic_scenario(25, 14), samples=7, seed=2)
    src = [
        generate(c.model, [t.spec for t in c.targets.values()], c.metrics).source for c in (a, b)
    ]
    assert src[0] == src[1]


def test_run_targets_with_numba_equals_numpy() -> None:
    sc = synthetic_scenario(10, 12)
    a = run_targets(sc, samples=2000, seed=4, chunk=700, engine="numpy")
    b = run_targets(sc, samples=2000, seed=4, chunk=700, engine="numba")
    for tid in a:
        scale = max(1.0, float(np.max(np.abs(a[tid].value))))
        assert_allclose(b[tid].value, a[tid].value, rtol=1e-12, atol=1e-12 * scale)


def test_auto_engine_picks_numba_only_for_large_work() -> None:
    assert resolve_engine("auto", 10) == "numpy"
    assert resolve_engine("auto", 10**9) == "numba"
    assert resolve_engine("numpy", 10**9) == "numpy"
    with pytest.raises(cs.ScenarioError, match="unknown engine"):
        resolve_engine("fortran", 1)


def test_negative_level_is_an_error_in_the_kernel_too() -> None:
    d = synthetic_dict(5, 6, parametric=False)
    d["region"]["gdp"]["growth"] = -0.5
    d["region"]["rd_rest"]["growth"]["elasticity"] = 3.0
    with pytest.raises(cs.ModelError, match="rd_rest"):
        run_targets(cs.Scenario.model_validate(d), samples=4, seed=1, engine="numba")
