"""The honest default run (issue 20 part 1) and the config file of defaults (part 5).

A scenario with one uncertain number whose probabilities are known by hand: GDP 100 grows
one year at a rate uniform on [0, 0.2], so P(GDP 2021 >= 100 * (1 + g)) = (0.2 - g) / 0.2:
>= 102 is met with probability 0.9 (likely), >= 110 with 0.5 (uncertain), >= 118 with 0.1
(unlikely). The default run draws a fresh seed, so each estimate from 1,000 samples is held
to 5 standard deviations of its value, sqrt(p (1 - p) / 1000): 0.047 for 0.9 and 0.1, 0.079
for 0.5 (a failure about once in 10^6 runs; 0.05 for all three, 3.2 sd for 0.5, failed CI
about once in 600 runs).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from clustersim.cli import app

UNI = """\
id: uni
name: Uni
base_year: 2020
end_year: 2021
region:
  gdp:
    base: 100
    growth: {dist: uniform, low: 0.0, high: 0.2}
clusters:
  a:
    name: A
    output: {base: 10, growth: 0.0}
targets:
  t90: {kind: level, label: ninety, metric: gdp, year: 2021, at_least: 102}
  t50: {kind: level, label: fifty, metric: gdp, year: 2021, at_least: 110}
  t10: {kind: level, label: ten, metric: gdp, year: 2021, at_least: 118}
"""
#: the same scenario with nothing uncertain (10% growth: 110 >= 102 and 110, not 118)
FIXED = UNI.replace("{dist: uniform, low: 0.0, high: 0.2}", "0.10")
EXPECTED_P = {"t90": 0.9, "t50": 0.5, "t10": 0.1}

runner = CliRunner()


@pytest.fixture
def uni(tmp_path: Path) -> Path:
    p = tmp_path / "uni.yaml"
    p.write_text(UNI, encoding="utf-8")
    return p


def run_json(*args: object) -> dict:
    res = runner.invoke(app, ["run", *map(str, args), "--json", "--no-required", "--no-audit"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_default_run_is_monte_carlo_with_statuses_from_probability(uni: Path) -> None:
    doc = run_json(uni)
    assert doc["samples"] == 1000
    assert isinstance(doc["seed"], int)
    assert doc["status_rule"] == {"likely": 0.8, "unlikely": 0.2}
    got = {t["id"]: t for t in doc["targets"]}
    for tid, p in EXPECTED_P.items():
        assert abs(got[tid]["probability"] - p) < 5 * math.sqrt(p * (1 - p) / 1000), tid
    assert {k: got[k]["status"] for k in got} == {
        "t90": "likely",
        "t50": "uncertain",
        "t10": "unlikely",
    }
    # the central value is the Monte Carlo median: 100 * (1 + median g) = 110
    assert abs(got["t50"]["value"] - 110.0) < 1.0
    assert doc["all_met"] is False


def test_the_printed_seed_repeats_the_run(uni: Path) -> None:
    first = run_json(uni)
    again = run_json(uni, "--seed", first["seed"])
    assert again["targets"] == first["targets"]


def test_header_says_monte_carlo_central_or_deterministic(uni: Path, tmp_path: Path) -> None:
    res = runner.invoke(app, ["run", str(uni), "-s", "4", "--no-series"])
    assert res.exit_code == 0, res.output
    first = res.stdout.splitlines()[0]
    assert first.startswith("Monte Carlo: 1,000 samples (seed 4)")
    assert "likely >= 80%, unlikely <= 20%" in first
    assert "1 of 3 targets likely, 1 uncertain, 1 unlikely." in res.stdout

    res = runner.invoke(app, ["run", str(uni), "--central", "--no-series"])
    assert res.stdout.splitlines()[0].startswith("central path: 1 uncertain numbers")
    # the central path: g = 0.1 exactly, so GDP 110 meets 102 and 110, misses 118
    assert "2 of 3 targets met." in res.stdout

    fixed = tmp_path / "fixed.yaml"
    fixed.write_text(FIXED, encoding="utf-8")
    doc = run_json(fixed)
    assert doc["samples"] == 1 and doc["seed"] is None and "status_rule" not in doc
    assert [t["status"] for t in doc["targets"]] == ["met", "met", "missed"]
    res = runner.invoke(app, ["run", str(fixed), "--no-series"])
    assert res.stdout.splitlines()[0] == "deterministic: the scenario has no uncertain numbers"


def test_samples_one_and_central_are_the_same_run(uni: Path) -> None:
    assert run_json(uni, "--central") == run_json(uni, "--samples", "1")


def test_chinese_status_words(uni: Path) -> None:
    res = runner.invoke(app, ["run", str(uni), "-s", "4", "--lang", "zh", "--no-series"])
    assert res.exit_code == 0, res.output
    for w in ("很可能达成", "不确定", "不太可能达成", "蒙特卡洛：1,000 个样本（随机种子 4）"):
        assert w in res.stdout, w
    for w in ("likely", "uncertain", "Monte Carlo"):
        assert w not in res.stdout, w


def test_thresholds_from_the_options(uni: Path) -> None:
    doc = run_json(uni, "-s", "1", "--likely", "0.4", "--unlikely", "0.05")
    assert [t["status"] for t in doc["targets"]] == ["likely", "likely", "uncertain"]
    res = runner.invoke(app, ["run", str(uni), "--likely", "0.3", "--unlikely", "0.5"])
    assert res.exit_code == 2
    assert "unlikely < likely" in res.output and "Traceback" not in res.output


def test_status_from_median_keeps_met_and_missed(uni: Path) -> None:
    doc = run_json(uni, "-s", "1", "--status-from", "median")
    # median g = 0.1: GDP 110 meets 102 and (at the median) 110, misses 118
    assert [t["status"] for t in doc["targets"]][::2] == ["met", "missed"]
    assert "status_rule" not in doc


# --- the config file: CLI > working folder > user config > built-in -------------------------


@pytest.fixture
def user_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "user"
    d.mkdir()
    monkeypatch.setenv("CLUSTERSIM_CONFIG_DIR", str(d))
    return d


@pytest.fixture
def work_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    d = tmp_path / "work"
    d.mkdir()
    monkeypatch.chdir(d)
    return d


def test_builtin_defaults_without_config(uni: Path, user_dir: Path, work_dir: Path) -> None:
    doc = run_json(uni)
    assert doc["samples"] == 1000 and doc["status_rule"] == {"likely": 0.8, "unlikely": 0.2}


def test_user_config_sets_defaults(uni: Path, user_dir: Path, work_dir: Path) -> None:
    (user_dir / "config.toml").write_text(
        "samples = 300\nseed = 9\n[status]\nlikely = 0.95\nunlikely = 0.15\n", encoding="utf-8"
    )
    doc = run_json(uni)
    assert doc["samples"] == 300 and doc["seed"] == 9
    assert doc["status_rule"] == {"likely": 0.95, "unlikely": 0.15}
    # P(t90) = 0.9 < 0.95: no longer likely
    assert doc["targets"][0]["status"] == "uncertain"


@pytest.mark.parametrize("name", ["clustersim.toml", ".clustersim.toml"])
def test_working_folder_config_wins_over_user_config(
    uni: Path, user_dir: Path, work_dir: Path, name: str
) -> None:
    (user_dir / "config.toml").write_text("samples = 300\nseed = 9\n", encoding="utf-8")
    (work_dir / name).write_text('samples = 200\nlang = "zh"\n', encoding="utf-8")
    doc = run_json(uni)
    assert doc["samples"] == 200  # the working folder's
    assert doc["seed"] == 9  # not set there: the user's
    res = runner.invoke(app, ["run", str(uni), "--no-series"])
    assert "蒙特卡洛：200 个样本（随机种子 9）" in res.stdout


def test_command_line_wins_over_config(uni: Path, user_dir: Path, work_dir: Path) -> None:
    (user_dir / "config.toml").write_text("samples = 300\n", encoding="utf-8")
    (work_dir / "clustersim.toml").write_text(
        'samples = 200\nseed = 5\nlang = "zh"\n', encoding="utf-8"
    )
    doc = run_json(uni, "-n", "50", "-s", "6")
    assert doc["samples"] == 50 and doc["seed"] == 6
    res = runner.invoke(app, ["run", str(uni), "--lang", "en", "--no-series"])
    assert res.stdout.startswith("Monte Carlo: 200 samples (seed 5)")


def test_bad_config_names_file_line_and_key(uni: Path, user_dir: Path, work_dir: Path) -> None:
    cfg = work_dir / "clustersim.toml"
    cfg.write_text('lang = "zh"\nsampels = 10\n[status]\nlikely = 2\n', encoding="utf-8")
    res = runner.invoke(app, ["run", str(uni)])
    assert res.exit_code == 2
    assert f"{cfg}:2: sampels: unknown setting; did you mean 'samples'?" in res.output
    assert f"{cfg}:4: status.likely: 2 is not a probability between 0 and 1" in res.output
    assert "Traceback" not in res.output and "未知设置" in res.output


def test_config_syntax_error_gives_the_line(uni: Path, user_dir: Path, work_dir: Path) -> None:
    (work_dir / "clustersim.toml").write_text("samples = 10\nseed = \n", encoding="utf-8")
    res = runner.invoke(app, ["run", str(uni)])
    assert res.exit_code == 2
    assert "clustersim.toml:2: TOML syntax error" in res.output
    assert "Traceback" not in res.output


def test_out_records_how_the_run_was_made(uni: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(uni), "--out", str(out), "--no-series", "-n", "20"])
    assert res.exit_code == 0, res.output
    seed = int(res.stdout.split("(seed ")[1].split(")")[0])  # the seed the header printed
    doc = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert doc["mode"] == "monte_carlo" and doc["samples"] == 20 and doc["seed"] == seed
    assert doc["uncertain"] == 1 and doc["status_rule"] == {"likely": 0.8, "unlikely": 0.2}
    assert f"wrote {out / 'run.json'}" in res.stdout
    runner.invoke(app, ["run", str(uni), "--out", str(out), "--central", "--no-series"])
    doc = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert (doc["mode"], doc["samples"], doc["seed"], doc["status_rule"]) == ("central", 1, None, None)


# --- CSV with or without the byte-order mark ---------------------------------------------------


def _csv_heads(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes()[:3] for p in sorted(out.glob("*.csv"))}


def test_csv_has_a_bom_by_default_and_none_with_no_bom(
    uni: Path, tmp_path: Path, user_dir: Path, work_dir: Path
) -> None:
    bom = b"\xef\xbb\xbf"
    uni.write_text(UNI.replace("label: ninety", "label: 九成"), encoding="utf-8")
    args = ["run", str(uni), "--central", "--no-series", "--format", "csv", "--lang", "zh"]
    res = runner.invoke(app, [*args, "--out", str(tmp_path / "a")])
    assert res.exit_code == 0, res.output
    heads = _csv_heads(tmp_path / "a")
    assert set(heads) == {"targets.csv", "trajectories.csv"} and set(heads.values()) == {bom}
    res = runner.invoke(app, [*args, "--no-bom", "--out", str(tmp_path / "b")])
    assert res.exit_code == 0, res.output
    plain = tmp_path / "b" / "targets.csv"
    assert not plain.read_bytes().startswith(bom)
    assert "九成" in plain.read_bytes().decode("utf-8")  # plain UTF-8, Chinese text intact
    assert all(h != bom for h in _csv_heads(tmp_path / "b").values())
    # the config file sets the default, the command line still wins
    (work_dir / "clustersim.toml").write_text("csv_bom = false\n", encoding="utf-8")
    runner.invoke(app, [*args, "--out", str(tmp_path / "c")])
    assert all(h != bom for h in _csv_heads(tmp_path / "c").values())
    runner.invoke(app, [*args, "--bom", "--out", str(tmp_path / "d")])
    assert set(_csv_heads(tmp_path / "d").values()) == {bom}


def test_csv_bom_config_must_be_true_or_false(uni: Path, user_dir: Path, work_dir: Path) -> None:
    cfg = work_dir / "clustersim.toml"
    cfg.write_text('csv_bom = "no"\n', encoding="utf-8")
    res = runner.invoke(app, ["run", str(uni)])
    assert res.exit_code == 2
    assert f"{cfg}:1: csv_bom: 'no' is not true or false" in res.output
