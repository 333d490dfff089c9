"""``clustersim calibrate`` and ``clustersim backtest`` in process: exit codes, output, files."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from numpy.testing import assert_allclose
from typer.testing import CliRunner

from clustersim.cli import app

from .conftest import ROOT, series_rows

runner = CliRunner()


def cells(line: str) -> list[str]:
    """The cells of a row of a rich table (``│ a │ b │``)."""
    return [c.strip() for c in line.strip().strip("│┃").split("│" if "│" in line else "┃")]


def _gdp_rows():
    t = np.arange(2012, 2021)
    return t, 60 * 1.06 ** (t - 2012)


def test_calibrate_writes_a_fragment_that_runs(tiny, csv_writer, tmp_path):
    t, v = _gdp_rows()
    data = csv_writer(series_rows("gdp", t, v))
    out = tmp_path / "fit.yaml"
    res = runner.invoke(app, ["calibrate", str(data), "--scenario", str(tiny), "--out", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == f"{tiny}: 1 series calibrated on {data} (region Tiny)"
    header = next(ln for ln in lines if "series" in ln and "flags" in ln)
    assert cells(header) == [
        "series",
        "fit",
        "years",
        "n",
        "rate",
        "s.e.",
        "R²",
        "flags",
    ]
    row = next(ln for ln in lines if cells(ln)[0] == "gdp")
    assert cells(row)[:5] == ["gdp", "compound", "2012-2020", "9", "+6.00%/yr"]
    assert f"wrote {out}" in res.output
    run = runner.invoke(app, ["run", str(out), "--json"])
    assert run.exit_code == 0, run.output
    doc = json.loads(run.stdout)
    assert doc["scenario"] == "tiny_calibrated"
    assert_allclose(doc["series"]["gdp"]["2025"], 100 * 1.06**5, rtol=1e-5)


def test_calibrate_json_and_dry_run(tiny, csv_writer, tmp_path):
    t, v = _gdp_rows()
    data = csv_writer(series_rows("gdp", t, v))
    res = runner.invoke(app, ["calibrate", str(data), "-S", str(tiny), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    (fit,) = doc["fits"]
    assert fit["series"] == "gdp" and fit["years"] == list(range(2012, 2021))
    assert_allclose(fit["rate"], 0.06, rtol=1e-12)
    assert doc["out"] is None
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obs.csv", "tiny.yaml"]


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [
                {"indicator": "gdp", "year": 2019, "value": "95"},
                {"indicator": "gdp", "year": 2019, "value": "96"},
            ],
            r"error: \S+obs\.csv:3: duplicate observation Tiny/gdp 2019 \(first at line 2\)",
        ),
        (
            [{"indicator": "gdp", "year": 2019, "value": "about 95"}],
            r"error: \S+obs\.csv:2: value: 'about 95' is not a number",
        ),
        (
            [{"indicator": "gdp", "year": 2019, "value": "95", "unit": "bushels"}],
            r"error: \S+obs\.csv:2: unit: unknown unit 'bushels'",
        ),
        (
            [{"indicator": "exports", "year": 2019, "value": "95"}],
            r"error: \S+obs\.csv:2: indicator: 'exports' is not a series of the scenario",
        ),
    ],
)
def test_bad_data_is_a_clear_error_and_nothing_is_written(
    tiny, csv_writer, tmp_path, rows, expected
):
    data = csv_writer(rows)
    out = tmp_path / "fit.yaml"
    res = runner.invoke(app, ["calibrate", str(data), "-S", str(tiny), "-o", str(out)])
    assert res.exit_code == 2
    assert re.search(expected, res.output), res.output
    assert "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["obs.csv", "tiny.yaml"]


def test_bad_options(tiny, csv_writer):
    t, v = _gdp_rows()
    data = str(csv_writer(series_rows("gdp", t, v)))
    res = runner.invoke(app, ["calibrate", data, "-S", str(tiny), "--fit", "gdp=logistc"])
    assert res.exit_code == 2
    assert (
        "error: --fit gdp=logistc: unknown fit 'logistc' (allowed: compound, logistic, elasticity)"
        in res.output
    )
    res = runner.invoke(app, ["calibrate", data, "-S", str(tiny), "--break", "gdp"])
    assert res.exit_code == 2 and "error: --break gdp: expected SERIES=YEAR" in res.output
    res = runner.invoke(app, ["calibrate", data, "-S", str(tiny), "-x", "ouput[alpha]"])
    assert res.exit_code == 2
    assert (
        "error: --series ouput[alpha]: 'ouput[alpha]' is not a series of the scenario; did you mean 'output[alpha]'?"
        in res.output
    )


def test_backtest_text_and_json(tiny, csv_writer):
    t = np.arange(2000, 2016)
    v = 100 * 1.05 ** (t - 2000) * np.exp(np.random.default_rng(0).normal(0, 0.02, t.size))
    data = str(csv_writer(series_rows("gdp", t, v)))
    res = runner.invoke(
        app, ["backtest", data, "-S", str(tiny), "--until", "2010", "-n", "200", "-s", "1"]
    )
    assert res.exit_code == 0, res.output
    assert res.output.startswith(
        f"Backtest of {tiny} on {data} (region Tiny): fitted on years up to 2010"
    )
    assert "mean absolute percentage error (5 observations): calibrated" in res.output
    assert "Monte Carlo coverage: 50% interval" in res.output
    res = runner.invoke(app, ["backtest", data, "-S", str(tiny), "--until", "2010", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["until"] == 2010 and doc["n"] == 5 and doc["coverage"] is None
    assert [r["year"] for r in doc["records"]] == list(range(2011, 2016))
    rec = doc["records"][0]
    assert_allclose(rec["error"]["naive"], rec["projected"]["naive"] / rec["observed"] - 1)
    assert set(doc["mape"]) == {"calibrated", "naive", "plan"}


def test_backtest_errors(tiny, csv_writer):
    t, v = _gdp_rows()
    data = str(csv_writer(series_rows("gdp", t, v)))
    res = runner.invoke(app, ["backtest", data, "-S", str(tiny), "--until", "2030"])
    assert res.exit_code == 2
    assert "error: " in res.output and "nothing to backtest up to 2030" in res.output
    res = runner.invoke(app, ["backtest", data, "-S", str(tiny)])
    assert res.exit_code == 2  # --until is required


@pytest.mark.parametrize("command", ["calibrate", "backtest"])
def test_help_has_examples(command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0
    assert "Examples:" in res.output and f"clustersim {command} calibration/" in res.output


def test_shipped_example_jiangxi_electronics(tmp_path):
    """The README example: the 2022 scope change is marked in the data, so the fit starts there."""
    out = tmp_path / "jx.yaml"
    res = runner.invoke(
        app,
        [
            "calibrate",
            str(ROOT / "calibration" / "jiangxi-electronics.csv"),
            "-S",
            str(ROOT / "scenarios" / "jiangxi-trend.yaml"),
            "-x",
            "output[electronics]",
            "-o",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    row = next(ln for ln in res.output.splitlines() if cells(ln)[0] == "output[electronics]")
    assert cells(row)[:5] == [
        "output[electronics]",
        "compound",
        "2022-2024",
        "3",
        "+7.70%/yr",
    ]
    rate = np.expm1(np.polyfit([2022, 2023, 2024], np.log([10000, 10800, 11600]), 1)[0])
    text = out.read_text(encoding="utf-8")
    assert f"mean: {float(f'{rate:.6g}')!r}" in text
    assert "structural break in 2022" in text
    assert (
        "base year 2021 precedes the break: the scenario's base value is on the old scope" in text
    )
