"""A stock fed by a flow that follows another series through an elasticity is checked like
the flow: a stock that overflows to infinity is refused by name, even when the targets read
it only in a year where it is still finite (and the flow itself stays finite)."""

from __future__ import annotations

import pytest

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
def test_a_stock_overflowing_after_the_target_year_is_refused() -> None:
    """The flow c_flow is 1e308 every year (an elasticity of 0 to gdp, which does not grow;
    finite, below the largest float ~1.798e308). The stock c starts at 0, exit rate 0:
    c = 0 + 1e308 = 1e308 in 2024, 1e308 + 1e308 = 2e308 -> infinity in 2025. The target
    reads c in 2024 only (finite), but c is not finite in 2025, and the run says so."""
    doc = {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
        "indicators": {
            "c": {
                "name": "c",
                "base": 0,
                "flow": {
                    "base": 1e308,
                    "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 0},
                },
            }
        },
        "targets": {
            "t": {"kind": "level", "label": "c", "metric": "c", "year": 2024, "at_least": 0}
        },
    }
    with pytest.raises(cs.ModelError, match="c is negative or not finite"):
        run_targets(cs.Scenario.model_validate(doc), samples=2, seed=1, engine="numpy")
