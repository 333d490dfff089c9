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
    # one ulp further is out of reach: no rate is kept (None: the search decides), but a
    # point goal, which no float may meet with a margin >= 0, keeps the formula's rate
    far = _needs(rate, 257)
    assert _meeting_side(rate, lambda c: np.where(c >= far, SAFE, -1.0), b) is None
    point = Bound(lo=1.0, hi=1.0)
    assert _meeting_side(rate, lambda c: np.where(c >= far, SAFE, -1.0), point) == rate


def test_the_nearest_meeting_rate_wins_and_below_comes_after_above() -> None:
    """Met from 3 ulps down and from 3 ulps up: +3 is tried before -3 (the order +1, -1,
    +2, -2, ...), so +3 ulps is kept."""
    rate, b = 0.05, Bound(lo=1.0)
    up, down = _needs(rate, 3), _needs(rate, -3)

    def margins(cand: np.ndarray) -> np.ndarray:
        return np.where((cand >= up) | (cand <= down), SAFE, -1.0)

    assert _meeting_side(rate, margins, b) == up


def test_a_goal_not_reached_within_reach_is_left_to_the_search() -> None:
    """more_than 1 or at_least 1: no candidate reaches it, so no rate is kept (None: the
    search decides); only a point goal keeps the formula's rate."""
    rate = 0.05
    short = lambda c: np.full(c.shape, -1e-3)  # noqa: E731
    assert _meeting_side(rate, short, Bound(lo=1.0, strict=True)) is None
    assert _meeting_side(rate, short, Bound(lo=1.0)) is None
    assert _meeting_side(rate, short, Bound(lo=1.0, hi=1.0)) == rate


def test_a_tiny_goal_asks_safe_relative_to_itself_then_a_margin_of_zero() -> None:
    """at_least 1e-13 (a level reached at -99.99999%): SAFE * scale (scale >= 1) is out of
    any nudge's reach, so the nearest rate clearing SAFE * 1e-13 is kept, before a nearer
    one that only reaches a margin >= 0; failing both, the nearest margin >= 0."""
    rate, goal = -0.9999999467, 1e-13
    b = Bound(lo=goal)
    one, two, five = _needs(rate, 1), _needs(rate, 2), _needs(rate, 5)
    rel = SAFE * goal
    assert rel < SAFE * b.scale

    def tiers(cand: np.ndarray) -> np.ndarray:
        return np.where(cand == two, rel, np.where(cand == one, 1e-40, -1e-20))

    assert _meeting_side(rate, tiers, b) == two
    assert _meeting_side(rate, lambda c: np.where(c == five, 0.0, -1e-20), b) == five
    # SAFE * goal just missed (by its float neighbour below) counts only as a margin >= 0
    below = float(np.nextafter(rel, 0.0))
    both = lambda c: np.where(c == two, below, np.where(c == five, rel, -1.0))  # noqa: E731
    assert _meeting_side(rate, both, b) == five
    # a strict goal is met only past its tolerance: a margin >= 0 does not do
    strict = Bound(lo=goal, strict=True)
    assert _meeting_side(rate, lambda c: np.where(c == one, rel, -1e-20), strict) is None


def test_the_safety_margin_is_64_machine_epsilons_of_the_scale() -> None:
    """SAFE is 64 eps of the goal's scale, not more: a rate one ulp up whose margin is
    exactly 64 eps is kept, before the formula's own rate, whose margin (32 eps) is only
    >= 0 (kills SAFE = 65 * eps, which would keep the formula's rate)."""
    rate, b = 0.05, Bound(lo=1.0)
    eps = float(np.finfo(np.float64).eps)
    up = _needs(rate, 1)

    def margins(cand: np.ndarray) -> np.ndarray:
        return np.where(cand == up, 64 * eps, np.where(cand == rate, 32 * eps, -1.0))

    assert _meeting_side(rate, margins, b) == up


def test_a_tiny_band_asks_safe_relative_to_its_larger_end() -> None:
    """between [1e-13, 1e-12]: rounding works on values near the larger end, so the second
    edge is SAFE * 1e-12, not SAFE * 1e-13: the formula's rate, 2e-13 SAFE inside the
    band, is passed over for the rate one ulp up that clears SAFE * 1e-12 (kills ``max``
    -> ``min`` in the goal's size)."""
    rate, b = 0.05, Bound(lo=1e-13, hi=1e-12)
    up = _needs(rate, 1)

    def margins(cand: np.ndarray) -> np.ndarray:
        return np.where(cand == up, SAFE * 1e-12, np.where(cand == rate, SAFE * 2e-13, -1.0))

    assert _meeting_side(rate, margins, b) == up
