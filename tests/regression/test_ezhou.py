"""Regression tests for the Ezhou (鄂州) scenarios, seed 002 (Nov 2024 plan, horizon 2029).

``scenarios/ezhou-trend.yaml`` is the trend baseline, ``scenarios/ezhou-2029.yaml`` extends it
with the growth the plan states or implies. ``calibration/ezhou.csv`` holds every published row
the two files use. Published Ezhou data are thin (eight rows, all 2022 or earlier), so most base
values are stated assumptions with distributions; these tests pin the numbers those assumptions
produce, check that the published numbers are the scenario's base values, and check that the
trend reproduces the one published history it was fitted on (high-tech enterprises 2021-2022).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app
from clustersim.values.numbers import central

ROOT = Path(__file__).resolve().parents[2]
TREND = ROOT / "scenarios" / "ezhou-trend.yaml"
PLAN = ROOT / "scenarios" / "ezhou-2029.yaml"
CALIBRATION = ROOT / "calibration" / "ezhou.csv"
SEED = 20261122
SAMPLES = 1000
RTOL = 1e-9

# Every quantitative target of seed 002 (TARGETS.md's table) plus the tech-SME doubling the
# plan's text names (倍增工程); both scenarios carry all of them (the plan inherits the trend's).
TARGET_IDS = sorted(
    [
        "rd_cagr",
        "tech_conversion_rate",
        "sei_va_cagr",
        "mfg_va_share",
        "future_industries",
        "tech_contract_cagr",
        "tech_contract_level",
        "innovation_platforms",
        "science_projects",
        "little_giants",
        "specialised_smes",
        "high_tech_enterprises",
        "tech_smes_doubling",
        "new_species",
        "quality_steel_share",
        "cloud_adoption",
        "airport_cargo",
        "imports_exports",
        "talent_teams",
        "urgent_talents",
    ]
)
EXPECTED_TARGETS = {"trend": TARGET_IDS, "plan": TARGET_IDS}

# --- pinned numbers (plain run: central values; Monte Carlo: 1,000 samples, seed 20261122) ----

SERIES_2029 = {
    "trend": {
        "gdp": 1902.0922776240711,
        "rd_total": 45.700978020417274,
        "sei_va": 314.7717978649528,
        "mfg_va_share": 0.2707189787217218,
        # optoelectronics, life & health, digital manufacturing, low-carbon materials at the
        # peer prior 9.9%/yr (issue 13), computing & AI 15%, low-altitude 20%, from the 2022 modes
        "future_output": (250 + 120 + 40 + 100) * 1.099**7 + 15 * 1.15**7 + 5 * 1.2**7,
        "tech_contract_turnover": 133.00099402343744,
        "high_tech_enterprises": 525.782705274,
        "airport_cargo": 175.83402814182847,  # 176 / (1 + (176/8 - 1) e^(-1.43 x 7))
    },
    "plan": {
        "gdp": 1902.0922776240711,
        "rd_total": 52.345953845248026,
        "sei_va": 336.22495217703556,
        "mfg_va_share": 0.30003584232622765,
        "future_output": 1101.4515369093879,
        "tech_contract_turnover": 138.88509210879994,
        "high_tech_enterprises": 525.782705274,
        "airport_cargo": 175.83402814182847,
    },
}

TARGET_VALUES = {
    "trend": {
        "rd_cagr": 0.09000000000000008,
        "tech_conversion_rate": 0.6364077198484915,
        "sei_va_cagr": 0.08559059101026056,  # real (可比价): the nominal peer priors deflated by the GDP deflator
        "mfg_va_share": 0.2707189787217218,
        "future_industries": (250 + 120 + 40 + 100) * 1.099**7 + 15 * 1.15**7 + 5 * 1.2**7,
        "tech_contract_cagr": 0.1499999999999999,
        "tech_contract_level": 133.00099402343744,
        "innovation_platforms": 191.0,
        "science_projects": 47.75436,
        "little_giants": 22.0,
        "specialised_smes": 160.0,
        "high_tech_enterprises": 525.782705274,
        "tech_smes_doubling": 6.189499744695057,  # (561 + 280.5 x sum_{k=1..7} 1.143^k) / 561 - 1
        "new_species": 12.5,  # additions 2025-2029 only (change_since 2024): 5 x 2.5
        "quality_steel_share": 0.6527497867013121,
        "cloud_adoption": 0.6508313519531251,
        "airport_cargo": 175.83402814182847,
        "imports_exports": 98.49702958593753,
        # about 8-12 (左右): the binding year is now 2029, above the band: 10 x 1.06^7 (GDP +6%/yr,
        # elasticity 1)
        "talent_teams": 15.036302589913607,
        "urgent_talents": 1503.6302589913605,
    },
    "plan": {
        "rd_cagr": 0.1200000000000001,
        "tech_conversion_rate": 0.8008188486130721,
        "sei_va_cagr": 0.1000005333814824,  # 1.11365 / 1.0124086 - 1: the nominal rate is rounded up
        "mfg_va_share": 0.30003584232622765,
        "future_industries": 1101.4515369093879,
        "tech_contract_cagr": 0.15999999999999992,
        "tech_contract_level": 138.88509210879994,
        "innovation_platforms": 200.08228161405876,
        "science_projects": 50.001624,
        "little_giants": 25.0087531450109,
        "specialised_smes": 160.0,
        "high_tech_enterprises": 525.782705274,
        "tech_smes_doubling": 6.189499744695057,  # (561 + 280.5 x sum_{k=1..7} 1.143^k) / 561 - 1
        "new_species": 20.000396950157008,  # 2.5 x (1.161 + 1.161^2 + ... + 1.161^5)
        "quality_steel_share": 0.7011765142843309,
        "cloud_adoption": 0.7508378648612455,
        "airport_cargo": 175.83402814182847,
        "imports_exports": 100.38751239479475,
        # about 8-12 (左右): the binding year is now 2029, above the band: 10 x 1.06^7 (GDP +6%/yr,
        # elasticity 1)
        "talent_teams": 15.036302589913607,
        "urgent_talents": 1503.6302589913605,
    },
}

# the targets the trend meets at central values; the plan misses the 150 亿元 of technology
# contracts (its stated 16%/yr falls short from the assumed base) and airport cargo (the fitted
# S-curve levels off at 176 万吨; the plan sets no lever for it)
TREND_MET = {
    "future_industries",  # 1,045 亿 at the peer-prior growth (issue 13), no longer 1,000 by construction
    "specialised_smes",
    "high_tech_enterprises",
    "tech_smes_doubling",
}
# ... and the talent flows, read as 左右 (about 10 / 1,000 +-20% each year): both the trend and the
# plan (which keeps the trend's flows) grow past 12 / 1,200 by 2029
PLAN_MISSED = {"tech_contract_level", "airport_cargo", "talent_teams", "urgent_talents"}

_MFG_2024 = (
    400 * 0.15
    + 120 * 0.25 * 0.98**2
    + 450 * 0.22 * 1.05**2
    + 120 * 0.25 * 1.08**2
    + (250 * 0.22 + 120 * 0.30 + 40 * 0.25 + 100 * 0.22) * 1.099**2
)
# required growth (constant annual rate of the target's lever from the base year), trend run
REQUIRED_TREND = {
    "rd_cagr": 0.12,
    "sei_va_cagr": 1.1 * 1.0124086 - 1,  # 10% real at the calibrated central GDP-deflator rate
    # required_from 2024: manufacturing VA from its 2024 level grows at r for five years to 30% of
    # GDP 2029. The 2024 level at the modes, value-added ratio x output x two years of growth:
    # steel 400 x .15, building materials 120 x .25 x .98^2, other 450 x .22 x 1.05^2, equipment
    # 120 x .25 x 1.08^2, and at the peer prior 1.099^2 optoelectronics 250 x .22, life & health
    # 120 x .30, digital manufacturing 40 x .25, low-carbon materials 100 x .22: 381.511023
    "mfg_va_share": (0.3 * 1902.0922776240711 / _MFG_2024) ** (1 / 5) - 1,
    "future_industries": 0.09493707521730285,
    "tech_contract_level": 0.16993081275868693,
    "innovation_platforms": 0.03726750758534563,
    "little_giants": 0.048558034758251115,
    # required_from 2024: the unconverted share, 0.45 x 0.97^2 = 0.423405 in 2024, falls to 20%
    # (conversion 80%) in five years: (0.2 / 0.423405)^(1/5) - 1
    "tech_conversion_rate": (0.2 / (0.45 * 0.97**2)) ** (1 / 5) - 1,
    "airport_cargo": 0.6782691432162808,
    "imports_exports": 0.05227402814136739,
}

PROBABILITIES = {
    "trend": {
        "rd_cagr": 0.085,
        "tech_conversion_rate": 0.005,
        "sei_va_cagr": 0.397,
        "mfg_va_share": 0.341,
        "future_industries": 0.846,
        "tech_contract_cagr": 0.467,
        "tech_contract_level": 0.403,
        "innovation_platforms": 0.314,
        "science_projects": 0.361,
        "little_giants": 0.306,
        "specialised_smes": 0.69,
        "high_tech_enterprises": 0.855,
        "tech_smes_doubling": 1.0,
        "new_species": 0.0,  # see test_v2_targets_recounted: 2025-29 additions never reach 20
        "quality_steel_share": 0.108,
        "cloud_adoption": 0.052,
        "airport_cargo": 0.154,
        "imports_exports": 0.472,
        "talent_teams": 0.136,
        "urgent_talents": 0.128,
    },
    "plan": {
        "rd_cagr": 1.0,
        "tech_conversion_rate": 0.51,
        "sei_va_cagr": 0.463,  # 10% real at the central deflator: the deflator's spread makes it a coin toss
        "mfg_va_share": 0.598,
        "future_industries": 0.912,
        "tech_contract_cagr": 1.0,
        "tech_contract_level": 0.382,
        "innovation_platforms": 0.495,
        "science_projects": 0.512,
        "little_giants": 0.581,
        "specialised_smes": 0.69,
        "high_tech_enterprises": 0.855,
        "tech_smes_doubling": 1.0,
        "new_species": 0.498,
        "quality_steel_share": 0.392,
        "cloud_adoption": 0.541,
        "airport_cargo": 0.154,
        "imports_exports": 0.513,
        "talent_teams": 0.136,
        "urgent_talents": 0.128,
    },
}

PATHS = {"trend": TREND, "plan": PLAN}


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def scenarios() -> dict[str, cs.Scenario]:
    return {k: cs.load_scenario(p) for k, p in PATHS.items()}


@pytest.fixture(scope="module")
def plain(scenarios: dict[str, cs.Scenario]) -> dict[str, cs.Result]:
    return {k: cs.run(sc) for k, sc in scenarios.items()}


@pytest.fixture(scope="module")
def monte_carlo(scenarios: dict[str, cs.Scenario]) -> dict[str, cs.Result]:
    return {k: cs.run(sc, samples=SAMPLES, seed=SEED) for k, sc in scenarios.items()}


@pytest.fixture(scope="module")
def calibration() -> dict[tuple[str, str, int], dict[str, str]]:
    with CALIBRATION.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert rows, "calibration/ezhou.csv is empty"
    assert list(rows[0]) == ["region", "cluster", "indicator", "year", "value", "unit", "source"]
    out = {}
    for r in rows:
        key = (r["region"], r["indicator"], int(r["year"]))
        assert key not in out, f"duplicate calibration row {key}"
        float(r["value"])  # plain numeric
        assert r["source"].strip(), f"calibration row {key} has no source"
        out[key] = r
    return out


def _value(
    calib: dict[tuple[str, str, int], dict[str, str]], region: str, ind: str, year: int
) -> float:
    return float(calib[(region, ind, year)]["value"])


# --- structure ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_target_ids(scenarios: dict[str, cs.Scenario], which: str) -> None:
    assert sorted(scenarios[which].targets) == EXPECTED_TARGETS[which]


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_every_target_cites_the_seed(scenarios: dict[str, cs.Scenario], which: str) -> None:
    for tid, t in scenarios[which].targets.items():
        assert t.source and t.source.startswith("seed 002 §"), tid


def test_labels_are_bilingual(scenarios: dict[str, cs.Scenario]) -> None:
    sc = scenarios["trend"]
    named = [*sc.clusters.values(), *sc.groups.values(), *sc.indicators.values()]
    for item in named:
        assert not isinstance(item.name, str) and item.name.zh and item.name.en, item.name
    for tid, t in sc.targets.items():
        assert not isinstance(t.label, str) and t.label.zh and t.label.en, tid


def test_plan_extends_trend(scenarios: dict[str, cs.Scenario]) -> None:
    assert scenarios["plan"].extends == "ezhou-trend.yaml"
    assert scenarios["plan"].base_year == scenarios["trend"].base_year == 2022
    assert scenarios["plan"].end_year == 2029


# --- pinned numbers -----------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_plain_run_series(plain: dict[str, cs.Result], which: str) -> None:
    res = plain[which]
    assert res.samples == 1 and list(res.years) == list(range(2022, 2030))
    for name, want in SERIES_2029[which].items():
        assert_allclose(res.series[name][0, -1], want, rtol=RTOL, err_msg=name)


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_plain_run_targets(plain: dict[str, cs.Result], which: str) -> None:
    res = plain[which]
    got = {t.id: float(t.value[0]) for t in res.targets}
    assert sorted(got) == EXPECTED_TARGETS[which]
    for tid, want in TARGET_VALUES[which].items():
        assert_allclose(got[tid], want, rtol=RTOL, err_msg=tid)
    met = {t.id for t in res.targets if t.status == "met"}
    if which == "trend":
        assert met == TREND_MET
    else:
        assert set(TARGET_IDS) - met == PLAN_MISSED


def test_required_growth_trend(plain: dict[str, cs.Result]) -> None:
    res = plain["trend"]
    for tid, want in REQUIRED_TREND.items():
        rg = res.target(tid).required_growth
        assert rg is not None and rg["rate"] is not None, tid
        assert_allclose(rg["rate"], want, rtol=1e-7, err_msg=tid)


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_monte_carlo_probabilities(monte_carlo: dict[str, cs.Result], which: str) -> None:
    res = monte_carlo[which]
    assert res.samples == SAMPLES and res.seed == SEED
    got = {t.id: t.probability for t in res.targets}
    assert sorted(got) == EXPECTED_TARGETS[which]
    for tid, want in PROBABILITIES[which].items():
        assert_allclose(got[tid], want, rtol=RTOL, atol=0, err_msg=tid)
    for name, arr in res.series.items():
        assert np.all(np.isfinite(arr)), name


def test_plan_changes_nothing_before_2025(plain: dict[str, cs.Result]) -> None:
    """The plan overrides growth from 2025 only: base values and 2023-2024 equal the trend's."""
    trend, plan = plain["trend"], plain["plan"]
    assert set(trend.series) == set(plan.series)
    for name, arr in trend.series.items():
        assert_allclose(plan.series[name][..., :3], arr[..., :3], rtol=1e-12, err_msg=name)


def test_shares_stay_in_unit_interval(monte_carlo: dict[str, cs.Result]) -> None:
    for res in monte_carlo.values():
        for name in (
            "tech_conversion_rate",
            "quality_steel_share",
            "cloud_adoption",
            "mfg_va_share",
        ):
            arr = res.series[name]
            assert np.all((arr > 0) & (arr < 1)), name


# --- calibration and history ----------------------------------------------------------------------

# calibration rows that are base values or history of the scenarios, and where they sit
BASE_VALUES: dict[tuple[str, str, int], Callable[[cs.Scenario], Any]] = {
    ("Ezhou", "high-tech enterprises (stock)", 2022): lambda sc: (
        sc.indicators["high_tech_enterprises"].base
    ),
    ("Ezhou", "high-tech enterprises (stock; derived 225 / 1.398)", 2021): lambda sc: (
        sc.region.history["high_tech_enterprises"][2021]
    ),
    ("Ezhou", "high-tech enterprises net additions (derived 225 - 160.94)", 2022): lambda sc: (
        sc.indicators["high_tech_enterprises"].flow.base
    ),
    ("Ezhou", "tech SMEs in national registry", 2022): lambda sc: sc.indicators["tech_smes"].base,
}
# calibration rows used in the reasoning of an assumption; each is checked in a test below
CONTEXT = {
    ("Ezhou", "high-tech enterprises growth", 2022),
    ("Ezhou", "high-tech industry VA share of GDP", 2022),
    ("Ezhou", "Echeng district high-tech enterprises", 2022),
    ("Ezhou", "Echeng district tech-contract turnover (est.)", 2022),
    ("China (context)", "R&D intensity", 2022),
    ("China (context)", "R&D intensity", 2023),
    ("Ezhou", "airport cargo and mail throughput (Q1)", 2024),
    ("Ezhou", "airport cargo and mail throughput (Jan-Aug)", 2024),
    ("Ezhou", "airport cargo and mail throughput (2024 estimate; derived)", 2024),
    ("Ezhou", "tech SMEs in national registry growth (翻番)", 2022),
    ("Hubei (context)", "tech SMEs in national registry", 2022),
    ("Hubei (context)", "tech SMEs in national registry", 2023),
}


def test_every_calibration_row_is_used(
    calibration: dict[tuple[str, str, int], dict[str, str]],
) -> None:
    assert set(calibration) == set(BASE_VALUES) | CONTEXT


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_base_values_match_calibration(
    scenarios: dict[str, cs.Scenario],
    calibration: dict[tuple[str, str, int], dict[str, str]],
    which: str,
) -> None:
    sc = scenarios[which]
    for key, get in BASE_VALUES.items():
        num = get(sc)
        assert not hasattr(num, "dist"), f"{key} is data, not a distribution"
        assert central(num) == float(calibration[key]["value"]), key
        assert num.source, key


def test_derived_rows_rederive(calibration: dict[tuple[str, str, int], dict[str, str]]) -> None:
    stock = _value(calibration, "Ezhou", "high-tech enterprises (stock)", 2022)
    growth = _value(calibration, "Ezhou", "high-tech enterprises growth", 2022) / 100.0
    prev = _value(calibration, "Ezhou", "high-tech enterprises (stock; derived 225 / 1.398)", 2021)
    added = _value(
        calibration, "Ezhou", "high-tech enterprises net additions (derived 225 - 160.94)", 2022
    )
    assert abs(prev - stock / (1.0 + growth)) < 0.005  # rounded to 0.01
    assert_allclose(added, stock - prev, rtol=1e-12)


def test_trend_reproduces_published_history(
    plain: dict[str, cs.Result], calibration: dict[tuple[str, str, int], dict[str, str]]
) -> None:
    """High-tech enterprises are the only Ezhou series with a published history (2022 stock and
    its growth, hence 2021). The trend's stock starts at the published 2022 value, and its 2022
    net addition (the flow the trend carries forward, fading) takes 2021's published-derived stock
    to 2022: back-cast 2021 = stock[2022] - flow[2022] (no exits).

    Error: |160.94 - 225 / 1.398| = 0.0041 firms (2.6e-5 relative), from rounding the derived net
    addition to 0.01 in the scenario; tolerance 1e-4 relative. The implied 2022 growth matches the
    published +39.8% to within 0.01 percentage point.
    """
    stock_2022 = _value(calibration, "Ezhou", "high-tech enterprises (stock)", 2022)
    growth_2022 = _value(calibration, "Ezhou", "high-tech enterprises growth", 2022) / 100.0
    published_2021 = stock_2022 / (1.0 + growth_2022)

    res = plain["trend"]
    stock = res.series["high_tech_enterprises"][0]
    flow = res.series["high_tech_enterprises_flow"][0]
    assert stock[0] == stock_2022
    backcast_2021 = stock[0] - flow[0]
    rel_err = abs(backcast_2021 - published_2021) / published_2021
    assert rel_err < 1e-4, (backcast_2021, published_2021, rel_err)
    assert abs(stock[0] / backcast_2021 - 1.0 - growth_2022) < 1e-4
    # and the stock only grows afterwards (net additions stay positive while they fade)
    assert np.all(np.diff(stock) > 0)
    # the tech-SME stock starts at its published value as well
    assert res.series["tech_smes"][0, 0] == _value(
        calibration, "Ezhou", "tech SMEs in national registry", 2022
    )


def test_context_rows_bound_the_assumptions(
    scenarios: dict[str, cs.Scenario],
    plain: dict[str, cs.Result],
    monte_carlo: dict[str, cs.Result],
    calibration: dict[tuple[str, str, int], dict[str, str]],
) -> None:
    sc = scenarios["trend"]
    # strategic emerging value added stays below the (broader) published high-tech VA share of GDP
    ht_share = _value(calibration, "Ezhou", "high-tech industry VA share of GDP", 2022) / 100.0
    assert plain["trend"].series["sei_va_share"][0, 0] < ht_share
    assert monte_carlo["trend"].series["sei_va_share"][:, 0].max() < ht_share
    # the city's technology contracts: above Echeng district's, and the district scaled by its
    # share of high-tech enterprises (11 x 225 / 55 = 45) lies inside the assumed range
    echeng = _value(calibration, "Ezhou", "Echeng district tech-contract turnover (est.)", 2022)
    echeng_hte = _value(calibration, "Ezhou", "Echeng district high-tech enterprises", 2022)
    hte = _value(calibration, "Ezhou", "high-tech enterprises (stock)", 2022)
    dist = sc.indicators["tech_contract_turnover"].base
    assert echeng < dist.low and dist.low <= echeng * hte / echeng_hte <= dist.high
    # R&D intensity assumed below the national 2.54% (2022); R&D outgrows GDP, as nationally
    # (2.54% -> 2.65% in 2023)
    national_2022 = _value(calibration, "China (context)", "R&D intensity", 2022) / 100.0
    national_2023 = _value(calibration, "China (context)", "R&D intensity", 2023) / 100.0
    assert plain["trend"].series["rd_intensity"][0, 0] < national_2022
    rd_rate = central(sc.region.rd_rest.growth.rates[2023])
    gdp_rate = central(sc.region.gdp.growth.rates[2023])
    assert national_2023 > national_2022 and rd_rate > gdp_rate


# --- command line -----------------------------------------------------------------------------------

runner = CliRunner()


@pytest.mark.parametrize(("which", "code"), [("trend", 1), ("plan", 1)])
def test_cli_check_exits_0_or_1(which: str, code: int) -> None:
    res = runner.invoke(app, ["check", str(PATHS[which]), "--quiet"])
    assert res.exit_code in (0, 1), res.output
    assert res.exit_code == code
    res = runner.invoke(
        app, ["check", str(PATHS[which]), "-n", str(SAMPLES), "-s", str(SEED), "--quiet"]
    )
    assert res.exit_code in (0, 1), res.output


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_cli_validate(which: str) -> None:
    res = runner.invoke(app, ["validate", str(PATHS[which])])
    assert res.exit_code == 0, res.output
    assert "20 targets" in res.output
    res = runner.invoke(app, ["validate", str(PATHS[which]), "--sources"])
    assert res.exit_code == 0, res.output  # every number says where it comes from


def test_cargo_and_tech_smes_follow_the_published_2024_ramp_and_2022_doubling(
    scenarios: dict[str, cs.Scenario],
    plain: dict[str, cs.Result],
    calibration: dict[tuple[str, str, int], dict[str, str]],
) -> None:
    # Cargo: the 2024 estimate re-derives from the partial-year rows, and the fitted S-curve
    # (capacity 176, rate 1.43 from 8 in 2022) passes within 10% of it in 2024.
    q1 = _value(calibration, "Ezhou", "airport cargo and mail throughput (Q1)", 2024)
    jan_aug = _value(calibration, "Ezhou", "airport cargo and mail throughput (Jan-Aug)", 2024)
    est = _value(
        calibration, "Ezhou", "airport cargo and mail throughput (2024 estimate; derived)", 2024
    )
    assert_allclose(jan_aug + 4 * (jan_aug - q1) / 5, 77.92, rtol=1e-9)
    assert 75 <= est <= 85
    res = plain["trend"]
    cargo_2024 = float(res.series["airport_cargo"][0, 2])
    assert_allclose(cargo_2024, 176 / (1 + (176 / 8 - 1) * np.exp(-1.43 * 2)), rtol=1e-9)
    assert abs(cargo_2024 / est - 1) < 0.10
    # Tech SMEs: Ezhou at least doubled in 2022 (so 280.5 added), and the registry's additions
    # grow at Hubei's 2023 rate: 24,005 / 1.6996 = 14,124 in 2021, so additions 9,881 -> 11,298.
    hubei_22 = _value(calibration, "Hubei (context)", "tech SMEs in national registry", 2022)
    hubei_23 = _value(calibration, "Hubei (context)", "tech SMEs in national registry", 2023)
    added_22 = hubei_22 - hubei_22 / 1.6996
    assert_allclose((hubei_23 - hubei_22) / added_22 - 1, 0.143, atol=5e-4)
    smes = scenarios["trend"].indicators["tech_smes"]
    assert central(smes.flow.base) == 561 / 2
    stock = res.series["tech_smes"][0]
    assert_allclose(stock[-1], 561 + 280.5 * sum(1.143**k for k in range(1, 8)), rtol=1e-9)


@pytest.mark.parametrize("which", ["trend", "plan"])
def test_v2_targets_recounted(monte_carlo: dict[str, cs.Result], which: str) -> None:
    """The plan-language-v2 targets, re-evaluated by hand from the sampled series: 新增 counted
    from the plan year (change_since 2024), 左右 as a band in every year 2025-2029, 超过 as a
    strict bound, 未来五年 as the best year of 2025-2029 (reached_by)."""
    res = monte_carlo[which]
    y = {int(v): i for i, v in enumerate(res.years)}
    s = res.series
    window = slice(y[2025], y[2029] + 1)
    added = s["new_species_added"][:, y[2029]] - s["new_species_added"][:, y[2024]]
    teams = s["talent_teams"][:, window]
    urgent = s["urgent_talents"][:, window]
    expected = {
        "new_species": np.mean(added >= 20 - 1e-8),
        "talent_teams": np.mean(np.all((teams >= 8) & (teams <= 12), axis=1)),
        "urgent_talents": np.mean(np.all((urgent >= 800) & (urgent <= 1200), axis=1)),
        "quality_steel_share": np.mean(s["quality_steel_share"][:, y[2029]] > 0.70),
        "cloud_adoption": np.mean(s["cloud_adoption"][:, y[2029]] > 0.75),
        "imports_exports": np.mean(s["imports_exports"][:, window].max(axis=1) >= 100),
    }
    for tid, p in expected.items():
        assert res.target(tid).probability == pytest.approx(float(p), abs=1e-12), tid
    if which == "trend":
        # the trend adds at most 4 a year (triangular 1-4, no growth): 5 x 4 = 20 only at the edge
        assert added.max() < 20
