"""The notebook (issue 20 part 7): a short repr, the HTML target table, target() with
suggestions, plot() and report() on the report's code, a sweep's samples in long form."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
from tests.cli.test_defaults import UNI
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app
from clustersim.results import UnknownTargetError

GOALS = {"t90": 102.0, "t50": 110.0, "t10": 118.0}


@pytest.fixture(scope="module")
def uni_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    p = tmp_path_factory.mktemp("nb") / "uni.yaml"
    p.write_text(UNI, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def res(uni_path: Path) -> cs.Result:
    return cs.load_and_run(uni_path, samples=400, seed=2, rule=cs.StatusRule())


def test_repr_is_short_and_says_what_ran(res: cs.Result) -> None:
    text = repr(res)
    assert text.startswith("Result('uni', 2020-2021, samples=400, seed=2, targets: ")
    assert "of 3)" in text and "array" not in text and len(text) < 160
    # the counts are those of the statuses
    counts = res.counts()
    assert sum(counts.values()) == 3 and set(counts) <= {"likely", "uncertain", "unlikely"}
    assert repr(res.target("t50")).startswith("TargetResult('t50', 2021, uncertain, value=")


def test_html_is_the_target_table(res: cs.Result) -> None:
    html = res._repr_html_()
    assert html.startswith("<table><caption>Result(&#x27;uni&#x27;")
    assert html.count("<tr>") == 4  # the header and three targets
    for t in res.targets:
        assert f"<td>{t.id}</td>" in html and f"<td>{t.probability:.1%}</td>" in html
        p = float(np.mean(t.value >= GOALS[t.id]))  # P(met) counted here, from the values
        assert f"{p:.1%}" in html


def test_target_typo_suggests_the_id(res: cs.Result) -> None:
    with pytest.raises(UnknownTargetError, match=r"uni has no target 't500'; did you mean 't50'\?"):
        res.target("t500")
    with pytest.raises(KeyError):  # still a KeyError for code that caught one
        res.target("zzz")
    with pytest.raises(cs.ClusterSimError, match="targets: t90, t50, t10"):
        res.target("zzz")


def test_plot_draws_the_reports_chart(res: cs.Result) -> None:
    pytest.importorskip("matplotlib")
    fig = res.plot("gdp")
    ax = fig.axes[0]
    # the median line of GDP: 100 in 2020, 100 * (1 + median g) ~ 110 in 2021
    ys = [line.get_ydata() for line in ax.get_lines() if len(line.get_ydata()) == 2]
    assert any(abs(y[0] - 100) < 1e-9 and abs(y[1] - 110) < 2 for y in ys), ys
    assert res.plot("t50").axes  # a target id: the chart that marks it
    with pytest.raises(cs.ClusterSimError, match=r"no chart of 'gpd'; did you mean 'gdp'\?"):
        res.plot("gpd")


def test_report_writes_the_html_page(res: cs.Result, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = res.report(tmp_path / "r.html", lang="zh")
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>") or text.startswith("<!doctype html>")
    for tid in GOALS:
        assert tid in text


def test_sweep_samples_in_long_form(uni_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "sw"
    r = CliRunner().invoke(
        app, ["sweep", "--scenario", str(uni_path), "-n", "60", "-s", "5", "-w", "1", "--out", str(out)]
    )
    assert r.exit_code == 0, r.output
    long = cs.sweep_samples(out).to_pandas()
    assert list(long.columns) == ["sample", "target", "value", "margin", "met"]
    assert len(long) == 60 * 3
    assert list(long["sample"][:6]) == [0, 0, 0, 1, 1, 1]
    assert list(long["target"][:3]) == ["t90", "t50", "t10"]
    wide = pq.read_table(out / "samples").to_pandas().sort_values("sample")
    for tid, goal in GOALS.items():
        rows = long[long["target"] == tid]
        np.testing.assert_array_equal(rows["value"].to_numpy(), wide[f"value.{tid}"].to_numpy())
        # met and margin follow from the value and the goal, computed here
        np.testing.assert_array_equal(rows["met"].to_numpy(), rows["value"].to_numpy() >= goal)
        np.testing.assert_allclose(rows["margin"], rows["value"] - goal, rtol=1e-12)
    with pytest.raises(cs.ClusterSimError, match="no samples parts"):
        cs.sweep_samples(tmp_path)
