"""numba's on-disk cache of clustersim's functions goes to the user's cache folder."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("numba")

import clustersim

PACKAGE = Path(clustersim.__file__).resolve().parent


def test_compiled_draws_cache_in_the_user_cache_not_the_package(tmp_path: Path) -> None:
    code = (
        "import numpy as np\n"
        "from clustersim.accel.draws import ndtri\n"
        "print(float(ndtri(np.array([0.975]))[0]))\n"
    )
    before = set(PACKAGE.rglob("*.nbi")) | set(PACKAGE.rglob("*.nbc"))
    env = dict(os.environ, CLUSTERSIM_CACHE=str(tmp_path))
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert float(out.stdout) == pytest.approx(1.959963984540054, rel=1e-15)
    cached = list((tmp_path / "numba").rglob("draws._ppnd16-*.nbi"))
    assert len(cached) == 1, list(tmp_path.rglob("*"))
    after = set(PACKAGE.rglob("*.nbi")) | set(PACKAGE.rglob("*.nbc"))
    assert after - before == set()
