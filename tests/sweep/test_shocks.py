"""Sweeps of a scenario with shocks, factors and a copula (issue 15): same seed, same bytes
on one process, a process pool and Dask; the copula holds in the inputs table."""

from __future__ import annotations

import hashlib
import math
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from scipy import stats
from scipy.special import ndtri

from clustersim.errors import ScenarioError
from clustersim.sweep import (
    load_sweep,
    plan_sweep,
    run_sweep,
)

from .conftest import runs_on_three_executors

A = "clusters.a.output.growth.rate"
B = "clusters.b.output.growth.rate"
SCENARIO = f"""\
id: shocked
name: shocked
base_year: 2023
end_year: 2028
region:
  gdp:
    base: 1000
    growth: {{rate: {{dist: normal, mean: 0.05, sd: 0.01}}, shocks: {{sd: 0.01, factor: region}}}}
clusters:
  a:
    name: a
    output:
      base: 100
      growth:
        rate: {{dist: normal, mean: 0.06, sd: 0.02}}
        shocks: {{sd: 0.03, ar: 0.4, factor: region, loading: 0.6}}
  b:
    name: b
    output:
      base: 80
      growth:
        rate: {{dist: uniform, low: 0.02, high: 0.12}}
        shocks: {{sd: {{dist: uniform, low: 0.01, high: 0.05}}}}
shocks:
  factors:
    region: {{ar: 0.3}}
  correlations:
    - between: [{A}, {B}]
      rho: 0.7
targets:
  a_big:
    kind: level
    label: a over 130
    metric: sum(output, group=all)
    year: 2028
    at_least: 260
"""


def _write(tmp_path: Path, **doc: object) -> Path:
    (tmp_path / "s.yaml").write_text(SCENARIO, encoding="utf-8")
    base: dict[str, object] = {
        "scenario": "s.yaml",
        "method": "monte_carlo",
        "samples": 3000,
        "seed": 15,
        "chunk_size": 500,
    }
    base.update(doc)
    base = {k: v for k, v in base.items() if v is not None}  # None: leave the key out
    p = tmp_path / "sweep.yaml"
    p.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return p


def _digest(out: Path) -> dict[str, str]:
    return {
        str(f.relative_to(out)): hashlib.sha256(f.read_bytes()).hexdigest()
        for sub in ("samples", "trajectories")
        for f in sorted((out / sub).glob("*.parquet"))
    }


def test_shocks_give_the_same_bytes_on_one_process_a_pool_and_dask(tmp_path: Path) -> None:
    sweep = _write(tmp_path)
    runs = runs_on_three_executors(sweep, tmp_path)
    digests = {name: _digest(tmp_path / name) for name in runs}
    assert len(digests["one"]) == 2 * 6
    assert digests["one"] == digests["two"] == digests["spawned"] == digests["dask"]
    # the trajectories carry the yearly shocks: b's growth varies from year to year
    tr = pq.read_table(tmp_path / "one" / "trajectories").to_pandas()
    b = tr[(tr["cluster"] == "b") & (tr["variable"] == "output")].pivot(
        index="sample", columns="year", values="value"
    )
    g = b.to_numpy()[:, 1:] / b.to_numpy()[:, :-1] - 1.0
    assert np.all(g.std(axis=1) > 1e-4)
    # and the inputs table holds the copula: normal scores of a and b correlate 0.7
    t = pq.read_table(tmp_path / "one" / "samples").to_pandas()
    za = ndtri(stats.norm.cdf(t[A], 0.06, 0.02))
    zb = ndtri((t[B] - 0.02) / 0.1)
    n = len(t)
    assert abs(np.corrcoef(za, zb)[0, 1] - 0.7) < 4.5 * (1 - 0.49) / math.sqrt(n)


def test_a_grid_factor_that_the_scenario_correlates_is_refused(tmp_path: Path) -> None:
    sweep = _write(tmp_path, method="grid", samples=None, parameters={A: {"values": [0.05, 0.07]}})
    with pytest.raises(ScenarioError, match="correlates it"):
        plan_sweep(load_sweep(sweep))


def test_fixing_a_correlated_number_drops_its_correlation(tmp_path: Path) -> None:
    sweep = _write(tmp_path, fix=[A], samples=200, chunk_size=100)
    res = run_sweep(sweep, workers=1)
    assert res.summary is not None
