"""An input-output block with no coefficients couples nothing: with A = 0 the Leontief
solve x = (I - A)^-1 d is the final demand itself (compile._Builder._io)."""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core.project import project

DOC: dict[str, Any] = {
    "id": "io",
    "name": "io",
    "base_year": 2023,
    "end_year": 2025,
    "region": {"gdp": {"base": 100.0}},
    "clusters": {
        "a": {"name": "a", "output": {"base": 100, "growth": 0.10}},
        "b": {"name": "b", "output": {"base": 200, "growth": 0.0}},
    },
    "io": {
        "illustrative": True,
        "rest": {"output": {"base": 500, "growth": 0.05}},
        "coefficients": {},
    },
}


def test_no_coefficients_leave_each_output_at_its_final_demand() -> None:
    """a: 100, 110, 121 (+10%); b: 200 flat; the rest: 500, 525, 551.25 (+5%)."""
    out = project(compile_scenario(cs.Scenario.model_validate(DOC)).model)
    assert_allclose(np.asarray(out["output"]), [[[100, 110, 121], [200, 200, 200]]])
    assert_allclose(np.asarray(out["io_rest_output"]), [[500, 525, 551.25]])
