"""Which series a target's required growth moves, where following the metric finds none.

* A given lever that leads to no one series is left out of the target's levers: ``ht`` over
  two clusters' tier ladders (one entries series per ladder) is none, ``ht[chips]`` is the
  chips ladder's entries. The chips rate ``r`` that brings high-tech firms of both ladders
  in 2025 to 540, by hand (the ladders of ``tests/unit/test_tiers_cluster.py``): ev's
  385.08 does not move; chips' ``ht_2025 = 107.5 x 0.95 + 0.2 sme_2024`` with
  ``sme_2024 = 300 x 0.7 + 40 (1 + r)``, so ``ht_2025 = 152.125 + 8 r`` and
  ``r = (540 - 385.08 - 152.125) / 8 = 0.349375``.
* A stock whose selected clusters neither have firms of their own growth nor entries: the
  firms' own rate is not the lever (cluster b's 20 firms have no rate of their own), the
  entries are; they are 0, so no rate reaches the goal and firms[b] stays 20. Cluster a's
  firms grow on their own: their rate is the lever, ``10 (1 + r)^2 = 30``, ``r = sqrt(3) - 1``.
"""

from __future__ import annotations

import math
from typing import Any

import pytest

import clustersim as cs
from clustersim.compile import Lever, compile_scenario


def _ladder(
    cluster: str, entries: float, sme: float, ht: float, p: float, x1: float, x2: float
) -> Any:
    return {
        "name": f"ladder of {cluster}",
        "cluster": cluster,
        "entries": {"base": entries},
        "tiers": {
            "sme": {"name": "tech SMEs", "base": sme, "promotion": p, "exit_rate": x1},
            "ht": {"name": "high-tech", "base": ht, "exit_rate": x2},
        },
    }


def test_a_given_lever_over_two_ladders_is_left_out() -> None:
    d = {
        "id": "t",
        "name": "t",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 100.0}},
        "clusters": {
            "ev": {"name": "EV", "output": {"base": 50.0, "growth": 0.1}},
            "chips": {"name": "chips", "output": {"base": 30.0, "growth": 0.05}},
            "food": {"name": "food", "output": {"base": 20.0, "growth": 0.02}},
        },
        "pipelines": {
            # ev ht: 200 -> 200 x .98 + .10 x 1000 = 296 -> 296 x .98 + .10 x 950 = 385.08
            "ev_ladder": _ladder("ev", 100.0, 1000, 200, 0.10, 0.05, 0.02),
            "chips_ladder": _ladder("chips", 40.0, 300, 50, 0.20, 0.10, 0.05),
        },
        "groups": {"ladders": {"name": "with a ladder", "clusters": ["ev", "chips"]}},
        "metrics": {"ht_all": "sum(ht, group=ladders)"},
        "targets": {
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "ht_all",
                "year": 2025,
                "at_least": 540,
                "lever": ["ht", "ht[chips]"],
            }
        },
    }
    sc = cs.Scenario.model_validate(d)
    ct = compile_scenario(sc, samples=1).targets["t"]
    chips = Lever("chips_ladder_entries", None, "chips_ladder_entries")
    assert ct.levers == (chips,) and ct.lever == chips
    tr = cs.run(sc, samples=1, seed=1).target("t")
    assert tr.value[0] == pytest.approx(385.08 + 152.125, rel=1e-12)
    rg = tr.required_growth
    assert rg is not None and rg["series"] == "chips_ladder_entries"
    assert rg["rate"] == pytest.approx((540 - 385.08 - 152.125) / 8, abs=1e-9)


def _firms_scenario() -> cs.Scenario:
    def cluster(name: str, firms: dict[str, Any]) -> dict[str, Any]:
        return {"name": name, "output": {"base": 100, "growth": 0.05}, "firms": firms}

    def level(metric: str) -> dict[str, Any]:
        return {"kind": "level", "label": metric, "metric": metric, "year": 2025, "at_least": 30}

    return cs.Scenario.model_validate(
        {
            "id": "f",
            "name": "f",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100, "growth": 0.1}},
            "clusters": {
                "a": cluster("A", {"base": 10, "growth": 0.1}),
                "b": cluster("B", {"base": 20}),  # no entries, no growth of its own
            },
            "targets": {"b": level("firms[b]"), "a": level("firms[a]")},
        }
    )


def test_a_stock_without_its_own_rate_in_the_selection_follows_its_entries() -> None:
    sc = _firms_scenario()
    comp = compile_scenario(sc, samples=1)
    assert comp.targets["b"].lever == Lever("entries", (1,), "entries[b]")
    assert comp.targets["a"].lever == Lever("firms", (0,), "firms[a]")
    run = cs.run(sc, samples=1, seed=1)
    b, a = run.target("b"), run.target("a")
    assert b.value[0] == 20.0 and not b.met[0]
    assert b.required_growth is not None and b.required_growth["rate"] is None
    assert b.required_growth["method"] == "none_in_range"
    assert a.value[0] == pytest.approx(10 * 1.1**2, rel=1e-12)
    assert a.required_growth is not None
    assert a.required_growth["rate"] == pytest.approx(math.sqrt(3) - 1, rel=1e-12)
