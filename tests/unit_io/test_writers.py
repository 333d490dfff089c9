"""Result tables and their atomic writers (Parquet, CSV, JSON)."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim import atomic
from clustersim.errors import ClusterSimError
from clustersim.io import tables
from clustersim.io.tables import (
    target_samples_table,
    targets_table,
    trajectories_table,
    write_result,
    write_tables,
)

SCENARIO = """\
id: small
name: Small
base_year: 2020
end_year: 2024
region:
  gdp:
    base: 100
    growth: {dist: normal, mean: 0.05, sd: 0.01}
  population: {base: 10, growth: 0.01}
clusters:
  a:
    name: A
    output: {base: 40, growth: {dist: uniform, low: 0.0, high: 0.1}}
    va_ratio: {base: 0.3}
    rd: {share_of_output: {base: 0.02}}
  b:
    name: {zh: 乙, en: B}
    output: {base: 20, growth: 0.08}
    va_ratio: {base: 0.25}
    rd: {share_of_output: {base: 0.01}}
  c:
    name: C
    output: {base: 5, growth: 0.2}
metrics:
  per_head: gdp / population
targets:
  gdp:
    kind: level
    label: GDP 125
    metric: gdp
    year: 2024
    at_least: 125
  count:
    kind: count_over
    label: {zh: 两个集群超过25, en: "Two clusters over 25"}
    threshold: 25
    year: 2024
    between: [2, 3]
"""
S = 7


@pytest.fixture(scope="module")
def scenario_path(tmp_path_factory) -> Path:
    p = tmp_path_factory.mktemp("scenario") / "small.yaml"
    p.write_text(SCENARIO, encoding="utf-8")
    return p


@pytest.fixture(scope="module")
def result(scenario_path):
    return cs.run(cs.load_scenario(scenario_path), samples=S, seed=42)


@pytest.fixture(scope="module")
def point(scenario_path):
    return cs.run(cs.load_scenario(scenario_path))


def listing(d: Path) -> list[str]:
    return sorted(p.name for p in d.iterdir())


# --- tables --------------------------------------------------------------------------------------


def test_trajectories_table_shape_and_columns(result):
    tbl = trajectories_table(result)
    assert tbl.column_names == ["scenario", "sample", "cluster", "year", "variable", "value"]
    t, c = len(result.years), len(result.clusters)
    n_region, n_cluster = len(result.region_series()), len(result.cluster_series())
    assert n_region > 0 and n_cluster > 0
    assert tbl.num_rows == S * t * n_region + S * c * t * n_cluster
    assert pa.types.is_float64(tbl.schema.field("value").type)
    assert pa.types.is_integer(tbl.schema.field("year").type)


def test_trajectories_table_values_follow_the_arrays(result):
    df = trajectories_table(result).to_pandas()
    for col in ("scenario", "cluster", "variable"):
        df[col] = df[col].astype(str)
    assert set(df["scenario"]) == {"small"}
    years = result.years.tolist()
    for name, arr in result.series.items():
        rows = df[df["variable"] == name]
        if arr.ndim == 2:
            assert (rows["cluster"] == "").all()
            for s in (0, S - 1):
                got = rows[rows["sample"] == s].sort_values("year")
                assert got["year"].tolist() == years
                assert_array_equal(got["value"].to_numpy(), arr[s])
        else:
            for s in (0, S - 1):
                for ci, cid in enumerate(result.clusters):
                    got = rows[(rows["sample"] == s) & (rows["cluster"] == cid)].sort_values("year")
                    assert_array_equal(got["value"].to_numpy(), arr[s, ci], err_msg=name)


def test_gdp_trajectory_is_compound_growth(point):
    """A plain run: gdp = 100 * 1.05^t, output[c] = 5 * 1.2^t, exactly the tidy rows."""
    df = trajectories_table(point).to_pandas()
    gdp = df[df["variable"] == "gdp"].sort_values("year")["value"].to_numpy()
    assert_allclose(gdp, 100 * 1.05 ** np.arange(5), rtol=1e-13)
    out_c = df[(df["variable"] == "output") & (df["cluster"] == "c")].sort_values("year")
    assert_allclose(out_c["value"].to_numpy(), 5 * 1.2 ** np.arange(5), rtol=1e-13)
    ph = df[df["variable"] == "per_head"].sort_values("year")["value"].to_numpy()
    assert_allclose(ph, gdp / (10 * 1.01 ** np.arange(5)), rtol=1e-13)


def test_targets_table(result):
    df = targets_table(result).to_pandas()
    assert df["id"].tolist() == ["gdp", "count"]
    assert df["label"].tolist() == ["GDP 125", "Two clusters over 25"]
    assert targets_table(result, "zh").to_pandas()["label"].tolist() == [
        "GDP 125",
        "两个集群超过25",
    ]
    for tr in result.targets:
        row = df.set_index("id").loc[tr.id]
        assert row["status"] == tr.status
        assert row["value"] == tr.median_value
        assert row["probability"] == tr.probability
        assert_allclose(
            row[["p5", "p50", "p95"]].astype(float),
            [tr.percentiles()[k] for k in ("p5", "p50", "p95")],
        )
    assert df.set_index("id").loc["gdp", "goal"] in (125, "125.0", 125.0)


def test_target_samples_table(result):
    tbl = target_samples_table(result)
    assert tbl.num_rows == S * len(result.targets)
    df = tbl.to_pandas()
    for tr in result.targets:
        rows = df[df["target"].astype(str) == tr.id].sort_values("sample")
        assert rows["sample"].tolist() == list(range(S))
        assert_array_equal(rows["value"].to_numpy(), tr.value)
        assert_array_equal(rows["margin"].to_numpy(), tr.margin)
        assert_array_equal(rows["met"].to_numpy(), tr.met)


# --- writing -------------------------------------------------------------------------------------


def test_write_result_parquet_round_trip(result, tmp_path):
    written = write_result(result, tmp_path / "out")
    assert [p.name for p in written] == [
        "trajectories.parquet",
        "targets.parquet",
        "target_samples.parquet",
    ]
    assert listing(tmp_path / "out") == sorted(p.name for p in written)
    back = pq.read_table(tmp_path / "out" / "trajectories.parquet")
    assert back.equals(trajectories_table(result))


def test_write_result_single_sample_has_no_target_samples(point, tmp_path):
    written = write_result(point, tmp_path, "csv")
    assert [p.name for p in written] == ["trajectories.csv", "targets.csv"]


def test_csv_round_trip_equals_the_arrays(result, tmp_path):
    write_result(result, tmp_path, "csv")
    opts = pacsv.ConvertOptions(strings_can_be_null=False)
    traj = pacsv.read_csv(tmp_path / "trajectories.csv", convert_options=opts)
    want = trajectories_table(result)
    assert traj.column_names == want.column_names
    assert_array_equal(traj["value"].to_numpy(), want["value"].to_numpy())  # exact floats
    assert_array_equal(traj["sample"].to_numpy(), want["sample"].to_numpy())
    assert_array_equal(traj["year"].to_numpy(), want["year"].to_numpy())
    for col in ("cluster", "variable", "scenario"):
        assert traj[col].to_pylist() == want[col].cast(pa.string()).to_pylist()
    samples = pacsv.read_csv(tmp_path / "target_samples.csv").to_pandas()
    gdp = samples[samples["target"] == "gdp"].sort_values("sample")
    assert_array_equal(gdp["value"].to_numpy(), result.target("gdp").value)
    assert_array_equal(gdp["met"].to_numpy(), result.target("gdp").met)


def test_json_round_trip_equals_the_arrays(result, tmp_path):
    write_result(result, tmp_path, "json")
    rows = json.loads((tmp_path / "trajectories.json").read_text(encoding="utf-8"))
    want = trajectories_table(result).to_pylist()
    assert rows == want
    gdp = np.array([r["value"] for r in rows if r["variable"] == "gdp"], dtype=np.float64).reshape(
        S, len(result.years)
    )
    assert_array_equal(gdp, result.series["gdp"])
    tgt = json.loads((tmp_path / "targets.json").read_text(encoding="utf-8"))
    assert [r["id"] for r in tgt] == ["gdp", "count"]
    assert tgt[1]["goal"] in ([2.0, 3.0], "[2.0, 3.0]")
    assert tgt[0]["value"] == result.target("gdp").median_value


def test_write_tables_overwrites_previous_output(result, tmp_path):
    write_result(result, tmp_path, "csv")
    first = (tmp_path / "trajectories.csv").read_bytes()
    write_tables({"trajectories": pa.table({"x": [1]})}, tmp_path, "csv")
    assert (tmp_path / "trajectories.csv").read_bytes() != first
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_unknown_format_writes_nothing(result, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(ClusterSimError, match="unknown format 'xlsx'"):
        write_result(result, out, "xlsx")
    assert not out.exists()


def test_out_dir_that_is_a_file(result, tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(ClusterSimError, match="cannot create the output directory"):
        write_result(result, tmp_path / "f")


# --- atomicity -----------------------------------------------------------------------------------


class Boom(RuntimeError):
    pass


def failing_writer(monkeypatch, fail_at: int, exc: BaseException) -> list[Path]:
    """Make the ``fail_at``-th table write (0-based) raise ``exc`` after writing some bytes."""
    real = tables._writer
    calls: list[Path] = []

    def fake(fmt: str):
        write = real(fmt)

        def wrapped(tbl: pa.Table, path: Path) -> None:
            calls.append(path)
            if len(calls) - 1 == fail_at:
                path.write_bytes(b"partial")  # a half-written file
                raise exc
            write(tbl, path)

        return wrapped

    monkeypatch.setattr(tables, "_writer", fake)
    return calls


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_failure_on_second_table_leaves_no_files(result, tmp_path, monkeypatch, fmt):
    out = tmp_path / "out"
    calls = failing_writer(monkeypatch, 1, Boom("disk full"))
    with pytest.raises(Boom):
        write_result(result, out, fmt)
    assert len(calls) == 2
    assert listing(out) == []  # neither final files nor temporaries
    assert all(p.parent == out for p in calls)  # temporaries live next to the final files


def test_failure_keeps_previous_results_intact(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    write_result(result, out, "csv")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    failing_writer(monkeypatch, 2, Boom("disk full"))
    with pytest.raises(Boom):
        write_result(result, out, "csv")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_interrupt_leaves_no_temporaries(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    failing_writer(monkeypatch, 1, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        write_result(result, out, "parquet")
    assert listing(out) == []


def test_failure_on_rename_leaves_no_temporaries(result, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real_replace = os.replace
    done: list[str] = []

    def flaky_replace(src, dst):
        if done:
            raise OSError("rename failed")
        done.append(str(dst))
        real_replace(src, dst)

    monkeypatch.setattr(atomic.os, "replace", flaky_replace)
    with pytest.raises(OSError):
        write_result(result, out, "json")
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_written_files_respect_the_umask(point, tmp_path):
    old = os.umask(0o022)
    try:
        written = write_result(point, tmp_path, "csv")
    finally:
        os.umask(old)
    for p in written:
        assert stat.S_IMODE(p.stat().st_mode) == 0o644, oct(p.stat().st_mode)


def test_csv_is_written_for_spreadsheets_with_a_byte_order_mark(result, tmp_path):
    import csv

    write_result(result, tmp_path / "bom", "csv", lang="zh")
    write_result(result, tmp_path / "plain", "csv", lang="zh", bom=False)
    for name in ("trajectories.csv", "targets.csv", "target_samples.csv"):
        with_bom = (tmp_path / "bom" / name).read_bytes()
        plain = (tmp_path / "plain" / name).read_bytes()
        assert with_bom[:3] == b"\xef\xbb\xbf" and plain[:3] != b"\xef\xbb\xbf"
        assert with_bom[3:] == plain  # the mark is all that differs
        assert plain.decode("utf-8")  # plain UTF-8
        # what a spreadsheet's UTF-8 import sees: the header without the mark
        rows = list(csv.reader(with_bom.decode("utf-8-sig").splitlines()))
        assert rows[0][0] == "scenario"
    # and clustersim reads its own files back, mark or not
    from clustersim.io.readers import _read

    for d in ("bom", "plain"):
        back = _read(tmp_path / d / "trajectories.csv")
        assert back.column_names[0] == "scenario"
        assert_array_equal(back["value"].to_numpy(), trajectories_table(result)["value"].to_numpy())
