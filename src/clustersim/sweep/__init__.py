"""Sweeps: grids, Latin hypercubes, Sobol' designs and Monte Carlo over a scenario, in chunks.

>>> from clustersim.sweep import run_sweep
>>> res = run_sweep("sweeps/example-lhs.yaml", out="out/example-lhs", workers=2)  # doctest: +SKIP
>>> res.summary.targets[0].probability                                             # doctest: +SKIP

The life of a sweep follows the modules: :mod:`~clustersim.sweep.spec` (the sweep file),
:mod:`~clustersim.sweep.plan` (resolved against the scenario), :mod:`~clustersim.sweep.designs`
(quantiles per row), :mod:`~clustersim.sweep.evaluate` (one chunk, the sample-separable
core), :mod:`~clustersim.sweep.executors` (where chunks run), :mod:`~clustersim.sweep.sinks`
and :mod:`clustersim.sweep.parquet_sink` (where results go), :mod:`~clustersim.sweep.summary`
(probabilities, percentiles, sensitivity) and :mod:`~clustersim.sweep.runner` (bookkeeping:
manifest, resume, refusing what would not fit).
"""

from __future__ import annotations

from clustersim.sweep.evaluate import ChunkResult, evaluate_chunk
from clustersim.sweep.executors import (
    DaskExecutor,
    InProcessExecutor,
    LocalPoolExecutor,
    make_executor,
)
from clustersim.sweep.plan import SweepPlan, plan_sweep
from clustersim.sweep.runner import SweepResult, run_sweep
from clustersim.sweep.spec import METHODS, SweepSpec, load_sweep
from clustersim.sweep.summary import Summary

__all__ = [
    "METHODS",
    "ChunkResult",
    "DaskExecutor",
    "InProcessExecutor",
    "LocalPoolExecutor",
    "Summary",
    "SweepPlan",
    "SweepResult",
    "SweepSpec",
    "evaluate_chunk",
    "load_sweep",
    "make_executor",
    "plan_sweep",
    "run_sweep",
]
