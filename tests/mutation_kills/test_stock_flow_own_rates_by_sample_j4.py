"""A stock whose own growth varies by sample while its start, inflow and exit do not: the
result has one row per sample of the rates."""

from __future__ import annotations

import numpy as np

from clustersim.core.kernels import stock_flow


def test_own_rates_by_sample_widen_the_stock() -> None:
    """s0 = 100, inflow 10 a year, no exit, own growth 10% in sample 0 and 20% in sample 1
    (applied before the inflow): 100, 100 * 1.1 + 10 = 120, 120 * 1.1 + 10 = 142; and
    100, 130, 130 * 1.2 + 10 = 166."""
    rates = np.array([[0.0, 0.1, 0.1], [0.0, 0.2, 0.2]])
    got = stock_flow(np.array([100.0]), np.array([[0.0, 10.0, 10.0]]), np.array([0.0]), rates)
    np.testing.assert_allclose(got, [[100.0, 120.0, 142.0], [100.0, 130.0, 166.0]], rtol=1e-14)


def test_constant_own_rates_by_sample() -> None:
    """The same with one rate per sample for every year (shape (2, 1))."""
    rates = np.array([[0.1], [0.2]])
    got = stock_flow(np.array([100.0]), np.array([[0.0, 10.0, 10.0]]), np.array([0.0]), rates)
    np.testing.assert_allclose(got, [[100.0, 120.0, 142.0], [100.0, 130.0, 166.0]], rtol=1e-14)
