"""Which targets the blocked evaluator treats as one outcome for all samples: a metric that
reads only sample-invariant series (GDP 100 growing 10%: 121 in 2025 in every sample) is
evaluated in the first block and copied into the others; a metric that reads a name that
is neither a series of the model nor a derived metric is not (nothing says its values are
the same in every sample), and its first block raises the unknown series."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import compile_scenario
from clustersim.core import blocked as bl
from clustersim.core.expr import ExprError, parse
from clustersim.core.targets import Bound, Frame, TargetSpec, evaluate_target
from clustersim.kinds.targets import target_spec


def _model() -> Any:
    rate = {"dist": "normal", "mean": 0.05, "sd": 0.01}  # cluster output varies by sample
    sc = cs.Scenario.model_validate(
        {
            "id": "u",
            "name": "u",
            "base_year": 2023,
            "end_year": 2025,
            "region": {"gdp": {"base": 100, "growth": 0.1}},
            "clusters": {"a": {"name": "A", "output": {"base": 10, "growth": {"rate": rate}}}},
        }
    )
    return compile_scenario(sc, samples=7, seed=3).model


def _spec(metric: str) -> TargetSpec:
    return target_spec("t", "level", parse(metric), 2025, Bound(lo=0.0))


@pytest.mark.parametrize(
    ("metric", "fixed"),
    [("gdp", True), ("nope", False), ("gdp + nope", False), ("sum(output)", False)],
)
def test_same_for_all_samples(metric: str, fixed: bool) -> None:
    model = _model()
    invariant = bl.invariant_ops(model)
    assert invariant >= {"gdp"} and "output" not in invariant
    assert bl._same_for_all(_spec(metric), {}, invariant, model) is fixed


def _counting(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    calls: list[str] = []

    def counting(t: TargetSpec, f: Frame) -> Any:
        calls.append(t.id)
        return evaluate_target(t, f)

    monkeypatch.setattr(bl, "evaluate_target", counting)
    return calls


def test_an_invariant_target_is_evaluated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    out = bl.evaluate_targets(_model(), [_spec("gdp")], {}, block=3)["t"]
    assert calls == ["t"]  # 7 samples in blocks of 3: evaluated in the first only
    assert_allclose(out.value, np.full(7, 100 * 1.1**2), rtol=1e-15)


def test_an_unknown_series_raises_in_the_first_block(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = _counting(monkeypatch)
    with pytest.raises(ExprError) as info:
        bl.evaluate_targets(_model(), [_spec("gdp + nope")], {}, block=3)
    assert str(info.value) == "unknown series 'nope'"
    assert calls == ["t"]
