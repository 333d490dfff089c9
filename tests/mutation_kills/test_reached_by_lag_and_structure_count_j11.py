"""Two survivors of the third full run under its 10 s budget (killed without it by slower
tests): ``ReachedByTarget.lag = 0 -> 1`` (a compiled kernel would skip the window's first
year) and ``ScenarioCompiler.structure_compiles`` (counted once per structure: 0 before the
first compile, 1 after any number of compiles of one scenario)."""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.compile import ScenarioCompiler
from clustersim.engine import run_targets
from clustersim.engines import ENGINES

BASE = 2023


def _declining(target: dict[str, Any]) -> cs.Scenario:
    return cs.Scenario.model_validate(
        {
            "id": "d",
            "name": "d",
            "base_year": BASE,
            "end_year": BASE + 3,
            "region": {"gdp": {"base": 100.0, "growth": -0.05}},
            "clusters": {"a": {"name": "A", "output": {"base": 10.0, "growth": 0.02}}},
            "targets": {"t": target},
        }
    )


@pytest.mark.parametrize(
    "engine",
    [
        pytest.param(n, marks=[] if e.available() else [pytest.mark.skip(reason=f"no {n}")])
        for n, e in ENGINES.items()
    ],
)
def test_reached_by_counts_the_windows_first_year(engine: str) -> None:
    """gdp 100 falling 5% a year: at least 100 is reached in 2023 only (the window's first
    year), so the target is met there with value 100 and margin 0; from 2024 on the best
    year would be 2024's 95 (margin -5), not met."""
    sc = _declining(
        {
            "kind": "reached_by",
            "label": "t",
            "metric": "gdp",
            "from_year": BASE,
            "year": BASE + 3,
            "at_least": 100,
        }
    )
    out = run_targets(sc, samples=1, seed=1, engine=engine)["t"]
    assert bool(out.met[0]) is True
    assert float(out.value[0]) == 100.0
    assert float(out.margin[0]) == 0.0


def test_the_structure_is_compiled_once_per_scenario() -> None:
    sc = _declining({"kind": "level", "label": "t", "metric": "gdp", "year": BASE, "at_least": 1})
    compiler = ScenarioCompiler(sc, seed=3, draw=False)
    assert compiler.structure_compiles == 0
    first = compiler.compile(samples=1)
    compiler.compile(samples=1)
    compiler.compile(samples=1, offset=2)
    assert compiler.structure_compiles == 1
    # the reused structure projects the same: 100 in the base year
    assert float(cs.run(sc, required=False).target("t").value[0]) == 100.0
    assert first.model.base_year == BASE
