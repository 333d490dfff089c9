"""The ``stock`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from .conftest import SME, check, outcome


def test_stock() -> None:
    """Stock indicator in 2026 against the year-by-year loop."""
    tr = outcome({"kind": "stock", "metric": "sme", "year": 2026, "at_least": 500})
    check(tr, SME[2026], SME[2026] - 500.0, SME[2026] >= 500.0)
    tr = outcome({"kind": "stock", "metric": "sme", "year": 2028, "at_least": 500})
    check(tr, SME[2028], SME[2028] - 500.0, SME[2028] >= 500.0)
    assert SME[2026] < 500.0 < SME[2028]  # the two cases straddle the goal
