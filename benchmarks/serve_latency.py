"""Latency of the what-if page's recompute, through the app's test client, as the page asks:
``POST /api/compute`` (the Monte Carlo run, the target table with P(met), medians, margins,
p5-p95, and the fan chart), then ``POST /api/required`` (each target's required growth, a
search on the central scenario).

Each change moves GDP growth to a new value inside its range, so no answer comes from the
cache; the first (warm-up) change is left out. Reports the median and 95th percentile of the
wall time of each request and of both together, the CPU time of the process for both (what
the wall time would be on an idle core: the work is single-threaded), and the load average
(the machine is shared: read the wall times beside it).

    python benchmarks/serve_latency.py                       # zhenjiang-2026, 10^4 samples, 30 requests
    python benchmarks/serve_latency.py --scenario scenarios/example.yaml --requests 50 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from starlette.testclient import TestClient  # noqa: E402

from clustersim.serve import Session, create_app  # noqa: E402
from clustersim.serve.session import DEFAULT_SAMPLES  # noqa: E402

KNOB = "region.gdp.growth.rate"


def _p95(xs: list[float]) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, round(0.95 * (len(s) - 1)))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scenario", default=str(ROOT / "scenarios" / "zhenjiang-2026.yaml"))
    ap.add_argument("--samples", type=int, default=DEFAULT_SAMPLES)
    ap.add_argument("--requests", type=int, default=30)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    t0 = time.perf_counter()
    session = Session(Path(args.scenario), samples=args.samples, seed=1)
    start_s = time.perf_counter() - t0
    knob = session.knobs[KNOB]
    client = TestClient(create_app(session), base_url="http://127.0.0.1")
    client.post("/api/compute", json={"values": {}})  # warm-up: first-call imports, caches
    table: list[float] = []
    required: list[float] = []
    both: list[float] = []
    cpu: list[float] = []
    for i in range(args.requests):
        v = knob.lo + (knob.hi - knob.lo) * (i + 0.5) / args.requests
        c = time.process_time()
        t = time.perf_counter()
        resp = client.post("/api/compute", json={"values": {KNOB: v}})
        t1 = time.perf_counter()
        doc = resp.json()
        assert resp.status_code == 200 and not doc["cached"], doc
        resp = client.post("/api/required", json={"values": {KNOB: v}})
        t2 = time.perf_counter()
        assert resp.status_code == 200 and not resp.json()["cached"]
        table.append((t1 - t) * 1000)
        required.append((t2 - t1) * 1000)
        both.append((t2 - t) * 1000)
        cpu.append((time.process_time() - c) * 1000)

    def stat(xs: list[float]) -> dict[str, int]:
        return {"median": round(statistics.median(xs)), "p95": round(_p95(xs))}

    out = {
        "scenario": Path(args.scenario).name,
        "samples": args.samples,
        "requests": args.requests,
        "start_s": round(start_s, 2),
        "compute_ms": stat(table),
        "required_ms": stat(required),
        "both_ms": stat(both),
        "both_cpu_ms": stat(cpu),
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
    }
    if args.json:
        print(json.dumps(out))
        return
    print(
        f"{out['scenario']}: {args.samples:,} samples, {args.requests} changes "
        f"(start {out['start_s']} s)"
    )
    for key, what in (
        ("compute_ms", "table + fan chart (/api/compute)"),
        ("required_ms", "required growth (/api/required)"),
        ("both_ms", "both"),
        ("both_cpu_ms", "both, CPU time of the process"),
    ):
        print(f"  {what:34s} median {out[key]['median']:5d} ms, p95 {out[key]['p95']:5d} ms")
    print(f"  load average {out['load_average']} on {out['cpus']} CPUs")


if __name__ == "__main__":
    main()
