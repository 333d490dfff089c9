"""``clustersim calibrate --tiers``: rates of a firm tier pipeline from tier counts.

A panel is simulated with known rates by the §9a step written out here (not by the engine),
and the estimates must give the rates back; the thin cases are checked against the formulas
of docs/scenario-format.md §9a worked by hand.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clustersim.analysis.tiers import calibrate_tiers
from clustersim.cli import app
from clustersim.errors import ClusterSimError

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

# entries E, promotion p[k] to the next tier, exit x[k]; three tiers
E, P, X = 200.0, (0.12, 0.05, 0.0), (0.08, 0.03, 0.02)


def simulate(years: int, n0: tuple[float, ...], noise: float = 0.0, seed: int = 1) -> np.ndarray:
    """Stocks ``(years, 3)`` by the constant-rate step; with ``noise``, each published
    count is the true stock times ``1 + noise * N(0, 1)`` (the step runs on true stocks)."""
    n = np.empty((years, 3))
    n[0] = n0
    for t in range(1, years):
        prev = n[t - 1]
        n[t, 0] = prev[0] * (1 - P[0] - X[0]) + E
        n[t, 1] = prev[1] * (1 - P[1] - X[1]) + P[0] * prev[0]
        n[t, 2] = prev[2] * (1 - P[2] - X[2]) + P[1] * prev[1]
    if noise:
        n = n * (1 + noise * np.random.default_rng(seed).standard_normal(n.shape))
    return n


def write(path: Path, rows: list[tuple[str, str, int, float, str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["pipeline", "tier", "year", "count", "exit_prior"])
        w.writerows(rows)
    return path


def panel_rows(n: np.ndarray, first: int = 2010) -> list[tuple[str, str, int, float, str]]:
    return [
        ("sim", tier, first + t, float(n[t, k]), "")
        for k, tier in enumerate(("sme", "ht", "srdi"))
        for t in range(n.shape[0])
    ]


def test_noise_free_panel_gives_the_rates_back(tmp_path: Path) -> None:
    n = simulate(8, (1500.0, 300.0, 20.0))
    cal = calibrate_tiers(write(tmp_path / "p.csv", panel_rows(n)))
    sme, ht, srdi = cal.rates
    assert [r.tier for r in cal.rates] == ["sme", "ht", "srdi"]
    assert srdi.exit_rate == pytest.approx(X[2], abs=1e-10)
    assert srdi.promotion_in == pytest.approx(P[1], abs=1e-10)
    assert ht.exit_rate == pytest.approx(X[1], abs=1e-10)
    assert ht.promotion_in == pytest.approx(P[0], abs=1e-10)
    assert sme.exit_rate == pytest.approx(X[0], abs=1e-10)
    assert sme.entries == pytest.approx(E, rel=1e-10)
    assert cal.promotion("sim", "sme") == pytest.approx(P[0], abs=1e-10)
    assert all(r.transitions == 7 and not r.flags for r in cal.rates)


def test_noisy_panel_recovers_the_rates_within_their_errors(tmp_path: Path) -> None:
    n = simulate(40, (1500.0, 300.0, 20.0), noise=0.002, seed=7)
    cal = calibrate_tiers(write(tmp_path / "p.csv", panel_rows(n)))
    sme, ht, srdi = cal.rates
    checks = [
        (srdi.exit_rate, srdi.exit_se, X[2]),
        (srdi.promotion_in, srdi.promotion_in_se, P[1]),
        (ht.exit_rate, ht.exit_se, X[1]),
        (ht.promotion_in, ht.promotion_in_se, P[0]),
        (sme.exit_rate, sme.exit_se, X[0]),
        (sme.entries, sme.entries_se, E),
    ]
    for est, se, true in checks:
        assert est is not None and se is not None and se > 0
        assert abs(est - true) < 4 * se + 1e-9, (est, se, true)


def test_entries_given_leave_one_unknown(tmp_path: Path) -> None:
    # first tier alone: n[t] = n[t-1] (1 - x) + E[t] with growing, published entries
    x, ent = 0.15, [0.0, 100.0, 130.0, 170.0]
    n = [800.0]
    for t in range(1, 4):
        n.append(n[-1] * (1 - x) + ent[t])
    rows = [("reg", "sme", 2020 + t, n[t], "") for t in range(4)]
    rows += [("reg", "entries", 2020 + t, ent[t], "") for t in range(1, 4)]
    (r,) = calibrate_tiers(write(tmp_path / "e.csv", rows)).rates
    assert r.exit_rate == pytest.approx(x, abs=1e-12) and r.transitions == 3


def test_one_transition_uses_the_exit_prior_as_the_docs_do(tmp_path: Path) -> None:
    # docs §9a, Ezhou: p1 = (225 - 160.94 + 0.05 x 160.94) / 280.5 = 0.257...
    # and the entries then follow: E = (561 - 280.5) + (p1 + 0.10) x 280.5
    rows = [
        ("ez", "tech_smes", 2021, 280.5, "0.10"),
        ("ez", "tech_smes", 2022, 561.0, "0.10"),
        ("ez", "high_tech", 2021, 160.94, "0.05"),
        ("ez", "high_tech", 2022, 225.0, "0.05"),
    ]
    sme, ht = calibrate_tiers(write(tmp_path / "ez.csv", rows)).rates
    p1 = (225 - 160.94 + 0.05 * 160.94) / 280.5
    assert ht.promotion_in == pytest.approx(p1, rel=1e-12) and ht.exit_rate == 0.05
    assert sme.entries == pytest.approx(280.5 + (p1 + 0.10) * 280.5, rel=1e-12)
    assert any("thin" in f for f in ht.flag_texts())
    assert any("数据不足" in f for f in ht.flag_texts("zh"))


def test_thin_and_misfit_cases_are_said(tmp_path: Path) -> None:
    rows = [
        # one year only: nothing estimated
        ("a", "low", 2020, 100.0, ""),
        ("a", "high", 2020, 10.0, ""),
        # a registry growing faster every year: constant rates give a negative exit
        ("b", "reg", 2021, 14124.0, "0.10"),
        ("b", "reg", 2022, 24005.0, "0.10"),
        ("b", "reg", 2023, 35303.0, "0.10"),
    ]
    low, high, reg = calibrate_tiers(write(tmp_path / "t.csv", rows)).rates
    assert high.promotion_in is None and low.entries is None and high.transitions == 0
    assert any("no consecutive years" in f for f in high.flag_texts())
    # least squares: exit = -(11298 - 9881) / (24005 - 14124) < 0, so the prior is used and
    # entries = mean(change + 0.10 x last year's stock)
    assert any("do not fit" in f for f in reg.flag_texts()) and reg.exit_rate == 0.10
    want = np.mean([9881 + 0.1 * 14124, 11298 + 0.1 * 24005])
    assert reg.entries == pytest.approx(want, rel=1e-12)


def test_bad_files_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("pipeline,tier,year\nx,y,2020\n", encoding="utf-8")
    with pytest.raises(ClusterSimError, match="columns"):
        calibrate_tiers(bad)
    two = write(tmp_path / "two.csv", [("x", "t", 2020, 1.0, ""), ("x", "t", 2020, 2.0, "")])
    with pytest.raises(ClusterSimError, match="two counts for 2020"):
        calibrate_tiers(two)


def test_cli_on_the_shipped_counts() -> None:
    res = runner.invoke(app, ["calibrate", "--tiers", str(ROOT / "calibration/tiers/counts.csv")])
    assert res.exit_code == 0, res.output
    assert "ezhou/high_tech" in res.output and "thin" in res.output
    res = runner.invoke(
        app, ["calibrate", "--tiers", str(ROOT / "calibration/tiers/counts.csv"), "--json"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    ez = {t["tier"]: t for t in doc["tiers"] if t["pipeline"] == "ezhou"}
    assert ez["high_tech"]["promotion_in"] == pytest.approx(
        (225 - 160.94 + 0.05 * 160.94) / 280.5, rel=1e-12
    )
    # without --tiers a scenario is still required
    res = runner.invoke(app, ["calibrate", str(ROOT / "calibration/tiers/counts.csv")])
    assert res.exit_code != 0 and "--scenario" in res.output
