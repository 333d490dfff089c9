"""A sweep's samples parts declare their columns without nulls (Parquet writes no definition
levels for them), and parts written before, with nullable columns, still read beside them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from clustersim.sweep import run_sweep
from clustersim.sweep.parquet_sink import read_samples_long

from .conftest import RATES


def _sweep(write_sweep):  # type: ignore[no-untyped-def]
    return write_sweep(
        method="monte_carlo",
        samples=1000,
        seed=2,
        chunk_size=100,  # 10 chunks: parts of 8 and 2
        parameters={RATES["c"]: {"range": [0.0, 0.1]}, RATES["f"]: {"range": [-0.9, 0.1]}},
    )


def test_parts_have_no_nullable_columns_and_read_with_old_nullable_parts(
    linear, write_sweep, tmp_path: Path
) -> None:
    out = tmp_path / "o"
    res = run_sweep(_sweep(write_sweep), out=out, workers=1)
    parts = sorted((out / "samples").glob("part-*.parquet"))
    assert len(parts) == 2
    for p in parts:
        schema = pq.read_schema(p)
        assert not any(f.nullable for f in schema), p.name
        meta = pq.ParquetFile(p).metadata
        # required columns: no definition levels (max_definition_level 0)
        assert all(meta.schema.column(i).max_definition_level == 0 for i in range(meta.num_columns))
    names = [n for n in pq.read_schema(parts[0]).names]
    want = res.sink.columns(names)  # type: ignore[union-attr]
    long_want = read_samples_long(out)
    # part 1 as an earlier version wrote it: the same values, nullable columns
    t = pq.read_table(parts[1])
    old = pa.Table.from_arrays(
        t.columns, schema=pa.schema([pa.field(f.name, f.type, nullable=True) for f in t.schema])
    )
    pq.write_table(old, parts[1])
    assert pq.read_schema(parts[1]).field(names[0]).nullable
    from clustersim.sweep.parquet_sink import ParquetSink
    from clustersim.sweep.plan import plan_sweep
    from clustersim.sweep.spec import load_sweep

    sink = ParquetSink(out, plan_sweep(load_sweep(_sweep(write_sweep))))
    got = sink.columns(names)
    for n in names:
        np.testing.assert_array_equal(got[n], want[n])
    assert read_samples_long(out).equals(long_want)
    assert ds.dataset(out / "samples").to_table().num_rows == 1000
