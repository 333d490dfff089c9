"""run(samples=1, seed=..., point=...) reuses a one-sample compile but records the seed the
caller asked for."""

from __future__ import annotations

import clustersim as cs
from clustersim.compile import compile_scenario


def test_a_reused_point_compile_records_the_callers_seed() -> None:
    """The point was compiled without a seed (None); run with seed 7 reports seed 7, and
    the projection is the point's: 1, 1.1, 1.21."""
    d = {
        "id": "g",
        "name": "g",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 1, "growth": 0.1}}},
    }
    sc = cs.Scenario.model_validate(d)
    point = compile_scenario(sc, samples=1)
    assert point.seed is None
    res = cs.run(sc, samples=1, seed=7, point=point)
    assert res.seed == 7
    assert [round(float(v), 12) for v in res.series["output"][0, 0]] == [1.0, 1.1, 1.21]
