"""One cluster whose growth changes from year to year: the level multiplies each year's
own rate (a single cluster column must not be taken for a single rate for every year)."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_one_cluster_with_a_path_of_rates(engine: str) -> None:
    """Output 100 in 2023, +10% in 2024, +20% in 2025, +50% in 2026 (a step path):
    110, 132, 198. A rate held from 2024 on would give 133.1 in 2026."""
    doc = {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2026,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {
                "name": "A",
                "output": {
                    "base": 100,
                    "growth": {
                        "kind": "path",
                        "interpolation": "step",
                        "rates": {2024: 0.1, 2025: 0.2, 2026: 0.5},
                    },
                },
            }
        },
        "targets": {
            f"o{y}": {
                "kind": "level",
                "label": "o",
                "metric": "output[a]",
                "year": y,
                "at_least": 0,
            }
            for y in (2024, 2025, 2026)
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=2, seed=1, engine=engine)
    assert_allclose(out["o2024"].value, [110.0] * 2, rtol=1e-13)
    assert_allclose(out["o2025"].value, [132.0] * 2, rtol=1e-13)
    assert_allclose(out["o2026"].value, [198.0] * 2, rtol=1e-13)
