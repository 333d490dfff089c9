"""Write benchmarks/baseline.json: the median of N quick benchmark runs, and print the noise.

    python benchmarks/make_baseline.py [--runs 10] [--out benchmarks/baseline.json]
"""

from __future__ import annotations

import argparse
import datetime
import json
import statistics
from pathlib import Path

from clustersim.bench.runner import QUICK, run_suite, summarise


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--out", type=Path, default=Path(__file__).with_name("baseline.json"))
    a = ap.parse_args()
    runs = [run_suite(QUICK) for _ in range(a.runs)]
    keys = ("cluster_years_per_s", "peak_mb", "normalised", "seconds")
    workloads = []
    for w0 in runs[0]["workloads"]:
        same = [next(w for w in r["workloads"] if w["name"] == w0["name"]) for r in runs]
        fixed = {k: w0[k] for k in ("name", "engine", "samples", "clusters", "years")}
        workloads.append({**fixed, **{k: statistics.median(w[k] for w in same) for k in keys}})
    doc = {
        "note": f"median over {a.runs} runs of `clustersim bench --quick` ({datetime.date.today()})",
        "reference": {
            "kernel": runs[0]["reference"]["kernel"],
            "elements_per_s": statistics.median(r["reference"]["elements_per_s"] for r in runs),
        },
        "workloads": workloads,
    }
    a.out.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print("| workload | min | median | max | max / min | median / min |")
    print("|---|---|---|---|---|---|")
    for name, (lo, med, hi) in summarise(runs).items():
        print(f"| `{name}` | {lo:.5f} | {med:.5f} | {hi:.5f} | {hi / lo:.2f} | {med / lo:.2f} |")


if __name__ == "__main__":
    main()
