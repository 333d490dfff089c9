"""An every-year target whose window ends in the base year: every year it compares reads
history (the kernel unrolls them all and has no run-time year loop). GDP history 80
(2021), 90 (2022), base 100 (2023): growth 90/80 - 1 = 0.125 in 2022 and 100/90 - 1 = 1/9
in 2023, so the lowest yearly growth is 1/9 and the margin over 10% is 1/9 - 0.1; both
engines give it."""

from __future__ import annotations

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


@pytest.mark.parametrize("engine", ["numpy", "numba"])
def test_growth_every_year_over_history_only(engine: str) -> None:
    pytest.importorskip("numba")
    d = {
        "id": "y",
        "name": "y",
        "base_year": 2023,
        "end_year": 2025,
        "region": {
            "gdp": {"base": 100, "growth": 0.1},
            "history": {"gdp": {2021: 80, 2022: 90}},
        },
        "targets": {
            "t": {
                "kind": "growth_every_year",
                "label": "t",
                "metric": "gdp",
                "from_year": 2021,
                "year": 2023,
                "at_least": 0.1,
            }
        },
    }
    out = run_targets(cs.Scenario.model_validate(d), samples=2, seed=1, engine=engine)["t"]
    assert_allclose(out.value, [1 / 9, 1 / 9], rtol=1e-14)
    assert_allclose(out.margin, [1 / 9 - 0.1, 1 / 9 - 0.1], rtol=1e-12)
    assert out.met.all()
