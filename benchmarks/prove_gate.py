"""Prove the benchmark gate: it catches an injected 1.3x slowdown and raises no false alarm.

1. Copies this tree's ``src`` twice into a temporary folder: once unchanged, once with the
   NumPy hot loop slowed down (the constant-growth recurrence of the blocked projection,
   ``core/blocked.py``, run three times instead of once: the same numbers, more work).
2. Times the ``core_targets`` workload of both copies natively, interleaved, to show what the
   injection costs in wall time (the issue's "1.3x slowdown of the hot loop").
3. Runs the whole gate (``benchmarks/gate.py``) ``--runs`` times on the slowed copy (each run a
   catch or a miss) and ``--runs`` times on the unchanged copy (each run a pass or a false alarm).

Writes ``benchmarks/gate-proof.json`` and prints the counts::

    python benchmarks/prove_gate.py --runs 10
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import gate  # noqa: E402

#: the hot loop: one year of the constant-growth recurrence, ``x[t] = x[t-1] * (1 + r)``
HOT = re.compile(r"^(?P<indent>[ \t]+)np\.multiply\(series\[t - 1\], factor, out=series\[t\]\)\n", re.M)

TIMER = r"""
import json, sys, time
try:
    from clustersim.bench.runner import prepare
except ImportError:
    from clustersim.bench.runner import _prepare as prepare
from clustersim.bench.runner import Workload
fn = prepare(Workload("core_targets", 100_000, 20, 12))
fn()
times = []
for _ in range(int(sys.argv[1])):
    t0 = time.perf_counter(); fn(); times.append(time.perf_counter() - t0)
print(json.dumps(min(times)))
"""


def inject(tree: Path) -> None:
    """Run the recurrence step two more times (idempotent: it writes the same values)."""
    path = tree / "src" / "clustersim" / "core" / "blocked.py"
    text = path.read_text(encoding="utf-8")
    new, n = HOT.subn(lambda m: m.group(0) * 3, text, count=1)
    if n != 1:
        raise SystemExit(f"{path}: the hot loop's line was not found; update prove_gate.HOT")
    path.write_text(new, encoding="utf-8")


def copy_tree(dest: Path) -> Path:
    shutil.copytree(ROOT / "src", dest / "src", ignore=shutil.ignore_patterns("__pycache__"))
    return dest


def wall_ratio(plain: Path, slowed: Path, pairs: int = 7, reps: int = 5) -> dict[str, Any]:
    """Best-of-``reps`` time of core_targets on each copy, in interleaved pairs."""
    out: dict[str, list[float]] = {"plain": [], "slowed": []}
    for _ in range(pairs):
        for label, tree in (("plain", plain), ("slowed", slowed)):
            env = gate._env(tree, tree / "cache")
            proc = subprocess.run(
                [sys.executable, "-c", TIMER, str(reps)], env=env, capture_output=True, text=True, check=True
            )
            out[label].append(float(proc.stdout.strip()))
    ratios = [s / p for p, s in zip(out["plain"], out["slowed"], strict=True)]
    return {
        "workload": "core_targets/S100000/C20/T12",
        "plain_best_s": min(out["plain"]),
        "slowed_best_s": min(out["slowed"]),
        "ratio_median": statistics.median(ratios),
        "ratio_min": min(ratios),
        "ratio_max": max(ratios),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", type=Path, default=HERE / "gate-proof.json")
    args = ap.parse_args()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clustersim-proof-") as tmp:
        plain = copy_tree(Path(tmp) / "plain")
        slowed = copy_tree(Path(tmp) / "slowed")
        inject(slowed)
        wall = wall_ratio(plain, slowed)
        print(
            f"injected slowdown, wall time of core_targets: {wall['ratio_median']:.2f}x "
            f"(pairs {wall['ratio_min']:.2f}-{wall['ratio_max']:.2f})",
            flush=True,
        )
        runs: dict[str, list[dict[str, Any]]] = {"slowed": [], "unchanged": []}
        for i in range(args.runs):
            for label, tree in (("slowed", slowed), ("unchanged", plain)):
                doc = gate.run_gate(head=tree)
                worst = max(doc["workloads"], key=lambda r: r["ratio"] / r["max_ratio"])
                runs[label].append(
                    {
                        "ok": doc["ok"],
                        "seconds": doc["seconds"],
                        "ratios": {r["workload"]: round(r["ratio"], 5) for r in doc["workloads"]},
                    }
                )
                print(
                    f"run {i + 1:2d} {label:9s}: gate {'passed' if doc['ok'] else 'FAILED'} in "
                    f"{doc['seconds']} s (highest {worst['workload']} {worst['ratio']:.4f})",
                    flush=True,
                )
    caught = sum(not r["ok"] for r in runs["slowed"])
    false_alarms = sum(not r["ok"] for r in runs["unchanged"])
    doc = {
        "reference": gate.load_config()[0],
        "runs": args.runs,
        "caught": caught,
        "false_alarms": false_alarms,
        "injected_wall_ratio": wall,
        "seconds": round(time.perf_counter() - t0, 1),
        "detail": runs,
    }
    args.out.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    print(
        f"caught {caught} of {args.runs} injected slowdowns; {false_alarms} false alarms in "
        f"{args.runs} runs of unchanged code; written to {args.out}"
    )
    return 0 if caught >= 0.9 * args.runs and false_alarms == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
