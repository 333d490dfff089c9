"""The ``level`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from clustersim.kinds.targets.level import LevelTarget, level_is_percent

from .conftest import GDP, OUT, check, outcome


@pytest.mark.parametrize(
    ("goal", "margin", "met"),
    [
        ({"at_least": 1150}, GDP[2026] - 1150.0, True),
        ({"at_least": 1160}, GDP[2026] - 1160.0, False),
        ({"at_most": 1150}, 1150.0 - GDP[2026], False),
        ({"at_most": 1160}, 1160.0 - GDP[2026], True),
        ({"between": [1100, 1200]}, 1200.0 - GDP[2026], True),
        ({"between": [1140, 1300]}, GDP[2026] - 1140.0, True),
        ({"between": [1160, 1200]}, GDP[2026] - 1160.0, False),
        ({"between": [1000, 1150]}, 1150.0 - GDP[2026], False),
    ],
)
def test_level_goals(goal: dict[str, Any], margin: float, met: bool) -> None:
    """Level of GDP in 2026 (1000 * 1.05^3 = 1157.625) against >=, <= and ranges."""
    tr = outcome({"kind": "level", "metric": "gdp", "year": 2026, **goal})
    check(tr, GDP[2026], margin, met)


def test_level_exactly_on_the_goal_is_met() -> None:
    """A value equal to the goal up to rounding counts as met (margin ~ 0)."""
    tr = outcome({"kind": "level", "metric": "gdp", "year": 2026, "at_least": 1157.625})
    assert abs(tr.margin[0]) < 1e-9 and bool(tr.met[0])


def test_level_of_a_picked_cluster_and_percent_goal() -> None:
    """output[d] in 2027 = 100 * 1.25^4; a "%" goal is a fraction (share of GDP)."""
    tr = outcome({"kind": "level", "metric": "output[d]", "year": 2027, "at_least": 250})
    check(tr, OUT["d"][2027], OUT["d"][2027] - 250.0, False)
    share = OUT["d"][2027] / GDP[2027]
    tr = outcome({"kind": "level", "metric": "output[d] / gdp", "year": 2027, "at_least": "20%"})
    check(tr, share, share - 0.20, True)


@pytest.mark.parametrize(
    ("goal", "value", "percent"),
    [
        (0.03, 0.029, True),  # rd_intensity >= 3%
        (0.5, 1.49, True),
        (0.5, 1.5, False),  # a value of 1.5 or more is not a share
        (0.5, -1.6, False),
        (1.0, 0.5, False),  # a goal of 1 or more is not a share
        (-0.99, 0.5, True),
        (3, 0.5, False),  # an integer goal is a count or an amount
        (0.5, math.nan, False),
    ],
)
def test_level_reads_as_a_percentage_only_for_share_like_goals(
    goal: Any, value: float, percent: bool
) -> None:
    assert level_is_percent(goal, value) is percent
    assert LevelTarget.is_percent(goal, value) is percent
