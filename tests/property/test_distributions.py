"""Truncated distributions keep their promises, for every distribution of the registry:
no sample outside ``[lo, hi]`` (nor outside the distribution's own support and bounds), the
truncated quantile scipy.stats gives, and a "no mass in [lo, hi]" error when the bounds
hold (numerically) none of the distribution.

Each value is checked against scipy.stats' frozen distribution, not the production code.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_allclose
from scipy import stats

from clustersim.sampling import DISTRIBUTIONS, Distribution, Normal, Triangular

SETTINGS = settings(max_examples=60, deadline=None)
#: quantiles down to the extremes a 53-bit uniform takes, and a spread in between
U = np.sort(
    np.concatenate(
        [[2.0**-53, 1e-12, 1e-6, 1.0 - 1e-9, 1.0 - 2.0**-53], np.linspace(0.001, 0.999, 41)]
    )
)
#: below this mass production must refuse the bounds, above 100x it must sample them
NO_MASS = 1e-12


@st.composite
def distributions(draw: st.DrawFn, name: str) -> tuple[Distribution, Any]:
    """A distribution of the registry with random parameters, and scipy's equivalent."""
    f = st.floats
    if name == "normal":
        mean, sd = draw(f(-1.0, 1.0)), draw(f(0.01, 1.0))
        return Normal(mean=mean, sd=sd), stats.norm(mean, sd)
    if name == "lognormal":
        median, sigma = draw(f(0.01, 10.0)), draw(f(0.05, 1.5))
        return DISTRIBUTIONS[name](median=median, sigma=sigma), stats.lognorm(s=sigma, scale=median)
    if name == "uniform":
        low, width = draw(f(-1.0, 1.0)), draw(f(0.01, 2.0))
        return DISTRIBUTIONS[name](low=low, high=low + width), stats.uniform(low, width)
    if name == "triangular":
        low, width, frac = draw(f(-1.0, 1.0)), draw(f(0.01, 2.0)), draw(f(0.0, 1.0))
        mode = min(low + frac * width, low + width)
        d = DISTRIBUTIONS[name](low=low, mode=mode, high=low + width)
        c = min(1.0, max(0.0, (mode - low) / width))  # rounding may leave [0, 1]
        return d, stats.triang(c=c, loc=low, scale=width)
    raise AssertionError(f"no strategy for {name!r}: add one")  # pragma: no cover


def test_every_distribution_has_a_strategy() -> None:
    assert set(DISTRIBUTIONS) == {"normal", "lognormal", "uniform", "triangular"}


@st.composite
def bounds(draw: st.DrawFn, frozen: Any) -> tuple[float, float]:
    """``[lo, hi]`` anywhere around the distribution, possibly open, empty or a point."""
    centre, scale = float(frozen.median()), float(frozen.std())
    lo = centre + scale * draw(st.floats(-8.0, 8.0))
    hi = lo + scale * draw(st.sampled_from([0.0, 1e-9, 1e-3, 0.1, 1.0, 3.0, 20.0]))
    if draw(st.integers(0, 4)) == 0:
        lo = -math.inf
    if draw(st.integers(0, 4)) == 0:
        hi = math.inf
    return lo, hi


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
@SETTINGS
@given(data=st.data())
def test_truncation_stays_in_bounds_or_refuses(name: str, data: st.DataObject) -> None:
    d, frozen = data.draw(distributions(name))
    lo, hi = data.draw(bounds(frozen))
    mass = float(frozen.cdf(hi) - frozen.cdf(lo))
    if mass < NO_MASS / 100:
        with pytest.raises(ValueError, match="no mass in"):
            d.ppf(U, lo, hi)
        return
    if mass < 100 * NO_MASS:
        return  # the cut-off itself: either answer is right
    x = d.ppf(U, lo, hi)
    assert np.all((x >= lo) & (x <= hi)), (lo, hi, x.min(), x.max())
    # the distribution's own support (scipy's loc + scale may differ from high by an ulp)
    own_lo, own_hi = d.own_bounds()
    assert own_lo is None or np.all(x >= own_lo)
    assert own_hi is None or np.all(x <= own_hi)
    assert name != "lognormal" or np.all(x >= 0.0)
    assert np.all(np.diff(x) >= 0)  # quantiles stay ordered (U is sorted)
    if mass > 1e-6:  # away from the tails scipy's own round-off is far below the check
        a = float(frozen.cdf(lo))
        inner = (U > 1e-9) & (U < 1 - 1e-9)
        want = frozen.ppf(a + U[inner] * mass)
        assert_allclose(x[inner], want, rtol=1e-6, atol=1e-9 * float(frozen.std()))


@pytest.mark.parametrize("name", sorted(DISTRIBUTIONS))
def test_bounds_beyond_the_support_have_no_mass(name: str) -> None:
    """Each distribution refuses bounds that hold none of it, on either side."""
    d = {
        "normal": Normal(mean=0.0, sd=1.0),
        "lognormal": DISTRIBUTIONS["lognormal"](median=1.0, sigma=0.5),
        "uniform": DISTRIBUTIONS["uniform"](low=0.0, high=1.0),
        "triangular": Triangular(low=0.0, mode=0.5, high=1.0),
    }[name]
    above = {"normal": 40.0, "lognormal": 1e30, "uniform": 1.5, "triangular": 1.5}[name]
    below = {"normal": -40.0, "lognormal": -1.0, "uniform": -0.5, "triangular": -0.5}[name]
    u = np.array([0.5])
    with pytest.raises(ValueError, match=r"has no mass in \["):
        d.ppf(u, above, math.inf)
    with pytest.raises(ValueError, match=r"has no mass in \["):
        d.ppf(u, -math.inf, below)
    with pytest.raises(ValueError, match=r"has no mass in \["):
        d.ppf(u, 0.3, 0.3)  # a point holds no mass of a continuous distribution


@pytest.mark.parametrize(
    ("low", "mode", "high"), [(0.0, -0.1, 1.0), (0.0, 1.1, 1.0), (1.0, 1.0, 1.0)]
)
def test_triangular_mode_outside_its_bounds_is_refused(
    low: float, mode: float, high: float
) -> None:
    with pytest.raises(ValueError, match="low <= mode <= high"):
        Triangular(low=low, mode=mode, high=high)


def test_triangular_truncated_below_the_mode_uses_the_left_branch() -> None:
    """Triangular(0, 2, 4) cut to [1, 3]: F(1) = 1/8 and F(3) = 7/8 (two parabolas), so the
    median of the cut is the mode and its quartiles solve F(x) = 1/8 + u * 3/4."""
    d = Triangular(low=0.0, mode=2.0, high=4.0)
    assert d.cdf(1.0) == pytest.approx(1.0 / 8.0, rel=1e-15)  # (1 - 0)^2 / (4 * 2)
    assert d.cdf(3.0) == pytest.approx(7.0 / 8.0, rel=1e-15)
    assert (d.cdf(-1.0), d.cdf(0.0), d.cdf(4.0), d.cdf(5.0)) == (0.0, 0.0, 1.0, 1.0)
    x = d.ppf(np.array([0.25, 0.5, 0.75]), 1.0, 3.0)
    # u = 0.25: F = 5/16 on the left, x = sqrt(5/16 * 8) = sqrt(2.5)
    # u = 0.75: F = 11/16 on the right, x = 4 - sqrt(5/16 * 8)
    assert_allclose(x, [math.sqrt(2.5), 2.0, 4.0 - math.sqrt(2.5)], rtol=1e-14)


@settings(max_examples=60, deadline=None)
@given(
    mean=st.floats(-1.0, 1.0),
    sd=st.floats(0.01, 1.0),
    k=st.floats(-6.0, 9.0),
)
def test_normal_truncated_only_above_honours_high(mean: float, sd: float, k: float) -> None:
    """``normal(mean, sd, high=h)``: no sample above ``h`` wherever ``h`` sits, down to the
    largest uniform; below the cut the quantiles are scipy's truncated ones."""
    high = mean + k * sd
    d = Normal(mean=mean, sd=sd, high=high)
    assert d.own_bounds() == (None, high)
    x = d.ppf(U)
    assert np.all(x <= high), (high, x.max())
    b = stats.norm.cdf(k)
    inner = (U > 1e-9) & (U < 1 - 1e-9)
    assert_allclose(x[inner], mean + sd * stats.norm.ppf(U[inner] * b), rtol=1e-6, atol=1e-9)
    # and the central value of a plain run is the mean clipped to the bound
    assert d.central_within() == min(mean, high)


@pytest.mark.parametrize("name", ["normal", "lognormal"])
def test_far_upper_tail_truncation_is_finite(name: str) -> None:
    """Cut to [6 sd, inf): F(lo) = 1 - 1e-9, so a quantile near 1 used to give +inf; the
    tail is sampled through its mirror and matches scipy's truncated quantiles."""
    if name == "normal":
        d, frozen = Normal(mean=0.0, sd=1.0), stats.norm(0.0, 1.0)
        lo = 6.0
    else:
        d = DISTRIBUTIONS["lognormal"](median=1.0, sigma=0.5)
        frozen, lo = stats.lognorm(s=0.5, scale=1.0), math.exp(3.0)
    x = d.ppf(U, lo, math.inf)
    assert np.all(np.isfinite(x)) and np.all(x >= lo)
    want = frozen.isf(frozen.sf(lo) * (1.0 - U))  # the truncated quantile, from the tail
    assert_allclose(x, want, rtol=1e-9)
