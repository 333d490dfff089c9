"""How a report reads a target's value (report.fmt.is_percent, which the Excel sheet and
the serve session use): a CAGR is a rate, shown as a percentage whatever its value (7% or
300%); a level of 150 against a goal of 100 is not a share."""

from __future__ import annotations

from clustersim.report.fmt import is_percent


def test_a_cagr_reads_as_a_percentage() -> None:
    assert is_percent("cagr", 0.06, 0.07) is True
    assert is_percent("cagr", 0.06, 3.0) is True
    assert is_percent("level", 100.0, 150.0) is False
