"""Result sinks: the samples-table layout and the in-memory sink.

Every sink stores the same table per chunk, one row per sample (see ``docs/sweeps.md``):

========================  ======  ==========================================================
column                    type    meaning
========================  ======  ==========================================================
``sample``                int64   global sample index, ``0 .. N - 1``
``block``                 int8    sobol only: 0 = A, 1 = B, ``2 + g`` = AB of group ``g``
``<path>``                double  value of each sampled number (swept first), by its path
``value.<target>``        double  the target's value
``margin.<target>``       double  distance to the goal, >= 0 when met
``met.<target>``          bool    pass/fail
``all_met``               bool    every target met
========================  ======  ==========================================================

The streaming Parquet sink lives in :mod:`clustersim.sweep.parquet_sink` (pyarrow stays in
``clustersim.io``); :class:`MemorySink` keeps chunks in memory for notebooks and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from clustersim.sweep.evaluate import (
    ChunkResult,
    all_met_column,
    margin_column,
    met_column,
    value_column,
)
from clustersim.sweep.plan import SweepPlan

__all__ = ["Columns", "MemorySink", "ResultSink", "chunk_columns"]


@dataclass(frozen=True)
class Columns:
    """The samples-table layout of a plan."""

    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    sobol: bool = False

    @classmethod
    def of(cls, plan: SweepPlan) -> Columns:
        return cls(plan.input_columns, plan.targets, plan.method == "sobol")

    def names(self) -> list[str]:
        """Every column, in table order."""
        return [
            "sample",
            *(["block"] if self.sobol else []),
            *self.inputs,
            *(value_column(t) for t in self.targets),
            *(margin_column(t) for t in self.targets),
            *(met_column(t) for t in self.targets),
            all_met_column,
        ]


def chunk_columns(cols: Columns, res: ChunkResult) -> dict[str, NDArray[Any]]:
    """The samples table of one chunk as ``{column: (n,) array}``, in table order."""
    out: dict[str, NDArray[Any]] = {"sample": res.samples}
    if cols.sobol:
        assert res.block is not None
        out["block"] = res.block
    for j, name in enumerate(cols.inputs):
        out[name] = res.inputs[:, j]
    for i, t in enumerate(cols.targets):
        out[value_column(t)] = res.value[i]
    for i, t in enumerate(cols.targets):
        out[margin_column(t)] = res.margin[i]
    for i, t in enumerate(cols.targets):
        out[met_column(t)] = res.met[i]
    out[all_met_column] = (
        np.all(res.met, axis=0) if len(cols.targets) else np.ones(res.n, dtype=bool)
    )
    return out


class ResultSink(Protocol):
    """What the sweep runner needs from a sink."""

    #: whether a worker process may write to it directly (a shared disk), or results must
    #: come back to the process that owns it
    shareable: bool

    def prepare(self, *, resume: bool) -> set[int]:
        """Get ready to write; return the chunks already complete (when resuming)."""
        ...

    def write(self, res: ChunkResult) -> int:
        """Store one chunk, all or nothing; return the bytes stored."""
        ...

    def columns(self, names: Sequence[str]) -> dict[str, NDArray[Any]]:
        """Columns over every sample, in sample order."""
        ...


class MemorySink:
    """Keeps every chunk's table in memory (``run_sweep(..., out=None)``)."""

    shareable = False

    def __init__(self, plan: SweepPlan, *, trajectories: bool = False) -> None:
        self.cols = Columns.of(plan)
        self.trajectories = trajectories
        self.chunks: dict[int, dict[str, NDArray[Any]]] = {}
        self.series: dict[int, dict[str, NDArray[np.float64]]] = {}

    def prepare(self, *, resume: bool) -> set[int]:
        if not resume:
            self.chunks.clear()
            self.series.clear()
        return set(self.chunks)

    def write(self, res: ChunkResult) -> int:
        table = chunk_columns(self.cols, res)
        self.chunks[res.chunk] = table
        if self.trajectories and res.series is not None:
            self.series[res.chunk] = res.series
        return sum(a.nbytes for a in table.values())

    def columns(self, names: Sequence[str]) -> dict[str, NDArray[Any]]:
        order = sorted(self.chunks)
        return {n: np.concatenate([self.chunks[k][n] for k in order]) for n in names}

    def trajectory(self, name: str) -> NDArray[np.float64]:
        """Series ``name`` over every sample (kept with ``trajectories=True``)."""
        return np.concatenate([self.series[k][name] for k in sorted(self.series)])
