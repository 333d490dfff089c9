"""A metric made only of ``x@year`` values is the same in every projection year: read in a
later year than the first, by the reference (projection) engine as by the NumPy one, with
a drawn series (one value per sample) or a fixed one."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


def _doc(gdp_base: Any, metric: str) -> dict[str, Any]:
    return {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": gdp_base, "growth": 0.1}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
        "metrics": {"m": "gdp@2025 / gdp@2023"},
        "targets": {
            f"t{y}": {"kind": "level", "label": "t", "metric": metric, "year": y, "at_least": 0}
            for y in (2023, 2024, 2026)
        },
    }


@pytest.mark.parametrize("engine", ["projection", "numpy"])
@pytest.mark.parametrize("metric", ["m", "gdp@2025 / gdp@2023"])
@pytest.mark.parametrize("gdp_base", [{"dist": "uniform", "low": 90, "high": 110}, 100])
def test_a_metric_of_year_values_in_every_year(engine: str, metric: str, gdp_base: Any) -> None:
    """gdp grows 10% a year from whatever its base: gdp@2025 / gdp@2023 = 1.1 ** 2 = 1.21
    for every sample, in 2023 (the first year) as in 2024 and 2026."""
    doc = _doc(gdp_base, metric)
    out = run_targets(cs.Scenario.model_validate(doc), samples=3, seed=1, engine=engine)
    for y in (2023, 2024, 2026):
        assert out[f"t{y}"].value.shape == (3,)
        assert_allclose(out[f"t{y}"].value, [1.21] * 3, rtol=1e-13)
