"""Both projection cores end their dispatch over the op types with a TypeError naming the
op: an object that is none of them (a model cannot hold one; these are the guards that
keep a new op type from being projected as another)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core.blocked import project_time_major
from clustersim.core.project import _evaluate


@dataclass(frozen=True)
class Strange:
    name: str = "strange"


def test_the_reference_core_names_an_unknown_op() -> None:
    op: Any = Strange()
    with pytest.raises(TypeError) as e:
        _evaluate(op, {}, 1)
    assert str(e.value) == "unknown op Strange(name='strange')"


def test_the_block_core_names_an_unknown_op() -> None:
    d = {
        "id": "u",
        "name": "u",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
    }
    tm = project_time_major(compile_scenario(cs.Scenario.model_validate(d)).model)
    op: Any = Strange()
    with pytest.raises(TypeError) as e:
        tm._per_year(op, 0, 1)
    assert str(e.value) == "unknown op Strange(name='strange')"
    assert np.asarray(tm["gdp"]).ravel().tolist() == [100.0, 100.0, 100.0]  # still reads
