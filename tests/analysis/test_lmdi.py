"""LMDI-I (clustersim.analysis.lmdi): a two-sector case computed by hand from Ang's
formulas, exactness on a Monte Carlo run, and ``clustersim decompose``."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clustersim.analysis.lmdi import decompose_series, lmdi_pair, logmean
from clustersim.cli import app

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "example.yaml"
runner = CliRunner()


def test_logarithmic_mean() -> None:
    got = logmean(np.array([2.0, 3.0, 5.0, 0.0]), np.array([1.0, 3.0, 0.0, 0.0]))
    np.testing.assert_allclose(got, [1 / math.log(2), 3.0, 0.0, 0.0], rtol=1e-15)
    # symmetric, between the geometric and arithmetic means
    a, b = np.array([0.4]), np.array([0.9])
    assert logmean(a, b)[0] == logmean(b, a)[0]
    assert math.sqrt(0.36) < logmean(a, b)[0] < 0.65


# two clusters, GDP 100 -> 110; value added 20 -> 25 and 30 -> 30; energy 40 -> 45 and
# 15 -> 12; energy outside the clusters 10 -> 11 (its share of GDP unchanged)
TWO = {
    "energy": np.array([[[40.0, 45.0], [15.0, 12.0]]]),
    "value_added": np.array([[[20.0, 25.0], [30.0, 30.0]]]),
    "energy_rest": np.array([[10.0, 11.0]]),
    "gdp": np.array([[100.0, 110.0]]),
}


def test_two_sector_case_by_hand() -> None:
    d = decompose_series(TWO, np.array([2020, 2021]), ("a", "b"))
    # by hand: I_a = 0.4 -> 45/110, I_b = 0.15 -> 12/110; w = L(I^T, I^0)
    w_a = (45 / 110 - 0.4) / math.log((45 / 110) / 0.4)
    w_b = (12 / 110 - 0.15) / math.log((12 / 110) / 0.15)
    want_structure = [w_a * math.log((25 / 110) / 0.2), w_b * math.log((30 / 110) / 0.3)]
    want_intensity = [w_a * math.log(1.8 / 2.0), w_b * math.log(0.4 / 0.5)]
    np.testing.assert_allclose(d.window_structure[0], want_structure, rtol=1e-14)
    np.testing.assert_allclose(d.window_intensity[0], want_intensity, rtol=1e-14)
    # the same numbers written out (computed once with a calculator from the formulas)
    np.testing.assert_allclose(d.window_structure[0], [0.0517122331, -0.0122437027], atol=1e-10)
    np.testing.assert_allclose(d.window_intensity[0], [-0.0426213240, -0.0286653882], atol=1e-10)
    assert d.window_rest[0] == pytest.approx(11 / 110 - 10 / 100, abs=1e-15)
    assert d.window_total[0] == pytest.approx(68 / 110 - 0.65, abs=1e-15)
    # one year: the yearly effects are the window's
    np.testing.assert_array_equal(d.structure[:, :, 0], d.window_structure)
    assert d.residual() < 1e-15


def test_a_cluster_entering_gets_its_change_as_intensity() -> None:
    s, i = lmdi_pair(
        np.array([0.0, 15.0]),
        np.array([20.0, 30.0]),
        np.array(100.0),
        np.array([5.0, 12.0]),
        np.array([25.0, 30.0]),
        np.array(110.0),
    )
    assert s[0] == 0.0 and i[0] == pytest.approx(5 / 110, abs=1e-16)
    s, i = lmdi_pair(
        np.array([0.0]),
        np.array([0.0]),
        np.array(100.0),
        np.array([5.0]),
        np.array([25.0]),
        np.array(110.0),
    )
    assert s[0] == pytest.approx(5 / 110, abs=1e-16) and i[0] == 0.0


@pytest.mark.parametrize("metric", ["energy_intensity", "rd_intensity"])
def test_effects_sum_to_the_change_on_a_monte_carlo_run(metric: str) -> None:
    from clustersim.api import load_and_run

    r = load_and_run(EXAMPLE, samples=64, seed=3, required=False)
    d = decompose_series(r.series, r.years, r.clusters, metric=metric)
    assert d.residual() < 1e-12
    # the total is the projected metric's own change
    np.testing.assert_allclose(d.level, r.series[metric], rtol=1e-12)
    np.testing.assert_allclose(
        d.window_total, r.series[metric][:, -1] - r.series[metric][:, 0], rtol=1e-12
    )
    # a sub-window starts and ends where asked
    sub = decompose_series(r.series, r.years, r.clusters, metric=metric, start=2025, end=2027)
    assert [int(y) for y in sub.years] == [2025, 2026, 2027] and sub.residual() < 1e-12
    np.testing.assert_array_equal(sub.structure, d.structure[:, :, 2:4])


def test_cli_scenario_and_results_directory_agree(tmp_path: Path) -> None:
    res = runner.invoke(app, ["decompose", str(EXAMPLE), "-n", "40", "-s", "2", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["samples"] == 40 and doc["residual"] < 1e-12
    assert len(doc["per_year"]) == 7 and len(doc["window"]["clusters"]) == 5
    out = tmp_path / "run"
    assert (
        runner.invoke(
            app, ["run", str(EXAMPLE), "-n", "40", "-s", "2", "--out", str(out)]
        ).exit_code
        == 0
    )
    res = runner.invoke(app, ["decompose", str(out), "--json"])
    assert res.exit_code == 0, res.output
    again = json.loads(res.stdout)
    for key in ("structure", "intensity", "rest", "total"):
        for p in ("p5", "p50", "p95"):
            assert again["window"][key][p] == pytest.approx(
                doc["window"][key][p], rel=1e-12, abs=1e-15
            )
    res = runner.invoke(app, ["decompose", str(EXAMPLE), "--lang", "zh"])
    assert res.exit_code == 0 and "结构效应" in res.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--metric", "water"], "--metric: 'water' is not one of"),
        (["--from", "2030", "--to", "2024"], "is not a window of the projection 2023-2030"),
    ],
)
def test_bad_input(args: list[str], message: str) -> None:
    res = runner.invoke(app, ["decompose", str(EXAMPLE), *args])
    assert res.exit_code == 2 and message in res.stderr and "Traceback" not in res.output


def test_a_scenario_without_cluster_energy_is_refused() -> None:
    res = runner.invoke(app, ["decompose", str(ROOT / "scenarios" / "shenzhen-2025.yaml")])
    assert res.exit_code == 2 and "nothing to decompose" in res.stderr
