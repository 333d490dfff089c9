"""Per-cluster firm tier pipelines (issue 17 follow-up): a ladder attached to a cluster
(``cluster:`` on a pipeline), its tiers cluster series, in the NumPy, blocked and reference
engines, with targets on one cluster's tier stock.

The numbers are computed by hand in the comments, never by calling the kernel under test.
"""

from __future__ import annotations

import copy
from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.engine import run_targets
from clustersim.engines.reference import production_draws, run_reference, scenario_document
from clustersim.scenario.models import Scenario

RTOL = 1e-12


def ladder(
    cluster: str, entries: Any, sme: float, ht: float, p: float, x1: float, x2: float
) -> dict[str, Any]:
    return {
        "name": f"ladder of {cluster}",
        "cluster": cluster,
        "entries": entries if isinstance(entries, dict) else {"base": entries},
        "tiers": {
            "sme": {"name": "tech SMEs", "base": sme, "promotion": p, "exit_rate": x1},
            "ht": {"name": "high-tech", "base": ht, "exit_rate": x2},
        },
    }


def doc(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
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
            # ev: entries 100/yr, sme 1000 keeps 1 - .10 - .05 = .85, ht 200 keeps .98
            "ev_ladder": ladder("ev", 100.0, 1000, 200, 0.10, 0.05, 0.02),
            # chips: entries 40/yr, sme 300 keeps 1 - .20 - .10 = .70, ht 50 keeps .95
            "chips_ladder": ladder("chips", 40.0, 300, 50, 0.20, 0.10, 0.05),
        },
    }
    d.update(copy.deepcopy(over))
    return d


# ev   2024: sme = 1000*.85 + 100 = 950;      ht = 200*.98 + .10*1000 = 296
#      2025: sme = 950*.85 + 100 = 907.5;     ht = 296*.98 + 95 = 385.08
#      2026: sme = 907.5*.85 + 100 = 871.375; ht = 385.08*.98 + 90.75 = 468.1284
# chips 2024: sme = 300*.7 + 40 = 250;        ht = 50*.95 + .2*300 = 107.5
#      2025: sme = 250*.7 + 40 = 215;         ht = 107.5*.95 + 50 = 152.125
#      2026: sme = 215*.7 + 40 = 190.5;       ht = 152.125*.95 + 43 = 187.51875
EV_SME = [1000, 950, 907.5, 871.375]
EV_HT = [200, 296, 385.08, 468.1284]
CH_SME = [300, 250, 215, 190.5]
CH_HT = [50, 107.5, 152.125, 187.51875]


def test_two_cluster_ladders_by_hand() -> None:
    r = cs.run(Scenario.model_validate(doc()), samples=1, seed=1, required=False)
    s = r.series
    assert s["sme"].shape == (1, 3, 4)  # a cluster series: (S, C, T)
    np.testing.assert_allclose(s["sme"][0, 0], EV_SME, rtol=RTOL)
    np.testing.assert_allclose(s["ht"][0, 0], EV_HT, rtol=RTOL)
    np.testing.assert_allclose(s["sme"][0, 1], CH_SME, rtol=RTOL)
    np.testing.assert_allclose(s["ht"][0, 1], CH_HT, rtol=RTOL)
    # food has no ladder: nothing there
    assert not np.any(s["sme"][0, 2]) and not np.any(s["ht"][0, 2])
    # arrivals in ht: the promotions of a year earlier (base year at base rates)
    np.testing.assert_allclose(s["ht_in"][0, 0], [100, 100, 95, 90.75], rtol=RTOL)
    np.testing.assert_allclose(s["ht_in"][0, 1], [60, 60, 50, 43], rtol=RTOL)
    # each ladder's entries stay a region series of its pipeline
    np.testing.assert_allclose(s["ev_ladder_entries"][0], [100] * 4, rtol=RTOL)


def targets_doc() -> dict[str, Any]:
    return doc(
        # sums over clusters read the clusters with a ladder (a group): food has none
        groups={"ladders": {"name": "with a ladder", "clusters": ["ev", "chips"]}},
        metrics={
            "ht_all": "sum(ht, group=ladders)",
            "ev_ht_share": "ht[ev] / sum(ht, group=ladders)",
        },
        targets={
            "ev_ht": {
                "kind": "stock",
                "label": "EV high-tech",
                "metric": "ht[ev]",
                "year": 2026,
                "at_least": 460,
            },
            "chips_ht": {
                "kind": "stock",
                "label": "chips high-tech",
                "metric": "ht[chips]",
                "year": 2026,
                "at_least": 200,
            },
            "all_ht": {
                "kind": "level",
                "label": "all high-tech",
                "metric": "ht_all",
                "year": 2025,
                "at_least": 500,
            },
            "share": {
                "kind": "level",
                "label": "EV share",
                "metric": "ev_ht_share",
                "year": 2026,
                "at_least": 0.7,
            },
        },
    )


def test_targets_on_one_clusters_tier_stock() -> None:
    r = cs.run(Scenario.model_validate(targets_doc()), samples=1, seed=1)
    out = {t.id: t for t in r.targets}
    assert out["ev_ht"].met[0] and out["ev_ht"].value[0] == pytest.approx(468.1284, rel=RTOL)
    assert not out["chips_ht"].met[0]
    assert out["chips_ht"].value[0] == pytest.approx(187.51875, rel=RTOL)
    # 385.08 + 152.125 = 537.205
    assert out["all_ht"].value[0] == pytest.approx(537.205, rel=RTOL)
    # 468.1284 / (468.1284 + 187.51875) = 0.71399...
    share = 468.1284 / (468.1284 + 187.51875)
    assert out["share"].value[0] == pytest.approx(share, rel=RTOL) and out["share"].met[0]
    # required growth on a cluster's tier moves that cluster's entries
    req = out["chips_ht"].required_growth
    assert req is not None and req["variable"] == "chips_ladder_entries"


def test_reference_and_blocked_agree_under_distributions() -> None:
    d = targets_doc()
    ev = d["pipelines"]["ev_ladder"]
    ev["tiers"]["sme"]["promotion"] = {"dist": "triangular", "low": 0.05, "mode": 0.1, "high": 0.15}
    ev["tiers"]["ht"]["ceiling"] = {"dist": "uniform", "low": 300, "high": 500}
    ch = d["pipelines"]["chips_ladder"]
    ch["entries"] = {"base": 40, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.03}}
    ch["tiers"]["ht"]["exit_rate"] = {"dist": "uniform", "low": 0.01, "high": 0.08}
    sc = Scenario.model_validate(d)
    n = 48
    ref = run_reference(scenario_document(sc), production_draws(sc, n, 7), n)
    prod = cs.run(sc, samples=n, seed=7, required=False)
    for name in ("sme", "ht", "sme_in", "ht_in"):
        got = prod.series[name][:, :2]  # the clusters with a ladder
        np.testing.assert_allclose(got, ref.series[name][:, :2], rtol=1e-12, err_msg=name)
    assert np.ptp(prod.series["ht"][:, 0, -1]) > 1  # the draws move it
    for block in (1, 5, 48):
        got_t = run_targets(sc, samples=n, seed=7, engine="numpy", block=block)
        for tid, r in ref.targets.items():
            np.testing.assert_allclose(got_t[tid].value, r.value, rtol=1e-12, err_msg=tid)
            assert np.array_equal(got_t[tid].met, r.met)


def test_sum_over_clusters_without_a_ladder_is_refused() -> None:
    d = doc(metrics={"ht_all": "sum(ht)"})
    with pytest.raises(Exception, match=r"'ht' is not defined for cluster\(s\) food"):
        cs.run(Scenario.model_validate(d), samples=1, seed=1, required=False)


def test_errors() -> None:
    bad = doc()
    bad["pipelines"]["ev_ladder"]["cluster"] = "nowhere"
    with pytest.raises(Exception, match=r"pipelines\.ev_ladder\.cluster.*'nowhere'"):
        Scenario.model_validate(bad)
    twice = doc()
    twice["pipelines"]["chips_ladder"]["cluster"] = "ev"
    with pytest.raises(Exception, match=r"pipelines\.chips_ladder\.cluster.*'ev'"):
        Scenario.model_validate(twice)
    # a region pipeline may not reuse a cluster ladder's tier ids
    clash = doc()
    region = copy.deepcopy(clash["pipelines"]["ev_ladder"])
    del region["cluster"]
    clash["pipelines"] = {"region_ladder": region, **clash["pipelines"]}
    with pytest.raises(Exception, match=r"'sme' is already used"):
        Scenario.model_validate(clash)


def test_workbook_round_trip_keeps_the_cluster(tmp_path: Any) -> None:
    pytest.importorskip("openpyxl")
    from clustersim.report.excel import read_workbook, write_workbook

    sc = Scenario.model_validate(targets_doc())
    back = read_workbook(write_workbook(sc, tmp_path / "s.xlsx"))
    assert back.pipelines["chips_ladder"].cluster == "chips"
    assert back.model_dump() == sc.model_dump()
    out = {t.id: t for t in cs.run(back, samples=1, seed=1, required=False).targets}
    assert out["chips_ht"].value[0] == pytest.approx(187.51875, rel=RTOL)


def test_each_ladder_is_the_region_pipeline_of_its_cluster() -> None:
    # under draws and with a ceiling, a cluster's column equals the same ladder run alone as
    # a region pipeline (same draws: the numbers sit at the same paths)
    d = doc()
    ev = d["pipelines"]["ev_ladder"]
    ev["tiers"]["sme"]["promotion"] = {"dist": "uniform", "low": 0.05, "high": 0.15}
    ev["tiers"]["ht"]["ceiling"] = {"dist": "uniform", "low": 250, "high": 450}
    ev["entries"] = {"base": 100, "growth": {"dist": "normal", "mean": 0.04, "sd": 0.05}}
    both = cs.run(Scenario.model_validate(d), samples=30, seed=9, required=False).series
    alone = copy.deepcopy(d)
    del alone["pipelines"]["chips_ladder"]
    del alone["pipelines"]["ev_ladder"]["cluster"]
    one = cs.run(Scenario.model_validate(alone), samples=30, seed=9, required=False).series
    for name in ("sme", "ht", "sme_in", "ht_in"):
        np.testing.assert_allclose(both[name][:, 0], one[name], rtol=1e-14, err_msg=name)
