"""Counts over groups and nested clusters: each industry once, at the level named.

The Zhenjiang shape: 四群 (cluster groups that are themselves clusters) contain 八链
(chains, ``parent:`` the group). Sizes in 2026 (no growth, so the base is the 2026 value):

    g1 2,000 (chains c1 1,050, c2 950)   g2 900 (chain c3 600)   g3 1,100 (no chain)

Hand count of 千亿级 (>= 1,000) clusters: top level g1, g3 = 2 (counting every cluster
would add c1: 3, the bug of issue 13).
"""

from __future__ import annotations

import importlib.util
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.engine import run_targets
from clustersim.errors import ScenarioError

SIZES = {"g1": 2000.0, "c1": 1050.0, "c2": 950.0, "g2": 900.0, "c3": 600.0, "g3": 1100.0}
PARENT = {"c1": "g1", "c2": "g1", "c3": "g2"}


def _scenario(targets: dict[str, Any], spread: bool = False) -> cs.Scenario:
    clusters = {
        c: {
            "name": c,
            "output": {
                "base": v,
                "growth": {"dist": "uniform", "low": -0.05, "high": 0.05} if spread else 0.0,
            },
            **({"parent": PARENT[c]} if c in PARENT else {}),
        }
        for c, v in SIZES.items()
    }
    return cs.Scenario.model_validate(
        {
            "id": "zj",
            "name": "zj",
            "base_year": 2023,
            "end_year": 2026,
            "region": {"gdp": {"base": 5000.0}},
            "clusters": clusters,
            "groups": {
                "chains": {"name": "八链", "clusters": ["c1", "c2", "c3"]},
                "mixed": {"name": "g1 with its chain", "clusters": ["g1", "c1", "g3"]},
                "g2_chain": {"name": "g2's chain", "clusters": ["c3"]},
            },
            "targets": {
                tid: {"label": tid, "kind": "count_over", "year": 2026, "threshold": 1000.0, **t}
                for tid, t in targets.items()
            },
        }
    )


def _value(**target: Any) -> float:
    res = cs.run(_scenario({"t": target}), required=False)
    return float(res.target("t").value[0])


def test_without_over_only_top_level_clusters_count() -> None:
    assert _value(between=[3, 4]) == 2.0  # g1, g3; not c1 inside g1
    res = cs.run(_scenario({"t": {"between": [3, 4]}}), required=False)
    assert res.target("t").status == "missed"


def test_a_group_holding_a_cluster_and_its_chain_counts_the_cluster_once() -> None:
    assert _value(group="mixed", at_least=1) == 2.0  # g1, g3; c1 is inside g1
    assert _value(group="chains", at_least=1) == 1.0  # c1 alone: chains are counted as chains


def test_over_counts_clusters_and_group_sums() -> None:
    # chains' sum 2,600 >= 1,000: one item; g3 1,100: one more
    assert _value(over=["chains", "g3"], at_least=1) == 2.0
    assert _value(over=["g2", "c1"], at_least=1) == 1.0  # g2 900 misses, c1 1,050 counts
    assert _value(over=["g2_chain", "g3"], at_least=1) == 1.0  # 600 and 1,100


@pytest.mark.parametrize(
    ("over", "both"),
    [(["g1", "c1"], "c1"), (["chains", "g2"], "c3"), (["g1", "chains"], "c1, c2")],
)
def test_over_refuses_an_industry_counted_twice(over: list[str], both: str) -> None:
    with pytest.raises(ScenarioError, match=f"both contain {both}; count each industry once"):
        cs.run(_scenario({"t": {"over": over, "at_least": 1}}), required=False)


def test_unknown_over_id_and_parent_errors_are_named() -> None:
    with pytest.raises(ScenarioError, match="over: unknown cluster or group 'g9'"):
        cs.run(_scenario({"t": {"over": ["g9"], "at_least": 1}}), required=False)
    d = _scenario({}).model_dump(exclude_none=True)
    d["clusters"]["g1"]["parent"] = "c1"  # c1's parent is g1: a cycle
    with pytest.raises(ValueError, match=r"clusters\.(g1|c1)\.parent\] parents form a cycle"):
        cs.Scenario.model_validate(d)


def test_counts_are_whole_numbers_in_every_summary() -> None:
    """Under Monte Carlo the median and percentiles of a count are sample values."""
    sc = _scenario({"t": {"over": ["c1", "c2", "g3"], "at_least": 2}}, spread=True)
    tr = cs.run(sc, samples=300, seed=2, required=False).target("t")
    d = tr.to_dict()
    for v in [d["value"], *d["percentiles"].values()]:
        assert v == int(v)
    # hand count from the drawn outputs: c1 at 1,050 x g^3 etc. against 1,000
    res = cs.run(sc, samples=300, seed=2, required=False)
    out = res.series["output"][:, :, -1]
    idx = [res.clusters.index(c) for c in ("c1", "c2", "g3")]
    assert_array_equal(tr.value, (out[:, idx] >= 1000.0 - 1e-6).sum(axis=1))


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
def test_the_numba_engine_counts_as_numpy() -> None:
    targets = {
        "top": {"between": [3, 4]},
        "mixed": {"group": "mixed", "at_least": 2},
        "over": {"over": ["c1", "c2", "g3", "g2"], "more_than": 1},
        "tiers": {
            "over": ["chains", "g3"],
            "threshold": None,
            "tiers": [{"threshold": 2000, "at_least": 1}, {"threshold": 1000, "at_least": 1}],
        },
    }
    sc = _scenario(targets, spread=True)
    a = run_targets(sc, samples=256, seed=4, engine="numpy")
    b = run_targets(sc, samples=256, seed=4, engine="numba")
    for tid in targets:
        assert_allclose(b[tid].value, a[tid].value, rtol=1e-12)
        assert_array_equal(b[tid].met, a[tid].met)
    assert np.ptp(a["over"].value) > 0  # the draws move the count
