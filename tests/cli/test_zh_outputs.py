"""Every command's terminal output under ``--lang zh`` (issue 20: "every terminal line in
Chinese"): a representative invocation of each command on the shipped scenarios and data, and
a few bad inputs, checked line by line for English words outside ids, paths, units and the
names a planner types (the word-list check of tests/test_i18n_families.py and the report's).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from tests.test_i18n_families import ALLOWED as MESSAGE_ALLOWED
from typer.testing import CliRunner

import clustersim as cs
from clustersim.cli import app
from clustersim.i18n import SERIES_LABELS

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()

#: English a Chinese terminal line may show: acronyms, method and fit names (values of
#: options a planner types), the tool's name, units
ALLOWED = MESSAGE_ALLOWED | {
    "GDP", "AI", "PRIM", "CART", "LMDI", "MAPE", "clustersim", "pp", "compound", "logistic",
    "elasticity", "exit_prior", "feed", "exit", "yr", "sd", "ar", "quasi", "dask",
    # series and region ids of the shipped data
    "energy", "Zhenjiang", "Jiangxi", "series",
    # forecast-evaluation acronyms, a placeholder of an option's value
    "AR", "CRPS", "PIT", "FILE",
    # a log line's level
    "INFO",
}


def _ids(*names: str) -> set[str]:
    out: set[str] = set()
    for name in names:
        sc = cs.load_scenario(ROOT / "scenarios" / name)
        out |= {*sc.clusters, *sc.groups, *sc.targets, *sc.metrics, *sc.indicators, sc.id}
    return out


#: the scenarios' ids and the built-in series names (``gdp``, ``output[cluster]``)
IDS = _ids("zhenjiang-2026.yaml", "example.yaml", "jiangxi-trend.yaml") | set(SERIES_LABELS)


def english_words(text: str) -> list[str]:
    """Words in Latin letters of ``text`` that are not ids, paths, option names, quoted values,
    the scenario's ids or allowed."""
    found = []
    for line in text.splitlines():
        if line.lstrip().startswith("clustersim "):
            continue  # a command line to type
        # the data file's own names of the series it ignored (the planner's CSV, not ours)
        line = re.sub(r"(忽略了其他 \d+ 个序列的 [\d,]+ 行：).*", r"\1", line)
        line = re.sub(r"clustersim \w+", " ", line)  # a command named in a sentence
        line = re.sub(r"'[^']*'|\"[^\"]*\"|\[[^\]]*\]|\([^)]*\d[^)]*\)", " ", line)
        line = re.sub(r"--[\w-]+", " ", line)
        line = re.sub(r"\w*\[\S*", " ", line)  # a selection cut by a table: output[elec…
        line = re.sub(r"[\w./\\-]*[_./\\][\w./\\-]*", " ", line)
        found += [
            w for w in re.findall(r"[A-Za-z]{2,}", line) if w not in ALLOWED and w not in IDS
        ]
    return found


def zh(args: str, tmp: Path) -> str:
    res = runner.invoke(
        app, [*shlex.split(args.format(tmp=tmp)), "--lang", "zh"], terminal_width=200
    )
    assert res.exit_code in (0, 1, 2), (args, res.output)
    assert "Traceback" not in res.output
    return res.output


#: one invocation per command and the paths a planner meets most (a few bad inputs among them)
INVOCATIONS = [
    "run scenarios/zhenjiang-2026.yaml --central --no-series",
    "run scenarios/zhenjiang-2026.yaml -n 30 -s 1 --no-series",
    "check scenarios/zhenjiang-2026.yaml -n 20 -s 1",
    "check scenarios/zhenjiang-2026.yaml -n 1",
    "check --consistency scenarios/zhenjiang-2026.yaml -n 1",
    "validate scenarios/zhenjiang-2026.yaml --sources --audit",
    "validate scenarios/example.yaml --explain targets.clusters_1000.year",
    "validate scenarios/zhenjiang-2026.yaml --explain no.such.path",
    "calibrate --tiers calibration/tiers/counts.csv",
    "calibrate calibration/jiangxi-electronics.csv --scenario scenarios/jiangxi-trend.yaml"
    " --out {tmp}/fragment.yaml",
    "calibrate calibration/jiangxi-electronics.csv --scenario scenarios/jiangxi-trend.yaml",
    "backtest calibration/zhenjiang.csv --scenario scenarios/zhenjiang-2026.yaml --until 2021"
    " --series gdp --samples 20 --seed 1",
    "backtest calibration/jiangxi-electronics.csv -S scenarios/jiangxi-2025.yaml --until 2020",
    "backtest --rolling calibration/jiangxi-electronics.csv",
    "calibrate calibration/ezhou.csv -S scenarios/ezhou-trend.yaml",
    "calibrate calibration/zhenjiang.csv -S scenarios/zhenjiang-trend.yaml",
    "sweep --scenario scenarios/zhenjiang-2026.yaml -n 40 -s 1 -w 1 --out {tmp}/sweep",
    "discover {tmp}/sweep --target high_level_talents_120 --no-cart",
    "decompose scenarios/zhenjiang-2026.yaml -n 1",
    "export scenarios/zhenjiang-2026.yaml -n 1 --xlsx {tmp}/plan.xlsx",
    "import {tmp}/plan.xlsx --out {tmp}/imported.yaml",
    "validate {tmp}/imported.yaml",
    "report scenarios/zhenjiang-2026.yaml -n 1 --out {tmp}/report.html",
    "sweep {tmp}/missing.yaml --out {tmp}/none",
    # -v: the log lines (after the level name)
    "-v run scenarios/zhenjiang-2026.yaml --central --no-series",
    "-v sweep --scenario scenarios/zhenjiang-2026.yaml -n 20 -s 1 -w 1 --out {tmp}/sweep-v",
    # the command line's own checks
    "calibrate calibration/jiangxi-electronics.csv -S scenarios/jiangxi-trend.yaml --fit x",
    "calibrate calibration/jiangxi-electronics.csv -S scenarios/jiangxi-trend.yaml"
    " --break output=20x",
    "calibrate calibration/jiangxi-electronics.csv -S scenarios/jiangxi-trend.yaml --factor f",
    "report scenarios/example.yaml --scenario scenarios/example.yaml --out {tmp}/r.html",
    "export scenarios/example.yaml --central --xlsx {tmp}/plan.xls",
    "import {tmp}/plan.xlsx --out {tmp}/no/such/dir/x.yaml",
    "sweep --scenario {tmp}/missing.yaml -n 10 --out {tmp}/none",
    "discover {tmp}/sweep --target high_level_talents_120 --no-cart --html {tmp}/discover.html",
]


@pytest.fixture(scope="module")
def outputs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    tmp = tmp_path_factory.mktemp("zh")
    return {args: zh(args, tmp) for args in INVOCATIONS}


@pytest.mark.parametrize("args", INVOCATIONS)
def test_no_english_sentence_under_lang_zh(outputs: dict[str, str], args: str) -> None:
    text = outputs[args]
    assert re.search(r"[\u4e00-\u9fff]", text), text
    assert english_words(text) == [], (english_words(text), text)


def test_check_and_validate_lines_are_chinese(outputs: dict[str, str]) -> None:
    check = outputs["check scenarios/zhenjiang-2026.yaml -n 20 -s 1"]
    assert re.search(r"^35 个目标中 \d+ 个通过。$", check, flags=re.M), check
    assert "达成概率=" in check and "P(met)" not in check and "FAIL" not in check
    valid = outputs["validate scenarios/zhenjiang-2026.yaml --sources --audit"]
    assert "：有效：25 个集群、9 个集群组" in valid and "（继承链：" in valid


#: command lines click itself refuses (unknown option or command, missing argument, bad
#: value), and the Chinese message each must give
USAGE_ERRORS = [
    ("check --consistency scenarios/example.yaml --central", "错误：没有这个选项：--central"),
    ("run", "错误：缺少参数 'scenario'。"),
    ("run scenarios/example.yaml -n x", "错误：'--samples' / '-n' 的值无效：应为整数"),
    ("run scenarios/example.yaml -n 0", "错误：'--samples' / '-n' 的值无效：应不小于 1"),
    ("run scenarios/example.yaml --likely 2", "错误：'--likely' 的值无效：应不大于 1"),
    ("run scenarios/example.yaml --sample 3", "错误：没有这个选项：--sample（可用：--samples）"),
    ("run a.yaml b.yaml", "错误：多余的参数（b.yaml）"),
    ("runn", "错误：没有这个命令 'runn'；是否应为 'run'？"),
    ("run scenarios/example.yaml --format xls", "错误：'--format' / '-f' 的值无效："),
]


@pytest.mark.parametrize(("args", "expected"), USAGE_ERRORS)
def test_usage_errors_in_chinese(args: str, expected: str) -> None:
    for argv in ([*shlex.split(args), "--lang", "zh"], ["--lang", "zh", *shlex.split(args)]):
        res = runner.invoke(app, argv, terminal_width=200)
        assert res.exit_code == 2, res.output
        assert res.stderr.startswith("用法：clustersim"), res.stderr
        assert "' --help' 查看帮助。" not in res.stderr and "查看帮助。" in res.stderr
        last = res.stderr.strip().splitlines()[-1]
        assert last.startswith(expected), res.stderr
        assert english_words(last.split("：", 1)[1].replace("--", " --")) == [], last
    english = runner.invoke(app, shlex.split(args), terminal_width=200)
    assert "Usage: clustersim" in english.stderr and "\nError: " in english.stderr


def test_errors_follow_the_locale_and_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without --lang, a Chinese locale or ``lang = "zh"`` in the config makes the errors
    Chinese as it makes the tables and the help (they stayed English: the error path only
    looked at --lang); --lang en still wins."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CLUSTERSIM_CONFIG_DIR", str(tmp_path / "conf"))
    missing = ["run", "nothere.yaml"]
    zh_locale = runner.invoke(app, missing, env={"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
    assert zh_locale.exit_code == 2
    assert zh_locale.stderr == "错误：nothere.yaml: 找不到文件\n"
    en = runner.invoke(app, [*missing, "--lang", "en"], env={"LANG": "zh_CN.UTF-8", "LC_ALL": ""})
    assert en.stderr == "error: nothere.yaml: file not found\n"
    (tmp_path / "clustersim.toml").write_text('lang = "zh"\n', encoding="utf-8")
    by_config = runner.invoke(app, missing, env={"LANG": "en_US.UTF-8", "LC_ALL": ""})
    assert by_config.stderr == "错误：nothere.yaml: 找不到文件\n"
