"""``clustersim export SCENARIO --iamc FILE``: the IAMC long table read back with pandas (and
with pyam where it imports), checked against the run it came from."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clustersim.cli import app
from clustersim.io.iamc import COLUMNS

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "example.yaml"
runner = CliRunner()


@pytest.fixture(scope="module")
def run():
    from clustersim.api import load_and_run

    return load_and_run(EXAMPLE, samples=50, seed=4, required=False)


def _export(path: Path, *extra: str) -> None:
    res = runner.invoke(app, ["export", str(EXAMPLE), "--iamc", str(path), *extra])
    assert res.exit_code == 0, res.output
    assert "wrote IAMC long table" in res.stdout


def _value(df, variable: str, year: int, model: str = "clustersim") -> float:
    rows = df[(df["variable"] == variable) & (df["year"] == year) & (df["model"] == model)]
    assert len(rows) == 1, (variable, year, model)
    return float(rows["value"].iloc[0])


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_read_back_with_pandas(tmp_path: Path, run, suffix: str) -> None:
    pd = pytest.importorskip("pandas")
    if suffix == "xlsx":
        pytest.importorskip("openpyxl")
    path = tmp_path / f"ex.{suffix}"
    _export(path, "-n", "50", "-s", "4")
    df = pd.read_csv(path) if suffix == "csv" else pd.read_excel(path, sheet_name="data")
    assert tuple(df.columns) == COLUMNS
    assert set(df["model"]) == {"clustersim", "clustersim|p5", "clustersim|p95"}
    assert set(df["scenario"]) == {"example"} and set(df["region"]) == {"Example city"}
    s = run.series
    # the base year: every sample starts from the scenario's GDP
    assert _value(df, "GDP", 2023) == pytest.approx(5264.07, rel=1e-12)
    assert _value(df, "GDP", 2030) == pytest.approx(np.median(s["gdp"][:, -1]), rel=1e-12)
    assert _value(df, "GDP", 2030, "clustersim|p95") == pytest.approx(
        np.percentile(s["gdp"][:, -1], 95), rel=1e-12
    )
    # R&D intensity in percent
    assert _value(df, "R&D Intensity", 2026) == pytest.approx(
        100 * np.median(s["rd_intensity"][:, 3]), rel=1e-12
    )
    c = run.clusters.index("new_materials")
    assert _value(df, "Output|Cluster|new_materials", 2030) == pytest.approx(
        np.median(s["output"][:, c, -1]), rel=1e-12
    )
    units = dict(zip(df["variable"], df["unit"], strict=False))
    assert units["GDP"] == "亿元" and units["R&D Intensity"] == "%"
    assert units["Energy|Intensity"].endswith("/亿元")
    # one row per model, variable and year
    assert not df.duplicated(["model", "variable", "year"]).any()


def test_a_plain_run_has_one_model(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    path = tmp_path / "plain.csv"
    _export(path, "--central")  # the central path: one model (Monte Carlo adds quantiles)
    df = pd.read_csv(path)
    assert set(df["model"]) == {"clustersim"}
    assert sorted(set(df["year"])) == list(range(2023, 2031))


def test_pyam_reads_it(tmp_path: Path) -> None:
    import warnings

    try:  # pyam 4 fails to import (not only ImportError) when its ixmp4 dependency clashes
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import pyam
    except Exception as exc:
        pytest.skip(f"pyam does not import here: {type(exc).__name__}: {exc}")
    path = tmp_path / "ex.csv"
    _export(path, "--central")  # the central path: one model (Monte Carlo adds quantiles)
    df = pyam.IamDataFrame(str(path))
    assert "GDP" in df.variable and df.model == ["clustersim"]
    gdp = df.filter(variable="GDP", year=2023).timeseries()
    assert float(gdp.iloc[0, 0]) == pytest.approx(5264.07)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--iamc", "out.txt"], "must end in .csv or .xlsx"),
        (["--iamc", "out.csv", "--xlsx", "x.xlsx"], "give one of them"),
        ([], "give --xlsx FILE.xlsx (or --iamc FILE.csv)"),
    ],
)
def test_bad_options_write_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    args = [a if not a.startswith(("out", "x.")) else str(tmp_path / a) for a in args]
    res = runner.invoke(app, ["export", str(EXAMPLE), *args])
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output
    assert list(tmp_path.iterdir()) == []
