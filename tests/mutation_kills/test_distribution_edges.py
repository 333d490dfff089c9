"""Edges of the distributions' bounds, each with the exact message or value it must give."""

from __future__ import annotations

import math

import numpy as np
import pytest

from clustersim.sampling.lognormal import LogNormal


def test_lognormal_bounded_at_zero_has_no_mass_in_0_0() -> None:
    """Bounds (-inf, 0]: a lognormal is positive, its bounds become [0, 0] and hold nothing;
    the message names them (not a math domain error from log(0))."""
    d = LogNormal(median=1.0, sigma=0.5)
    with pytest.raises(ValueError, match=r"^lognormal\(median=1.0\) has no mass in \[0.0, 0.0\]$"):
        d.ppf(np.array([0.5]), -math.inf, 0.0)


def test_a_choice_may_hold_its_bounds_themselves() -> None:
    """values 0, 0.5 and 1 within [0, 1]: the bounds are allowed values; u picks
    values[floor(3 u)]. 1.5 is outside and named."""
    from clustersim.sampling.choice import Choice

    c = Choice(values=(0.0, 0.5, 1.0))
    got = c.ppf(np.array([0.0, 0.34, 0.7, 0.999999]), 0.0, 1.0)
    np.testing.assert_array_equal(got, [0.0, 0.5, 1.0, 1.0])
    with pytest.raises(ValueError, match=r"^value 1.5 is outside the allowed \[0, 1\]$"):
        Choice(values=(0.0, 1.5)).ppf(np.array([0.5]), 0.0, 1.0)
