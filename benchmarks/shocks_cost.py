"""What yearly shocks cost (issue 15): the same workload with and without shocks, interleaved.

    PYTHONPATH=src python benchmarks/shocks_cost.py [--rounds 5] [--samples 100000]

For each workload kind and engine, each round measures the scenario without shocks and then
with them (``synthetic_scenario(20, 12, shocks=...)``: yearly shocks on every cluster's output
and on GDP, a shared AR(1) factor, a copula pair), best of 3 calls each, and prints the median
seconds and the median of the per-round ratios (with / without): a load that changes between
rounds moves both sides of a ratio alike. ``core_targets`` is the kernel (draws made
beforehand); ``sweep_targets`` adds the draws, which for shocks are one normal per
cluster-year.
"""

from __future__ import annotations

import argparse
import statistics

from clustersim.bench.runner import Workload, _prepare


def best_of(fn, n: int = 3) -> float:  # type: ignore[no-untyped-def]
    import gc
    import time

    fn()
    best = float("inf")
    for _ in range(n):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--engines", default="numpy,numba")
    ap.add_argument("--kinds", default="core_targets,sweep_targets")
    args = ap.parse_args()
    print("| workload | without shocks (s) | with shocks (s) | ratio (median of rounds) | rounds |")
    print("|---|---:|---:|---:|---:|")
    for kind in args.kinds.split(","):
        for engine in args.engines.split(","):
            fns = {
                sh: _prepare(Workload(kind, args.samples, 20, 12, engine, sh))
                for sh in (False, True)
            }
            t0, t1, ratio = [], [], []
            for _ in range(args.rounds):
                a, b = best_of(fns[False]), best_of(fns[True])
                t0.append(a)
                t1.append(b)
                ratio.append(b / a)
            name = Workload(kind, args.samples, 20, 12, engine).name
            print(
                f"| `{name}` | {statistics.median(t0):.3f} | {statistics.median(t1):.3f} | "
                f"{statistics.median(ratio):.2f} (range {min(ratio):.2f}-{max(ratio):.2f}) | "
                f"{args.rounds} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
