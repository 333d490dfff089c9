"""Streaming Parquet sink of a sweep: a part file per group of chunks, written atomically.

Layout of the output directory::

    DIR/manifest.json                  what ran, with which versions, seed and chunk layout
    DIR/samples/part-000000.parquet    one row per sample: inputs, target values, pass/fail;
                                       a part holds up to PART_CHUNKS consecutive chunks
                                       (named by its first; one row group per chunk)
    DIR/trajectories/part-000000.parquet   (--keep trajectories) tidy series per sample
    DIR/chunks/part-000000.partial     the chunk's mergeable summary (written before its
                                       samples part, so a samples part that exists has one;
                                       :func:`save_arrays`; ``.npz`` from earlier versions
                                       is still read)
    DIR/summary.json, DIR/summary/*.parquet

``samples/`` and ``trajectories/`` are Parquet datasets: ``pyarrow.dataset.dataset(
"DIR/samples")``, ``pandas.read_parquet("DIR/samples")`` and DuckDB's
``read_parquet('DIR/samples/*.parquet')`` read them. A part is written to a hidden
temporary name (``.part-000000.parquet.<random>.tmp``, which dataset readers skip) and
renamed when complete, so a part that exists is whole; a killed sweep leaves at most
temporaries, removed on ``--resume``.

A samples part holds :attr:`ParquetSink.part_chunks` chunks (:func:`part_chunks`: up to
:data:`PART_CHUNKS`, :data:`PART_ROWS` samples): the Parquet writer's cost per column and
file is most of a 4,096-sample chunk's (214 columns of zhenjiang-mc: ~23 ms a chunk alone,
~15 ms in a part of eight), and a sweep of 10^6 samples is 31 files, not 245. The groups
are fixed by the plan (chunk ``k`` is in the part of chunk ``k - k % part_chunks``), so
every executor and a resumed sweep write the same parts; a part is written when the last
of its chunks is, in chunk order whatever order they came in.
"""

from __future__ import annotations

import functools
import io
import json
import math
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray

from clustersim.atomic import atomic_path
from clustersim.errors import ClusterSimError
from clustersim.io.tables import trajectories_table, write_tables
from clustersim.results import Result
from clustersim.sweep.evaluate import ChunkResult, margin_column, met_column, value_column
from clustersim.sweep.partial import Partial, from_arrays, to_arrays
from clustersim.sweep.plan import SweepPlan
from clustersim.sweep.sinks import STORE, Columns, chunk_columns, missing_columns

__all__ = [
    "PART_CHUNKS",
    "PART_ROWS",
    "SAMPLE_COLUMNS",
    "ParquetSink",
    "load_arrays",
    "part_chunks",
    "read_samples_long",
    "save_arrays",
    "sweep_samples",
    "write_json_atomic",
]

#: the long form of a sweep's samples (the same columns as ``run --out``'s target_samples)
SAMPLE_COLUMNS = ("sample", "target", "value", "margin", "met")

#: at most this many chunks in one samples part (the process pool's and local Dask's tasks
#: are this many chunks too: one worker writes a whole part)
PART_CHUNKS = 8
#: and at most this many samples (eight chunks of the default 4,096)
PART_ROWS = 32_768

_PART = re.compile(r"^part-(\d+)\.parquet$")
_SUMMARY = re.compile(r"^part-(\d+)\.(partial|npz)$")
_TMP = re.compile(r"^\.part-\d+\.(parquet|partial|npz)\..*\.tmp$")

#: the first bytes of a ``.partial`` file (:func:`save_arrays`)
MAGIC = b"CSPART\x00\x01"


def save_arrays(fh: BinaryIO, arrays: dict[str, NDArray[Any]]) -> None:
    """Write named numeric arrays as ``MAGIC``, a 4-byte little-endian header length, a JSON
    header (``[[name, dtype, shape], ...]``) and each array's bytes in C order, one after
    another.

    What a chunk's summary is stored as: ``np.savez`` spent ~2.6 ms a chunk of zhenjiang-mc
    (1.1 MB, mostly zip's CRC and per-member headers) where this takes ~0.5 ms; a
    ``.partial`` is written whole or not at all (atomically), so it needs no checksum.
    """
    head = json.dumps([[k, a.dtype.str, list(a.shape)] for k, a in arrays.items()]).encode()
    fh.write(MAGIC + len(head).to_bytes(4, "little") + head)
    for a in arrays.values():
        fh.write(np.ascontiguousarray(a).data)


def load_arrays(data: bytes | bytearray) -> dict[str, NDArray[Any]]:
    """The arrays :func:`save_arrays` wrote (``data``: the file's bytes; views of it, writable
    when it is a bytearray); ValueError when the bytes are not such a file or are cut short."""
    if not data.startswith(MAGIC) or len(data) < len(MAGIC) + 4:
        raise ValueError("not a clustersim partial summary")
    at = len(MAGIC) + 4
    n = int.from_bytes(data[len(MAGIC) : at], "little")
    head = json.loads(bytes(data[at : at + n]).decode())
    at += n
    out: dict[str, NDArray[Any]] = {}
    if not isinstance(head, list):
        raise ValueError("the header is not a list of arrays")
    for name, dt, shape in head:
        dtype = np.dtype(dt)
        if dtype.kind not in "biuf":
            raise ValueError(f"array {name!r} has dtype {dt}")
        count = math.prod(shape)
        size = count * dtype.itemsize
        if at + size > len(data):
            raise ValueError("the file is cut short")
        out[name] = np.frombuffer(data, dtype, count, at).reshape(shape)
        at += size
    if at != len(data):
        raise ValueError(f"{len(data) - at} bytes after the last array")
    return out


def _atomic(path: Path, write: Any) -> int:
    """Call ``write(tmp_path)`` on a hidden temporary beside ``path``, then rename it."""
    with atomic_path(path) as tmp:
        write(tmp)
        size = os.path.getsize(tmp)
    return size


def write_json_atomic(path: str | Path, doc: Any) -> None:
    """Write ``doc`` as indented UTF-8 JSON to ``path`` atomically."""
    p = Path(path)
    text = json.dumps(doc, ensure_ascii=False, indent=2, allow_nan=False) + "\n"
    _atomic(p, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def _write(tables: Sequence[pa.Table], where: Any) -> None:
    """Samples tables of one schema as one file, a row group each (a chunk's, or a part's
    chunks' in chunk order)."""
    # Measured on zhenjiang-mc (python benchmarks/sweeps/encodings.py, ratios of one run):
    # the inputs are random doubles that ZSTD does not shrink (1,276 B/sample uncompressed
    # vs 1,168 with ZSTD everywhere, at 1.9x the write time), while the target columns do,
    # best with their bytes split by significance first (BYTE_STREAM_SPLIT). So: inputs
    # plain, target columns ZSTD + byte-stream-split: 0.79x the time of ZSTD everywhere at
    # 1,194 B/sample. Dictionary encoding everywhere costs 2.2x and grows the file; Arrow's
    # per-column fallback keeps it only for the non-float columns, where it pays.
    # Min/max statistics are written for ``sample`` only (what a reader filters a sweep's
    # parts by): computing them for the other 200-odd columns was a fifth of the write
    # time, for statistics of random draws that prune nothing.
    schema = tables[0].schema
    with pq.ParquetWriter(where, schema, **_options(tuple(schema.names), tuple(schema.types))) as w:
        for t in tables:
            w.write_table(t)  # a row group each (up to 1Mi rows, as pq.write_table)


@functools.lru_cache(maxsize=8)
def _options(names: tuple[str, ...], types: tuple[pa.DataType, ...]) -> dict[str, Any]:
    """Keyword arguments of ``pq.write_table`` for a samples table (the same every chunk)."""
    targets = (value_column(""), margin_column(""), met_column(""), "sample", "all_met", "block")
    plain = {n for n in names if not n.startswith(targets)}
    is_float = [pa.types.is_floating(t) for t in types]
    floats = [n for n, f in zip(names, is_float, strict=True) if f and n not in plain]
    return {
        "compression": {n: ("none" if n in plain else "zstd") for n in names},
        "use_dictionary": [n for n, f in zip(names, is_float, strict=True) if not f],
        "use_byte_stream_split": floats or False,
        "write_statistics": [n for n in ("sample",) if n in names] or False,
    }


def part_chunks(chunk_size: int, samples: bool, trajectories: bool) -> int:
    """Chunks of ``chunk_size`` samples in one samples part: up to :data:`PART_CHUNKS`, of
    at most :data:`PART_ROWS` samples; 1 when nothing per sample is stored (``samples``
    False: no samples part) or with trajectories (each chunk's are ~50 MB to hold)."""
    if not samples or trajectories:
        return 1
    return max(1, min(PART_CHUNKS, PART_ROWS // max(chunk_size, 1)))


def _table(cols: dict[str, NDArray[Any]]) -> pa.Table:
    """The samples table of a chunk, every column declared without nulls (a sample's value
    is a number, NaN included, never missing): Parquet then writes no definition levels,
    ~7 of ~26 ms a zhenjiang-mc chunk. Readers of parts written before, with nullable
    columns, unify the two (datasets do; :meth:`ParquetSink.columns` concatenates with
    ``promote_options="default"``)."""
    arrays = [pa.array(arr) for arr in cols.values()]
    schema = pa.schema(
        [pa.field(name, a.type, nullable=False) for name, a in zip(cols, arrays, strict=True)]
    )
    return pa.Table.from_arrays(arrays, schema=schema)


class ParquetSink:
    """Writes each chunk as ``samples/part-NNNNNN.parquet`` (and trajectories) under ``out``.

    Parameters
    ----------
    out : str or Path
        The output directory.
    plan : SweepPlan
    trajectories : bool
        Also write every projected series, tidy (``scenario, sample, cluster, year,
        variable, value``, as ``clustersim run --out``), under ``trajectories/``.
    """

    shareable = True

    def __init__(
        self,
        out: str | Path,
        plan: SweepPlan,
        *,
        trajectories: bool = False,
        store: tuple[str, ...] = STORE,
    ) -> None:
        self.out = Path(out)
        self.cols = Columns.of(plan, store)
        self.trajectories = trajectories
        self.rows = plan.rows
        self.chunk_size = plan.chunk_size
        self.n_chunks = plan.n_chunks
        self.width = max(6, len(str(self.n_chunks - 1)))
        self.scenario_id = plan.scenario.id
        self._meta: list[tuple[Path, Any]] | None = None
        #: chunks in one samples part (:func:`part_chunks`)
        self.part_chunks = part_chunks(plan.chunk_size, bool(self.cols.names()), trajectories)
        #: the tables of the chunks of parts not yet complete, by the part's first chunk
        self._held: dict[int, dict[int, pa.Table]] = {}
        self._lock = threading.Lock()

    def __getstate__(self) -> dict[str, Any]:
        # a worker gets the sink empty, with a lock of its own (a lock does not pickle)
        state = dict(self.__dict__)
        state["_held"] = {}
        del state["_lock"]
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self._lock = threading.Lock()

    def group(self, chunk: int) -> range:
        """The chunks of the samples part ``chunk`` is in."""
        first = chunk - chunk % self.part_chunks
        return range(first, min(first + self.part_chunks, self.n_chunks))

    @property
    def samples_dir(self) -> Path:
        return self.out / "samples"

    @property
    def trajectories_dir(self) -> Path:
        return self.out / "trajectories"

    @property
    def chunks_dir(self) -> Path:
        return self.out / "chunks"

    def summary_part(self, chunk: int) -> Path:
        """The partial-summary file of ``chunk`` (:func:`save_arrays`)."""
        return self.chunks_dir / f"part-{chunk:0{self.width}d}.partial"

    def _summary_parts(self, chunk: int) -> tuple[Path, Path]:
        """``chunk``'s summary as this version writes it and as earlier ones did (npz)."""
        new = self.summary_part(chunk)
        return new, new.with_suffix(".npz")

    def part(self, directory: Path, chunk: int) -> Path:
        """The part file named by ``chunk`` in ``directory`` (a samples part by the first
        chunk of its group: :meth:`group`)."""
        return directory / f"part-{chunk:0{self.width}d}.parquet"

    def _expected_rows(self, chunk: int) -> int:
        start = chunk * self.chunk_size
        return min(self.rows, start + self.chunk_size) - start

    # -- writing -----------------------------------------------------------------------------
    def prepare(self, *, resume: bool) -> set[int]:
        """Create the directories, drop stale temporaries; return the complete chunks."""
        dirs = [self.chunks_dir, self.samples_dir]
        dirs += [self.trajectories_dir] if self.trajectories else []
        try:
            for d in dirs:
                d.mkdir(parents=True, exist_ok=True)
                for f in d.iterdir():
                    if _TMP.match(f.name):
                        f.unlink(missing_ok=True)  # left by a killed run
        except OSError as exc:
            raise ClusterSimError(
                f"{self.out}: cannot prepare the output directory: {exc}"
            ) from exc
        if not resume:
            return set()
        names = self.cols.names()
        done: set[int] = set()
        with_summary: set[int] = set()
        for f in self.chunks_dir.iterdir():
            m = _SUMMARY.match(f.name)
            k = int(m.group(1)) if m else -1
            if m and 0 <= k < self.n_chunks and f in self._summary_parts(k):
                with_summary.add(k)
        for f in self.samples_dir.iterdir():
            m = _PART.match(f.name)
            if not m:
                continue
            k = int(m.group(1))
            group = self.group(k) if 0 <= k < self.n_chunks else range(0)
            ok = len(group) > 0 and group[0] == k and f == self.part(self.samples_dir, k)
            ok = ok and bool(names) and all(c in with_summary for c in group)
            if ok:
                try:
                    meta = pq.read_metadata(f)
                    ok = (
                        meta.num_rows == sum(self._expected_rows(c) for c in group)
                        and meta.schema.to_arrow_schema().names == names
                    )
                except (OSError, pa.ArrowException):
                    ok = False
            if ok and self.trajectories:
                ok = self.part(self.trajectories_dir, k).exists()
            if ok:
                done.update(group)
            else:  # not a part of this layout, or damaged: recompute it
                f.unlink(missing_ok=True)
        if not names:  # nothing per sample: a chunk is complete when its summary is
            done = with_summary
        for k in with_summary - done:
            for f in self._summary_parts(k):
                f.unlink(missing_ok=True)
        return done

    def write(self, res: ChunkResult) -> int:
        """Write chunk ``res.chunk``: trajectories, its summary, then its samples part, or
        hold its samples until the other chunks of its part are written (the bytes of the
        part are counted with the chunk that completes it). Safe from several threads."""
        nbytes = 0
        if self.trajectories:
            nbytes += _atomic(
                self.part(self.trajectories_dir, res.chunk),
                lambda tmp: pq.write_table(
                    self._trajectories(res),
                    tmp,
                    compression="zstd",
                    use_dictionary=["scenario", "cluster", "variable"],
                ),
            )
        # the summary before the samples part: a samples part that exists has its summary
        if res.partial is not None:
            nbytes += self.write_partial(res.chunk, res.partial)
        cols = chunk_columns(self.cols, res)
        if not cols:
            return nbytes
        table, group = _table(cols), self.group(res.chunk)
        with self._lock:  # (a part of one chunk is complete at once)
            held = self._held.setdefault(group[0], {})
            held[res.chunk] = table
            if len(held) < len(group):
                return nbytes
            del self._held[group[0]]
        tables = [held[c] for c in group]
        return nbytes + _atomic(
            self.part(self.samples_dir, group[0]), lambda tmp: _write(tables, tmp)
        )

    def held(self) -> list[int]:
        """The chunks whose samples wait for the rest of their part (none once every chunk
        of the sweep is written)."""
        with self._lock:
            return sorted(c for held in self._held.values() for c in held)

    def write_partial(self, chunk: int, partial: Partial) -> int:
        """Write ``chunks/part-N.partial``, the chunk's mergeable summary (atomically)."""
        arrays = to_arrays(partial)

        def save(tmp: Path) -> None:
            with open(tmp, "wb") as fh:
                save_arrays(fh, arrays)

        return _atomic(self.summary_part(chunk), save)

    def partial(self, chunk: int) -> Partial:
        """The stored partial summary of ``chunk`` (an ``.npz`` an earlier version wrote is
        read when there is no ``.partial``)."""
        path, old = self._summary_parts(chunk)
        try:
            if not path.exists() and old.exists():
                path = old
                with np.load(path) as z:
                    return from_arrays({k: z[k] for k in z.files})
            return from_arrays(load_arrays(bytearray(path.read_bytes())))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ClusterSimError(
                f"{path}: cannot read the chunk's summary ({exc}); run the sweep again with "
                "--resume after deleting it"
            ) from exc

    def _trajectories(self, res: ChunkResult) -> pa.Table:
        if res.series is None:
            raise ClusterSimError("trajectories were requested but the chunk kept none")
        result = Result(self.scenario_id, res.years, res.clusters, res.n, res.series, [], None)
        tbl = trajectories_table(result)
        i = tbl.schema.get_field_index("sample")
        shifted = pa.array(tbl.column(i).to_numpy() + np.int64(res.start))
        return tbl.set_column(i, "sample", shifted)

    def estimate_bytes(self, res: ChunkResult) -> tuple[float, float]:
        """Bytes per sample of the samples and trajectories parts, from a pilot chunk."""

        def size(tbl: pa.Table) -> int:
            buf = io.BytesIO()
            pq.write_table(tbl, buf, compression="zstd")
            return buf.tell()

        cols = chunk_columns(self.cols, res)
        samples = 0.0
        if cols:
            buf = io.BytesIO()
            _write([_table(cols)], buf)
            samples = buf.tell() / max(res.n, 1)
        traj = size(self._trajectories(res)) / max(res.n, 1) if self.trajectories else 0.0
        return samples, traj

    # -- reading -----------------------------------------------------------------------------
    def parts(self) -> list[Path]:
        """Every samples part in chunk order; an error when one is missing."""
        files = [self.part(self.samples_dir, k) for k in range(0, self.n_chunks, self.part_chunks)]
        missing = [f for f in files if not f.exists()]
        if missing:
            raise ClusterSimError(
                f"{self.samples_dir}: {len(missing)} of {len(files)} parts are missing "
                f"(first: {missing[0].name}); run the sweep again with --resume"
            )
        return files

    def columns(self, names: Sequence[str]) -> dict[str, NDArray[Any]]:
        """Columns over every sample, in sample order (part footers are parsed once)."""
        missing_columns(self.cols, names)
        if self._meta is None:
            self._meta = [(f, pq.read_metadata(f)) for f in self.parts()]
        cols = list(names)
        tables = []
        for f, m in self._meta:
            with pq.ParquetFile(f, metadata=m) as pf:
                tables.append(pf.read(columns=cols))
        tbl = pa.concat_tables(tables, promote_options="default")
        return {n: tbl.column(n).to_numpy() for n in cols}

    def write_summary(
        self, doc: dict[str, Any], tables: dict[str, dict[str, list[Any]]]
    ) -> list[Path]:
        """``summary.json`` and ``summary/<name>.parquet``, each written atomically."""
        arrow = {name: pa.table(cols) for name, cols in tables.items()}
        written = write_tables(arrow, self.out / "summary", "parquet")
        path = self.out / "summary.json"
        write_json_atomic(path, doc)
        return [path, *written]


def read_samples_long(directory: str | Path) -> pa.Table:
    """A sweep's stored samples in long form: one row per sample and target, columns
    :data:`SAMPLE_COLUMNS` (``sample, target, value, margin, met``), sorted by sample then
    target in the scenario's order. A group the sweep did not store (``store:``) is null.

    Parameters
    ----------
    directory : str or Path
        The sweep's ``--out`` directory (or its ``samples/`` folder).

    Raises
    ------
    ClusterSimError
        When there are no samples parts (no such sweep, or ``store: summary_only``).
    """
    d = Path(directory)
    samples = d if d.name == "samples" else d / "samples"
    parts = sorted(p for p in samples.glob("part-*.parquet")) if samples.is_dir() else []
    if not parts:
        raise ClusterSimError(
            f"{samples}: no samples parts (not a sweep's --out directory, or the sweep stored "
            "a summary only)"
        )
    table = pa.concat_tables([pq.read_table(p) for p in parts], promote_options="default")
    names = table.column_names
    targets: list[str] = []
    for name in names:
        for prefix in ("value.", "margin.", "met."):
            if name.startswith(prefix) and name[len(prefix) :] not in targets:
                targets.append(name[len(prefix) :])
    if not targets:
        raise ClusterSimError(f"{samples}: the sweep stored no target columns (store: inputs)")
    sample = table.column("sample").to_numpy()
    n, k = len(sample), len(targets)

    def stacked(column: str, typ: pa.DataType) -> pa.Array:
        """Column ``column.format(target)`` of every target, row-major over (sample,
        target); null where the sweep did not store it."""
        vals = np.zeros((n, k), dtype=bool if typ == pa.bool_() else np.float64)
        mask = np.zeros((n, k), dtype=bool)
        for j, t in enumerate(targets):
            name = column.format(t)
            if name in names:
                vals[:, j] = table.column(name).to_numpy()
            else:
                mask[:, j] = True
        return pa.array(vals.reshape(-1), type=typ, mask=mask.reshape(-1))

    order = np.argsort(sample, kind="stable")
    long = pa.table(
        {
            "sample": pa.array(np.repeat(sample, k), type=pa.int64()),
            "target": pa.array(np.tile(np.array(targets, dtype=object), n), type=pa.string()),
            "value": stacked(value_column("{}"), pa.float64()),
            "margin": stacked(margin_column("{}"), pa.float64()),
            "met": stacked(met_column("{}"), pa.bool_()),
        }
    )
    rows = (order[:, None] * k + np.arange(k)).reshape(-1)
    return long.take(pa.array(rows))


#: the public name (``clustersim.sweep_samples``)
sweep_samples = read_samples_long
