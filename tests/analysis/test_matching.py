"""Matching observed rows to scenario series: names, the series column, regions, units."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from clustersim.analysis.calibration import calibrate
from clustersim.analysis.observed import DataError
from clustersim.analysis.options import Options

from .conftest import series_rows


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
