"""The growth-kind registry: every kind is registered, complete, read by the scenario
model, the schema, the loader's suggestions and the compiler."""

from __future__ import annotations

import inspect
import math
import typing
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose
from pydantic import TypeAdapter, ValidationError

import clustersim as cs
from clustersim.kinds.growth import GROWTH_KINDS, CompiledGrowth, Growth, GrowthKind
from clustersim.scenario import loader
from clustersim.scenario.models import scenario_json_schema

BASE, END = 2023, 2027
YEARS = np.arange(BASE, END + 1, dtype=np.int64)

#: one example per registered kind and the region GDP it projects from 100 over 2023-2027
#: (its closed form). A new kind adds its line (test_every_kind_has_an_example).
EXAMPLES: dict[str, tuple[dict[str, Any], list[float]]] = {
    "constant": ({"kind": "constant", "rate": 0.1}, [100 * 1.1**t for t in range(5)]),
    "path": (
        {"kind": "path", "rates": {2024: 0.1, 2026: 0.0}},
        [100.0, 110.0, 121.0, 121.0, 121.0],
    ),
    "linear": (
        {"kind": "linear", "start": 0.0, "end": 0.3, "from_year": 2024, "to_year": 2027},
        [100.0, 100.0, 110.0, 132.0, 171.6],
    ),
    "to_target": (
        {"kind": "to_target", "value": 200.0, "year": 2027},
        [100 * 2 ** (t / 4) for t in range(5)],
    ),
    "logistic": (
        {"kind": "logistic", "capacity": 400.0, "rate": 0.5},
        [400 / (1 + 3 * math.exp(-0.5 * t)) for t in range(5)],
    ),
    # gdp follows population's 10% a year with elasticity 0.5
    "elasticity": (
        {"kind": "elasticity", "to": "population", "elasticity": 0.5},
        [100 * 1.05**t for t in range(5)],
    ),
}


def test_every_kind_has_an_example() -> None:
    assert set(EXAMPLES) == set(GROWTH_KINDS)


@pytest.mark.parametrize("kind", list(GROWTH_KINDS))
def test_registered_class_is_complete(kind: str) -> None:
    cls = GROWTH_KINDS[kind]
    assert issubclass(cls, GrowthKind) and not inspect.isabstract(cls)
    assert typing.get_args(cls.model_fields["kind"].annotation) == (kind,)
    assert cls.__doc__ and cls.__module__ == f"clustersim.kinds.growth.{kind}"
    assert {"source", "note"} <= set(cls.model_fields)


@pytest.mark.parametrize("kind", list(GROWTH_KINDS))
def test_the_growth_union_schema_and_suggestions_read_the_registry(kind: str) -> None:
    parsed = TypeAdapter(Growth).validate_python(EXAMPLES[kind][0])
    assert type(parsed) is GROWTH_KINDS[kind]
    defs = scenario_json_schema()["$defs"]
    assert defs[GROWTH_KINDS[kind].__name__]["properties"]["kind"]["const"] == kind
    assert kind in loader._ALL_TAGS  # "did you mean" knows it


def test_an_unknown_kind_lists_the_registry() -> None:
    with pytest.raises(ValidationError) as info:
        TypeAdapter(Growth).validate_python({"kind": "exponential", "rate": 0.1})
    for kind in GROWTH_KINDS:
        assert repr(kind) in str(info.value)


class _Context:
    """The smallest GrowthContext: plain numbers, no sampling."""

    years = YEARS

    def value(self, num: Any, path: str, lo: float = -math.inf, hi: float = math.inf) -> Any:
        return np.array([float(num)])


@pytest.mark.parametrize("kind", list(GROWTH_KINDS))
def test_compile_gives_rates_and_links(kind: str) -> None:
    gr = TypeAdapter(Growth).validate_python(EXAMPLES[kind][0])
    out = gr.compile(_Context(), np.array([100.0]), "region.gdp.growth")
    assert isinstance(out, CompiledGrowth)
    assert out.rates.ndim == 2 and out.rates.shape[0] == 1
    assert out.rates.shape[1] in (1, len(YEARS))
    assert all(isinstance(src, str) and e.shape == (1,) for src, e in out.links)
    assert bool(out.links) == (kind == "elasticity")


@pytest.mark.parametrize("kind", list(GROWTH_KINDS))
def test_each_kind_projects_its_closed_form(kind: str) -> None:
    growth, want = EXAMPLES[kind]
    sc = cs.Scenario.model_validate(
        {
            "id": "k",
            "name": "k",
            "base_year": BASE,
            "end_year": END,
            "region": {
                "gdp": {"base": 100.0, "growth": growth},
                "population": {"base": 10.0, "growth": 0.1},
            },
        }
    )
    assert_allclose(cs.run(sc, required=False).series["gdp"][0], want, rtol=1e-12)
