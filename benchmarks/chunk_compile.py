"""A chunk's compile, two trees interleaved, with its page faults (not a test).

Each measurement is a fresh child process that imports clustersim from one tree's ``src``.
It compiles the synthetic 20 x 12 scenario's structure with a ``ScenarioCompiler`` (numba's
inverse normal and rates layout when numba is installed, as the numba engine draws), warms
up with three chunks, then times 16 chunks of ``N`` samples, best of 5 rounds. It reports
CPU ms a chunk, and the minor page faults and system seconds of the best round, per chunk.
When the tree has :mod:`clustersim.malloc`, the child calls ``keep_freed_memory()`` first, as
``run_targets`` does; ``--keep-memory 0`` sets ``CLUSTERSIM_KEEP_MEMORY=0`` so it does nothing.
The trees alternate round by round, so a shared machine's load moves both alike.

    PYTHONPATH=src python benchmarks/chunk_compile.py --before DIR [--after .] \\
        [--samples 65536,25000] [--rounds 3] [--keep-memory 1]

``--before`` is another checkout (``git archive COMMIT | tar -x -C DIR``) of the project.
"""

from __future__ import annotations

import argparse
import os
import statistics
from pathlib import Path

from _trees import child_json

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
try:
    from clustersim.malloc import keep_freed_memory
except ImportError:  # a tree from before clustersim.malloc
    keep_freed_memory = None
from clustersim.bench.workloads import synthetic_scenario
from clustersim.compile import ScenarioCompiler
from clustersim.engines import ENGINES, get_engine

if keep_freed_memory is not None:
    keep_freed_memory()
n = int(sys.argv[1])
eng = get_engine("numba" if ENGINES["numba"].available() else "numpy")
comp = ScenarioCompiler(
    synthetic_scenario(20, 12), seed=1, draw=True,
    inverse_normal=eng.inverse_normal(), rates_layout=eng.rates_layout(),
)
for k in range(3):
    comp.compile(samples=n, offset=k * n)
best = None
for _ in range(5):
    r0 = resource.getrusage(resource.RUSAGE_SELF)
    t = time.process_time()
    for k in range(16):
        comp.compile(samples=n, offset=k * n)
    ms = (time.process_time() - t) / 16 * 1e3
    r1 = resource.getrusage(resource.RUSAGE_SELF)
    row = {"ms": ms, "faults": (r1.ru_minflt - r0.ru_minflt) / 16,
           "sys_ms": (r1.ru_stime - r0.ru_stime) / 16 * 1e3, "engine": eng.name}
    if best is None or ms < best["ms"]:
        best = row
print(json.dumps(best))
"""


def run(tree: Path, n: int, keep: str) -> dict[str, float]:
    return child_json(
        tree / "src", CHILD, [str(n)], str(tree), env={"CLUSTERSIM_KEEP_MEMORY": keep}
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--before", type=Path, required=True)
    ap.add_argument("--after", type=Path, default=ROOT)
    ap.add_argument("--samples", default="65536,25000")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--keep-memory", choices=("0", "1"), default="1")
    a = ap.parse_args()
    load0 = os.getloadavg()[0]
    print(
        "| samples a chunk | before: CPU ms / faults / system ms a chunk "
        "| after: CPU ms / faults / system ms a chunk | after / before (median ms) |"
    )
    print("|---:|---|---|---:|")
    for n in (int(x) for x in a.samples.split(",")):
        got: dict[str, list[dict[str, float]]] = {"before": [], "after": []}
        for _ in range(a.rounds):
            for side, tree in (("before", a.before), ("after", a.after)):
                got[side].append(run(tree, n, a.keep_memory))
        cells = []
        for side in ("before", "after"):
            rows = got[side]
            cells.append(
                ", ".join(f"{r['ms']:.2f}" for r in rows)
                + f" / {statistics.median(r['faults'] for r in rows):,.0f}"
                + f" / {statistics.median(r['sys_ms'] for r in rows):.2f}"
            )
        ratio = statistics.median(r["ms"] for r in got["after"]) / statistics.median(
            r["ms"] for r in got["before"]
        )
        print(f"| {n:,} | {cells[0]} | {cells[1]} | {ratio:.2f} |", flush=True)
    engine = got["after"][0]["engine"] if got["after"] else "?"
    print(
        f"engine {engine}; keep memory {a.keep_memory}; {a.rounds} interleaved rounds; "
        f"load average {load0:.2f}-{os.getloadavg()[0]:.2f}"
    )


if __name__ == "__main__":
    main()
