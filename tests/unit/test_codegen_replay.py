"""A kernel's Generated replayed for a model of the same structure (``generate_cached``) is
what a fresh ``generate`` gives: the same source, constants, messages and arguments."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

import clustersim as cs
from clustersim.bench.workloads import synthetic_scenario

pytest.importorskip("numba")
from clustersim.accel import codegen
from clustersim.accel.codegen import generate, generate_cached
from clustersim.engines import get_engine

SCENARIOS = sorted((Path(__file__).resolve().parents[2] / "scenarios").glob("*.yaml"))


def _same(a: codegen.Generated, b: codegen.Generated) -> None:
    assert a.source == b.source
    np.testing.assert_array_equal(a.floats, b.floats)
    np.testing.assert_array_equal(a.ints, b.ints)
    assert (a.errors, a.targets, a.invariant) == (b.errors, b.targets, b.invariant)
    assert (a.sampled, a.year_first) == (b.sampled, b.year_first)
    assert len(a.arrays) == len(b.arrays)
    for x, y in zip(a.arrays, b.arrays, strict=True):
        assert (x.shape, x.dtype, x.strides) == (y.shape, y.dtype, y.strides)
        np.testing.assert_array_equal(x, y)


def _compile(sc: cs.Scenario, seed: int, samples: int = 300) -> cs.Compiled:
    layout = get_engine("numba").rates_layout()
    return cs.compile_scenario(sc, samples=samples, seed=seed, draw=True, rates_layout=layout)


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    codegen._REPLAY.clear()
    codegen._SPEC_KEYS.clear()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_shipped_scenario_replays_to_a_fresh_generate(path: Path) -> None:
    sc = cs.load_scenario(path)
    a, b = _compile(sc, 1), _compile(sc, 2)
    specs = [t.spec for t in a.targets.values()]  # one compile's specs, as a sweep shares them
    generate_cached(a.model, specs, a.metrics)
    got = generate_cached(b.model, specs, b.metrics)
    _same(got, generate(b.model, specs, b.metrics))
    assert list(codegen._REPLAY.values()) != [None]  # every shipped scenario replays
    sampled = [x for x, s in zip(got.arrays, got.sampled, strict=True) if s]
    firsts = generate(a.model, specs, a.metrics).arrays
    assert sampled and not any(np.shares_memory(x, y) for x in sampled for y in firsts)


def test_the_seed_sweep_scenario_replays_and_runs_to_the_same_numbers() -> None:
    from clustersim.accel.kernel import evaluate_targets

    sc = cs.load_scenario(SCENARIOS[[p.stem for p in SCENARIOS].index("zhenjiang-2026")])
    a, b = _compile(sc, 1, 64), _compile(sc, 9, 64)
    specs = [t.spec for t in a.targets.values()]
    first = evaluate_targets(a.model, specs, a.metrics)
    assert len(codegen._REPLAY) == 1 and next(iter(codegen._REPLAY.values())) is not None
    second = evaluate_targets(b.model, specs, b.metrics)  # replayed
    codegen._REPLAY.clear()
    fresh = evaluate_targets(b.model, specs, b.metrics)
    for tid in fresh:
        np.testing.assert_array_equal(second[tid].value, fresh[tid].value)
        np.testing.assert_array_equal(second[tid].met, fresh[tid].met)
    assert any(not np.array_equal(first[t].value, fresh[t].value) for t in fresh)


def test_group_members_come_from_the_model_not_the_first_generate() -> None:
    # the same structure with other members in a group of the same size: a key that holds
    # shapes only must still pass this model's members
    a = cs.compile_scenario(synthetic_scenario(8, 6), samples=5, seed=1)
    specs = [t.spec for t in a.targets.values()]
    m = a.model
    groups = {g: (v[::-1].copy() if g != "all" else v) for g, v in m.groups.items()}
    moved = dataclasses.replace(m, groups=groups)
    generate_cached(m, specs, a.metrics)
    _same(generate_cached(moved, specs, a.metrics), generate(moved, specs, a.metrics))


def test_other_structures_other_entries() -> None:
    a = cs.compile_scenario(synthetic_scenario(8, 6), samples=5, seed=1)
    b = cs.compile_scenario(synthetic_scenario(9, 6), samples=5, seed=1)  # one more cluster
    c = cs.compile_scenario(synthetic_scenario(8, 6), samples=6, seed=1)  # one more sample
    for comp in (a, b, c):
        specs = [t.spec for t in comp.targets.values()]
        _same(
            generate_cached(comp.model, specs, comp.metrics),
            generate(comp.model, specs, comp.metrics),
        )
    assert len(codegen._REPLAY) == 3


def test_an_argument_not_of_the_model_and_not_fixed_is_never_replayed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    a = cs.compile_scenario(synthetic_scenario(8, 6), samples=5, seed=1)
    b = cs.compile_scenario(synthetic_scenario(8, 6), samples=5, seed=2)
    specs = [t.spec for t in a.targets.values()]
    real = codegen._Gen.arg

    def copying(self, a, stem, sampled=False, fixed=False):  # type: ignore[no-untyped-def]
        return real(self, np.array(a), stem, sampled, fixed)  # a copy: not the model's object

    monkeypatch.setattr(codegen._Gen, "arg", copying)
    generate_cached(a.model, specs, a.metrics)
    assert list(codegen._REPLAY.values()) == [None]
    _same(generate_cached(b.model, specs, b.metrics), generate(b.model, specs, b.metrics))


def test_the_specs_part_of_a_key_is_one_token_per_value_never_reused() -> None:
    """Specs and expressions enter a key as a token: the same one for equal specs held by
    other objects, another for other specs, and after the table is cleared a new one (an
    old replay entry can then only be missed, never hit by other specs)."""
    sc = synthetic_scenario(4, 5)
    a, b = _compile(sc, 1), _compile(sc, 2)
    specs_a = [t.spec for t in a.targets.values()]
    specs_b = [dataclasses.replace(s) for s in specs_a]  # equal values, other objects
    assert all(x == y and x is not y for x, y in zip(specs_a, specs_b, strict=True))
    ta = codegen._specs_key(specs_a, a.metrics)
    assert isinstance(ta, int)
    assert codegen._specs_key(specs_b, b.metrics) == ta
    assert codegen._specs_key(specs_a[:-1], a.metrics) != ta
    codegen._SPEC_KEYS.clear()
    codegen._SPEC_TOKENS.clear()
    again = codegen._specs_key(specs_a, a.metrics)
    assert again != ta and again > ta
    # and a model replays only under its own specs' token
    g1 = generate_cached(a.model, specs_a, a.metrics)
    g2 = generate_cached(b.model, specs_b, b.metrics)
    _same(g2, generate(b.model, specs_b, b.metrics))
    assert g1.source == g2.source
