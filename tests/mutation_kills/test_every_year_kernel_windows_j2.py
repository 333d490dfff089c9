"""The compiled (numba) kernel of an every-year target checks every year of its window:
the history years (unrolled) up to the base year, and the projected years (a loop), also
when the loop is a single year.

gdp: 900 in 2021, 980 in 2022 (history), 1000 in 2023 (base), then 5% a year. Annual
growth: 2022 980/900 - 1 = 8.9%, 2023 1000/980 - 1 = 2.04% (the lowest), 2024 and 2025 5%.
- growth in every year of (2021, 2025] >= 3%: binds in 2023 (the last history year):
  value 1000/980 - 1 = 1/49 = 0.020408..., margin 1/49 - 0.03.
- growth in every year of (2023, 2024] >= 6%: one projected year, 2024, at 5%: value 0.05,
  margin -0.01.
"""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim.engine import run_targets


def _outcome(from_year: int, year: int, goal: float, engine: str) -> tuple[float, float]:
    d: dict[str, Any] = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {
            "gdp": {"base": 1000, "growth": 0.05},
            "history": {"gdp": {2021: 900, 2022: 980}},
        },
        "clusters": {"a": {"name": "A", "output": {"base": 10, "growth": 0.05}}},
        "targets": {
            "t": {
                "kind": "growth_every_year",
                "label": "t",
                "metric": "gdp",
                "from_year": from_year,
                "year": year,
                "at_least": goal,
            }
        },
    }
    out = run_targets(cs.Scenario.model_validate(d), samples=2, seed=1, engine=engine)["t"]
    return float(out.value[0]), float(out.margin[0])


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_the_last_history_year_binds(engine: str) -> None:
    value, margin = _outcome(2021, 2025, 0.03, engine)
    assert value == pytest.approx(1 / 49, rel=1e-12)
    assert margin == pytest.approx(1 / 49 - 0.03, rel=1e-9)


@pytest.mark.parametrize("engine", ["numba", "numpy"])
def test_a_window_of_one_projected_year(engine: str) -> None:
    value, margin = _outcome(2023, 2024, 0.06, engine)
    assert value == pytest.approx(0.05, rel=1e-12)
    assert margin == pytest.approx(-0.01, rel=1e-9)
