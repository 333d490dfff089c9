"""Two numbers derived on the way, at the edges the existing tests leave open: the root
seed compile_scenario draws for an unseeded Monte Carlo compile (reduced mod 2^63, so it
fits an int64), and the engine-choice work of a scenario without clusters (the region is
one column: the work is never 0)."""

from __future__ import annotations

from typing import Any

import numpy as np

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.engine import run_targets
from clustersim.engines import resolve_engine


def _doc(clusters: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.05}},
        "clusters": clusters,
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "at_least": 121}
        },
    }


def test_an_unseeded_compile_reduces_the_entropy_mod_2_to_the_63(monkeypatch: Any) -> None:
    """Entropy 2^63 + 5 (above the int64 range) gives the root seed 5."""

    class Fixed:
        entropy = 2**63 + 5

    monkeypatch.setattr(np.random, "SeedSequence", Fixed)
    one = {"a": {"name": "A", "output": {"base": 100, "growth": 0.05}}}
    comp = compile_scenario(cs.Scenario.model_validate(_doc(one)), samples=2)
    assert comp.seed == 5


def test_a_scenario_without_clusters_counts_one_column_of_work(monkeypatch: Any) -> None:
    """No clusters: 4 samples x max(1, 0) x 3 years (2023-2025) = 12 cluster-years."""
    seen: list[int] = []

    def spy(engine: Any, work: int, kinds: Any) -> Any:
        seen.append(work)
        return resolve_engine("numpy", work, kinds)

    monkeypatch.setattr("clustersim.engine.resolve_engine", spy)
    run_targets(cs.Scenario.model_validate(_doc({})), samples=4, seed=1, engine="auto")
    assert seen == [12]
