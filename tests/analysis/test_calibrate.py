"""``calibrate``: series mapping, fit choice, fragment contents, errors.

Synthetic histories are generated from known parameters; expected estimates come from an
independent least-squares computation (``numpy.polyfit`` on the logs) or from the exact
generating values.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.calibrate import (
    Options,
    calibrate,
    fragment_text,
    load_mapping,
    scenario_series,
    write_fragment,
)
from clustersim.kinds.growth import Constant, Elasticity, Logistic
from clustersim.observed import DataError
from clustersim.scenario.numbers import Normal

from .conftest import series_rows


def _loglin_rate(years, values):
    b = np.polyfit(np.asarray(years, float), np.log(values), 1)[0]
    return math.expm1(b)


@pytest.fixture
def history():
    """Synthetic histories of the tiny scenario's series, with their true parameters."""
    rng = np.random.default_rng(42)
    h = {}
    t = np.arange(2010, 2021)
    h["gdp"] = (t, 60 * 1.06 ** (t - 2010) * np.exp(rng.normal(0, 0.01, t.size)))
    t = np.arange(2012, 2021)
    out = 30 * 1.10 ** (t - 2012) * np.exp(rng.normal(0, 0.02, t.size))
    h["output[alpha]"] = (t, out)
    rd = [1.0]
    for a, b in itertools.pairwise(out):
        rd.append(rd[-1] * (1 + 1.4 * (b / a - 1)))  # R&D grows 1.4 x output, exactly
    h["rd[alpha]"] = (t, np.array(rd))
    t = np.arange(2005, 2021)
    logistic = 500 / (1 + np.exp(-0.25 * (t - 2021)))
    h["output[beta]"] = (t, logistic * np.exp(rng.normal(0, 0.01, t.size)))
    t = np.arange(2016, 2021)
    h["patents"] = (t, 30 * 1.08 ** (t - 2016))
    t = np.arange(2017, 2021)
    h["firms_stock_flow"] = (t, 8 * 1.05 ** (t - 2017))
    return h


def _rows(history):
    rows = []
    for name, (t, v) in history.items():
        if "[" in name:
            ind, cluster = name[:-1].split("[")
            rows += series_rows(ind, t, v, cluster=cluster)
        else:
            unit = "件" if name == "patents" else "亿元"
            rows += series_rows(name, t, v, unit=unit)
    return rows


def test_every_series_is_fitted_with_the_scenario_s_kind(tiny, csv_writer, history):
    data = csv_writer(_rows(history))
    cal = calibrate(data, tiny)
    kinds = {f.spec.name: f.fit.kind for f in cal.fits}
    assert kinds == {
        "gdp": "compound",
        "patents": "compound",
        "firms_stock_flow": "compound",
        "output[alpha]": "compound",
        "rd[alpha]": "elasticity",
        "output[beta]": "logistic",
    }
    fits = {f.spec.name: f for f in cal.fits}
    for name in ("gdp", "output[alpha]"):
        assert_allclose(fits[name].fit.rate, _loglin_rate(*history[name]), rtol=1e-10)
    assert_allclose(fits["patents"].fit.rate, 0.08, rtol=1e-12)
    assert_allclose(fits["firms_stock_flow"].fit.rate, 0.05, rtol=1e-12)
    assert_allclose(fits["rd[alpha]"].fit.elasticity, 1.4, rtol=1e-10)
    beta = fits["output[beta]"].fit
    assert abs(beta.capacity - 500) < 3 * beta.se_capacity
    assert abs(beta.rate - 0.25) < 3 * beta.se_rate
    assert fits["gdp"].lines == list(range(2, 13))  # the rows used, by file line


def test_the_fragment_extends_the_scenario_with_the_fitted_values(
    tiny, csv_writer, history, tmp_path
):
    data = csv_writer(_rows(history))
    cal = calibrate(data, tiny)
    out = write_fragment(cal, tmp_path / "tiny-calibrated.yaml")
    text = out.read_text(encoding="utf-8")
    assert text.startswith("# Growth of ")
    assert f"# data: {data} (sha256 {cal.data.sha256[:16]}...)" in text
    assert "extends: tiny.yaml" in text  # relative to the fragment
    sc = cs.load_scenario(out)
    fits = {f.spec.name: f.fit for f in cal.fits}

    g = sc.region.gdp.growth
    assert isinstance(g, Constant) and isinstance(g.rate, Normal)
    assert_allclose(g.rate.mean, fits["gdp"].rate, rtol=1e-5)
    assert_allclose(g.rate.sd, fits["gdp"].se, rtol=1e-3)
    # the parent's low bound and sources do not survive the merge
    assert g.rate.low is None and g.rate.source is None
    assert g.source.startswith("calibrate: log-linear least squares of ln(gdp) on year")
    assert "lines 2-12" in g.source

    beta = sc.clusters["beta"].output.growth
    assert isinstance(beta, Logistic)
    assert_allclose(beta.capacity.mean, fits["output[beta]"].capacity, rtol=1e-5)
    rd = sc.clusters["alpha"].rd.growth
    assert isinstance(rd, Elasticity) and rd.to == "output"
    assert_allclose(rd.elasticity, 1.4, rtol=1e-5)  # exact fit: no s.e., a plain number
    assert sc.region.industrial_output.growth.kind == "path"  # no data: unchanged
    assert sc.id == "tiny_calibrated" and sc.targets  # everything else is the parent's

    res = cs.run(sc, required=False)  # the central run compounds the fitted rate
    assert_allclose(res.series["gdp"][0, -1], 100 * (1 + g.rate.mean) ** 5, rtol=1e-12)


def test_fragment_is_written_atomically_and_validated(tiny, csv_writer, history, tmp_path):
    cal = calibrate(csv_writer(_rows(history)), tiny)
    out = tmp_path / "frag.yaml"
    out.write_text("old", encoding="utf-8")
    write_fragment(cal, out)
    assert out.read_text(encoding="utf-8") != "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frag.yaml", "obs.csv", "tiny.yaml"]
    with pytest.raises(cs.ClusterSimError, match=r"name it \.yaml"):
        write_fragment(cal, tmp_path / "frag.txt")
    assert not (tmp_path / "frag.txt").exists()


def test_a_jump_is_flagged_and_a_break_starts_the_fit(tiny, csv_writer):
    t = np.arange(2012, 2021)
    v = 30 * 1.05 ** (t - 2012) * np.where(t >= 2017, 1.6, 1.0)  # scope widened in 2017
    rows = series_rows("patents", t, v, unit="件")
    (f,) = calibrate(csv_writer(rows), tiny).fits
    assert any(flag.startswith("jump 2016->2017") for flag in f.flags)
    assert_allclose(f.fit.rate, _loglin_rate(t, v), rtol=1e-10)  # poisoned, but said so

    marked = [dict(r, **({"break": "yes"} if r["year"] == 2017 else {})) for r in rows]
    (f,) = calibrate(csv_writer(marked, "marked.csv", extra=("break",)), tiny).fits
    assert f.break_year == 2017 and [v.year for v in f.used] == [2017, 2018, 2019, 2020]
    assert_allclose(f.fit.rate, 0.05, rtol=1e-12)
    assert [v.year for v in f.left_out] == list(range(2012, 2017))
    assert not any(flag.startswith("jump") for flag in f.flags)

    (f2,) = calibrate(csv_writer(rows), tiny, options=Options(breaks={"patents": 2017})).fits
    assert_allclose(f2.fit.rate, 0.05, rtol=1e-12)
    assert f2.break_from == "--break"


def test_partial_years_are_annualised_and_recorded(tiny, csv_writer, tmp_path):
    rows = series_rows("patents", [2017, 2018, 2019], [100, 110, 121], unit="件")
    rows.append({"indicator": "patents", "year": 2020, "value": "66.55", "unit": "件", "months": 6})
    cal = calibrate(csv_writer(rows, extra=("months",)), tiny)
    (f,) = cal.fits
    assert_allclose(f.used[-1].value, 133.1, rtol=1e-12)  # 66.55 x 12/6
    assert_allclose(f.fit.rate, 0.10, rtol=1e-12)
    text = fragment_text(cal, tmp_path / "f.yaml")
    assert (
        "2020 annualised: Jan-Jun x 12/6 (pro rata: no seasonal share given or observed) = 133.1"
        in text
    )


def test_units_are_converted_and_checked(tiny, csv_writer):
    rows = series_rows("gdp", [2018, 2019, 2020], [900_000, 950_000, 1_000_000], unit="万元")
    (f,) = calibrate(csv_writer(rows), tiny).fits
    assert_allclose([v.value for v in f.used], [90, 95, 100])
    with pytest.raises(
        DataError, match=r"obs2\.csv:2: unit: '%' does not fit 'gdp', which is money"
    ):
        calibrate(csv_writer(series_rows("gdp", [2019, 2020], [5, 6], unit="%"), "obs2.csv"), tiny)
    with pytest.raises(DataError, match="'%/yr' is a growth rate or change, not a level"):
        calibrate(csv_writer(series_rows("gdp", [2019, 2020], [5, 6], unit="%/yr"), "o3.csv"), tiny)


def test_a_series_the_scenario_does_not_have_is_an_error(tiny, csv_writer):
    rows = series_rows("gdp", [2019, 2020], [95, 100])
    rows += series_rows("gdpp", [2020], [1])
    rows += series_rows("output", [2020], [1], cluster="gamma")
    rows += series_rows("value_added", [2020], [1], cluster="alpha")
    rows += series_rows("firms_stock", [2020], [1], unit="家")
    data = csv_writer(rows)
    with pytest.raises(DataError) as info:
        calibrate(data, tiny)
    msgs = info.value.problems
    assert (
        f"{data}:4: indicator: 'gdpp' is not a series of the scenario; did you mean 'gdp'?" in msgs
    )
    assert f"{data}:5: cluster: 'gamma' is not a cluster of the scenario" in msgs
    assert any(m.startswith(f"{data}:6: indicator: 'value_added' is derived") for m in msgs)
    assert any(
        m.startswith(f"{data}:7: indicator: 'firms_stock' is a stock fed by a flow") for m in msgs
    )
    assert msgs[-1].startswith(f"{data}: 4 row(s) name no series of the scenario")
    # choosing series ignores the others
    cal = calibrate(data, tiny, options=Options(series=("gdp",)))
    assert [f.spec.name for f in cal.fits] == ["gdp"]
    assert "4 rows of 4 other series ignored" in cal.notes[0]
    with pytest.raises(
        DataError,
        match=r"--series gpd: 'gpd' is not a series of the scenario; did you mean 'gdp'\?",
    ):
        calibrate(data, tiny, options=Options(series=("gpd",)))
    with pytest.raises(DataError, match="--series patents: no observations of it"):
        calibrate(data, tiny, options=Options(series=("patents",)))


def test_an_explicit_series_column_maps_and_is_checked(tiny, csv_writer):
    rows = series_rows("GDP (current prices)", [2019, 2020], [95, 100], series="gdp")
    rows += series_rows("noise", [2020], [1], series="-")
    (f,) = calibrate(csv_writer(rows, extra=("series",)), tiny).fits
    assert f.spec.name == "gdp"
    bad = csv_writer(
        series_rows("x", [2020], [1], series="output[gama]"), "bad.csv", extra=("series",)
    )
    with pytest.raises(DataError, match=r"bad\.csv:2: series: 'gama' is not a cluster"):
        calibrate(bad, tiny)


def test_an_elasticity_needs_the_followed_series(tiny, csv_writer):
    data = csv_writer(series_rows("rd", [2018, 2019, 2020], [1, 1.1, 1.2], cluster="alpha"))
    with pytest.raises(
        DataError, match=r"needs observations of 'output\[alpha\]'.*--fit rd\[alpha\]=compound"
    ):
        calibrate(data, tiny)
    (f,) = calibrate(data, tiny, options=Options(fits={"rd[alpha]": "compound"})).fits
    assert f.fit.kind == "compound"


def test_region_is_chosen_by_the_scenario_name(tiny, csv_writer):
    rows = series_rows("gdp", [2019, 2020], [95, 100])
    rows += series_rows("gdp", [2019, 2020], [1, 2], region="Elsewhere (context)")
    cal = calibrate(csv_writer(rows), tiny)
    assert cal.region == "Tiny" and cal.fits[0].used[-1].value == 100
    two = series_rows("gdp", [2019], [1], region="A") + series_rows("gdp", [2019], [1], region="B")
    with pytest.raises(DataError, match=r"rows of several regions .*choose one with --region"):
        calibrate(csv_writer(two, "two.csv"), tiny)
    cal = calibrate(
        csv_writer(two + series_rows("gdp", [2020], [2], region="B"), "two.csv"),
        tiny,
        options=Options(region="B"),
    )
    assert cal.region == "B"


def test_base_year_mismatch_is_flagged(tiny, csv_writer):
    (f,) = calibrate(csv_writer(series_rows("gdp", [2019, 2020], [90, 95])), tiny).fits
    assert "base 100 vs observed 95 in 2020" in f.flags


def test_mapping_file(tiny, csv_writer, tmp_path):
    rows = series_rows("GDP total", [2014, 2015, 2016, 2017, 2018], [10, 11, 12.1, 20, 22])
    rows += series_rows("junk", [2018], [1])
    m = tmp_path / "map.yaml"
    m.write_text("series:\n  GDP total: gdp\n  junk: ~\nbreaks:\n  gdp: 2017\n", encoding="utf-8")
    (f,) = calibrate(csv_writer(rows), tiny, options=load_mapping(m)).fits
    assert [v.year for v in f.used] == [2017, 2018] and f.break_from == str(m)
    assert_allclose(f.fit.rate, 0.1, rtol=1e-12)
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "series:\n  a: gdp\nfit:\n  gdp: compund\nbreak:\n  gdp: 2017\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as info:
        load_mapping(bad)
    text = str(info.value)
    assert f"{bad}:4: fit.gdp: unknown fit 'compund'; did you mean 'compound'?" in text
    assert f"{bad}:5: break: unknown section; did you mean 'breaks'?" in text


def test_scenario_series_catalogue(tiny):
    known = scenario_series(cs.load_scenario(tiny))
    assert list(known) == [
        "gdp",
        "industrial_output",
        "patents",
        "firms_stock_flow",
        "output[alpha]",
        "va_ratio[alpha]",
        "rd[alpha]",
        "output[beta]",
    ]
    assert known["rd[alpha]"].follows == "output[alpha]"
    assert known["va_ratio[alpha]"].category == "share" and not known["va_ratio[alpha]"].flow


def test_extra_units_from_a_mapping_file(tiny, csv_writer, tmp_path):
    data = csv_writer(series_rows("patents", [2018, 2019, 2020], [10, 11, 12.1], unit="bales"))
    with pytest.raises(DataError, match="unknown unit 'bales'"):
        calibrate(data, tiny)
    m = tmp_path / "units.yaml"
    m.write_text("units:\n  bales: [count, 1]\n", encoding="utf-8")
    (f,) = calibrate(data, tiny, options=load_mapping(m)).fits
    assert_allclose(f.fit.rate, 0.1, rtol=1e-12)


@pytest.mark.parametrize(
    "value",
    [
        "calibrate: 'quoted' and \"double\" # not a comment: 江西 1.08万亿",
        "yes",
        "~",
        "-5",
        "../up/there.yaml",
        1e-05,
        -2.5e20,
        0.1075,
        2025,
        None,
    ],
)
def test_the_fragment_writer_round_trips_through_yaml(value):
    import yaml

    from clustersim.calibrate import _emit

    doc = {"a": {"b": value, "c": [1, "x y"]}, "d": {}}
    assert yaml.safe_load("\n".join(_emit(doc))) == doc
