"""Import-time defaults a user meets through the public API (batch j10).

Kills:

- ``src/clustersim/engine.py:run_compiled:03e997c076`` (``required: bool = True`` ->
  ``False``): ``run_compiled(comp)`` without ``required`` finds the growth each target
  needs. gdp 100 in 2023, goal 121 in 2025: 100 (1 + r)^2 = 121 gives r = 0.1 exactly.
- ``src/clustersim/sampling/base.py:<module>:15c65b4ff3`` (``POSITIVE = {"positive":
  True}`` -> ``False``): the scenario model of a distribution types a ``POSITIVE`` field
  as > 0, so sd 0 or a negative median is refused by the field's own bound (pydantic's
  ``greater_than``, "Input should be greater than 0", at that field), not by the sampling
  class's ``ValueError`` afterwards.
- ``src/clustersim/core/targets.py:TargetSpec:4f25f11485`` (``bands: bool = True`` ->
  ``False``): a hand-built count_over :class:`TargetSpec` with tiers counts a cluster in
  its highest tier only unless told otherwise. Outputs 120, 70, 10; tiers ">= 100: at
  least 1" and ">= 50: at least 2". In bands the 100 tier has a (1, margin 0) and the 50
  tier has b only (1, margin -1): value 1, margin -1, not met. Without bands the 50 tier
  also counts a (2, margin 0): met.
- ``src/clustersim/core/targets.py:TargetSpec:76cd6ccdf4`` (``window`` field
  ``kw_only=True`` -> ``False``): ``window`` is keyword-only; a twelfth positional
  argument (after ``id`` .. ``over``) is refused with a TypeError instead of being taken
  as the window flag.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pydantic
import pytest

import clustersim as cs
from clustersim import engine
from clustersim.compile import compile_scenario
from clustersim.core import expr as ex
from clustersim.core.targets import Bound, Frame, TargetSpec, Tier
from clustersim.kinds.targets import TARGET_KINDS
from clustersim.values.numbers import DIST_MODELS


def _scenario() -> cs.Scenario:
    return cs.Scenario.model_validate(
        {
            "id": "e",
            "name": "e",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100, "growth": 0.05}},
            "clusters": {"a": {"name": "A", "output": {"base": 100, "growth": 0.05}}},
            "targets": {
                "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "at_least": 121}
            },
        }
    )


def test_run_compiled_finds_the_required_growth_by_default() -> None:
    res = engine.run_compiled(compile_scenario(_scenario()))
    req = res.target("t").required_growth
    assert req is not None
    assert req["series"] == "gdp"
    assert req["rate"] == pytest.approx(0.1, rel=1e-9)


@pytest.mark.parametrize(
    ("dist", "field", "params"),
    [
        ("normal", "sd", {"mean": 1.0, "sd": 0.0}),
        ("normal", "sd", {"mean": 1.0, "sd": -1.0}),
        ("lognormal", "median", {"median": 0.0, "sigma": 0.5}),
        ("lognormal", "sigma", {"median": 1.0, "sigma": -0.5}),
    ],
)
def test_a_positive_parameter_is_refused_by_its_field_bound(
    dist: str, field: str, params: dict[str, float]
) -> None:
    with pytest.raises(pydantic.ValidationError) as e:
        DIST_MODELS[dist].model_validate({"dist": dist, **params})
    errs = e.value.errors()
    assert [(x["type"], x["loc"], x["msg"]) for x in errs] == [
        ("greater_than", (field,), "Input should be greater than 0")
    ]


def test_a_positive_parameter_above_zero_is_accepted() -> None:
    m: Any = DIST_MODELS["normal"].model_validate({"dist": "normal", "mean": 1.0, "sd": 1e-9})
    assert m.sd == 1e-9


def _frame() -> Frame:
    output = np.array([[[120.0], [70.0], [10.0]]])  # (S=1, C=3, T=1)
    years = np.array([2030], dtype=np.int64)
    return Frame({"output": output}, years, ["a", "b", "c"], {}, {})


def _tiered(**kw: Any) -> TargetSpec:
    kind: Any = TARGET_KINDS["count_over"]
    return TargetSpec(
        "t1",
        "count_over",
        ex.parse("output"),
        2030,
        Bound(),
        tiers=(Tier(100.0, 1), Tier(50.0, 2)),
        evaluate=kind.evaluate,
        **kw,
    )


def test_a_hand_built_tiered_count_is_in_bands_by_default() -> None:
    spec = _tiered()
    assert spec.bands is True
    out = spec.evaluate(spec, _frame())
    assert out.value.tolist() == [1.0]
    assert out.margin.tolist() == [-1.0]
    assert out.met.tolist() == [False]


def test_without_bands_a_cluster_counts_in_every_tier_it_reaches() -> None:
    spec = _tiered(bands=False)
    out = spec.evaluate(spec, _frame())
    assert out.margin.tolist() == [0.0]
    assert out.met.tolist() == [True]


def test_the_window_flag_is_keyword_only() -> None:
    kind: Any = TARGET_KINDS["level"]
    args = ("t1", "level", ex.parse("gdp"), 2030, Bound(), None, None, None, (), True, ())
    with pytest.raises(TypeError, match="positional argument"):
        TargetSpec(*args, True, evaluate=kind.evaluate)  # type: ignore[misc]
    spec = TargetSpec(*args, evaluate=kind.evaluate, window=True)
    assert spec.window is True
