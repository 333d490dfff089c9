"""Sweep throughput and peak memory at 10^4, 10^5 and 10^6 samples (not a test).

Runs ``clustersim sweep benchmarks/sweeps/bench-mc.yaml`` (20 clusters, 12 years, 11
targets, 21 sampled numbers) as a child process per size and reports:

- samples per second, end to end (start-up, pilot, projection, Parquet writes, summary);
- samples per second inside ``run_sweep`` (the manifest's run record: without interpreter
  start-up and imports);
- peak memory: the largest sum of resident set sizes over the whole process tree (the
  command and its workers), sampled every 20 ms. Shared pages count once per process, so
  this overstates the true footprint, never understates it.

    python benchmarks/sweeps/run.py                        # 1e4, 1e5, 1e6 with 2 workers
    python benchmarks/sweeps/run.py --sizes 10000 --workers 1 --json

Needs psutil (``pip install psutil``) for the process-tree memory.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SWEEP = HERE / "bench-mc.yaml"
CLI = [sys.executable, "-c", "from clustersim.cli import main; main()"]


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        root = psutil.Process(pid)
        procs = [root, *root.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for p in procs:
        with contextlib.suppress(psutil.NoSuchProcess):
            total += p.memory_info().rss
    return total


def run_one(samples: int, workers: int, out: Path, extra: list[str]) -> dict[str, object]:
    """Run one sweep; return its timings and peak memory."""
    cmd = [*CLI, "sweep", str(SWEEP), "--out", str(out), "--samples", str(samples)]
    cmd += ["--workers", str(workers), "--quiet", *extra]
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    done = threading.Event()

    def watch() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, _tree_rss(proc.pid))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch, daemon=True)
    watcher.start()
    _, stderr = proc.communicate()
    done.set()
    watcher.join()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"sweep failed ({proc.returncode}): {stderr.decode()}")
    manifest = json.loads((out / "manifest.json").read_text())
    run = manifest["timings"]["runs"][-1]
    chunk_s = sum(manifest["timings"]["chunk_seconds"].values())
    size = sum(f.stat().st_size for f in (out / "samples").glob("*.parquet"))
    return {
        "samples": samples,
        "workers": workers,
        "chunks": manifest["chunks"],
        "wall_seconds": round(wall, 2),
        "samples_per_second": round(samples / wall),
        "run_samples_per_second": run["samples_per_second"],
        "evaluate_seconds_per_worker": round(chunk_s / workers, 2),
        "peak_rss_mb": round(peak / 2**20),
        "dataset_mb": round(size / 2**20, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true", help="print the results as JSON")
    args, extra = ap.parse_known_args()
    tmp = Path(tempfile.mkdtemp(prefix="clustersim-sweep-bench-"))
    results = []
    try:
        for n in args.sizes:
            out = tmp / f"n{n}"
            results.append(run_one(n, args.workers, out, extra))
            shutil.rmtree(out, ignore_errors=True)
            if not args.json:
                r = results[-1]
                print(
                    f"{r['samples']:>9,} samples  {r['workers']} workers  {r['wall_seconds']:>7.1f} s  "
                    f"{r['samples_per_second']:>8,} samples/s end to end  "
                    f"({r['run_samples_per_second']:,.0f}/s inside run_sweep)  "
                    f"peak RSS {r['peak_rss_mb']:,} MB  dataset {r['dataset_mb']:,} MB",
                    flush=True,
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
