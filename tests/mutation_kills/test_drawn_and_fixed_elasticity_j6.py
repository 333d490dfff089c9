"""Two clusters elastic to the same series, one elasticity drawn and one fixed, in a Monte
Carlo run: the elasticities of the source are stacked per sample (the drawn one varies,
the fixed one is the same in every sample).

gdp 100 growing 5%. Cluster a: output 10, elasticity uniform(0.5, 1.5) to gdp; cluster b:
output 20, elasticity 1 to gdp, so b grows 1 x 5% a year: 21 in 2024, 22.05 in 2025, in
every sample; a grows e x 5% with e in (0.5, 1.5): 10.25 < a(2024) < 10.75.
"""

from __future__ import annotations

import numpy as np

import clustersim as cs


def test_a_drawn_elasticity_beside_a_fixed_one() -> None:
    def elastic(e: object, base: float) -> dict[str, object]:
        return {"base": base, "growth": {"kind": "elasticity", "to": "gdp", "elasticity": e}}

    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100.0, "growth": 0.05}},
        "clusters": {
            "a": {
                "name": "A",
                "output": elastic({"dist": "uniform", "low": 0.5, "high": 1.5}, 10.0),
            },
            "b": {"name": "B", "output": elastic(1.0, 20.0)},
        },
    }
    res = cs.run(cs.Scenario.model_validate(d), samples=50, seed=3, required=False)
    out = res.series["output"]  # (S, C, T)
    assert out.shape == (50, 2, 3)
    np.testing.assert_allclose(out[:, 1, 1], 21.0, rtol=1e-12)
    np.testing.assert_allclose(out[:, 1, 2], 22.05, rtol=1e-12)
    a = out[:, 0, 1]
    assert np.all((a > 10.25) & (a < 10.75))
    assert np.ptp(a) > 0.1  # drawn: not the same in every sample
