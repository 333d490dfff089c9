"""A per-cluster tier pipeline names one entries series per cluster (``""`` for a cluster
without a ladder): the model refuses a tuple of entries of another length, even when every
array has the clusters' shape ``(S', C, K)`` (those checks alone would pass it).

With one entries name per cluster the model is accepted and projects, by hand, a one-tier
ladder in cluster a: 10 firms, exit 10%, 5 entries a year, so 10 -> 10 x 0.9 + 5 = 14 ->
14 x 0.9 + 5 = 17.6; clusters b and c have no ladder and no firms in it.
"""

from __future__ import annotations

import numpy as np
import pytest
from numpy.testing import assert_allclose

from clustersim.core.model import Compound, Model, Tier, TierPipeline
from clustersim.core.project import project


def _model(entries: tuple[str, ...]) -> Model:
    pipe = TierPipeline(
        entries,
        s0=np.array([[[10.0], [0.0], [0.0]]]),  # (S' = 1, C = 3, K = 1)
        promote=np.zeros((1, 3, 1)),
        exit=np.array([[[0.1], [0.0], [0.0]]]),
        cap=np.full((1, 3, 1), np.inf),
    )
    return Model(
        years=np.arange(2023, 2026),
        clusters=("a", "b", "c"),
        samples=1,
        ops=(
            Compound("e", False, np.array([5.0]), np.zeros((1, 1))),
            Tier("t", pipe, 0, "stock"),
        ),
    )


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (("e", ""), "t: 2 entries for 3 clusters"),
        (("e", "", "", ""), "t: 4 entries for 3 clusters"),
    ],
)
def test_entries_for_another_number_of_clusters_are_refused(
    entries: tuple[str, ...], message: str
) -> None:
    with pytest.raises(ValueError) as info:
        _model(entries)
    assert str(info.value) == message


def test_one_entries_name_per_cluster_is_accepted_and_projects_by_hand() -> None:
    m = _model(("e", "", ""))
    assert m.names == ("e", "t") and m.is_cluster("t")
    t = project(m)["t"]  # (S, C, T)
    assert_allclose(t[0, 0], [10.0, 14.0, 17.6], rtol=1e-15)
    assert_allclose(t[0, 1:], np.zeros((2, 3)), atol=0)
