"""A level driven by an elasticity that overflows to infinity in a later year is refused,
naming the series, even when the targets read it only in a year where it is still finite."""

from __future__ import annotations

import pytest

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_level_overflowing_after_the_target_year_is_refused() -> None:
    """gdp doubles every year (+100%); rd_rest starts at 1e300 with an elasticity of 1000 to gdp:
    it grows 1 + 1000 * 1 = 1001-fold a year, 1.001e303 in 2024, ~1.002e306 in 2025 and
    ~1.003e309 in 2026, past the largest float (~1.798e308): infinity. The target reads it
    in 2024 only (finite), but it is not finite in 2026, and the run says so."""
    doc = {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2026,
        "region": {
            "gdp": {"base": 100, "growth": 1.0},
            "rd_rest": {
                "base": 1e300,
                "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 1000},
            },
        },
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
        "targets": {
            "t": {"kind": "level", "label": "x", "metric": "rd_rest", "year": 2024, "at_least": 0}
        },
    }
    with pytest.raises(cs.ModelError, match="rd_rest is negative or not finite"):
        run_targets(cs.Scenario.model_validate(doc), samples=2, seed=1, engine="numpy")
