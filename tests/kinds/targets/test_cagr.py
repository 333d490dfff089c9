"""The ``cagr`` target kind on the hand-made scenario (values and margins computed by hand)."""

from __future__ import annotations

from numpy.testing import assert_allclose

from .conftest import GDP, OUT, check, outcome


def test_cagr_inside_projection() -> None:
    """GDP CAGR 2024-2027 is exactly 5%: margin ~ 0 and met."""
    tr = outcome(
        {"kind": "cagr", "metric": "gdp", "from_year": 2024, "year": 2027, "at_least": 0.05}
    )
    assert_allclose(tr.value, [0.05], rtol=1e-12)
    assert abs(tr.margin[0]) < 1e-12 and bool(tr.met[0])


def test_cagr_window_starting_in_history() -> None:
    """GDP CAGR 2021 (history 880) to 2026: (1157.625 / 880) ** (1/5) - 1."""
    value = (GDP[2026] / 880.0) ** 0.2 - 1.0
    tr = outcome(
        {"kind": "cagr", "metric": "gdp", "from_year": 2021, "year": 2026, "at_least": 0.06}
    )
    check(tr, value, value - 0.06, value >= 0.06)
    tr = outcome(
        {"kind": "cagr", "metric": "gdp", "from_year": 2021, "year": 2026, "at_least": 0.05}
    )
    check(tr, value, value - 0.05, True)


def test_cagr_of_cluster_total() -> None:
    """CAGR of the sum of all cluster outputs, 2023-2028."""
    total = {y: sum(OUT[c][y] for c in OUT) for y in (2023, 2028)}
    value = (total[2028] / total[2023]) ** 0.2 - 1.0
    tr = outcome(
        {
            "kind": "cagr",
            "metric": "cluster_output",
            "from_year": 2023,
            "year": 2028,
            "at_least": 0.07,
        }
    )
    check(tr, value, value - 0.07, value >= 0.07)
