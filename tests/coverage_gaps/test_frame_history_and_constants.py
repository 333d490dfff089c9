"""The reference :class:`Frame`: a trajectory of an expression that reads no series is
refused, and cluster history given for some clusters only is named per cluster when a
target reads that year (both engines' paths through a run say the same)."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.core import expr as ex
from clustersim.core.targets import Frame, HistoryMissing
from clustersim.engine import run_targets

YEARS = np.array([2023, 2024, 2025], dtype=np.int64)


def _frame(history: Any = None) -> Frame:
    out = np.array([[[100.0, 105.0, 110.25], [50.0, 52.5, 55.125]]])  # (S=1, C=2, T=3)
    return Frame({"output": out}, YEARS, ["a", "b"], {}, history or {})


def test_a_trajectory_of_a_constant_is_refused() -> None:
    with pytest.raises(ex.ExprError) as e:
        _frame().trajectory(ex.parse("2 * 3"))
    assert str(e.value) == (
        "the expression has no values per sample and year (it reads no series, or an "
        "empty selection of clusters)"
    )
    # a series reads fine: a's and b's output summed, 150, 157.5, 165.375
    assert_allclose(_frame().trajectory(ex.parse("sum(output)")), [[150.0, 157.5, 165.375]])


def test_history_of_some_clusters_only_names_the_missing_ones() -> None:
    f = _frame({"output": {2022: np.array([[90.0, np.nan]])}})
    with pytest.raises(HistoryMissing) as e:
        f.at(ex.parse("sum(output)"), 2022)
    assert str(e.value) == "the history in 2022 is incomplete: no value for output[b]"
    full = _frame({"output": {2022: np.array([[90.0, 45.0]])}})
    assert_allclose(full.at(ex.parse("sum(output)"), 2022), [135.0])


def test_a_run_reading_incomplete_history_says_which_target() -> None:
    d = {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}, "history": {"output": {2022: 90}}},
            "b": {"name": "B", "output": {"base": 50}},
        },
        "targets": {
            "t": {
                "kind": "change_since",
                "label": "t",
                "metric": "sum(output)",
                "from_year": 2022,
                "year": 2025,
                "at_least": 0,
            }
        },
    }
    with pytest.raises(cs.ScenarioError) as e:
        cs.run(cs.Scenario.model_validate(d), samples=2, seed=1)
    assert str(e.value) == "targets.t: the history in 2022 is incomplete: no value for output[b]"
    # the chunked target-only run names the targets block
    with pytest.raises(cs.ScenarioError) as e:
        run_targets(cs.Scenario.model_validate(d), samples=2, seed=1, engine="numpy")
    assert str(e.value) == "targets: the history in 2022 is incomplete: no value for output[b]"
