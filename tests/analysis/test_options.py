"""The calibration mapping file: names, breaks, fit overrides, extra units, and its errors."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

from clustersim.analysis.calibration import calibrate
from clustersim.analysis.observed import DataError
from clustersim.analysis.options import load_mapping

from .conftest import series_rows


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


def test_extra_units_from_a_mapping_file(tiny, csv_writer, tmp_path):
    data = csv_writer(series_rows("patents", [2018, 2019, 2020], [10, 11, 12.1], unit="bales"))
    with pytest.raises(DataError, match="unknown unit 'bales'"):
        calibrate(data, tiny)
    m = tmp_path / "units.yaml"
    m.write_text("units:\n  bales: [count, 1]\n", encoding="utf-8")
    (f,) = calibrate(data, tiny, options=load_mapping(m)).fits
    assert_allclose(f.fit.rate, 0.1, rtol=1e-12)
