"""``clustersim discover``: a sweep whose failure region is known in closed form.

The scenario grows GDP one year from 100 at a swept rate r ~ U(0, 0.1); the target "GDP
reaches 105 in 2021" is missed exactly when r < 0.05. A second swept input (an indicator's
growth) decides nothing, nor does the scenario's own uncertain number (b's growth, sampled but
not swept). So PRIM's box of the missed cases is r <= ~0.05 with the other
input unrestricted, and CART's rule is r <= ~0.05.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from clustersim.cli import app

from .conftest import gdp_and_indicator_sweep

SCENARIO = """\
id: gdp_only
name: GDP only
base_year: 2020
end_year: 2021
region:
  gdp: {base: 100, growth: 0.05}
indicators:
  a: {kind: level, name: a, base: 1, growth: 0.0}
  b: {kind: level, name: b, base: 1, growth: {dist: uniform, low: 0.0, high: 0.1}}
targets:
  gdp_level:
    kind: level
    label: GDP reaches 105
    metric: gdp
    year: 2021
    at_least: 105
  a_level:
    kind: level
    label: a stays at least 0.5
    metric: a
    year: 2021
    at_least: 0.5
"""

runner = CliRunner()


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return gdp_and_indicator_sweep(tmp_path_factory.mktemp("discover"), SCENARIO, seed=7)


def test_json_names_the_known_region(sweep_dir: Path) -> None:
    pd = pytest.importorskip("pandas")
    res = runner.invoke(app, ["discover", str(sweep_dir), "--target", "gdp_level", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    df = pd.read_parquet(sweep_dir / "samples")
    rate = df["region.gdp.growth.rate"].to_numpy()
    missed = ~df["met.gdp_level"].to_numpy()
    # the flags are the closed form: missed exactly when the rate is below 5%
    assert np.array_equal(missed, rate < 0.05 - 1e-12)
    assert doc["samples"] == len(df) and doc["cases_of_interest"] == int(missed.sum())
    (r,) = doc["prim"]["restrictions"]
    assert r["input"] == "region.gdp.growth.rate"
    assert r["lower"] is None and r["upper"] == pytest.approx(0.05, abs=0.002)
    assert r["qp_upper"] < 1e-10
    # coverage and density of the chosen box, recomputed from the Parquet with pandas
    inside = rate <= r["upper"]
    assert doc["prim"]["coverage"] == pytest.approx((inside & missed).sum() / missed.sum())
    assert doc["prim"]["density"] == pytest.approx((inside & missed).sum() / inside.sum())
    rule = doc["cart"][0]
    assert rule["conditions"] == [["region.gdp.growth.rate", "<=", pytest.approx(0.05, abs=0.002)]]
    assert rule["density"] == 1.0 and rule["coverage"] == 1.0


def test_all_met_tables_and_html(sweep_dir: Path, tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    page = tmp_path / "d.html"
    res = runner.invoke(
        app, ["discover", str(sweep_dir), "--all-met", "--trajectory", "--html", str(page)]
    )
    assert res.exit_code == 0, res.output
    assert "PRIM box" in res.stdout and "region.gdp.growth.rate" in res.stdout
    text = page.read_text(encoding="utf-8")
    assert text.count("data:image/svg+xml;base64,") == 2  # trade-off and restricted ranges
    res = runner.invoke(app, ["discover", str(sweep_dir), "--lang", "zh", "--no-cart"])
    assert res.exit_code == 0 and "情景发现" in res.stdout and "CART" not in res.stdout


def test_inputs_all_or_the_sweeps_factors(sweep_dir: Path) -> None:
    res = runner.invoke(app, ["discover", str(sweep_dir), "-t", "gdp_level", "--json", "--no-cart"])
    assert sorted(json.loads(res.stdout)["inputs"]) == [
        "indicators.a.growth.rate",
        "indicators.b.growth.rate",
        "region.gdp.growth.rate",
    ]
    res = runner.invoke(
        app,
        [
            "discover",
            str(sweep_dir),
            "-t",
            "gdp_level",
            "--json",
            "--no-cart",
            "--inputs",
            "factors",
        ],
    )
    doc = json.loads(res.stdout)
    assert sorted(doc["inputs"]) == ["indicators.a.growth.rate", "region.gdp.growth.rate"]
    assert [r["input"] for r in doc["prim"]["restrictions"]] == ["region.gdp.growth.rate"]
    res = runner.invoke(app, ["discover", str(sweep_dir), "--inputs", "some"])
    assert res.exit_code == 2 and "--inputs: 'some' is not one of all, factors" in res.stderr


def test_box_index_picks_a_trajectory_entry(sweep_dir: Path) -> None:
    res = runner.invoke(
        app, ["discover", str(sweep_dir), "-t", "gdp_level", "--box", "0", "--json", "--no-cart"]
    )
    doc = json.loads(res.stdout)
    assert doc["prim"]["box"] == 0 and doc["prim"]["restrictions"] == []
    assert doc["prim"]["coverage"] == 1.0 and doc["cart"] is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "gdp_levl"], "unknown target 'gdp_levl'; did you mean 'gdp_level'?"),
        (["-t", "a_level"], "no sample is a case of interest"),
        (["--box", "999"], "--box: 999 is not on the trajectory"),
        (["-t", "gdp_level", "--all-met"], "give one of them"),
        (["--cases", "maybe"], "--cases: 'maybe' is not one of missed, met"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sweep_dir: Path, args: list[str], message: str) -> None:
    res = runner.invoke(app, ["discover", str(sweep_dir), *args])
    assert res.exit_code == 2
    assert message in res.stderr and "Traceback" not in res.output


def test_not_a_sweep_directory(tmp_path: Path) -> None:
    res = runner.invoke(app, ["discover", str(tmp_path)])
    assert res.exit_code == 2 and "not a sweep's output directory" in res.stderr


@pytest.mark.parametrize("max_samples", [200_000, 8_000])
def test_cart_rules_bound_the_hand_built_box(max_samples: int) -> None:
    pytest.importorskip("sklearn")
    from clustersim.analysis.discover import cart_rules

    rng = np.random.default_rng(2)
    x = rng.uniform(size=(20_000, 3))
    y = (x[:, 0] > 0.2) & (x[:, 0] < 0.5) & (x[:, 1] > 0.6) & (x[:, 1] < 0.9)
    # leaves down to 1% of the points: the box is 9%, its slices thinner than the default 5%
    # (fitted on a subset of 8,000 of the 20,000 samples, or on all)
    rules = cart_rules(
        x, y, ("a", "b", "noise"), max_depth=4, min_leaf=0.01, max_samples=max_samples
    )
    best = rules[0]
    got = {(name, op): v for name, op, v in best.conditions}
    want = {("a", ">"): 0.2, ("a", "<="): 0.5, ("b", ">"): 0.6, ("b", "<="): 0.9}
    assert set(got) == set(want)
    for key, v in want.items():
        assert got[key] == pytest.approx(v, abs=0.01 if max_samples > 20_000 else 0.02)
    inside = np.ones(len(y), bool)
    for name, op, v in best.conditions:
        col = x[:, ("a", "b").index(name)]
        inside &= col > v if op == ">" else col <= v
    assert best.n == inside.sum() and best.k == (inside & y).sum()
    assert best.coverage == pytest.approx((inside & y).sum() / y.sum())


@pytest.mark.parametrize("shuffled", [False, True])
def test_samples_are_read_in_sample_order_and_sobol_keeps_a_and_b(
    tmp_path: Path, shuffled: bool
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from clustersim.io.sweep_samples import read_sweep_samples

    (tmp_path / "samples").mkdir()
    manifest = {
        "status": "complete",
        "scenario": "s",
        "method": "sobol",
        "inputs": [{"path": "a", "factor": True}],
    }
    (tmp_path / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    sample = np.arange(12)
    block = np.array([0, 1, 2] * 4, dtype=np.int8)  # A, B, AB rows
    if shuffled:
        sample, block = sample[::-1].copy(), block[::-1].copy()
    table = pa.table(
        {
            "sample": sample,
            "block": block,
            "a": sample * 0.5,
            "met.t": sample % 2 == 0,
            "all_met": sample % 2 == 0,
        }
    )
    pq.write_table(table, tmp_path / "samples" / "part-000000.parquet")
    s = read_sweep_samples(tmp_path)
    kept = np.array([i for i in range(12) if i % 3 != 2])  # blocks 0 and 1 only
    np.testing.assert_array_equal(s.x[:, 0], kept * 0.5)
    np.testing.assert_array_equal(s.met["t"], kept % 2 == 0)
    assert s.inputs == ("a",) and s.targets == ("t",) and s.factors == ("a",)
