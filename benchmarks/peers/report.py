"""The README's performance table in one command: clustersim beside its peers, as ratios.

    python benchmarks/peers/report.py [--samples 2000] [--numpy-samples 100000]
                                      [--clustersim-samples 200000] [--repeat 3] [--json]

Every row runs the same workload, the synthetic scenario of ``clustersim.bench.workloads``
(C clusters over T years; per sample each cluster's output growth and GDP growth drawn; the
targets on R&D intensity, a group total, a CAGR, R&D growth every year, energy intensity and
a count): a pure-Python loop (``model.py``), idiomatic NumPy (``numpy_model.py``), EMA
Workbench's ``perform_experiments`` running the pure-Python model (when ``ema_workbench`` is
installed), and clustersim's NumPy and numba engines through ``run_targets``. Rows are
interleaved over ``--repeat`` rounds and the best round of each is kept (the least disturbed
by other load); the table gives M cluster-years/s and every row's speed as a multiple of
the pure-Python loop and of idiomatic NumPy, in README markdown.

Before timing, idiomatic NumPy is checked against the pure-Python loop on the same draws.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import ema
from model import model_inputs, one_experiment, run_pure_python
from numpy_model import project, run_numpy

from clustersim.bench.workloads import synthetic_scenario
from clustersim.engine import run_targets


def _check(clusters: int, years: int) -> None:
    """Idiomatic NumPy computes what the pure-Python loop computes (same draws)."""
    inp = model_inputs(clusters, years)
    rng = np.random.default_rng(7)
    rates = rng.normal(inp["rate_mean"], inp["rate_sd"], size=(5, clusters))
    gdp = rng.normal(0.05, 0.01, size=5)
    vec = project(inp, rates, gdp)
    for s in range(5):
        ref = one_experiment(inp, list(rates[s]), float(gdp[s]))
        for k, v in ref.items():
            if not np.isclose(vec[k][s], v, rtol=1e-10, atol=0):
                raise SystemExit(f"numpy_model disagrees with model.py on {k}: {vec[k][s]} != {v}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=2000, help="pure Python and EMA")
    ap.add_argument("--numpy-samples", type=int, default=100_000)
    ap.add_argument("--clustersim-samples", type=int, default=200_000)
    ap.add_argument("--clusters", type=int, default=20)
    ap.add_argument("--years", type=int, default=12)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    cy = a.clusters * a.years
    _check(a.clusters, a.years)
    inp = model_inputs(a.clusters, a.years)
    sc = synthetic_scenario(a.clusters, a.years)
    rows: dict[str, tuple[int, Callable[[], object]]] = {
        "pure-Python loop": (a.samples, lambda: run_pure_python(a.samples, a.clusters, a.years)),
        "idiomatic NumPy": (a.numpy_samples, lambda: run_numpy(a.numpy_samples, inp)),
        "clustersim (numpy engine)": (
            a.clustersim_samples,
            lambda: run_targets(
                sc, samples=a.clustersim_samples, seed=1, sink=lambda s, o: None, engine="numpy"
            ),
        ),
    }
    try:
        import numba  # noqa: F401
    except ImportError:
        pass
    else:
        run_targets(sc, samples=1000, seed=1, engine="numba")  # compile (cached on disk)
        rows["clustersim (numba engine)"] = (
            a.clustersim_samples,
            lambda: run_targets(
                sc, samples=a.clustersim_samples, seed=1, sink=lambda s, o: None, engine="numba"
            ),
        )
    run_targets(sc, samples=1000, seed=1, engine="numpy")  # warm up
    best = {k: float("inf") for k in rows}
    for _ in range(a.repeat):
        for name, (_, fn) in rows.items():
            t0 = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - t0)
    rate = {k: rows[k][0] * cy / best[k] for k in rows}
    t_ema = ema(a.samples, a.clusters, a.years)
    if t_ema is not None:
        rate["EMA Workbench perform_experiments"] = a.samples * cy / t_ema
    py, vec = rate["pure-Python loop"], rate["idiomatic NumPy"]
    doc = {
        k: {"m_cluster_years_per_s": v / 1e6, "x_pure_python": v / py, "x_numpy": v / vec}
        for k, v in rate.items()
    }
    if a.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"{a.clusters} clusters x {a.years} years; best of {a.repeat} interleaved rounds\n")
    print("| path (one core) | M cluster-years/s | x pure-Python loop | x idiomatic NumPy |")
    print("|---|---|---|---|")
    for k, d in doc.items():
        print(
            f"| {k} | {d['m_cluster_years_per_s']:.2f} | {d['x_pure_python']:.1f} "
            f"| {d['x_numpy']:.2f} |"
        )
    if t_ema is None:
        print("\n(EMA Workbench is not installed here: pip install ema_workbench adds its row)")


if __name__ == "__main__":
    main()
