"""The ``pp_change_per_year`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from numpy.testing import assert_allclose

from .conftest import GDP, OUT, check, outcome


def test_pp_change_per_year() -> None:
    """Share of ab in GDP, 2023-2026: the smallest year-on-year difference."""
    share = [(OUT["a"][y] + OUT["b"][y]) / GDP[y] for y in range(2023, 2027)]
    value = min(share[i] - share[i - 1] for i in range(1, 4))
    tr = outcome(
        {
            "kind": "pp_change_per_year",
            "metric": "ab_share",
            "from_year": 2023,
            "year": 2026,
            "at_least": 0.01,
        }
    )
    check(tr, value, value - 0.01, value >= 0.01)


def test_pp_change_per_year_from_history() -> None:
    """ab_share history 0.95 in 2022 then 1.0 in 2023: the 2022->2023 step is +5 pp."""
    share = [0.95] + [(OUT["a"][y] + OUT["b"][y]) / GDP[y] for y in range(2023, 2026)]
    steps = [share[i] - share[i - 1] for i in range(1, 4)]
    assert_allclose(steps[0], 0.05, rtol=1e-12)
    tr = outcome(
        {
            "kind": "pp_change_per_year",
            "metric": "ab_share",
            "from_year": 2022,
            "year": 2025,
            "at_least": 0.005,
        }
    )
    check(tr, min(steps), min(steps) - 0.005, min(steps) >= 0.005)
