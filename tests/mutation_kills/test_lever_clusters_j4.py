"""Which clusters a stock target's lever moves when some firms grow on their own, and how a
lever on two clusters that are not a group is labelled."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs


def _doc(clusters: dict[str, Any], target: dict[str, Any], **over: Any) -> cs.Scenario:
    d: dict[str, Any] = {
        "id": "l",
        "name": "l",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 100}},
        "clusters": clusters,
        "targets": {"t": {"label": "t", **target}},
        **over,
    }
    return cs.Scenario.model_validate(d)


def test_a_stock_target_on_one_cluster_moves_only_that_clusters_own_growth() -> None:
    """firms is a stock-flow (c has entries); a and b grow on their own. A target on
    firms[a] moves a's own growth only (b grows on its own too, but is not selected):
    10 (1 + r)^3 = 20, r = 2^(1/3) - 1."""
    clusters = {
        "a": {"name": "A", "output": {"base": 10}, "firms": {"base": 10, "growth": 0.1}},
        "b": {"name": "B", "output": {"base": 10}, "firms": {"base": 5, "growth": 0.0}},
        "c": {"name": "C", "output": {"base": 10}, "firms": {"base": 5, "entries": {"base": 1}}},
    }
    target = {"kind": "stock", "metric": "firms[a]", "year": 2026, "at_least": 20}
    rg = cs.run(_doc(clusters, target)).target("t").required_growth
    assert rg is not None
    assert rg["clusters"] == ["a"] and rg["series"] == "firms[a]"
    assert rg["rate"] == pytest.approx(2 ** (1 / 3) - 1, abs=1e-12)


def test_a_lever_on_two_clusters_names_them() -> None:
    """Group g is a, b, c; of those only a and b have firms with their own growth (c's firms
    are a constant 4, d's are fed by entries, outside g). The lever is firms on a and b,
    labelled by their ids (two clusters, not a group): (10 + 6)(1 + r)^3 + 4 = 36,
    so (1 + r)^3 = 2."""
    clusters = {
        "a": {"name": "A", "output": {"base": 10}, "firms": {"base": 10, "growth": 0.1}},
        "b": {"name": "B", "output": {"base": 10}, "firms": {"base": 6, "growth": 0.0}},
        "c": {"name": "C", "output": {"base": 10}, "firms": {"base": 4}},
        "d": {"name": "D", "output": {"base": 10}, "firms": {"base": 5, "entries": {"base": 1}}},
    }
    target = {"kind": "stock", "metric": "sum(firms, group=g)", "year": 2026, "at_least": 36}
    groups = {"g": {"name": "G", "clusters": ["a", "b", "c"]}}
    rg = cs.run(_doc(clusters, target, groups=groups)).target("t").required_growth
    assert rg is not None
    assert rg["series"] == "firms[a, b]" and rg["clusters"] == ["a", "b"]
    assert rg["rate"] == pytest.approx(2 ** (1 / 3) - 1, abs=1e-9)
