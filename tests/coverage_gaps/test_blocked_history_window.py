"""A YearFrame window that lies wholly before the base year is read from history alone
(no projected span), and one that mixes history and projection joins them in year order:
GDP history 80 (2021), 90 (2022), then 100 growing 10% (100, 110, 121 in 2023-2025)."""

from __future__ import annotations

from typing import Any

from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core import expr as ex
from clustersim.core.blocked import YearFrame, project_time_major


def _frame() -> Any:
    d = {
        "id": "h",
        "name": "h",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.1}, "history": {"gdp": {2021: 80, 2022: 90}}},
    }
    comp = compile_scenario(cs.Scenario.model_validate(d), samples=2, seed=1)
    return YearFrame(project_time_major(comp.model), comp.model, {}, slice(None), 2)


def test_a_window_of_history_only() -> None:
    w = _frame().rows_window(ex.parse("gdp"), 2021, 2022)
    assert_allclose(w, [[80.0], [90.0]])  # (W, 1): the same for every sample


def test_a_window_across_the_base_year() -> None:
    w = _frame().rows_window(ex.parse("gdp"), 2022, 2024)
    assert_allclose(w, [[90.0], [100.0], [110.0]], rtol=1e-15)
