"""Samples parts of several chunks against a file a chunk, two trees interleaved (not a test).

    python benchmarks/sweeps/parts.py --before /tmp/before [--samples 400000] [--repeat 3]
        [--workers 1]

For each tree (``--before``: another checkout, or ``git archive`` of a commit; the *after* side
is this tree) and each repetition, a fresh child process imports clustersim from that tree's
``src``, runs a warm-up sweep, then ``run_sweep(sweeps/zhenjiang-mc.yaml, samples=N,
workers=W)`` with every column stored, and reports:

- the sweep's wall and CPU seconds (this process: the run and its writer threads; with
  ``--workers`` 2 or more, the pool's workers too, once they exit);
- the files under ``samples/`` and their bytes;
- reading the samples back as a user would: ``pyarrow.dataset`` of the whole table and of
  three columns, and ``pandas.read_parquet`` of two columns (best of 5 each).

Sides and repeats are interleaved, so the load of a shared machine moves both alike; the
medians and the after/before ratios are printed, with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/_trees.py
from _trees import child_json

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ROOT / "sweeps" / "zhenjiang-mc.yaml"

CHILD = r"""
import json, os, resource, sys, tempfile, time
import pandas as pd
import pyarrow.dataset as ds
from clustersim.sweep.runner import run_sweep
sweep, n, workers = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with tempfile.TemporaryDirectory() as d:
    run_sweep(sweep, out=d + "/w", samples=20000, workers=1)  # imports, kernels, first touches
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0, c0 = time.perf_counter(), time.process_time()
    run_sweep(sweep, out=d + "/o", samples=n, workers=workers)
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu += (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
    files = sorted((d + "/o/samples/" + f) for f in os.listdir(d + "/o/samples"))
    three = ["sample", "met.rd_intensity_3pct", "clusters.digital_economy.output.growth.rates.2025"]
    reads = {
        "read_all": lambda: ds.dataset(d + "/o/samples").to_table(),
        "read_3": lambda: ds.dataset(d + "/o/samples").to_table(columns=three),
        "pandas_2": lambda: pd.read_parquet(d + "/o/samples", columns=["sample", "all_met"]),
    }
    best = {}
    for name, fn in reads.items():
        fn()
        ts = []
        for _ in range(5):
            t = time.perf_counter(); fn(); ts.append(time.perf_counter() - t)
        best[name] = min(ts)
    print(json.dumps({"wall": wall, "cpu": cpu, "files": len(files),
                      "bytes": sum(os.path.getsize(f) for f in files), **best}))
"""

KEYS = ("wall", "cpu", "files", "bytes", "read_all", "read_3", "pandas_2")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True, help="a tree to compare with")
    ap.add_argument("--samples", type=int, default=400_000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()
    sides = {"before": args.before / "src", "after": ROOT / "src"}
    got: dict[str, list[dict[str, float]]] = {s: [] for s in sides}
    load = [os.getloadavg()[0]]
    for _ in range(args.repeat):
        for side, src in sides.items():
            got[side].append(
                child_json(
                    src, CHILD, [str(SWEEP), str(args.samples), str(args.workers)], side, cwd=ROOT
                )
            )
            load.append(os.getloadavg()[0])
    print(
        f"zhenjiang-mc, {args.samples:,} samples, every column stored, {args.workers} worker(s), "
        f"medians of {args.repeat}, "
        f"load average {min(load):.1f}-{max(load):.1f}"
    )
    print("| | " + " | ".join(KEYS) + " |")
    print("|---|" + "---:|" * len(KEYS))
    med = {s: {k: statistics.median(r[k] for r in rows) for k in KEYS} for s, rows in got.items()}
    for side in sides:
        print(f"| {side} | " + " | ".join(f"{med[side][k]:,.3f}" for k in KEYS) + " |")
    ratio = {k: med["after"][k] / med["before"][k] for k in KEYS}
    print("| after / before | " + " | ".join(f"{ratio[k]:.2f}" for k in KEYS) + " |")


if __name__ == "__main__":
    main()
