"""Seconds of ``clustersim discover`` on a sweep of 10^6 samples (issue 16: under a minute).

    python benchmarks/discover/run.py                       # example-lhs, 10^6 samples
    python benchmarks/discover/run.py --sweep sweeps/zhenjiang-mc.yaml --samples 1000000
    python benchmarks/discover/run.py --dir out/existing-sweep   # time an existing sweep

Runs the sweep once into a temporary directory (not timed), then times each phase of
discovery as the command runs it: reading the samples table, PRIM (peeling, pasting), the
quasi-p values of the chosen box, CART, and the whole ``discover()`` call, each as wall
seconds and as the process's CPU seconds (``*_cpu_s``: what the wall time is on an idle core;
this machine is shared), with the load average before and after. Prints one JSON line per run.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sweep", default=str(ROOT / "sweeps" / "example-lhs.yaml"))
    ap.add_argument("--samples", type=int, default=1_000_000)
    ap.add_argument("--dir", help="an existing sweep's output directory (no sweep is run)")
    ap.add_argument("--target", default=None, help="target id (default: all targets met)")
    ap.add_argument("--workers", type=int, default=1)
    args = ap.parse_args()

    from clustersim.analysis.discover import cart_rules, choose_box, discover
    from clustersim.analysis.prim import prim, quasi_p
    from clustersim.io.sweep_samples import read_sweep_samples
    from clustersim.sweep.runner import run_sweep

    with tempfile.TemporaryDirectory() as tmp:
        d = Path(args.dir) if args.dir else Path(tmp) / "sweep"
        if not args.dir:
            t = time.perf_counter()
            run_sweep(args.sweep, out=d, samples=args.samples, workers=args.workers)
            sweep_s = time.perf_counter() - t
        else:
            sweep_s = None
        load_before = os.getloadavg()
        c0, t0 = time.process_time(), time.perf_counter()
        s = read_sweep_samples(d)
        c1, t1 = time.process_time(), time.perf_counter()
        outcome = args.target or "all_met"
        met = s.met[outcome]
        y = ~met if args.target else met
        res = prim(s.x, y)
        c2, t2 = time.process_time(), time.perf_counter()
        b = res.boxes[choose_box(res)]
        quasi_p(s.x, y, b, res.init)
        c3, t3 = time.process_time(), time.perf_counter()
        cart_rules(s.x, y, s.inputs)
        c4, t4 = time.process_time(), time.perf_counter()
        shape, n_inputs = s.x.shape, len(s.inputs)
        del s  # discover() reads its own copy
        discover(d, target=args.target)
        c5, t5 = time.process_time(), time.perf_counter()
    print(
        json.dumps(
            {
                "sweep": Path(args.sweep).name if not args.dir else str(args.dir),
                "samples": int(shape[0]),
                "inputs": n_inputs,
                "outcome": outcome,
                "cases_of_interest": int(y.sum()),
                "boxes": len(res.boxes),
                "sweep_s": None if sweep_s is None else round(sweep_s, 2),
                "read_s": round(t1 - t0, 2),
                "prim_s": round(t2 - t1, 2),
                "quasi_p_s": round(t3 - t2, 2),
                "cart_s": round(t4 - t3, 2),
                "discover_s": round(t5 - t4, 2),
                "read_cpu_s": round(c1 - c0, 2),
                "prim_cpu_s": round(c2 - c1, 2),
                "quasi_p_cpu_s": round(c3 - c2, 2),
                "cart_cpu_s": round(c4 - c3, 2),
                "discover_cpu_s": round(c5 - c4, 2),
                "load_before": [round(v, 1) for v in load_before],
                "load_after": [round(v, 1) for v in os.getloadavg()],
                "machine": platform.processor() or platform.machine(),
                "date": time.strftime("%Y-%m-%d"),
            }
        )
    )


if __name__ == "__main__":
    main()
