"""Bounds the compiler checks, each at the edge a mutant would move: an R&D share above 1,
a cluster history in the base year, a single sample drawn at an offset, a correlation
factor with a near-zero pivot, and the total named when a tier loses more than all."""

from __future__ import annotations

import zlib
from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import ScenarioCompiler, compile_scenario, correlation_groups
from clustersim.core.project import project
from clustersim.errors import ScenarioError


def _doc(cluster: dict[str, Any], **extra: Any) -> dict[str, Any]:
    d: dict[str, Any] = {
        "id": "b",
        "name": "b",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {"a": {"name": "A", "output": {"base": 100}, **cluster}},
    }
    d.update(extra)
    return d


def test_an_rd_share_of_output_above_one_is_refused() -> None:
    """A share is a fraction of output: 1.5 is outside [0, 1]."""
    sc = cs.Scenario.model_validate(_doc({"rd": {"share_of_output": {"base": 1.5}}}))
    with pytest.raises(ScenarioError) as info:
        cs.run(sc, required=False)
    assert str(info.value) == (
        "clusters.a.rd.share_of_output.base: 1.5 is not allowed: the value must be between 0 and 1"
    )


def test_a_cluster_history_in_the_base_year_is_refused() -> None:
    """History is before the base year: output in 2023 (the base year) is refused."""
    sc = cs.Scenario.model_validate(_doc({"history": {"output": {2023: 90}}}))
    with pytest.raises(ScenarioError) as info:
        cs.run(sc, required=False)
    assert str(info.value) == (
        "clusters.a.history.output.2023: history must be before the base year 2023"
    )


def _uniforms(seed: int, path: str, n: int) -> np.ndarray:
    """The stream by hand: PCG64(SeedSequence(seed, spawn_key=(crc32(path),))), the top 53
    bits of each 64-bit draw, shifted half a step."""
    bits = np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(zlib.crc32(path.encode()),)))
    k = (bits.random_raw(n) >> np.uint64(11)).astype(np.float64)
    return (k + 0.5) / 2.0**53


def test_one_sample_at_offset_one_is_the_second_draw() -> None:
    """samples=1, offset=1 is sample 1 of a Monte Carlo run (a chunk of one), not the central
    value: gdp's base uniform on [100, 200] is 100 + 100 u[1] of stream region.gdp.base."""
    d = _doc({})
    d["region"] = {"gdp": {"base": {"dist": "uniform", "low": 100, "high": 200}}}
    comp = compile_scenario(cs.Scenario.model_validate(d), samples=1, offset=1, seed=7)
    gdp = np.asarray(project(comp.model)["gdp"])
    want = 100.0 + 100.0 * _uniforms(7, "region.gdp.base", 2)[1]
    assert_allclose(gdp[:, 0], [want], rtol=1e-12)
    assert abs(want - 150.0) > 1.0  # not the central value


def test_a_factor_with_a_pivot_below_1e_8_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The check on the smallest pivot of the Cholesky factor (not only a failed
    factorisation): with rho = 0.5 the true factor is [[1, 0], [0.5, sqrt(0.75)]]; a LAPACK
    whose factor of a near-singular matrix (a large group, updated in blocks) has a pivot of
    1e-9 < 1e-8 must give the same refusal as a failed factorisation. The first pivot is
    always 1, so only the smallest one can tell."""
    rate = {"dist": "normal", "mean": 0.05, "sd": 0.01}
    p = "clusters.{}.output.growth.rate"
    sc = cs.Scenario.model_validate(
        {
            "id": "c",
            "name": "c",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100.0}},
            "clusters": {
                c: {"name": c, "output": {"base": 10.0, "growth": {"rate": rate}}} for c in "ab"
            },
            "shocks": {"correlations": [{"between": [p.format("a"), p.format("b")], "rho": 0.5}]},
        }
    )
    monkeypatch.setattr(np.linalg, "cholesky", lambda r: np.array([[1.0, 0.0], [0.5, 1e-9]]))
    with pytest.raises(ScenarioError) as info:
        correlation_groups(sc)
    assert "are not positive definite (no joint normal has them)" in str(info.value)


def _pipeline_doc() -> dict[str, Any]:
    d = _doc({})
    d["pipelines"] = {
        "p": {
            "name": "P",
            "entries": {"base": 10},
            "tiers": {
                "t": {
                    "name": "T",
                    "base": 5,
                    "promotion": 0.5,
                    "exit_rate": {"dist": "uniform", "low": 0.0, "high": 1.0},
                },
                "top": {"name": "Top", "base": 1, "exit_rate": 0.1},
            },
        }
    }
    return d


def test_the_total_named_is_the_first_sample_above_one() -> None:
    """promotion 0.5 and exit rates drawn as 0.5, 0.7 in samples 0, 1: the totals are 1.0
    (allowed: all leave) and 1.2, so the message names 1.2, the first total above 1."""
    path = "pipelines.p.tiers.t.exit_rate"
    compiler = ScenarioCompiler(cs.Scenario.model_validate(_pipeline_doc()), seed=1, draw=True)
    with pytest.raises(ScenarioError) as info:
        compiler.compile(
            samples=2,
            uniforms={path: np.array([0.5, 0.7])},
            drawn={path: np.array([0.5, 0.7])},
        )
    assert str(info.value).startswith(
        f"{path}: promotion + exit_rate is 1.2, above 1: a tier cannot lose more firms a year "
        "than it holds (晋升率与退出率之和为 1.2，超过 1"
    )
