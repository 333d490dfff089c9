"""count_over's refusal of an unknown ``over`` id lists what is known: the clusters and the
groups the scenario defines, not the implicit group of all clusters."""

from __future__ import annotations

import re

import pytest

import clustersim as cs


def test_unknown_over_id_lists_clusters_and_defined_groups() -> None:
    """Clusters a, b; group g (a and b). Known, sorted: a, b, g."""
    doc = {
        "id": "c",
        "name": "c",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100}},
            "b": {"name": "B", "output": {"base": 50}},
        },
        "groups": {"g": {"name": "G", "clusters": ["a", "b"]}},
        "targets": {
            "t": {
                "kind": "count_over",
                "label": "t",
                "year": 2025,
                "threshold": 60,
                "over": ["nope"],
                "at_least": 1,
            }
        },
    }
    want = "over: unknown cluster or group 'nope'; known: a, b, g"
    with pytest.raises(cs.ScenarioError, match=re.escape(want) + "$"):
        cs.run(cs.Scenario.model_validate(doc), required=False)
