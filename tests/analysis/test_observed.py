"""Loading observed data: validation messages (file and line), units, annualisation."""

from __future__ import annotations

from pathlib import Path

import pytest
from numpy.testing import assert_allclose

from clustersim.analysis.observed import DataError, annualise, load_observed, parse_unit

from .conftest import ROOT


def _write(tmp_path: Path, text: str, name: str = "obs.csv") -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


HEAD = "region,cluster,indicator,year,value,unit,source\n"


def test_loads_rows_with_optional_columns(tmp_path):
    p = _write(
        tmp_path,
        "region,cluster,indicator,year,value,unit,source,months,seasonal_share,series,break,note\n"
        "Tiny,,gdp,2021,100.5,亿元,a,,,,,\n"
        "Tiny,alpha,output,2022,30,万元,b,7,0.55,output[alpha],yes,Jan-Jul\n",
    )
    d = load_observed(p)
    assert len(d.rows) == 2 and len(d.sha256) == 64
    a, b = d.rows
    assert (a.line, a.label, a.year, a.value, a.unit.name, a.months) == (
        2,
        "gdp",
        2021,
        100.5,
        "亿元",
        None,
    )
    assert (b.line, b.label, b.months, b.seasonal_share, b.series, b.is_break) == (
        3,
        "output[alpha]",
        7,
        0.55,
        "output[alpha]",
        True,
    )
    assert b.unit.factor == 1e-4


def test_every_problem_is_reported_with_file_and_line(tmp_path):
    p = _write(
        tmp_path,
        HEAD
        + "Tiny,,gdp,2020,100,亿元,ok\n"
        + "Tiny,,gdp,2021,n/a,亿元,src\n"
        + "Tiny,,gdp,20x1,3,亿元,src\n"
        + "Tiny,,gdp,2022,3,bn yuan,src\n"
        + "Tiny,,gdp,2020,101,亿元,again\n"
        + "Tiny,,gdp,2023,3,亿元,\n"
        + "Tiny,,gdp,2024,inf,亿元,src\n",
        "bad.csv",
    )
    with pytest.raises(DataError) as info:
        load_observed(p)
    msgs = info.value.problems
    name = str(p)
    assert f"{name}:3: value: 'n/a' is not a number" in msgs
    assert any(m.startswith(f"{name}:4: year: '20x1' is not a year") for m in msgs)
    assert any(m.startswith(f"{name}:5: unit: unknown unit 'bn yuan'") for m in msgs)
    assert f"{name}:6: duplicate observation Tiny/gdp 2020 (first at line 2)" in msgs
    assert any(m.startswith(f"{name}:7: source: empty") for m in msgs)
    assert f"{name}:8: value: 'inf' is not a finite number" in msgs
    assert len(msgs) == 6


def test_unknown_unit_suggests_the_nearest(tmp_path):
    p = _write(tmp_path, HEAD + "Tiny,,gdp,2020,1,precent,src\n")
    with pytest.raises(DataError, match="did you mean 'percent'"):
        load_observed(p)


def test_header_problems(tmp_path):
    p = _write(tmp_path, "region,cluster,indicator,yeer,value,unit\nTiny,,gdp,2020,1,亿元\n")
    with pytest.raises(DataError) as info:
        load_observed(p)
    text = str(info.value)
    assert f"{p}:1: yeer: unknown column; did you mean 'year'?" in text
    assert f"{p}:1: missing column(s) year, source" in text


def test_bad_months_share_and_break(tmp_path):
    p = _write(
        tmp_path,
        "region,cluster,indicator,year,value,unit,source,months,seasonal_share,break\n"
        "Tiny,,gdp,2020,1,亿元,s,13,,\n"
        "Tiny,,gdp,2021,1,亿元,s,6,1.5,\n"
        "Tiny,,gdp,2022,1,亿元,s,,0.5,\n"
        "Tiny,,gdp,2023,1,亿元,s,,,maybe\n",
    )
    with pytest.raises(DataError) as info:
        load_observed(p)
    text = str(info.value)
    assert f"{p}:2: months: '13' is not a month count" in text
    assert f"{p}:3: seasonal_share: '1.5' is not a share of the year" in text
    assert f"{p}:4: seasonal_share: given for a full-year value" in text
    assert f"{p}:5: break: 'maybe' is not yes/no" in text


def test_missing_file_and_parquet(tmp_path):
    with pytest.raises(DataError, match="file not found"):
        load_observed(tmp_path / "nope.csv")
    with pytest.raises(DataError, match="only CSV"):
        load_observed(tmp_path / "obs.parquet")


@pytest.mark.parametrize(
    ("text", "name", "category", "factor"),
    [
        ("亿元", "亿元", "money", 1.0),
        ("亿元 (lower bound: >5000)", "亿元", "money", 1.0),
        ("万元", "万元", "money", 1e-4),
        ("% of GDP", "%", "share", 0.01),
        ("%/yr", "%/yr", "rate", 0.01),
        ("fraction of above-scale industrial VA (Jan-Nov)", "fraction", "share", 1.0),
        ("count (valid certificates)", "count", "count", 1.0),
        ("件/万人", "件/万人", "per_capita", 1.0),
        ("Percentage points", "Percentage points", "rate", 0.01),
    ],
)
def test_parse_unit(text, name, category, factor):
    u = parse_unit(text)
    assert u is not None
    assert (u.name, u.category, u.factor) == (name, category, factor)


def test_parse_unit_unknown():
    assert parse_unit("bushels") is None


@pytest.mark.parametrize(
    "region", ["ezhou", "jiangxi", "shenzhen", "zhenjiang", "jiangxi-electronics"]
)
def test_the_shipped_calibration_files_load(region):
    d = load_observed(ROOT / "calibration" / f"{region}.csv")
    assert d.rows


# --- annualisation (hand-made case) ---------------------------------------------------------


def _rows(tmp_path: Path, body: str):
    p = _write(
        tmp_path,
        "region,cluster,indicator,year,value,unit,source,months,seasonal_share\n" + body,
    )
    return list(load_observed(p).rows)


def test_annualise_with_the_share_observed_in_earlier_years(tmp_path):
    # Jan-Jun held 40/100 = 0.4 of 2021 and 45/110 of 2022; 2023 Jan-Jun is 50
    rows = _rows(
        tmp_path,
        "T,,gdp,2021,100,亿元,s,,\n"
        "T,,gdp,2021,40,亿元,s,6,\n"
        "T,,gdp,2022,110,亿元,s,,\n"
        "T,,gdp,2022,45,亿元,s,6,\n"
        "T,,gdp,2023,50,亿元,s,6,\n",
    )
    out = annualise(rows)
    assert [v.year for v in out] == [2021, 2022, 2023]
    assert [v.value for v in out[:2]] == [100.0, 110.0]  # a full year wins over its partial
    share = (40 / 100 + 45 / 110) / 2
    assert_allclose(out[2].value, 50 / share, rtol=1e-12)  # 123.6...
    assert "share 0.4045 observed for the same months in 2021, 2022" in out[2].method
    assert out[2].lines == (6, 3, 2, 5, 4)


def test_annualise_with_an_explicit_seasonal_share(tmp_path):
    rows = _rows(
        tmp_path,
        "T,,gdp,2021,100,亿元,s,,\nT,,gdp,2021,40,亿元,s,6,\nT,,gdp,2023,50,亿元,s,6,0.45\n",
    )
    out = annualise(rows)
    assert_allclose(out[-1].value, 50 / 0.45, rtol=1e-12)  # the explicit share wins
    assert "seasonal share 0.45" in out[-1].method


def test_annualise_pro_rata_without_a_share(tmp_path):
    rows = _rows(tmp_path, "T,,gdp,2023,2226.9,亿元,s,7,\n")
    (v,) = annualise(rows, scale=2.0)
    assert_allclose(v.value, 2226.9 * 12 / 7 * 2.0, rtol=1e-12)
    assert "pro rata" in v.method


def test_a_share_is_not_annualised(tmp_path):
    rows = _rows(tmp_path, "T,,va_ratio,2023,23.8,%,s,11,\n")
    (v,) = annualise(rows, scale=0.01, flow=False)
    assert_allclose(v.value, 0.238)
    assert "not annualised" in v.method
