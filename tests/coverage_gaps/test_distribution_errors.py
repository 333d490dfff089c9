"""What the distribution classes refuse when built or drawn directly (the scenario schema
refuses most of these first, so only a direct call reaches them), each message exact, and
the comparison quantile helper ``scipy_ndtri``."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clustersim.sampling import scipy_ndtri
from clustersim.sampling.choice import Choice
from clustersim.sampling.lognormal import LogNormal
from clustersim.sampling.normal import Normal
from clustersim.sampling.uniform import Uniform


def test_normal_needs_a_positive_sd_and_low_below_high() -> None:
    with pytest.raises(ValueError) as e:
        Normal(mean=1.0, sd=0.0)
    assert str(e.value) == "sd must be > 0, got 0.0"
    with pytest.raises(ValueError) as e:
        Normal(mean=1.0, sd=float("nan"))
    assert str(e.value) == "sd must be > 0, got nan"
    with pytest.raises(ValueError) as e:
        Normal(mean=1.0, sd=1.0, low=2.0, high=2.0)
    assert str(e.value) == "low (2.0) must be below high (2.0)"


def test_lognormal_needs_positive_median_and_sigma() -> None:
    with pytest.raises(ValueError) as e:
        LogNormal(median=-1.0, sigma=0.5)
    assert str(e.value) == "median must be > 0, got -1.0"
    with pytest.raises(ValueError) as e:
        LogNormal(median=1.0, sigma=0.0)
    assert str(e.value) == "sigma must be > 0, got 0.0"


def test_uniform_needs_low_below_high() -> None:
    with pytest.raises(ValueError) as e:
        Uniform(low=3.0, high=1.0)
    assert str(e.value) == "low (3.0) must be below high (1.0)"


def test_choice_refuses_a_value_outside_the_allowed_range() -> None:
    d = Choice(values=(0.1, 0.5, 2.0))
    with pytest.raises(ValueError) as e:
        d.ppf(np.array([0.5]), 0.0, 1.0)
    assert str(e.value) == "value 2 is outside the allowed [0, 1]"
    # inside the range: u in [i/3, (i+1)/3) picks value i
    assert d.ppf(np.array([0.0, 0.34, 0.99]), 0.0, 2.0).tolist() == [0.1, 0.5, 2.0]


def test_central_within_bounds_that_do_not_meet() -> None:
    d = Normal(mean=5.0, sd=1.0, low=0.0, high=1.0)
    with pytest.raises(ValueError) as e:
        d.central_within(2.0, 3.0)
    assert str(e.value) == "the distribution has no mass where the value is allowed"
    assert d.central_within(0.5, 3.0) == 1.0  # 5 clipped to [max(0, .5), min(1, 3)]


def test_scipy_ndtri_is_the_normal_quantile() -> None:
    """Phi^-1 at 0.5, 0.975 and 0.025 (1.959963984540054 by the tables), shape kept."""
    got = scipy_ndtri(np.array([[0.5, 0.975], [0.025, 0.5]]))
    assert got.dtype == np.float64
    assert got.shape == (2, 2)
    want = [[0.0, 1.959963984540054], [-1.959963984540054, 0.0]]
    assert np.all(np.abs(got - np.array(want)) < 1e-15)
    assert math.isinf(float(scipy_ndtri(np.array(1.0))))
