"""Where a local Dask sweep's CPU goes, thread by thread, by task size (not a test).

    PYTHONPATH=src python benchmarks/sweeps/dask_threads.py [--samples 1000000]
        [--task-chunks 8,32] [--rounds 6]

Runs the summary-only sweep of ``sweeps/zhenjiang-mc.yaml`` on a local Dask cluster of two
single-threaded workers (started once, warmed by a small sweep, as ``compare.py`` does), with
:data:`clustersim.sweep.executors.DASK_TASK_CHUNKS` set to each of ``--task-chunks`` in turn,
round after round. For each run it prints the wall time and the CPU seconds of every thread
that used any: this process's (the main thread: the factors' bins, the merge and the summary;
Dask's ``IO loop``: the scheduler and the comms) and each worker's (the thread that runs the
chunks, and the worker's own event loop on its main thread), read from ``/proc`` (Linux
only). Then the medians per task size. On a 2-core machine every CPU second that is not a
chunk's is taken from the chunks.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import threading
import time
from pathlib import Path

import clustersim.sweep.executors as executors
from clustersim.sweep.runner import run_sweep

SWEEP = Path(__file__).resolve().parents[2] / "sweeps" / "zhenjiang-mc.yaml"


def thread_cpu() -> dict[str, float]:
    """CPU seconds of each thread of this process, by name (Python's name when it has one)."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    out: dict[str, float] = {}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            with open(f"/proc/self/task/{tid}/comm") as f:
                comm = f.read().strip()
        except OSError:  # the thread ended meanwhile
            continue
        name = names.get(int(tid), comm)
        out[name] = out.get(name, 0.0) + (int(fields[11]) + int(fields[12])) / tick
    return out


def _delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0.0) for k, v in after.items() if v - before.get(k, 0.0) > 0.005}


def _short(name: str) -> str:
    """A worker's task thread is named after its process id: one name for all of them."""
    return "chunks" if "Dask-Default-Threads" in name else name


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--task-chunks", default="8,32")
    ap.add_argument("--rounds", type=int, default=6)
    args = ap.parse_args()
    sizes = [int(x) for x in args.task_chunks.split(",")]
    with tempfile.TemporaryDirectory() as d:  # imports, numba's cache, first touches
        run_sweep(SWEEP, out=d + "/w", samples=20_000, workers=1, store=())
    ex = executors.DaskExecutor("local", workers=2)
    with tempfile.TemporaryDirectory() as d:  # the workers' warm-up
        run_sweep(SWEEP, out=d + "/w", samples=100_000, executor=ex, store=())
    print(f"load average {os.getloadavg()[0]:.2f}; {args.samples:,} samples, summary only")
    kept = executors.DASK_TASK_CHUNKS
    rows: dict[int, list[dict[str, float]]] = {n: [] for n in sizes}
    try:
        for _ in range(args.rounds):
            for n in sizes:
                executors.DASK_TASK_CHUNKS = n
                with tempfile.TemporaryDirectory() as d:
                    here, there = thread_cpu(), ex.client.run(thread_cpu)
                    t0 = time.perf_counter()
                    run_sweep(SWEEP, out=d + "/o", samples=args.samples, executor=ex, store=())
                    wall = time.perf_counter() - t0
                    here2, there2 = thread_cpu(), ex.client.run(thread_cpu)
                row = {"wall": wall}
                for k, v in _delta(here2, here).items():
                    row[f"this process: {k}"] = v
                for w in there2:
                    for k, v in _delta(there2[w], there[w]).items():
                        key = f"workers: {_short(k)}"
                        row[key] = row.get(key, 0.0) + v
                rows[n].append(row)
                print(
                    f"  {n:3d} chunks a task: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()),
                    flush=True,
                )
    finally:
        executors.DASK_TASK_CHUNKS = kept
        ex.close()
    print(
        "| chunks a task | wall (s) | this process: main / IO loop | workers: chunks / event loops |"
    )
    print("|---:|---:|---:|---:|")
    for n in sizes:

        def med(key: str, n: int = n) -> float:
            return statistics.median(r.get(key, 0.0) for r in rows[n])

        print(
            f"| {n} | {med('wall'):.2f} | {med('this process: MainThread'):.2f} / "
            f"{med('this process: IO loop'):.2f} | {med('workers: chunks'):.2f} / "
            f"{med('workers: MainThread'):.2f} |"
        )
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
