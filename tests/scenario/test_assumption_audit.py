"""The assumption audit (``clustersim.audit``, ``validate --audit``, ``run --json``'s ``audit``,
the report's column): every target whose outcome the scenario's own assumptions fix, the rule and
the assumption named, in both languages; plan scenarios report plan assumptions.

The tripwire scenario trips each rule once on its own target; the numbers in the messages are
computed by hand in the comments.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app
from clustersim.scenario.audit import RULES, Audit

ROOT = Path(__file__).resolve().parents[2]

TRIP = """\
id: trip
name: {zh: 构造检查, en: Construction check}
base_year: 2023
end_year: 2026
region:
  gdp: {base: 1000, growth: {kind: constant, rate: 0.05}}
  industrial_output: {base: 900, growth: {kind: constant, rate: {dist: normal, mean: 0.07, sd: 0.01}}}
indicators:
  aimed: {kind: level, name: {zh: 甲, en: a}, base: {dist: normal, mean: 100, sd: 5},
          growth: {kind: to_target, value: 150, year: 2026}}
  flat: {kind: level, name: {zh: 乙, en: b}, base: {dist: normal, mean: 10, sd: 2}, growth: 0}
  fixed: {kind: level, name: {zh: 丙, en: c}, base: 5, growth: 0.1}
  centred: {kind: level, name: {zh: 丁, en: d}, base: {dist: normal, mean: 100, sd: 10},
            growth: {kind: constant, rate: {dist: normal, mean: 0.0, sd: 0.01}}}
  honest: {kind: level, name: {zh: 戊, en: e}, base: {dist: normal, mean: 80, sd: 10},
           growth: {kind: constant, rate: {dist: normal, mean: 0.05, sd: 0.01}}}
targets:
  t_aimed: {kind: level, label: {zh: 甲, en: a}, metric: aimed, year: 2026, at_least: 150}
  t_rate: {kind: cagr, label: {zh: 增速, en: rate}, metric: gdp, from_year: 2023, year: 2026,
           at_least: 0.05}
  t_io: {kind: cagr, label: {zh: 工业, en: industry}, metric: industrial_output, from_year: 2023,
         year: 2026, at_least: 0.05}
  t_flat: {kind: level, label: {zh: 乙, en: b}, metric: flat, year: 2026, at_least: 10}
  t_fixed: {kind: level, label: {zh: 丙, en: c}, metric: fixed, year: 2026, at_least: 100}
  t_centred: {kind: level, label: {zh: 丁, en: d}, metric: centred, year: 2026, at_least: 100}
  t_honest: {kind: level, label: {zh: 戊, en: e}, metric: honest, year: 2026, at_least: 100}
"""

#: a prior "on schedule" rounded (0.25% above the goal) and a forecast 0.6% above it
NEAR = """\
id: near
name: {zh: 近目标, en: Near}
base_year: 2023
end_year: 2026
region:
  gdp: {base: 1000, growth: {kind: constant, rate: {dist: normal, mean: 0.05, sd: 0.01}}}
indicators:
  near: {kind: level, name: {zh: 己, en: f}, base: {dist: normal, mean: 86.6, sd: 8},
         growth: {kind: constant, rate: {dist: normal, mean: 0.05, sd: 0.01}}}
  beyond: {kind: level, name: {zh: 庚, en: g}, base: {dist: normal, mean: 86.9, sd: 8},
           growth: {kind: constant, rate: {dist: normal, mean: 0.05, sd: 0.01}}}
targets:
  t_near: {kind: level, label: {zh: 己, en: f}, metric: near, year: 2026, at_least: 100}
  t_off: {kind: level, label: {zh: 庚, en: g}, metric: beyond, year: 2026, at_least: 100}
"""

#: a plan file that extends the (honest) trend and aims its one series at the goal
TREND = """\
id: base_trend
name: {zh: 趋势, en: Trend}
base_year: 2023
end_year: 2026
region:
  gdp: {base: 1000, growth: {kind: constant, rate: {dist: normal, mean: 0.05, sd: 0.01}}}
indicators:
  honest: {kind: level, name: {zh: 戊, en: e}, base: {dist: normal, mean: 80, sd: 10},
           growth: {kind: constant, rate: {dist: normal, mean: 0.05, sd: 0.01}}}
targets:
  t_honest: {kind: level, label: {zh: 戊, en: e}, metric: honest, year: 2026, at_least: 100}
"""
PLAN = """\
extends: trend.yaml
id: base_plan
indicators:
  honest:
    growth: {kind: to_target, value: 100, year: 2026, source: "plan-implied: reach the goal"}
"""


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("audit")
    out = {}
    for name, text in (("trip", TRIP), ("trend", TREND), ("plan", PLAN)):
        (d / f"{name}.yaml").write_text(text, encoding="utf-8")
        out[name] = d / f"{name}.yaml"
    return out


@pytest.fixture(scope="module")
def tripped(files: dict[str, Path]) -> Audit:
    return cs.audit(files["trip"])


def _rules(audit: Audit, target: str) -> set[str]:
    return {f.rule for f in audit.of(target)}


def test_each_rule_fires_on_its_own_target(tripped: Audit) -> None:
    assert _rules(tripped, "t_aimed") == {"to_target", "central_on_goal"}
    # a fixed 5% gives a CAGR of exactly 5% in every sample: rate, no spread and on the goal
    assert _rules(tripped, "t_rate") == {"target_rate", "no_spread", "central_on_goal"}
    # a base on the goal, held flat: the central projection is the goal too
    assert _rules(tripped, "t_flat") == {"flat_base", "central_on_goal"}
    assert _rules(tripped, "t_fixed") == {"no_spread"}
    assert _rules(tripped, "t_centred") == {"central_on_goal"}
    assert {f.rule for f in tripped.findings} == set(RULES)


def test_central_on_goal_reads_within_half_a_percent(tmp_path: Path) -> None:
    # 86.6 x 1.05^3 = 100.25 (0.25% above the goal): a prior "on schedule" rounded to 0.1;
    # 86.9 x 1.05^3 = 100.60 (0.6% above): a forecast
    assert pytest.approx(100.25, abs=0.01) == 86.6 * 1.05**3
    assert pytest.approx(100.60, abs=0.01) == 86.9 * 1.05**3
    (tmp_path / "near.yaml").write_text(NEAR, encoding="utf-8")
    near = cs.audit(tmp_path / "near.yaml")
    assert _rules(near, "t_near") == {"central_on_goal"}
    assert _rules(near, "t_off") == set()


def test_honest_targets_are_not_flagged(tripped: Audit) -> None:
    # 80 x 1.05^3 = 92.61 with spread; industrial output grows 7% +- 1 pp, not the 5% asked,
    # and GDP's fixed 5% is not a series the industrial-output CAGR reads
    assert tripped.of("t_honest") == ()
    assert tripped.of("t_io") == ()
    assert tripped.marker("t_honest") is None


def test_each_finding_names_the_assumption_and_its_line(
    tripped: Audit, files: dict[str, Path]
) -> None:
    (aimed,) = [f for f in tripped.of("t_aimed") if f.rule == "to_target"]
    assert aimed.where == "indicators.aimed.growth"
    assert aimed.origin == f"{files['trip']}:10"  # line 10: `growth: {kind: to_target, ...}`
    assert aimed.values == {"goal": "150", "year": 2026}
    assert aimed.text("en") == (
        "t_aimed: fixed by construction: indicators.aimed.growth grows to_target to the "
        f"target's own 150 in 2026 ({files['trip']}:10)"
    )
    assert aimed.text("zh").startswith("t_aimed: 由构造决定: indicators.aimed.growth 以 to_target")
    (fixed,) = tripped.of("t_fixed")
    # 5 x 1.1^3 - 100 = -93.345 in every one of the 200 samples
    assert fixed.values == {"margin": "-93.345", "samples": 200}
    (flat,) = [f for f in tripped.of("t_flat") if f.rule == "flat_base"]
    assert flat.where == "indicators.flat.base"
    assert flat.values == {"goal": "10"}
    assert not tripped.clean
    assert tripped.plan is False


def test_plan_scenario_reports_plan_assumptions(files: dict[str, Path]) -> None:
    assert cs.audit(files["trend"]).findings == ()
    plan = cs.audit(files["plan"])
    assert plan.plan is True
    assert plan.clean  # plan assumptions are listed, not failed
    assert {f.rule for f in plan.findings} == {"to_target", "central_on_goal"}
    assert all(f.plan for f in plan.findings)
    assert plan.marker("t_honest") == "plan"
    (aimed,) = [f for f in plan.findings if f.rule == "to_target"]
    assert aimed.origin == f"{files['plan']}:5"
    assert aimed.text("en").startswith("t_honest: plan assumption: ")
    assert aimed.text("zh").startswith("t_honest: 规划假设: ")


@pytest.mark.parametrize(
    "path", sorted((ROOT / "scenarios").glob("*-trend.yaml")), ids=lambda p: p.stem
)
def test_shipped_trend_scenarios_audit_clean(path: Path) -> None:
    audit = cs.audit(path)
    assert audit.findings == (), [f.text() for f in audit.findings]
    result = CliRunner().invoke(app, ["validate", str(path), "--audit"])
    assert result.exit_code == 0, result.output
    assert "assumption audit: none of" in result.output


def test_validate_audit_exit_codes_and_both_languages(files: dict[str, Path]) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["validate", str(files["trip"]), "--audit"])
    assert res.exit_code == 1, res.output  # a target fixed by construction
    for rule_text in (
        "indicators.aimed.growth grows to_target to the target's own 150 in 2026",
        "region.gdp.growth is a fixed rate equal to the target's rate 0.05",
        "indicators.flat.base is the goal 10 with no growth",
        "margin -93.345 in every one of 200 samples",
        "the central projection lands on the goal 100",
    ):
        assert rule_text in res.output
    assert "assumption audit: 5 targets fixed by construction, 0 by plan assumptions (of 7)" in (
        res.output
    )
    zh = runner.invoke(app, ["validate", str(files["trip"]), "--audit", "--lang", "zh"])
    assert zh.exit_code == 1
    assert "假设审查: 5 个目标由构造决定，0 个为规划假设（共 7 个目标）" in zh.output
    assert "indicators.flat.base 等于目标值 10 且不增长" in zh.output
    plan = runner.invoke(app, ["validate", str(files["plan"]), "--audit"])
    assert plan.exit_code == 0, plan.output  # plan assumptions do not fail
    assert "t_honest: plan assumption:" in plan.output
    # without --audit the file is merely valid
    assert runner.invoke(app, ["validate", str(files["trip"])]).exit_code == 0
    bad = runner.invoke(app, ["validate", str(files["trip"]), "--audit", "--lang", "fr"])
    assert bad.exit_code == 2
    assert "Traceback" not in bad.output


def test_run_json_and_table_carry_the_audit(files: dict[str, Path]) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["run", str(files["trip"]), "--json"])
    doc = json.loads(res.stdout)
    audit = doc["audit"]
    assert audit["clean"] is False
    assert audit["targets"] == {
        "t_aimed": "construction",
        "t_rate": "construction",
        "t_flat": "construction",
        "t_fixed": "construction",
        "t_centred": "construction",
    }
    rules = [(f["target"], f["rule"], f["class"]) for f in audit["findings"]]
    assert ("t_flat", "flat_base", "construction") in rules
    assert "audit" not in json.loads(
        runner.invoke(app, ["run", str(files["trip"]), "--json", "--no-audit"]).stdout
    )
    table = runner.invoke(app, ["run", str(files["trip"]), "--no-series"])
    assert "[fixed]" in table.output
    assert "[fixed] / [plan]: the outcome is set by the scenario's own assumptions" in table.output
    zh = runner.invoke(app, ["run", str(files["plan"]), "--no-series", "--lang", "zh"])
    assert "[规划]" in zh.output


def test_report_has_an_audit_column(files: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "r.html"
    res = CliRunner().invoke(app, ["report", str(files["trip"]), "-o", str(out)])
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    assert "<th>assumption audit</th>" in html
    assert html.count('data-audit="construction"') == 5
    assert "indicators.flat.base is the goal 10 with no growth" in html
