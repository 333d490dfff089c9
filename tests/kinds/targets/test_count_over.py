"""The ``count_over`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from numpy.testing import assert_allclose

from .conftest import check, outcome


def test_count_over_with_range() -> None:
    """Clusters with output >= 250: 4 in 2028 (in [4, 5]), 3 in 2026 (one short)."""
    tgt = {"kind": "count_over", "variable": "output", "threshold": 250, "between": [4, 5]}
    check(outcome({**tgt, "year": 2028}), 4.0, 0.0, True)
    check(outcome({**tgt, "year": 2026}), 3.0, -1.0, False)
    # too many: at most 2 clusters over 250 in 2028
    check(outcome({**tgt, "year": 2028, "between": [1, 2]}), 4.0, -2.0, False)


def test_count_over_threshold_is_inclusive_and_group_limited() -> None:
    """c sits exactly at 300 and counts; within group cd only c and d are looked at."""
    tgt = {
        "kind": "count_over",
        "variable": "output",
        "threshold": 300,
        "year": 2026,
        "at_least": 3,
    }
    check(outcome(tgt), 3.0, 0.0, True)  # a, b, c
    check(outcome({**tgt, "group": "cd", "at_least": 2}), 1.0, -1.0, False)  # c only (d = 195)


def test_count_over_tiers_bands() -> None:
    """Bands: 1 over 900 (a); in [300, 900): b, c, d = 3; asking 4 there misses by 1."""
    tiers = [{"threshold": 900, "at_least": 1}, {"threshold": 300, "at_least": 4}]
    tr = outcome({"kind": "count_over", "variable": "output", "year": 2028, "tiers": tiers})
    check(tr, 3.0, -1.0, False)
    assert_allclose(tr.detail[">=900"], [1.0])
    assert_allclose(tr.detail[">=300"], [3.0])


def test_count_over_tiers_bands_edge_belongs_to_higher_tier() -> None:
    """c sits exactly at 300 in 2026: with bands it counts in the >=300 tier only, not below."""
    tiers = [{"threshold": 300, "at_least": 3}, {"threshold": 150, "at_least": 1}]
    tr = outcome({"kind": "count_over", "variable": "output", "year": 2026, "tiers": tiers})
    assert_allclose(tr.detail[">=300"], [3.0])  # a, b, c
    assert_allclose(tr.detail[">=150"], [1.0])  # d = 195.3 only
    assert_allclose(tr.margin, [0.0])
    assert bool(tr.met[0])


def test_count_over_tiers_cumulative() -> None:
    """bands: false counts every cluster over each threshold: 1 over 900, 4 over 300: met."""
    tiers = [{"threshold": 300, "at_least": 4}, {"threshold": 900, "at_least": 1}]
    tr = outcome(
        {"kind": "count_over", "variable": "output", "year": 2028, "tiers": tiers, "bands": False}
    )
    assert_allclose(tr.detail[">=900"], [1.0])
    assert_allclose(tr.detail[">=300"], [4.0])
    assert_allclose(tr.margin, [0.0])
    assert bool(tr.met[0])


def test_count_over_tiers_binding_tier_is_reported() -> None:
    """The value is the count of the tier with the smallest margin (here over 900: 1 of 2)."""
    tiers = [{"threshold": 900, "at_least": 2}, {"threshold": 300, "at_least": 2}]
    tr = outcome({"kind": "count_over", "variable": "output", "year": 2028, "tiers": tiers})
    check(tr, 1.0, -1.0, False)
