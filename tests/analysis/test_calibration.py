"""``calibrate``: the fit chosen for each series, flags, breaks, annualisation, base mismatch.

Synthetic histories are generated from known parameters; expected estimates come from an
independent least-squares computation (``numpy.polyfit`` on the logs) or from the exact
generating values.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustersim.analysis.calibration import calibrate
from clustersim.analysis.fragments import fragment_text
from clustersim.analysis.observed import DataError
from clustersim.analysis.options import Options

from .conftest import history_rows, series_rows


def _loglin_rate(years, values):
    b = np.polyfit(np.asarray(years, float), np.log(values), 1)[0]
    return math.expm1(b)


def test_every_series_is_fitted_with_the_scenario_s_kind(tiny, csv_writer, history):
    data = csv_writer(history_rows(history))
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


def test_calibrate_fits_after_the_scenario_s_break(tiny, csv_writer) -> None:
    text = tiny.read_text(encoding="utf-8").replace(
        "  gdp:\n    base: 100\n", "  gdp:\n    base: 100\n    breaks: [2017]\n"
    )
    tiny.write_text(text, encoding="utf-8")
    t = np.arange(2012, 2021)
    v = 60 * 1.05 ** (t - 2012) * np.where(t >= 2017, 1.6, 1.0)  # scope widened in 2017
    rows = [
        {"indicator": "gdp", "year": int(y), "value": repr(float(x))}
        for y, x in zip(t, v, strict=True)
    ]
    (f,) = calibrate(csv_writer(rows), tiny).fits
    assert f.break_year == 2017
    assert [o.year for o in f.used] == [2017, 2018, 2019, 2020]
    assert_allclose(f.fit.rate, 0.05, rtol=1e-12)
    assert f.break_from == f"{tiny}:9"  # the `breaks:` line of the tiny scenario


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


def test_an_elasticity_needs_the_followed_series(tiny, csv_writer):
    data = csv_writer(series_rows("rd", [2018, 2019, 2020], [1, 1.1, 1.2], cluster="alpha"))
    with pytest.raises(
        DataError, match=r"needs observations of 'output\[alpha\]'.*--fit rd\[alpha\]=compound"
    ):
        calibrate(data, tiny)
    (f,) = calibrate(data, tiny, options=Options(fits={"rd[alpha]": "compound"})).fits
    assert f.fit.kind == "compound"


def test_base_year_mismatch_is_flagged(tiny, csv_writer):
    (f,) = calibrate(csv_writer(series_rows("gdp", [2019, 2020], [90, 95])), tiny).fits
    assert "base 100 vs observed 95 in 2020" in f.flags
