"""The benchmark model written plainly, one experiment at a time (the way a peer tool runs it).

The same scenario as ``clustersim.bench.workloads.synthetic_scenario``: per experiment, draw
each cluster's output growth and GDP growth, project C clusters over T years in Python loops,
and evaluate the targets the clustersim workload evaluates on output, value added, R&D and
energy. It is the reference point "a pure-Python loop" in the README's performance table, and
the model EMA Workbench runs in ``ema.py``.
"""

from __future__ import annotations

import math
from typing import Any

from clustersim.bench.workloads import synthetic_dict


def model_inputs(clusters: int, years: int) -> dict[str, Any]:
    """Fixed inputs of the synthetic scenario, read from the same definition clustersim uses."""
    d = synthetic_dict(clusters, years)
    cl = list(d["clusters"].values())
    return {
        "years": years,
        "out0": [c["output"]["base"] for c in cl],
        "rate_mean": [c["output"]["growth"]["mean"] for c in cl],
        "rate_sd": [c["output"]["growth"]["sd"] for c in cl],
        "va0": [c["va_ratio"]["base"] for c in cl],
        "va_g": [c["va_ratio"]["growth"] for c in cl],
        "rd_share": [c["rd"]["share_of_output"]["base"] for c in cl],
        "epva0": [c["energy_per_va"]["base"] for c in cl],
        "epva_g": [c["energy_per_va"]["growth"] for c in cl],
        "gdp0": d["region"]["gdp"]["base"],
        "rd_rest0": d["region"]["rd_rest"]["base"],
        "energy_rest0": d["region"]["energy_rest"]["base"],
        "emerging": len(d["groups"]["emerging"]["clusters"]),
    }


def one_experiment(inp: dict[str, Any], rates: list[float], gdp_rate: float) -> dict[str, float]:
    """Project one sample and return the target values (plain Python)."""
    t_n = inp["years"]
    c_n = len(inp["out0"])
    gdp = [inp["gdp0"] * (1 + gdp_rate) ** t for t in range(t_n)]
    rd_rest = [inp["rd_rest0"]]
    for _ in range(1, t_n):
        rd_rest.append(rd_rest[-1] * (1 + 1.1 * gdp_rate))
    rd_total = list(rd_rest)
    energy_total = [inp["energy_rest0"] * 1.01**t for t in range(t_n)]
    emerging_end = 0.0
    count = 0
    for c in range(c_n):
        out = inp["out0"][c]
        va = inp["va0"][c]
        epva = inp["epva0"][c]
        for t in range(t_n):
            if t:
                out *= 1 + rates[c]
                va *= 1 + inp["va_g"][c]
                epva *= 1 + inp["epva_g"][c]
            value_added = out * va
            rd_total[t] += out * inp["rd_share"][c]
            energy_total[t] += value_added * epva
        if c < inp["emerging"]:
            emerging_end += out
        count += out >= 1000
    mid = t_n // 2
    growth = min(rd_total[t] / rd_total[t - 1] - 1 for t in range(1, mid + 1))
    return {
        "rd": rd_total[mid] / gdp[mid],
        "group": emerging_end,
        "cagr": (gdp[-1] / gdp[0]) ** (1 / (t_n - 1)) - 1,
        "rd_growth": growth,
        "energy": energy_total[mid] / gdp[mid],
        "count": float(count),
    }


def normal_draws(rng: Any, inp: dict[str, Any]) -> tuple[list[float], float]:
    rates = [rng.gauss(m, s) for m, s in zip(inp["rate_mean"], inp["rate_sd"], strict=True)]
    return rates, rng.gauss(0.05, 0.01)


def run_pure_python(
    samples: int, clusters: int, years: int, seed: int = 1
) -> list[dict[str, float]]:
    import random

    rng = random.Random(seed)
    inp = model_inputs(clusters, years)
    return [one_experiment(inp, *normal_draws(rng, inp)) for _ in range(samples)]


__all__ = ["math", "model_inputs", "one_experiment", "run_pure_python"]
