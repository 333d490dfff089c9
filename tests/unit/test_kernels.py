"""Array kernels against closed forms and plain Python loops over years."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from clustersim.core.kernels import compound, growth_of, logistic_levels, stock_flow

RNG_SEED = 20240101


def loop_compound(x0: float, rates: list[float]) -> list[float]:
    """``x[t] = x[t-1] * (1 + r[t])`` one year at a time; ``rates[0]`` is ignored."""
    out = [x0]
    for r in rates[1:]:
        out.append(out[-1] * (1.0 + r))
    return out


def loop_stock(
    s0: float, flow: list[float], exit_rate: float, rates: list[float] | None
) -> list[float]:
    """``s[t] = s[t-1] * (1 - exit) * (1 + r[t]) + flow[t]`` one year at a time."""
    out = [s0]
    for t in range(1, len(flow)):
        r = 0.0 if rates is None else rates[t]
        out.append(out[-1] * (1.0 - exit_rate) * (1.0 + r) + flow[t])
    return out


def test_compound_zero_growth_stays_flat() -> None:
    """Zero growth keeps every year at the base level, for both the constant and per-year form."""
    x0 = np.array([[3.0, 7.5], [0.0, 1e6]])  # (S=2, C=2)
    flat_const = compound(x0, np.zeros((2, 2, 1)), 6)
    flat_years = compound(x0, np.zeros((2, 2, 6)), 6)
    expected = np.repeat(x0[..., None], 6, axis=-1)
    assert_array_equal(flat_const, expected)
    assert_array_equal(flat_years, expected)


def test_compound_constant_rate_is_power_law() -> None:
    """A constant rate g gives x0 * (1 + g) ** t exactly (to rounding)."""
    x0 = np.array([100.0, 2.5, 40.0])
    g = np.array([0.05, -0.3, 0.12])
    got = compound(x0, g[:, None], 8)
    expected = np.array(
        [[a * (1.0 + r) ** t for t in range(8)] for a, r in zip(x0, g, strict=True)]
    )
    assert_allclose(got, expected, rtol=1e-12)


def test_compound_constant_rate_as_full_year_array_matches_power_law() -> None:
    """The per-year path (cumulative product) agrees with the closed form for a constant rate."""
    got = compound(np.array([50.0]), np.full((1, 7), 0.07), 7)
    assert_allclose(got[0], [50.0 * 1.07**t for t in range(7)], rtol=1e-12)


def test_compound_time_varying_rates_equal_python_loop() -> None:
    """Year-varying rates give the same levels as a plain loop; rates[..., 0] is ignored."""
    rng = np.random.default_rng(RNG_SEED)
    x0 = rng.uniform(1.0, 100.0, size=(3, 4))
    rates = rng.uniform(-0.2, 0.3, size=(3, 4, 9))
    rates[..., 0] = 99.0  # must not matter
    got = compound(x0, rates, 9)
    for s in range(3):
        for c in range(4):
            assert_allclose(got[s, c], loop_compound(x0[s, c], list(rates[s, c])), rtol=1e-12)


def test_compound_rejects_wrong_year_count() -> None:
    """A rates array that is neither one rate nor one per year is an error."""
    with pytest.raises(ValueError, match="expected 1 or 5"):
        compound(np.array([1.0]), np.zeros((1, 3)), 5)


def test_stock_flow_with_exit_equals_loop() -> None:
    """Stock with entries and an exit rate equals the year-by-year recurrence."""
    flow = np.array([[999.0, 30.0, 31.0, 29.5, 40.0, 12.0]])  # flow[0] is already in s0
    got = stock_flow(np.array([420.0]), flow, np.array([0.04]))
    assert_allclose(got[0], loop_stock(420.0, list(flow[0]), 0.04, None), rtol=1e-12)


def test_stock_flow_hand_computed_two_years() -> None:
    """Two steps by hand: 100*0.9+10 = 100, 100*0.9+20 = 110."""
    got = stock_flow(np.array([100.0]), np.array([[0.0, 10.0, 20.0]]), np.array([0.1]))
    assert_allclose(got[0], [100.0, 100.0, 110.0], rtol=1e-15)


def test_stock_flow_with_own_rates_equals_loop() -> None:
    """Own growth rates (per year and constant) are applied before the inflow, as in the loop."""
    rng = np.random.default_rng(RNG_SEED + 1)
    s0 = rng.uniform(10, 500, size=(2, 3))
    flow = rng.uniform(0, 20, size=(2, 3, 7))
    exit_rate = rng.uniform(0, 0.2, size=(2, 3))
    rates = rng.uniform(-0.1, 0.2, size=(2, 3, 7))
    got = stock_flow(s0, flow, exit_rate, rates)
    const = stock_flow(s0, flow, exit_rate, np.full((2, 3, 1), 0.05))
    for s in range(2):
        for c in range(3):
            want = loop_stock(s0[s, c], list(flow[s, c]), exit_rate[s, c], list(rates[s, c]))
            assert_allclose(got[s, c], want, rtol=1e-12)
            want_c = loop_stock(s0[s, c], list(flow[s, c]), exit_rate[s, c], [0.05] * 7)
            assert_allclose(const[s, c], want_c, rtol=1e-12)


def test_stock_flow_no_flow_no_exit_with_rate_is_compound() -> None:
    """With no inflow and no exit, a stock with own rates is a compound series."""
    rates = np.array([[0.0, 0.1, -0.05, 0.2, 0.03]])
    got = stock_flow(np.array([8.0]), np.zeros((1, 5)), np.array([0.0]), rates)
    assert_allclose(got, compound(np.array([8.0]), rates, 5), rtol=1e-12)


def test_logistic_levels_closed_form() -> None:
    """x[t] = K / (1 + (K/x0 - 1) e^{-rt}) computed by hand per year."""
    x0, k, r = np.array([260.0, 900.0]), np.array([450.0, 500.0]), np.array([0.25, 0.4])
    got = logistic_levels(x0, k, r, 6)
    for i in range(2):
        want = [k[i] / (1.0 + (k[i] / x0[i] - 1.0) * math.exp(-r[i] * t)) for t in range(6)]
        assert_allclose(got[i], want, rtol=1e-13)
    assert_allclose(got[:, 0], x0, rtol=1e-15)


def test_logistic_levels_approach_capacity_monotonically() -> None:
    """From below the curve rises towards K, from above it falls; after many years it is K."""
    got = logistic_levels(
        np.array([10.0, 900.0]), np.array([450.0, 450.0]), np.array([0.5, 0.5]), 80
    )
    # strictly monotone while the gap is above rounding, never overshooting K
    assert np.all(np.diff(got[0, :40]) > 0) and np.all(np.diff(got[0]) >= 0)
    assert np.all(np.diff(got[1, :40]) < 0) and np.all(np.diff(got[1]) <= 0)
    assert np.all(got[0] <= 450.0) and np.all(got[1] >= 450.0)
    # K / (1 + (K/x0 - 1) e^{-40}) differs from K by about 44 e^{-40} * K relative
    assert_allclose(got[:, -1], [450.0, 450.0], rtol=1e-13)


def test_growth_of_inverts_compound() -> None:
    """growth_of(compound(x0, r)) returns r for every year after the base (base entry 0)."""
    rng = np.random.default_rng(RNG_SEED + 2)
    rates = rng.uniform(-0.5, 0.8, size=(4, 3, 10))
    levels = compound(rng.uniform(1, 10, size=(4, 3)), rates, 10)
    g = growth_of(levels)
    assert_array_equal(g[..., 0], 0.0)
    assert_allclose(g[..., 1:], rates[..., 1:], rtol=1e-11, atol=1e-14)


def test_growth_of_hand_values() -> None:
    """100 -> 110 -> 99 is +10% then -10%."""
    assert_allclose(
        growth_of(np.array([100.0, 110.0, 99.0])), [0.0, 0.1, -0.1], rtol=1e-14, atol=1e-16
    )
