"""whole() forgives a value a few ulps below a whole number by 1e-9 of max(1, |x|): below 1
in size the tolerance is 1e-9 itself, not twice that."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_array_equal

from clustersim.core.model import whole


def test_tolerance_of_a_value_below_one_in_size() -> None:
    """|x| < 1 (and < 2): tolerance 1e-9 * max(1, |x|) = 1e-9. 1 - 1.5e-9 + 1e-9 = 1 - 5e-10
    floors to 0; 1 - 0.5e-9 + 1e-9 > 1 floors to 1. -1.5e-9 + 1e-9 < 0 floors to -1.
    Near 2 it is about 2e-9: 2 - 3e-9 floors to 1, 2 - 1e-9 to 2."""
    x = np.array([1 - 1.5e-9, 1 - 0.5e-9, -1.5e-9, 2 - 3e-9, 2 - 1e-9])
    assert_array_equal(whole(x), [0.0, 1.0, -1.0, 1.0, 2.0])
