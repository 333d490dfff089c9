"""The model refuses a tier op that names no tier of its pipeline: an index outside
0..K-1, or a series other than its stock or its arrivals."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim.core.model import Compound, Model, Tier, TierPipeline


def _model(index: int, what: str) -> Model:
    pipe = TierPipeline(
        "entries",
        s0=np.array([[10.0, 2.0]]),
        promote=np.array([[0.1, 0.0]]),
        exit=np.array([[0.05, 0.01]]),
        cap=np.full((1, 2), np.inf),
    )
    return Model(
        years=np.arange(2023, 2026),
        clusters=("a",),
        samples=1,
        ops=(
            Compound("entries", False, np.array([5.0]), np.zeros((1, 1))),
            Tier("t", pipe, index, what),
        ),
    )


def test_a_tier_op_in_range_is_accepted() -> None:
    assert _model(1, "in").names == ("entries", "t")


@pytest.mark.parametrize(
    ("index", "what", "message"),
    [
        (2, "stock", "t: no tier 2 'stock' in its pipeline"),  # two tiers: 0 and 1
        (-1, "stock", "t: no tier -1 'stock' in its pipeline"),
        (0, "exits", "t: no tier 0 'exits' in its pipeline"),  # index fine, series not
    ],
)
def test_a_tier_op_outside_its_pipeline_is_refused(index: int, what: str, message: str) -> None:
    with pytest.raises(ValueError) as info:
        _model(index, what)
    assert str(info.value) == message
