"""A pool sweep with the factors' bins sorted on one thread and on two, interleaved (not a test).

    PYTHONPATH=src python benchmarks/sweeps/bins_ab.py [--samples 1000000] [--workers 2]
        [--rounds 6]

Before any chunk runs, a sweep fixes every factor's bins from its values over the whole
design (:func:`clustersim.sweep.partial.make_layout`): sorting each factor's column is most
of it, and NumPy's sort releases the GIL, so with two usable cores the columns are sorted on
two threads. This script runs the summary-only sweep of ``sweeps/zhenjiang-mc.yaml`` on a
process pool, round after round, once as if one core were usable (the sorts on this thread)
and once as is, and prints the medians of the wall time, this process's CPU and the
workers' CPU (they exit with each run's pool).
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from pathlib import Path

import clustersim.engine as engine_mod
from clustersim.sweep.runner import run_sweep

SWEEP = Path(__file__).resolve().parents[2] / "sweeps" / "zhenjiang-mc.yaml"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:  # imports, numba's cache, first touches
        run_sweep(SWEEP, out=d + "/w", samples=20_000, workers=1, store=())
    usable = engine_mod.usable_cores
    rows: dict[str, list[tuple[float, float, float]]] = {"one thread": [], "two threads": []}
    print(f"load average {os.getloadavg()[0]:.2f}; {args.samples:,} samples, summary only")
    try:
        for _ in range(args.rounds):
            for label in rows:
                engine_mod.usable_cores = (lambda: 1) if label == "one thread" else usable
                with tempfile.TemporaryDirectory() as d:
                    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                    c0, t0 = time.process_time(), time.perf_counter()
                    run_sweep(
                        SWEEP, out=d + "/o", samples=args.samples, workers=args.workers, store=()
                    )
                    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
                    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                workers = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
                rows[label].append((wall, cpu, workers))
                engine_mod.usable_cores = usable
    finally:
        engine_mod.usable_cores = usable
    print("| bins sorted on | wall (s) | this process CPU (s) | workers CPU (s) |")
    print("|---|---:|---:|---:|")
    for label, got in rows.items():
        m = [statistics.median(col) for col in zip(*got, strict=True)]
        print(f"| {label} | {m[0]:.2f} | {m[1]:.2f} | {m[2]:.2f} |")
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
