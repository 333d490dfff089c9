"""End to end against the kernel (issue 21, part 4): how close does a targets-only run
(draws included) come to its engine's kernel (draws made beforehand)?

    PYTHONPATH=src python benchmarks/end_to_end.py [--samples 100000,1000000]
        [--engines numpy,numba] [--rounds 3] [--shocks]

For each engine and sample count, each round times ``core_targets`` (the kernel: projection
and every target of samples compiled beforehand, in chunks, on one thread) and
``run_targets`` (draws, compile, kernel, a P(met) sink) twice: on one thread
(``overlap=False``) and overlapped (``overlap=True``, the default: with numba two threads
each compile and project whole chunks; with NumPy a helper thread compiles the next chunk),
best of 2 calls each, interleaved, as CPU seconds of all threads (``time.process_time``) and
wall seconds. It prints the medians over rounds of *kernel / end to end*: the share of the
kernel's speed the whole run keeps (1.0: drawing is free), in CPU for both and in wall time
for the overlapped run (what a user waits; its CPU share shows what the second core pays).
For numba the last column is the wall share of the helper-thread overlap (NumPy's way, what
numba ran before it had two threads of its own; ``clustersim.engine.PARALLEL_THREADS`` set
to 1 for that call), measured in the same rounds. The synthetic 20 x 12 scenario of
``clustersim.bench.workloads``; ``--shocks`` adds yearly shocks (a normal draw per
cluster-year). The load average is printed beside the numbers.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time
from functools import partial
from typing import Any

import clustersim.engine as engine_mod
from clustersim.bench.runner import Workload, _prepare
from clustersim.bench.workloads import synthetic_scenario
from clustersim.engine import run_targets


def _count(start: int, outs: dict[str, Any]) -> None:  # a sweep's reduction: P(met)
    for o in outs.values():
        int(o.met.sum())


def best_times(fn, n: int = 2) -> tuple[float, float]:  # type: ignore[no-untyped-def]
    """The best CPU seconds (all threads) and the best wall seconds of ``n`` calls."""
    cpu = wall = float("inf")
    for _ in range(n):
        gc.collect()
        t0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu = min(cpu, time.process_time() - t0)
        wall = min(wall, time.perf_counter() - w0)
    return cpu, wall


def helper_only(run) -> None:  # type: ignore[no-untyped-def]
    """``run()`` with the next chunk compiled on a helper thread (the NumPy engines' overlap)."""
    threads = engine_mod.PARALLEL_THREADS
    engine_mod.PARALLEL_THREADS = 1
    try:
        run()
    finally:
        engine_mod.PARALLEL_THREADS = threads


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", default="100000,1000000")
    ap.add_argument("--engines", default="numpy,numba")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shocks", action="store_true")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; shocks {args.shocks}; {args.rounds} rounds")
    print(
        "| engine | samples | kernel: CPU / wall (s) | end to end, one thread: CPU / wall (s) "
        "| end to end, overlapped: CPU / wall (s) | kernel / end to end, one thread: CPU "
        "| kernel / end to end, overlapped: CPU / **wall** | helper thread only: wall |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for engine in args.engines.split(","):
        for s in (int(x) for x in args.samples.split(",")):
            kernel = _prepare(Workload("core_targets", s, 20, 12, engine, args.shocks))
            sc = synthetic_scenario(20, 12, shocks=args.shocks)
            kw = {"samples": s, "seed": 1, "sink": _count, "engine": engine}
            one = partial(run_targets, sc, overlap=False, **kw)
            two = partial(run_targets, sc, overlap=True, **kw)
            helper = partial(helper_only, two)

            kernel()
            one()  # warm-up (numba compiles or loads its cache)
            two()
            helper()
            rows: list[list[float]] = []
            for _ in range(args.rounds):
                (kc, kw), (oc, ow), (tc, tw) = best_times(kernel), best_times(one), best_times(two)
                hw = best_times(helper)[1] if engine == "numba" else float("nan")
                rows.append([kc, kw, oc, ow, tc, tw, kc / oc, kc / tc, kw / tw, kw / hw])
            m = [statistics.median(col) for col in zip(*rows, strict=True)]
            lo = [min(col) for col in zip(*rows, strict=True)]
            hi = [max(col) for col in zip(*rows, strict=True)]
            print(
                f"| {engine} | {s:,} | {m[0]:.3f} / {m[1]:.3f} | {m[2]:.3f} / {m[3]:.3f} "
                f"| {m[4]:.3f} / {m[5]:.3f} | {m[6]:.2f} ({lo[6]:.2f}-{hi[6]:.2f}) "
                f"| {m[7]:.2f} ({lo[7]:.2f}-{hi[7]:.2f}) / **{m[8]:.2f}** "
                f"({lo[8]:.2f}-{hi[8]:.2f}) | "
                + (f"{m[9]:.2f} ({lo[9]:.2f}-{hi[9]:.2f}) |" if engine == "numba" else "- |"),
                flush=True,
            )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
