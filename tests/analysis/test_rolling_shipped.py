"""Issue 15's must-hold on the shipped calibration data, and ``backtest --rolling`` in process.

The pooled numbers are the README's table (``clustersim backtest --rolling calibration/*.csv
--markdown`` regenerates it). One forecast is recomputed here by hand from the CSV values.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy.stats import t as student
from typer.testing import CliRunner

from clustersim.analysis.observed import load_observed
from clustersim.analysis.rolling import rolling_backtest
from clustersim.cli import app

from .conftest import ROOT

runner = CliRunner()
FILES = sorted((ROOT / "calibration").glob("*.csv"))


@pytest.fixture(scope="module")
def shipped():
    return rolling_backtest([load_observed(p) for p in FILES])


def test_pooled_must_hold(shipped):
    p = shipped.pooled
    assert p.observations >= 30  # distinct held-back (series, year) observations
    regions = {s.series.region for s in shipped.series}
    assert len(regions) >= 4 and len(shipped.series) >= 10
    assert 0.70 <= p.coverage[80] <= 0.90, p.coverage
    assert p.mape["calibrated"] <= p.mape["naive"], p.mape
    assert p.ratio("naive") <= 1.0


def test_pooled_numbers_are_the_readme_table(shipped):
    p = shipped.pooled
    assert (p.n, p.observations) == (68, 34)
    assert_allclose(p.coverage[80], 50 / 68)
    assert_allclose(p.mape["calibrated"], 0.04399196, rtol=1e-6)
    assert_allclose(p.mape["naive"], 0.06254393, rtol=1e-6)
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    pooled_row = shipped.markdown().splitlines()[-1]
    assert pooled_row in readme


def test_one_zhenjiang_gdp_forecast_by_hand(shipped):
    # fitted on 2013, 2019, 2020, 2021 (zhenjiang.csv), forecast 2023 from 2021 (h = 2)
    x = {2013: 2659.07, 2019: 4127.32, 2020: 4220.0, 2021: 4763.42, 2023: 5264.07}
    mu = math.log(x[2021] / x[2013]) / 8
    r = [
        math.log(x[2019] / x[2013]) - 6 * mu,
        math.log(x[2020] / x[2019]) - mu,
        math.log(x[2021] / x[2020]) - mu,
    ]
    sd = math.sqrt((r[0] ** 2 / 6 + r[1] ** 2 + r[2] ** 2) / 2)
    scale = sd * math.sqrt(2 + 4 / 8)
    (zj,) = [s for s in shipped.series if s.series.name == "Zhenjiang: GDP"]
    (fc,) = [f for f in zj.forecasts if (f.origin, f.year) == (2021, 2023)]
    assert_allclose(fc.point["calibrated"], x[2021] * math.exp(2 * mu), rtol=1e-12)
    assert_allclose(fc.point["naive"], x[2021] * (x[2021] / x[2020]) ** 2, rtol=1e-12)
    q = student.ppf(0.9, 2)
    assert_allclose(fc.intervals[80], x[2021] * np.exp(2 * mu + np.array([-q, q]) * scale))


def test_cli_rolling_text_markdown_json_and_html(tmp_path):
    files = [str(p) for p in FILES]
    res = runner.invoke(app, ["backtest", "--rolling", *files])
    assert res.exit_code == 0, res.output
    assert "68 forecasts of 34 held-back observations" in res.output.splitlines()[0]
    assert "PIT histogram" in res.output
    zh = runner.invoke(app, ["backtest", "--rolling", *files, "--lang", "zh"])
    assert "68 次预测，34 个留出观测值" in zh.output
    md = runner.invoke(app, ["backtest", "--rolling", *files, "--markdown"])
    assert md.output.splitlines()[-1].startswith("| pooled | 68 | 4.4% | 6.3% | 0.70 |")
    js = runner.invoke(app, ["backtest", "--rolling", *files, "--json"])
    doc = json.loads(js.output)
    assert doc["pooled"]["n"] == 68 and len(doc["forecasts"]) == 68
    page = tmp_path / "bt.html"
    res = runner.invoke(app, ["backtest", "--rolling", *files, "--html", str(page)])
    assert res.exit_code == 0
    text = page.read_text(encoding="utf-8")
    assert text.count("<rect") == 10 and "<svg" in text and "href=" not in text


def test_cli_rolling_errors_name_the_file(tmp_path):
    res = runner.invoke(app, ["backtest", "--rolling", str(tmp_path / "none.csv")])
    assert res.exit_code == 2
    assert "none.csv: file not found" in res.output
    res = runner.invoke(app, ["backtest", "--rolling", str(ROOT / "calibration" / "ezhou.csv")])
    assert res.exit_code == 2
    assert "ezhou.csv: no series has 4 usable full-year observations" in res.output
    assert "Traceback" not in res.output
    res = runner.invoke(app, ["backtest", str(ROOT / "calibration" / "ezhou.csv")])
    assert res.exit_code == 2
    assert "needs --scenario and --until (or --rolling)" in res.output
