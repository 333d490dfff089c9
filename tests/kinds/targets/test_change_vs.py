"""The ``change_vs`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from .conftest import ENERGY_REST, GDP, check, outcome


def test_change_vs_history() -> None:
    """Energy intensity in 2025 against 2020 history (0.25), base year 2023."""
    ei = ENERGY_REST[2025] / GDP[2025]
    value = ei / 0.25 - 1.0
    tr = outcome(
        {
            "kind": "change_vs",
            "metric": "energy_intensity",
            "relative_to": 2020,
            "year": 2025,
            "at_most": -0.14,
        }
    )
    check(tr, value, -0.14 - value, True)
    tr = outcome(
        {
            "kind": "change_vs",
            "metric": "energy_intensity",
            "relative_to": 2020,
            "year": 2025,
            "at_most": -0.31,
        }
    )
    check(tr, value, -0.31 - value, False)
    assert -0.31 < value < -0.30  # 0.174222 / 0.25 - 1 = -0.3031


def test_change_vs_inside_projection() -> None:
    """GDP 2027 vs 2024: 1.05^3 - 1."""
    tr = outcome(
        {"kind": "change_vs", "metric": "gdp", "relative_to": 2024, "year": 2027, "at_least": 0.15}
    )
    check(tr, 1.05**3 - 1.0, 1.05**3 - 1.15, True)
