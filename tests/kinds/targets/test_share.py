"""The ``share`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from .conftest import IND, OUT, check, outcome


def test_share() -> None:
    """Share of group ab in industrial output, 2026."""
    value = (OUT["a"][2026] + OUT["b"][2026]) / IND[2026]
    tr = outcome(
        {
            "kind": "share",
            "numerator": "sum(output, group=ab)",
            "denominator": "industrial_output",
            "year": 2026,
            "at_least": 0.5,
        }
    )
    check(tr, value, value - 0.5, True)
    tr = outcome(
        {
            "kind": "share",
            "numerator": "sum(output, group=ab)",
            "denominator": "industrial_output",
            "year": 2026,
            "at_least": 0.6,
        }
    )
    check(tr, value, value - 0.6, False)
