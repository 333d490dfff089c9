"""The ``group_sum`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from .conftest import OUT, check, outcome


def test_group_sum() -> None:
    """Output summed over group cd in 2027: 300 + 100 * 1.25^4."""
    value = OUT["c"][2027] + OUT["d"][2027]
    tr = outcome({"kind": "group_sum", "group": "cd", "year": 2027, "at_least": 600})
    check(tr, value, value - 600.0, False)
    tr = outcome({"kind": "group_sum", "group": "cd", "year": 2027, "at_most": 600})
    check(tr, value, 600.0 - value, True)
