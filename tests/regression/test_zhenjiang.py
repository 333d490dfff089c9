"""Regression tests for the Zhenjiang (镇江) scenarios, seeds 000 (draft, Aug 2024) and 003 (final text).

``scenarios/zhenjiang-trend.yaml`` is the trend baseline (all 35 targets of seed 000, growth read or
fitted from the published history); ``zhenjiang-2026-draft.yaml`` extends it with the growth the
consultation draft implies; ``zhenjiang-2026.yaml`` extends the draft and changes only the count of
千亿级 clusters (3-4 instead of 4-5). ``calibration/zhenjiang.csv`` holds every statistic they use.

The tests pin the headline numbers (plain run and 1,000 Monte Carlo samples at seed 20261122),
recompute the trend's fitted rates from the calibration CSV and check how well they reproduce the
published history, check that the CSV's numbers are the scenarios' base values, and call the CLI.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app
from clustersim.scenario.loader import load_data
from clustersim.values.numbers import Observed, central

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = {
    "trend": ROOT / "scenarios" / "zhenjiang-trend.yaml",
    "draft": ROOT / "scenarios" / "zhenjiang-2026-draft.yaml",
    "final": ROOT / "scenarios" / "zhenjiang-2026.yaml",
}
CALIBRATION = ROOT / "calibration" / "zhenjiang.csv"
SEED = 20261122
SAMPLES = 1000
RTOL = 1e-9

# Every quantitative target in TARGETS.md's table for seed 000 (the final text keeps the same set
# and changes one goal); all three files carry all of them.
TARGET_IDS = sorted(
    [
        # §一(二) main goals
        "rd_intensity_3pct",
        "patents_per_10k_95",
        "sei_share_43pct",
        "high_tech_share_56pct",
        "digital_core_share_11pct",
        "digital_core_share_up_1pp",  # §六(二十)
        "energy_intensity_vs_2020",
        # §二(五) 千亿级 clusters
        "emerging_clusters_1000",
        # §二(九) stock
        "specialised_smes_500",
        # 标注4 “522” (by 2025)
        "service_leading_firms_50",
        "service_clusters_20",
        "two_industry_benchmarks_20",
        # §二(七) levels
        "nc_rate_65pct",
        "digital_management_80pct",
        "digital_design_90pct",
        # annual flows (every year 2024-2026)
        "research_results_1000",
        "iur_projects_550",
        "tech_firms_incubated_250",
        "tech_renovation_projects_100",
        "future_industry_projects_10",
        "smart_workshops_15",
        "cloud_firms_80",
        "industrial_internet_platforms_2",
        "high_tech_applications_720",
        "unicorn_gazelle_10",
        "dual_carbon_rd_projects_10",
        "energy_carbon_projects_30",
        "green_factories_30",
        "park_high_tech_applications_600",
        "park_new_tech_firms_400",
        "park_idle_land_30pct",
        "high_level_talents_120",
        "college_graduates_40000",
        "tech_loans_20",
        "core_technologies_10",
    ]
)
EXPECTED_TARGETS = {"trend": TARGET_IDS, "draft": TARGET_IDS, "final": TARGET_IDS}

# --- pinned numbers: plain run (central values) ---------------------------------------------------

_TREND_2026 = {
    "gdp": 6317.740584111969,
    "rd_intensity": 0.03109796993150726,
    "si_qun_total": 4211.6992888999985,
    "ba_lian_total": 3750.674190838998,
    "ba_lian_in_si_qun": 0.8905370335256272,
    "high_tech_share": 0.5541380653343544,
    "sei_share": 0.41168390194152,
    "digital_core_share": 0.08729265289193121,
    "energy_per_gdp_index": 75.29073758882343,
    # base 2023 mode 55 (peer city Nantong) x 1.15^3 (its 2023 pace): prior from data (issue 13)
    "patents_per_10k": 55 * 1.15**3,
    # 380 + 40 x (1.0627066 + 1.0627066^2 + 1.0627066^3): net additions grow with central GDP (rule U2)
    "specialised_smes": 515.6885856185991,
    "output[high_end_equipment]": 1951.7630850999992,
    "output[new_materials]": 1078.6059154499997,
    "output[digital_economy]": 770.4327967499997,
    "output[high_performance_materials]": 817.9390217429997,
    "output[new_power_equipment]": 735.2260869599996,
}
_PLAN_2026 = {
    "gdp": 6317.740584111969,
    "rd_intensity": 0.03109796993150726,
    "si_qun_total": 5467.244963904,
    "ba_lian_total": 4888.143075173759,
    "ba_lian_in_si_qun": 0.8940779327515771,
    "high_tech_share": 0.5600669820315626,
    "sei_share": 0.43007956606601994,
    "digital_core_share": 0.11173147883304099,
    "energy_per_gdp_index": 75.29073758882343,
    "patents_per_10k": 55 * 1.1999**3,  # the plan-implied 19.99%/yr from the trend's 55
    # 380 + 40 x (1.0627066 + 1.0627066^2 + 1.0627066^3): net additions grow with central GDP (rule U2)
    "specialised_smes": 515.6885856185991,
    "output[high_end_equipment]": 2533.6013247359997,
    "output[new_materials]": 1400.148100512,
    "output[digital_economy]": 1000.1057860799999,
    "output[high_performance_materials]": 1065.9958081171199,
    "output[new_power_equipment]": 958.1984792063998,
}
SERIES_2026 = {"trend": _TREND_2026, "draft": _PLAN_2026, "final": _PLAN_2026}

_TREND_VALUES = {
    "rd_intensity_3pct": (0.03109796993150726, "met"),
    "patents_per_10k_95": (55 * 1.15**3, "missed"),  # 83.65
    "nc_rate_65pct": (0.629 * 1.0665**3, "met"),  # national 2023 rate at the national pace
    "digital_management_80pct": (0.715 * 1.051**3, "met"),
    "digital_design_90pct": (0.801 * 1.0355**3, "missed"),  # 0.8894
    "sei_share_43pct": (0.41168390194152, "missed"),
    "high_tech_share_56pct": (0.5541380653343544, "missed"),
    "digital_core_share_11pct": (0.08729265289193121, "missed"),
    "digital_core_share_up_1pp": (0.0023602847736309968, "missed"),
    "energy_intensity_vs_2020": (-0.21062342641200005, "met"),
    "emerging_clusters_1000": (2.0, "missed"),
    "specialised_smes_500": (515.6885856185991, "met"),
    "tech_loans_20": (21.254132000000002, "met"),  # 20 x 1.0627066 in 2024, the lowest year (rule U1)
}
_PLAN_VALUES = {
    "rd_intensity_3pct": (0.03109796993150726, "met"),
    "patents_per_10k_95": (55 * 1.1999**3, "met"),  # plan-implied 19.99%/yr
    "nc_rate_65pct": (0.629 * 1.0665**3, "met"),  # national 2023 rate at the national pace
    "digital_management_80pct": (0.715 * 1.051**3, "met"),
    "digital_design_90pct": (0.801 * 1.0397**3, "met"),  # plan-implied 3.97%/yr
    "sei_share_43pct": (0.43007956606601994, "met"),
    "high_tech_share_56pct": (0.5600669820315626, "met"),
    "digital_core_share_11pct": (0.11173147883304099, "met"),
    "digital_core_share_up_1pp": (0.010470988193669081, "met"),
    "energy_intensity_vs_2020": (-0.21062342641200005, "met"),
    # over the four 群 (each chain inside its 群): high-end equipment, new materials and the digital
    # economy reach 1,000 亿 (1000.1, see SERIES_2026), life & health does not (400 x 1.009 x
    # 1.1496^2 = 533): 3 is short of the draft's 4-5 and inside the final 3-4
    "emerging_clusters_1000": (3.0, "missed"),
    "specialised_smes_500": (515.6885856185991, "met"),
    "tech_loans_20": (21.254132000000002, "met"),  # 20 x 1.0627066 in 2024, the lowest year (rule U1)
}
TARGET_VALUES = {
    "trend": _TREND_VALUES,
    "draft": _PLAN_VALUES,
    "final": {**_PLAN_VALUES, "emerging_clusters_1000": (3.0, "met")},
}
MISSED_PLAIN = {
    "trend": sorted(
        [
            "sei_share_43pct",
            "high_tech_share_56pct",
            "digital_core_share_11pct",
            "digital_core_share_up_1pp",
            "emerging_clusters_1000",
            "park_idle_land_30pct",  # central 27.5%: the middle of the uniform 5-50% prior
            "patents_per_10k_95",
            "digital_design_90pct",
        ]
    ),
    "draft": ["emerging_clusters_1000"],  # 4-5 of four 群 needs life & health at 1,000 亿
    "final": [],
}

# required growth, computed on central values. The §一(二) goals and the cluster count have
# required_from: 2024 (the plan year): the lever follows the scenario to 2024, then grows at r in
# 2025-2026, so each rate is checked here by hand from the 2024 central level (two years of growth):
_GDP_2026 = 5264.07 * 1.0627066**3  # central GDP growth, the denominator of the two GDP shares
_REQUIRED = {
    # rd_intensity = rd_rest / gdp: 141.58 x 1.1154 (2024) x (1 + r)^2 = 3% of GDP 2026
    "rd_intensity_3pct": (0.03 * _GDP_2026 / (141.58 * 1.1154)) ** 0.5 - 1,
    "patents_per_10k_95": (95 / (55 * 1.15)) ** 0.5 - 1,  # 63.25 in 2024
    "sei_share_43pct": (0.43 / (0.39 * 1.0182)) ** 0.5 - 1,  # trend's 2024 share 39.71%
    "high_tech_share_56pct": (0.56 / (0.5345 * 1.0121)) ** 0.5 - 1,  # fitted 2024 share 54.10%
    # digital-economy core VA (trend 2024 central: 460.741446, pinned) to 11% of GDP 2026
    "digital_core_share_11pct": (0.11 * _GDP_2026 / 460.7414456869261) ** 0.5 - 1,
    "digital_core_share_up_1pp": 0.19554353709472608,  # no required_from: from 2023
    # index 82.761226 in 2024 (86.77 x 0.9538) to 86% of its 2020 value (100) in 2025, one year
    "energy_intensity_vs_2020": 0.86 * 100 / 82.761226 - 1,
    # 4-5 of the four 群 needs life & health (400 x 1.009 in 2024) at 1,000 in 2026
    "emerging_clusters_1000": (1000 / (400 * 1.009)) ** 0.5 - 1,
    "specialised_smes_500": 0.0,
    "tech_loans_20": 0.0,
}
REQUIRED = {
    "trend": _REQUIRED,
    # the draft's digital-economy path gives 506.114 in 2024, its patents 55 x 1.1999
    "draft": {
        **_REQUIRED,
        "digital_core_share_11pct": (0.11 * _GDP_2026 / 506.114034) ** 0.5 - 1,
        "patents_per_10k_95": (95 / (55 * 1.1999)) ** 0.5 - 1,
    },
}
# 3-4 of the four 群: the digital economy (750 x 1.009 = 756.75 in 2024) reaches 1,000
REQUIRED["final"] = {
    **REQUIRED["draft"],
    "emerging_clusters_1000": (1000 / (750 * 1.009)) ** 0.5 - 1,
}

# --- pinned numbers: Monte Carlo, 1,000 samples, seed 20261122 -----------------------------------

# probabilities of the targets whose growth the scenarios set or which rest on published data;
# every rule-U1/U2 target (no data) sits near 0.5 and is checked as such below.
PROBABILITY = {
    "trend": {
        "rd_intensity_3pct": 0.54,  # GDP shocks: median 2.99% < 3%, P up toward 50% (was 0.466)
        "patents_per_10k_95": 0.206,  # see test_prior_probabilities_in_closed_form
        "nc_rate_65pct": 0.992,
        "digital_management_80pct": 0.584,
        "digital_design_90pct": 0.28,
        "sei_share_43pct": 0.137,
        "high_tech_share_56pct": 0.267,
        "digital_core_share_11pct": 0.024,  # median 8.7% < 11%: up from 0.008
        "digital_core_share_up_1pp": 0.001,
        "energy_intensity_vs_2020": 0.548,
        "emerging_clusters_1000": 0.0,  # 4-5 of four 群: see test_thousand_yi_count_by_hand
        "specialised_smes_500": 0.633,  # additions grow with GDP: median 515 > 500, down from 0.668
        "tech_loans_20": 0.538,
    },
    "draft": {
        "rd_intensity_3pct": 0.54,
        "patents_per_10k_95": 0.527,
        "nc_rate_65pct": 0.992,
        "digital_management_80pct": 0.584,
        "digital_design_90pct": 0.481,
        "sei_share_43pct": 0.406,
        "high_tech_share_56pct": 0.505,
        "digital_core_share_11pct": 0.558,  # median 11.12% > 11% (was 11.01%, 0.51)
        "digital_core_share_up_1pp": 0.233,  # every year: GDP shocks move each year's pp change (was 0.466)
        "energy_intensity_vs_2020": 0.548,
        "emerging_clusters_1000": 0.0,
        "specialised_smes_500": 0.633,
        "tech_loans_20": 0.538,
    },
}
PROBABILITY["final"] = {**PROBABILITY["draft"], "emerging_clusters_1000": 0.692}

_TREND_MEDIAN = {
    "rd_intensity_3pct": 0.030386905205858145,
    "sei_share_43pct": 0.4066583894126554,
    "high_tech_share_56pct": 0.5539974363900312,
    "digital_core_share_11pct": 0.08690757763096885,
    "energy_intensity_vs_2020": -0.14760477276537542,
    "emerging_clusters_1000": 2.0,
}
_PLAN_MEDIAN = {
    "rd_intensity_3pct": 0.030386905205858145,
    "sei_share_43pct": 0.4253924016072794,
    "high_tech_share_56pct": 0.5600196001622472,
    "digital_core_share_11pct": 0.11276106256350327,
    "energy_intensity_vs_2020": -0.14760477276537542,
    "emerging_clusters_1000": 3.0,
}
MC_MEDIAN = {"trend": _TREND_MEDIAN, "draft": _PLAN_MEDIAN, "final": _PLAN_MEDIAN}

U1_FLOWS = [
    "research_results_1000",
    "iur_projects_550",
    "tech_firms_incubated_250",
    "tech_renovation_projects_100",
    "future_industry_projects_10",
    "cloud_firms_80",
    "high_tech_applications_720",
    "unicorn_gazelle_10",
    "energy_carbon_projects_30",
    "green_factories_30",
    "park_new_tech_firms_400",
    "core_technologies_10",
]
NO_DATA_TARGETS = [t for t in TARGET_IDS if t not in PROBABILITY["trend"]] + [
    "specialised_smes_500",
    "tech_loans_20",
]


# --- fixtures -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenarios() -> dict[str, cs.Scenario]:
    return {k: cs.load_scenario(p) for k, p in SCENARIOS.items()}


@pytest.fixture(scope="module")
def plain(scenarios: dict[str, cs.Scenario]) -> dict[str, cs.Result]:
    return {k: cs.run(sc) for k, sc in scenarios.items()}


@pytest.fixture(scope="module")
def mc(scenarios: dict[str, cs.Scenario]) -> dict[str, cs.Result]:
    return {k: cs.run(sc, samples=SAMPLES, seed=SEED) for k, sc in scenarios.items()}


@pytest.fixture(scope="module")
def calibration() -> list[dict[str, Any]]:
    with CALIBRATION.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    for r in rows:
        r["year"] = int(r["year"])
        r["value"] = float(r["value"])
    return rows


def row(rows: list[dict[str, Any]], indicator: str, year: int, region: str = "Zhenjiang") -> float:
    found = [
        r["value"]
        for r in rows
        if r["region"] == region and r["indicator"] == indicator and r["year"] == year
    ]
    assert len(found) == 1, (
        f"calibration/zhenjiang.csv: expected one row {region}/{indicator}/{year}"
    )
    return float(found[0])


def at(res: cs.Result, name: str, year: int) -> float:
    """Value of a region series, a metric or ``output[cluster]`` in ``year`` (sample 0)."""
    i = int(np.flatnonzero(res.years == year)[0])
    if name.startswith("output["):
        c = res.clusters.index(name[len("output[") : -1])
        return float(res.series["output"][0, c, i])
    return float(res.series[name][0, i])


def loglin(years: list[int], values: list[float], at_year: int) -> tuple[float, float, float]:
    """Least squares of ln(value) on year: (fitted value at ``at_year``, slope, slope s.e.)."""
    x = np.asarray(years, float) - at_year
    y = np.log(np.asarray(values, float))
    a = np.vstack([np.ones_like(x), x]).T
    coef, *_ = np.linalg.lstsq(a, y, rcond=None)
    resid = y - a @ coef
    dof = len(x) - 2
    se = math.sqrt(float(resid @ resid) / dof * np.linalg.inv(a.T @ a)[1, 1]) if dof else math.nan
    return float(np.exp(coef[0])), float(coef[1]), se


# --- target lists and validity --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_target_ids(name: str, plain: dict[str, cs.Result]) -> None:
    ids = sorted(t.id for t in plain[name].targets)
    assert ids == EXPECTED_TARGETS[name]
    assert len(ids) == 35


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_every_target_cites_a_seed(name: str, scenarios: dict[str, cs.Scenario]) -> None:
    for tid, t in scenarios[name].targets.items():
        assert t.source and (
            "seed 000_613bb036317d362a.txt" in t.source or "seed 003" in t.source
        ), tid


# --- pinned numbers -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_headline_series_plain(name: str, plain: dict[str, cs.Result]) -> None:
    res = plain[name]
    assert res.samples == 1
    for series, expected in SERIES_2026[name].items():
        assert_allclose(at(res, series, 2026), expected, rtol=RTOL, err_msg=f"{name}: {series}")
    # base year: data and the stated splits
    assert_allclose(at(res, "gdp", 2023), 5264.07, rtol=RTOL)
    assert_allclose(at(res, "si_qun_total", 2023), 4100.0, rtol=RTOL)
    assert_allclose(at(res, "ba_lian_total", 2023), 3673.0, rtol=RTOL)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_target_values_plain(name: str, plain: dict[str, cs.Result]) -> None:
    res = plain[name]
    for tid, (value, status) in TARGET_VALUES[name].items():
        t = res.target(tid)
        assert_allclose(float(t.value[0]), value, rtol=RTOL, err_msg=f"{name}: {tid}")
        assert t.status == status, f"{name}: {tid}"
    missed = sorted(t.id for t in res.targets if t.status == "missed")
    assert missed == MISSED_PLAIN[name]


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_required_growth(name: str, plain: dict[str, cs.Result]) -> None:
    res = plain[name]
    for tid, rate in REQUIRED[name].items():
        rg = res.target(tid).required_growth
        assert rg is not None and rg["rate"] is not None, f"{name}: {tid}"
        if rg["method"] == "bisection":
            # a count is a step: the edge is known in closed form (the binding cluster reaches
            # 1,000 at that constant rate from 2023); bisection stops within 1e-12 of an edge that
            # the count's float tolerance (1e-9 of the threshold) moves by ~4e-10
            assert_allclose(rg["rate"], rate, rtol=0, atol=1e-8, err_msg=f"{name}: {tid}")
        else:
            assert_allclose(rg["rate"], rate, rtol=RTOL, atol=1e-12, err_msg=f"{name}: {tid}")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_monte_carlo_pinned(name: str, mc: dict[str, cs.Result]) -> None:
    res = mc[name]
    assert res.samples == SAMPLES and res.seed == SEED
    for tid, p in PROBABILITY[name].items():
        assert_allclose(
            res.target(tid).probability, p, rtol=0, atol=1e-12, err_msg=f"{name}: {tid}"
        )
    for tid, median in MC_MEDIAN[name].items():
        assert_allclose(res.target(tid).median_value, median, rtol=RTOL, err_msg=f"{name}: {tid}")
    # targets without data (rules U1/U2) are about a coin toss, as stated: a U1 flow's median
    # starts at the floor and grows with GDP, so P ~ Phi(ln(1.0627066) / 0.5) = 0.553 for its
    # first (binding) year; U2 stocks add three years of growing additions
    for tid in NO_DATA_TARGETS:
        assert 0.40 <= res.target(tid).probability <= 0.70, f"{name}: {tid}"
    for tid in U1_FLOWS:
        assert 0.50 <= res.target(tid).probability <= 0.60, f"{name}: {tid}"
    for arr in res.series.values():
        assert np.all(np.isfinite(arr))


def _tri_pdf(x: np.ndarray, lo: float, mode: float, hi: float) -> np.ndarray:
    return np.where(
        x < mode, 2 * (x - lo) / ((hi - lo) * (mode - lo)), 2 * (hi - x) / ((hi - lo) * (hi - mode))
    ).clip(min=0)


def test_prior_probabilities_in_closed_form(mc: dict[str, cs.Result]) -> None:
    """P(met) of the trend's re-based priors (issue 13) by numerical integration, independent of
    the sampler: the 1,000 samples lie within 3 binomial standard errors of it."""
    from scipy import stats

    res = mc["trend"]

    def check(tid: str, exact: float) -> None:
        se = (exact * (1 - exact) / SAMPLES) ** 0.5
        assert abs(res.target(tid).probability - exact) <= 3 * se + 1e-12, (tid, exact)

    # patents: base ~ tri(35, 55, 75), rate ~ tri(0.08, 0.15, 0.22): P(base (1 + g)^3 >= 95)
    g = np.linspace(0.08, 0.22, 4001)
    need = 95 / (1 + g) ** 3  # the base that just meets the goal at rate g
    p_base = 1 - stats.triang(c=0.5, loc=35, scale=40).cdf(need)
    check("patents_per_10k_95", float(np.trapezoid(p_base * _tri_pdf(g, 0.08, 0.15, 0.22), g)))
    # design tools: base ~ tri(0.73, 0.801, 0.87), rate ~ N(0.0355, 0.01137) below 0.045
    rate = stats.truncnorm(-np.inf, (0.045 - 0.0355) / 0.01137, loc=0.0355, scale=0.01137)
    g = np.linspace(rate.ppf(1e-9), 0.045, 4001)
    c = (0.801 - 0.73) / (0.87 - 0.73)
    p_base = 1 - stats.triang(c=c, loc=0.73, scale=0.14).cdf(0.9 / (1 + g) ** 3)
    check("digital_design_90pct", float(np.trapezoid(p_base * rate.pdf(g), g)))


QUN = ["high_end_equipment", "new_materials", "digital_economy", "life_health"]
CHAINS = [
    "new_power_equipment",
    "auto_nev",
    "aerospace",
    "ships_offshore",
    "smart_farm_machinery",
    "high_performance_materials",
    "new_gen_it",
    "medical_biomed",
]


def test_chains_sit_inside_their_qun(scenarios: dict[str, cs.Scenario]) -> None:
    """Each of the 八链 names its 群 (aerospace: high-end equipment, the 群 of its larger share)."""
    sc = scenarios["trend"]
    for c in CHAINS:
        assert sc.clusters[c].parent in QUN, c
    for q in QUN:
        assert sc.clusters[q].parent is None, q
    for name in SCENARIOS:
        t = scenarios[name].targets["emerging_clusters_1000"]
        assert list(t.over) == QUN and t.group is None, name


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_thousand_yi_count_by_hand(name: str, mc: dict[str, cs.Result]) -> None:
    """The 千亿级 count, recounted by hand from the sampled 2026 outputs of the four 群 (each chain
    is inside its 群 and never counted), and its probability checked in closed form.

    Trend and draft ("4-5"): four 群 give at most 4, so all four must reach 1,000 亿, and life &
    health cannot: at most 500 x 1.009 x 1.15^2 = 667 (trend, top of the 2025-26 growth range) or
    500 x 1.009 x 1.1496^2 = 667 (draft), so P = 0 exactly. Final ("3-4"): with the draft's growth
    every 群 is multiplied by k = 1.009 x 1.1496^2 = 1.33347 from 2023 to 2026, so high-end
    equipment (>= 1,650 k) and new materials (>= 900 k) always count, life & health never, and the
    digital economy counts when its 2023 base, triangular(600, 750, 1050), is >= 1000 / k = 749.92:
    P = 1 - (749.92 - 600)^2 / ((1050 - 600) (750 - 600)) = 0.6670. The 1,000 samples give 0.692,
    1.7 binomial standard errors (0.0149) above it."""
    res = mc[name]
    i = int(np.flatnonzero(res.years == 2026)[0])
    idx = [res.clusters.index(q) for q in QUN]
    out = res.series["output"][:, idx, i]
    count = (out >= 1000 * (1 - 1e-9)).sum(axis=1)
    t = res.target("emerging_clusters_1000")
    assert np.array_equal(t.value, count.astype(float))
    lo, hi = (3, 4) if name == "final" else (4, 5)
    assert t.probability == float(np.mean((count >= lo) & (count <= hi)))
    # the old double count (the 12 clusters of group emerging) would give more
    every = res.series["output"][:, [res.clusters.index(c) for c in QUN + CHAINS], i]
    assert np.all((every >= 1000).sum(axis=1) >= count)
    if name == "final":
        k = 1.009 * 1.1496**2
        edge = 1000 / k
        p = 1 - (edge - 600) ** 2 / ((1050 - 600) * (750 - 600))
        assert_allclose(p, 0.66702, atol=1e-5)
        assert abs(t.probability - p) < 3 * math.sqrt(p * (1 - p) / SAMPLES)
        assert set(np.unique(count)) <= {2, 3}
    else:
        assert t.probability == 0.0
        assert out[:, QUN.index("life_health")].max() < 1000 * 0.67


def test_monte_carlo_is_reproducible(
    scenarios: dict[str, cs.Scenario], mc: dict[str, cs.Result]
) -> None:
    again = cs.run(scenarios["final"], samples=SAMPLES, seed=SEED, required=False)
    for a, b in zip(again.targets, mc["final"].targets, strict=True):
        assert np.array_equal(a.value, b.value)


# --- the trend reproduces the published history it was fitted on ----------------------------------


def test_trend_gdp_fit(
    calibration: list[dict[str, Any]],
    scenarios: dict[str, cs.Scenario],
    plain: dict[str, cs.Result],
) -> None:
    """GDP growth is calibrate's random walk with drift on 2019-2023 (the fragment the trend
    extends): the median rate exp(mean log growth) - 1, its standard error widened for 3 df;
    back-projected from 2023 it misses the published years by < 4% (2020 is 3.9% below)."""
    years = [2019, 2020, 2021, 2022, 2023]
    gdp = [row(calibration, "GDP", y) for y in years]
    g = np.diff(np.log(gdp))
    mu = float(g.mean())
    se_rate = math.exp(mu) * float(g.std(ddof=1)) / math.sqrt(len(g))
    t_over_z = 1.637744353696209 / 1.2815515655446004  # t_3(0.9) / z(0.9)
    rate = scenarios["trend"].region.gdp.growth.rate
    assert rate.dist == "normal"
    assert_allclose(rate.mean, math.expm1(mu), rtol=1e-5)
    assert_allclose(rate.sd, se_rate * t_over_z, rtol=1e-3)
    shocks = scenarios["trend"].region.gdp.growth.shocks
    assert_allclose(shocks.sd, float(g.std(ddof=1)) * t_over_z, rtol=1e-3)
    r = central(rate)
    base = at(plain["trend"], "gdp", 2023)
    errors = {y: base * (1 + r) ** (y - 2023) / v - 1 for y, v in zip(years, gdp, strict=True)}
    assert max(abs(e) for e in errors.values()) < 0.04, errors
    assert_allclose(errors[2020], 5264.07 * math.exp(-3 * mu) / 4220 - 1, atol=1e-5)
    # and the projection continues at the calibrated rate
    assert_allclose(at(plain["trend"], "gdp", 2024), 5264.07 * math.exp(mu), rtol=1e-5)


def test_trend_high_tech_fit(
    calibration: list[dict[str, Any]],
    scenarios: dict[str, cs.Scenario],
    plain: dict[str, cs.Result],
) -> None:
    """The high-tech share is the log-linear fit of the three published H1 shares; the trend's 2024
    value reproduces the published end-June 2024 share (54.1%) within 0.05 pp, 2015 and 2016 within
    0.1 pp (with the rounded base and rate: 0.053 pp in 2015)."""
    ind = "high-tech output share of above-scale industrial output (H1)"
    years = [2015, 2016, 2024]
    shares = [
        row(calibration, ind, 2015) / 100,
        row(calibration, ind, 2016) / 100,
        row(calibration, "high-tech output share of above-scale industrial output (end-June)", 2024)
        / 100,
    ]
    fitted_2023, slope, _ = loglin(years, shares, 2023)
    hts = scenarios["trend"].indicators["high_tech_share"]
    assert central(hts.base) == round(fitted_2023, 4) == 0.5345
    assert central(hts.growth.rates[2024]) == round(math.expm1(slope), 4) == 0.0121
    assert_allclose(
        row(calibration, "high-tech output share, log-linear fit at 2023 (derived)", 2023),
        100 * fitted_2023,
        atol=0.005,
    )
    # the model's own 2024 value against the published end-June 2024 share
    assert abs(at(plain["trend"], "high_tech_share", 2024) - shares[2]) < 0.0005
    # projected back at the scenario's rate against the published 2015 / 2016 shares
    b, r = central(hts.base), central(hts.growth.rates[2024])
    for y, s in zip(years[:2], shares[:2], strict=True):
        assert abs(b * (1 + r) ** (y - 2023) - s) < 0.001, y
    # the published history sits in the scenario's history block
    hist = scenarios["trend"].region.history["high_tech_share"]
    assert central(hist[2015]) == shares[0] and central(hist[2016]) == shares[1]


def test_trend_qun_lian_2024(
    calibration: list[dict[str, Any]], plain: dict[str, cs.Result]
) -> None:
    """The 2024 四群/八链 of the trend reproduce the published Jan-Jul 2024 growth and 八链/四群 ratio;
    the pro-rata annualisation of the Jan-Jul sales would understate 2024 by 7.7% (seasonality)."""
    res = plain["trend"]
    q23, q24 = at(res, "si_qun_total", 2023), at(res, "si_qun_total", 2024)
    l23, l24 = at(res, "ba_lian_total", 2023), at(res, "ba_lian_total", 2024)
    assert_allclose(
        q23, row(calibration, "四群八链 taxable sales (lower bound: 超4100亿)", 2023), rtol=RTOL
    )
    assert_allclose(
        q24 / q23 - 1, row(calibration, "四群 sales growth y/y (Jan-Jul)", 2024) / 100, rtol=1e-9
    )
    assert_allclose(
        l24 / l23 - 1, row(calibration, "八链 sales growth y/y (Jan-Jul)", 2024) / 100, rtol=1e-9
    )
    q_jj = row(calibration, "四群 sales (Jan-Jul)", 2024)
    l_jj = row(calibration, "八链 sales (Jan-Jul)", 2024)
    # ratio of the two Jan-Jul figures (annualisation cancels): within 0.01% (the chains' modes are
    # rounded to whole 亿元)
    assert_allclose(l24 / q24, l_jj / q_jj, rtol=1e-4)
    # explicit annualisation with the format's own rule (value x 12 / months)
    q_annual = Observed(value=q_jj, months=7).point
    assert_allclose(q_annual, 2226.9 * 12 / 7, rtol=RTOL)
    assert_allclose(
        q_annual,
        row(
            calibration,
            "四群 sales annualised pro rata (derived 2226.9 x 12/7; NOT a base value)",
            2024,
        ),
        atol=0.005,
    )
    error = q_annual / q24 - 1  # stated error of pro-rata annualisation: -7.7%
    assert -0.080 < error < -0.075, error
    jan_jul_share = (q_jj / 1.009) / q23  # the Jan-Jul share of 2023 sales implied by the data
    assert 0.535 < jan_jul_share < 0.540 < 7 / 12


def test_trend_energy_pace(
    calibration: list[dict[str, Any]], scenarios: dict[str, cs.Scenario]
) -> None:
    """The trend's energy-intensity pace (-4.62%/yr) reproduces the 2012-2021 cumulative change
    (-37.7%) within 0.1 pp; it understates the 2011-2015 change (-25.69%) by 4.6 pp (stated)."""
    ind = scenarios["trend"].indicators["energy_per_gdp_index"]
    g = central(ind.growth.rate)
    c_2021 = row(calibration, "energy intensity cumulative change 2012-2021", 2021) / 100
    c_2015 = row(calibration, "energy intensity cumulative change 2011-2015", 2015) / 100
    assert abs(((1 + g) ** 10 - 1) - c_2021) < 0.001
    gap_2015 = ((1 + g) ** 5 - 1) - c_2015
    assert_allclose(gap_2015, 0.046, atol=0.001)
    # the base (2023, 2020 = 100) is three years at the same paces (mode, low) or +1%/yr (high)
    base = ind.base
    assert_allclose(
        [base.low, base.mode, base.high],
        [100 * (1 + c_2015) ** 0.6, 100 * (1 + c_2021) ** 0.3, 100 * 1.01**3],
        atol=0.006,
    )


# --- calibration CSV vs the scenarios' base values ------------------------------------------------


def test_calibration_csv_is_tidy(
    calibration: list[dict[str, Any]], scenarios: dict[str, cs.Scenario]
) -> None:
    with CALIBRATION.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == ["region", "cluster", "indicator", "year", "value", "unit", "source"]
    for r in calibration:
        assert r["region"] and r["indicator"] and r["unit"] and r["source"], r
        assert math.isfinite(r["value"]), r
        assert not r["cluster"] or r["cluster"] in scenarios["trend"].clusters, r
        # a row is published (a row of the shared csv or a seed), derived from such rows, or a
        # published figure outside the shared csv, and says which
        src = r["source"]
        assert src.startswith(("published_statistics.csv", "seed 00", "derived", "NOT in")), src


def test_calibration_base_values(
    calibration: list[dict[str, Any]], scenarios: dict[str, cs.Scenario]
) -> None:
    sc = scenarios["trend"]
    reg = sc.region
    # GDP: base and history
    assert isinstance(reg.gdp.base, Observed)
    assert reg.gdp.base.value == row(calibration, "GDP", 2023)
    for y in (2013, 2019, 2020, 2021, 2022):
        assert central(reg.history["gdp"][y]) == row(calibration, "GDP", y), y
    # R&D 2021 (history) and the 2023 base re-derived from it and Jiangsu's 2022 growth
    rd21 = row(calibration, "R&D spending", 2021)
    assert central(reg.history["rd_total"][2021]) == rd21
    js = row(calibration, "R&D spending", 2022, "Jiangsu (context)") / row(
        calibration, "R&D spending", 2021, "Jiangsu (context)"
    )
    assert_allclose(
        row(
            calibration,
            "R&D spending growth (derived 3835.4 / 3438.6 - 1)",
            2022,
            "Jiangsu (context)",
        ),
        100 * (js - 1),
        atol=0.005,
    )
    b = reg.rd_rest.base
    assert_allclose(
        [b.low, b.mode, b.high], [rd21 * 1.04**2, rd21 * js**2, rd21 * 1.16**2], atol=0.005
    )
    assert reg.rd_rest.growth.rate.mode == round(js - 1, 4)
    # 四群: the four 群 modes sum to the published 2023 total
    q23 = row(calibration, "四群八链 taxable sales (lower bound: 超4100亿)", 2023)
    qun = sc.groups["si_qun"].clusters
    assert sum(central(sc.clusters[c].output.base) for c in qun) == q23
    # 八链: the chains' modes sum to 4100 x the Jan-Jul 2023 ratio (re-derived from the raw rows)
    q_jj23 = row(calibration, "四群 sales (Jan-Jul)", 2024) / (
        1 + row(calibration, "四群 sales growth y/y (Jan-Jul)", 2024) / 100
    )
    l_jj23 = row(calibration, "八链 sales (Jan-Jul)", 2024) / (
        1 + row(calibration, "八链 sales growth y/y (Jan-Jul)", 2024) / 100
    )
    assert_allclose(
        q_jj23, row(calibration, "四群 sales (Jan-Jul; derived 2226.9 / 1.009)", 2023), atol=0.005
    )
    assert_allclose(
        l_jj23, row(calibration, "八链 sales (Jan-Jul; derived 1991.2 / 1.007)", 2023), atol=0.005
    )
    assert_allclose(
        l_jj23 / q_jj23,
        row(calibration, "八链 / 四群 sales ratio (Jan-Jul; derived)", 2023),
        atol=5e-6,
    )
    lian_total = q23 * l_jj23 / q_jj23
    assert_allclose(
        lian_total,
        row(calibration, "八链 taxable sales (derived 4100 x 0.89593)", 2023),
        atol=0.005,
    )
    lian = sc.groups["ba_lian"].clusters
    assert_allclose(sum(central(sc.clusters[c].output.base) for c in lian), lian_total, rtol=1e-4)
    # published chain figures
    hpm = sc.clusters["high_performance_materials"].output.base
    assert isinstance(hpm, Observed)
    assert hpm.value == row(
        calibration, "高性能材料 chain taxable sales (largest of the 8 chains)", 2023
    )
    assert all(
        central(sc.clusters[c].output.base) < hpm.value
        for c in lian
        if c != "high_performance_materials"
    )
    aero = sc.clusters["aerospace"].output.base
    assert aero.low == row(calibration, "aerospace taxable sales (lower bound: 超过百亿元)", 2023)
    # 2024 growth of the 群, the 链 and the traditional industries: the published y/y rates
    for c in qun:
        assert_allclose(
            central(sc.clusters[c].output.growth.rates[2024]),
            row(calibration, "四群 sales growth y/y (Jan-Jul)", 2024) / 100,
            rtol=1e-12,
        )
    for c in lian:
        assert_allclose(
            central(sc.clusters[c].output.growth.rates[2024]),
            row(calibration, "八链 sales growth y/y (Jan-Jul)", 2024) / 100,
            rtol=1e-12,
        )
    industry = row(calibration, "四群 sales growth y/y (Jan-Jul)", 2024) - row(
        calibration, "四群 growth above all above-scale industry (Jan-Jul)", 2024
    )
    assert_allclose(
        industry,
        row(
            calibration, "above-scale industry sales growth y/y (Jan-Jul; derived 0.9 - 1.8)", 2024
        ),
        atol=1e-9,
    )
    for c in sc.groups["traditional"].clusters:
        assert_allclose(
            central(sc.clusters[c].output.growth.rates[2024]), industry / 100, atol=1e-12
        )
    # SEI share trend: 1.009 / 0.991 - 1
    assert sc.indicators["sei_share"].growth.rates[2024].mode == round(
        1.009 / (1 + industry / 100) - 1, 4
    )
    # digital-economy core value added: 8% of 2023 GDP, rounded up to 0.01
    assert (
        central(sc.indicators["digital_core_va"].base)
        == math.ceil(0.08 * row(calibration, "GDP", 2023) * 100) / 100
    )


def test_plan_changes_growth_only(scenarios: dict[str, cs.Scenario]) -> None:
    """The draft changes only growth (no base value, no target); the final changes only the count
    target's goal (3-4), its label and its source."""

    def flat(d: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
        if isinstance(d, dict):
            for k, v in d.items():
                yield from flat(v, f"{prefix}.{k}" if prefix else str(k))
        else:
            yield prefix, d

    data = {k: dict(flat(load_data(p).data)) for k, p in SCENARIOS.items()}
    meta = {"id", "name.zh", "name.en", "description", "extends"}

    def diff(a: str, b: str) -> set[str]:
        keys = set(data[a]) | set(data[b])
        return {k for k in keys if data[a].get(k) != data[b].get(k)} - meta

    draft = diff("trend", "draft")
    assert draft and all(".growth." in k for k in draft), sorted(draft)
    assert diff("draft", "final") == {
        "targets.emerging_clusters_1000.between",
        "targets.emerging_clusters_1000.label.zh",
        "targets.emerging_clusters_1000.label.en",
        "targets.emerging_clusters_1000.source",
    }
    assert scenarios["final"].targets["emerging_clusters_1000"].between == (3.0, 4.0)
    assert scenarios["draft"].targets["emerging_clusters_1000"].between == (4.0, 5.0)


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_chains_fit_inside_their_groups(name: str, plain: dict[str, cs.Result]) -> None:
    """Plain runs keep every 群 at least as large as the chains it contains (central values; the
    Monte Carlo draws are independent and do not keep this)."""
    res = plain[name]
    for m in (
        "chains_in_high_end_equipment",
        "chains_in_new_materials",
        "chains_in_digital_economy",
        "chains_in_life_health",
        "ba_lian_in_si_qun",
    ):
        assert np.all(res.series[m] <= 1.0), m


# --- CLI -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_cli(name: str) -> None:
    runner = CliRunner()
    path = str(SCENARIOS[name])
    res = runner.invoke(app, ["validate", path])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["validate", path, "--sources"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["check", path, "--quiet"])
    assert res.exit_code in (0, 1), res.output
    assert res.exit_code == (0 if name == "final" else 1)  # the draft misses its 4-5
    res = runner.invoke(
        app, ["check", path, "--quiet", "--samples", str(SAMPLES), "--seed", str(SEED)]
    )
    assert res.exit_code in (0, 1), res.output
