"""The knobs: which numbers of a scenario the page may move, their ranges, reading typed
values and moving a distribution's central value while keeping its spread."""

from __future__ import annotations

import math

import pytest
from scipy.stats import norm
from tests.serve.common import EXAMPLE, GDP

from clustersim.scenario.loader import load_scenario
from clustersim.serve.knobs import RATE_WINDOW, KnobError, apply, knobs_of, parse_values


@pytest.fixture(scope="module")
def knobs():
    return {k.path: k for k in knobs_of(load_scenario(EXAMPLE))}


def test_every_uncertain_number_and_fixed_growth_number_is_a_knob(knobs) -> None:
    # example.yaml: gdp growth ~ normal(5.5%, 1%); industrial output follows a path of rates;
    # new materials' output grows at a triangular rate; population at a fixed 0.2%
    assert knobs[GDP].uncertain and knobs[GDP].dist == "normal"
    assert knobs["region.industrial_output.growth.rates.2024"].value == -0.01
    assert not knobs["region.population.growth.rate"].uncertain
    assert knobs["clusters.new_materials.output.growth.rate"].dist == "triangular"
    # years and counts of settings are not knobs; bases without a distribution are data
    assert not any(p.endswith(("year", "from_year", "to_year")) for p in knobs)
    assert "region.gdp.base" not in knobs


def test_ranges_come_from_the_scenario(knobs) -> None:
    gdp = knobs[GDP]
    half = norm.ppf(0.995) * 0.01  # a normal has no ends: its 0.5% and 99.5% quantiles
    assert gdp.value == pytest.approx(0.055)
    assert gdp.lo == pytest.approx(0.055 - half, rel=1e-9)
    assert gdp.hi == pytest.approx(0.055 + half, rel=1e-9)
    tri = knobs["clusters.new_materials.output.growth.rate"]  # triangular: its own ends
    assert (tri.lo, tri.hi) == (pytest.approx(0.03), pytest.approx(0.12))
    pop = knobs["region.population.growth.rate"]  # a fixed rate: a window around it
    assert (pop.lo, pop.hi) == (
        pytest.approx(0.002 - RATE_WINDOW),
        pytest.approx(0.002 + RATE_WINDOW),
    )
    assert gdp.label.en == "GDP · growth rate" and gdp.label.zh == "地区生产总值 · 增速"


def test_typed_values_are_read_as_the_page_shows_them(knobs) -> None:
    assert parse_values(knobs, {GDP: "5.8%"}) == {GDP: pytest.approx(0.058)}
    assert parse_values(knobs, {GDP: "0.058"}) == {GDP: pytest.approx(0.058)}
    assert parse_values(knobs, {GDP: 0.05}) == {GDP: 0.05}
    # a Chinese input method's full-width digits and percent sign
    assert parse_values(knobs, {GDP: "５.８％"}) == {GDP: pytest.approx(0.058)}


@pytest.mark.parametrize(
    ("raw", "en", "zh"),
    [
        ("abc", "'abc' is not a number", "“abc”不是数字"),
        ("", "'' is not a number", "不是数字"),
        ("nan", "is not a number", "不是数字"),
        ("20%", "20% is out of range", "超出允许范围"),
        (-5, "-5 is out of range", "超出允许范围"),
    ],
)
def test_a_bad_value_names_the_field_and_what_is_allowed(knobs, raw, en, zh) -> None:
    with pytest.raises(KnobError) as info:
        parse_values(knobs, {GDP: raw})
    msg = info.value.problems[GDP]
    assert msg.en.startswith("GDP · growth rate: ") and en in msg.en
    assert "(allowed: 2.92% to 8.08%; write 5.8% or 0.058)" in msg.en
    assert msg.zh.startswith("地区生产总值 · 增速：") and zh in msg.zh
    assert "允许范围：2.92% 至 8.08%" in msg.zh


def test_an_unknown_path_is_refused(knobs) -> None:
    with pytest.raises(KnobError) as info:
        parse_values(knobs, {"region.gdp.growth.rte": 0.05})
    assert info.value.problems["region.gdp.growth.rte"].en == (
        "unknown assumption region.gdp.growth.rte"
    )


def test_moving_a_distribution_keeps_its_spread(knobs) -> None:
    sc = load_scenario(EXAMPLE)
    moved = apply(sc, knobs, {GDP: 0.045, "clusters.new_materials.output.growth.rate": 0.07})
    g = moved.region.gdp.growth.rate
    assert (g.dist, g.mean, g.sd) == ("normal", pytest.approx(0.045), 0.01)
    t = moved.clusters["new_materials"].output.growth.rate  # low 3%, mode 8%, high 12%
    assert (t.low, t.mode, t.high) == (
        pytest.approx(0.02),
        pytest.approx(0.07),
        pytest.approx(0.11),
    )
    # the loaded scenario is untouched: a change is a copy
    assert sc.region.gdp.growth.rate.mean == 0.055


def test_a_lognormal_is_scaled_so_it_stays_a_lognormal() -> None:
    sc = load_scenario(EXAMPLE)
    knobs = {k.path: k for k in knobs_of(sc)}
    path = "clusters.life_health.output.growth.rate"  # lognormal, median 9%
    k = knobs[path]
    assert k.dist == "lognormal" and k.lo > 0
    moved = apply(sc, knobs, {path: 0.06})
    d = moved.clusters["life_health"].output.growth.rate
    before = sc.clusters["life_health"].output.growth.rate
    assert d.median == pytest.approx(0.06) and d.sigma == before.sigma
    if before.high is not None:
        assert d.high == pytest.approx(before.high * 0.06 / before.median)


def test_a_fixed_number_is_replaced(knobs) -> None:
    sc = load_scenario(EXAMPLE)
    moved = apply(sc, knobs, {"region.population.growth.rate": 0.01})
    assert moved.region.population.growth.rate == 0.01
    assert math.isclose(sc.region.population.growth.rate, 0.002)
