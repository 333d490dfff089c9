"""Every shipped scenario validates, names a source for every number and target, and runs."""

from __future__ import annotations

from pathlib import Path

import pytest

import clustersim as cs
from clustersim.scenario.audit import unsourced

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def test_the_shipped_set() -> None:
    names = {p.stem for p in SCENARIOS}
    for region in ("zhenjiang", "shenzhen", "ezhou", "jiangxi"):
        assert f"{region}-trend" in names
    assert {
        "example",
        "zhenjiang-2026-draft",
        "zhenjiang-2026",
        "shenzhen-2025",
        "ezhou-2029",
        "jiangxi-2025",
    } <= names


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_number_has_a_source(path: Path) -> None:
    assert unsourced(cs.load_scenario(path)) == []


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_runs_and_reports_every_target(path: Path) -> None:
    sc = cs.load_scenario(path)
    res = cs.run(sc, samples=200, seed=7)
    assert [t.id for t in res.targets] == list(sc.targets)
    for t in res.targets:
        assert 0.0 <= t.probability <= 1.0
        assert t.status in ("met", "missed")


def test_audit_finds_a_missing_source() -> None:
    """A number with no source on it or on an enclosing block is listed; a block source covers."""
    base = {
        "id": "a",
        "name": "A",
        "base_year": 2020,
        "end_year": 2022,
        "source": "file description (covers nothing)",
        "region": {"gdp": {"base": 100.0, "growth": 0.05}},
        "targets": {
            "t": {"kind": "level", "label": "T", "metric": "gdp", "year": 2022, "at_least": 1}
        },
    }
    sc = cs.Scenario.model_validate(base)
    assert unsourced(sc) == ["targets.t", "region.gdp.base", "region.gdp.growth.rate"]
    base["region"]["gdp"]["source"] = "csv row"
    base["targets"]["t"]["source"] = "seed"
    assert unsourced(cs.Scenario.model_validate(base)) == []
