"""count_over's kernel, like its NumPy evaluation, refuses a spec with neither a threshold
nor tiers (a hand-built spec; the schema requires one of them), with the same message."""

from __future__ import annotations

import dataclasses

import pytest

import clustersim as cs
from clustersim.accel.codegen import _Gen
from clustersim.compile import compile_scenario
from clustersim.kinds.targets import TARGET_KINDS


def test_count_over_kernel_without_threshold_or_tiers() -> None:
    d = {
        "id": "k",
        "name": "k",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": 100}},
        "clusters": {c: {"name": c, "output": {"base": 100}} for c in "ab"},
        "targets": {
            "t": {
                "kind": "count_over",
                "label": "t",
                "variable": "output",
                "threshold": 50,
                "year": 2025,
                "at_least": 1,
            }
        },
    }
    comp = compile_scenario(cs.Scenario.model_validate(d), samples=1)
    spec = dataclasses.replace(comp.targets["t"].spec, threshold=None, tiers=())
    g = _Gen(comp.model, [spec], comp.metrics)
    with pytest.raises(ValueError) as e:
        TARGET_KINDS["count_over"].kernel(g, spec, "1e-9")
    assert str(e.value) == "target t: count_over needs a threshold or tiers"
