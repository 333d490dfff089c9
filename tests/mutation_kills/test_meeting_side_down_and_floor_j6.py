"""_meeting_side nudges a closed-form rate down as well as up, and keeps a rate of exactly
RATE_LO (-0.999999999, the lowest growth the scenario format accepts).

An ``at_most`` goal is met below the formula's rate: with a margin that clears only from
3 ulps (of 1 + |rate|) down, the rate 3 ulps down is kept, not the formula's own rate
(which misses). At rate = RATE_LO, a margin that clears only at RATE_LO itself (a run
stopped, NaN, at every rate above it) keeps RATE_LO.
"""

from __future__ import annotations

import numpy as np

from clustersim.core.targets import Bound
from clustersim.engine import SAFE, _meeting_side
from clustersim.kinds.growth.base import RATE_LO


def test_an_at_most_goal_is_met_by_nudging_down() -> None:
    rate, b = 0.05, Bound(hi=1.0)
    down = rate - 3 * float(np.spacing(1.05))
    assert down < rate

    def margins(cand: np.ndarray) -> np.ndarray:
        return np.where(cand <= down, SAFE, -1e-3)

    assert _meeting_side(rate, margins, b) == down


def test_a_rate_of_exactly_rate_lo_is_kept() -> None:
    assert RATE_LO == -0.999999999

    def margins(cand: np.ndarray) -> np.ndarray:
        return np.where(cand == RATE_LO, 1.0, np.nan)

    assert _meeting_side(RATE_LO, margins, Bound(hi=10.0)) == RATE_LO
