"""An engine without a kind's compiled form refuses the kind by name; it never computes
another kind's value (the numba generator used to fall through to ``level``)."""

from __future__ import annotations

import importlib.util
from typing import ClassVar, Literal

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.accel.codegen import generate
from clustersim.compile import Compiled
from clustersim.core.blocked import evaluate_targets
from clustersim.core.expr import parse
from clustersim.core.targets import Bound, Frame, Outcome, TargetSpec, point_outcome
from clustersim.kinds.targets import TARGET_KINDS, TargetKind

from .conftest import GDP, base_dict


class DummyTarget(TargetKind):
    """Twice a metric in a year: a kind with a NumPy evaluation and no compiled form."""

    kind: Literal["dummy_twice"]
    metric: str
    year: int

    doc_fields: ClassVar[str] = "`metric`, `year`"
    doc_value: ClassVar[str] = "`2 x[year]`"

    @classmethod
    def evaluate(cls, t: TargetSpec, f: Frame) -> Outcome:
        return point_outcome(t, f, 2.0 * f.rows_at(t.metric, t.year))


@pytest.fixture
def dummy(monkeypatch: pytest.MonkeyPatch) -> type[DummyTarget]:
    """The dummy kind, registered for the test only."""
    monkeypatch.setitem(TARGET_KINDS, "dummy_twice", DummyTarget)
    return DummyTarget


def _compiled() -> Compiled:
    d = base_dict()
    d["targets"] = {
        "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2026, "at_least": 1}
    }
    return cs.compile_scenario(cs.Scenario.model_validate(d), samples=16, seed=1, draw=True)


def test_numpy_engine_evaluates_the_dummy(dummy: type[DummyTarget]) -> None:
    comp = _compiled()
    spec = dummy.spec("d", parse("gdp"), 2026, Bound(lo=2000.0))
    out = evaluate_targets(comp.model, [spec], comp.metrics)
    assert_allclose(out["d"].value, np.full(16, 2.0 * GDP[2026]), rtol=1e-12)


def test_numba_generator_refuses_a_kind_without_compiled_form(dummy: type[DummyTarget]) -> None:
    comp = _compiled()
    spec = dummy.spec("d", parse("gdp"), 2026, Bound(lo=2000.0))
    with pytest.raises(cs.ScenarioError, match=r"numba engine .* target kind 'dummy_twice'"):
        generate(comp.model, [spec], comp.metrics)


def test_numba_generator_refuses_an_unregistered_kind() -> None:
    comp = _compiled()
    level = comp.targets["t"].spec
    spec = TargetSpec(
        "x", "not_a_kind", level.metric, level.year, level.bound, evaluate=level.evaluate
    )
    with pytest.raises(cs.ScenarioError, match="target kind 'not_a_kind'"):
        generate(comp.model, [spec], comp.metrics)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="needs numba")
def test_numba_engine_refuses_by_name(dummy: type[DummyTarget]) -> None:
    """Through the engine's entry point, before anything is compiled or computed."""
    from clustersim.accel.kernel import evaluate_targets as fused

    comp = _compiled()
    spec = dummy.spec("d", parse("gdp"), 2026, Bound(lo=2000.0))
    with pytest.raises(cs.ScenarioError, match=r"'dummy_twice'.*engine='numpy'"):
        fused(comp.model, [spec], comp.metrics)


@pytest.mark.skipif(importlib.util.find_spec("numba") is None, reason="needs numba")
@pytest.mark.parametrize("kind", ["growth_every_year", "pp_change_per_year"])
def test_numba_window_starting_in_history(kind: str) -> None:
    """A window from 2021 reads history years the kernel unrolls before its loop: GDP grows
    940/880 - 1, 1000/940 - 1, then 5% a year; the binding (smallest) year is the first."""
    d = base_dict()
    d["targets"] = {
        "t": {"kind": kind, "label": "t", "metric": "gdp", "from_year": 2021, "year": 2026}
    }
    d["targets"]["t"]["at_least"] = 0.055 if kind == "growth_every_year" else 61.0
    sc = cs.Scenario.model_validate(d)
    from clustersim.engine import run_targets

    out = run_targets(sc, samples=3, seed=1, engine="numba")["t"]
    years = range(2022, 2027)
    if kind == "growth_every_year":
        per_year = [GDP[y] / GDP[y - 1] - 1 for y in years]
    else:  # percentage points a year of the level itself
        per_year = [GDP[y] - GDP[y - 1] for y in years]
    want = min(per_year)
    assert_allclose(out.value, np.full(3, want), rtol=1e-12)
    goal = d["targets"]["t"]["at_least"]
    assert_allclose(out.margin, np.full(3, want - goal), rtol=1e-12, atol=1e-15)
