"""_meeting_side when no nudge clears the goal: the formula's own rate decides. If that
rate stops the run (its margin NaN) nothing is kept (None: the search decides), even when
the rates an ulp away run; if it runs, a point goal (between [1, 1], which no float may
meet with a margin >= 0) keeps it, even when the rates an ulp away stop the run."""

from __future__ import annotations

import numpy as np

from clustersim.core.targets import Bound
from clustersim.engine import _meeting_side


def test_the_formulas_own_rate_decides() -> None:
    rate, b = 0.05, Bound(lo=1.0, hi=1.0)

    def stopped_at_rate(cand: np.ndarray) -> np.ndarray:
        return np.where(cand == rate, np.nan, -1e-3)  # short of the goal elsewhere

    def stopped_beside(cand: np.ndarray) -> np.ndarray:
        return np.where(cand == rate, -1e-3, np.nan)

    assert _meeting_side(rate, stopped_at_rate, b) is None
    assert _meeting_side(rate, stopped_beside, b) == rate
