"""``clustersim sweep`` in process: output, files and their readers, refusals, errors."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pyarrow.dataset as pads
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from clustersim.cli import app
from clustersim.sweep import load_sweep, plan_sweep, run_sweep

from .conftest import RATES, ROOT

runner = CliRunner()


def _grid(write_sweep, **extra):
    """c in {0, 0.05, 0.1} x d in {0, 0.1}, everything else central (e's rate 0.05):
    m = 1 + 2 + 3 (1 + rc) + 2 * 1.05 = 8.1 + 3 rc >= 8.3 only for rc = 0.1."""
    return write_sweep(
        method="grid",
        seed=1,
        fix="all",
        parameters={RATES["c"]: {"values": [0.0, 0.05, 0.1]}, RATES["d"]: {"values": [0.0, 0.1]}},
        **extra,
    )


def test_help_shows_the_options_and_examples():
    r = runner.invoke(app, ["sweep", "--help"], terminal_width=120)
    assert r.exit_code == 0
    for text in ("--samples", "--seed", "--workers", "--dask", "--chunk-size", "--resume"):
        assert text in r.output
    assert "--keep" in r.output and "--quiet" in r.output
    assert "clustersim sweep sweeps/example-lhs.yaml --out out/example-lhs" in r.output
    assert "--resume" in r.output.split("Examples:")[1]


def test_a_grid_sweep_prints_its_summary_and_writes_readable_files(linear, write_sweep, tmp_path):
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(_grid(write_sweep)), "--out", str(out), "-w", "1"])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert (
        lines[0].startswith("sweep ")
        and "over linear: 1 chunks of 4,096 (1 run) on in-process" in lines[0]
    )
    assert "grid: 6 samples (seed 1)" in r.output
    # a rich table row: │ m_level │ 33.3% │ ... │
    row = next(line for line in lines if line.startswith("│ m_level "))
    assert [c.strip() for c in row.strip("│").split("│")] == [
        "m_level",
        "33.3%",
        "8.1",
        "8.25",
        "8.4",
    ]
    assert "all targets met: 33.3%" in lines
    assert "m_level (met in 33.3%)" in r.output
    assert f"{RATES['c']}: meets 0.1 to 0.1 (median 0.1), misses 0 to 0.05" in r.output
    assert f"wrote {out}/manifest.json" in r.output

    # the dataset, three ways
    expected_cols = ["sample", RATES["c"], RATES["d"], "value.m_level", "value.p_level"]
    t = pads.dataset(out / "samples").to_table()
    assert t.column_names[:3] == expected_cols[:3] and t.num_rows == 6
    df = pd.read_parquet(out / "samples")
    assert df[RATES["c"]].tolist() == [0.0, 0.0, 0.05, 0.05, 0.1, 0.1]
    assert df[RATES["d"]].tolist() == [0.0, 0.1] * 3
    np.testing.assert_allclose(df["value.m_level"], 8.1 + 3 * df[RATES["c"]], rtol=1e-14)
    assert df["met.m_level"].tolist() == [False, False, False, False, True, True]
    assert df["all_met"].tolist() == df["met.m_level"].tolist()  # gdp 105 >= 105 always

    summary = json.loads((out / "summary.json").read_text())
    assert summary["all_met_probability"] == pytest.approx(1 / 3)
    by_id = {t["id"]: t for t in summary["targets"]}
    assert by_id["m_level"]["probability"] == pytest.approx(1 / 3)
    assert by_id["gdp_level"]["probability"] == 1.0
    targets = pq.read_table(out / "summary" / "targets.parquet").to_pandas()
    assert targets.set_index("target").loc["(all targets)", "probability"] == pytest.approx(1 / 3)
    sens = pq.read_table(out / "summary" / "sensitivity.parquet").to_pandas()
    m = sens[(sens.target == "m_level")].set_index("factor")
    assert m.loc[RATES["c"], "first_order"] > 0.9 and m.loc[RATES["d"], "first_order"] == 0.0
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["samples"] == 6
    assert manifest["scenario_hash"].startswith("sha256:") and manifest["seed"] == 1
    assert {"numpy", "scipy", "pyarrow", "clustersim", "python"} <= set(manifest["versions"])
    assert [d["path"] for d in manifest["inputs"]] == [RATES["c"], RATES["d"]]


def test_duckdb_reads_the_samples(linear, write_sweep, tmp_path):
    duckdb = pytest.importorskip("duckdb")
    out = tmp_path / "out"
    assert (
        runner.invoke(app, ["sweep", str(_grid(write_sweep)), "-o", str(out), "-q"]).exit_code == 0
    )
    con = duckdb.connect()
    rows = con.execute(
        f"""SELECT avg("met.m_level"::INT), count(*) FROM '{out}/samples/*.parquet'"""
    ).fetchall()
    assert rows[0][0] == pytest.approx(1 / 3) and rows[0][1] == 6


def test_json_output_and_kept_trajectories(linear, write_sweep, tmp_path):
    out = tmp_path / "out"
    sweep = write_sweep(
        method="lhs",
        samples=50,
        seed=3,
        chunk_size=20,
        parameters={RATES["c"]: {"range": [0, 0.1]}},
    )
    r = runner.invoke(
        app, ["sweep", str(sweep), "-o", str(out), "-w", "1", "--keep", "trajectories", "--json"]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    assert doc["samples"] == 50 and doc["method"] == "lhs"
    traj = pd.read_parquet(out / "trajectories")
    assert sorted(traj["sample"].unique()) == list(range(50))
    assert len(list((out / "trajectories").glob("part-*.parquet"))) == 3
    c2021 = traj[(traj.variable == "c") & (traj.year == 2021)].set_index("sample")["value"]
    rc = pd.read_parquet(out / "samples").set_index("sample")[RATES["c"]]
    np.testing.assert_allclose(c2021.sort_index(), 3 * (1 + rc.sort_index()), rtol=1e-14)


def test_a_grid_too_large_to_store_is_refused_before_it_starts(linear, write_sweep, tmp_path):
    sweep = write_sweep(
        method="grid",
        seed=1,
        parameters={RATES[k]: {"range": [0, 0.1], "levels": 10_000} for k in "abc"},
    )
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(sweep), "-o", str(out)])
    assert r.exit_code == 2
    assert f"error: {sweep}: refusing to start: the grid has 1,000,000,000,000 points" in r.output
    assert " TB to " in r.output and "B per sample, measured on a pilot chunk" in r.output
    assert not out.exists()


def test_trajectories_larger_than_the_free_disk_are_refused(
    linear, write_sweep, tmp_path, monkeypatch
):
    monkeypatch.setattr("clustersim.sweep.runner._free_disk", lambda path: 10_000_000)
    sweep = write_sweep(
        method="monte_carlo", samples=100_000, seed=1, parameters={RATES["c"]: {"range": [0, 0.1]}}
    )
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(sweep), "-o", str(out), "--keep", "trajectories"])
    assert r.exit_code == 2
    assert "refusing to start: the sweep has 100,000 samples and would write about" in r.output
    assert "but only 10.0 MB is free" in r.output
    assert not out.exists()
    # without trajectories the same sweep fits
    r = runner.invoke(app, ["sweep", str(sweep), "-o", str(out), "-q", "-w", "1", "-n", "100"])
    assert r.exit_code == 0, r.output


def test_invalid_sweep_files_name_file_line_and_field(linear, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenario: linear.yaml\n"
        "method: lhs\n"
        "sampels: 100\n"
        "seed: 1\n"
        "parameters:\n"
        "  indicators.cc.growth.rate: {range: [0, 0.1]}\n"
        "  indicators.a.growth.rate: {range: [0.1, 0.0]}\n"
        "  indicators.b.growth.rate: {range: [-2, 0.1]}\n"
        "  indicators.d.growth.rate: {dist: normall, mean: 0}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(bad), "-o", str(out)])
    assert r.exit_code == 2
    # in line order (a missing field at the top), as the scenario loader reports
    assert r.output.splitlines() == [
        f"error: {bad}:1: samples: required for method lhs (or pass --samples)",
        f"error: {bad}:3: sampels: unknown field; did you mean 'samples'? (allowed: scenario, "
        "method, samples, seed, chunk_size, store, replications, fix, parameters, description, source, note)",
        f"error: {bad}:7: parameters.indicators.a.growth.rate.range: low (0.1) must be below high (0)",
        f"error: {bad}:9: parameters.indicators.d.growth.rate: unknown dist 'normall'; did you "
        "mean 'normal'? (allowed: normal, lognormal, uniform, triangular)",
    ]
    assert not out.exists()
    # fixed: the scenario-level problems come next, each at its line
    bad.write_text(
        bad.read_text()
        .replace("sampels", "samples")
        .replace("[0.1, 0.0]", "[0, 0.1]")
        .replace("{dist: normall, mean: 0}", "{dist: normal, mean: 0, sd: 0.01}")
    )
    r = runner.invoke(app, ["sweep", str(bad), "-o", str(out)])
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        f"error: {bad}:6: parameters.indicators.cc.growth.rate: no 'cc' in indicators; did you "
        "mean 'c'? (there: a, b, c, d, e, f, g)",
    ]
    bad.write_text(bad.read_text().replace("indicators.cc.", "indicators.c."))
    r = runner.invoke(app, ["sweep", str(bad), "-o", str(out)])
    assert r.output.splitlines() == [
        f"error: {bad}:8: parameters.indicators.b.growth.rate: -2 is not allowed here: a growth "
        "rate must be above -100%",
    ]
    assert not out.exists()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        (
            {"method": "sobol", "samples": 1000},
            "samples: sobol needs a power of 2 base points (Sobol' balance), got 1000; use 512 or 1024",
        ),
        ({"method": "grid", "samples": 10}, "samples: a grid's size follows from the levels"),
        (
            {"method": "grid", "parameters": {RATES["c"]: {"range": [0, 1]}}},
            "a grid needs levels for a range",
        ),
        (
            {"method": "lhs", "samples": 9, "replications": 2},
            "replications: applies to method grid only",
        ),
        (
            {"method": "lhs", "samples": 9, "fix": ["indicators.a.growth.rate"]},
            "fix.0: indicators.a.growth.rate is not an uncertain number of the scenario",
        ),
        (
            {
                "method": "lhs",
                "samples": 9,
                "parameters": {"targets.m_level.at_least": {"range": [8, 9]}},
            },
            "the projection does not read this number",
        ),
        (
            {
                "method": "lhs",
                "samples": 9,
                "parameters": {"targets.m_level.kind": {"values": [1, 2]}},
            },
            "targets.m_level.kind holds str, not a number",
        ),
        (
            {"method": "lhs", "samples": 9, "scenario": "nowhere.yaml"},
            "nowhere.yaml: file not found",
        ),
        (
            {"method": "lhs", "samples": 9, "seed": None},
            "seed: required field missing: add seed: to the file or pass --seed",
        ),
    ],
)
def test_sweep_file_problems(linear, write_sweep, doc, message):
    doc = {"seed": 1, "parameters": {RATES["c"]: {"range": [0, 0.1]}}, **doc}
    doc = {k: v for k, v in doc.items() if v is not None}
    sweep = write_sweep(**doc)
    with pytest.raises(Exception) as info:
        plan_sweep(load_sweep(sweep))
    assert message in str(info.value)
    assert str(info.value).startswith(str(sweep))


SHIPPED = sorted((ROOT / "sweeps").glob("*.yaml"))


def test_shipped_sweeps_exist_for_every_shipped_scenario_family():
    names = {p.stem.split("-")[0] for p in SHIPPED}
    assert {"example", "zhenjiang", "shenzhen", "ezhou", "jiangxi"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_sweeps_run(path):
    spec = load_sweep(path)
    small = None if spec.method == "grid" else (8 if spec.method == "sobol" else 64)
    res = run_sweep(path, workers=1, samples=small)
    if spec.method == "grid":
        assert res.plan.rows == math.prod(res.plan.design.levels) * spec.replications
    else:  # sobol: base points x (groups + 2)
        assert res.plan.rows == small * res.plan.design.blocks
    assert len(res.summary.targets) == len(res.plan.scenario.targets) > 0
    assert all(0.0 <= t.probability <= 1.0 for t in res.summary.targets)


def test_store_names_a_bad_group_at_its_line(linear, tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "scenario: linear.yaml\n"
        "method: monte_carlo\n"
        "samples: 100\n"
        "seed: 1\n"
        "store: [inputs, valus]\n"
        "parameters:\n"
        "  indicators.c.growth.rate: {range: [0, 0.1]}\n",
        encoding="utf-8",
    )
    out = tmp_path / "out"
    r = runner.invoke(app, ["sweep", str(bad), "-o", str(out)])
    assert r.exit_code == 2
    assert r.output.splitlines() == [
        f"error: {bad}:5: store.1: unknown group 'valus'; did you mean 'values'? "
        "(allowed: inputs, values, margins, met)"
    ]
    assert not out.exists()
    bad.write_text(bad.read_text().replace("[inputs, valus]", "everything"), encoding="utf-8")
    r = runner.invoke(app, ["sweep", str(bad), "-o", str(out)])
    assert r.exit_code == 2
    assert "store: got 'everything'; allowed: summary_only, or a list of inputs" in r.output


def test_summary_only_writes_no_samples_and_the_same_summary(linear, write_sweep, tmp_path):
    sweep = write_sweep(
        method="monte_carlo",
        samples=3000,
        seed=4,
        chunk_size=1000,
        parameters={"indicators.c.growth.rate": {"range": [0.0, 0.1]}},
    )
    full, only, some = tmp_path / "full", tmp_path / "only", tmp_path / "some"
    assert (
        runner.invoke(app, ["sweep", str(sweep), "-o", str(full), "-w", "1", "-q"]).exit_code == 0
    )
    r = runner.invoke(
        app, ["sweep", str(sweep), "-o", str(only), "-w", "1", "-q", "--summary-only"]
    )
    assert r.exit_code == 0, r.output
    assert list((only / "samples").glob("*.parquet")) == []
    assert len(list((only / "chunks").glob("part-*.partial"))) == 3
    a = json.loads((full / "summary.json").read_text())
    b = json.loads((only / "summary.json").read_text())
    a.pop("run"), b.pop("run")
    assert a == b
    # a subset of groups: exactly those columns (and the sample index)
    sweep.write_text(sweep.read_text() + "store: [met]\n", encoding="utf-8")
    assert (
        runner.invoke(app, ["sweep", str(sweep), "-o", str(some), "-w", "1", "-q"]).exit_code == 0
    )
    import pyarrow.parquet as pq

    names = pq.read_schema(next((some / "samples").glob("*.parquet"))).names
    assert names[0] == "sample" and names[-1] == "all_met"
    assert all(n == "sample" or n.startswith("met.") or n == "all_met" for n in names)
    # resuming with a different store: is refused, naming why
    r = runner.invoke(app, ["sweep", str(sweep), "-o", str(only), "-w", "1", "--resume"])
    assert r.exit_code == 2 and "what is stored per sample changed" in r.output


def test_refusals_to_start_are_in_chinese_under_lang_zh(linear, write_sweep, tmp_path):
    """Each 'refusing to start' message (memory, disk, the summary's bins) in Chinese, with
    no English word left (the word list of tests/test_i18n_families.py)."""
    from tests.test_i18n_families import assert_chinese

    from clustersim.errors import ClusterSimError
    from clustersim.i18n import translate
    from clustersim.sweep.runner import check_size

    grid = write_sweep(
        method="grid",
        seed=1,
        parameters={RATES[k]: {"range": [0, 0.1], "levels": 10_000} for k in "abc"},
    )
    r = runner.invoke(app, ["sweep", str(grid), "-o", str(tmp_path / "o"), "--lang", "zh"])
    assert r.exit_code == 2
    assert r.stderr.startswith(f"错误：{grid}: 拒绝启动：网格有 1,000,000,000,000 个点，将向 ")
    assert "但可用空间只有" in r.stderr and "refusing" not in r.stderr
    mc = write_sweep(
        method="monte_carlo", samples=100_000, seed=1, parameters={RATES["c"]: {"range": [0, 0.1]}}
    )
    plan = plan_sweep(load_sweep(mc))
    messages = []
    for per, kwargs in (
        (2_000.0, {"out": None, "memory": 10_000_000}),  # kept in memory
        (2_000.0, {"out": tmp_path, "free_disk": 10_000_000, "memory": 10**12}),  # the disk
        (1.0, {"out": None, "memory": 1_000_000}),  # fits, but fixing the bins (16 B a value)
    ):
        with pytest.raises(ClusterSimError) as info:
            check_size(plan, per, **kwargs)
        assert "refusing to start" in str(info.value)
        messages.append(translate(str(info.value).split(": ", 1)[1]))
    assert messages[0].startswith("拒绝启动：参数扫描有 100,000 个样本，全部放在内存中约需")
    assert "写入约" in messages[1] and "确定汇总的分箱" in messages[2]
    assert_chinese(messages)
