"""The blocked (NumPy) engine computes a derived metric once over the years the window
targets read (the window hint), then slices the years each read asks for out of it. A
shorter window read first, inside the hint, and a point read after the hint are written
out by hand here; the projection engine (no hint) is held to the same numbers."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


def _reached_by(start: int, year: int) -> dict[str, Any]:
    return {
        "kind": "reached_by",
        "label": f"w{year}",
        "metric": "m",
        "from_year": start,
        "year": year,
        "at_least": 0,
    }


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_reads_inside_and_beyond_the_window_hint(engine: str) -> None:
    """gdp 100 (no growth); output a = 100 growing 10% (100, 110, 121, 133.1, 146.41 in
    2023-2027), b = 50: m = sum(output) / gdp = 1.5, 1.6, 1.71, 1.831, 1.9641.
    reached_by (at least 0) takes the best year: 2024-2025 -> 1.71 (2026 is outside it),
    2024-2026 -> 1.831; the level in 2027, after both windows, is 1.9641."""
    doc = {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2027,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100, "growth": 0.1}},
            "b": {"name": "B", "output": {"base": 50}},
        },
        "metrics": {"m": "sum(output) / gdp"},
        "targets": {
            # the first read of m: years 1:3 of the hinted 1:4 (2024-2026)
            "w2025": _reached_by(2024, 2025),
            "w2026": _reached_by(2024, 2026),
            # after the hint: computed for its own year
            "m2027": {"kind": "level", "label": "m", "metric": "m", "year": 2027, "at_least": 0},
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=2, seed=1, engine=engine)
    assert_allclose(out["w2025"].value, [1.71] * 2, rtol=1e-13)
    assert_allclose(out["w2026"].value, [1.831] * 2, rtol=1e-13)
    assert_allclose(out["m2027"].value, [1.9641] * 2, rtol=1e-13)
