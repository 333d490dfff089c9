"""``results.median`` and ``results.percentiles`` are NumPy's ``median`` and ``percentile``
bit for bit (issue 21, part 4: NumPy 2.4's own import ``numpy.ma``, 0.015-0.02 s of a cold
run), on random samples with ties, signed zeros, infinities and NaN, of every small size."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from clustersim.results import PERCENTILES, median, percentiles

ROOT = Path(__file__).resolve().parents[2]
# inf - inf in the interpolation warns in NumPy's percentile and in ours alike
pytestmark = pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")


def samples(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for n in [*range(1, 41), 199, 200, 1000, 1001]:
        for kind in range(6):
            if kind == 0:
                a = rng.normal(size=n)
            elif kind == 1:  # ties
                a = rng.integers(-3, 4, size=n).astype(np.float64)
            elif kind == 2:  # signed zeros beside values
                a = rng.choice([-0.0, 0.0, 1.0, -1.0], size=n)
            elif kind == 3:  # infinities
                a = rng.choice([-np.inf, np.inf, 0.5, 2.0, -7.0], size=n)
            elif kind == 4:  # a NaN somewhere
                a = rng.lognormal(size=n)
                a[rng.integers(n)] = np.nan
            else:  # wide magnitudes
                a = rng.normal(size=n) * 10.0 ** rng.integers(-300, 300, size=n)
            out.append(a)
    return out


def same(x: object, y: object) -> bool:
    x, y = np.asarray(x), np.asarray(y)
    return x.shape == y.shape and x.dtype == y.dtype and x.tobytes() == y.tobytes()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_median_is_numpy_s_bit_for_bit(seed: int) -> None:
    for a in samples(seed):
        assert same(median(a), np.median(a)), a
        for t in (1, 2, 5):
            m = np.repeat(a[:, None], t, axis=1) * np.arange(1, t + 1)
            assert same(median(m, axis=0), np.median(m, axis=0)), m


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_percentiles_are_numpy_s_bit_for_bit(seed: int) -> None:
    for a in samples(seed):
        assert same(percentiles(a, PERCENTILES), np.percentile(a, PERCENTILES)), a
        assert same(percentiles(a, (0, 100, 33.3)), np.percentile(a, (0, 100, 33.3))), a
        before = a.copy()
        percentiles(a, PERCENTILES)
        assert same(a, before)  # the input is left as it was


def test_what_they_do_not_cover_goes_to_numpy() -> None:
    ints = np.arange(7)
    assert same(median(ints), np.median(ints))
    assert same(percentiles(ints, PERCENTILES), np.percentile(ints, PERCENTILES))
    f32 = np.linspace(0, 1, 6, dtype=np.float32)
    assert same(median(f32), np.median(f32))
    assert same(percentiles(f32, PERCENTILES), np.percentile(f32, PERCENTILES))


def test_a_run_s_tables_do_not_import_numpy_ma() -> None:
    probe = (
        "import sys\nfrom clustersim.cli import main\n"
        "sys.argv = ['clustersim', 'run', 'scenarios/zhenjiang-2026.yaml', '-n', '100', '-s', '1']\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "sys.__stderr__.write('NUMPY.MA ' + str('numpy.ma' in sys.modules))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src"), "CLUSTERSIM_NO_CACHE": "1"}
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, env=env
    )
    assert done.returncode == 0, done.stderr
    assert "NUMPY.MA False" in done.stderr
