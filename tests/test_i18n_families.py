"""The message families that were English only (issue 20): observed-data CSV, workbook
cells, result directories, sweep files (the file and its parameters against the scenario)
and the sweep summary's text lines. Each is provoked for real here and its Chinese must
hold Chinese and no English word outside ids, paths, quoted values and the lists of
allowed names (the word-list check of tests/cli/test_errors.py, the same for the report).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from tests.sweep.conftest import LINEAR

from clustersim.errors import ClusterSimError, ScenarioError
from clustersim.i18n import localize

#: ids a planner types, names of formats and programs: allowed in a Chinese message
ALLOWED = {
    # formats, programs, encodings
    "CSV",
    "JSON",
    "YAML",
    "UTF",
    "Excel",
    "Sobol",
    "NUL",
    "xlsx",
    "csv",
    "parquet",
    # units of size
    "KB",
    "MB",
    "GB",
    "TB",
    "PB",
    # sweep-file fields, methods, store groups, distributions
    "scenario",
    "method",
    "samples",
    "seed",
    "chunk_size",
    "store",
    "replications",
    "fix",
    "parameters",
    "levels",
    "range",
    "values",
    "dist",
    "grid",
    "lhs",
    "sobol",
    "monte_carlo",
    "summary_only",
    "inputs",
    "margins",
    "met",
    "normal",
    "lognormal",
    "uniform",
    "triangular",
    "shocks",
    "correlations",
    # observed-data and workbook columns
    "region",
    "indicator",
    "year",
    "value",
    "unit",
    "source",
    "months",
    "seasonal_share",
    "break",
    "block",
    "units",
    "clusters",
    "yes",
    "true",
    # scenario keys a message names as a place
    "indicators",
    "targets",
}


def english_words(zh: str) -> set[str]:
    """The English words of a Chinese message outside quoted values, option names, paths,
    the lists of allowed / known names, and :data:`ALLOWED`."""
    body = re.sub(r"'[^']*'|\"[^\"]*\"|\{[^}]*\}|\[[^\]]*\]", " ", zh)
    body = re.sub(r"（(可用|已有|已知单位|必需的列|应有|工作簿中有)：[^）]*）", " ", body)
    body = re.sub(r"--[\w-]+|\S+/\S+|\S*[._]\S+|\S+\.(yaml|csv|xlsx)", " ", body)
    return {w for w in re.findall(r"[A-Za-z]{2,}", body) if w not in ALLOWED}


def assert_chinese(messages: list[str]) -> None:
    assert messages
    for zh in messages:
        assert re.search(r"[\u4e00-\u9fff]", zh), zh
        assert not english_words(zh), (zh, english_words(zh))


def zh_of(exc: ScenarioError) -> list[str]:
    """The Chinese of every problem (the message only: the place is the user's file)."""
    out = []
    for p in exc.items:
        q = localize(p)
        assert q.message_zh and q.message_zh != q.message, q.message
        out.append(q.message_zh)
    return out


# --- observed-data CSV ---------------------------------------------------------------------


OBSERVED_HEADER = "region,cluster,indicator,year,value,unit,source,months,seasonal_share,break"

OBSERVED_ROWS = [
    'zj,,gdp,2020,"1,000",亿元,stats,,,',  # thousands separator
    "zj,,gdp,20x1,5,亿元,stats,,,",  # not a year
    "zj,,gdp,2022,,亿元,stats,,,",  # empty value
    "zj,,gdp,2023,inf,亿元,stats,,,",  # not finite
    "zj,,gdp,2024,5,yuan,stats,,,",  # unknown unit
    ",,gdp,2025,5,亿元,,,,",  # empty region, empty source
    "zj,,gdp,2026,5,亿元,stats,13,,",  # months
    "zj,,gdp,2027,5,亿元,stats,6,1.5,",  # seasonal share
    "zj,,gdp,2028,5,亿元,stats,,0.5,",  # share for a full year
    "zj,,gdp,2029,5,亿元,stats,,,maybe",  # break
    "zj,,gdp,2030,5,亿元,stats,,,",
    "zj,,gdp,2030,6,亿元,stats,,,",  # duplicate
    "zj,,gdp,2031,5,亿元",  # field count
]


def _observed_error(tmp_path: Path, name: str, text: str) -> ScenarioError:
    from clustersim.analysis.observed import load_observed

    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_observed(p)
    return info.value


def test_observed_csv_messages_in_chinese(tmp_path: Path) -> None:
    rows = _observed_error(
        tmp_path, "rows.csv", "\n".join([OBSERVED_HEADER, *OBSERVED_ROWS]) + "\n"
    )
    assert len(rows.items) >= 13
    assert_chinese(zh_of(rows))
    cases = {
        "head.csv": "region,cluster,indicator,year,valeu,unit,source,source\n",
        "empty.csv": "",
        "header-only.csv": OBSERVED_HEADER + "\n",
        "quote.csv": OBSERVED_HEADER + '\nzj,,gdp,2020,5,亿元,"stats\nmore,,,\n',
        "open.csv": OBSERVED_HEADER + '\nzj,,gdp,2020,5,亿元,"stats,,,\n',
        "data.xlsx": "",
    }
    for name, text in cases.items():
        assert_chinese(zh_of(_observed_error(tmp_path, name, text)))


# --- workbook cells ------------------------------------------------------------------------


def test_workbook_cell_messages_in_chinese(tmp_path: Path) -> None:
    openpyxl = pytest.importorskip("openpyxl")
    from clustersim.api import load_scenario
    from clustersim.report.excel import read_workbook, write_workbook

    ex = Path(__file__).resolve().parents[1] / "scenarios" / "example.yaml"
    book = tmp_path / "plan.xlsx"
    write_workbook(load_scenario(ex), book, result=None, lang="zh")
    wb = openpyxl.load_workbook(book)
    ws = wb["clusters"]
    ws.cell(1, ws.max_column + 1, "bogus")  # unknown column
    ws.cell(1, ws.max_column + 1, "note")  # a column twice
    hist = wb["history"]
    hist.cell(2, 1, "nowhere")  # block
    hist.cell(3, 4, "20x0")  # year
    hist.cell(4, 3, None)  # series
    growth = wb["growth"]
    growth.cell(2, 1, "planet")  # block
    growth.cell(3, 4, None)  # field
    del wb["groups"]  # a sheet missing
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    with pytest.raises(ScenarioError) as info:
        read_workbook(bad)
    assert_chinese(zh_of(info.value))  # the missing sheet
    wb.create_sheet("groups").append(["id", "field", "value"])
    wb.save(bad)
    with pytest.raises(ScenarioError) as info:
        read_workbook(bad)
    problems = info.value.items
    assert len(problems) >= 5
    zh = [localize(p).text("zh") for p in problems]
    # the place is said in Chinese too: FILE：工作表 'S'，单元格 C7
    assert all("工作表" in line and "sheet" not in line for line in zh), zh
    assert_chinese([line.split("：", 1)[1] for line in zh])
    (tmp_path / "junk.xlsx").write_bytes(b"not a zip")
    with pytest.raises(ScenarioError) as info:
        read_workbook(tmp_path / "junk.xlsx")
    assert_chinese(zh_of(info.value))


def test_results_directory_messages_in_chinese(tmp_path: Path) -> None:
    from clustersim.cli.errors import error_json
    from clustersim.io.readers import read_result_tables

    for target in (tmp_path / "nowhere", tmp_path):
        with pytest.raises(ClusterSimError) as info:
            read_result_tables(target)
        (e,) = error_json(info.value)["errors"]
        assert_chinese([e["message_zh"]])


# --- sweep files ---------------------------------------------------------------------------


RATE = "indicators.c.growth.rate"

#: sweep files with mistakes of every kind the sweep file's model reports
BAD_SWEEPS = [
    {"method": "lhs", "sampels": 10},
    {"method": "latin", "samples": 10},
    {"method": "lhs"},
    {"method": "sobol", "samples": 1000},
    {"method": "grid", "samples": 10, "parameters": {RATE: {"values": [1, 2]}}},
    {"method": "grid", "parameters": {RATE: {"range": [0, 1]}}},
    {"method": "grid", "parameters": {}},
    {"method": "grid", "parameters": {RATE: {"values": [1, 2], "levels": 3}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"range": [0, 1], "levels": 3}}},
    {"method": "lhs", "samples": 9, "replications": 2},
    {"method": "lhs", "samples": 9, "seed": None},
    {"method": "lhs", "samples": 0},
    {"method": "lhs", "samples": 9, "seed": True},
    {"method": "lhs", "samples": 1.5, "chunk_size": "abc"},
    {"method": "lhs", "samples": 9, "store": "everything"},
    {"method": "lhs", "samples": 9, "store": ["inputs", "valus"]},
    {"method": "lhs", "samples": 9, "fix": 3},
    {"method": "lhs", "samples": 9, "fix": [RATE], "parameters": {RATE: {"range": [0, 1]}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"range": [1, 0]}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"range": [0, "x"]}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"values": [1, 1]}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"values": []}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"range": [0, 1], "values": [1]}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"rnage": [0, 1]}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"range": [0, 1], "lvels": 2}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"dist": "normall", "mean": 0}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"dist": "normal", "mean": 0}}},
    {"method": "lhs", "samples": 9, "parameters": {"a..b": {"range": [0, 1]}}},
    {"method": "lhs", "samples": 9, "scenario": ""},
]

#: valid sweep files whose parameters the scenario refuses (sweep/plan.py)
BAD_PLANS = [
    {"method": "lhs", "samples": 9, "parameters": {"indicators.cc.growth.rate": {"range": [0, 1]}}},
    {"method": "lhs", "samples": 9, "fix": ["indicators.a.growth.rate"]},
    {"method": "lhs", "samples": 9, "parameters": {"targets.m_level.at_least": {"range": [8, 9]}}},
    {"method": "lhs", "samples": 9, "parameters": {"targets.m_level.kind": {"values": [1, 2]}}},
    {"method": "lhs", "samples": 9, "parameters": {RATE: {"range": [-2, 0.1]}}},
]


def _sweep(tmp_path: Path, i: int, doc: dict[str, object]) -> Path:
    (tmp_path / "linear.yaml").write_text(LINEAR, encoding="utf-8")
    doc = {"scenario": "linear.yaml", "seed": 1, **doc}
    doc = {k: v for k, v in doc.items() if v is not None}
    path = tmp_path / f"sweep{i}.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path


@pytest.mark.parametrize("doc", BAD_SWEEPS, ids=[str(i) for i in range(len(BAD_SWEEPS))])
def test_sweep_file_messages_in_chinese(tmp_path: Path, doc: dict[str, object]) -> None:
    from clustersim.sweep.spec import load_sweep

    with pytest.raises(ScenarioError) as info:
        load_sweep(_sweep(tmp_path, 0, doc))
    problems = info.value.items
    assert all(p.message_zh for p in problems)  # said in both languages where raised
    assert all(p.line is not None and p.field for p in problems)  # at a line and a field
    assert_chinese([p.message_zh for p in problems])


@pytest.mark.parametrize("doc", BAD_PLANS, ids=[str(i) for i in range(len(BAD_PLANS))])
def test_sweep_parameters_against_the_scenario_in_chinese(
    tmp_path: Path, doc: dict[str, object]
) -> None:
    from clustersim.sweep import load_sweep, plan_sweep

    with pytest.raises(ScenarioError) as info:
        plan_sweep(load_sweep(_sweep(tmp_path, 0, doc)))
    assert_chinese(zh_of(info.value))


def test_sweep_summary_lines_in_chinese(tmp_path: Path) -> None:
    from clustersim.grid import Grid
    from clustersim.sweep import run_sweep

    doc = {
        "method": "grid",
        "parameters": {
            RATE: {"range": [0.0, 0.1], "levels": 3},
            "indicators.a.growth.rate": {"values": [0.0, 0.05]},
        },
    }
    res = run_sweep(_sweep(tmp_path, 0, doc), workers=1)
    en = [p for p in res.summary.parts("en") if isinstance(p, str)]
    zh_parts = res.summary.parts("zh")
    zh = [p for p in zh_parts if isinstance(p, str)]
    assert len(en) == len(zh) >= 5
    assert any("what must hold" in line for line in en)  # the whole summary is walked
    # legend lines name scenario paths only ("  [1] indicators.c.growth.rate")
    assert_chinese([line for line in zh if not re.fullmatch(r"\s*\[\d+\] \S+", line)])
    (table, *_) = [p for p in zh_parts if isinstance(p, Grid)]
    assert table.headers[:2] == ("目标", "达成概率")


def test_annualisation_methods_in_chinese(tmp_path: Path) -> None:
    """How calibrate says a partial year was annualised (its terminal lines and flags go
    through the same table): each of the four ways, with the month as a number."""
    from clustersim.analysis.observed import annualise, load_observed
    from clustersim.i18n import translate

    rows = [
        "zj,,gdp,2020,100,亿元,stats,,,",
        "zj,,gdp,2020,48,亿元,stats,6,,",
        "zj,,gdp,2021,50,亿元,stats,6,,",  # the share of 2020's same months
        "zj,,gdp,2022,80,亿元,stats,9,0.7,",  # its own seasonal share
        "zj,,gdp,2023,30,亿元,stats,3,,",  # pro rata
    ]
    p = tmp_path / "partial.csv"
    p.write_text("\n".join([OBSERVED_HEADER, *rows]) + "\n", encoding="utf-8")
    obs = load_observed(p)
    methods = [v.method for v in annualise(obs.rows, 1.0, flow=True) if v.method]
    methods += [v.method for v in annualise(obs.rows, 1.0, flow=False) if v.method][:1]
    assert len(methods) == 4, methods
    zh = [translate(m) for m in methods]
    assert zh[0].startswith("1-6 月值 / 2020 年同期观测到的占比")
    assert zh[1] == "1-9 月值 / 季节占比 0.7（行中给出）"
    assert zh[2] == "1-3 月值 × 12/3（按比例：没有给出也没有观测到季节占比）"
    assert zh[3] == "1-6 月的值作为全年值（比例不折算）"
    assert_chinese(zh)
