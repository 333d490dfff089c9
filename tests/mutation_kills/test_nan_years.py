"""A metric that is NaN in some year (0 / 0): the year-picking kinds never pick that year."""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_reached_by_skips_a_nan_year(engine: str) -> None:
    """odd = (gdp - 100) / (gdp - 100) * gdp is 0/0 = NaN in 2023 (gdp 100), then 110 and 121
    (gdp growing 10%). reached_by 200 from 2023 to 2025: the best year is 2025, value 121,
    margin 121 - 200 = -79, not met; the NaN year is never the best."""
    if engine == "numba":
        pytest.importorskip("numba")
    doc = {
        "id": "r",
        "name": "r",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.1}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
        "metrics": {"odd": "(gdp - 100) / (gdp - 100) * gdp"},
        "targets": {
            "r": {
                "kind": "reached_by",
                "label": "r",
                "metric": "odd",
                "from_year": 2023,
                "year": 2025,
                "at_least": 200,
            }
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=2, seed=1, engine=engine)["r"]
    assert_allclose(out.value, [121.0, 121.0], rtol=1e-13)
    assert_allclose(out.margin, [-79.0, -79.0], rtol=1e-12)
    assert not np.asarray(out.met).any()
