"""An elasticity growth over a single projected year (one factor row)."""

from __future__ import annotations

import numpy as np

import clustersim as cs


def test_elastic_growth_over_one_projected_year() -> None:
    """gdp grows 10% from 2023 to 2024; output with elasticity 2 to gdp grows 20%:
    10 -> 12, in a plain run and in every one of 3 samples."""
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2024,
        "region": {"gdp": {"base": 100, "growth": 0.1}},
        "clusters": {
            "a": {
                "name": "A",
                "output": {
                    "base": 10,
                    "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 2.0},
                },
            }
        },
    }
    sc = cs.Scenario.model_validate(d)
    plain = cs.run(sc, required=False).series["output"]
    np.testing.assert_allclose(plain, [[[10.0, 12.0]]], rtol=1e-14)
    drawn = cs.run(sc, samples=3, seed=1, required=False).series["output"]
    np.testing.assert_allclose(drawn, np.tile([[[10.0, 12.0]]], (3, 1, 1)), rtol=1e-14)


def test_elastic_growth_over_one_projected_year_time_major() -> None:
    """The block engine's projection (year first): the same 10 -> 12 for cluster a."""
    from clustersim.core.blocked import project_time_major

    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2024,
        "region": {"gdp": {"base": 100, "growth": 0.1}},
        "clusters": {
            "a": {
                "name": "A",
                "output": {
                    "base": 10,
                    "growth": {"kind": "elasticity", "to": "gdp", "elasticity": 2.0},
                },
            }
        },
    }
    comp = cs.compile_scenario(cs.Scenario.model_validate(d), samples=3, seed=1)
    out = np.asarray(project_time_major(comp.model)["output"])  # (T, B', C)
    np.testing.assert_allclose(out[:, :, 0], np.broadcast_to([[10.0], [12.0]], (2, out.shape[1])))
