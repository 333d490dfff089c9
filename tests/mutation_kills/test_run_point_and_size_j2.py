"""run()'s use of a given central compile (``point``) and its memory refusal.

- ``point`` is reused, not compiled again: one sample compiles nothing, several samples
  compile only the sampled scenario; without ``required`` no central compile is made.
- A reused one-sample compile takes the run's seed (only the recorded seed can differ).
- The refusal is above 6 GiB = 6 * 2^30 bytes, not at it: the scenario below keeps
  samples * 3 years * 8 bytes * (10 * 2 clusters + 12 region series) = 768 bytes a
  sample, so 6 * 2^30 / 768 = 2^23 = 8,388,608 samples is exactly the limit.
"""

from __future__ import annotations

from typing import Any

import pytest

import clustersim as cs
from clustersim import engine
from clustersim.compile import compile_scenario
from clustersim.errors import ModelError


def _scenario() -> cs.Scenario:
    return cs.Scenario.model_validate(
        {
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
    )


@pytest.fixture
def compiles(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The samples of every compile_scenario call run() makes."""
    seen: list[int] = []
    real = compile_scenario

    def spy(scenario: Any, **kw: Any) -> Any:
        seen.append(kw.get("samples", 1))
        return real(scenario, **kw)

    monkeypatch.setattr(engine, "compile_scenario", spy)
    return seen


def test_one_sample_reuses_the_point_with_the_run_seed(compiles: list[int]) -> None:
    sc = _scenario()
    point = compile_scenario(sc, samples=1)  # recorded seed: None
    compiles.clear()
    res = cs.run(sc, samples=1, seed=5, point=point)
    assert compiles == []
    assert res.seed == 5
    # gdp 100 * 1.05^2 = 110.25 in 2025, 10.75 short of 121
    assert res.targets[0].value[0] == pytest.approx(110.25, rel=1e-12)


def test_several_samples_compile_only_the_sampled_scenario(compiles: list[int]) -> None:
    sc = _scenario()
    point = compile_scenario(sc, samples=1)
    compiles.clear()
    cs.run(sc, samples=3, seed=1, point=point)
    assert compiles == [3]


def test_no_central_compile_without_required(compiles: list[int]) -> None:
    cs.run(_scenario(), samples=3, seed=1, required=False)
    assert compiles == [3]


def test_the_memory_limit_itself_is_allowed() -> None:
    sc = _scenario()
    assert engine.run_bytes(sc, 2**23) == 6 * 2**30 == engine.MAX_RUN_BYTES
    engine._check_size(sc, 2**23)  # exactly 6 GiB: allowed
    with pytest.raises(ModelError) as err:
        engine._check_size(sc, 2**23 + 1)  # 768 bytes more
    assert str(err.value).startswith(
        "8,388,609 samples of e would keep about 6.0 GiB of trajectories in memory (limit 6 GiB)"
    )
