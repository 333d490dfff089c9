"""level_of returns a bool: True for a per-cluster value, False for a region-level one."""

from __future__ import annotations

import numpy as np
import pytest

from clustersim.core import expr as ex

IS_CLUSTER = {"output": True, "gdp": False}
GROUPS = {"g": np.array([0, 1])}
CLUSTERS = {"a": 0, "b": 1}


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("output[a]", False),  # one cluster picked: region-level
        ("output[a] / gdp", False),
        ("gdp / output[b]", False),
        ("-output[a]", False),
        ("sum(output, group=g)", False),
        ("output", True),
        ("output / gdp", True),
        ("gdp - output", True),
    ],
)
def test_level_of_is_a_bool(text: str, want: bool) -> None:
    assert ex.level_of(ex.parse(text), IS_CLUSTER, GROUPS, CLUSTERS) is want
