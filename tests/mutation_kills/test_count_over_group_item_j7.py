"""count_over with ``over`` naming a group: the group is one item, the sum of its
clusters' values in each sample (not a sum over samples)."""

from __future__ import annotations

import clustersim as cs


def test_a_group_item_counts_its_clusters_summed_per_sample() -> None:
    """No growth; a 60 and b 50 form group g (one item, 110), c 120, d 40. Items at 100 or
    more in 2025: g (110) and c (120), so 2 of the 3 items, in every sample, and the goal
    of 2 is met."""
    doc = {
        "id": "o",
        "name": "o",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            k: {"name": k.upper(), "output": {"base": v}}
            for k, v in {"a": 60, "b": 50, "c": 120, "d": 40}.items()
        },
        "groups": {"g": {"name": "G", "clusters": ["a", "b"]}},
        "targets": {
            "t": {
                "kind": "count_over",
                "label": "t",
                "year": 2025,
                "threshold": 100,
                "at_least": 2,
                "over": ["g", "c", "d"],
            }
        },
    }
    sc = cs.Scenario.model_validate(doc)
    for samples in (1, 2, 3):
        t = cs.run(sc, samples=samples, seed=1, required=False).target("t")
        assert t.status == "met"
        assert [float(v) for v in t.value] == [2.0] * samples
