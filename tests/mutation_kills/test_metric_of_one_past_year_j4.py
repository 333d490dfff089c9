"""A target metric made only of a value in one year (``gdp@2024``) has one value, read in
any later year: broadcast over samples and years, not refused as a constant."""

from __future__ import annotations

import clustersim as cs


def test_a_level_target_on_a_metric_at_a_fixed_year() -> None:
    """gdp 100 growing 10%: 110 in 2024; the 2025 target on gdp@2024 reads 110 (>= 105,
    met), in a plain run and in each of 3 samples."""
    doc = {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.1}},
        "clusters": {"a": {"name": "A", "output": {"base": 10}}},
        "targets": {
            "t": {
                "kind": "level",
                "label": "t",
                "metric": "gdp@2024",
                "year": 2025,
                "at_least": 105,
            }
        },
    }
    sc = cs.Scenario.model_validate(doc)
    for samples in (1, 3):
        t = cs.run(sc, samples=samples, seed=1, required=False).target("t")
        assert t.status == "met"
        assert [round(float(v), 9) for v in t.value] == [110.0] * samples
