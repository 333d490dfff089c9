"""A sweep compiles its scenario's structure once per process (ScenarioCompiler) and each
chunk only builds its arrays: the result of every chunk is exactly a fresh compile's."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import clustersim.compile as compile_mod
from clustersim.compile import Compiled, ScenarioCompiler, compile_scenario
from clustersim.engines import get_engine
from clustersim.sweep import evaluate_chunk, load_sweep, plan_sweep, run_sweep
from clustersim.sweep.designs import quantiles
from clustersim.sweep.evaluate import project_targets, scenario_compiler
from clustersim.sweep.plan import SweepPlan

from .test_shocks import _write

ROOT = Path(__file__).resolve().parents[2]


def _same(a: Any, b: Any, at: str) -> None:
    """``a`` and ``b`` hold the same numbers, bit for bit (dataclasses field by field)."""
    if isinstance(a, np.ndarray):
        assert isinstance(b, np.ndarray), at
        assert a.dtype == b.dtype and a.shape == b.shape, at
        assert np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b).tobytes(), at
    elif dataclasses.is_dataclass(a) and not isinstance(a, type):
        assert type(a) is type(b), at
        for f in dataclasses.fields(a):
            _same(getattr(a, f.name), getattr(b, f.name), f"{at}.{f.name}")
    elif isinstance(a, dict):
        assert list(a) == list(b), at
        for k in a:
            _same(a[k], b[k], f"{at}[{k}]")
    elif isinstance(a, tuple | list):
        assert len(a) == len(b), at
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _same(x, y, f"{at}[{i}]")
    else:
        assert a == b, at


def _inputs(plan: SweepPlan, chunk: int, inv: Any) -> tuple[int, dict[str, Any], dict[str, Any]]:
    from clustersim.compile import correlate_uniforms, correlation_groups

    start, stop = plan.bounds(chunk)
    u = quantiles(plan.design, plan.seed, chunk, start, stop, start)
    uniforms = {d.path: u[:, j] for j, d in enumerate(plan.dims)}
    uniforms.update(correlate_uniforms(correlation_groups(plan.scenario), uniforms, inv))
    drawn = {d.path: d.values(uniforms[d.path], inverse_normal=inv) for d in plan.dims}
    return stop - start, uniforms, drawn


def _assert_same_compile(got: Compiled, want: Compiled, at: str) -> None:
    _same(got.model, want.model, f"{at}: model")
    assert list(got.params) == list(want.params), at
    assert got.shocked == want.shocked and got.seed == want.seed, at
    assert list(got.targets) == list(want.targets) and list(got.metrics) == list(want.metrics)
    assert {k: v for k, v in got.defined.items()} == want.defined, at
    for engine in ("numpy", "projection"):
        a = project_targets(got, engine=engine)
        b = project_targets(want, engine=engine)
        _same((a.value, a.margin, a.met), (b.value, b.margin, b.met), f"{at}: {engine}")


def _plans(tmp_path: Path) -> list[SweepPlan]:
    # zhenjiang (35 targets, 107 sampled numbers) in chunks of 700: the last has 200 rows;
    # the shocks scenario: yearly shocks, a factor and a copula, chunks of 500 and one of 100
    zj = load_sweep(ROOT / "sweeps" / "zhenjiang-mc.yaml", samples=2300)
    zj = plan_sweep(zj)
    zj = dataclasses.replace(zj, chunk_size=700)
    shocked = plan_sweep(load_sweep(_write(tmp_path, samples=1600)))
    return [zj, shocked]


def test_each_chunk_of_a_compiler_equals_a_fresh_compile(tmp_path: Path) -> None:
    for plan in _plans(tmp_path):
        sizes = {plan.bounds(k)[1] - plan.bounds(k)[0] for k in range(plan.n_chunks)}
        assert len(sizes) == 2  # a last chunk of another size
        for engine in ("numpy", "numba"):
            if engine == "numba" and not get_engine("numba").available():
                continue
            inv = get_engine(engine).inverse_normal()
            compiler = ScenarioCompiler(
                plan.scenario, seed=plan.seed, draw=True, inverse_normal=inv
            )
            # the chunks out of order, the short last one first and one twice
            order = [plan.n_chunks - 1, *range(plan.n_chunks), 1]
            for k in order:
                n, uniforms, drawn = _inputs(plan, k, inv)
                got = compiler.compile(samples=n, uniforms=uniforms, spawn_key=(k,), drawn=drawn)
                want = compile_scenario(
                    plan.scenario,
                    samples=n,
                    seed=plan.seed,
                    uniforms=uniforms,
                    spawn_key=(k,),
                    draw=True,
                    inverse_normal=inv,
                    drawn=drawn,
                )
                _assert_same_compile(got, want, f"{plan.scenario.id} chunk {k} ({engine})")
            assert compiler.structure_compiles == 1


def test_a_sweep_compiles_the_scenario_structure_once_per_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = plan_sweep(load_sweep(_write(tmp_path, samples=3000)))
    assert plan.n_chunks == 6
    calls: list[str] = []
    metrics = compile_mod._compile_metrics

    def counted(comp: Compiled, b: Any) -> None:
        calls.append(comp.scenario.id)
        metrics(comp, b)

    monkeypatch.setattr(compile_mod, "_compile_metrics", counted)
    run_sweep(plan, workers=1, engine="numpy")
    assert calls == ["shocked"]  # the pilot chunk and six chunks: one structure
    # a plan of its own (another scenario object) gets a compiler of its own
    other = plan_sweep(load_sweep(_write(tmp_path, samples=1000)))
    calls.clear()
    evaluate_chunk(other, 0)
    evaluate_chunk(other, 1)
    assert calls == ["shocked"]
    assert scenario_compiler(other, "numpy") is scenario_compiler(other, "numpy")
    assert scenario_compiler(other, "numpy") is not scenario_compiler(plan, "numpy")


def test_a_chunk_whose_values_break_a_check_is_still_refused(tmp_path: Path) -> None:
    """Checks of drawn values run for every chunk, not only the one that set the structure."""
    plan = plan_sweep(load_sweep(_write(tmp_path, samples=10)))
    compiler = ScenarioCompiler(plan.scenario, seed=3, draw=True)
    ok = compiler.compile(samples=4, spawn_key=(0,))
    assert ok.model.samples == 4
    bad = {"region.gdp.growth.rate": np.array([0.05, -1.2, 0.05])}
    with pytest.raises(compile_mod.ScenarioError, match="above -100%"):
        compiler.compile(
            samples=3,
            spawn_key=(1,),
            uniforms={"region.gdp.growth.rate": np.full(3, 0.5)},
            drawn=bad,
        )


def test_forked_pool_workers_reuse_the_parents_compiled_structure(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Forked pool workers inherit the compiler the parent's pilot chunk made: the structure
    is compiled once for the whole sweep, not once per chunk or per worker."""
    import os

    plan = plan_sweep(load_sweep(_write(tmp_path, samples=3000)))
    log = tmp_path / "compiles.log"
    metrics = compile_mod._compile_metrics

    def counted(comp: Compiled, b: Any) -> None:
        with log.open("a", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        metrics(comp, b)

    monkeypatch.setattr(compile_mod, "_compile_metrics", counted)
    monkeypatch.setenv("CLUSTERSIM_START_METHOD", "fork")
    res = run_sweep(plan, workers=2, engine="numpy")
    assert res is not None
    pids = log.read_text(encoding="utf-8").split()
    # the parent's pilot chunk compiled it; the forked workers (six chunks) reuse it
    assert pids == [str(os.getpid())]


KEPT_SCENARIO = """\
id: kept
name: Kept growths
base_year: 2020
end_year: 2024
region:
  gdp: {base: 100, growth: 0.05}
  population: {base: 10, growth: {kind: path, rates: {2021: 0.01, 2023: 0.02}}}
indicators:
  a: {kind: level, name: a, base: {dist: uniform, low: 1, high: 2}, growth: 0.03}
  b: {kind: level, name: b, base: 2, growth: {dist: uniform, low: 0.0, high: 0.1}}
  c: {kind: level, name: c, base: {dist: uniform, low: 1, high: 2}, growth: {kind: to_target, value: 4, year: 2024}}
  d: {kind: level, name: d, base: 4, growth: {kind: elasticity, to: gdp, elasticity: 0.8}}
  e: {kind: level, name: e, base: 1, growth: {kind: constant, rate: 0.02, shocks: {sd: 0.01}}}
  f: {kind: level, name: f, base: 1, growth: {kind: linear, start: 0.01, end: {dist: uniform, low: 0.0, high: 0.05}}}
metrics:
  m: a + b + c + d + e + f
targets:
  m_level: {kind: level, label: m, metric: m, year: 2024, at_least: 12}
"""


def test_growths_from_constants_are_compiled_once_and_reused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A growth without shocks whose kind reads no base and that reads no drawn number is
    compiled by the first call only; later calls reuse its rates (the same object) and give a
    fresh compile's model. A drawn rate, a drawn linear end, a to_target (reads its base) and
    shocks are compiled every time."""
    from clustersim.kinds.growth.base import GrowthKind
    from clustersim.scenario.loader import load_scenario

    p = tmp_path / "kept.yaml"
    p.write_text(KEPT_SCENARIO, encoding="utf-8")
    sc = load_scenario(p)
    calls: list[str] = []
    for kind in GrowthKind.__subclasses__():
        original = kind.compile

        def counted(self: Any, ctx: Any, x0: Any, path: str, _o: Any = original) -> Any:
            calls.append(path)
            return _o(self, ctx, x0, path)

        monkeypatch.setattr(kind, "compile", counted)
    compiler = ScenarioCompiler(sc, seed=3, draw=True)
    first = compiler.compile(samples=50, spawn_key=(0,))
    assert sorted(compiler._growths) == [
        "indicators.a",
        "indicators.d",
        "region.gdp",
        "region.population",
    ]
    every = [
        "indicators.b.growth",
        "indicators.c.growth",
        "indicators.e.growth",
        "indicators.f.growth",
    ]
    assert sorted(calls) == sorted(
        [
            *every,
            "indicators.a.growth",
            "indicators.d.growth",
            "region.gdp.growth",
            "region.population.growth",
        ]
    )
    for k in (1, 2):
        calls.clear()
        got = compiler.compile(samples=50, spawn_key=(k,))
        assert sorted(calls) == every
        want = compile_scenario(sc, samples=50, seed=3, spawn_key=(k,), draw=True)
        _assert_same_compile(got, want, f"chunk {k}")
    ops = {op.name: op for op in got.model.ops}
    first_ops = {op.name: op for op in first.model.ops}
    assert ops["gdp"].rates is first_ops["gdp"].rates  # reused, not rebuilt
    assert ops["b"].rates is not first_ops["b"].rates
    # the kept rates are what the growths give: 5% a year; 1% held until 2023, then 2%
    np.testing.assert_array_equal(ops["gdp"].rates, [[0.05]])
    np.testing.assert_array_equal(ops["population"].rates, [[0.01, 0.01, 0.01, 0.02, 0.02]])
