"""The sweep file as a pydantic model (issue 20 part 6): ``clustersim schema --sweep``."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

from clustersim.cli import app
from clustersim.sweep import spec
from clustersim.sweep.spec import RangeParam, SweepFile, ValuesParam, sweep_json_schema

ROOT = Path(__file__).resolve().parents[2]
SWEEPS = sorted((ROOT / "sweeps").glob("*.yaml"))


def test_the_model_has_the_documented_fields() -> None:
    """The model is the validator (no second list of keys): the fields docs/sweeps.md names."""
    assert tuple(SweepFile.model_fields) == (
        "scenario",
        "method",
        "samples",
        "seed",
        "chunk_size",
        "store",
        "replications",
        "fix",
        "parameters",
        "description",
        "source",
        "note",
    )
    assert set(RangeParam.model_fields) == {"range", *spec._PARAM_EXTRA}
    assert set(ValuesParam.model_fields) == {"values", "source", "note"}


@pytest.mark.parametrize("path", SWEEPS, ids=[p.stem for p in SWEEPS])
def test_every_shipped_sweep_file_meets_the_schema(path: Path) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    jsonschema.validate(data, sweep_json_schema())
    SweepFile.model_validate(data)
    spec.load_sweep(path)  # and the parser takes it


def test_schema_command_prints_the_sweep_schema(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["schema", "--sweep"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["title"] == "clustersim sweep file"
    assert set(doc["required"]) == {"scenario", "method"}
    assert doc["properties"]["method"]["enum"] == list(spec.METHODS)
    bad = {"scenario": "x.yaml", "method": "lhs", "sampels": 10}
    with pytest.raises(jsonschema.ValidationError, match="sampels"):
        jsonschema.validate(bad, doc)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"scenario": "x.yaml", "method": "latin"}, doc)
    out = tmp_path / "sweep.schema.json"
    assert CliRunner().invoke(app, ["schema", "--sweep", "--out", str(out)]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8")) == doc
