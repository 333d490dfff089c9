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
