"""Input-output coupling and firm tier pipelines at 10^5 samples (issue 17).

Times, best of ``--repeat`` runs, interleaved:

- the batched Leontief solve (:func:`clustersim.core.kernels.leontief_output`): ``S`` stacked
  ``(n, n)`` systems with ``T`` right-hand sides each, ``n = C + 1``, one ``np.linalg.solve``;
- the same systems solved one sample at a time in a Python loop (what the batched call replaces);
- a whole ``run_targets`` of a scenario with ``io:`` and one with ``pipelines:`` (compile with
  draws, projection, targets; the NumPy engine, the blocked path).

    PYTHONPATH=src python benchmarks/io_tiers.py [--samples 100000] [--clusters 8] [--years 8]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from clustersim.core.kernels import leontief_output
from clustersim.engine import run_targets
from clustersim.scenario.models import Scenario


def best(fn: Callable[[], Any], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def io_scenario(c: int, years: int) -> dict[str, Any]:
    ids = [f"c{i}" for i in range(c)]
    coef: dict[str, dict[str, Any]] = {}
    for i in [*ids, "rest"]:
        coef[i] = {
            j: {"dist": "uniform", "low": 0.01, "high": 0.6 / (c + 1)} for j in [*ids, "rest"]
        }
    return {
        "id": "bench_io",
        "name": "bench",
        "base_year": 2023,
        "end_year": 2023 + years - 1,
        "region": {"gdp": {"base": 1000.0}},
        "clusters": {
            cid: {
                "name": cid,
                "output": {
                    "base": 100.0 + i,
                    "growth": {"dist": "normal", "mean": 0.06, "sd": 0.02},
                },
            }
            for i, cid in enumerate(ids)
        },
        "io": {
            "illustrative": True,
            "rest": {"output": {"base": 5000.0, "growth": 0.04}},
            "coefficients": coef,
        },
        "targets": {
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "sum(output)",
                "year": 2023 + years - 1,
                "at_least": 1000,
            }
        },
    }


def tier_scenario(years: int) -> dict[str, Any]:
    u = {"dist": "uniform", "low": 0.02, "high": 0.10}
    return {
        "id": "bench_tiers",
        "name": "bench",
        "base_year": 2023,
        "end_year": 2023 + years - 1,
        "region": {"gdp": {"base": 1000.0}},
        "pipelines": {
            "f": {
                "name": "f",
                "entries": {"base": 300, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.02}},
                "tiers": {
                    "sme": {"name": "a", "base": 600, "promotion": u, "exit_rate": u},
                    "ht": {"name": "b", "base": 250, "promotion": u, "exit_rate": u},
                    "srdi": {"name": "c", "base": 60, "exit_rate": u, "ceiling": 150},
                },
            }
        },
        "metrics": {"share": "srdi / ht"},
        "targets": {
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "share",
                "year": 2023 + years - 1,
                "at_least": 0.3,
            }
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=100_000)
    ap.add_argument("--clusters", type=int, default=8)
    ap.add_argument("--years", type=int, default=8)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    s, c, t = a.samples, a.clusters, a.years
    n = c + 1
    rng = np.random.default_rng(0)
    coef = rng.uniform(0.0, 0.6 / n, (s, n, n))
    demand = 100.0 * np.cumprod(1.0 + rng.normal(0.06, 0.02, (s, c, t)), axis=-1)
    rest = np.broadcast_to(5000.0 * 1.04 ** np.arange(t), (1, t))
    batched = best(lambda: leontief_output(coef, demand, rest), a.repeat)
    loop_n = min(s, 5_000)

    def per_sample() -> None:
        eye = np.eye(n)
        for i in range(loop_n):
            d = np.vstack([demand[i], rest[0]])
            f0 = d[:, 0] - coef[i] @ d[:, 0]
            np.linalg.solve(eye - coef[i], f0[:, None] * d / d[:, :1])

    loop = best(per_sample, 1) * s / loop_n
    sc_io = Scenario.model_validate(io_scenario(c, t))
    run_io = best(lambda: run_targets(sc_io, samples=s, seed=1, engine="numpy"), a.repeat)
    sc_t = Scenario.model_validate(tier_scenario(t))
    run_t = best(lambda: run_targets(sc_t, samples=s, seed=1, engine="numpy"), a.repeat)
    print(f"S={s:,} C={c} (n={n}) T={t}")
    print(
        f"batched Leontief solve        {batched * 1e3:9.1f} ms  ({s / batched / 1e6:.2f} M systems/s)"
    )
    print(
        f"per-sample loop (from {loop_n:,})  {loop * 1e3:9.1f} ms  ({loop / batched:.0f}x slower)"
    )
    print(f"run_targets with io:          {run_io * 1e3:9.1f} ms")
    print(f"run_targets with pipelines:   {run_t * 1e3:9.1f} ms  (3 tiers)")


if __name__ == "__main__":
    main()
