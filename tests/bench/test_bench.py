"""The benchmark gate's logic on synthetic results, and the bench command end to end."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clustersim.bench import runner
from clustersim.bench.runner import Workload, compare, load_report, summarise
from clustersim.cli import app


def doc(**normalised: float) -> dict:
    return {
        "reference": {"elements_per_s": 1e9},
        "workloads": [{"name": k, "normalised": v} for k, v in normalised.items()],
    }


def test_compare_flags_only_what_fell_below_the_threshold() -> None:
    base = doc(a=0.10, b=0.10, c=0.10)
    cur = doc(a=0.10 / 1.29, b=0.10 / 1.31, c=0.2)
    rows, slow = compare(cur, base, max_slowdown=1.3)
    assert [c.name for c in rows] == ["a", "b", "c"]
    assert [c.name for c in slow] == ["b"]
    assert slow[0].ratio == pytest.approx(1 / 1.31)


def test_compare_skips_workloads_on_one_side_only() -> None:
    rows, slow = compare(doc(a=0.05, new=0.01), doc(a=0.05, old=1.0), max_slowdown=1.5)
    assert [c.name for c in rows] == ["a"] and slow == []


def test_compare_rejects_a_threshold_below_one() -> None:
    with pytest.raises(ValueError, match="max_slowdown"):
        compare(doc(a=1), doc(a=1), max_slowdown=0.9)


def test_summarise_gives_min_median_max() -> None:
    s = summarise([doc(a=1.0), doc(a=3.0), doc(a=2.0)])
    assert s == {"a": (1.0, 2.0, 3.0)}


def test_load_report_names_the_problem(tmp_path: Path) -> None:
    bad = tmp_path / "b.json"
    bad.write_text('{"workloads": [{"name": "a"}]}', encoding="utf-8")
    with pytest.raises(ValueError, match="normalised"):
        load_report(bad)
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(ValueError, match=r"b\.json:1: not valid JSON"):
        load_report(bad)


def test_workload_names_and_sizes() -> None:
    w = Workload("sweep_targets", 1000, 20, 12)
    assert w.name == "sweep_targets/S1000/C20/T12"
    assert w.cluster_years == 240_000
    names = {x.name for x in runner.full_suite()}
    assert "sweep_targets/S1000000/C200/T30" in names  # targets-only keeps nothing per sample-year
    assert "sweep_trajectories/S1000000/C200/T30" not in names  # would keep 6e9 values


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """A fast suite: two small workloads and a short reference."""
    monkeypatch.setattr(
        runner, "QUICK", (Workload("sweep_targets", 2000, 5, 6), Workload("target_eval", 200, 5, 6))
    )
    real = runner.reference_rate
    monkeypatch.setattr(runner, "reference_rate", lambda *a, **k: real(10_000, 0.02))


def test_bench_json_has_the_documented_keys(tiny: None) -> None:
    res = CliRunner().invoke(app, ["bench", "--quick", "--json"])
    assert res.exit_code == 0, res.output
    d = json.loads(res.stdout)
    assert d["reference"]["elements_per_s"] > 0
    keys = {
        "name",
        "engine",
        "samples",
        "clusters",
        "years",
        "cluster_years_per_s",
        "peak_mb",
        "normalised",
    }
    for w in d["workloads"]:
        assert keys <= set(w)
        assert w["engine"] in ("numpy", "numba")
        # each workload is normalised by the reference measured right before it
        assert w["reference_elements_per_s"] > 0
        assert w["normalised"] == pytest.approx(
            w["cluster_years_per_s"] / w["reference_elements_per_s"]
        )


def test_bench_compare_exit_codes(tiny: None, tmp_path: Path) -> None:
    cli = CliRunner()
    first = json.loads(cli.invoke(app, ["bench", "--quick", "--json"]).stdout)
    # a baseline 100x faster than anything measured: every workload is a regression
    fast = {"workloads": [{**w, "normalised": w["normalised"] * 100} for w in first["workloads"]]}
    (tmp_path / "fast.json").write_text(json.dumps(fast), encoding="utf-8")
    res = cli.invoke(app, ["bench", "--quick", "--compare", str(tmp_path / "fast.json")])
    assert res.exit_code == 1
    assert "SLOWER" in res.stderr and "2 workload(s)" in res.stderr
    # a baseline 100x slower: nothing is
    slow = {"workloads": [{**w, "normalised": w["normalised"] / 100} for w in first["workloads"]]}
    (tmp_path / "slow.json").write_text(json.dumps(slow), encoding="utf-8")
    res = cli.invoke(app, ["bench", "--quick", "--compare", str(tmp_path / "slow.json")])
    assert res.exit_code == 0, res.output
    # a missing baseline is bad input
    res = cli.invoke(app, ["bench", "--quick", "--compare", str(tmp_path / "none.json")])
    assert res.exit_code == 2 and "file not found" in res.stderr


def test_core_targets_workload_projects_drawn_samples_with_each_engine() -> None:
    names = {x.name for x in runner.full_suite()}
    assert "core_targets/S1000000/C20/T12" in names
    assert "core_targets/S1000000/C200/T30" not in names  # would keep 2e8 drawn rates
    engines = ["numpy"] + (["numba"] if runner._accel() else [])
    for engine in engines:
        w = Workload("core_targets", 70_000, 5, 6, engine)  # two chunks
        fn = runner._prepare(w)
        fn()
        m = runner.measure(w, reference=1e9, min_time=0.0, repeats=1)
        assert m.engine == engine and m.cluster_years_per_s > 0 and m.peak_mb > 0


def test_the_shocks_workloads_run_the_shocked_scenario() -> None:
    """Issue 15: the quick set has the kernel workload with shocks, on the synthetic
    scenario's shocked variant (its output rates vary by sample and year)."""
    w = Workload("core_targets", 64, 5, 6, shocks=True)
    assert w.name == "core_targets/S64/C5/T6/shocks"
    assert any(q.shocks and q.kind == "core_targets" for q in runner.QUICK)
    runner._prepare(w)()  # runs
    from clustersim.bench.workloads import synthetic_scenario
    from clustersim.compile import compile_scenario

    rates = compile_scenario(synthetic_scenario(5, 6, shocks=True), samples=64, seed=1).model
    assert rates.op("output").rates.shape == (64, 5, 6)


def test_bench_follows_lang_and_json(tiny: None, tmp_path: Path) -> None:
    """bench's output outside the JSON document follows --lang; a baseline that cannot be
    read is an error like every other (--lang, or the JSON error document under --json)."""
    cli = CliRunner()
    first = json.loads(cli.invoke(app, ["bench", "--quick", "--json"]).stdout)
    fast = {"workloads": [{**w, "normalised": w["normalised"] * 100} for w in first["workloads"]]}
    (tmp_path / "fast.json").write_text(json.dumps(fast), encoding="utf-8")
    res = cli.invoke(
        app, ["bench", "--quick", "--lang", "zh", "--compare", str(tmp_path / "fast.json")]
    )
    assert res.exit_code == 1
    assert (
        "参照" in res.stdout
        and "每秒百万集群年" in res.stdout
        and "M cluster-years/s" not in res.stdout
    )
    assert "变慢" in res.stderr and "基线" in res.stderr and "SLOWER" not in res.stderr
    assert f"2 个工作负载比 {tmp_path / 'fast.json'} 慢 1.3 倍以上" in res.stderr
    missing = tmp_path / "none.json"
    res = cli.invoke(app, ["bench", "--quick", "--lang", "zh", "--compare", str(missing)])
    assert res.exit_code == 2 and res.stderr.strip() == f"错误：{missing}: 找不到文件"
    res = cli.invoke(app, ["bench", "--quick", "--compare", str(missing)])
    assert res.exit_code == 2 and res.stderr.strip() == f"error: {missing}: file not found"
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    res = cli.invoke(app, ["bench", "--quick", "--json", "--compare", str(tmp_path / "bad.json")])
    assert res.exit_code == 2 and res.stderr == ""
    doc = json.loads(res.stdout)
    assert doc["ok"] is False and doc["more"] == 0
    (e,) = doc["errors"]
    assert e["file"] == str(tmp_path / "bad.json") and e["line"] == 1
    assert e["message"].startswith("not valid JSON: ")
    assert e["message_zh"].startswith("不是有效的 JSON：")
