"""``run``, ``check``, ``validate`` and ``schema`` in process (``typer.testing.CliRunner``):
exit codes, output, files.

Numbers are checked against hand computations on a tiny scenario (GDP 100 growing 10%
a year is 121 after two years), never against the code under test.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app

# --- a tiny scenario with answers computable by hand ------------------------------------------
#
# gdp: 100 * 1.1^t -> 100, 110, 121;  rd_total = rd_rest 2 + rd[alpha] 1 = 3 every year
# output: alpha 50 * 1.2^t -> 50, 60, 72;  beta 30 flat
# rd_intensity(2022) = 3 / 121;  out_share = (alpha + beta) / gdp

HEAD = """\
id: tiny
name: {zh: 小城, en: Tiny town}
base_year: 2020
end_year: 2022
region:
  gdp:
    base: 100
    growth: 0.10
  rd_rest:
    base: 2
    growth: 0.0
clusters:
  alpha:
    name: Alpha
    output:
      base: 50
      growth: 0.20
    va_ratio: {base: 0.5}
    rd: {base: 1, growth: 0.0}
  beta:
    name: {zh: 贝塔, en: Beta}
    output:
      base: 30
      growth: 0.0
groups:
  both:
    name: Both
    clusters: [alpha, beta]
metrics:
  out_share: sum(output, group=both) / gdp
targets:
"""
GDP_TARGET = """\
  gdp_level:
    kind: level
    label: {zh: 国内生产总值达到120, en: GDP reaches 120}
    metric: gdp
    year: 2022
    at_least: 120
"""
RD_TARGET = """\
  rd_int:
    kind: level
    label: R&D intensity 3%
    metric: rd_intensity
    year: 2022
    at_least: 0.03
"""
TINY = HEAD + GDP_TARGET + RD_TARGET  # gdp_level met, rd_int missed
ALL_MET = HEAD + GDP_TARGET
MC = TINY.replace("    growth: 0.10\n", "    growth: {dist: normal, mean: 0.10, sd: 0.02}\n", 1)
MC_GDP_ONLY = ALL_MET.replace(
    "    growth: 0.10\n", "    growth: {dist: normal, mean: 0.10, sd: 0.02}\n", 1
)

YEARS = (2020, 2021, 2022)
GDP = (100.0, 110.0, 121.0)
ALPHA = (50.0, 60.0, 72.0)
BETA = (30.0, 30.0, 30.0)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def write(tmp_path: Path) -> Callable[..., Path]:
    def _write(text: str, name: str = "scenario.yaml") -> Path:
        p = tmp_path / name
        p.write_text(text, encoding="utf-8")
        return p

    return _write


def invoke(runner: CliRunner, *args: object) -> object:
    res = runner.invoke(app, [str(a) for a in args])
    # an uncaught exception is caught by CliRunner and would otherwise go unnoticed
    assert res.exception is None or isinstance(res.exception, SystemExit), res.output
    assert "Traceback" not in res.output
    return res


def line_of(text: str, snippet: str) -> int:
    """1-based number of the first line of ``text`` containing ``snippet``."""
    for i, line in enumerate(text.splitlines(), 1):
        if snippet in line:
            return i
    raise AssertionError(f"{snippet!r} not in text")


# --- run ------------------------------------------------------------------------------------


def test_run_prints_target_table(runner, write):
    path = write(TINY)
    res = invoke(runner, "run", path)
    assert res.exit_code == 0, res.output
    assert "GDP reaches 120" in res.stdout
    assert "R&D intensity 3%" in res.stdout
    assert re.search(r"\bmet\b", res.stdout) and "missed" in res.stdout
    assert "1 of 2 targets met" in res.stdout
    assert res.stderr == ""


def test_run_example_lists_every_target(runner, example_path):
    sc = cs.load_scenario(example_path)
    # the central path's table is narrow enough for every label on one line
    res = invoke(runner, "run", example_path, "--no-series", "--central")
    assert res.exit_code == 0, res.output
    for tid, t in sc.targets.items():
        label = t.label if isinstance(t.label, str) else (t.label.en or tid)
        assert label in res.stdout, f"target {tid}: {label!r} not printed"


def test_run_zh_labels(runner, write):
    res = invoke(runner, "run", write(TINY), "--lang", "zh")
    assert res.exit_code == 0, res.output
    assert "国内生产总值达到120" in res.stdout
    assert "R&D intensity 3%" in res.stdout  # a plain string label in every language
    assert "达成" in res.stdout


def test_run_square_brackets_in_labels_are_printed(runner, write):
    """Text in [brackets] must reach the terminal (no rich markup on user text)."""
    text = TINY.replace("label: R&D intensity 3%", "label: 'R&D intensity [core] 3%'")
    res = invoke(runner, "run", write(text), "--no-series")
    assert res.exit_code == 0, res.output
    assert "R&D intensity [core] 3%" in res.stdout
    # the required-growth lever may name its cluster in brackets: rd_own[alpha]
    doc = json.loads(invoke(runner, "run", write(text), "--json").stdout)
    lever = next(t for t in doc["targets"] if t["id"] == "rd_int")["required_growth"]["series"]
    assert lever == "rd_own[alpha]"  # rd_total's cluster part, on the one cluster with rd
    assert lever in res.stdout


def test_run_json_document(runner, write):
    res = invoke(runner, "run", write(TINY), "--json")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)  # one JSON document and nothing else
    assert {"scenario", "base_year", "end_year", "samples", "targets", "series"} <= set(doc)
    assert doc["scenario"] == "tiny"
    assert (doc["base_year"], doc["end_year"], doc["samples"]) == (2020, 2022, 1)

    by_id = {t["id"]: t for t in doc["targets"]}
    assert list(by_id) == ["gdp_level", "rd_int"]
    for t in doc["targets"]:
        keys = {"id", "label", "year", "status", "value", "goal", "margin", "probability"}
        assert keys | {"required_growth", "source"} <= set(t)
        assert t["status"] in {"met", "missed"}
        assert 0.0 <= t["probability"] <= 1.0
        rg = t["required_growth"]
        assert rg is None or ({"series", "rate"} <= set(rg) and isinstance(rg["series"], str))

    gdp = by_id["gdp_level"]
    assert gdp["label"] == "GDP reaches 120"
    assert (gdp["year"], gdp["status"], gdp["probability"]) == (2022, "met", 1.0)
    assert_allclose([gdp["value"], gdp["goal"], gdp["margin"]], [121.0, 120.0, 1.0], rtol=1e-12)
    # 100 (1 + r)^2 = 120
    assert_allclose(gdp["required_growth"]["rate"], math.sqrt(1.2) - 1, rtol=1e-9)
    assert gdp["source"] is None

    rd = by_id["rd_int"]
    assert (rd["status"], rd["probability"]) == ("missed", 0.0)
    assert_allclose(rd["value"], 3 / 121, rtol=1e-12)
    assert_allclose(rd["margin"], 3 / 121 - 0.03, rtol=1e-9)
    assert_allclose(rd["goal"], 0.03)
    # rd_total(2022) = 2 + (1 + r)^2 = 0.03 * 121
    assert_allclose(rd["required_growth"]["rate"], math.sqrt(0.03 * 121 - 2) - 1, rtol=1e-7)

    series = doc["series"]
    assert list(series["gdp"]) == [str(y) for y in YEARS]
    assert_allclose(list(series["gdp"].values()), GDP, rtol=1e-12)
    assert_allclose(list(series["rd_total"].values()), [3.0, 3.0, 3.0], rtol=1e-12)
    assert_allclose(list(series["rd_intensity"].values()), [3 / g for g in GDP], rtol=1e-12)
    assert_allclose(
        list(series["out_share"].values()),
        [(a + b) / g for a, b, g in zip(ALPHA, BETA, GDP, strict=True)],
        rtol=1e-12,
    )


def test_run_json_monte_carlo_is_reproducible(runner, write):
    path = write(MC)
    a = invoke(runner, "run", path, "--samples", 200, "--seed", 3, "--json")
    b = invoke(runner, "run", path, "--samples", 200, "--seed", 3, "--json")
    assert a.exit_code == b.exit_code == 0, a.output
    assert a.stdout == b.stdout
    doc = json.loads(a.stdout)
    assert (doc["samples"], doc["seed"]) == (200, 3)
    for t in doc["targets"]:
        assert 0.0 <= t["probability"] <= 1.0
        p = t["percentiles"]
        q = [p[k] for k in ("p5", "p25", "p50", "p75", "p95")]
        assert q == sorted(q)
        assert_allclose(p["p50"], t["value"])  # the reported value is the median
    other = invoke(runner, "run", path, "--samples", 200, "--seed", 4, "--json")
    assert json.loads(other.stdout)["targets"] != doc["targets"]


def test_monte_carlo_probability_matches_the_normal_cdf(runner, write):
    """P(100 (1 + g)^2 >= 120) with g ~ N(0.10, 0.02) is Phi((0.10 - (sqrt(1.2) - 1)) / 0.02)."""
    res = invoke(runner, "run", write(MC), "-n", 2000, "-s", 11, "--json")
    doc = json.loads(res.stdout)
    p = next(t for t in doc["targets"] if t["id"] == "gdp_level")["probability"]
    z = (0.10 - (math.sqrt(1.2) - 1)) / 0.02
    expected = 0.5 * (1 + math.erf(z / math.sqrt(2)))
    assert abs(p - expected) < 4 * math.sqrt(expected * (1 - expected) / 2000)


def test_run_json_with_out_prints_only_json(runner, write, tmp_path):
    out = tmp_path / "out"
    res = invoke(runner, "run", write(TINY), "--json", "--out", out)
    assert res.exit_code == 0, res.output
    json.loads(res.stdout)
    assert sorted(p.name for p in out.iterdir()) == [
        "run.json",
        "targets.parquet",
        "trajectories.parquet",
    ]


# --- run --out --------------------------------------------------------------------------------


def read_table(path: Path, fmt: str) -> pd.DataFrame:
    if fmt == "parquet":
        df = pq.read_table(path).to_pandas()
    elif fmt == "csv":
        # pandas 2's default float parser is off by ulps; pandas 3 parses exactly (and
        # deprecates the option)
        exact = {"float_precision": "round_trip"} if pd.__version__ < "3" else {}
        df = pd.read_csv(path, keep_default_na=False, na_values=[""], **exact)
        if "cluster" in df:
            df["cluster"] = df["cluster"].fillna("")
    else:
        with path.open(encoding="utf-8") as fh:
            df = pd.DataFrame(json.load(fh))
    for col in df.columns:
        if isinstance(df[col].dtype, pd.CategoricalDtype):
            df[col] = df[col].astype(str)
    return df


@pytest.mark.parametrize("fmt", ["parquet", "csv", "json"])
def test_run_out_writes_readable_tables(runner, write, tmp_path, fmt):
    path = write(MC)
    s = 5
    out = tmp_path / "out"
    args = ["run", path, "-n", s, "-s", 1, "--out", out, "--no-series"]
    res = invoke(runner, *args, *(["--format", fmt] if fmt != "parquet" else []))
    assert res.exit_code == 0, res.output
    names = ("trajectories", "targets", "target_samples")
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["run.json", *(f"{n}.{fmt}" for n in names)]
    )
    for n in names:
        assert f"wrote {out / f'{n}.{fmt}'}" in res.stdout

    result = cs.run(cs.load_scenario(path), samples=s, seed=1)  # the same seed, the same numbers
    region, cluster = result.region_series(), result.cluster_series()
    t, c = len(result.years), len(result.clusters)

    traj = read_table(out / f"trajectories.{fmt}", fmt)
    assert list(traj.columns) == ["scenario", "sample", "cluster", "year", "variable", "value"]
    assert len(traj) == s * t * len(region) + s * c * t * len(cluster)
    assert set(traj["scenario"]) == {"tiny"}
    assert not traj.duplicated(["sample", "cluster", "year", "variable"]).any()
    is_region = traj["variable"].isin(list(region))
    assert (traj.loc[is_region, "cluster"] == "").all()
    assert set(traj.loc[~is_region, "cluster"]) == set(result.clusters)
    cidx = {name: i for i, name in enumerate(result.clusters)}
    for name, arr in result.series.items():
        rows = traj[traj["variable"] == name].copy()
        if arr.ndim == 2:
            rows = rows.sort_values(["sample", "year"])
            assert len(rows) == s * t
        else:
            rows["ci"] = rows["cluster"].map(cidx)
            rows = rows.sort_values(["sample", "ci", "year"])
            assert len(rows) == s * c * t
        assert_allclose(rows["value"].to_numpy(), arr.reshape(-1), rtol=1e-15, err_msg=name)

    targets = read_table(out / f"targets.{fmt}", fmt)
    assert list(targets["id"]) == ["gdp_level", "rd_int"]
    for tr in result.targets:
        row = targets[targets["id"] == tr.id].iloc[0]
        # the default run's status comes from P(met): >= 80% likely, <= 20% unlikely
        p = float(np.mean(tr.met))
        assert row["status"] == ("likely" if p >= 0.8 else "unlikely" if p <= 0.2 else "uncertain")
        assert_allclose(row["probability"], tr.probability)
        assert_allclose(row["value"], tr.median_value, rtol=1e-15)

    samples = read_table(out / f"target_samples.{fmt}", fmt)
    assert len(samples) == s * len(result.targets)
    gdp_2022 = traj[(traj["variable"] == "gdp") & (traj["year"] == 2022)].sort_values("sample")
    gdp_t = samples[samples["target"] == "gdp_level"].sort_values("sample")
    assert_allclose(gdp_t["value"].to_numpy(), gdp_2022["value"].to_numpy(), rtol=1e-15)
    assert_array_equal(gdp_t["met"].astype(bool).to_numpy(), gdp_t["value"].to_numpy() >= 120)
    assert_allclose(
        targets.set_index("id").loc["gdp_level", "probability"], gdp_t["met"].astype(bool).mean()
    )


def test_run_out_single_sample_has_no_target_samples(runner, write, tmp_path):
    out = tmp_path / "out"
    res = invoke(runner, "run", write(TINY), "--out", out, "--format", "csv")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in out.iterdir()) == ["run.json", "targets.csv", "trajectories.csv"]
    traj = read_table(out / "trajectories.csv", "csv")
    gdp = traj[traj["variable"] == "gdp"].sort_values("year")
    assert_allclose(gdp["value"], GDP, rtol=1e-12)
    alpha = traj[(traj["variable"] == "output") & (traj["cluster"] == "alpha")].sort_values("year")
    assert_allclose(alpha["value"], ALPHA, rtol=1e-12)


@pytest.mark.parametrize(
    ("option", "value"), [("--format", "xml"), ("--lang", "fr"), ("--samples", "0")]
)
def test_run_bad_option_exits_2_and_writes_nothing(runner, write, tmp_path, option, value):
    out = tmp_path / "out"
    res = invoke(runner, "run", write(TINY), option, value, "--out", out)
    assert res.exit_code == 2
    assert not out.exists() or not any(out.iterdir())


def test_run_out_is_a_file(runner, write, tmp_path):
    blocker = tmp_path / "taken"
    blocker.write_text("x")
    res = invoke(runner, "run", write(TINY), "--out", blocker)
    assert res.exit_code == 2
    assert "error:" in res.stderr and "taken" in res.stderr
    assert blocker.read_text() == "x"


# --- check ------------------------------------------------------------------------------------


def test_check_exit_codes(runner, write, tmp_path):
    ok = invoke(runner, "check", write(ALL_MET, "ok.yaml"))
    assert ok.exit_code == 0, ok.output
    assert "ok" in ok.stdout and "FAIL" not in ok.stdout
    missed = invoke(runner, "check", write(TINY, "missed.yaml"))
    assert missed.exit_code == 1, missed.output
    assert re.search(r"FAIL\s+rd_int", missed.stdout)
    assert re.search(r"ok\s+gdp_level", missed.stdout)
    bad = invoke(runner, "check", write(TINY.replace("growth: 0.10", "growht: 0.10"), "bad.yaml"))
    assert bad.exit_code == 2
    assert invoke(runner, "check", tmp_path / "absent.yaml").exit_code == 2


def test_check_quiet_and_json(runner, write):
    path = write(TINY)
    quiet = invoke(runner, "check", path, "--quiet")
    assert (quiet.exit_code, quiet.stdout) == (1, "")
    res = invoke(runner, "check", path, "--json")
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["failed"] == ["rd_int"]


def test_check_min_probability(runner, write):
    path = write(MC_GDP_ONLY)
    res = invoke(runner, "run", path, "-n", 400, "-s", 5, "--json")
    p = json.loads(res.stdout)["targets"][0]["probability"]
    assert 0.05 < p < 0.95  # the test needs an uncertain target
    at = invoke(runner, "check", path, "-n", 400, "-s", 5, "--min-probability", p)
    assert at.exit_code == 0, at.output
    assert f"P(met)={p:.1%}" in at.stdout
    above = invoke(runner, "check", path, "-n", 400, "-s", 5, "--min-probability", p + 0.01)
    assert above.exit_code == 1, above.output
    # probability 0 always passes, 1 never does (here)
    assert invoke(runner, "check", path, "-n", 400, "-s", 5, "-p", 0).exit_code == 0
    assert invoke(runner, "check", path, "-n", 400, "-s", 5, "-p", 1).exit_code == 1
    assert invoke(runner, "check", path, "-n", 400, "-s", 5, "-p", 1.5).exit_code == 2


def test_check_min_probability_judges_each_target(runner, write):
    """rd_int is never met: no probability threshold above 0 lets it pass."""
    res = invoke(runner, "check", write(MC), "-n", 100, "-s", 2, "-p", 0.01, "--json")
    assert res.exit_code == 1
    assert json.loads(res.stdout)["failed"] == ["rd_int"]


# --- validate -------------------------------------------------------------------------------


def test_validate_ok(runner, write, example_path):
    res = invoke(runner, "validate", write(TINY))
    assert res.exit_code == 0, res.output
    assert "valid" in res.stdout and "2 clusters" in res.stdout and "2 targets" in res.stdout
    assert invoke(runner, "validate", example_path).exit_code == 0


def test_validate_explain_names_file_and_line(runner, write):
    path = write(TINY)
    res = invoke(runner, "validate", path, "--explain", "region.gdp.base")
    assert res.exit_code == 0, res.output
    assert "region.gdp.base = 100" in res.stdout
    assert f"from {path}:{line_of(TINY, 'base: 100')}" in res.stdout
    assert "overrides" not in res.stdout


def test_validate_explain_follows_extends(runner, write):
    parent = write(TINY, "parent.yaml")
    child_text = "extends: parent.yaml\nid: child\nregion:\n  gdp:\n    base: 200\n"
    child = write(child_text, "child.yaml")
    res = invoke(
        runner,
        "validate",
        child,
        "--explain",
        "region.gdp.base",
        "--explain",
        "region.gdp.growth",
        "--explain",
        "groups.both.clusters.1",
    )
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert "region.gdp.base = 200" in out
    assert f"from {child}:{line_of(child_text, 'base: 200')}" in out
    assert f"overrides {parent}:{line_of(TINY, 'base: 100')}" in out
    # a value the child does not touch comes from the parent and overrides nothing
    growth_block = out.split("region.gdp.growth = ")[1].split("groups.both")[0]
    assert f"from {parent}:{line_of(TINY, 'growth: 0.10')}" in growth_block
    assert "overrides" not in growth_block
    assert 'groups.both.clusters.1 = "beta"' in out
    assert f"(extends {parent} <- {child})" in " ".join(out.split())  # long lines may wrap


def test_validate_explain_chain_of_three(runner, write):
    grand = write(TINY, "grand.yaml")
    mid_text = "extends: grand.yaml\nid: mid\nregion:\n  gdp:\n    base: 150\n"
    mid = write(mid_text, "mid.yaml")
    leaf_text = "extends: mid.yaml\nid: leaf\nregion: {gdp: {base: 200}}\n"
    leaf = write(leaf_text, "leaf.yaml")
    res = invoke(runner, "validate", leaf, "--explain", "region.gdp.base")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    i = next(n for n, s in enumerate(lines) if s.startswith("region.gdp.base = 200"))
    assert lines[i + 1].strip() == f"from {leaf}:3"
    assert lines[i + 2].strip() == f"overrides {mid}:{line_of(mid_text, 'base: 150')}"
    assert lines[i + 3].strip() == f"overrides {grand}:{line_of(TINY, 'base: 100')}"


def test_validate_explain_unknown_path(runner, write):
    res = invoke(runner, "validate", write(TINY), "--explain", "region.gdp.bse")
    assert res.exit_code == 2
    assert "region.gdp.bse" in res.stderr


# --- schema and help --------------------------------------------------------------------------


def test_schema_is_json_with_scenario_properties(runner, tmp_path):
    res = invoke(runner, "schema")
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    props = doc["properties"]
    for key in (
        "id",
        "name",
        "base_year",
        "end_year",
        "region",
        "clusters",
        "groups",
        "indicators",
        "metrics",
        "targets",
        "extends",
    ):
        assert key in props, key
    assert {"id", "base_year", "end_year", "region"} <= set(doc["required"])
    assert doc["additionalProperties"] is False  # typos are errors in editors too
    assert "$defs" in doc
    target = tmp_path / "schema.json"
    res = invoke(runner, "schema", "--out", target)
    assert res.exit_code == 0
    assert json.loads(target.read_text(encoding="utf-8")) == doc


@pytest.mark.parametrize("command", [None, "run", "check", "validate", "schema"])
def test_help_has_an_example(runner, command):
    res = invoke(runner, *([command] if command else []), "--help")
    assert res.exit_code == 0, res.output
    assert "Example" in res.stdout
    assert "clustersim" in res.stdout


# --- bad input --------------------------------------------------------------------------------
#
# Each case: the scenario text (or extra files), the snippet whose line the error must name
# (None: line 1 of the main file), and substrings the error must contain.

BAD = {
    "yaml_syntax": (
        TINY.replace("    base: 100\n", "    base: 100: 3\n"),
        "base: 100: 3",
        ["YAML syntax error"],
    ),
    "typo_field": (
        TINY.replace("    growth: 0.10\n", "    growht: 0.10\n"),
        "growht",
        ["region.gdp.growht", "unknown field", "did you mean 'growth'"],
    ),
    "typo_top_level": (
        TINY.replace("base_year: 2020", "base_yaer: 2020"),
        "base_yaer",
        ["did you mean 'base_year'"],
    ),
    "unknown_growth_kind": (
        TINY.replace("    growth: 0.10\n", "    growth: {kind: constnt, rate: 0.1}\n"),
        "kind: constnt",
        ["unknown kind 'constnt'", "did you mean 'constant'", "logistic"],
    ),
    "unknown_target_kind": (
        TINY.replace("    kind: level\n    label: R&D", "    kind: levl\n    label: R&D"),
        "rd_int:",
        ["targets.rd_int", "unknown kind 'levl'", "did you mean 'level'"],
    ),
    "missing_field": (
        TINY.replace("    name: Alpha\n", ""),
        "alpha:",
        ["clusters.alpha.name", "required field missing"],
    ),
    "missing_target_year": (
        TINY.replace("    year: 2022\n    at_least: 0.03\n", "    at_least: 0.03\n"),
        "rd_int:",
        ["targets.rd_int.year", "required field missing"],
    ),
    "extends_missing_file": (
        "extends: nope.yaml\nid: child\n",
        "extends: nope.yaml",
        ["nope.yaml", "not found"],
    ),
    "duplicate_key": (
        TINY.replace("    growth: 0.10\n", "    growth: 0.10\n    growth: 0.2\n"),
        "growth: 0.2",
        ["duplicate key 'region.gdp.growth'", f"first at line {line_of(TINY, 'growth: 0.10')}"],
    ),
    "unknown_name_in_metric": (
        TINY.replace("/ gdp", "/ gpd"),
        "out_share:",
        ["metrics.out_share", "unknown series 'gpd'", "did you mean 'gdp'"],
    ),
    "unknown_name_in_target": (
        TINY.replace("metric: rd_intensity", "metric: rd_intensty"),
        "metric: rd_intensty",  # the line of the offending value, not the target's
        ["targets.rd_int.metric", "'rd_intensty'", "did you mean 'rd_intensity'"],
    ),
    "unknown_group_in_metric": (
        TINY.replace("group=both", "group=bth"),
        "out_share:",
        ["unknown group 'bth'", "did you mean 'both'"],
    ),
    "expr_dunder_import": (
        TINY.replace("sum(output, group=both) / gdp", "__import__('os')"),
        "out_share:",
        ["metrics.out_share", "__import__"],
    ),
    "expr_import_call_chain": (
        TINY.replace("sum(output, group=both) / gdp", "__import__('os').system('touch pwned')"),
        "out_share:",
        ["metrics.out_share", "not allowed"],
    ),
    "expr_attribute": (
        TINY.replace("sum(output, group=both) / gdp", "gdp.__class__"),
        "out_share:",
        ["metrics.out_share", "not allowed"],
    ),
    "growth_below_minus_100": (
        TINY.replace("    growth: 0.10\n", "    growth: -1.5\n"),
        "growth: -1.5",
        ["region.gdp.growth", "-1.5"],
    ),
    "growth_minus_100_percent": (
        TINY.replace("    growth: 0.10\n", "    growth: '-100%'\n"),
        "growth: '-100%'",
        ["region.gdp.growth"],
    ),
    "growth_path_below_minus_100": (
        TINY.replace(
            "    growth: 0.10\n", "    growth: {kind: path, rates: {2021: 0.1, 2022: -1.2}}\n"
        ),
        "kind: path",
        ["region.gdp.growth", "-1.2"],
    ),
    "sd_zero": (
        TINY.replace("    growth: 0.10\n", "    growth: {dist: normal, mean: 0.1, sd: 0}\n"),
        "dist: normal",
        ["region.gdp.growth", "greater than 0"],
    ),
    "sigma_negative": (
        TINY.replace(
            "    growth: 0.10\n", "    growth: {dist: lognormal, median: 0.1, sigma: -1}\n"
        ),
        "dist: lognormal",
        ["region.gdp.growth", "greater than 0"],
    ),
    "label_comma_in_number": (
        TINY.replace("label: R&D intensity 3%", "label: {zh: 研发强度, en: R&D per 10,000 yuan}"),
        "R&D per 10,000",
        ["targets.rd_int.label", "quotes"],
    ),
    "target_year_outside": (
        TINY.replace(
            "    year: 2022\n    at_least: 0.03\n", "    year: 2030\n    at_least: 0.03\n"
        ),
        "year: 2030",
        ["targets.rd_int.year", "2030"],
    ),
    "division_by_zero_in_target_metric": (
        TINY.replace("sum(output, group=both) / gdp", "gdp / (gdp - gdp)").replace(
            "metric: rd_intensity", "metric: out_share"
        ),
        "rd_int:",
        ["targets.rd_int", "not finite"],
    ),
}

# load and compile errors; ``validate`` must report them too (the division by zero only
# shows when the scenario is projected)
RUNTIME_ONLY = {"division_by_zero_in_target_metric"}


def _assert_bad(res: object, path: Path, line: int, needles: list[str]) -> None:
    """Exit 2; every line is ``error: FILE:LINE: ...``; one names ``line`` and all needles."""
    assert res.exit_code == 2, res.output
    lines = res.stderr.splitlines()
    assert lines, res.output
    assert all(re.match(r"error: \S+:\d+(:\d+)?: ", s) for s in lines), res.stderr
    here = re.compile(rf"error: {re.escape(str(path))}:{line}(:\d+)?: ")
    assert any(here.match(s) and all(n in s for n in needles) for s in lines), (
        f"no line 'error: {path}:{line}: ...' with {needles}:\n{res.stderr}"
    )
    assert "Traceback" not in res.output


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_file_line_and_writes_nothing(runner, write, tmp_path, case):
    text, snippet, needles = BAD[case]
    path = write(text)
    line = line_of(text, snippet)
    out = tmp_path / "out"
    res = invoke(runner, "run", path, "--out", out)
    _assert_bad(res, path, line, needles)
    assert res.stdout == ""
    assert not out.exists() or not any(out.iterdir())

    res = invoke(runner, "check", path)
    _assert_bad(res, path, line, needles)
    if case not in RUNTIME_ONLY:
        _assert_bad(invoke(runner, "validate", path), path, line, needles)


def test_bad_input_monte_carlo_writes_nothing(runner, write, tmp_path):
    text = MC.replace("sum(output, group=both) / gdp", "gdp / (gdp - gdp)").replace(
        "metric: rd_intensity", "metric: out_share"
    )
    out = tmp_path / "out"
    res = invoke(runner, "run", write(text), "-n", 50, "-s", 1, "--out", out)
    assert res.exit_code == 2
    assert "targets.rd_int" in res.stderr
    assert not out.exists() or not any(out.iterdir())


def test_missing_scenario_file(runner, tmp_path):
    path = tmp_path / "absent.yaml"
    res = invoke(runner, "run", path)
    assert res.exit_code == 2
    assert str(path) in res.stderr and "not found" in res.stderr


def test_yaml_syntax_error_names_line_and_column(runner, write):
    text = TINY.replace("    base: 100\n", "    base: 100: 3\n")
    path = write(text)
    res = invoke(runner, "run", path)
    assert re.match(rf"error: {re.escape(str(path))}:7:\d+: YAML syntax error", res.stderr)


def test_unsafe_yaml_tag_is_refused(runner, write, tmp_path):
    marker = tmp_path / "pwned"
    text = TINY.replace("id: tiny\n", f"id: !!python/object/apply:os.system ['touch {marker}']\n")
    res = invoke(runner, "run", write(text))
    assert res.exit_code == 2
    assert not marker.exists()
    assert re.match(r"error: \S+:1: id: the YAML tag '!!python/object/apply", res.stderr)


def test_extends_cycle_exits_2(runner, write, tmp_path):
    a = write("extends: b.yaml\nid: a\n", "a.yaml")
    write("extends: a.yaml\nid: b\n", "b.yaml")
    out = tmp_path / "out"
    res = invoke(runner, "run", a, "--out", out)
    assert res.exit_code == 2
    assert "extends: cycle: " in res.stderr
    assert "a.yaml" in res.stderr and "b.yaml" in res.stderr
    assert not out.exists()


def test_self_extends_is_a_cycle(runner, write):
    res = invoke(runner, "validate", write("extends: scenario.yaml\nid: a\n"))
    assert res.exit_code == 2
    assert re.match(r"error: \S+scenario\.yaml:1: extends: cycle: ", res.stderr), res.stderr


# --- known bugs (strict xfail: they turn into failures once fixed, then drop the mark) ------


def test_extends_cycle_names_the_line(runner, write):
    a = write("extends: b.yaml\nid: a\n", "a.yaml")
    write("extends: a.yaml\nid: b\n", "b.yaml")
    res = invoke(runner, "run", a)
    assert res.exit_code == 2
    assert re.match(r"error: \S+a\.yaml:1: extends: \S+b\.yaml:1: extends: cycle: ", res.stderr), (
        res.stderr
    )


def test_end_year_before_base_year_names_its_line(runner, write):
    text = TINY.replace("end_year: 2022", "end_year: 2019")
    path = write(text)
    res = invoke(runner, "run", path)
    _assert_bad(res, path, line_of(text, "end_year: 2019"), ["end_year", "base_year"])


def test_end_year_before_base_year_exits_2(runner, write):
    res = invoke(runner, "run", write(TINY.replace("end_year: 2022", "end_year: 2019")))
    assert res.exit_code == 2
    assert "end_year (2019) must be after base_year (2020)" in res.stderr


def test_group_with_unknown_cluster_names_its_line(runner, write):
    text = TINY.replace("clusters: [alpha, beta]", "clusters: [alpha, gamma]")
    path = write(text)
    res = invoke(runner, "run", path)
    _assert_bad(res, path, line_of(text, "[alpha, gamma]"), ["groups.both", "'gamma'"])


def test_group_with_unknown_cluster_exits_2(runner, write):
    text = TINY.replace("clusters: [alpha, beta]", "clusters: [alpha, gamma]")
    res = invoke(runner, "run", write(text))
    assert res.exit_code == 2
    # the list item by its 1-based position and its value
    assert """groups.both.clusters[2] ("gamma"): unknown cluster 'gamma'""" in res.stderr


def test_bad_distribution_parameter_names_its_own_line(runner, write):
    text = TINY.replace(
        "    growth: 0.10\n",
        "    growth:\n      kind: constant\n      rate:\n        dist: normal\n"
        "        mean: 0.1\n        sd: -0.01\n",
    )
    path = write(text)
    res = invoke(runner, "run", path)
    _assert_bad(res, path, line_of(text, "sd: -0.01"), ["region.gdp.growth.rate.sd"])


INF_METRIC = TINY.replace(
    "  out_share: sum(output, group=both) / gdp\n",
    "  out_share: sum(output, group=both) / gdp\n  broken: gdp / (gdp - gdp)\n",
)


def test_metric_dividing_by_zero_is_an_error(runner, write):
    path = write(INF_METRIC)
    res = invoke(runner, "run", path)
    _assert_bad(res, path, line_of(INF_METRIC, "broken:"), ["metrics.broken"])
    # under --json the same problem is the JSON error document on stdout
    res = invoke(runner, "run", path, "--json")
    assert res.exit_code == 2 and res.stderr == ""
    (problem,) = json.loads(res.stdout)["errors"]
    assert (problem["file"], problem["line"]) == (str(path), line_of(INF_METRIC, "broken:"))
    assert problem["field"] == "metrics.broken"


def test_metric_dividing_by_zero_json_out_has_no_traceback(runner, write, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(write(INF_METRIC)), "--out", str(out), "-f", "json"])
    assert res.exit_code == 2
    assert not isinstance(res.exception, ValueError)


def test_required_growth_is_null_or_rate_and_series(runner, example_path):
    """Every target of the tutorial has a required rate (with required growth switched
    off this fails), the banded tiers none in range, and three rates are hand-computed."""
    res = invoke(runner, "run", example_path, "--json")
    doc = json.loads(res.stdout)
    assert [t["id"] for t in doc["targets"]] == list(cs.load_scenario(example_path).targets)
    by_id = {t["id"]: t["required_growth"] for t in doc["targets"]}
    for tid, rg in by_id.items():
        assert isinstance(rg["series"], str) and rg["series"], tid
        if tid == "cluster_tiers":  # one common rate cannot fill both bands
            assert (rg["rate"], rg["method"]) == (None, "none_in_range")
        else:
            assert rg["method"] in {"closed_form", "root_finding", "bisection"}, tid
            assert np.isfinite(rg["rate"]), tid
    # patents_per_10k 70 in 2023 -> 95 in 2026: 70 (1 + r)^3 = 95
    assert by_id["patents"]["method"] == "closed_form"
    assert_allclose(by_id["patents"]["rate"], (95 / 70) ** (1 / 3) - 1, rtol=1e-12)
    # GDP 5% a year from 2022 (5,017.04) to 2027 from the 2023 base 5,264.07
    want = (1.05**5 * 5017.04 / 5264.07) ** (1 / 4) - 1
    assert_allclose(by_id["gdp_cagr"]["rate"], want, rtol=1e-12)
    # tech loans 18 in 2023 must reach 20 in 2024, the first year of the window
    assert_allclose(by_id["tech_loans"]["rate"], 20 / 18 - 1, rtol=1e-9)
    assert by_id["tech_loans"]["rate"] >= 20 / 18 - 1 - 1e-15  # on the meeting side


def test_label_comma_between_words_hints_at_quotes(runner, write):
    text = TINY.replace("name: {zh: 贝塔, en: Beta}", "name: {zh: 贝塔, en: Beta, the second}")
    path = write(text)
    res = invoke(runner, "run", path)
    _assert_bad(res, path, line_of(text, "Beta, the second"), ["clusters.beta.name", "quotes"])


INF_METRIC = TINY.replace(
    "  out_share: sum(output, group=both) / gdp\n",
    "  out_share: sum(output, group=both) / gdp\n  broken: gdp / (gdp - gdp)\n",
)


def test_validate_explain_year_key(runner, example_path):
    text = example_path.read_text(encoding="utf-8")
    res = invoke(runner, "validate", example_path, "--explain", "region.history.gdp.2021")
    assert res.exit_code == 0, res.output
    assert "region.history.gdp.2021 = 4763.42" in res.stdout
    assert f"from {example_path}:{line_of(text, 'gdp: {2020: 4220')}" in res.stdout


def test_validate_explain_merge_key(runner, write):
    text = TINY + (
        "  third:\n"
        "    <<: {kind: level, metric: gdp, year: 2022}\n"
        "    label: Third\n"
        "    at_least: 1\n"
    )
    path = write(text)
    res = invoke(runner, "validate", path, "--explain", "targets.third.kind")
    assert res.exit_code == 0, res.output
    assert 'targets.third.kind = "level"' in res.stdout
    assert re.search(rf"from {re.escape(str(path))}:\d+", res.stdout), res.stdout


def test_scenario_without_targets(runner, write, tmp_path):
    path = write(HEAD.replace("targets:\n", ""))
    out = tmp_path / "out"
    res = invoke(runner, "run", path, "-n", 3, "-s", 1, "--out", out, "-f", "json")
    assert res.exit_code == 0, res.output
    assert json.loads((out / "targets.json").read_text(encoding="utf-8")) == []
    assert invoke(runner, "check", path).exit_code == 0
