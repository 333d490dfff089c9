"""clustersim against a pure-Python loop and EMA Workbench, side by side in one run.

    python benchmarks/peers/compare.py [--samples 2000] [--clusters 20] [--years 12] [--json]

The same model (benchmarks/peers/model.py mirrors clustersim's synthetic benchmark scenario)
is run per experiment in plain Python and, when the `ema_workbench` package is installed,
through EMA Workbench's `perform_experiments` with its sequential evaluator; clustersim runs
the same sweep targets-only (`run_targets`, the blocked NumPy core). Speeds are in
cluster-years per second; the speed-up is clustersim's rate over each peer's.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from model import model_inputs, one_experiment, run_pure_python

from clustersim.bench.workloads import synthetic_scenario
from clustersim.engine import run_targets


def time_it(fn, repeats: int = 1) -> float:  # type: ignore[no-untyped-def]
    best = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def ema(samples: int, clusters: int, years: int) -> float | None:
    """Seconds for EMA Workbench to run the model `samples` times, or None if not installed."""
    try:
        import logging

        from ema_workbench import Model, RealParameter, ScalarOutcome, perform_experiments
        from ema_workbench.util import ema_logging
    except ImportError:
        return None
    ema_logging.log_to_stderr(logging.ERROR)
    inp = model_inputs(clusters, years)

    def fn(**kw: float) -> dict[str, float]:
        rates = [kw[f"r{c}"] for c in range(clusters)]
        return one_experiment(inp, rates, kw["gdp_rate"])

    m = Model("clusters", function=fn)
    m.uncertainties = [
        RealParameter(f"r{c}", mu - 2 * sd, mu + 2 * sd)
        for c, (mu, sd) in enumerate(zip(inp["rate_mean"], inp["rate_sd"], strict=True))
    ] + [RealParameter("gdp_rate", 0.03, 0.07)]
    m.outcomes = [ScalarOutcome(k) for k in ("rd", "group", "cagr", "rd_growth", "energy", "count")]
    t0 = time.perf_counter()
    perform_experiments(m, scenarios=samples)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--samples", type=int, default=2000, help="experiments for the peers")
    ap.add_argument("--clusters", type=int, default=20)
    ap.add_argument("--years", type=int, default=12)
    ap.add_argument("--clustersim-samples", type=int, default=200_000)
    ap.add_argument("--json", action="store_true")
    # speed-up is the fastest clustersim engine's rate over each row's
    a = ap.parse_args()
    cy = a.clusters * a.years
    sc = synthetic_scenario(a.clusters, a.years)
    run_targets(sc, samples=1000, seed=1)  # warm up
    rows = {}
    t = time_it(
        lambda: run_targets(sc, samples=a.clustersim_samples, seed=1, sink=lambda s, o: None), 3
    )
    rows["clustersim (numpy, blocked)"] = a.clustersim_samples * cy / t
    try:
        import numba  # noqa: F401

        run_targets(sc, samples=1000, seed=1, engine="numba")  # compile (cached on disk)
        t = time_it(
            lambda: run_targets(
                sc, samples=a.clustersim_samples, seed=1, sink=lambda s, o: None, engine="numba"
            ),
            3,
        )
        rows["clustersim (numba, fused)"] = a.clustersim_samples * cy / t
    except ImportError:
        pass
    t = time_it(lambda: run_pure_python(a.samples, a.clusters, a.years))
    rows["pure-Python loop"] = a.samples * cy / t
    t_ema = ema(a.samples, a.clusters, a.years)
    if t_ema is not None:
        rows["EMA Workbench perform_experiments"] = a.samples * cy / t_ema
    ours = max(v for k, v in rows.items() if k.startswith("clustersim"))
    doc = {
        name: {"cluster_years_per_s": rate, "clustersim_speedup": ours / rate}
        for name, rate in rows.items()
    }
    if a.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"{'':38} {'M cluster-years/s':>18} {'clustersim speed-up':>20}")
    for name, d in doc.items():
        print(f"{name:38} {d['cluster_years_per_s'] / 1e6:18.2f} {d['clustersim_speedup']:19.1f}x")
    if t_ema is None:
        print("(EMA Workbench not installed: pip install ema_workbench to compare with it)")


if __name__ == "__main__":
    main()
