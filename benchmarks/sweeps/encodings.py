"""Parquet encodings of a sweep's samples table: write time and size per option (not a test).

Evaluates a few chunks of ``sweeps/zhenjiang-mc.yaml`` and writes the same tables with each
candidate encoding, interleaved, reporting the median write time per chunk and bytes per
sample. ``clustersim.sweep.parquet_sink._write`` uses the winner.

    python benchmarks/sweeps/encodings.py [--chunks 6] [--repeat 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

from clustersim.sweep import parquet_sink
from clustersim.sweep.evaluate import evaluate_chunk
from clustersim.sweep.plan import plan_sweep
from clustersim.sweep.sinks import Columns, chunk_columns
from clustersim.sweep.spec import load_sweep

ROOT = Path(__file__).resolve().parents[2]


def _chosen(table: pa.Table) -> dict[str, Any]:
    return parquet_sink._options(tuple(table.schema.names), tuple(table.schema.types))


def _options(table: pa.Table) -> dict[str, dict[str, Any]]:
    floats = [f.name for f in table.schema if pa.types.is_floating(f.type)]
    others = [f.name for f in table.schema if f.name not in floats]
    inputs = {n for n in table.column_names if not n.startswith(("value.", "margin.", "met."))}
    inputs -= {"sample", "all_met"}
    return {
        "zstd, no dictionary (before)": {"compression": "zstd", "use_dictionary": False},
        "zstd, dictionary everywhere": {"compression": "zstd", "use_dictionary": True},
        "none": {"compression": "none", "use_dictionary": False},
        "zstd-1, byte-stream-split floats, dict others": {
            "compression": "zstd",
            "compression_level": 1,
            "use_dictionary": others,
            "use_byte_stream_split": floats,
        },
        "zstd-1, no dictionary": {
            "compression": "zstd",
            "compression_level": 1,
            "use_dictionary": False,
        },
        "snappy, no dictionary": {"compression": "snappy", "use_dictionary": False},
        "inputs plain; zstd-1 + byte-stream-split on target columns": {
            "compression": {n: ("none" if n in inputs else "zstd") for n in table.column_names},
            "use_dictionary": others,
            "use_byte_stream_split": [n for n in floats if n not in inputs],
        },
        "as chosen before, statistics on sample only (now chosen)": _chosen(table),
        "inputs plain; zstd-1 target columns": {
            "compression": {n: ("none" if n in inputs else "zstd") for n in table.column_names},
            "use_dictionary": False,
        },
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--chunks", type=int, default=6)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    plan = plan_sweep(load_sweep(ROOT / "sweeps" / "zhenjiang-mc.yaml", samples=4096 * a.chunks))
    cols = Columns.of(plan)
    tables = [
        pa.table(chunk_columns(cols, evaluate_chunk(plan, k, engine="numpy")))
        for k in range(a.chunks)
    ]
    opts = _options(tables[0])
    times: dict[str, list[float]] = {k: [] for k in opts}
    sizes: dict[str, int] = {}
    for _ in range(a.repeat):
        for name, kw in opts.items():  # interleaved: load moves every option alike
            for t in tables:
                buf = io.BytesIO()
                t0 = time.process_time()  # CPU time: a loaded machine moves wall time
                pq.write_table(t, buf, **kw)
                times[name].append(time.process_time() - t0)
                sizes[name] = buf.tell()
    base = statistics.median(times["zstd, no dictionary (before)"])
    print(f"{'encoding':<58} {'CPU ms/chunk':>12} {'vs before':>9} {'B/sample':>9}")
    for name in opts:
        med = statistics.median(times[name])
        print(f"{name:<58} {med * 1e3:12.1f} {med / base:9.2f} {sizes[name] / 4096:9.0f}")


if __name__ == "__main__":
    main()
