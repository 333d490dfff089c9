"""Synthetic benchmark scenarios: C clusters, T years, parametric growth, every target kind.

One definition serves ``clustersim bench``, the benchmarks/ suite and the peer comparison,
so a speed-up measured in one is the speed-up of the others.
"""

from __future__ import annotations

from typing import Any

from clustersim.scenario.models import Scenario

__all__ = ["BASE_YEAR", "synthetic_dict", "synthetic_scenario"]

BASE_YEAR = 2024
#: the shocks of the ``shocks=True`` variant: 3% a year, half from a region-wide factor
SHOCK: dict[str, Any] = {"sd": 0.03, "factor": "region", "loading": 0.5}


def synthetic_dict(
    clusters: int = 20, years: int = 12, *, parametric: bool = True, shocks: bool = False
) -> dict[str, Any]:
    """A scenario as a plain dict (see :func:`synthetic_scenario`)."""
    if clusters < 4 or years < 4:
        raise ValueError("a benchmark scenario needs at least 4 clusters and 4 years")
    end = BASE_YEAR + years - 1
    mid = BASE_YEAR + years // 2
    cl: dict[str, Any] = {}
    for i in range(clusters):
        base = 200.0 + 1800.0 * ((i * 37) % clusters) / clusters  # 200 .. 2,000 亿, spread out
        rate: Any = 0.03 + 0.07 * ((i * 11) % clusters) / clusters
        if parametric:
            rate = {"dist": "normal", "mean": rate, "sd": 0.02}
        growth: Any = rate
        if shocks:  # issue 15: yearly innovations, half of their variance from the region
            growth = {"kind": "constant", "rate": rate, "shocks": SHOCK | {"ar": 0.1 * (i % 4)}}
        cl[f"c{i:03d}"] = {
            "name": f"cluster {i}",
            "output": {"base": base, "growth": growth},
            "va_ratio": {"base": 0.2 + 0.1 * (i % 3) / 2, "growth": -0.004},
            "rd": {"share_of_output": {"base": 0.01 + 0.002 * (i % 5)}},
            "energy_per_va": {"base": 0.2 + 0.8 * (i % 4) / 3, "growth": -0.03},
        }
    ids = list(cl)
    gdp_rate: Any = {"dist": "normal", "mean": 0.05, "sd": 0.01} if parametric else 0.05
    if shocks:
        gdp_rate = {"kind": "constant", "rate": gdp_rate, "shocks": SHOCK | {"loading": 0.8}}
    extra: dict[str, Any] = {}
    if shocks:
        extra["shocks"] = {"factors": {"region": {"ar": 0.3}}}
        if parametric:  # the two largest-growth clusters' mean rates move together
            pair = [f"clusters.{c}.output.growth.rate" for c in ids[:2]]
            extra["shocks"]["correlations"] = [{"between": pair, "rho": 0.5}]
    return {
        "id": f"bench_c{clusters}_t{years}",
        "name": "benchmark",
        "base_year": BASE_YEAR,
        "end_year": end,
        "region": {
            "gdp": {"base": 20000.0, "growth": gdp_rate},
            "industrial_output": {"base": 30000.0, "growth": 0.04},
            "rd_rest": {
                "base": 300.0,
                "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 1.1},
            },
            "energy_rest": {"base": 3000.0, "growth": 0.01},
            "history": {"energy_intensity": {BASE_YEAR - 4: 0.3}},
        },
        "clusters": cl,
        "groups": {
            "emerging": {"name": "emerging", "clusters": ids[: clusters // 2]},
            "digital": {"name": "digital", "clusters": ids[:2]},
        },
        "indicators": {
            "loans": {"kind": "level", "name": "loans", "base": 20.0, "growth": 0.05},
            "smes": {
                "kind": "stock",
                "name": "SMEs",
                "base": 400,
                "flow": {"base": 40},
                "exit_rate": 0.02,
            },
        },
        "metrics": {"digital_share": "sum(value_added, group=digital) / gdp"},
        "targets": {
            "rd": {
                "kind": "level",
                "label": "R&D",
                "metric": "rd_intensity",
                "year": mid,
                "at_least": 0.03,
            },
            "share": {
                "kind": "share",
                "label": "share",
                "numerator": "sum(output, group=emerging)",
                "denominator": "industrial_output",
                "year": end,
                "at_least": 0.3,
            },
            "group": {
                "kind": "group_sum",
                "label": "group",
                "group": "emerging",
                "year": end,
                "at_least": 15000,
            },
            "cagr": {
                "kind": "cagr",
                "label": "cagr",
                "metric": "gdp",
                "from_year": BASE_YEAR,
                "year": end,
                "at_least": 0.05,
            },
            "rd_growth": {
                "kind": "growth_every_year",
                "label": "rd growth",
                "metric": "rd_total",
                "from_year": BASE_YEAR,
                "year": mid,
                "at_least": 0.05,
            },
            "energy": {
                "kind": "change_vs",
                "label": "energy",
                "metric": "energy_intensity",
                "relative_to": BASE_YEAR - 4,
                "year": mid,
                "at_most": -0.14,
            },
            "digital_pp": {
                "kind": "pp_change_per_year",
                "label": "digital pp",
                "metric": "digital_share",
                "from_year": BASE_YEAR,
                "year": mid,
                "at_least": 0.0005,
            },
            "loans": {
                "kind": "flow_every_year",
                "label": "loans",
                "metric": "loans",
                "from_year": BASE_YEAR + 1,
                "year": end,
                "at_least": 20,
            },
            "smes": {
                "kind": "stock",
                "label": "SMEs",
                "metric": "smes",
                "year": end,
                "at_least": 700,
            },
            "count": {
                "kind": "count_over",
                "label": "count",
                "threshold": 1000,
                "year": end,
                "between": [clusters // 2, clusters],
            },
            "tiers": {
                "kind": "count_over",
                "label": "tiers",
                "year": end,
                "tiers": [{"threshold": 3000, "at_least": 2}, {"threshold": 1000, "at_least": 4}],
            },
        },
        **extra,
    }


def synthetic_scenario(
    clusters: int = 20, years: int = 12, *, parametric: bool = True, shocks: bool = False
) -> Scenario:
    """A benchmark scenario with ``clusters`` clusters over ``years`` years.

    Every cluster has a sampled output growth (``parametric``), a value-added ratio,
    R&D as a share of output and a falling energy intensity; the targets cover every
    target kind (level, share, group sum, CAGR, growth every year, change against a
    history year, percentage-point change, flow every year, stock, counts with a range
    and with tiers).

    With ``shocks``, every cluster's output growth and GDP growth get yearly innovations
    (issue 15): sd 3%, AR(1) 0-0.3 by cluster, a region-wide factor (AR 0.3) carrying half
    of each cluster's innovation variance and 80% of GDP's, and a copula correlation of 0.5
    between the first two clusters' mean rates.
    """
    return Scenario.model_validate(
        synthetic_dict(clusters, years, parametric=parametric, shocks=shocks)
    )
