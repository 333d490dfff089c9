"""``sorted_quantiles``: ``np.quantile`` of a sorted array without its partition, the same
doubles (the bins ``make_layout`` fixes for every worker)."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim.sweep.partial import sorted_quantiles


@pytest.mark.parametrize("n", [1, 2, 3, 63, 64, 65, 255, 257, 4096, 99_991])
@pytest.mark.parametrize("kind", ["normal", "ties", "wide", "negative-zero"])
def test_the_doubles_of_np_quantile(n: int, kind: str) -> None:
    rng = np.random.default_rng(n)
    if kind == "normal":
        x = rng.normal(size=n)
    elif kind == "ties":
        x = rng.integers(0, 5, n).astype(float)
    elif kind == "wide":
        x = np.exp(rng.normal(size=n) * 30.0) * rng.choice([-1.0, 1.0], n)
    else:
        x = rng.choice([-0.0, 0.0, 1.0, -1.0], n)
    ordered = np.sort(x)
    for count in (2, 3, 64, 256):
        q = np.linspace(0, 1, count + 1)[1:-1]
        got, want = sorted_quantiles(ordered, q), np.quantile(ordered, q)
        if kind == "negative-zero":  # which zero np.quantile's partition leaves where is
            np.testing.assert_array_equal(got, want)  # its own choice: equal, not the bits
        else:
            np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
    q = np.array([0.0, 0.25, 0.5, 1.0])  # the ends: the minimum and the maximum
    np.testing.assert_array_equal(sorted_quantiles(ordered, q), np.quantile(ordered, q))


def test_by_hand_and_with_nan() -> None:
    o = np.array([1.0, 2.0, 4.0, 8.0])
    # virtual index 3 q: q = 1/2 -> 1.5 -> 2 + 0.5 (4 - 2) = 3; q = 1/6 -> 0.5 -> 1.5
    np.testing.assert_array_equal(sorted_quantiles(o, np.array([0.5, 1 / 6])), [3.0, 1.5])
    with_nan = np.sort(np.array([3.0, np.nan, 1.0]))
    assert np.isnan(sorted_quantiles(with_nan, np.array([0.5]))).all()  # as np.quantile
    assert np.isnan(sorted_quantiles(np.empty(0), np.array([0.5]))).all()
