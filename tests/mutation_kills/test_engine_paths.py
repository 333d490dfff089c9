"""Numbers the run derives on the way (the work estimate that picks an engine, the root
seed of an unseeded run, the lever list of a one-lever target), each checked exactly."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import clustersim as cs
from clustersim.engine import run_targets
from clustersim.engines import resolve_engine


def _doc(**over: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100, "growth": 0.05}},
        "clusters": {
            "a": {"name": "A", "output": {"base": 100, "growth": 0.05}},
            "b": {"name": "B", "output": {"base": 50, "growth": 0.05}},
        },
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "at_least": 121}
        },
    }
    d.update(over)
    return d


def test_engine_choice_sees_samples_times_clusters_times_years(monkeypatch: Any) -> None:
    """5 samples x 2 clusters x 3 years (2023-2025) = 30 cluster-years of work."""
    seen: list[int] = []

    def spy(engine: Any, work: int, kinds: Any) -> Any:
        seen.append(work)
        return resolve_engine("numpy", work, kinds)

    monkeypatch.setattr("clustersim.engine.resolve_engine", spy)
    run_targets(cs.Scenario.model_validate(_doc()), samples=5, seed=1, engine="auto")
    assert seen == [30]


def test_unseeded_run_seed_is_the_entropy_mod_2_to_the_63(monkeypatch: Any) -> None:
    """Without a seed, the root seed is the OS entropy reduced mod 2^63 (an int64):
    entropy 2^64 + 2^62 + 5 gives 2^62 + 5."""

    class Fixed:
        entropy = 2**64 + 2**62 + 5

    monkeypatch.setattr(np.random, "SeedSequence", Fixed)
    res = cs.run(cs.Scenario.model_validate(_doc()), samples=3, required=False)
    assert res.seed == 2**62 + 5


def test_one_lever_is_the_required_growth_and_no_lever_list() -> None:
    """A target with one lever reports it as required_growth; the list of levers is for two
    or more and stays empty (and out of the result's dict). gdp 100 at 5% is 110.25 in
    2025; reaching 121 needs 100 (1 + r)^2 = 121, r = 10%."""
    res = cs.run(cs.Scenario.model_validate(_doc()))
    t = res.target("t")
    assert t.required_growth is not None and t.required_growth["series"] == "gdp"
    assert t.required_growth["rate"] == pytest.approx(0.1, abs=1e-9)
    assert t.required_levers == []
    assert "required_growth_levers" not in t.to_dict()


@pytest.mark.parametrize("samples", [0, -3])
def test_run_targets_refuses_fewer_than_one_sample(samples: int) -> None:
    with pytest.raises(cs.ScenarioError, match=rf"^samples must be >= 1, got {samples}$"):
        run_targets(cs.Scenario.model_validate(_doc()), samples=samples, seed=1)
