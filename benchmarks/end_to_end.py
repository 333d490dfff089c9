"""End to end against the kernel (issue 21, part 4): how close does a targets-only run
(draws included) come to its engine's kernel (draws made beforehand)?

    PYTHONPATH=src python benchmarks/end_to_end.py [--samples 100000,1000000]
        [--engines numpy,numba] [--rounds 3] [--shocks]

For each engine and sample count, each round times ``core_targets`` (the kernel: projection
and every target of samples compiled beforehand, in chunks) and ``sweep_targets`` (the same
through ``run_targets``: draws, compile, kernel, a P(met) sink), best of 2 calls each,
interleaved, as CPU seconds (``time.process_time``; both engines are single-threaded). It
prints the median over rounds of *kernel / end to end*: the share of the kernel's speed the
whole run keeps (1.0: drawing is free). The synthetic 20 x 12 scenario of
``clustersim.bench.workloads``; ``--shocks`` adds yearly shocks (a normal draw per
cluster-year). The load average is printed beside the numbers.
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import time

from clustersim.bench.runner import Workload, _prepare


def best_cpu(fn, n: int = 2) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(n):
        gc.collect()
        t0 = time.process_time()
        fn()
        best = min(best, time.process_time() - t0)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", default="100000,1000000")
    ap.add_argument("--engines", default="numpy,numba")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--shocks", action="store_true")
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f}; shocks {args.shocks}; {args.rounds} rounds")
    print("| engine | samples | kernel (s CPU) | end to end (s CPU) | kernel / end to end |")
    print("|---|---:|---:|---:|---:|")
    for engine in args.engines.split(","):
        for s in (int(x) for x in args.samples.split(",")):
            kernel = _prepare(Workload("core_targets", s, 20, 12, engine, args.shocks))
            e2e = _prepare(Workload("sweep_targets", s, 20, 12, engine, args.shocks))
            kernel()
            e2e()  # warm-up (numba compiles or loads its cache)
            tk, te, share = [], [], []
            for _ in range(args.rounds):
                a, b = best_cpu(kernel), best_cpu(e2e)
                tk.append(a)
                te.append(b)
                share.append(a / b)
            print(
                f"| {engine} | {s:,} | {statistics.median(tk):.3f} | "
                f"{statistics.median(te):.3f} | {statistics.median(share):.2f} "
                f"(range {min(share):.2f}-{max(share):.2f}) |",
                flush=True,
            )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
