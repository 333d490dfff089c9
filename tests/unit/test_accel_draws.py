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
from clustersim.engine import PARALLEL_THREADS, run_targets
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
    assert_array_equal(plain, 0.05 + 0.02 * scipy_ndtri(u))  # scipy's, bit for bit
    assert_allclose(plain, 0.05 + 0.02 * numpy_ndtri(u), rtol=1e-14, atol=1e-16)  # AS241
    assert ENGINES["numba"].inverse_normal() is ndtri
    fast = d.ppf(u, inverse_normal=ENGINES["numba"].inverse_normal())
    assert_array_equal(d.ppf(u), plain)  # no state left behind
    assert_allclose(fast, plain, rtol=1e-14, atol=1e-16)  # (draws near 0 cancel)
    assert ENGINES["numpy"].inverse_normal() is None
    assert ENGINES["projection"].inverse_normal() is None


@pytest.mark.parametrize(("overlap", "buffers"), [(False, 1), (True, PARALLEL_THREADS + 1)])
def test_run_targets_numba_reuses_buffers_chunk_after_chunk_and_agrees(
    overlap: bool, buffers: int
) -> None:
    """With a sink the kernel writes every chunk into the same buffers (on one thread; one
    set per chunk in hand on two); what the sink copies out equals the numpy engine's
    result (which draws with scipy)."""
    sc = synthetic_scenario(12, 10)
    got: dict[str, list[np.ndarray]] = {}
    seen: set[int] = set()

    def sink(start: int, outs: dict[str, cs.Outcome]) -> None:
        for tid, o in outs.items():
            got.setdefault(tid, []).append(o.value.copy())
            seen.add(id(o.value.base))

    kw = {"samples": 2003, "seed": 8, "chunk": 250}
    run_targets(sc, sink=sink, engine="numba", overlap=overlap, **kw)
    ref = run_targets(sc, engine="numpy", **kw)
    assert len(seen) == buffers  # 8 or 10 chunks, 3 in hand at most when overlapped
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


def test_tail_passes_give_the_bits_of_one_value_at_a_time() -> None:
    """The tails are evaluated in passes over the compacted values (gather, log, sqrt,
    both polynomials and a select, scatter); that must give exactly the bits of AS241's
    tail evaluated value by value, compiled with the same flags."""
    import math

    from numba import njit

    from clustersim.sampling.normal_cdf import _C, _D, _E, _F

    @njit(fastmath={"contract"}, error_model="numpy")
    def tail(x: float) -> float:  # pragma: no cover (compiled)
        q = x - 0.5
        r = x if q < 0.0 else 1.0 - x
        if not r > 0.0:
            return -math.inf if x == 0.0 else (math.inf if x == 1.0 else math.nan)
        r = math.sqrt(-math.log(r))
        if r <= 5.0:
            r -= 1.6
            v = hc(r) / hd(r)
        else:
            r -= 5.0
            v = he(r) / hf(r)
        return float(-v if q < 0.0 else v)

    def poly(coef: tuple[float, ...]):  # type: ignore[no-untyped-def]
        c = coef

        @njit(fastmath={"contract"}, inline="always")
        def p(x: float) -> float:  # pragma: no cover (compiled)
            v = c[0]
            for k in range(1, 8):
                v = v * x + c[k]
            return float(v)

        return p

    hc, hd, he, hf = poly(_C), poly(_D), poly(_E), poly(_F)
    rng = np.random.default_rng(3)
    u = np.concatenate(
        [
            rng.random(100_000),
            10.0 ** rng.uniform(-320, -1, 20_000),
            1.0 - 10.0 ** rng.uniform(-16.5, -1, 20_000),
            [0.0, 1.0, np.nan, 0.075, 0.925, 5e-324, 1e-11, 1.5e-11, 1.0 - 2.0**-53],
        ]
    )
    z = ndtri(u)
    tails = ~(np.abs(u - 0.5) <= 0.425)
    ref = np.array([tail(x) for x in u[tails]])
    assert_array_equal(z[tails].view(np.int64), ref.view(np.int64))


@pytest.mark.parametrize("seeder", [True, False], ids=["compiled-seeder", "numpy-seeder"])
@pytest.mark.parametrize(
    ("seed", "key", "path", "n", "offset"),
    [
        (1, (), "a", 100_000, 0),
        (7, (3,), "clusters.c001.output.growth.rate", 70_001, 12_345),
        (2**62 + 5, (1, 2), "q", 512, 2**40),
    ],
)
def test_compiled_uniforms_are_numpys_bits(
    monkeypatch: pytest.MonkeyPatch,
    seed: int,
    key: tuple[int, ...],
    path: str,
    n: int,
    offset: int,
    seeder: bool,
) -> None:
    """Importing accel.draws installs a compiled PCG64 in uniform_stream: the same doubles
    as NumPy's Generator, seeded and advanced the same way, whether the compiled code seeds
    and advances the stream too (``install_streams``) or draws from NumPy's seeded
    generator (``install_filler``, what is left without the seeder)."""
    import zlib

    from clustersim.sampling import streams

    assert streams._FILLER is not None  # accel.draws is imported above
    assert streams._STREAMS is not None
    if not seeder:
        monkeypatch.setattr(streams, "_STREAMS", None)
    got = streams.uniform_stream(seed, key, path, n, offset)
    bitgen = np.random.PCG64(
        np.random.SeedSequence(seed, spawn_key=(*key, zlib.crc32(path.encode())))
    )
    bitgen.advance(offset)
    want = np.random.Generator(bitgen).random(n) + 0.5 / 2.0**53
    assert_array_equal(got.view(np.int64), want.view(np.int64))
