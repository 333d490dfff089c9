"""Read back what ``clustersim run --out DIR`` wrote: trajectories, targets, target samples.

The inverse of :func:`clustersim.io.tables.write_result`, for reports made from a results
directory instead of a fresh run. Parquet, CSV and JSON are read alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray

from clustersim.errors import ClusterSimError
from clustersim.formats import FORMATS

__all__ = ["ResultTables", "find_table", "read_result_tables"]

Array = NDArray[np.float64]


@dataclass
class ResultTables:
    """The tables of a results directory as arrays.

    Attributes
    ----------
    scenario_id : str
    years : int array (T,)
    clusters : tuple of str (C,)
    samples : int
        ``S``.
    series : dict of str to array
        ``(S, T)`` region series and metrics, ``(S, C, T)`` cluster series.
    targets : list of dict
        The rows of ``targets.*``.
    target_samples : dict of str to dict of str to array
        Target id -> ``value``, ``margin`` (float ``(S,)``) and ``met`` (bool ``(S,)``);
        empty for a plain run.
    """

    scenario_id: str
    years: NDArray[np.int64]
    clusters: tuple[str, ...]
    samples: int
    series: dict[str, Array]
    targets: list[dict[str, Any]]
    target_samples: dict[str, dict[str, NDArray[Any]]] = field(default_factory=dict)


def find_table(directory: Path, stem: str) -> Path | None:
    """``directory/stem.parquet`` (or ``.csv``, ``.json``) if there is one."""
    for fmt in FORMATS:
        p = directory / f"{stem}.{fmt}"
        if p.is_file():
            return p
    return None


def _read(path: Path) -> pa.Table:
    try:
        if path.suffix == ".parquet":
            return pq.read_table(path)
        if path.suffix == ".csv":
            return pacsv.read_csv(
                path,
                convert_options=pacsv.ConvertOptions(
                    column_types={"cluster": pa.string()}, strings_can_be_null=False
                ),
            )
        with path.open(encoding="utf-8") as fh:
            rows = json.load(fh)
        return pa.Table.from_pylist(rows)
    except (OSError, pa.ArrowException, ValueError) as exc:
        raise ClusterSimError(f"{path}: cannot read: {exc}") from exc


def _codes(col: pa.ChunkedArray) -> tuple[list[str], NDArray[np.int64]]:
    """Distinct values in order of first appearance and each row's index into them."""
    values = np.asarray(
        col.cast(pa.string()).fill_null("").to_numpy(zero_copy_only=False), dtype=object
    )
    uniq, first, inverse = np.unique(values, return_index=True, return_inverse=True)
    order = np.argsort(first)  # first-appearance order, as the writer laid them out
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return [str(v) for v in uniq[order]], rank[inverse].astype(np.int64)


def read_result_tables(directory: str | Path) -> ResultTables:
    """Read ``trajectories``, ``targets`` and (if present) ``target_samples`` from a directory.

    Raises
    ------
    ClusterSimError
        When the directory or its trajectories/targets table is missing or unreadable.
    """
    d = Path(directory)
    if not d.is_dir():
        raise ClusterSimError(f"{d}: not a directory")
    traj_path, targets_path = find_table(d, "trajectories"), find_table(d, "targets")
    if traj_path is None or targets_path is None:
        missing = "trajectories" if traj_path is None else "targets"
        raise ClusterSimError(
            f"{d}: no {missing}.parquet (or .csv, .json); write one with "
            f"'clustersim run SCENARIO --out {d}'"
        )
    traj = _read(traj_path)
    need = {"scenario", "sample", "cluster", "year", "variable", "value"}
    if not need <= set(traj.column_names):
        raise ClusterSimError(
            f"{traj_path}: missing columns {', '.join(sorted(need - set(traj.column_names)))}"
        )
    sample = np.asarray(traj.column("sample").to_numpy(), dtype=np.int64)
    year = np.asarray(traj.column("year").to_numpy(), dtype=np.int64)
    value = np.asarray(traj.column("value").to_numpy(), dtype=np.float64)
    cnames, cidx = _codes(traj.column("cluster"))
    vnames, vidx = _codes(traj.column("variable"))
    snames, _ = _codes(traj.column("scenario"))
    years = np.unique(year)
    yidx = year - int(years[0])
    clusters = tuple(c for c in cnames if c)
    # cluster index among real clusters; region rows have the empty cluster
    to_cluster = np.array([clusters.index(c) if c else -1 for c in cnames], dtype=np.int64)
    ci = to_cluster[cidx] if len(cidx) else np.empty(0, dtype=np.int64)
    s = int(sample.max()) + 1 if len(sample) else 1
    t, c = len(years), len(clusters)
    series: dict[str, Array] = {}
    for v, name in enumerate(vnames):
        rows = vidx == v
        cl = ci[rows]
        if np.all(cl < 0):
            arr = np.full((s, t), np.nan)
            arr[sample[rows], yidx[rows]] = value[rows]
        else:
            arr = np.full((s, c, t), np.nan)
            arr[sample[rows], cl, yidx[rows]] = value[rows]
        series[name] = arr
    targets = _read(targets_path).to_pylist()
    samples_tbl: dict[str, dict[str, NDArray[Any]]] = {}
    ts_path = find_table(d, "target_samples")
    if ts_path is not None:
        ts = _read(ts_path)
        tnames, tidx = _codes(ts.column("target"))
        ts_sample = np.asarray(ts.column("sample").to_numpy(), dtype=np.int64)
        cols = {k: np.asarray(ts.column(k).to_numpy()) for k in ("value", "margin", "met")}
        for k, tid in enumerate(tnames):
            rows = tidx == k
            order = np.argsort(ts_sample[rows], kind="stable")
            samples_tbl[tid] = {
                "value": cols["value"][rows][order].astype(np.float64),
                "margin": cols["margin"][rows][order].astype(np.float64),
                "met": cols["met"][rows][order].astype(bool),
            }
    return ResultTables(
        snames[0] if snames else "",
        years.astype(np.int64),
        clusters,
        s,
        series,
        targets,
        samples_tbl,
    )
