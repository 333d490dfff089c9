"""ScenarioCompiler (the sweep's compile, chunk after chunk) keeps compile_scenario's
contract: its seed, its refusal of no samples and its file:line in messages."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import ScenarioCompiler
from clustersim.core.project import project
from clustersim.errors import ScenarioError

YAML = """\
id: p
name: p
base_year: 2023
end_year: 2025
region:
  gdp:
    base:
      dist: uniform
      low: 100
      high: 200
    growth:
      rate:
        dist: uniform
        low: 0.0
        high: 0.1
"""
RATE = "region.gdp.growth.rate"


def _load(tmp_path: Path) -> cs.Scenario:
    p = tmp_path / "s.yaml"
    p.write_text(YAML, encoding="utf-8")
    return cs.load_scenario(p)


def _uniforms(seed: int, path: str, n: int) -> np.ndarray:
    """The seeding rule by hand: PCG64(SeedSequence(seed, spawn_key=(crc32(path),))), the
    top 53 bits of each 64-bit draw, shifted half a step."""
    bits = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(path.encode()),)))
    k = (bits.random_raw(n) >> np.uint64(11)).astype(np.float64)
    return (k + 0.5) / 2.0**53


def test_a_compiler_with_a_seed_draws_that_seeds_numbers(tmp_path: Path) -> None:
    """gdp's base is uniform on [100, 200]: with seed 7 the four samples are
    100 + 100 u for the four uniforms of stream region.gdp.base, whatever the call."""
    compiler = ScenarioCompiler(_load(tmp_path), seed=7)
    want = 100.0 + 100.0 * _uniforms(7, "region.gdp.base", 4)
    for _ in range(2):
        gdp = np.asarray(project(compiler.compile(samples=4).model)["gdp"])
        assert_allclose(gdp[:, 0], want, rtol=1e-12)


def test_a_compiler_refuses_zero_samples(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError) as info:
        ScenarioCompiler(_load(tmp_path), seed=7).compile(samples=0)
    assert str(info.value) == "samples must be >= 1, got 0"


def test_a_compiler_of_a_loaded_scenario_names_file_and_line(tmp_path: Path) -> None:
    """A drawn rate of -120% is refused at region.gdp.growth, written on line 11 of s.yaml;
    the compiler takes the scenario's own provenance when given none."""
    compiler = ScenarioCompiler(_load(tmp_path), seed=7)
    with pytest.raises(ScenarioError) as info:
        compiler.compile(
            samples=3,
            uniforms={RATE: np.full(3, 0.5)},
            drawn={RATE: np.array([0.05, -1.2, 0.05])},
        )
    assert str(info.value) == (
        f"{tmp_path / 's.yaml'}:11: region.gdp.growth: growth must stay above -100%"
    )
