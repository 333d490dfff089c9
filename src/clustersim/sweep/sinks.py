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

Which groups are stored is the sweep file's ``store:`` (all by default; ``summary_only``
stores none: the summary comes from each chunk's partial, which every sink keeps).

The streaming Parquet sink lives in :mod:`clustersim.sweep.parquet_sink` (pyarrow stays in
``clustersim.io``); :class:`MemorySink` keeps chunks in memory for notebooks and tests.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

from clustersim.errors import ClusterSimError
from clustersim.sweep.evaluate import (
    ChunkResult,
    all_met_column,
    margin_column,
    met_column,
    value_column,
)
from clustersim.sweep.partial import Partial
from clustersim.sweep.plan import SweepPlan
from clustersim.sweep.spec import STORE_GROUPS, SUMMARY_ONLY_STORE

__all__ = [
    "STORE",
    "SUMMARY_ONLY",
    "Columns",
    "MemorySink",
    "ResultSink",
    "chunk_columns",
    "missing_columns",
]


#: the column groups a sweep may store per sample (``store:`` in the sweep file), table order
STORE = STORE_GROUPS
#: ``store: summary_only``: nothing per sample, only the summary
SUMMARY_ONLY = SUMMARY_ONLY_STORE


@dataclass(frozen=True)
class Columns:
    """The samples-table layout of a plan: which groups are stored, and their columns.

    ``sample`` (and ``block`` for Sobol') come with any group; no group stores no table.
    """

    inputs: tuple[str, ...]
    targets: tuple[str, ...]
    sobol: bool = False
    store: tuple[str, ...] = STORE

    @classmethod
    def of(cls, plan: SweepPlan, store: tuple[str, ...] = STORE) -> Columns:
        return cls(plan.input_columns, plan.targets, plan.method == "sobol", store)

    def names(self) -> list[str]:
        """Every stored column, in table order (empty when nothing is stored)."""
        if not self.store:
            return []
        g = self.store
        return [
            "sample",
            *(["block"] if self.sobol else []),
            *(self.inputs if "inputs" in g else ()),
            *((value_column(t) for t in self.targets) if "values" in g else ()),
            *((margin_column(t) for t in self.targets) if "margins" in g else ()),
            *((met_column(t) for t in self.targets) if "met" in g else ()),
            *([all_met_column] if "met" in g else []),
        ]


def chunk_columns(cols: Columns, res: ChunkResult) -> dict[str, NDArray[Any]]:
    """The stored samples table of one chunk as ``{column: (n,) array}``, in table order."""
    out: dict[str, NDArray[Any]] = {}
    g = cols.store
    if not g:
        return out
    out["sample"] = res.samples
    if cols.sobol:
        assert res.block is not None
        out["block"] = res.block
    if "inputs" in g:
        for j, name in enumerate(cols.inputs):
            out[name] = res.inputs[:, j]
    if "values" in g:
        for i, t in enumerate(cols.targets):
            out[value_column(t)] = res.value[i]
    if "margins" in g:
        for i, t in enumerate(cols.targets):
            out[margin_column(t)] = res.margin[i]
    if "met" in g:
        for i, t in enumerate(cols.targets):
            out[met_column(t)] = res.met[i]
        out[all_met_column] = (
            np.all(res.met, axis=0) if len(cols.targets) else np.ones(res.n, dtype=bool)
        )
    return out


def missing_columns(cols: Columns, names: Sequence[str]) -> None:
    """Raise when a column asked for is not stored (``store:`` left it out)."""
    have = set(cols.names())
    lost = [n for n in names if n not in have]
    if lost:
        stored = ", ".join(cols.store) or SUMMARY_ONLY
        raise ClusterSimError(
            f"the sweep did not store {', '.join(lost[:3])}{' ...' if len(lost) > 3 else ''} "
            f"(store: {stored}); run it again with that group in store:"
        )


class ResultSink(Protocol):
    """What the sweep runner needs from a sink."""

    #: whether a worker process may write to it directly (a shared disk), or results must
    #: come back to the process that owns it
    shareable: bool
    #: chunks in one samples part (a sink that holds a part's chunks until its last one)
    part_chunks: int

    def prepare(self, *, resume: bool) -> set[int]:
        """Get ready to write; return the chunks already complete (when resuming)."""
        ...

    def write(self, res: ChunkResult) -> int:
        """Store one chunk and its partial, all or nothing; return the bytes stored."""
        ...

    def columns(self, names: Sequence[str]) -> dict[str, NDArray[Any]]:
        """Columns over every sample, in sample order."""
        ...

    def partial(self, chunk: int) -> Partial:
        """The stored partial summary of a complete chunk."""
        ...

    def write_partial(self, chunk: int, partial: Partial) -> int:
        """Store one chunk's partial summary alone (nothing per sample to write)."""
        ...

    def held(self) -> list[int]:
        """Chunks written whose samples wait for the rest of their part (none at the end)."""
        ...


class MemorySink:
    """Keeps every chunk's table in memory (``run_sweep(..., out=None)``)."""

    shareable = False
    part_chunks = 1  # every chunk kept as it comes

    def __init__(
        self, plan: SweepPlan, *, trajectories: bool = False, store: tuple[str, ...] = STORE
    ) -> None:
        self.cols = Columns.of(plan, store)
        self.trajectories = trajectories
        self.chunks: dict[int, dict[str, NDArray[Any]]] = {}
        self.series: dict[int, dict[str, NDArray[np.float64]]] = {}
        self.partials: dict[int, Partial] = {}

    def prepare(self, *, resume: bool) -> set[int]:
        if not resume:
            self.chunks.clear()
            self.series.clear()
            self.partials.clear()
        return set(self.partials)

    def write(self, res: ChunkResult) -> int:
        table = chunk_columns(self.cols, res)
        if table:
            self.chunks[res.chunk] = table
        if self.trajectories and res.series is not None:
            self.series[res.chunk] = res.series
        if res.partial is not None:
            self.partials[res.chunk] = res.partial
        return sum(a.nbytes for a in table.values())

    def partial(self, chunk: int) -> Partial:
        return self.partials[chunk]

    def write_partial(self, chunk: int, partial: Partial) -> int:
        self.partials[chunk] = partial
        return 0

    def held(self) -> list[int]:
        return []

    def columns(self, names: Sequence[str]) -> dict[str, NDArray[Any]]:
        missing_columns(self.cols, names)
        order = sorted(self.chunks)
        return {n: np.concatenate([self.chunks[k][n] for k in order]) for n in names}

    def trajectory(self, name: str) -> NDArray[np.float64]:
        """Series ``name`` over every sample (kept with ``trajectories=True``)."""
        return np.concatenate([self.series[k][name] for k in sorted(self.series)])
