"""Firm tier pipelines (issue 17, part 1): hand-computed cases, closed forms, ceilings,
the reference engine and every production path (run, the blocked engine, required growth).

The numbers here are computed by hand or from closed forms derived in the comments (and in
docs/scenario-format.md §9a), never by calling the kernel under test.
"""

from __future__ import annotations

import copy
import importlib.util
from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.engine import run_targets
from clustersim.engines.reference import production_draws, run_reference, scenario_document
from clustersim.errors import ScenarioError
from clustersim.scenario.models import Scenario

RTOL = 1e-12


def doc(
    tiers: dict[str, Any], entries: Any = 100.0, end: int = 2026, **over: Any
) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "t",
        "name": "t",
        "base_year": 2023,
        "end_year": end,
        "region": {"gdp": {"base": 100.0}},
        "pipelines": {
            "firms": {
                "name": {"zh": "企业梯队", "en": "Firm tiers"},
                "entries": {"base": entries} if not isinstance(entries, dict) else entries,
                "tiers": copy.deepcopy(tiers),
            }
        },
    }
    d.update(copy.deepcopy(over))
    return d


THREE = {
    "sme": {"name": "tech SMEs", "base": 1000, "promotion": 0.10, "exit_rate": 0.05},
    "ht": {"name": "high-tech", "base": 200, "promotion": 0.05, "exit_rate": 0.02},
    "srdi": {"name": "SRDI", "base": 20, "exit_rate": 0.01},
}


def project(d: dict[str, Any], samples: int = 1, seed: int = 3) -> cs.Result:
    return cs.run(Scenario.model_validate(d), samples=samples, seed=seed, required=False)


def test_three_tiers_by_hand() -> None:
    # entries 100 a year; sme keeps 85%, ht keeps 93%, srdi keeps 99%
    # 2024: sme = 1000*.85 + 100 = 950; ht = 200*.93 + .10*1000 = 286; srdi = 20*.99 + .05*200 = 29.8
    # 2025: sme = 950*.85 + 100 = 907.5; ht = 286*.93 + 95 = 360.98; srdi = 29.8*.99 + 14.3 = 43.802
    # 2026: sme = 907.5*.85 + 100 = 871.375; ht = 360.98*.93 + 90.75 = 426.4614;
    #       srdi = 43.802*.99 + .05*360.98 = 43.36398 + 18.049 = 61.41298
    r = project(doc(THREE))
    s = r.series
    np.testing.assert_allclose(s["sme"][0], [1000, 950, 907.5, 871.375], rtol=RTOL)
    np.testing.assert_allclose(s["ht"][0], [200, 286, 360.98, 426.4614], rtol=RTOL)
    np.testing.assert_allclose(s["srdi"][0], [20, 29.8, 43.802, 61.41298], rtol=RTOL)
    # arrivals per year: entries, then promotions of the tier below a year earlier
    np.testing.assert_allclose(s["ht_in"][0], [100, 100, 95, 90.75], rtol=RTOL)
    np.testing.assert_allclose(s["srdi_in"][0], [10, 10, 14.3, 18.049], rtol=RTOL)
    np.testing.assert_allclose(s["sme_in"][0], [100, 100, 100, 100], rtol=RTOL)


def test_closed_form_for_constant_rates() -> None:
    # first tier: N1_t = b1^t N1_0 + E (1 - b1^t) / (1 - b1), b1 = 1 - p1 - x1;
    # second tier: N2_t = b2 N2_(t-1) + p1 N1_(t-1), so with N1_s = N* + (N1_0 - N*) b1^s,
    # N* = E / (p1 + x1):
    # N2_t = b2^t N2_0 + p1 [N* (1 - b2^t) / (1 - b2) + (N1_0 - N*) (b2^t - b1^t) / (b2 - b1)]
    e, n10, n20, p1, x1, p2, x2 = 250.0, 900.0, 120.0, 0.12, 0.06, 0.04, 0.03
    tiers = {
        "a": {"name": "a", "base": n10, "promotion": p1, "exit_rate": x1},
        "b": {"name": "b", "base": n20, "promotion": p2, "exit_rate": x2},
        "c": {"name": "c", "base": 0},
    }
    r = project(doc(tiers, entries=e, end=2043))
    t = np.arange(21.0)
    b1, b2 = 1 - p1 - x1, 1 - p2 - x2
    star = e / (p1 + x1)
    n1 = b1**t * n10 + e * (1 - b1**t) / (1 - b1)
    n2 = b2**t * n20 + p1 * (
        star * (1 - b2**t) / (1 - b2) + (n10 - star) * (b2**t - b1**t) / (b2 - b1)
    )
    np.testing.assert_allclose(r.series["a"][0], n1, rtol=1e-11)
    np.testing.assert_allclose(r.series["b"][0], n2, rtol=1e-11)
    # the top tier only gains (no exits): it adds p2 N2_(t-1) each year
    c = np.concatenate([[0.0], np.cumsum(p2 * n2[:-1])])
    np.testing.assert_allclose(r.series["c"][0], c, rtol=1e-11)
    # and in the long run the first tier settles at E / (p1 + x1)
    assert abs(r.series["a"][0][-1] - star) < 0.03 * star


def test_ceiling_refuses_promotions_which_stay_below() -> None:
    # srdi capped at 40: 2024 srdi = 29.8 (room 40 - 19.8 = 20.2 >= 10);
    # 2025: kept 29.8*.99 = 29.502, arrivals .05*286 = 14.3, room 10.498: in 10.498, srdi 40,
    #       refused 3.802 stay in ht: ht = 286*.93 + 3.802 + 95 = 364.782
    # 2026: kept 39.6, arrivals .05*364.782 = 18.2391, room .4: srdi 40, refused 17.8391;
    #       ht = 364.782*.93 + 17.8391 + 90.75 = 447.83636 (sme is unchanged: 871.375)
    tiers = copy.deepcopy(THREE)
    tiers["srdi"]["ceiling"] = 40
    s = project(doc(tiers)).series
    np.testing.assert_allclose(s["srdi"][0], [20, 29.8, 40, 40], rtol=RTOL)
    np.testing.assert_allclose(s["srdi_in"][0], [10, 10, 10.498, 0.4], rtol=RTOL)
    np.testing.assert_allclose(s["ht"][0], [200, 286, 364.782, 447.83636], rtol=RTOL)
    np.testing.assert_allclose(s["sme"][0], [1000, 950, 907.5, 871.375], rtol=RTOL)


def test_ceiling_on_first_tier_turns_entries_away() -> None:
    # sme capped at 960: 2024 kept 850, room 110 >= 100: 950; 2025 kept 807.5, room 152.5: 907.5
    # capped at 900: 2024 950 -> 900 (50 entries turned away), 2025 kept 765, 100 in: 865
    tiers = copy.deepcopy(THREE)
    tiers["sme"]["ceiling"] = 900
    s = project(doc(tiers)).series
    np.testing.assert_allclose(s["sme"][0][:3], [1000, 900, 865], rtol=RTOL)
    np.testing.assert_allclose(s["sme_in"][0][:3], [100, 50, 100], rtol=RTOL)
    # the tiers above see only the (smaller) stock below: ht 2025 = 286*.93 + .10*900
    np.testing.assert_allclose(s["ht"][0][2], 286 * 0.93 + 90, rtol=RTOL)


def test_targets_on_stock_flow_and_share() -> None:
    d = doc(
        THREE,
        metrics={"srdi_share": "srdi / ht"},
        targets={
            "stock": {"kind": "level", "label": "s", "metric": "ht", "year": 2026, "at_least": 400},
            "flow": {
                "kind": "level",
                "label": "f",
                "metric": "ht_in",
                "year": 2025,
                "at_least": 96,
            },
            "share": {
                "kind": "level",
                "label": "r",
                "metric": "srdi_share",
                "year": 2026,
                "at_least": 0.14,
            },
        },
    )
    out = {t.id: t for t in project(d).targets}
    assert out["stock"].met[0] and out["stock"].value[0] == pytest.approx(426.4614, rel=RTOL)
    assert not out["flow"].met[0] and out["flow"].value[0] == pytest.approx(95, rel=RTOL)
    # 61.41298 / 426.4614 = 0.14400...
    assert out["share"].met[0]
    assert out["share"].value[0] == pytest.approx(61.41298 / 426.4614, rel=RTOL)


def test_reference_and_blocked_agree_under_distributions() -> None:
    tiers = copy.deepcopy(THREE)
    tiers["sme"]["promotion"] = {"dist": "triangular", "low": 0.05, "mode": 0.1, "high": 0.15}
    tiers["ht"]["exit_rate"] = {"dist": "uniform", "low": 0.01, "high": 0.04}
    tiers["srdi"]["ceiling"] = {"dist": "uniform", "low": 30, "high": 60}
    d = doc(
        tiers,
        entries={"base": 100, "growth": {"dist": "normal", "mean": 0.05, "sd": 0.03}},
        metrics={"srdi_share": "srdi / ht"},
        targets={
            "share": {
                "kind": "level",
                "label": "r",
                "metric": "srdi_share",
                "year": 2026,
                "at_least": 0.12,
            },
            "flow": {
                "kind": "level",
                "label": "f",
                "metric": "srdi_in",
                "year": 2026,
                "at_least": 10,
            },
        },
    )
    sc = Scenario.model_validate(d)
    n = 64
    ref = run_reference(scenario_document(sc), production_draws(sc, n, 5), n)
    prod = cs.run(sc, samples=n, seed=5, required=False)
    for name in ("sme", "ht", "srdi", "sme_in", "ht_in", "srdi_in", "firms_entries"):
        np.testing.assert_allclose(prod.series[name], ref.series[name], rtol=1e-12, err_msg=name)
    assert np.ptp(prod.series["srdi"][:, -1]) > 1  # the draws do move it
    for block in (1, 7, 64):
        got = run_targets(sc, samples=n, seed=5, engine="numpy", block=block)
        for tid, r in ref.targets.items():
            np.testing.assert_allclose(got[tid].value, r.value, rtol=1e-12, err_msg=tid)
            assert np.array_equal(got[tid].met, r.met)


def test_required_growth_moves_the_entries() -> None:
    # only entries (no promotion out of the tier, no exits): N_2026 = 1000 + E_2024..2026,
    # E_t = 100 (1 + g)^(t - 2023); reaching 1400 needs 100 (q + q^2 + q^3) = 400,
    # q = 1 + g: q^3 + q^2 + q - 4 = 0 -> q = 1.2134...
    tiers = {"a": {"name": "a", "base": 1000}, "b": {"name": "b", "base": 0}}
    d = doc(
        tiers,
        entries={"base": 100, "growth": 0.0},
        targets={
            "t": {"kind": "level", "label": "t", "metric": "a", "year": 2026, "at_least": 1400}
        },
    )
    r = cs.run(Scenario.model_validate(d))
    q = np.roots([1, 1, 1, -4])
    q = float(q[np.isreal(q)].real[0])
    req = r.targets[0].required_growth
    assert req is not None and req["variable"] == "firms_entries"
    assert req["rate"] == pytest.approx(q - 1, rel=1e-6)


def test_errors_name_the_field() -> None:
    bad = copy.deepcopy(THREE)
    bad["srdi"]["promotion"] = 0.1
    with pytest.raises(Exception, match=r"pipelines\.firms\.tiers\.srdi\.promotion.*top tier"):
        Scenario.model_validate(doc(bad))
    clash = copy.deepcopy(THREE)
    clash["gdp"] = clash.pop("srdi")
    with pytest.raises(Exception, match=r"'gdp' is already used"):
        Scenario.model_validate(doc(clash))
    many = copy.deepcopy(THREE)
    many["sme"]["exit_rate"] = 0.95
    with pytest.raises(ScenarioError, match=r"pipelines\.firms\.tiers\.sme\.exit_rate.*1\.05"):
        project(doc(many))


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="numba not installed")
def test_numba_runs_tiers_and_auto_may_pick_it() -> None:
    # the numba engine has a compiled form for pipelines (tests/unit/test_accel_tiers_io.py
    # holds it to the NumPy engine); auto picks it at scale like any compiled scenario
    sc = Scenario.model_validate(
        doc(
            THREE,
            targets={
                "t": {"kind": "level", "label": "t", "metric": "ht", "year": 2026, "at_least": 1}
            },
        )
    )
    got = run_targets(sc, samples=4, seed=1, engine="numba")
    assert got["t"].value[0] == pytest.approx(426.4614, rel=RTOL)
    from clustersim.engines import AUTO_ACCEL_FROM, resolve_engine

    assert resolve_engine("auto", AUTO_ACCEL_FROM * 2, ["level", "pipelines"]) == "numba"


def test_file_errors_name_file_line_and_field(tmp_path: Any) -> None:
    import yaml

    bad = doc(THREE)
    bad["pipelines"]["firms"]["tiers"]["sme"]["exit_rate"] = 0.95
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(bad, allow_unicode=True, sort_keys=False), encoding="utf-8")
    sc = cs.load_scenario(path)
    with pytest.raises(ScenarioError) as err:
        cs.run(sc)
    msg = str(err.value)
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, s in enumerate(lines, 1) if "exit_rate: 0.95" in s)
    assert f"bad.yaml:{line}" in msg and "tiers.sme.exit_rate" in msg
    assert "晋升率与退出率之和" in msg  # and in Chinese
    top = doc(THREE)
    top["pipelines"]["firms"]["tiers"]["srdi"]["promotion"] = 0.2
    path.write_text(yaml.safe_dump(top, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(Exception) as err2:
        cs.load_scenario(path)
    line = next(i for i, s in enumerate(path.read_text().splitlines(), 1) if "promotion: 0.2" in s)
    assert f"bad.yaml:{line}" in str(err2.value) and "最高一级梯队" in str(err2.value)


def test_firms_are_conserved_with_ceilings_under_draws() -> None:
    # every year: change of all tiers together = entries taken - exits of last year's stocks
    # (promotions move firms between tiers, refused promotions stay below): the ceilings may
    # turn entries away, never create or lose a firm otherwise
    tiers = copy.deepcopy(THREE)
    tiers["sme"]["promotion"] = {"dist": "uniform", "low": 0.05, "high": 0.4}
    tiers["ht"]["promotion"] = {"dist": "uniform", "low": 0.05, "high": 0.3}
    tiers["ht"]["ceiling"] = {"dist": "uniform", "low": 200, "high": 400}
    tiers["srdi"]["ceiling"] = {"dist": "uniform", "low": 20, "high": 60}
    tiers["sme"]["ceiling"] = {"dist": "uniform", "low": 900, "high": 1200}
    d = doc(
        tiers,
        entries={"base": 100, "growth": {"dist": "uniform", "low": -0.2, "high": 0.5}},
        end=2033,
    )
    sc = Scenario.model_validate(d)
    n = 200
    s = cs.run(sc, samples=n, seed=9, required=False).series
    draws = production_draws(sc, n, 9)
    stocks = np.stack([s["sme"], s["ht"], s["srdi"]], axis=1)  # (S, 3, T)
    exits = np.array([0.05, 0.02, 0.01])[None, :, None] * stocks[:, :, :-1]
    change = stocks[:, :, 1:].sum(axis=1) - stocks[:, :, :-1].sum(axis=1)
    np.testing.assert_allclose(change, s["sme_in"][:, 1:] - exits.sum(axis=1), rtol=1e-9, atol=1e-9)
    # a tier takes arrivals only up to its ceiling: where it took any, it ends at or below it
    # (a tier may sit above its ceiling by its base, or by promotions refused above it, §9a);
    # the top tier gets no refused promotions and starts below its ceiling, so it never exceeds it
    caps = {k: draws[f"pipelines.firms.tiers.{k}.ceiling"][:, None] for k in ("sme", "ht", "srdi")}
    for k, cap in caps.items():
        took = s[f"{k}_in"][:, 1:] > 1e-9
        assert np.all(s[k][:, 1:][took] <= np.broadcast_to(cap, took.shape)[took] * (1 + 1e-12)), k
    assert np.all(s["srdi"] <= caps["srdi"] * (1 + 1e-12))
    # and the ceilings did bind: srdi at its ceiling, entries turned away
    assert np.any(np.isclose(s["srdi"], caps["srdi"]))
    assert np.any(s["sme_in"] < s["firms_entries"] - 1e-9)
