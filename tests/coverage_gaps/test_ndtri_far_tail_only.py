"""AS241's tails when every value of a block is in the far tail (``r > 5``, u below about
1.4e-11 or above 1 - 1.4e-11): no near-tail pass, and the same quantiles as scipy's
cephes ``ndtri`` (a second method) to AS241's accuracy, and as the same values computed
beside near-tail ones."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import ndtri as cephes

from clustersim.sampling.normal_cdf import ndtri

FAR = np.array([1e-20, 1e-30, 1 - 1e-12, 1e-300, 5e-324])


def test_only_far_tail_values() -> None:
    r = np.sqrt(-np.log(np.minimum(FAR, 1 - FAR)))
    assert (r > 5.0).all()  # every value is in the far tail
    got = ndtri(FAR)
    assert_allclose(got, cephes(FAR), rtol=1e-15)
    assert got[0] < -9.26 and got[2] > 7.03  # sides: Phi^-1(1e-20) ~ -9.2623
    mixed = ndtri(np.concatenate([FAR, [0.01, 0.99]]))  # 0.01: r ~ 2.1, the near tail
    assert_array_equal(mixed[: len(FAR)], got)
