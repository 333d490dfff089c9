"""``Model.op_positions`` / ``Model.op_inputs`` (issue 21, part 4: made once per model and
shared by the required-growth search's copies) give what the ops themselves say, on every
shipped scenario's model and on copies from ``with_op``."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np

from clustersim.compile import compile_scenario
from clustersim.core.model import Compound, Model
from clustersim.core.project import needed
from clustersim.scenario.loader import load_scenario

ROOT = Path(__file__).resolve().parents[2]


def closure(model: Model, names: list[str]) -> set[str]:
    """The definition of ``needed``: each op's ``deps``, followed from the ops."""
    ops = {op.name: op for op in model.ops}
    out: set[str] = set()
    stack = list(names)
    while stack:
        n = stack.pop()
        if n not in out:
            out.add(n)
            stack.extend(ops[n].deps)
    return out


def check(model: Model) -> None:
    assert model.op_positions == {op.name: k for k, op in enumerate(model.ops)}
    assert model.op_inputs == {op.name: op.deps for op in model.ops}
    for op in model.ops:
        assert needed(model, [op.name]) == closure(model, [op.name])


def test_index_and_closures_of_every_shipped_model_and_its_copies() -> None:
    copies = 0
    for path in sorted((ROOT / "scenarios").glob("*.yaml")):
        model = compile_scenario(load_scenario(path), samples=1).model
        check(model)
        for k, op in enumerate(model.ops):
            if not isinstance(op, Compound) or not op.elastic:
                continue
            # the search's copy: elasticities removed, three candidate rates
            new = dataclasses.replace(op, rates=np.full((3, *op.rates.shape[1:]), 0.05), elastic=())
            copy = model.with_op(new, 3)
            assert copy.ops == (*model.ops[:k], new, *model.ops[k + 1 :])
            assert copy.samples == 3 and copy.ops[k] is new
            assert copy.op_inputs[op.name] == () != model.op_inputs[op.name]
            check(copy)
            copies += 1
    assert copies > 5
