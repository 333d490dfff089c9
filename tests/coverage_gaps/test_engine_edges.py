"""Engine paths no other test reaches: ``required_growth`` of a target without a lever and
of a lever that is not a compound series (both None), and ``run_targets`` without a seed
over many samples (it picks one; a scenario without uncertain numbers gives the same
values in every sample, here GDP 100 growing 10%: 121 in 2025)."""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from numpy.testing import assert_allclose

import clustersim as cs
from clustersim.compile import Lever, compile_scenario
from clustersim.engine import _required, required_growth, run_targets


def _scenario(gdp_base: Any = 100) -> cs.Scenario:
    d = {
        "id": "e",
        "name": "e",
        "base_year": 2023,
        "end_year": 2025,
        "region": {"gdp": {"base": gdp_base, "growth": 0.1}},
        "clusters": {"a": {"name": "A", "output": {"base": 100, "growth": 0.05}}},
        "targets": {
            "t": {"kind": "level", "label": "t", "metric": "gdp", "year": 2025, "at_least": 130}
        },
    }
    return cs.Scenario.model_validate(d)


def test_required_growth_without_a_lever_is_none() -> None:
    comp = compile_scenario(_scenario(), samples=1)
    ct = comp.targets["t"]
    assert ct.lever is not None and ct.lever.series == "gdp"
    assert required_growth(comp, dataclasses.replace(ct, lever=None)) is None


def test_required_growth_of_a_lever_that_is_not_a_compound_series_is_none() -> None:
    comp = compile_scenario(_scenario(), samples=1)
    ct = comp.targets["t"]
    assert type(comp.model.op("cluster_output")).__name__ == "ClusterTotal"
    assert _required(comp, ct, Lever("cluster_output", None, "cluster_output")) is None


def test_run_targets_without_a_seed() -> None:
    out = run_targets(_scenario(), samples=5, engine="numpy")
    assert_allclose(out["t"].value, np.full(5, 121.0), rtol=1e-15)
    assert not out["t"].met.any()  # 121 < 130
    normal = {"dist": "normal", "mean": 100, "sd": 1}
    drawn = run_targets(_scenario(normal), samples=5, engine="numpy")["t"].value
    assert len(set(np.asarray(drawn).tolist())) == 5  # drawn, so five different values
