"""The ``flow_every_year`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

import copy

from .conftest import base_dict, check, outcome


def test_flow_every_year() -> None:
    """Loans 18 growing 6%: the minimum over 2024-2026 is 2024's 19.08."""
    tr = outcome(
        {
            "kind": "flow_every_year",
            "metric": "loans",
            "from_year": 2024,
            "year": 2026,
            "at_least": 20,
        }
    )
    check(tr, 19.08, 19.08 - 20.0, False)
    tr = outcome(
        {
            "kind": "flow_every_year",
            "metric": "loans",
            "from_year": 2024,
            "year": 2026,
            "at_least": 19,
        }
    )
    check(tr, 19.08, 19.08 - 19.0, True)


def test_flow_every_year_falling_flow_binds_at_the_end() -> None:
    """A falling flow (-10%/yr) is smallest in the last year of the window."""
    d = base_dict()
    ind = copy.deepcopy(d["indicators"])
    ind["loans"]["growth"] = -0.1
    tr = outcome(
        {
            "kind": "flow_every_year",
            "metric": "loans",
            "from_year": 2023,
            "year": 2027,
            "at_least": 12,
        },
        indicators=ind,
    )
    check(tr, 18.0 * 0.9**4, 18.0 * 0.9**4 - 12.0, False)
