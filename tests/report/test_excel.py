"""Excel: scenario -> workbook -> scenario is lossless for every shipped scenario; edits flow
through; bad workbooks get one error per problem naming the sheet and the cell."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app
from clustersim.errors import ScenarioError
from clustersim.report.excel import ASSUMPTION_SHEETS, read_workbook, scenario_yaml, write_workbook

from .conftest import SCENARIOS, run_of

runner = CliRunner()


def _dump(sc: cs.Scenario) -> dict:
    # the workbook holds the merged scenario and the imported file stands alone: the one
    # field that cannot survive is the name of the parent file
    return sc.model_dump(exclude={"extends"})


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_round_trip_scenario_xlsx_scenario_is_lossless(path, tmp_path):
    sc = cs.load_scenario(path)
    xlsx = write_workbook(sc, tmp_path / "plan.xlsx")
    back = read_workbook(xlsx)
    assert _dump(back) == _dump(sc)
    # and through the YAML file that `clustersim import` writes
    out = tmp_path / "plan.yaml"
    out.write_text(scenario_yaml(back), encoding="utf-8")
    again = cs.load_scenario(out)
    assert _dump(again) == _dump(sc)
    assert again.extends is None


def test_the_workbook_has_one_sheet_per_block_and_results(example_path, tmp_path):
    sc = cs.load_scenario(example_path)
    result = run_of(example_path, samples=100)
    xlsx = write_workbook(sc, tmp_path / "plan.xlsx", result=result, lang="zh")
    wb = load_workbook(xlsx, read_only=True)
    assert wb.sheetnames == ["about", *ASSUMPTION_SHEETS, "result_targets", "result_trajectories"]
    rows = list(wb["result_targets"].iter_rows(values_only=True))
    head, body = rows[0], rows[1:]
    assert head[:5] == ("编号", "目标", "类型", "年份", "状态")
    assert [r[0] for r in body] == list(sc.targets)
    assert {r[4] for r in body} <= {"达成", "未达成"}
    by_id = {r[0]: dict(zip(head, r, strict=True)) for r in body}
    t = result.target("rd_intensity")
    assert by_id["rd_intensity"]["达成概率"] == pytest.approx(t.probability)
    assert by_id["rd_intensity"]["预测值（中位数）"] == pytest.approx(t.median_value)
    traj = list(wb["result_trajectories"].iter_rows(values_only=True))
    years = [str(y) for y in range(sc.base_year, sc.end_year + 1)]
    assert list(traj[0][4:]) == years
    gdp = [r for r in traj if r[0] == "gdp"]
    assert [r[3] for r in gdp] == ["p50", "p5", "p95"]
    assert gdp[0][4] == pytest.approx(5264.07)  # the base year, every sample
    # a distribution is one row of the growth sheet, its parameters in their columns
    growth = list(wb["growth"].iter_rows(values_only=True))
    cols = growth[0]
    gdp_rate = next(
        dict(zip(cols, r, strict=False))
        for r in growth[1:]
        if r[:4] == ("region", "gdp", None, "rate")
    )
    assert (gdp_rate["dist"], gdp_rate["mean"], gdp_rate["sd"]) == ("normal", 0.055, 0.01)
    wb.close()


def _find(ws, **cells):
    """The row (1-based) whose named columns hold these values."""
    head = [c.value for c in ws[1]]
    for row in ws.iter_rows(min_row=2):
        if all(row[head.index(k)].value == v for k, v in cells.items()):
            return row[0].row, head
    raise LookupError(cells)


def _col(head, name):
    from openpyxl.utils import get_column_letter

    return get_column_letter(head.index(name) + 1)


def test_an_edit_flows_into_the_scenario(example_path, tmp_path):
    sc = cs.load_scenario(example_path)
    xlsx = write_workbook(sc, tmp_path / "plan.xlsx")
    wb = load_workbook(xlsx)
    ws = wb["region"]
    r, head = _find(ws, id="gdp", field="base")
    ws[f"{_col(head, 'value')}{r}"] = 6000
    ws = wb["targets"]
    r, head = _find(ws, id="rd_intensity")
    ws[f"{_col(head, 'at_least')}{r}"] = "3.5%"  # a percentage typed as text is fine
    wb.save(xlsx)
    out = tmp_path / "edited.yaml"
    res = runner.invoke(app, ["import", str(xlsx), "--out", str(out)])
    assert res.exit_code == 0, res.output
    edited = cs.load_scenario(out)
    assert edited.region.gdp.base == 6000
    assert edited.targets["rd_intensity"].at_least == pytest.approx(0.035)
    assert cs.run(edited).series["gdp"][0, 0] == 6000


def _import_error(xlsx, out) -> str:
    res = runner.invoke(app, ["import", str(xlsx), "--out", str(out)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    assert not out.exists()  # nothing written
    return res.output


def test_text_in_a_number_cell_names_sheet_and_cell(example_path, tmp_path):
    xlsx = write_workbook(cs.load_scenario(example_path), tmp_path / "plan.xlsx")
    wb = load_workbook(xlsx)
    ws = wb["clusters"]
    r, head = _find(ws, id="new_materials", field="output.base")
    cell = f"{_col(head, 'value')}{r}"
    ws[cell] = "about 1200"
    ws = wb["growth"]
    r2, head2 = _find(ws, block="region", id="gdp", field="rate")
    sd = f"{_col(head2, 'sd')}{r2}"
    ws[sd] = "wide"
    wb.save(xlsx)
    output = _import_error(xlsx, tmp_path / "x.yaml")
    lines = [ln for ln in output.splitlines() if ln.startswith("error:")]
    # (new_materials' base is an observation, Jan-Jul sales: the error is at its value)
    assert (
        f"error: {xlsx}: sheet 'clusters', cell {cell}: clusters.new_materials.output.base"
        in output
    )
    assert "about 1200" in output
    assert f"error: {xlsx}: sheet 'growth', cell {sd}: region.gdp.growth.rate.sd:" in output
    assert "'wide'" in output
    assert len(lines) == 2


def test_a_missing_sheet_is_named(example_path, tmp_path):
    xlsx = write_workbook(cs.load_scenario(example_path), tmp_path / "plan.xlsx")
    wb = load_workbook(xlsx)
    del wb["targets"]
    wb.save(xlsx)
    output = _import_error(xlsx, tmp_path / "x.yaml")
    assert f"error: {xlsx}: missing sheet(s) 'targets'" in output
    with pytest.raises(ScenarioError, match="missing sheet"):
        read_workbook(xlsx)


def test_other_workbook_mistakes_name_their_cells(example_path, tmp_path):
    xlsx = write_workbook(cs.load_scenario(example_path), tmp_path / "plan.xlsx")
    wb = load_workbook(xlsx)
    ws = wb["clusters"]
    r, head = _find(ws, id="new_materials", field="output.base")
    ws[f"{_col(head, 'field')}{r}"] = "output.bse"  # a misspelt field
    ws = wb["targets"]
    r2, head2 = _find(ws, id="patents")
    ws[f"{_col(head2, 'year')}{r2}"] = "soon"
    ws = wb["history"]
    ws.append(["region", None, "gdp", "2019年", 4000])
    bad_year = f"D{ws.max_row}"
    ws = wb["region"]
    r3, _ = _find(ws, id="gdp", field="base")
    ws.append(["gdp", "base", 1.0])  # the same value twice
    twice = f"C{ws.max_row}"
    wb.save(xlsx)
    with pytest.raises(ScenarioError) as info:
        read_workbook(xlsx)
    text = str(info.value)
    assert f"sheet 'history', cell {bad_year}: year must be a whole number, got '2019年'" in text
    assert f"sheet 'region', cell {twice}: region.gdp.base is given twice (first in" in text
    assert f"cell C{r3})" in text
    # fix the structural mistakes: the schema errors follow, each at its cell
    wb = load_workbook(xlsx)
    wb["history"].delete_rows(wb["history"].max_row)
    wb["region"].delete_rows(wb["region"].max_row)
    wb.save(xlsx)
    with pytest.raises(ScenarioError) as info:
        read_workbook(xlsx)
    text = str(info.value)
    # the row of the misspelt field (an observation: its 'dist' cell says so)
    assert (
        f"sheet 'clusters', cell {_col(head, 'dist')}{r}: clusters.new_materials.output.bse: unknown field; did you mean 'base'?"
        in text
    )
    assert f"sheet 'targets', cell {_col(head2, 'year')}{r2}: targets.patents.year:" in text


def test_a_compile_error_names_the_cell_of_the_expression(example_path, tmp_path):
    xlsx = write_workbook(cs.load_scenario(example_path), tmp_path / "plan.xlsx")
    wb = load_workbook(xlsx)
    ws = wb["metrics"]
    r, head = _find(ws, id="sei_share")
    cell = f"{_col(head, 'expr')}{r}"
    ws[cell] = "sum(outptu, group=strategic_emerging) / industrial_output"
    wb.save(xlsx)
    output = _import_error(xlsx, tmp_path / "x.yaml")
    assert f"sheet 'metrics', cell {cell}: metrics.sei_share.expr: unknown series 'outptu'" in output


def test_not_a_workbook(tmp_path):
    bad = tmp_path / "plan.xlsx"
    bad.write_text("not a zip", encoding="utf-8")
    output = _import_error(bad, tmp_path / "x.yaml")
    assert "not an Excel workbook" in output
