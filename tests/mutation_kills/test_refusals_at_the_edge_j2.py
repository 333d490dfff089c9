"""Refusals a user sees, at their edges.

- ``between: [high, low]`` is refused with its message; ``[x, x]`` (a point goal) is not.
- ``uniform`` with low == high is refused (it has no width); the central value clipped to
  bounds that meet in one point is that point, not a refusal (the refusal is for bounds
  that do not meet).
- A growth block that is neither a number, a distribution nor a dict with ``rate`` is
  not turned into ``kind: constant``: ``{shape: 1}`` is refused for its missing ``kind``,
  ``null`` as not an object (a validation error either way, not a crash).
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

import clustersim as cs
from clustersim.sampling.uniform import Uniform


def _doc(growth: Any = 0.05, target: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.05}},
        "clusters": {"a": {"name": "A", "output": {"base": 100, "growth": growth}}},
        "targets": {"t": target} if target else {},
    }


def _between(lo: float, hi: float) -> dict[str, Any]:
    return {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "between": [lo, hi]}


def test_between_high_low_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"between: \[130\.0, 121\.0\] must be \[low, high\]"):
        cs.Scenario.model_validate(_doc(target=_between(130, 121)))
    cs.Scenario.model_validate(_doc(target=_between(121, 121)))  # a point goal
    cs.Scenario.model_validate(_doc(target=_between(100, 130)))


def test_uniform_without_width_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^low \(1\.0\) must be below high \(1\.0\)$"):
        Uniform(low=1.0, high=1.0)
    assert Uniform(low=1.0, high=2.0).central == 1.5


def test_bounds_meeting_in_one_point_give_that_point() -> None:
    u = Uniform(low=0.0, high=1.0)  # central 0.5
    assert u.central_within(lo=1.0) == 1.0  # [1, inf) and [0, 1] meet at 1
    assert u.central_within(hi=0.0) == 0.0
    with pytest.raises(ValueError, match="no mass where the value is allowed"):
        u.central_within(lo=1.5)


def test_growth_without_kind_or_rate_is_not_a_constant() -> None:
    with pytest.raises(ValidationError) as err:
        cs.Scenario.model_validate(_doc(growth={"shape": 1}))
    assert "Unable to extract tag using discriminator 'kind'" in str(err.value)
    with pytest.raises(ValidationError) as err:
        cs.Scenario.model_validate(_doc(growth=None))
    assert "clusters.a.output.growth" in str(err.value)
    # a dict with a rate and no kind is the constant shorthand
    sc = cs.Scenario.model_validate(_doc(growth={"rate": 0.05}))
    assert sc.clusters["a"].output.growth.kind == "constant"
