"""The one-file HTML report: every target, self-contained, both languages, fan bands,
target markers where the plan puts them, results directories and sweep summaries."""

from __future__ import annotations

import dataclasses
import html
import json
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.errors import ClusterSimError
from clustersim.report.data import from_directory, from_result
from clustersim.report.html import render_html, write_html

from .conftest import SCENARIOS, embedded_svgs, network_references, run_of


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_report_of_each_shipped_scenario_has_every_target_and_needs_no_network(path, tmp_path):
    result = run_of(path)
    out = write_html(from_result(result, origin=str(path)), tmp_path / "r.html", lang="zh")
    html = out.read_text(encoding="utf-8")
    sc = cs.load_scenario(path)
    for tid in sc.targets:
        assert f'data-target="{tid}"' in html, tid  # a row of the target table
        assert f"<code>{tid}</code>" in html  # the id is visible
    assert network_references(html) == []
    svgs = embedded_svgs(html)
    # a chart per key series (at least GDP) and the cluster bars when there are clusters
    assert len(svgs) >= 1 + (1 if sc.clusters else 0)
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed
        assert root.tag.endswith("svg")
        assert "<text" not in svg  # text drawn as paths: no font needed to view it
    # the embedded font subset covers the page's Chinese text
    assert "@font-face" in html and "data:font/woff;base64," in html
    assert list(tmp_path.iterdir()) == [out]  # no temporary file left behind


def _visible(html: str) -> str:
    html = re.sub(r"<style>.*?</style>", "", html, flags=re.S)
    html = re.sub(r'src="data:[^"]*"', "", html)
    return re.sub(r"<[^>]+>", " ", html)


def test_lang_switches_labels_columns_and_status_words(example_path):
    result = run_of(example_path, samples=200)
    # the table only (the charts' language is tested in test_charts.py)
    data = dataclasses.replace(from_result(result), charts=(), clusters=None)
    zh_html, en_html = render_html(data, lang="zh"), render_html(data, lang="en")
    zh, en = _visible(zh_html), _visible(en_html)
    sc = cs.load_scenario(example_path)
    for t in sc.targets.values():
        label = t.label
        assert not isinstance(label, str)
        assert label.zh and label.en
        assert label.zh in zh and label.en not in zh
        assert html.escape(label.en) in en_html
    heads = re.compile(r"<th>([^<]*)</th>")
    assert heads.findall(zh_html) == [
        "目标",
        "年份",
        "状态",
        "预测值（中位数）",
        "目标值",
        "差额",
        "达成概率",
        "5%–95%分位",
        "所需增速",
        "出处",
    ]
    assert heads.findall(en_html) == [
        "target",
        "year",
        "status",
        "value (median)",
        "goal",
        "margin",
        "P(met)",
        "p5–p95",
        "required growth",
        "source",
    ]
    pills = re.compile(r'<span class="status (met|missed)">([^<]*)</span>')
    assert {(c, w) for c, w in pills.findall(zh_html)} == {("met", "达成"), ("missed", "未达成")}
    assert {(c, w) for c, w in pills.findall(en_html)} == {("met", "met"), ("missed", "missed")}
    assert "/年" in zh and "/yr" not in zh and "/yr" in en
    assert "示例城市产业集群情景" in zh and "Example city cluster scenario" in en


def test_monte_carlo_bands_are_ordered_and_only_drawn_with_samples(example_path):
    mc = from_result(run_of(example_path, samples=200))
    plain = from_result(run_of(example_path))
    for chart in mc.charts:
        b = chart.band
        assert b.samples == 200
        assert np.all(b.p5 <= b.p25) and np.all(b.p25 <= b.median)
        assert np.all(b.median <= b.p75) and np.all(b.p75 <= b.p95)
    gdp = next(c for c in mc.charts if c.key == "series-gdp")
    assert np.all(gdp.band.p95[1:] > gdp.band.p5[1:])  # GDP growth is uncertain
    for chart in plain.charts:
        assert_allclose(chart.band.p5, chart.band.p95)

    from clustersim.report.charts import trajectory_figure

    def bands(chart):
        (ax,) = trajectory_figure(chart, "en").axes
        return [
            c
            for c in ax.collections
            if type(c).__name__ in ("PolyCollection", "FillBetweenPolyCollection")
        ]

    assert len(bands(gdp)) == 2  # the 90% and the 50% band
    assert bands(next(c for c in plain.charts if c.key == "series-gdp")) == []


def test_targets_are_marked_at_their_year_in_the_series_units(example_path):
    data = from_result(run_of(example_path))
    markers = {m.target_id: (c, m) for c in data.charts for m in c.markers}
    # level: the goal itself, at the target year
    chart, m = markers["rd_intensity"]
    assert (m.year, m.lo, m.hi) == (2026, 0.03, None) and chart.percent
    # change_vs 2020: the history value of 2020 times (1 + goal); hand computation from
    # example.yaml's history (energy_intensity 2020: 0.47) and goal (at most -14%)
    chart, m = markers["energy_intensity"]
    assert m.start == 2020 and m.reference == pytest.approx(0.47)
    assert m.hi == pytest.approx(0.47 * (1 - 0.14)) and m.lo is None
    assert (2020, pytest.approx(0.47)) in [(y, pytest.approx(v)) for y, v in chart.history]
    # cagr 2022-2027: a goal path from the 2022 history value, gdp[2022] * 1.05^n
    chart, m = markers["gdp_cagr"]
    assert m.path[0] == (2022, pytest.approx(5017.04))
    assert m.path[-1] == (2027, pytest.approx(5017.04 * 1.05**5))
    # the count of clusters is read on the cluster bars, against the plan's thresholds
    rows = {r.id: r for r in data.targets}
    assert rows["clusters_1000"].chart == "clusters-output"
    assert data.clusters is not None and 1000.0 in data.clusters.thresholds
    assert 2000.0 in data.clusters.thresholds  # the tier threshold of cluster_tiers
    assert data.clusters.year == 2026 or data.clusters.year == 2028


def test_status_and_values_match_the_run(example_path):
    result = run_of(example_path, samples=200)
    data = from_result(result)
    for row, t in zip(data.targets, result.targets, strict=True):
        assert row.id == t.id and row.status == t.status
        assert row.probability == t.probability
        assert row.value == pytest.approx(t.median_value)
        assert row.p5 <= row.value <= row.p95


def test_a_failed_report_leaves_no_file(example_path, tmp_path, monkeypatch):
    data = from_result(run_of(example_path))
    import clustersim.report.html as h

    def boom(*a, **k):
        yield from ()
        raise RuntimeError("drawing failed")

    monkeypatch.setattr(h, "iter_rendered", boom)
    target = tmp_path / "r.html"
    target.write_text("old report", encoding="utf-8")
    with pytest.raises(RuntimeError):
        write_html(data, target)
    assert target.read_text(encoding="utf-8") == "old report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["r.html"]


def test_report_from_a_results_directory(example_path, tmp_path):
    from typer.testing import CliRunner

    from clustersim.cli import app

    runner = CliRunner()
    res = runner.invoke(
        app, ["run", str(example_path), "-n", "50", "-s", "3", "--out", str(tmp_path / "res")]
    )
    assert res.exit_code == 0, res.output
    sc = cs.load_scenario(example_path)
    data = from_directory(tmp_path / "res", scenario=sc)
    direct = from_result(cs.run(sc, samples=50, seed=3))
    assert [r.id for r in data.targets] == list(sc.targets)
    for a, b in zip(data.targets, direct.targets, strict=True):
        assert (a.status, a.label) == (b.status, b.label)
        assert a.probability == pytest.approx(b.probability)
        assert a.value == pytest.approx(b.value)
    assert [c.key for c in data.charts] == [c.key for c in direct.charts]
    for a, b in zip(data.charts, direct.charts, strict=True):
        assert_allclose(a.band.p95, b.band.p95)
        assert [m.target_id for m in a.markers] == [m.target_id for m in b.markers]
    # without the scenario: the tables' own labels, region series, and a note saying so
    bare = from_directory(tmp_path / "res")
    assert [r.id for r in bare.targets] == list(sc.targets)
    assert bare.notes == ("no_scenario_note",)
    assert all(not c.markers for c in bare.charts)
    out = tmp_path / "r.html"
    res = runner.invoke(app, ["report", str(tmp_path / "res"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "--scenario" in out.read_text(encoding="utf-8")
    # the wrong scenario is refused, naming both
    other = cs.load_scenario(SCENARIOS[1])
    with pytest.raises(ClusterSimError, match="results are of scenario 'example'"):
        from_directory(tmp_path / "res", scenario=other)


SWEEP_SUMMARY = {
    "method": "sobol",
    "samples": 320,
    "base_points": 64,
    "seed": 3,
    "factors": ["region.gdp.growth.rate", "clusters.new_materials.output.growth.rate"],
    "all_met_probability": 0.0,
    "targets": [
        {
            "id": "rd_intensity",
            "label": "R&D spending reaches 3.0% of GDP",
            "probability": 0.92,
            "mean": 0.0328,
            "percentiles": {
                "p5": 0.0312,
                "p25": 0.0319,
                "p50": 0.0328,
                "p75": 0.0336,
                "p95": 0.0347,
            },
        },
        {
            "id": "gdp_cagr",
            "label": "GDP grows 5% a year",
            "probability": 0.59,
            "mean": 0.054,
            "percentiles": {"p5": 0.035, "p25": 0.045, "p50": 0.054, "p75": 0.063, "p95": 0.072},
        },
    ],
    "sensitivity": {
        "method": "sobol",
        "indices": [
            {
                "target": "rd_intensity",
                "factor": "region.gdp.growth.rate",
                "first_order": 0.79,
                "total_order": 0.80,
                "method": "sobol",
            },
            {
                "target": "rd_intensity",
                "factor": "clusters.new_materials.output.growth.rate",
                "first_order": 0.12,
                "total_order": 0.11,
                "method": "sobol",
            },
            {
                "target": "gdp_cagr",
                "factor": "region.gdp.growth.rate",
                "first_order": 0.99,
                "total_order": 1.0,
                "method": "sobol",
            },
        ],
    },
    "must_hold": {"below_probability": 0.8, "conditions": []},
}


def test_sweep_summary_shows_probabilities_and_sensitivity(example_path, tmp_path):
    d = tmp_path / "sweep"
    d.mkdir()
    (d / "summary.json").write_text(json.dumps(SWEEP_SUMMARY), encoding="utf-8")
    data = from_directory(d, scenario=cs.load_scenario(example_path))
    assert data.sweep is not None
    assert data.sweep.probability == {"rd_intensity": 0.92, "gdp_cagr": 0.59}
    assert data.sweep.sensitivity["rd_intensity"][0] == ("region.gdp.growth.rate", 0.79, 0.80)
    rows = {r.id: r for r in data.targets}
    assert rows["rd_intensity"].value == 0.0328 and rows["rd_intensity"].p95 == 0.0347
    assert rows["rd_intensity"].label.zh == "研发投入占GDP比重达3.0%"  # from the scenario
    html = render_html(data, lang="en")
    keys = re.findall(r'<figure id="chart-([^"]+)"', html)
    assert keys == [
        "sweep-probability",
        "sweep-sensitivity-rd_intensity",
        "sweep-sensitivity-gdp_cagr",
    ]
    assert "92.0%" in html and "region.gdp.growth.rate" in html
    assert network_references(html) == []


def test_a_real_sweep_directory_reports(example_path, tmp_path):
    pytest.importorskip("clustersim.sweep")
    from typer.testing import CliRunner

    from clustersim.cli import app

    if "sweep" not in {c.name or c.callback.__name__ for c in app.registered_commands}:
        pytest.skip("no sweep command")
    (tmp_path / "example.yaml").write_text(
        example_path.read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "sw.yaml").write_text(
        "scenario: example.yaml\nmethod: sobol\nsamples: 16\nseed: 3\nparameters:\n"
        "  region.gdp.growth.rate: {range: [0.03, 0.08]}\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    res = runner.invoke(
        app, ["sweep", str(tmp_path / "sw.yaml"), "--out", str(tmp_path / "out"), "--workers", "1"]
    )
    assert res.exit_code == 0, res.output
    data = from_directory(tmp_path / "out")
    assert data.sweep is not None and data.sweep.probability
    assert set(data.sweep.probability) == set(cs.load_scenario(example_path).targets)
    assert data.sweep.sensitivity  # indices per target
    assert data.sweep.parameters[0] == "region.gdp.growth.rate"
    # the scenario is found through the sweep's manifest: bilingual labels
    assert {r.id: r.label.zh for r in data.targets}["rd_intensity"] == "研发投入占GDP比重达3.0%"


def test_monte_carlo_statuses_from_p_met_are_shown_in_both_languages(example_path):
    """Issue 20: a run whose statuses come from P(met) (likely / uncertain / unlikely) shows
    them in the report, each from its probability under the rule, not as '-'."""
    from clustersim.report.charts import MISSED, STATUS_COLORS, UNCERTAIN
    from clustersim.results import StatusRule

    rule = StatusRule(likely=0.8, unlikely=0.2)
    result = run_of(example_path, samples=200).with_rule(rule)
    data = from_result(result)
    by_hand = {
        t.id: "likely"
        if t.probability >= 0.8
        else "unlikely"
        if t.probability <= 0.2
        else "uncertain"
        for t in result.targets
    }
    assert {r.id: r.status for r in data.targets} == by_hand
    for lang, words in (
        ("en", ("likely", "uncertain", "unlikely")),
        ("zh", ("很可能达成", "不确定", "不太可能达成")),
    ):
        page = render_html(data, lang=lang)
        cells = re.findall(r'<span class="status (\w+)">([^<]*)</span>', page)
        assert cells, "no status cells"
        assert {c for c, _ in cells} == set(by_hand.values())
        shown = dict(zip(("likely", "uncertain", "unlikely"), words, strict=True))
        assert all(text == shown[cls] for cls, text in cells)
    assert STATUS_COLORS["uncertain"] == UNCERTAIN and STATUS_COLORS["unlikely"] == MISSED
