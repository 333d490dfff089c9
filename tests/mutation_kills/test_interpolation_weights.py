"""The weights that spread a path of rates over the years, written out by hand, computed
without a division by zero (no RuntimeWarning reaches the user)."""

from __future__ import annotations

import warnings

import numpy as np
from numpy.testing import assert_array_equal

from clustersim.core.growth import interpolation_weights


def test_linear_weights_between_knots_and_beyond_them() -> None:
    """Knots 2024, 2026, 2030 over 2023-2032: before the first knot and at it, all weight on
    it; 2025 half way; 2027-2029 a quarter of the way each; from 2030 on, all on the last."""
    years = np.arange(2023, 2033, dtype=np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # 0/0 at the last knot would warn
        w = interpolation_weights([2024, 2026, 2030], years, "linear")
    want = [
        [1.0, 0.0, 0.0],  # 2023, before the first knot
        [1.0, 0.0, 0.0],  # 2024
        [0.5, 0.5, 0.0],  # 2025
        [0.0, 1.0, 0.0],  # 2026
        [0.0, 0.75, 0.25],  # 2027
        [0.0, 0.5, 0.5],  # 2028
        [0.0, 0.25, 0.75],  # 2029
        [0.0, 0.0, 1.0],  # 2030
        [0.0, 0.0, 1.0],  # 2031
        [0.0, 0.0, 1.0],  # 2032
    ]
    assert_array_equal(w, want)
