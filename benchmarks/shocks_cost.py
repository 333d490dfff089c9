"""What yearly shocks cost (issue 15): the same workload with and without shocks, interleaved.

    PYTHONPATH=src python benchmarks/shocks_cost.py [--rounds 7] [--samples 100000]

For each workload kind and engine, each round measures the scenario without shocks and then
with them (``synthetic_scenario(20, 12, shocks=...)``: yearly shocks on every cluster's output
and on GDP, a shared AR(1) factor, a copula pair), best of 3 calls each in CPU time
(``time.process_time``: other jobs on a shared machine take wall time, not this process's
CPU), and prints the median seconds and the median of the per-round ratios (with /
without): a load that changes between rounds moves both sides of a ratio alike.
``core_targets`` is the kernel (draws made beforehand); ``sweep_targets`` adds the draws,
which for shocks are one normal per cluster-year.

The numba kernel's row ``.../numba, rates year first`` runs it in the same rounds on shocked
rates stored year first (``compile.year_major``, the NumPy core's layout and the numba
engine's before it asked for ``compile.sample_major``): the before and after of that change.
"""

from __future__ import annotations

import argparse
import os
import statistics

from clustersim.bench.runner import Workload, _prepare


def best_of(fn, n: int = 3) -> float:  # type: ignore[no-untyped-def]
    import gc
    import time

    fn()
    best = float("inf")
    for _ in range(n):
        gc.collect()
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=7)
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--engines", default="numpy,numba")
    ap.add_argument("--kinds", default="core_targets,sweep_targets")
    args = ap.parse_args()
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("| workload | without shocks (s) | with shocks (s) | ratio (median of rounds) | rounds |")
    print("|---|---:|---:|---:|---:|")
    for kind in args.kinds.split(","):
        for engine in args.engines.split(","):
            w = Workload(kind, args.samples, 20, 12, engine)
            # (label, prepared function with shocks): the engine's own layout, and for the
            # numba kernel also the year-first one
            shocked = [
                (f"`{w.name}`", _prepare(Workload(kind, args.samples, 20, 12, engine, True)))
            ]
            if kind == "core_targets" and engine == "numba":
                year = _prepare(Workload(kind, args.samples, 20, 12, engine, True), "year")
                shocked.append((f"`{w.name}`, rates year first", year))
            plain = _prepare(w)
            t0: list[float] = []
            t1: list[list[float]] = [[] for _ in shocked]
            ratio: list[list[float]] = [[] for _ in shocked]
            for _ in range(args.rounds):
                a = best_of(plain)
                t0.append(a)
                for j, (_, fn) in enumerate(shocked):
                    b = best_of(fn)
                    t1[j].append(b)
                    ratio[j].append(b / a)
            for j, (label, _) in enumerate(shocked):
                r = ratio[j]
                print(
                    f"| {label} | {statistics.median(t0):.4f} | {statistics.median(t1[j]):.4f} | "
                    f"{statistics.median(r):.2f} (range {min(r):.2f}-{max(r):.2f}) | "
                    f"{args.rounds} |",
                    flush=True,
                )
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
