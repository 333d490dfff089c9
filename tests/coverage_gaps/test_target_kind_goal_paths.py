"""The report's goal path (``goal_path``) of the target kinds with ``marker = "path"``
that no report test draws, and ``reached_by``'s per-year values; each value by hand."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

from clustersim.kinds.targets import TARGET_KINDS
from clustersim.kinds.targets.reached_by import ReachedByTarget


def test_flow_every_year_goal_path_is_the_goal_every_year() -> None:
    """A yearly flow of at least 40: the path is 40 in every year, whatever the start."""
    kind = TARGET_KINDS["flow_every_year"]
    assert kind.marker == "path"
    assert [kind.goal_path(100.0, 40.0, n) for n in (0, 1, 3)] == [40.0, 40.0, 40.0]


def test_pp_change_goal_path_is_the_start_then_start_plus_goal() -> None:
    """A share of 0.25 to rise 0.05 (5 pp): 0.25 in the start year, 0.30 from the next."""
    kind = TARGET_KINDS["pp_change"]
    assert kind.marker == "path"
    assert [kind.goal_path(0.25, 0.05, n) for n in (0, 1, 4)] == [0.25, 0.25 + 0.05, 0.25 + 0.05]


def test_pp_change_per_year_goal_path_adds_the_goal_each_year() -> None:
    """0.20 rising 0.5 pp a year: 0.20, 0.205, 0.21, 0.215 (ref + goal * n)."""
    kind = TARGET_KINDS["pp_change_per_year"]
    assert kind.marker == "path"
    got = [kind.goal_path(0.20, 0.005, n) for n in (0, 1, 2, 3)]
    assert got == [0.20, 0.20 + 0.005, 0.20 + 2 * 0.005, 0.20 + 3 * 0.005]


def test_reached_by_per_year_is_the_metric_of_each_year() -> None:
    """reached_by compares the metric itself with the bound in each year of the window."""
    assert TARGET_KINDS["reached_by"] is ReachedByTarget
    w = np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]])
    assert_array_equal(ReachedByTarget.per_year(w), [[1, 2], [3, 4], [5, 6]])
