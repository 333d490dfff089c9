"""A group listing its clusters out of order (a, d, c) counts exactly those clusters, not
the run of consecutive clusters from its first to its last index (a, b, c)."""

from __future__ import annotations

import clustersim as cs


def test_count_over_a_group_listed_out_of_order() -> None:
    """Outputs a, b, c 200 and d 50, no growth; group g = [a, d, c]. Clusters of g at 100 or
    more in 2025: a and c, so 2 (b, outside g, is not counted): the target of 3 is missed."""
    doc = {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            k: {"name": k.upper(), "output": {"base": v}}
            for k, v in {"a": 200, "b": 200, "c": 200, "d": 50}.items()
        },
        "groups": {"g": {"name": "G", "clusters": ["a", "d", "c"]}},
        "targets": {
            "t": {
                "kind": "count_over",
                "label": "t",
                "year": 2025,
                "threshold": 100,
                "at_least": 3,
                "group": "g",
            }
        },
    }
    sc = cs.Scenario.model_validate(doc)
    for samples in (1, 4):
        t = cs.run(sc, samples=samples, seed=1, required=False).target("t")
        assert t.status == "missed"
        assert [float(v) for v in t.value] == [2.0] * samples
