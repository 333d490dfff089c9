"""Fixtures of the sweep tests: a scenario whose target margins are known in closed form.

``linear.yaml``: four level indicators a, b, c, d (bases 1, 2, 3, 4) and e (base 2, its
growth an uncertain U(0, 0.1) in the scenario) projected one year, 2020 -> 2021. The
metric ``m = a + b + c + e`` (d is read by nothing) and the target ``m >= 8.3`` in 2021
give the margin

    margin = (1 + ra) + 2 (1 + rb) + 3 (1 + rc) + 2 (1 + re) - 8.3
           = ra + 2 rb + 3 rc + 2 re - 0.3,

additive, so with every rate uniform on the same range the first-order and total Sobol'
indices are the squared coefficients over their sum: a 1/18, b 4/18, c 9/18, d 0, e 4/18
(and 1/14, 4/14, 9/14, 0 with e fixed).

Indicators f and g (base 1) make the product ``p = f g`` in 2021: with both rates uniform,
``X = 1 + r ~ U(lo, hi)``, ``mu = E[X]``, ``s2 = Var[X]``, its indices are
``S = mu^2 s2 / (2 mu^2 s2 + s2^2)`` and ``ST = (mu^2 s2 + s2^2) / (2 mu^2 s2 + s2^2)``.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

LINEAR = """\
id: linear
name: Linear
base_year: 2020
end_year: 2021
region:
  gdp: {base: 100, growth: 0.05}
indicators:
  a: {kind: level, name: a, base: 1, growth: 0.0}
  b: {kind: level, name: b, base: 2, growth: 0.0}
  c: {kind: level, name: c, base: 3, growth: 0.0}
  d: {kind: level, name: d, base: 4, growth: 0.0}
  e: {kind: level, name: e, base: 2, growth: {dist: uniform, low: 0.0, high: 0.1}}
  f: {kind: level, name: f, base: 1, growth: 0.0}
  g: {kind: level, name: g, base: 1, growth: 0.0}
metrics:
  m: a + b + c + e
  p: f * g
targets:
  m_level:
    kind: level
    label: m reaches 8.3
    metric: m
    year: 2021
    at_least: 8.3
  p_level:
    kind: level
    label: f times g reaches 0.25
    metric: p
    year: 2021
    at_least: 0.25
  gdp_level:
    kind: level
    label: GDP reaches 105
    metric: gdp
    year: 2021
    at_least: 105
"""

RATES = {
    "a": "indicators.a.growth.rate",
    "b": "indicators.b.growth.rate",
    "c": "indicators.c.growth.rate",
    "d": "indicators.d.growth.rate",
    "e": "indicators.e.growth.rate",
    "f": "indicators.f.growth.rate",
    "g": "indicators.g.growth.rate",
}


@pytest.fixture
def linear(tmp_path: Path) -> Path:
    p = tmp_path / "linear.yaml"
    p.write_text(LINEAR, encoding="utf-8")
    return p


@pytest.fixture
def write_sweep(tmp_path: Path) -> Callable[..., Path]:
    """Write a sweep file beside the linear scenario; keyword arguments are its keys."""

    def write(name: str = "sweep.yaml", **doc: object) -> Path:
        doc.setdefault("scenario", "linear.yaml")
        p = tmp_path / name
        p.write_text(yaml.safe_dump(doc, sort_keys=False), encoding="utf-8")
        return p

    return write


def runs_on_three_executors(
    sweep: Path, tmp_path: Path, keep: tuple[str, ...] = ("trajectories",)
) -> dict[str, Any]:
    """``run_sweep`` of ``sweep`` (``keep``: trajectories) in process, on a 2-process pool (workers
    started as :func:`~clustersim.sweep.executors.start_method` chooses, and spawned), and on
    a 2-worker Dask LocalCluster, into ``tmp_path/one``, ``two``, ``spawned`` and ``dask``:
    the runs whose files must be the same bytes (skips without dask.distributed)."""
    from clustersim.sweep import DaskExecutor, InProcessExecutor, LocalPoolExecutor, run_sweep

    distributed = pytest.importorskip("distributed")
    runs = {}
    pools = (
        ("one", InProcessExecutor()),
        ("two", LocalPoolExecutor(2)),  # forked workers where that is safe (start_method)
        ("spawned", LocalPoolExecutor(2, method="spawn")),
    )
    for name, ex in pools:
        try:
            runs[name] = run_sweep(sweep, out=tmp_path / name, executor=ex, keep=list(keep))
        finally:
            ex.close()
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        runs["dask"] = run_sweep(
            sweep,
            out=tmp_path / "dask",
            executor=DaskExecutor(client=client),
            keep=list(keep),
        )
    return runs
