"""Statistical-scope breaks (``breaks: [2022]`` on a series): a target whose window reads the
series across a break is refused at its line, naming the series, the break and the target;
``clustersim calibrate`` fits only the segment after the scenario's last break (tested in
tests/analysis/test_calibration.py).
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app
from clustersim.errors import ClusterSimError

HEAD = """\
id: brk
name: {zh: 口径, en: Scope}
base_year: 2023
end_year: 2026
region:
  gdp:
    base: 1000
    growth: 0.05
    breaks: [2022]
  history:
    gdp: {2020: 800, 2021: 850}
clusters:
  el:
    name: El
    output: {base: 100, growth: 0.1, breaks: [2022]}
    history:
      output: {2020: 50}
  other:
    name: Other
    output: {base: 100, growth: 0.1}
    history:
      output: {2020: 50}
groups:
  both: {name: Both, clusters: [el, other]}
targets:
"""

OK = """\
  other_cagr:
    kind: cagr
    label: other
    metric: output[other]
    from_year: 2020
    year: 2026
    at_least: 0.05
  gdp_after:
    kind: cagr
    label: after
    metric: gdp
    from_year: 2023
    year: 2026
    at_least: 0.05
"""


def _write(tmp_path: Path, targets: str, name: str = "brk.yaml") -> Path:
    p = tmp_path / name
    p.write_text(HEAD + targets, encoding="utf-8")
    return p


def _error(path: Path) -> str:
    with pytest.raises(ClusterSimError) as exc:
        cs.load_scenario(path)
    return str(exc.value)


def test_targets_that_do_not_span_a_break_load(tmp_path: Path) -> None:
    res = cs.run(cs.load_scenario(_write(tmp_path, OK)))
    # output[other]: 50 in 2020, 100 x 1.1^3 = 133.1 in 2026: (133.1 / 50)^(1/6) - 1
    assert math.isclose(res.target("other_cagr").value[0], (133.1 / 50) ** (1 / 6) - 1)
    assert math.isclose(res.target("gdp_after").value[0], 0.05)


def test_cagr_from_before_the_break_is_refused_at_its_line(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        OK
        + """\
  gdp_cagr:
    kind: cagr
    label: g
    metric: gdp
    from_year: 2020
    year: 2026
    at_least: 0.05
""",
    )
    msg = _error(p)
    assert f"{p}:44: targets.gdp_cagr.from_year: target gdp_cagr reads region.gdp from 2020" in msg
    assert "across its statistical-scope break in 2022 (region.gdp.breaks)" in msg
    assert "跨越了 2022 年的统计口径变化" in msg


@pytest.mark.parametrize("metric", ["output[el]", "sum(output, group=both)", "cluster_output"])
def test_change_vs_a_year_before_a_cluster_break_is_refused(tmp_path: Path, metric: str) -> None:
    p = _write(
        tmp_path,
        f"""\
  el_change:
    kind: change_vs
    label: e
    metric: "{metric}"
    relative_to: 2020
    year: 2026
    at_least: 0.5
""",
    )
    msg = _error(p)
    assert (
        f"{p}:30: targets.el_change.relative_to: target el_change reads clusters.el.output" in msg
    )
    assert "break in 2022" in msg


def test_a_break_after_the_base_year_is_refused(tmp_path: Path) -> None:
    p = tmp_path / "late.yaml"
    text = HEAD.replace("breaks: [2022]\n  history", "breaks: [2024]\n  history") + OK
    p.write_text(text, "utf-8")
    assert f"{p}:9: region.gdp.breaks[1] (2024): break 2024 is after the base year 2023" in _error(p)


def test_the_cli_refuses_without_a_traceback(tmp_path: Path) -> None:
    p = _write(
        tmp_path,
        """\
  g:
    kind: cagr
    label: g
    metric: gdp
    from_year: 2021
    year: 2026
    at_least: 0.05
""",
    )
    res = CliRunner().invoke(app, ["validate", str(p)])
    assert res.exit_code == 2
    assert "Traceback" not in res.output
    assert "target g reads region.gdp from 2021 to 2026" in res.output


INDICATORS = """\
indicators:
  loans:
    name: Loans
    base: 500
    growth: 0.1
    breaks: [2022]
  parks:
    kind: stock
    name: Parks
    base: 10
    flow: {base: 2, breaks: [2021]}
"""


def test_level_indicator_breaks(tmp_path: Path) -> None:
    """A level indicator declares breaks like a series block (issue 13): a target reading it
    across the break is refused at its line, one starting at the break loads and computes
    from the base; a stock's flow declares them for ``<id>_flow``."""
    text = HEAD.replace("targets:\n", INDICATORS + "targets:\n")
    head_lines = text.count("\n")
    across = """\
  loans_cagr:
    kind: cagr
    label: l
    metric: loans
    from_year: 2020
    year: 2026
    at_least: 0.05
"""
    p = tmp_path / "ind.yaml"
    p.write_text(text + across, "utf-8")
    msg = _error(p)
    line = head_lines + 5  # the from_year line
    assert (
        f"{p}:{line}: targets.loans_cagr.from_year: target loans_cagr reads indicators.loans "
        in msg
    )
    assert "across its statistical-scope break in 2022 (indicators.loans.breaks)" in msg

    flow = across.replace("loans_cagr", "flow_cagr").replace("metric: loans", "metric: parks_flow")
    p.write_text(text + flow.replace("2020", "2019"), "utf-8")
    assert "break in 2021 (indicators.parks.flow.breaks)" in _error(p)

    after = across.replace("from_year: 2020", "from_year: 2023")
    p.write_text(text + after, "utf-8")
    res = cs.run(cs.load_scenario(p))
    # 500 growing 10% from 2023 to 2026: a CAGR of exactly 10%
    assert math.isclose(res.target("loans_cagr").value[0], 0.1, rel_tol=1e-12)

    late = text.replace("    breaks: [2022]\n  parks", "    breaks: [2024]\n  parks")
    p.write_text(late + after, "utf-8")
    brk_line = late.splitlines().index("    breaks: [2024]") + 1
    assert f"{p}:{brk_line}: indicators.loans.breaks[1] (2024): break 2024 is after the base year 2023" in (
        _error(p)
    )


# --- x@YEAR (issue 13): a fixed year on the other side of a break is refused too -------------


def test_an_at_year_across_a_break_is_refused_at_the_metric(tmp_path: Path) -> None:
    # output[el] has a scope break in 2022: its 2020 value is not comparable with 2026's
    bad = """\
  el_double:
    kind: level
    label: el
    metric: output[el] / output[el]@2020
    year: 2026
    at_least: 2
"""
    msg = _error(_write(tmp_path, bad))
    assert "brk.yaml:" in msg and "targets.el_double.metric" in msg
    assert "reads clusters.el.output in 2020 (through @2020) beside 2026" in msg
    assert "break in 2022" in msg and "read a year from 2022 on" in msg
    assert "通过 @2020 读取 clusters.el.output 在 2020 年的值" in msg


def test_an_at_year_after_the_break_or_on_an_unbroken_series_loads(tmp_path: Path) -> None:
    ok = """\
  el_since_break:
    kind: level
    label: el
    metric: output[el] / output[el]@2023
    year: 2026
    at_least: 1
  other_double:
    kind: reached_by
    label: other
    metric: output[other] / output[other]@2020
    from_year: 2024
    year: 2026
    at_least: 2
"""
    res = cs.run(cs.load_scenario(_write(tmp_path, ok)))
    # output[el]: 100 x 1.1^3 / 100; output[other] over its 2020 value 50: 110/50, 121/50, 133.1/50
    assert math.isclose(res.target("el_since_break").value[0], 1.1**3)
    assert math.isclose(res.target("other_double").value[0], 133.1 / 50)
