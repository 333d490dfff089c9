"""A sweep before and after a change, and across executors, as ratios from one run (not a test).

Each measurement is a fresh child process that imports clustersim from the ``src`` folder of
the side it measures (``--before``: another tree, default ``/work/main``, or a commit exported
with ``git archive``; the *after* side is this tree), warms numba's cache with a small sweep,
then times ``run_sweep(sweeps/zhenjiang-mc.yaml, samples=N)`` in-process (the number the
issue sets goals for: without interpreter start-up). Sides and repeats are interleaved, so
the load of a shared machine moves both alike; medians are reported with their ratios.

Rows:

- ``stored``: every column of every sample written as Parquet parts (the default);
- ``summary_only``: nothing per sample (``store: summary_only``), after only;
- ``workers=2``, ``dask local x2``: the summary-only sweep on two pool workers and on a local
  Dask cluster of two single-threaded workers, beside ``workers=1`` of the same run (whose
  writer thread summarises and writes each chunk while the next is evaluated, so it uses
  more than one core) and ``1 process, one thread`` (``InProcessExecutor(depth=0)``: every
  chunk's work on one thread, one core: what the workers' speed-up is measured against). The pool
  is started inside the timed call (its workers fork in milliseconds); the Dask cluster is
  started (and its workers import clustersim) before it, as a user's running cluster is.

Each row reports wall seconds and CPU seconds: this process (the run, the merge of the
chunk summaries, Dask's scheduler) plus its workers (pool workers' resource usage once
they exit; Dask workers' ``process_time`` asked before and after). On a machine whose cores
other jobs keep busy, wall-time ratios of the executor rows say little; ``CPU 1 / CPU`` is
how much more CPU the workers spend than one process (1.00 = none), and ``bound`` that
times the workers: the speed-up two free cores would give at most. Re-run on a quiet
machine for the wall-time ratio itself; the load average is printed.

    python benchmarks/sweeps/compare.py                       # 10^6 samples, 1 repeat
    python benchmarks/sweeps/compare.py --samples 200000 --repeat 3 --before /work/main
    python benchmarks/sweeps/compare.py --before-commit ce57eb3 --json out.json
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # benchmarks/_trees.py
from _trees import child_json

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ROOT / "sweeps" / "zhenjiang-mc.yaml"

CHILD = r"""
import json, os, resource, sys, tempfile, time
from clustersim.sweep.runner import run_sweep
sweep, n, workers, dask, store, engine = sys.argv[1:7]
n, workers = int(n), int(workers)
kw = {} if store == "default" else {"store": ()}
with tempfile.TemporaryDirectory() as d:  # warm-up: imports, the engine's kernel, first touches
    run_sweep(sweep, out=d + "/w", samples=20000, workers=1, engine=engine, **kw)
ex = None
if workers == 0:  # one process, one thread
    from clustersim.sweep.executors import InProcessExecutor
    ex, workers = InProcessExecutor(depth=0), 1
if dask == "local":
    from clustersim.sweep.executors import DaskExecutor
    ex = DaskExecutor("local", workers=workers)
load0 = os.getloadavg()[0]
# a Dask worker outlives the run: ask it for its CPU time before and after
w0 = ex.client.run(time.process_time) if dask == "local" else {}
with tempfile.TemporaryDirectory() as d:
    c0, r0 = time.process_time(), resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    res = run_sweep(sweep, out=d + "/o", samples=n, workers=workers, executor=ex, engine=engine, **kw)
    secs = time.perf_counter() - t0
    cpu = time.process_time() - c0  # this process: the run, the merge (and Dask's scheduler)
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # pool workers, exited by now
child = (r1.ru_utime + r1.ru_stime) - (r0.ru_utime + r0.ru_stime)
if dask == "local":
    w1 = ex.client.run(time.process_time)
    child = sum(w1[a] - w0[a] for a in w1)
    ex.close()
print(json.dumps({
    "seconds": secs, "cpu": cpu, "child_cpu": child, "load": [load0, os.getloadavg()[0]],
    "p_met": [t.probability for t in res.summary.targets],
}))
"""


def run(src: Path, n: int, workers: int, dask: str, store: str, engine: str) -> dict[str, object]:
    args = [str(SWEEP), str(n), str(workers), dask, store, engine]
    return child_json(src, CHILD, args, f"{src}, {workers}, {dask}, {store}", cwd=ROOT)


def export(commit: str, into: Path) -> Path:
    """``git archive`` of ``commit`` into ``into``; its ``src`` folder."""
    blob = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    tar = into / "ref.tar"
    tar.write_bytes(blob)
    with tarfile.open(tar) as tf:
        tf.extractall(into / "ref", filter="data")
    return into / "ref" / "src"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--before", type=Path, default=Path("/work/main"))
    ap.add_argument("--before-commit", default=None)
    ap.add_argument("--engine", default=None, help="default: numba when installed, else numpy")
    ap.add_argument("--no-before", action="store_true", help="skip the before row")
    ap.add_argument("--no-workers", action="store_true", help="skip the executor rows")
    ap.add_argument(
        "--workers-only", action="store_true", help="only the summary-only executor rows"
    )
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    engine = a.engine or ("numba" if importlib.util.find_spec("numba") else "numpy")
    with tempfile.TemporaryDirectory() as tmp:
        before = export(a.before_commit, Path(tmp)) if a.before_commit else a.before / "src"
        after = ROOT / "src"
        rows: dict[str, tuple[Path, int, str, str]] = {
            "before: stored, 1 process": (before, 1, "", "default"),
            "after: stored, 1 process": (after, 1, "", "default"),
            "after: summary_only, 1 process": (after, 1, "", "summary_only"),
            "after: summary_only, 1 process, one thread": (after, 0, "", "summary_only"),
        }
        if a.no_before:
            rows.pop("before: stored, 1 process")
        if a.workers_only:
            rows = {k: v for k, v in rows.items() if "summary_only" in k}
        if not a.no_workers:
            rows["after: summary_only, workers=2"] = (after, 2, "", "summary_only")
            rows["after: summary_only, dask local x2"] = (after, 2, "local", "summary_only")
        docs: dict[str, list[dict[str, Any]]] = {k: [] for k in rows}
        for _ in range(a.repeat):  # rows interleaved, so a change of load touches every row
            for name, (src, w, dask, store) in rows.items():
                docs[name].append(run(src, a.samples, w, dask, store, engine))
    med = {k: statistics.median(float(d["seconds"]) for d in v) for k, v in docs.items()}
    cpu = {
        k: statistics.median(float(d["cpu"]) + float(d["child_cpu"]) for d in v)
        for k, v in docs.items()
    }
    loads = [x for v in docs.values() for d in v for x in d["load"]]
    base = med.get("before: stored, 1 process", math.nan)
    # the workers' speed-up is against one process on one core (no writer thread)
    one = med["after: summary_only, 1 process, one thread"]
    one_cpu = cpu["after: summary_only, 1 process, one thread"]
    print(
        f"zhenjiang-mc, {a.samples:,} samples, engine {engine}, medians of {a.repeat} "
        f"(seconds in-process), load average {min(loads):.1f}-{max(loads):.1f}"
    )
    print(
        f"{'':<44} {'wall':>7} {'CPU':>7} {'before/this':>11} {'vs 1 thread':>12} "
        f"{'CPU 1 / CPU':>11} {'bound':>6}"
    )
    for k, v in med.items():
        w = max(1, rows[k][1])
        scale = f"{one / v:12.2f}" if "summary_only" in k else " " * 12
        # CPU 1 / CPU: the extra work of the workers (1.00 = none); times the workers, the
        # speed-up two free cores would give at best (the wall-time ratio on a quiet machine)
        eff = one_cpu / cpu[k] if "summary_only" in k else math.nan
        eff_s = f"{eff:11.2f} {w * eff:6.2f}" if "summary_only" in k else ""
        print(f"{k:<44} {v:7.2f} {cpu[k]:7.2f} {base / v:11.2f} {scale} {eff_s}")
    pm = {k: json.dumps(v[-1]["p_met"]) for k, v in docs.items()}
    same = len(set(pm.values())) == 1
    print(f"P(met) identical on every row: {same}")
    if a.json:
        a.json.write_text(
            json.dumps({"samples": a.samples, "engine": engine, "runs": docs, "p_met_same": same})
        )


if __name__ == "__main__":
    main()
