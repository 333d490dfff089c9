"""Where an overlapped ``run_targets`` spends its wall time, chunk by chunk (not a test).

    PYTHONPATH=src python benchmarks/timeline.py [--samples 100000] [--engine numba]
        [--runs 5] [--show 1]

``run_targets(overlap=True)`` uses a second core. With the numba engine two threads each
compile (draw) and project whole chunks, the second starting once the first chunk is
compiled (:func:`clustersim.engine._parallel_outcomes`); with NumPy a helper thread compiles
chunk k+1 while chunk k is projected (:func:`clustersim.engine._compiled_chunks`). This
script times every ``ScenarioCompiler.compile`` and every engine ``evaluate`` of a run on the
synthetic 20 x 12 scenario of ``clustersim.bench.workloads`` (a P(met) sink, as
``end_to_end.py``), with which thread ran it, and the same chunks' kernels alone (compiled
beforehand). Per run it reports the wall time, the first compile (which nothing overlaps),
the compiles' and the kernels' totals in the run, and the same kernels alone; medians over
``--runs`` runs, and the chunk-by-chunk timeline of ``--show`` of them. The load average is
printed beside the numbers.
"""

from __future__ import annotations

import argparse
import os
import statistics
import threading
import time
from typing import Any

from clustersim import compile as compile_module
from clustersim.bench.workloads import synthetic_scenario
from clustersim.engine import PARALLEL_THREADS, overlap_chunk, parallel_chunk, run_targets
from clustersim.engines import get_engine

LOG: list[tuple[str, str, float, float]] = []


def _timed(kind: str, fn: Any) -> Any:
    def wrapper(*args: Any, **kw: Any) -> Any:
        t0 = time.perf_counter()
        out = fn(*args, **kw)
        LOG.append((kind, threading.current_thread().name, t0, time.perf_counter()))
        return out

    return wrapper


def _sink(start: int, outs: dict[str, Any]) -> None:  # a sweep's reduction: P(met)
    for o in outs.values():
        int(o.met.sum())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--engine", default="numba")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--show", type=int, default=1)
    args = ap.parse_args()
    sc = synthetic_scenario(20, 12)
    engine = get_engine(args.engine)
    kw: dict[str, Any] = {"samples": args.samples, "seed": 1, "sink": _sink, "engine": args.engine}
    for _ in range(3):  # numba's cache, the kernel's generated code, first touches
        run_targets(sc, overlap=True, **kw)
    # the same chunks compiled beforehand: their kernels alone
    if engine.parallel_chunks:
        chunk = parallel_chunk(args.samples, 65_536, PARALLEL_THREADS)
    else:
        chunk = overlap_chunk(args.samples, 65_536)
    compiler = compile_module.ScenarioCompiler(
        sc,
        seed=1,
        inverse_normal=engine.inverse_normal(),
        rates_layout=engine.rates_layout(),
    )
    comps = [
        compiler.compile(samples=min(chunk, args.samples - a), offset=a)
        for a in range(0, args.samples, chunk)
    ]
    cls = compile_module.ScenarioCompiler
    original = (cls.compile, type(engine).evaluate)
    cls.compile = _timed("compile", cls.compile)  # type: ignore[method-assign]
    type(engine).evaluate = _timed("kernel", type(engine).evaluate)  # type: ignore[method-assign]
    print(
        f"load average {os.getloadavg()[0]:.2f}; {args.engine}, {args.samples:,} samples in "
        f"{len(comps)} chunks of {chunk:,}; {args.runs} runs"
    )
    rows = []
    try:
        for run in range(args.runs):
            alone = 0.0
            for comp in comps:  # interleaved with the runs: the same load
                t0 = time.perf_counter()
                engine.evaluate(comp)
                alone += time.perf_counter() - t0
            LOG.clear()
            t0 = time.perf_counter()
            run_targets(sc, overlap=True, **kw)
            wall = time.perf_counter() - t0
            log = sorted(LOG, key=lambda r: r[2])
            compiles = [r for r in log if r[0] == "compile"]
            kernels = [r for r in log if r[0] == "kernel"]
            first = compiles[0][3] - compiles[0][2]
            in_run = sum(b - a for _, _, a, b in kernels)
            compiling = sum(b - a for _, _, a, b in compiles)
            rows.append((wall, first, compiling, in_run, alone))
            if run < args.show:
                print(f"run {run + 1}: {1e3 * wall:.1f} ms")
                for kind, thread, a, b in log:
                    print(
                        f"  {kind:7s} {thread[:18]:18s} {1e3 * (a - t0):7.2f} -> "
                        f"{1e3 * (b - t0):7.2f} ms ({1e3 * (b - a):.2f})"
                    )
            else:
                print(f"run {run + 1}: {1e3 * wall:.1f} ms", flush=True)
    finally:
        cls.compile, type(engine).evaluate = original  # type: ignore[method-assign]
    m = [statistics.median(c) for c in zip(*rows, strict=True)]
    print(
        "| wall | first compile (alone) | compiles in the run | kernels in the run "
        "| the same kernels alone | kernels alone / wall |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    print(
        f"| {1e3 * m[0]:.1f} ms | {1e3 * m[1]:.1f} ms | {1e3 * m[2]:.1f} ms | {1e3 * m[3]:.1f} ms "
        f"| {1e3 * m[4]:.1f} ms | {m[4] / m[0]:.2f} |"
    )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
