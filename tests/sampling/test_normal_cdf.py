"""The NumPy normal CDF and inverse CDF (AS241) against scipy's, and that the run path no
longer needs scipy.special for them."""

from __future__ import annotations

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy.special import ndtr as scipy_ndtr
from scipy.special import ndtri as scipy_ndtri

from clustersim.sampling.normal_cdf import BLOCK, ndtr, ndtri


def dense_grid() -> np.ndarray:
    """Every region of AS241: the central interval, both tails (``r <= 5`` and ``r > 5``),
    the edges of the central interval, down to the smallest normal and subnormal floats."""
    edge = np.concatenate(
        [
            np.nextafter(0.075, 0.0) + np.arange(-50, 50) * 2.0**-56,
            np.nextafter(0.925, 1.0) + np.arange(-50, 50) * 2.0**-53,
        ]
    )
    return np.concatenate(
        [
            np.linspace(0.0, 1.0, 1_000_001)[1:-1],
            np.logspace(-320, -1, 20_000),  # includes subnormals
            1.0 - np.logspace(-16, -1, 20_000),
            edge,
        ]
    )


def test_inverse_normal_matches_scipy_to_a_few_ulp_on_a_dense_grid() -> None:
    u = dense_grid()
    z, ref = ndtri(u), scipy_ndtri(u)
    assert np.all(np.isfinite(z))
    nz = ref != 0.0
    rel = np.abs(z[nz] - ref[nz]) / np.abs(ref[nz])
    assert rel.max() < 4e-15, rel.max()
    assert np.all(z[~nz] == 0.0)  # u = 0.5 exactly


def test_inverse_normal_limits_shapes_and_blocks() -> None:
    z = ndtri(np.array([0.5, 0.975, 0.025, 0.0, 1.0, np.nan, -0.1, 1.5]))
    assert z[0] == 0.0
    assert z[1] == pytest.approx(1.959963984540054, rel=1e-15)
    assert z[2] == pytest.approx(-1.959963984540054, rel=1e-15)
    assert z[3] == -math.inf and z[4] == math.inf
    assert np.all(np.isnan(z[5:]))
    grid = np.random.default_rng(4).random((3, BLOCK + 7))  # crosses a block edge
    out = ndtri(grid)
    assert out.shape == grid.shape
    assert_array_equal(out.ravel(), ndtri(grid.ravel()))
    # one value at a time gives the same bytes as the whole array (chunks equal one pass)
    assert_array_equal(
        np.concatenate([ndtri(grid.ravel()[i : i + 1]) for i in range(0, 200)]), out.ravel()[:200]
    )
    assert ndtri(np.float64(0.3)).shape == ()


def test_normal_cdf_matches_scipy() -> None:
    x = np.concatenate([np.linspace(-37.5, 8.5, 40_001), [-np.inf, np.inf]])
    got, ref = np.array([ndtr(v) for v in x]), scipy_ndtr(x)  # scalars: math.erfc
    ok = ref > 1e-300
    rel = np.abs(got[ok] - ref[ok]) / ref[ok]
    # erfc of a rounded x / sqrt(2): relative error grows like x^2 eps in the far lower tail
    assert rel.max() < 2e-13, rel.max()
    mid = np.abs(x) <= 5.0
    assert_allclose(got[mid], ref[mid], rtol=4e-15, atol=0)
    assert got[-2] == 0.0 and got[-1] == 1.0
    assert isinstance(ndtr(0.3), float) and ndtr(0.0) == 0.5
    assert_array_equal(ndtr(x.reshape(1, -1))[0], ref)  # arrays: scipy's


def test_the_draws_default_is_scipys_ndtri_bit_for_bit() -> None:
    """The NumPy draws' inverse normal is scipy's compiled ``ndtri`` itself (loaded without
    the ``scipy.special`` package), so its values equal ``scipy.special.ndtri`` exactly."""
    from scipy.special import ndtri as scipy_ndtri

    from clustersim.sampling.base import ndtri as default_ndtri

    rng = np.random.default_rng(5)
    u = np.concatenate([rng.random(100_000), [0.0, 1.0, 0.5, 1e-300, 1 - 1e-16, np.nan]])
    np.testing.assert_array_equal(default_ndtri(u), scipy_ndtri(u))


def test_scipy_ufuncs_load_without_the_package_and_the_package_still_imports() -> None:
    """In a fresh interpreter: ``cephes_ndtri`` loads ``scipy.special._ufuncs`` without
    running ``scipy/special/__init__.py``; importing ``scipy.special`` afterwards gives the
    whole package, whose ``ndtri`` is the same ufunc object."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from clustersim.sampling.normal_cdf import cephes_ndtri\n"
        "assert abs(cephes_ndtri([0.975])[0] - 1.959963984540054) < 1e-15\n"
        "assert 'scipy.special' not in sys.modules\n"
        "import scipy.special\n"
        "assert scipy.special.ndtri is sys.modules['scipy.special._ufuncs'].ndtri\n"
        "assert abs(scipy.special.erf(0.5) - 0.5204998778130465) < 1e-15\n"
        "print('ok')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"
