"""Designs: exact structure (strata, products, Saltelli blocks) and chunk invariance."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from scipy.stats import qmc

from clustersim.compile import compile_scenario
from clustersim.scenario.loader import load_scenario
from clustersim.sweep.designs import (
    SOBOL_KEY,
    Design,
    _lhs_keys,
    feistel_permutation,
    quantiles,
    uniform_stream,
)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 64, 1000, 4097, 100_003])
def test_feistel_permutation_is_a_bijection(n):
    perm = feistel_permutation(np.arange(n, dtype=np.int64), n, _lhs_keys(1, "x"))
    assert_array_equal(np.sort(perm), np.arange(n))
    if n > 64:  # and it actually shuffles
        assert np.mean(perm == np.arange(n)) < 0.01


def test_feistel_permutation_differs_by_key():
    idx = np.arange(1000, dtype=np.int64)
    a = feistel_permutation(idx, 1000, _lhs_keys(1, "x"))
    b = feistel_permutation(idx, 1000, _lhs_keys(1, "y"))
    c = feistel_permutation(idx, 1000, _lhs_keys(2, "x"))
    assert not np.array_equal(a, b) and not np.array_equal(a, c)


@pytest.mark.parametrize("n", [997, 1024])
def test_lhs_puts_one_sample_in_every_stratum_of_every_column(n):
    design = Design("lhs", ("a", "b", "c"), n)
    u = np.vstack(
        [quantiles(design, 4, k, s, min(s + 100, n)) for k, s in enumerate(range(0, n, 100))]
    )
    assert u.shape == (n, 3)
    assert ((u > 0) & (u < 1)).all()
    strata = np.floor(u * n).astype(int)
    for j in range(3):
        assert_array_equal(np.sort(strata[:, j]), np.arange(n))
    # the columns are not permuted alike
    assert abs(np.corrcoef(u[:, 0], u[:, 1])[0, 1]) < 0.1


@settings(max_examples=25, deadline=None)
@given(
    method=st.sampled_from(["lhs", "sobol", "monte_carlo", "grid"]),
    cuts=st.lists(st.integers(min_value=1, max_value=59), max_size=4, unique=True),
)
def test_rows_do_not_depend_on_how_a_chunk_is_split(method, cuts):
    """Quantiles of rows a..b of a chunk are the same whatever else is computed with them."""
    design = {
        "lhs": Design("lhs", ("a", "b"), 60),
        "sobol": Design("sobol", ("a", "b"), 60, groups=((0,), (1,))),
        "monte_carlo": Design("monte_carlo", ("a", "b"), 60),
        "grid": Design("grid", ("a", "b"), 60, levels=(5,), replications=12),
    }[method]
    whole = quantiles(design, 9, 0, 0, 60)
    edges = [0, *sorted(cuts), 60]
    parts = [quantiles(design, 9, 0, a, b, chunk_start=0) for a, b in itertools.pairwise(edges)]
    assert_array_equal(np.vstack(parts), whole)


def test_sobol_design_is_saltellis_on_a_scrambled_sobol_sequence():
    d, n = 3, 16
    design = Design("sobol", ("a", "b", "c"), n * 5, groups=((0,), (1,), (2,)))
    rows = quantiles(design, 2, 0, 0, n * 5).reshape(n, 5, d)
    rng = np.random.default_rng(np.random.SeedSequence(2, spawn_key=(SOBOL_KEY,)))
    base = qmc.Sobol(2 * d, scramble=True, rng=rng).random(n)
    a, b = base[:, :d], base[:, d:]
    assert_array_equal(rows[:, 0], a)
    assert_array_equal(rows[:, 1], b)
    for g in range(d):  # AB^(g): A with column g from B
        expect = a.copy()
        expect[:, g] = b[:, g]
        assert_array_equal(rows[:, 2 + g], expect)


def test_grid_enumerates_the_product_with_exact_levels_and_replications():
    design = Design("grid", ("a", "b", "c"), 3 * 2 * 2, levels=(3, 2), replications=2)
    u = quantiles(design, 1, 0, 0, 12)
    pairs = [(round(x * 3 - 0.5), round(y * 2 - 0.5)) for x, y in u[:, :2]]
    assert pairs == [(i, j) for i in range(3) for j in range(2) for _ in range(2)]
    assert len(set(u[:, 2])) == 12  # the non-factor is drawn per sample


def test_monte_carlo_streams_are_the_compilers(example_path):
    """Chunk k of a Monte Carlo sweep draws what compile_scenario(spawn_key=(k,)) draws."""
    sc = load_scenario(example_path)
    paths = tuple(compile_scenario(sc, samples=1).params)
    design = Design("monte_carlo", paths, 3000)
    u = quantiles(design, 42, 2, 2000, 2500, chunk_start=2000)
    ours = compile_scenario(
        sc, samples=500, seed=42, spawn_key=(2,), uniforms={p: u[:, j] for j, p in enumerate(paths)}
    )
    theirs = compile_scenario(sc, samples=500, seed=42, spawn_key=(2,))
    for a, b in zip(ours.model.ops, theirs.model.ops, strict=True):
        for name in ("x0", "rates", "s0", "exit_rate"):
            if hasattr(a, name) and getattr(a, name) is not None:
                assert_array_equal(getattr(a, name), getattr(b, name), err_msg=f"{a.name}.{name}")
    assert_array_equal(uniform_stream(42, 2, paths[0], 500), u[:, 0])


def test_quantiles_refuse_rows_outside_the_design():
    with pytest.raises(ValueError, match="outside the design"):
        quantiles(Design("lhs", ("a",), 10), 1, 0, 5, 11)
