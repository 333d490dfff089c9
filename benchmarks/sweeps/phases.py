"""Where a sweep's chunk spends its CPU time, phase by phase (not a test).

Runs the steps of :func:`clustersim.sweep.evaluate.evaluate_rows` and the worker's summary
(:func:`clustersim.sweep.partial.chunk_partial`) one by one on chunks of
``sweeps/zhenjiang-mc.yaml`` and reports the CPU milliseconds of each per chunk (CPU time,
so a loaded machine moves the figures less than wall time would), after a few warm-up
chunks, and what that makes for 10^6 samples. Writing Parquet is measured by
``encodings.py``.

The scenario is compiled as a sweep does (:class:`clustersim.compile.ScenarioCompiler`: its
structure once, each chunk's arrays per chunk); ``--fresh-compile`` compiles it whole for
every chunk (:func:`clustersim.compile.compile_scenario`, what sweeps did before).
The inverse CDFs are drawn as a sweep draws them, all columns at once
(:func:`clustersim.sampling.columns.ppf_columns`); ``--per-column`` calls each column's
``ppf`` in turn (what sweeps did before).

After the chunks, the summaries of the measured chunks are bundled 8 at a time as a pool or
Dask task does (:func:`clustersim.sweep.partial.bundle`, in the worker) and merged in chunk
order as the parent does (:class:`clustersim.sweep.partial.Merger`); those two lines are
per chunk too, and not in the total (the total is one process's evaluation).
``--summary numpy`` or ``compiled`` forces the summary's NumPy or compiled loops
(:data:`clustersim.sweep.partial.COMPILED`; by default compiled when numba is loaded).

    PYTHONPATH=src python benchmarks/sweeps/phases.py [--chunks 40] [--engine numba]
        [--fresh-compile] [--per-column] [--summary auto|numpy|compiled]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import time
from pathlib import Path

import numpy as np

from clustersim.compile import (
    ScenarioCompiler,
    compile_scenario,
    correlate_uniforms,
    correlation_groups,
)
from clustersim.engines import get_engine
from clustersim.sampling.columns import Columns
from clustersim.sweep import partial
from clustersim.sweep.designs import quantiles
from clustersim.sweep.evaluate import project_targets
from clustersim.sweep.partial import Merger, bundle, chunk_partial, make_layout
from clustersim.sweep.plan import plan_sweep
from clustersim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[2]
WARM = 5


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=40)
    ap.add_argument("--chunk-size", type=int, default=4096)
    ap.add_argument("--engine", default=None, help="default: numba when installed, else numpy")
    ap.add_argument(
        "--fresh-compile", action="store_true", help="compile the whole scenario per chunk"
    )
    ap.add_argument(
        "--per-column", action="store_true", help="inverse CDFs one column at a time (before)"
    )
    ap.add_argument("--summary", choices=("auto", "numpy", "compiled"), default="auto")
    a = ap.parse_args()
    if a.summary != "auto" and hasattr(partial, "COMPILED"):
        partial.COMPILED = a.summary == "compiled"
    engine = a.engine or ("numba" if importlib.util.find_spec("numba") else "numpy")
    plan = plan_sweep(
        load_sweep(
            ROOT / "sweeps" / "zhenjiang-mc.yaml",
            samples=a.chunk_size * (a.chunks + WARM),
            chunk_size=a.chunk_size,
        )
    )
    inv = get_engine(engine).inverse_normal()
    layout = make_layout(plan, inv)
    cols = Columns([(d.dist.sampler, d.lo, d.hi) for d in plan.dims])
    compiler = ScenarioCompiler(
        plan.scenario,
        seed=plan.seed,
        draw=True,
        inverse_normal=inv,
        rates_layout=get_engine(engine).rates_layout(),  # as a sweep compiles for the engine
    )
    cpu: dict[str, float] = {}
    load0 = os.getloadavg()[0]

    def tick(name: str, t: float) -> float:
        now = time.process_time()
        cpu[name] = cpu.get(name, 0.0) + now - t
        return now

    n = 0
    parts = []
    for k in range(a.chunks + WARM):
        if k == WARM:
            cpu.clear()
        t = time.process_time()
        start, stop = plan.bounds(k)
        n = stop - start
        u = quantiles(plan.design, plan.seed, k, start, stop, start)
        t = tick("uniforms (design quantiles)", t)
        uniforms = {d.path: u[:, j] for j, d in enumerate(plan.dims)}
        groups = correlation_groups(plan.scenario)
        tied = correlate_uniforms(groups, uniforms, inv)
        if tied:  # as sweep/evaluate.py: the tied columns replace the design's
            uniforms.update(tied)
            u = np.array(u, order="F")
            for j, d in enumerate(plan.dims):
                if d.path in tied:
                    u[:, j] = tied[d.path]
        t = tick("copula", t)
        if a.per_column:
            inputs = np.empty((n, len(plan.dims)), order="F")
            for j, d in enumerate(plan.dims):
                inputs[:, j] = d.values(uniforms[d.path], inverse_normal=inv)
        else:
            inputs = cols.ppf(u, inverse_normal=inv)
        t = tick("inverse CDFs (ppf)", t)
        drawn = {d.path: inputs[:, j] for j, d in enumerate(plan.dims)}
        if a.fresh_compile:
            comp = compile_scenario(
                plan.scenario,
                samples=n,
                seed=plan.seed,
                uniforms=uniforms,
                spawn_key=(k,),
                draw=True,
                inverse_normal=inv,
                drawn=drawn,
            )
        else:
            comp = compiler.compile(samples=n, uniforms=uniforms, spawn_key=(k,), drawn=drawn)
        t = tick("compile", t)
        out = project_targets(comp, engine=engine)
        t = tick(f"project ({engine})", t)
        part = chunk_partial(layout, inputs, out.value, out.margin, out.met)
        tick("chunk summary (partial)", t)
        parts.append(part)
    total = sum(cpu.values())
    print(
        f"zhenjiang-mc, chunks of {n:,} samples, {len(plan.dims)} sampled numbers, "
        f"{len(plan.targets)} targets, engine {engine}, {a.chunks} chunks after {WARM} warm-up, "
        f"compile {'fresh per chunk' if a.fresh_compile else 'structure once'}; "
        f"load average {load0:.1f}-{os.getloadavg()[0]:.1f}"
    )
    print(f"{'phase':<30} {'CPU ms/chunk':>12} {'share':>6}")
    for name, v in cpu.items():
        print(f"{name:<30} {1e3 * v / a.chunks:12.1f} {v / total:6.1%}")
    per = total / a.chunks
    print(f"{'total':<30} {1e3 * per:12.1f}   -> {per * 1e6 / n:.1f} CPU s per 10^6 samples")
    warm, parts = parts[:WARM], parts[WARM:]
    bundle(0, warm)  # first calls (loading compiled code) as in the warm-up chunks
    Merger().add_bundle(bundle(0, warm))
    t = time.process_time()
    for i in range(0, len(parts), 8):
        bundle(i, parts[i : i + 8])
    bundled = time.process_time() - t
    t = time.process_time()
    merger = Merger()
    for i, p in enumerate(parts):
        merger.add(i, p)
    merger.result()
    merged = time.process_time() - t
    print(f"{'bundles of 8 (worker)':<30} {1e3 * bundled / a.chunks:12.1f}   (not in the total)")
    print(
        f"{'merge in chunk order (parent)':<30} {1e3 * merged / a.chunks:12.1f}   (not in the total)"
    )


if __name__ == "__main__":
    main()
