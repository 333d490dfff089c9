"""Samples per block of the blocked engine: 2^20 cluster-years a block, at least 512 and
at most 8192 samples (the documented bounds), computed here for three model sizes."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim.core.blocked import BLOCK_ELEMENTS, block_rows
from clustersim.core.model import Compound, Model


@pytest.mark.parametrize(
    ("clusters", "years", "rows"),
    [
        (2, 3, 8192),  # 2^20 // 6 = 174762, capped at 8192
        (256, 3, 1365),  # 2^20 // 768 = 1365 (a whole number of rows), inside the bounds
        (1000, 3, 512),  # 2^20 // 3000 = 349, raised to 512
    ],
)
def test_block_rows(clusters: int, years: int, rows: int) -> None:
    assert BLOCK_ELEMENTS == 2**20
    model = Model(
        years=np.arange(2023, 2023 + years),
        clusters=tuple(f"c{i}" for i in range(clusters)),
        samples=1,
        ops=(Compound("gdp", False, np.array([100.0]), np.full((1, 1), 0.1)),),
    )
    got = block_rows(model)
    assert got == rows and isinstance(got, int)
