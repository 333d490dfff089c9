"""The benchmark model in idiomatic NumPy: whole arrays over samples, the way an analyst
would vectorise ``model.one_experiment`` without clustersim.

Draws ``(S, C)`` growth rates and ``(S,)`` GDP growth, builds every series as an
``(S, C, T)`` array with ``cumprod`` and reduces over clusters: no blocking, no fusion, every
intermediate materialised. Same targets as :func:`model.one_experiment` (checked against it in
``report.py``).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def project(inp: dict[str, Any], rates: Array, gdp_rate: Array) -> dict[str, Array]:
    """Target values of every sample: ``rates`` ``(S, C)``, ``gdp_rate`` ``(S,)``."""
    t_n = inp["years"]
    t = np.arange(t_n)
    out0 = np.asarray(inp["out0"])
    growth = np.concatenate(
        [np.ones_like(rates)[:, :, None], np.repeat((1 + rates)[:, :, None], t_n - 1, axis=2)],
        axis=2,
    )
    out = out0[None, :, None] * np.cumprod(growth, axis=2)  # (S, C, T)
    va = np.asarray(inp["va0"])[:, None] * (1 + np.asarray(inp["va_g"]))[:, None] ** t
    epva = np.asarray(inp["epva0"])[:, None] * (1 + np.asarray(inp["epva_g"]))[:, None] ** t
    value_added = out * va[None]
    gdp = inp["gdp0"] * (1 + gdp_rate[:, None]) ** t  # (S, T)
    rd_rest = inp["rd_rest0"] * (1 + 1.1 * gdp_rate[:, None]) ** t
    rd_total = rd_rest + np.einsum("sct,c->st", out, np.asarray(inp["rd_share"]))
    energy_total = inp["energy_rest0"] * 1.01**t + np.sum(value_added * epva[None], axis=1)
    mid = t_n // 2
    growth_rd = np.min(rd_total[:, 1 : mid + 1] / rd_total[:, :mid] - 1, axis=1)
    return {
        "rd": rd_total[:, mid] / gdp[:, mid],
        "group": np.sum(out[:, : inp["emerging"], -1], axis=1),
        "cagr": (gdp[:, -1] / gdp[:, 0]) ** (1 / (t_n - 1)) - 1,
        "rd_growth": growth_rd,
        "energy": energy_total[:, mid] / gdp[:, mid],
        "count": np.sum(out[:, :, -1] >= 1000, axis=1).astype(np.float64),
    }


def run_numpy(samples: int, inp: dict[str, Any], seed: int = 1) -> dict[str, Array]:
    """Draw and project ``samples`` experiments at once."""
    rng = np.random.default_rng(seed)
    rates = rng.normal(inp["rate_mean"], inp["rate_sd"], size=(samples, len(inp["out0"])))
    return project(inp, rates, rng.normal(0.05, 0.01, size=samples))
