"""Which results are counts (medians and percentiles taken among the samples): a count
kind, or any kind reading an ``integer: true`` indicator by name; not a plain level."""

from __future__ import annotations

import clustersim as cs


def test_counts_are_flagged_integer() -> None:
    doc = {
        "id": "i",
        "name": "i",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}}},
        "indicators": {
            "nat": {"kind": "stock", "name": "n", "base": 3, "integer": True, "flow": {"base": 1}}
        },
        "targets": {
            "count": {
                "kind": "count_over",
                "label": "c",
                "year": 2025,
                "threshold": 50,
                "at_least": 1,
            },
            "stock": {"kind": "level", "label": "s", "metric": "nat", "year": 2025, "at_least": 1},
            "gdp": {"kind": "level", "label": "g", "metric": "gdp", "year": 2025, "at_least": 1},
        },
    }
    res = cs.run(cs.Scenario.model_validate(doc), required=False)
    assert res.target("count").integer is True  # the kind counts clusters
    assert res.target("stock").integer is True  # the metric is an integer indicator
    assert res.target("gdp").integer is False
    assert res.target("stock").median_value == 5.0  # 3 + 1 + 1
