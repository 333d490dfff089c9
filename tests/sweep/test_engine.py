"""The sweep engine: bit-identical on any executor, sample-separable, equal to single runs."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from numpy.testing import assert_allclose, assert_array_equal

import clustersim as cs
from clustersim.scenario.loader import load_data
from clustersim.scenario.models import Scenario
from clustersim.sweep import (
    evaluate_chunk,
    load_sweep,
    plan_sweep,
    run_sweep,
)
from clustersim.sweep.evaluate import evaluate_rows

from .conftest import runs_on_three_executors

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "scenarios" / "example.yaml"
NM = "clusters.new_materials.output.growth.rate"
GDP = "region.gdp.growth.rate"


def _example_sweep(tmp_path: Path, **doc: object) -> Path:
    base = {
        "scenario": str(EXAMPLE),
        "method": "monte_carlo",
        "samples": 1100,
        "seed": 2024,
        "chunk_size": 200,
        "parameters": {NM: {"range": [0.04, 0.12]}, GDP: {"values": [0.045, 0.055, 0.065]}},
    }
    base.update(doc)
    base = {k: v for k, v in base.items() if v is not None}  # None: leave the key out
    p = tmp_path / "example-sweep.yaml"
    p.write_text(yaml.safe_dump(base, sort_keys=False), encoding="utf-8")
    return p


def _digest(out: Path) -> dict[str, str]:
    """sha256 of every part file, by relative path."""
    return {
        str(f.relative_to(out)): hashlib.sha256(f.read_bytes()).hexdigest()
        for sub in ("samples", "trajectories")
        if (out / sub).exists()
        for f in sorted((out / sub).glob("*.parquet"))
    }


def test_one_worker_two_workers_and_dask_give_identical_files(tmp_path):
    """Same seed, same bytes: in process, a 2-process pool and a Dask LocalCluster."""
    sweep = _example_sweep(tmp_path)
    runs = runs_on_three_executors(sweep, tmp_path)
    assert runs["dask"].executor.startswith("dask (") and "2 workers" in runs["dask"].executor
    assert runs["two"].executor == "processes (2 workers)"
    digests = {name: _digest(tmp_path / name) for name in runs}
    assert len(digests["one"]) == 2 * 6  # 6 chunks of samples and of trajectories
    assert digests["one"] == digests["two"] == digests["spawned"] == digests["dask"]
    # and the tables hold real, varying numbers
    t = pq.read_table(tmp_path / "one" / "samples").to_pandas()
    assert len(t) == 1100 and t["sample"].tolist() == list(range(1100))
    assert t[NM].between(0.04, 0.12).all() and t[NM].nunique() == 1100
    assert set(t[GDP]) == {0.045, 0.055, 0.065}
    s = [r.summary.to_dict() for r in runs.values()]
    for d in s:
        d.pop("run")
    assert s[0] == s[1] == s[2] == s[3]


def test_pool_workers_fork_only_where_no_other_thread_runs(monkeypatch):
    """A forked worker starts with the parent's imports and compiled kernels (no start-up
    cost); a process with threads of its own spawns, and the environment can force either."""
    import threading

    from clustersim.sweep.executors import start_method

    monkeypatch.delenv("CLUSTERSIM_START_METHOD", raising=False)
    busy = threading.Event()
    t = threading.Thread(target=busy.wait)
    if threading.active_count() == 1:
        assert start_method() == "fork"
    t.start()
    try:
        assert start_method() == "spawn"
        monkeypatch.setenv("CLUSTERSIM_START_METHOD", "fork")
        assert start_method() == "fork"
    finally:
        busy.set()
        t.join()
    monkeypatch.setenv("CLUSTERSIM_START_METHOD", "spawn")
    assert start_method() == "spawn"


@pytest.mark.parametrize("engine", ["numpy", "projection"])
def test_chunks_are_sample_separable(tmp_path, engine):
    """A chunk evaluated in pieces equals the chunk evaluated at once, to the bit."""
    plan = plan_sweep(load_sweep(_example_sweep(tmp_path, method="lhs")))
    whole = evaluate_chunk(plan, 3, trajectories=True, engine=engine)
    start, stop = plan.bounds(3)
    parts = [
        evaluate_rows(plan, 3, a, b, trajectories=True, engine=engine)
        for a, b in ((start, start + 1), (start + 1, start + 77), (start + 77, stop))
    ]
    for field in ("inputs",):
        assert_array_equal(np.vstack([getattr(p, field) for p in parts]), getattr(whole, field))
    for field in ("value", "margin", "met"):
        assert_array_equal(np.hstack([getattr(p, field) for p in parts]), getattr(whole, field))
    assert whole.series is not None
    for name, arr in whole.series.items():
        assert_array_equal(np.concatenate([p.series[name] for p in parts]), arr, err_msg=name)


@pytest.mark.parametrize("engine", ["projection", "numpy"])
def test_a_grid_reproduces_single_runs_point_by_point(tmp_path, engine):
    """Every grid point equals ``clustersim run`` of the scenario with those two numbers
    written into it (the other uncertain numbers at their central values: fix: all): to the
    bit with the projection engine, to 1e-12 with the blocked targets-only core."""
    sweep = _example_sweep(
        tmp_path,
        method="grid",
        samples=None,
        fix="all",
        parameters={NM: {"values": [0.05, 0.08, 0.11]}, GDP: {"range": [0.04, 0.07], "levels": 4}},
    )
    res = run_sweep(sweep, workers=1, keep=["trajectories"], engine=engine)
    assert res.plan.rows == 12
    cols = res.columns([NM, GDP, *(f"value.{t}" for t in res.plan.targets), "all_met"])
    grid = sorted(zip(cols[NM].tolist(), cols[GDP].tolist(), strict=True))
    assert grid == sorted(
        (a, b) for a in (0.05, 0.08, 0.11) for b in np.linspace(0.04, 0.07, 4).tolist()
    )
    raw = load_data(EXAMPLE).data
    gdp_series = res.sink.trajectory("gdp")
    for i in range(res.plan.rows):
        data = copy.deepcopy(raw)
        data["clusters"]["new_materials"]["output"]["growth"] = float(cols[NM][i])
        data["region"]["gdp"]["growth"]["rate"] = float(cols[GDP][i])
        single = cs.run(Scenario.model_validate(data), samples=1, required=False)
        for t in single.targets:
            if engine == "projection":
                assert cols[f"value.{t.id}"][i] == t.value[0], (i, t.id)
            else:
                assert_allclose(cols[f"value.{t.id}"][i], t.value[0], rtol=1e-12, atol=1e-15)
        assert bool(cols["all_met"][i]) == all(bool(t.met[0]) for t in single.targets)
        assert_array_equal(gdp_series[i], single.series["gdp"][0])


def test_the_in_memory_and_parquet_sinks_agree(tmp_path):
    sweep = _example_sweep(tmp_path, method="sobol", samples=64, chunk_size=100)
    mem = run_sweep(sweep, workers=1)
    disk = run_sweep(sweep, workers=1, out=tmp_path / "out")
    names = ["sample", "block", NM, GDP, "margin.rd_intensity", "met.sei_share"]
    a, b = mem.columns(names), disk.columns(names)
    for n in names:
        assert_array_equal(a[n], b[n], err_msg=n)
    # 64 base points x (2 factors + the other uncertain numbers as one group + A + B)
    assert mem.plan.rows == 64 * 5 and mem.plan.chunk_size == 100 // 5 * 5
    assert_array_equal(a["block"], np.tile(np.arange(5), 64))


def test_auto_engine_takes_numba_for_large_sweeps_and_a_resume_keeps_its_engine(
    tmp_path, monkeypatch
):
    import json

    import clustersim.engines as engine_mod

    sweep = _example_sweep(tmp_path, samples=400)
    run_sweep(sweep, out=tmp_path / "small", workers=1)  # 400 samples: far below the line
    small = json.loads((tmp_path / "small" / "manifest.json").read_text())
    assert small["engine"] == "numpy"
    pytest.importorskip("numba")
    monkeypatch.setattr(engine_mod, "AUTO_ACCEL_FROM", 1)  # every sweep counts as large
    big = run_sweep(sweep, out=tmp_path / "large", workers=1)
    large = json.loads((tmp_path / "large" / "manifest.json").read_text())
    assert large["engine"] == "numba"
    # resuming the numpy sweep keeps numpy, though auto would now pick numba
    res = run_sweep(sweep, out=tmp_path / "small", workers=1, resume=True)
    again = json.loads((tmp_path / "small" / "manifest.json").read_text())
    assert again["engine"] == "numpy"
    # and the two engines' probabilities agree (same design, same seed)
    p_numpy = {t.id: t.probability for t in res.summary.targets}
    p_numba = {t.id: t.probability for t in big.summary.targets}
    assert len(p_numpy) > 3 and p_numba == p_numpy


def test_parquet_parts_keep_sample_statistics_for_readers_that_filter(tmp_path):
    """Parts carry min/max of ``sample`` per row group, a chunk each (readers prune by it),
    and no statistics of the random columns (a fifth of the write time, pruning nothing);
    filtering still works."""
    import pyarrow.dataset as ds

    sweep = _example_sweep(tmp_path)
    run_sweep(sweep, out=tmp_path / "o", workers=1)
    [part] = sorted((tmp_path / "o" / "samples").glob("part-*.parquet"))  # 6 chunks of 200
    assert [pq.read_metadata(part).row_group(i).num_rows for i in range(6)] == [200] * 5 + [100]
    meta = pq.read_metadata(part).row_group(1)
    cols = {meta.column(i).path_in_schema: meta.column(i) for i in range(meta.num_columns)}
    st = cols["sample"].statistics
    assert st is not None and st.has_min_max and (st.min, st.max) == (200, 399)
    assert cols[NM].statistics is None or not cols[NM].statistics.has_min_max
    got = ds.dataset(tmp_path / "o" / "samples").to_table(filter=ds.field("sample") >= 1050)
    assert sorted(got.column("sample").to_pylist()) == list(range(1050, 1100))
