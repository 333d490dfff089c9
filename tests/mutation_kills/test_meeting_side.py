"""The nudge of a closed-form rate to the meeting side: the nearest rate within 256 ulps
(of 1 + |rate|) whose margin clears the goal, the formula first, then +1, -1, +2, ... ulps."""

from __future__ import annotations

import numpy as np

from clustersim.core.targets import Bound
from clustersim.engine import NUDGE_ULPS, SAFE, _meeting_side


def _needs(rate: float, k: int) -> float:
    """A margin met only from ``rate + k`` ulps up (the goal's scale is 1)."""
    return rate + k * float(np.spacing(1.0 + abs(rate)))


def test_the_farthest_nudge_is_256_ulps_up() -> None:
    rate, b = 0.05, Bound(lo=1.0)
    assert NUDGE_ULPS == 256 and b.scale == 1.0
    edge = _needs(rate, 256)

    def margins(cand: np.ndarray) -> np.ndarray:
        # SAFE above zero exactly from the 256th ulp up, below it before
        return np.where(cand >= edge, SAFE, -1.0)

    assert _meeting_side(rate, margins, b) == edge
    # one ulp further is out of reach: an inclusive goal keeps the formula's rate
    far = _needs(rate, 257)
    assert _meeting_side(rate, lambda c: np.where(c >= far, SAFE, -1.0), b) == rate


def test_the_nearest_meeting_rate_wins_and_below_comes_after_above() -> None:
    """Met from 3 ulps down and from 3 ulps up: +3 is tried before -3 (the order +1, -1,
    +2, -2, ...), so +3 ulps is kept."""
    rate, b = 0.05, Bound(lo=1.0)
    up, down = _needs(rate, 3), _needs(rate, -3)

    def margins(cand: np.ndarray) -> np.ndarray:
        return np.where((cand >= up) | (cand <= down), SAFE, -1.0)

    assert _meeting_side(rate, margins, b) == up


def test_a_strict_goal_not_cleared_within_reach_is_left_to_the_search() -> None:
    """more_than 1: no candidate clears it, so no rate is kept (None: the search decides);
    an inclusive goal keeps the formula's rate instead."""
    rate = 0.05
    assert (
        _meeting_side(rate, lambda c: np.full(c.shape, -1e-3), Bound(lo=1.0, strict=True)) is None
    )
    assert _meeting_side(rate, lambda c: np.full(c.shape, -1e-3), Bound(lo=1.0)) == rate
