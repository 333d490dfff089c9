"""The ``growth_every_year`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from .conftest import OUT, check, outcome


def test_growth_every_year_takes_the_weakest_year() -> None:
    """Cluster output total, 2023-2028: the minimum of the yearly growth rates."""
    tot = [sum(OUT[c][y] for c in OUT) for y in range(2023, 2029)]
    rates = [tot[i] / tot[i - 1] - 1.0 for i in range(1, 6)]
    value = min(rates)
    tr = outcome(
        {
            "kind": "growth_every_year",
            "metric": "cluster_output",
            "from_year": 2023,
            "year": 2028,
            "at_least": 0.07,
        }
    )
    check(tr, value, value - 0.07, value >= 0.07)


def test_growth_every_year_with_history_years() -> None:
    """GDP growth 2021-2025: 940/880-1, 1000/940-1, then 5%: the minimum is 5%."""
    rates = [940.0 / 880.0 - 1.0, 1000.0 / 940.0 - 1.0, 0.05, 0.05]
    tr = outcome(
        {
            "kind": "growth_every_year",
            "metric": "gdp",
            "from_year": 2021,
            "year": 2025,
            "at_least": 0.055,
        }
    )
    check(tr, min(rates), min(rates) - 0.055, False)
    tr = outcome(
        {
            "kind": "growth_every_year",
            "metric": "gdp",
            "from_year": 2021,
            "year": 2023,
            "at_least": 0.06,
        }
    )
    check(tr, min(rates[:2]), min(rates[:2]) - 0.06, True)
