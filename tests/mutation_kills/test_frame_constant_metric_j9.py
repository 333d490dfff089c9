"""The reference Frame reads a derived metric that is a constant (no series, so no sample
or year axis) as that number: ``x * k`` with ``k = 2`` is twice x. A scenario cannot
declare such a metric (compile refuses a metric that reads no series), but a Frame is
also built directly, with any derived expressions.

Kills core/targets.py:Frame._full_years:a8071265ef (``val.ndim >= 2 and (...)`` ->
``or``): the shape test would then read ``val.shape[-1]`` of the constant's 0-d array,
an IndexError instead of the value.
"""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

from clustersim.core import expr as ex
from clustersim.core.targets import Frame

YEARS = np.array([2023, 2024, 2025])


def test_a_constant_derived_metric_scales_a_series() -> None:
    """x is 0..8 over 3 samples and 3 years; x * k is 0, 2, .., 16 and x + k is 2..10."""
    x = np.arange(9.0).reshape(3, 3)
    f = Frame({"x": x}, YEARS, ["a"], {}, {}, {"k": ex.parse("2")})
    assert float(f.lookup("k")) == 2.0
    assert_array_equal(f.trajectory(ex.parse("x * k")), 2.0 * x)
    assert_array_equal(f.trajectory(ex.parse("x + k")), x + 2.0)
    assert_array_equal(f.at(ex.parse("x * k"), 2024), [2.0, 8.0, 14.0])
