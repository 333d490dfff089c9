"""A whole sweep in one process, two trees interleaved (not a test).

Each measurement is a fresh child process that imports clustersim from one tree's ``src``,
runs a 20,000-sample warm-up sweep (imports, numba's cache, first touches), then times
``run_sweep(sweeps/zhenjiang-mc.yaml, samples=N, workers=1, engine=ENGINE)`` into a
temporary folder: summary-only (``store=()``) or every sample stored (the default). The
trees alternate round by round, so a shared machine's load moves both alike; the medians
and their ratio are printed with the load average and the timed sweep's minor page faults
(first touches of fresh memory, ``clustersim.malloc``).

    python benchmarks/sweeps/inprocess.py --before /tmp/before [--after .] \\
        [--samples 1000000] [--store summary|stored] [--rounds 3] [--engine numba]

``--before`` is another checkout (``git archive COMMIT | tar -x -C DIR``) of the project.
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

CHILD = r"""
import json, resource, sys, tempfile, time
from clustersim.sweep.runner import run_sweep
sweep, n, store, engine = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
kw = {"store": ()} if store == "summary" else {}
with tempfile.TemporaryDirectory() as d:
    run_sweep(sweep, out=d + "/w", samples=20000, workers=1, engine=engine, **kw)
with tempfile.TemporaryDirectory() as d:
    t, c = time.perf_counter(), time.process_time()
    f = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    res = run_sweep(sweep, out=d + "/o", samples=n, workers=1, engine=engine, **kw)
    print(json.dumps({"wall": time.perf_counter() - t, "cpu": time.process_time() - c,
                      "faults": resource.getrusage(resource.RUSAGE_SELF).ru_minflt - f,
                      "p_met": [x.probability for x in res.summary.targets]}))
"""


def run(tree: Path, n: int, store: str, engine: str) -> dict[str, object]:
    sweep = str(ROOT / "sweeps" / "zhenjiang-mc.yaml")
    return child_json(tree / "src", CHILD, [sweep, str(n), store, engine], str(tree))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, default=ROOT)
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--store", choices=("summary", "stored"), default="summary")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--engine", default="numba")
    a = ap.parse_args()
    load0 = os.getloadavg()[0]
    got: dict[str, list[dict[str, object]]] = {"before": [], "after": []}
    for _ in range(a.rounds):
        for side, tree in (("before", a.before), ("after", a.after)):
            got[side].append(run(tree, a.samples, a.store, a.engine))
    print(
        f"zhenjiang-mc, {a.samples:,} samples, {a.store}, engine {a.engine}, one process, "
        f"{a.rounds} interleaved rounds; load average {load0:.2f}-{os.getloadavg()[0]:.2f}"
    )
    med = {}
    for side, docs in got.items():
        walls = [float(d["wall"]) for d in docs]  # type: ignore[arg-type]
        cpus = [float(d["cpu"]) for d in docs]  # type: ignore[arg-type]
        faults = [int(d["faults"]) for d in docs]  # type: ignore[call-overload]
        med[side] = statistics.median(walls)
        print(
            f"{side:<7} wall {', '.join(f'{w:.2f}' for w in walls)} s (median {med[side]:.2f}); "
            f"CPU median {statistics.median(cpus):.2f} s; "
            f"page faults median {statistics.median(faults):,.0f}"
        )
    same = all(d["p_met"] == got["before"][0]["p_met"] for d in got["before"] + got["after"])
    print(f"after / before (medians): {med['after'] / med['before']:.2f}; P(met) identical: {same}")


if __name__ == "__main__":
    main()
