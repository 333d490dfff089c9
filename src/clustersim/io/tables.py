"""Results as Arrow tables, and atomic writers for Parquet, CSV and JSON."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from clustersim.atomic import staged_files
from clustersim.errors import ClusterSimError
from clustersim.formats import FORMATS
from clustersim.values.names import label_text

if TYPE_CHECKING:
    from clustersim.results import Result

__all__ = ["CSV_BOM", "targets_table", "trajectories_table", "write_result", "write_tables"]


def _dict_col(values: Sequence[str], codes: np.ndarray) -> pa.DictionaryArray:
    return pa.DictionaryArray.from_arrays(pa.array(codes.astype(np.int32)), pa.array(list(values)))


def trajectories_table(result: Result) -> pa.Table:
    """Tidy table ``scenario, sample, cluster, year, variable, value``.

    Region-level rows have an empty cluster. Built with vectorised numpy (no Python loop
    over samples, clusters or years).
    """
    s, t = result.samples, len(result.years)
    c = len(result.clusters)
    names: list[str] = []
    parts_sample, parts_cluster, parts_year, parts_var, parts_value = [], [], [], [], []
    clusters = ["", *result.clusters]
    for name, arr in result.series.items():
        v = len(names)
        names.append(name)
        if arr.ndim == 2:
            n = s * t
            parts_sample.append(np.repeat(np.arange(s), t))
            parts_cluster.append(np.zeros(n, dtype=np.int32))
            parts_year.append(np.tile(result.years, s))
            parts_value.append(np.ascontiguousarray(arr).reshape(-1))
        else:
            n = s * c * t
            parts_sample.append(np.repeat(np.arange(s), c * t))
            parts_cluster.append(np.tile(np.repeat(np.arange(1, c + 1), t), s).astype(np.int32))
            parts_year.append(np.tile(result.years, s * c))
            parts_value.append(np.ascontiguousarray(arr).reshape(-1))
        parts_var.append(np.full(n, v, dtype=np.int32))
    n_rows = sum(len(p) for p in parts_value)
    return pa.table(
        {
            "scenario": _dict_col([result.scenario_id], np.zeros(n_rows, dtype=np.int32)),
            "sample": pa.array(np.concatenate(parts_sample).astype(np.int64)),
            "cluster": _dict_col(clusters, np.concatenate(parts_cluster)),
            "year": pa.array(np.concatenate(parts_year).astype(np.int32)),
            "variable": _dict_col(names, np.concatenate(parts_var)),
            "value": pa.array(np.concatenate(parts_value)),
        }
    )


def targets_table(result: Result, lang: str = "en") -> pa.Table:
    """One row per target: status, median value, goal, margin, probability, percentiles,
    required growth and source."""
    rows: list[dict[str, Any]] = []
    for tr in result.targets:
        d = tr.to_dict(lang)
        rg = d.pop("required_growth") or {}
        pct = d.pop("percentiles", None) or {f"p{p}": d["value"] for p in (5, 25, 50, 75, 95)}
        goal = d.pop("goal")
        d.pop("detail", None)
        rows.append(
            {
                "scenario": result.scenario_id,
                **d,
                "label": label_text(tr.label, lang, tr.id),
                "goal": json.dumps(goal) if isinstance(goal, list) else goal,
                **pct,
                "required_growth": rg.get("rate"),
                "required_growth_series": rg.get("series"),
                "required_growth_method": rg.get("method"),
            }
        )
    if not rows:
        return pa.table({"scenario": pa.array([], pa.string()), "id": pa.array([], pa.string())})
    cols = list(rows[0])
    for r in rows[1:]:
        cols.extend(k for k in r if k not in cols)
    data = {k: [r.get(k) for r in rows] for k in cols}
    if any(isinstance(g, str) for g in data["goal"]):
        data["goal"] = [None if g is None else str(g) for g in data["goal"]]
    return pa.table(data)


def target_samples_table(result: Result) -> pa.Table:
    """Per-sample target outcomes: ``scenario, sample, target, value, margin, met``."""
    s = result.samples
    k = len(result.targets)
    return pa.table(
        {
            "scenario": _dict_col([result.scenario_id], np.zeros(s * k, dtype=np.int32)),
            "sample": pa.array(np.tile(np.arange(s), k).astype(np.int64)),
            "target": _dict_col([t.id for t in result.targets], np.repeat(np.arange(k), s)),
            "value": pa.array(
                np.concatenate([t.value for t in result.targets]) if k else np.empty(0)
            ),
            "margin": pa.array(
                np.concatenate([t.margin for t in result.targets]) if k else np.empty(0)
            ),
            "met": pa.array(
                np.concatenate([t.met for t in result.targets]) if k else np.empty(0, bool)
            ),
        }
    )


#: what a CSV file starts with for spreadsheets: the UTF-8 byte-order mark, without which
#: Excel on Chinese Windows reads UTF-8 as the local code page (GBK) and shows mojibake
CSV_BOM = b"\xef\xbb\xbf"


def _writer(fmt: str, *, bom: bool = True) -> Callable[[pa.Table, Path], None]:
    def parquet(tbl: pa.Table, path: Path) -> None:
        pq.write_table(tbl, path, compression="zstd")

    def csv(tbl: pa.Table, path: Path) -> None:
        plain = pa.table(
            {
                n: (col.cast(pa.string()) if pa.types.is_dictionary(col.type) else col)
                for n, col in zip(tbl.column_names, tbl.columns, strict=True)
            }
        )
        with path.open("wb") as fh:
            if bom:
                fh.write(CSV_BOM)
            pacsv.write_csv(plain, fh)

    def js(tbl: pa.Table, path: Path) -> None:
        with path.open("w", encoding="utf-8") as fh:
            json.dump(tbl.to_pylist(), fh, ensure_ascii=False, allow_nan=False)

    return {"parquet": parquet, "csv": csv, "json": js}[fmt]


def write_tables(
    tables: dict[str, pa.Table], out_dir: str | Path, fmt: str = "parquet", *, bom: bool = True
) -> list[Path]:
    """Write ``{stem: table}`` into ``out_dir`` as ``stem.<fmt>``, atomically.

    CSV is written for spreadsheets: UTF-8 with a byte-order mark (:data:`CSV_BOM`), so
    Excel opens Chinese text correctly; ``bom=False`` writes plain UTF-8.

    Every table is first written to a temporary file in ``out_dir``; only when all of
    them succeed are they renamed into place, so a failure leaves no partial files.
    """
    if fmt not in FORMATS:
        raise ClusterSimError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    write = _writer(fmt) if bom else _writer(fmt, bom=False)
    finals = []
    with staged_files(out_dir) as new:
        for stem, tbl in tables.items():
            write(tbl, new(f"{stem}.{fmt}"))
            finals.append(Path(out_dir) / f"{stem}.{fmt}")
    return finals


def write_result(
    result: Result,
    out_dir: str | Path,
    fmt: str = "parquet",
    lang: str = "en",
    *,
    bom: bool = True,
) -> list[Path]:
    """Write ``trajectories``, ``targets`` (and ``target_samples`` for Monte Carlo runs);
    CSV as UTF-8 with a byte-order mark for spreadsheets unless ``bom=False``."""
    tables = {"trajectories": trajectories_table(result), "targets": targets_table(result, lang)}
    if result.samples > 1:
        tables["target_samples"] = target_samples_table(result)
    return write_tables(tables, out_dir, fmt, bom=bom)
