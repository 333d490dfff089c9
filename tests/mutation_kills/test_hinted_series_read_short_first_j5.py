"""A per-year series the window targets read over a span starting after the base year (the
window hint) is computed over the whole hint on its first read, even when that read is a
shorter span: the read gets its own years of it, at the offset from the hint's start."""

from __future__ import annotations

from typing import Any

import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.engine import run_targets


def _reached_by(year: int) -> dict[str, Any]:
    return {
        "kind": "reached_by",
        "label": f"w{year}",
        "metric": "cluster_output - output[b]",
        "from_year": 2024,
        "year": year,
        "at_least": 0,
    }


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_a_shorter_read_before_the_whole_hint(engine: str) -> None:
    """Output a = 100 growing 10%: 100, 110, 121, 133.1, 146.41 in 2023-2027; b is drawn, so
    cluster_output (a per-year series) varies by sample and is computed per block, and
    cluster_output - output[b] is a's output.

    The hint is 2024-2026 (years 1:4). The targets are read in order: 2024-2025 first
    (years 1:3, offsets 0:2 of the hint: 110, 121, best 121), then the level in 2025
    (offset 1:2: 121), then 2024-2026 (all of it: best 133.1)."""
    doc: dict[str, Any] = {
        "id": "s",
        "name": "s",
        "base_year": 2023,
        "end_year": 2027,
        "region": {"gdp": {"base": 100}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100, "growth": 0.1}},
            "b": {"name": "B", "output": {"base": {"dist": "uniform", "low": 40, "high": 60}}},
        },
        "targets": {
            "w2025": _reached_by(2025),
            "l2025": {
                "kind": "level",
                "label": "l",
                "metric": "cluster_output - output[b]",
                "year": 2025,
                "at_least": 0,
            },
            "w2026": _reached_by(2026),
        },
    }
    out = run_targets(cs.Scenario.model_validate(doc), samples=3, seed=1, engine=engine)
    assert_allclose(out["w2025"].value, [121.0] * 3, rtol=1e-12)
    assert_allclose(out["l2025"].value, [121.0] * 3, rtol=1e-12)
    assert_allclose(out["w2026"].value, [133.1] * 3, rtol=1e-12)
