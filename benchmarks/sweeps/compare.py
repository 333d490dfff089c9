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
  Dask cluster of two single-threaded workers, beside ``workers=1`` of the same run.

    python benchmarks/sweeps/compare.py                       # 10^6 samples, 1 repeat
    python benchmarks/sweeps/compare.py --samples 200000 --repeat 3 --before /work/main
    python benchmarks/sweeps/compare.py --before-commit ce57eb3 --json out.json
"""

from __future__ import annotations

import argparse
import json
import math
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SWEEP = ROOT / "sweeps" / "zhenjiang-mc.yaml"

CHILD = r"""
import json, sys, tempfile, time
from clustersim.sweep.runner import run_sweep
sweep, n, workers, dask, store = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
kw = {} if store == "default" else {"store": ()}
with tempfile.TemporaryDirectory() as d:  # warm-up: numba's cache, imports, first touches
    run_sweep(sweep, out=d + "/w", samples=20000, workers=1, **kw)
ex = None
if dask == "local":
    from clustersim.sweep.executors import DaskExecutor
    ex = DaskExecutor("local", workers=workers)
with tempfile.TemporaryDirectory() as d:
    t0 = time.perf_counter()
    res = run_sweep(sweep, out=d + "/o", samples=n, workers=workers, executor=ex, **kw)
    secs = time.perf_counter() - t0
if ex is not None:
    ex.close()
print(json.dumps({"seconds": secs, "p_met": [t.probability for t in res.summary.targets]}))
"""


def run(src: Path, n: int, workers: int, dask: str, store: str) -> dict[str, object]:
    env = dict(os.environ, PYTHONPATH=str(src))
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(SWEEP), str(n), str(workers), dask, store],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    if out.returncode != 0:
        raise SystemExit(f"measurement failed ({src}, {workers}, {dask}, {store}):\n{out.stderr}")
    doc: dict[str, object] = json.loads(out.stdout.strip().splitlines()[-1])
    return doc


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
    ap.add_argument("--no-workers", action="store_true", help="skip the executor rows")
    ap.add_argument(
        "--workers-only", action="store_true", help="only the summary-only executor rows"
    )
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        before = export(a.before_commit, Path(tmp)) if a.before_commit else a.before / "src"
        after = ROOT / "src"
        rows: dict[str, tuple[Path, int, str, str]] = {
            "before: stored, 1 process": (before, 1, "", "default"),
            "after: stored, 1 process": (after, 1, "", "default"),
            "after: summary_only, 1 process": (after, 1, "", "summary_only"),
        }
        if a.workers_only:
            rows = {k: v for k, v in rows.items() if "summary_only" in k}
        if not a.no_workers:
            rows["after: summary_only, workers=2"] = (after, 2, "", "summary_only")
            rows["after: summary_only, dask local x2"] = (after, 2, "local", "summary_only")
        secs: dict[str, list[float]] = {k: [] for k in rows}
        pmet: dict[str, object] = {}
        for _ in range(a.repeat):
            for name, (src, w, dask, store) in rows.items():
                doc = run(src, a.samples, w, dask, store)
                secs[name].append(float(doc["seconds"]))  # type: ignore[arg-type]
                pmet[name] = doc["p_met"]
    med = {k: statistics.median(v) for k, v in secs.items()}
    base = med.get("before: stored, 1 process", math.nan)
    one = med["after: summary_only, 1 process"]
    print(f"zhenjiang-mc, {a.samples:,} samples, medians of {a.repeat} (seconds, in-process)")
    print(f"{'':<38} {'seconds':>8} {'before/this':>11} {'vs 1 process':>12}")
    for k, v in med.items():
        scale = f"{one / v:12.2f}" if "summary_only" in k else ""
        print(f"{k:<38} {v:8.2f} {base / v:11.2f} {scale}")
    same = len({json.dumps(v) for v in pmet.values()}) == 1
    print(f"P(met) identical on every row: {same}")
    if a.json:
        a.json.write_text(json.dumps({"samples": a.samples, "seconds": secs, "p_met_same": same}))


if __name__ == "__main__":
    main()
