"""An unseeded Monte Carlo run (run_targets) and an unseeded ScenarioCompiler take the OS
entropy mod 2^63 as their root seed: with the entropy fixed, the draws are those of the
explicit seed entropy mod 2^63, here 5 (so the seed fits an int64 and a run can be
repeated from it).

The entropy is 2^100 + 2^63 + 5: bits above 2^64, and bit 63 set. Kills
- engine.py:run_targets:bba5b4e960 (``% 2**63`` -> ``// 2**63``: seed 2^37 + 1),
- engine.py:run_targets:37d311c3db (``2**63`` -> ``2 * 63``: seed E mod 126, not 5),
- engine.py:run_targets:b6d901831c (``2**63`` -> ``3**63``: seed E - 3^63, above 2^63),
- engine.py:run_targets:6826f27bac (``2**63`` -> ``2**64``: seed 2^63 + 5),
- compile.py:ScenarioCompiler.compile:71ea00f847 (``2**63`` -> ``2 * 63``),
each of which draws from another root seed: other values than the seeded run's.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_array_equal

import clustersim as cs
from clustersim.compile import ScenarioCompiler
from clustersim.engine import run_targets

ENTROPY = 2**100 + 2**63 + 5


class _FixedEntropy(np.random.SeedSequence):
    """numpy's SeedSequence, with ENTROPY when called without one (the OS draw)."""

    def __init__(self, entropy: Any = None, **kw: Any) -> None:
        super().__init__(ENTROPY if entropy is None else entropy, **kw)


def _scenario() -> cs.Scenario:
    """gdp 100 growing at a drawn rate, uniform(0, 0.1): its level in 2025 differs by
    sample and by seed."""
    return cs.Scenario.model_validate(
        {
            "id": "e",
            "name": "e",
            "base_year": 2023,
            "end_year": 2025,
            "region": {
                "gdp": {"base": 100, "growth": {"rate": {"dist": "uniform", "low": 0, "high": 0.1}}}
            },
            "clusters": {"a": {"name": "A", "output": {"base": 100}}},
            "targets": {
                "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "at_least": 1}
            },
        }
    )


def test_the_entropy_reduces_to_5() -> None:
    assert ENTROPY % 2**63 == 5  # 2^100 and 2^63 are multiples of 2^63


def test_an_unseeded_run_draws_as_the_seed_entropy_mod_2_to_the_63(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = _scenario()
    seeded = run_targets(sc, samples=4, seed=5, engine="numpy")["t"].value
    other = run_targets(sc, samples=4, seed=6, engine="numpy")["t"].value
    assert not np.array_equal(seeded, other)  # the seed shows in the values
    monkeypatch.setattr(np.random, "SeedSequence", _FixedEntropy)
    unseeded = run_targets(sc, samples=4, engine="numpy")["t"].value
    assert_array_equal(unseeded, seeded)


def test_an_unseeded_compiler_takes_the_seed_entropy_mod_2_to_the_63(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = _scenario()
    seeded = ScenarioCompiler(sc, seed=5).compile(samples=4).model.op("gdp").rates
    monkeypatch.setattr(np.random, "SeedSequence", _FixedEntropy)
    comp = ScenarioCompiler(sc).compile(samples=4)
    assert comp.seed == 5
    assert_array_equal(comp.model.op("gdp").rates, seeded)
