"""The regional factor (issue 15 (d)): panel_factor on simulated and shipped panels, the
calibrated fragments the trend scenarios extend, and the Ezhou comparable-price plan rate.

Expected numbers come from the simulation's known truth or are recomputed here by hand from
the calibration CSVs, never read back from the code under test.
"""

from __future__ import annotations

import csv
import math
import subprocess
import sys

import numpy as np
import pytest
import yaml
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from clustersim.analysis.shocks import PRIOR_LOADING, panel_factor
from clustersim.cli import app
from clustersim.scenario.loader import load_scenario

from .conftest import ROOT

FRAG = ROOT / "scenarios" / "fragments"


def _rows(name: str) -> list[dict[str, str]]:
    with open(ROOT / "calibration" / name, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def _series(name: str, region: str, indicator: str, cluster: str = "") -> dict[int, float]:
    return {
        int(r["year"]): float(r["value"])
        for r in _rows(name)
        if r["region"] == region and r["indicator"] == indicator and r["cluster"] == cluster
    }


def test_loadings_recovered_from_a_simulated_panel():
    rng = np.random.default_rng(20261206)
    years = 4000
    truth = {"gdp": 0.7, "electronics": 0.4, "equipment": 0.55}
    f = rng.standard_normal(years)
    panel = {}
    for name, share in truth.items():
        e = 0.03 * (math.sqrt(share) * f + math.sqrt(1 - share) * rng.standard_normal(years))
        level = 100 * np.exp(np.cumsum(0.06 + e))
        panel[name] = {1000 + t: float(v) for t, v in enumerate(level)}
    est = panel_factor(panel)
    assert est.estimated and est.reason == ""
    for name, share in truth.items():
        assert abs(est.loading[name] - share) < 0.05, (name, est.loading[name], share)


def test_short_panel_uses_the_prior_and_says_how_short():
    est = panel_factor(
        {
            "a": {2015: 10.0, 2019: 12.0, 2020: 13.0, 2021: 15.0},
            "b": {2018: 5.0, 2019: 6.0, 2020: 7.0, 2021: 8.0},
        }
    )
    assert not est.estimated
    assert est.loading == {"a": PRIOR_LOADING, "b": PRIOR_LOADING}
    assert est.common_years == (2020, 2021)
    assert est.growth_years == {"a": (2020, 2021), "b": (2019, 2020, 2021)}
    assert "a 2, b 3" in est.reason and "2 overlapping growth year(s) (2020, 2021)" in est.reason
    one = panel_factor({"gdp": {t: 1.05**t for t in range(2000, 2020)}})
    assert not one.estimated and "one series only" in one.reason


def _fragment(name: str) -> dict:
    return yaml.safe_load((FRAG / name).read_text(encoding="utf-8"))


def test_jiangxi_fragment_rate_is_fit_growth_by_hand_and_loading_the_prior():
    doc = _fragment("jiangxi-trend-fit-jiangxi.yaml")
    eq = _series("jiangxi.csv", "Jiangxi", "output", "equipment")
    assert sorted(eq) == [2018, 2019, 2020, 2021]
    # random walk with drift: the mean annual log growth; its median rate exp(mu) - 1
    rate = (eq[2021] / eq[2018]) ** (1 / 3) - 1
    g = np.diff(np.log([eq[t] for t in range(2018, 2022)]))
    sd = float(np.std(g, ddof=1))
    block = doc["clusters"]["equipment"]["output"]["growth"]
    assert_allclose(block["rate"]["mean"], rate, rtol=1e-5)
    t_over_z = 1.8856180831641267 / 1.2815515655446004  # t_2(0.9) / z(0.9)
    assert_allclose(block["shocks"]["sd"], sd * t_over_z, rtol=1e-3)
    assert block["shocks"]["factor"] == "jiangxi"
    assert block["shocks"]["loading"] == PRIOR_LOADING
    src = doc["shocks"]["factors"]["jiangxi"]["source"]
    assert "2 overlapping growth year(s) (2020, 2021)" in src


def test_ezhou_price_factor_is_the_correlation_of_the_innovations():
    doc = _fragment("ezhou-trend-fit-prices.yaml")
    inn = {}
    for name in ("gdp_deflator", "ppi"):
        x = _series("prices.csv", "China", name)
        g = np.diff(np.log([x[t] for t in range(2018, 2025)]))  # 2019..2024
        r = g - g.mean()
        phi = min(max(float(r[1:] @ r[:-1] / (r[:-1] @ r[:-1])), 0.0), 0.95)
        e = r.copy() if phi == 0 else np.concatenate([[np.nan], r[1:] - phi * r[:-1]])
        inn[name] = e
    ok = ~np.isnan(inn["gdp_deflator"]) & ~np.isnan(inn["ppi"])
    rho = abs(np.corrcoef(inn["gdp_deflator"][ok], inn["ppi"][ok])[0, 1])
    for name in ("gdp_deflator", "ppi"):
        sh = doc["indicators"][name]["growth"]["shocks"]
        assert sh["factor"] == "china_prices"
        assert_allclose(sh["loading"], rho, atol=1e-4)
    x = _series("prices.csv", "China", "gdp_deflator")
    assert_allclose(
        doc["indicators"]["gdp_deflator"]["growth"]["rate"]["mean"],
        (x[2024] / x[2018]) ** (1 / 6) - 1,
        rtol=1e-5,
    )


def test_trend_scenarios_extend_the_calibrated_fragments():
    for region, last in (
        ("jiangxi", "jiangxi-trend-fit-prices.yaml"),
        ("shenzhen", "shenzhen-trend-fit-shenzhen.yaml"),
        ("zhenjiang", "zhenjiang-trend-fit-zhenjiang.yaml"),
        ("ezhou", "ezhou-trend-fit-prices.yaml"),
    ):
        top = yaml.safe_load((ROOT / "scenarios" / f"{region}-trend.yaml").read_text("utf-8"))
        assert top["extends"] == f"fragments/{last}"
        assert top["id"] == f"{region}_trend"
    sc = load_scenario(ROOT / "scenarios" / "jiangxi-trend.yaml")
    eq = sc.clusters["equipment"].output.growth
    assert eq.shocks is not None and eq.shocks.factor == "jiangxi"
    assert sc.shocks is not None and set(sc.shocks.factors) == {"jiangxi", "china_prices"}


def test_ezhou_plan_rate_is_ten_percent_real():
    doc = _fragment("ezhou-trend-fit-prices.yaml")
    deflator = doc["indicators"]["gdp_deflator"]["growth"]["rate"]["mean"]
    plan = yaml.safe_load((ROOT / "scenarios" / "ezhou-2029.yaml").read_text("utf-8"))
    for name in ("optoelectronics", "computing_ai", "beidou"):
        nominal = plan["clusters"][name]["output"]["growth"]["rates"][2025]["value"]
        assert_allclose((1 + nominal) / (1 + deflator) - 1, 0.10, atol=5e-6)
    trend = _fragment("ezhou-trend-base.yaml")
    target = trend["targets"]["sei_va_cagr"]
    assert target["basis"] == "comparable" and target["deflator"] == "gdp_deflator"


def test_factor_needs_shocks():
    res = CliRunner().invoke(
        app,
        [
            "calibrate",
            str(ROOT / "calibration" / "jiangxi.csv"),
            "-S",
            str(FRAG / "jiangxi-trend-base.yaml"),
            "-x",
            "output[equipment]",
            "--factor",
            "jiangxi",
        ],
    )
    assert res.exit_code != 0 and "--factor needs --shocks" in res.output


@pytest.mark.slow
def test_fragments_are_what_the_documented_command_writes():
    res = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "calibrate_trends.py"), "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(ROOT / "src"), "PATH": "/usr/bin:/bin"},
    )
    assert res.returncode == 0, res.stdout + res.stderr
