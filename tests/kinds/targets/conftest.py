"""A hand-made scenario whose trajectories are computed by hand, for the tests of every target
kind (one file per kind, beside clustersim/kinds/targets/)."""

from __future__ import annotations

from typing import Any

from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs

BASE = 2023

# Hand-computed trajectories (t = year - 2023) used throughout.
GDP = {2021: 880.0, 2022: 940.0, **{BASE + t: 1000.0 * 1.05**t for t in range(6)}}
IND = {BASE + t: 2000.0 * 1.02**t for t in range(6)}
OUT = {
    "a": {BASE + t: 600.0 * 1.10**t for t in range(6)},
    "b": {BASE + t: 400.0 * 1.05**t for t in range(6)},
    "c": {BASE + t: 300.0 for t in range(6)},
    "d": {BASE + t: 100.0 * 1.25**t for t in range(6)},
}
ENERGY_REST = {BASE + t: 200.0 * 0.98**t for t in range(6)}
LOANS = {BASE + t: 18.0 * 1.06**t for t in range(6)}


def sme_stock() -> dict[int, float]:
    """Stock loop: s[t] = s[t-1] * 0.98 + 45 * 1.02**t from 380."""
    s = {BASE: 380.0}
    for t in range(1, 6):
        s[BASE + t] = s[BASE + t - 1] * 0.98 + 45.0 * 1.02**t
    return s


SME = sme_stock()


def base_dict() -> dict[str, Any]:
    """The hand-made scenario, 2023-2028, without targets."""
    return {
        "id": "targets",
        "name": "targets",
        "base_year": BASE,
        "end_year": 2028,
        "region": {
            "gdp": {"base": 1000.0, "growth": 0.05},
            "industrial_output": {"base": 2000.0, "growth": 0.02},
            "energy_rest": {"base": 200.0, "growth": -0.02},
            "history": {
                "gdp": {2021: 880.0, 2022: 940.0},
                "energy_intensity": {2020: 0.25},
                "ab_share": {2022: 0.95},
            },
        },
        "clusters": {
            "a": {"name": "A", "output": {"base": 600.0, "growth": 0.10}},
            "b": {"name": "B", "output": {"base": 400.0, "growth": 0.05}},
            "c": {"name": "C", "output": {"base": 300.0}},
            "d": {"name": "D", "output": {"base": 100.0, "growth": 0.25}},
        },
        "groups": {
            "ab": {"name": "AB", "clusters": ["a", "b"]},
            "cd": {"name": "CD", "clusters": ["c", "d"]},
        },
        "indicators": {
            "loans": {"kind": "level", "name": "loans", "base": 18.0, "growth": 0.06},
            "sme": {
                "kind": "stock",
                "name": "SMEs",
                "base": 380,
                "flow": {"base": 45, "growth": 0.02},
                "exit_rate": 0.02,
            },
        },
        "metrics": {"ab_share": "sum(output, group=ab) / gdp"},
    }


def outcome(target: dict[str, Any], **extra: Any) -> cs.TargetResult:
    """Run the base scenario with one target ``t`` and return its result."""
    d = base_dict()
    d.update(extra)
    d["targets"] = {"t": {"label": "t", **target}}
    res = cs.run(cs.Scenario.model_validate(d), required=False)
    return res.target("t")


def check(tr: cs.TargetResult, value: float, margin: float, met: bool, rtol: float = 1e-12) -> None:
    """One-sample value and margin equal the hand numbers; met is as expected."""
    assert_allclose(tr.value, [value], rtol=rtol)
    assert_allclose(tr.margin, [margin], rtol=rtol, atol=1e-13)
    assert_array_equal(tr.met, [met])
    assert tr.status == ("met" if met else "missed")
