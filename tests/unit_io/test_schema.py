"""The JSON Schema accepts every shipped scenario file as written (shorthands included)
and rejects what the loader rejects for typos."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest
import yaml

from clustersim.scenario.models import scenario_json_schema

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def _data(path: Path) -> dict:
    # JSON object keys are strings: YAML year keys become "2024" as an editor sees them
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8"))))


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_shipped_files_validate_against_the_schema(path: Path) -> None:
    data = _data(path)
    schema = scenario_json_schema(partial="extends" in data)
    jsonschema.Draft202012Validator.check_schema(schema)
    errors = list(jsonschema.Draft202012Validator(schema).iter_errors(data))
    assert errors == [], [e.message[:200] for e in errors[:3]]


@pytest.mark.parametrize("partial", [False, True])
def test_schema_rejects_a_typo(partial: bool) -> None:
    data = _data(SCENARIOS[0])
    data["region"]["gdp"]["grwth"] = 0.05
    validator = jsonschema.Draft202012Validator(scenario_json_schema(partial=partial))
    assert any("grwth" in e.message for e in validator.iter_errors(data))


def test_full_schema_requires_the_essentials_partial_does_not() -> None:
    full = jsonschema.Draft202012Validator(scenario_json_schema())
    partial = jsonschema.Draft202012Validator(scenario_json_schema(partial=True))
    child = {"extends": "base.yaml", "id": "child"}
    assert any("required" in e.message for e in full.iter_errors(child))
    assert list(partial.iter_errors(child)) == []
