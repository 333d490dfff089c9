"""A ScenarioCompiler of a scenario loaded from a file names the file and line in its
errors (the scenario's own provenance, when none is passed)."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustersim.compile import ScenarioCompiler
from clustersim.errors import ScenarioError
from clustersim.scenario.loader import load_data, load_scenario

SCENARIO = """\
id: s
name: s
base_year: 2023
end_year: 2025
region:
  gdp: {base: 100}
indicators:
  st:
    kind: stock
    name: st
    base: 10
    flow: {base: 1}
    exit_rate: 1.5
clusters:
  a: {name: A, output: {base: 1}}
"""


def test_a_compile_error_names_the_scenario_file_and_line(tmp_path: Path) -> None:
    """exit_rate: 1.5 is on line 13 of the file."""
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO, encoding="utf-8")
    compiler = ScenarioCompiler(load_scenario(p), seed=1)
    with pytest.raises(ScenarioError) as info:
        compiler.compile(samples=1)
    assert str(info.value) == (
        f"{p}:13: indicators.st.exit_rate: 1.5 is not allowed: the value must be between 0 and 1"
    )


def test_a_provenance_passed_in_is_the_one_named(tmp_path: Path) -> None:
    """The same scenario with the provenance of a copy two lines lower (two comment lines
    first): the error names the copy, line 15."""
    p = tmp_path / "s.yaml"
    p.write_text(SCENARIO, encoding="utf-8")
    q = tmp_path / "t.yaml"
    q.write_text("# a copy\n# two lines lower\n" + SCENARIO, encoding="utf-8")
    compiler = ScenarioCompiler(load_scenario(p), seed=1, provenance=load_data(q))
    with pytest.raises(ScenarioError) as info:
        compiler.compile(samples=1)
    assert str(info.value).startswith(f"{q}:15: indicators.st.exit_rate: ")
