"""Provenance as an explicit object: returned by the loader beside the scenario, carried
to compile errors, kept through copies and pickling."""

from __future__ import annotations

import dataclasses
import pickle
from pathlib import Path

import pytest

import clustersim as cs
from clustersim.errors import ScenarioError
from clustersim.scenario.loader import load, load_data
from clustersim.scenario.provenance import Origin, Provenance

PARENT = """\
id: parent
name: Parent
base_year: 2020
end_year: 2025
region:
  gdp:
    base: 100
    growth: 0.05
"""
CHILD = """\
extends: parent.yaml
id: child
region:
  gdp:
    growth: 0.06
"""


@pytest.fixture
def files(tmp_path: Path) -> tuple[Path, Path]:
    parent, child = tmp_path / "parent.yaml", tmp_path / "child.yaml"
    parent.write_text(PARENT, encoding="utf-8")
    child.write_text(CHILD, encoding="utf-8")
    return parent, child


def test_origin_prints_file_and_line_and_is_frozen() -> None:
    o = Origin("a.yaml", 3, 5)
    assert str(o) == "a.yaml:3"
    with pytest.raises(dataclasses.FrozenInstanceError):
        o.line = 4  # type: ignore[misc]


def test_load_returns_the_provenance_beside_the_scenario(files: tuple[Path, Path]) -> None:
    parent, child = files
    sc, prov = load(child)
    assert isinstance(prov, Provenance) and sc.provenance is prov
    assert prov.files == (str(parent), str(child))
    assert prov.where(("region", "gdp", "growth")) == Origin(str(child), 5, 5)
    assert prov.where(("region", "gdp", "base")) == Origin(str(parent), 7, 5)
    assert prov.overridden[("region", "gdp", "growth")] == (Origin(str(parent), 8, 5),)
    assert prov.at(("region", "gdp", "base")) == f"{parent}:7: region.gdp.base"
    with pytest.raises(dataclasses.FrozenInstanceError):
        prov.files = ()  # type: ignore[misc]


def test_chain_names_the_files_from_the_loaded_one_to_the_setter(
    files: tuple[Path, Path],
) -> None:
    parent, child = files
    prov = load_data(child)
    assert prov.chain(("region", "gdp", "base")) == (str(child), str(parent))
    assert prov.chain(("region", "gdp", "growth")) == (str(child),)
    assert Provenance({}, {}).chain(("x",)) == ()


def test_a_scenario_built_in_python_has_none() -> None:
    sc = cs.Scenario.model_validate(
        {
            "id": "p",
            "name": "p",
            "base_year": 2020,
            "end_year": 2021,
            "region": {"gdp": {"base": 1}},
        }
    )
    assert sc.provenance is None
    assert cs.compile_scenario(sc).at("region", "gdp") == "region.gdp"


def test_compile_errors_name_the_line_through_the_explicit_provenance(
    files: tuple[Path, Path], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        PARENT.replace("growth: 0.05", "growth: {kind: elasticity, to: nothing, elasticity: 1}")
    )
    sc, prov = load(bad)
    with pytest.raises(ScenarioError, match=rf"^{bad}:8: region\.gdp\.growth\.to: elasticity"):
        cs.compile_scenario(sc)
    bare = cs.Scenario.model_validate(prov.data)  # the same scenario, no provenance
    with pytest.raises(ScenarioError, match=r"^region\.gdp\.growth\.to: elasticity"):
        cs.compile_scenario(bare)
    with pytest.raises(ScenarioError, match=rf"^{bad}:8: region\.gdp\.growth\.to"):
        cs.compile_scenario(bare, provenance=prov)


def test_provenance_survives_copies_and_pickling(files: tuple[Path, Path]) -> None:
    sc, prov = load(files[1])
    assert sc.model_copy(update={"note": "x"}).provenance is prov
    back = pickle.loads(pickle.dumps(sc))
    assert back.provenance == prov and back == sc
    comp = cs.compile_scenario(sc)
    assert comp.provenance is prov
