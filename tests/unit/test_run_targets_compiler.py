"""run_targets compiles its scenario's structure once per run, not once per chunk, and the
chunks give what compiling each chunk afresh gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

import clustersim.compile as compile_mod
from clustersim.compile import compile_scenario
from clustersim.core.targets import Outcome
from clustersim.engine import run_targets
from clustersim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def test_the_structure_is_compiled_once_and_chunks_equal_fresh_compiles(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sc = load_scenario(ROOT / "scenarios" / "zhenjiang-2026.yaml")
    calls: list[int] = []
    metrics = compile_mod._compile_metrics

    def counted(comp: Any, b: Any) -> None:
        calls.append(comp.model.samples)
        metrics(comp, b)

    monkeypatch.setattr(compile_mod, "_compile_metrics", counted)
    got = run_targets(sc, samples=700, seed=5, chunk=300, engine="numpy")  # 300, 300, 100
    assert calls == [300]
    # by hand: each chunk compiled afresh at its offset, projected with the same engine
    from clustersim.engines import get_engine

    eng = get_engine("numpy")
    want: dict[str, list[Outcome]] = {}
    for start in (0, 300, 600):
        comp = compile_scenario(
            sc,
            samples=min(300, 700 - start),
            seed=5,
            offset=start,
            draw=True,
            inverse_normal=eng.inverse_normal(),
            rates_layout=eng.rates_layout(),
        )
        outs = eng.evaluate(comp)
        for tid, o in outs.items():
            want.setdefault(tid, []).append(o)
    assert list(got) == list(want)
    for tid, parts in want.items():
        np.testing.assert_array_equal(got[tid].value, np.concatenate([o.value for o in parts]))
        np.testing.assert_array_equal(got[tid].met, np.concatenate([o.met for o in parts]))
