"""The compiled inverse normal CDF and where the accelerated engine uses it."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

pytest.importorskip("numba")
from scipy.special import ndtri as scipy_ndtri

import clustersim as cs
from clustersim.accel.draws import ndtri
from clustersim.bench.workloads import synthetic_dict, synthetic_scenario
from clustersim.engine import run_targets
from clustersim.engines import ENGINES
from clustersim.sampling.normal_cdf import ndtri as numpy_ndtri
from clustersim.values.numbers import Normal


def test_agrees_with_scipy_to_a_few_ulp_everywhere() -> None:
    rng = np.random.default_rng(11)
    u = np.concatenate(
        [
            rng.random(200_000),  # the central region and both tails
            10.0 ** rng.uniform(-300, -1, 2_000),  # deep lower tail (r > 5 branch too)
            1.0 - 10.0 ** rng.uniform(-16, -1, 2_000),  # upper tail
        ]
    )
    z, ref = ndtri(u), scipy_ndtri(u)
    assert np.all(np.isfinite(z))
    assert_allclose(z, ref, rtol=4e-15, atol=4e-15)
    # symmetric: z(1 - u) = -z(u), for u with an exact 1 - u
    half = rng.integers(1, 2**19, 1000) / 2.0**20
    assert_allclose(ndtri(1.0 - half), -ndtri(half), rtol=1e-15, atol=1e-15)


def test_known_quantiles_limits_and_shapes() -> None:
    z = ndtri(np.array([0.5, 0.975, 0.025, 0.0, 1.0, np.nan]))
    assert z[0] == 0.0
    assert z[1] == pytest.approx(1.959963984540054, rel=1e-15)
    assert z[2] == pytest.approx(-1.959963984540054, rel=1e-15)
    assert z[3] == -np.inf and z[4] == np.inf and np.isnan(z[5])
    grid = np.array([[0.1, 0.2], [0.3, 0.9]])
    out = ndtri(grid)
    assert out.shape == (2, 2)
    assert_allclose(out, scipy_ndtri(grid), rtol=1e-15)


def test_the_distributions_draw_with_it_only_when_given() -> None:
    d = Normal(dist="normal", mean=0.05, sd=0.02)
    u = np.random.default_rng(3).random(50_000)
    plain = d.ppf(u)
    assert_array_equal(plain, 0.05 + 0.02 * numpy_ndtri(u))  # AS241 in NumPy, bit for bit
    assert ENGINES["numba"].inverse_normal() is ndtri
    fast = d.ppf(u, inverse_normal=ENGINES["numba"].inverse_normal())
    assert_array_equal(d.ppf(u), plain)  # no state left behind
    assert_allclose(fast, plain, rtol=1e-14, atol=1e-16)  # (draws near 0 cancel)
    assert ENGINES["numpy"].inverse_normal() is None
    assert ENGINES["projection"].inverse_normal() is None


def test_run_targets_numba_uses_buffers_once_per_chunk_and_agrees() -> None:
    """With a sink the kernel writes every chunk into the same buffers; what the sink
    copies out equals the numpy engine's result (which draws with scipy)."""
    sc = synthetic_scenario(12, 10)
    got: dict[str, list[np.ndarray]] = {}
    seen: set[int] = set()

    def sink(start: int, outs: dict[str, cs.Outcome]) -> None:
        for tid, o in outs.items():
            got.setdefault(tid, []).append(o.value.copy())
            seen.add(id(o.value.base))

    run_targets(sc, samples=1003, seed=8, chunk=250, sink=sink, engine="numba")
    ref = run_targets(sc, samples=1003, seed=8, chunk=250, engine="numpy")
    assert len(seen) == 1  # one buffer served all five chunks
    for tid, r in ref.items():
        v = np.concatenate(got[tid])
        scale = max(1.0, float(np.max(np.abs(r.value))))
        assert_allclose(v, r.value, rtol=1e-12, atol=1e-12 * scale, err_msg=tid)


def test_a_target_that_is_not_finite_is_named_by_both_engines() -> None:
    d = synthetic_dict(6, 6, parametric=False)
    d["metrics"]["zero"] = "gdp - gdp"
    d["targets"]["broken"] = {
        "kind": "level",
        "label": "broken",
        "metric": "rd_total / zero",
        "year": d["end_year"],
        "at_least": 1,
    }
    sc = cs.Scenario.model_validate(d)
    for engine in ("numpy", "numba"):
        with pytest.raises(cs.ModelError, match="target broken: the value is not finite"):
            run_targets(sc, samples=11, seed=1, engine=engine)


def test_a_scenario_without_clusters_runs_in_the_kernel() -> None:
    """Region series only (C = 0): the kernel's scratch must not assume a cluster."""
    from clustersim.accel.kernel import evaluate_targets as fused
    from clustersim.core.blocked import evaluate_targets as blocked

    d = {
        "id": "regional",
        "name": "regional",
        "base_year": 2020,
        "end_year": 2024,
        "region": {"gdp": {"base": 100, "growth": {"dist": "uniform", "low": 0.0, "high": 0.1}}},
        "indicators": {
            "e": {
                "kind": "level",
                "name": "e",
                "base": 2,
                "growth": {"dist": "normal", "mean": 0.05, "sd": 0.02},
            },
        },
        "targets": {
            "g": {
                "kind": "level",
                "label": "g",
                "metric": "gdp + e",
                "year": 2024,
                "at_least": 120,
            },
            "c": {
                "kind": "cagr",
                "label": "c",
                "metric": "gdp",
                "from_year": 2020,
                "year": 2024,
                "at_least": 0.05,
            },
        },
    }
    for samples in (3, 8, 37):
        comp = cs.compile_scenario(cs.Scenario.model_validate(d), samples=samples, seed=2)
        specs = [t.spec for t in comp.targets.values()]
        got, ref = fused(comp.model, specs, comp.metrics), blocked(comp.model, specs, comp.metrics)
        for tid in ref:
            assert_allclose(got[tid].value, ref[tid].value, rtol=1e-12, err_msg=tid)
            assert_array_equal(got[tid].met, ref[tid].met)
        # by hand: gdp compounds its one drawn rate, e its own
        gdp = comp.model.ops[0]
        assert gdp.name == "gdp"
        assert_allclose(
            got["c"].value, (1.0 + np.broadcast_to(gdp.rates[:, 0], samples)) - 1.0, rtol=1e-12
        )
