"""One CLI look (issue 20 part 5): every table through the one renderer, choices from
Enums, --version, completion, -v/-q, the help in Chinese, sweep --scenario."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console
from tests.cli.test_defaults import EXPECTED_P, UNI
from typer.testing import CliRunner

import clustersim
from clustersim.cli import app
from clustersim.cli._common import EngineChoice, Format, Lang, StatusFrom
from clustersim.cli.render import grid_table
from clustersim.engines import ENGINE_CHOICES
from clustersim.formats import FORMATS
from clustersim.grid import Grid
from clustersim.i18n import LANGS

SRC = Path(clustersim.__file__).resolve().parent
runner = CliRunner()

# --- one renderer ------------------------------------------------------------------------------


def test_no_table_is_padded_by_hand_outside_the_renderer() -> None:
    assert not (SRC / "sweep" / "progress.py").exists()  # the hand-written progress bar
    text = (SRC / "analysis" / "text.py").read_text(encoding="utf-8")
    assert "def format_table" not in text and "east_asian_width" not in text
    for path in SRC.rglob("*.py"):
        rel = path.relative_to(SRC).as_posix()
        src = path.read_text(encoding="utf-8")
        if rel != "report/charts.py":  # wraps chart labels, prints no table
            assert "east_asian_width" not in src, rel
        if not rel.startswith(("cli/", "report/")):
            # f-string padding to a computed width is a hand-made column
            assert not re.search(r":[<>]\{", src), rel


def test_a_grid_with_chinese_cells_keeps_its_columns_straight() -> None:
    console = Console(width=60, record=True, color_system=None)
    grid = Grid(("name", "n"), (("江西省电子信息", "3"), ("gdp", "12")), "lr")
    console.print(grid_table(grid))
    lines = [ln for ln in console.export_text().splitlines() if ln.strip()]
    widths = {cell_len(ln) for ln in lines}
    assert len(widths) == 1, lines  # every line as wide, CJK characters counted twice
    row = next(ln for ln in lines if "江西" in ln)
    gdp = next(ln for ln in lines if "gdp" in ln)
    # the right-aligned column ends in the same terminal cell on both rows
    assert cell_len(row[: row.index("3") + 1]) == cell_len(gdp[: gdp.index("12") + 2])


def test_grid_rows_must_match_the_headers() -> None:
    with pytest.raises(ValueError, match="row 1 has 1 cells for 2 columns"):
        Grid(("a", "b"), (("x",),))


# --- choices, version, completion, logging -----------------------------------------------------


def test_each_enum_is_its_registry() -> None:
    assert tuple(Lang) == LANGS
    assert tuple(Format) == FORMATS
    assert tuple(EngineChoice) == tuple(ENGINE_CHOICES)
    assert {s.value for s in StatusFrom} == {"probability", "median"}


@pytest.mark.parametrize(
    ("command", "choices"),
    [
        ("run", ["parquet|csv|json", "en|zh", "probability|median"]),
        ("sweep", ["auto|numpy|numba|projection"]),
        ("report", ["en|zh"]),
    ],
)
def test_help_lists_the_choices(command: str, choices: list[str]) -> None:
    res = runner.invoke(app, [command, "--help"], terminal_width=200)
    assert res.exit_code == 0, res.output
    for c in choices:
        assert c in res.output, c


def test_version() -> None:
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0
    assert res.stdout.strip() == f"clustersim {clustersim.__version__}"


def test_shell_completion_is_on() -> None:
    res = runner.invoke(app, ["--help"])
    assert "--install-completion" in res.output and "--show-completion" in res.output


def test_verbose_logs_the_settings_and_quiet_does_not(tmp_path: Path) -> None:
    p = tmp_path / "uni.yaml"
    p.write_text(UNI, encoding="utf-8")
    loud = runner.invoke(app, ["-v", "run", str(p), "--central", "--json"])
    assert loud.exit_code == 0, loud.output
    assert "INFO: settings: built-in defaults (no config file)" in loud.stderr
    json.loads(loud.stdout)  # the log goes to stderr, stdout stays one JSON document
    plain = runner.invoke(app, ["run", str(p), "--central", "--json"])
    quiet = runner.invoke(app, ["-q", "run", str(p), "--central", "--json"])
    assert "INFO" not in plain.stderr and "INFO" not in quiet.stderr



@pytest.mark.parametrize("where", ["root", "command"])
def test_verbose_log_levels_are_chinese_under_lang_zh(tmp_path: Path, where: str) -> None:
    p = tmp_path / "uni.yaml"
    p.write_text(UNI, encoding="utf-8")
    args = ["-v", "run", str(p), "--central", "--json"]
    args = ["--lang", "zh", *args] if where == "root" else [*args, "--lang", "zh"]
    loud = runner.invoke(app, args)
    assert loud.exit_code == 0, loud.output
    assert "信息：设置：内置默认值（没有配置文件）" in loud.stderr
    assert "INFO" not in loud.stderr


def test_every_log_level_has_its_chinese_prefix() -> None:
    from clustersim.cli import _logging
    from clustersim.cli._common import log

    _logging(logging.DEBUG, "zh")
    formatter = log.handlers[0].formatter
    assert formatter is not None
    for level, zh in [(logging.DEBUG, "调试"), (logging.INFO, "信息"), (logging.WARNING, "警告")]:
        record = logging.LogRecord("clustersim", level, __file__, 1, "x %s", ("y",), None)
        assert formatter.format(record) == f"{zh}：x y"
        assert record.levelname == logging.getLevelName(level)  # the record itself untouched
    _logging(logging.DEBUG, "en")
    formatter = log.handlers[0].formatter
    assert formatter is not None
    record = logging.LogRecord("clustersim", logging.DEBUG, __file__, 1, "x", None, None)
    assert formatter.format(record) == "DEBUG: x"
    _logging(logging.WARNING)

# --- --help in Chinese -------------------------------------------------------------------------

#: English words that must not appear in Chinese help (ids, option names, file names, the
#: values of choices and the examples' command lines are taken out first)
ENGLISH = {
    "the", "of", "and", "or", "to", "a", "an", "in", "for", "with", "when", "each", "every",
    "this", "that", "show", "message", "exit", "usage", "options", "arguments", "commands",
    "default", "required", "write", "print", "file", "files", "number", "numbers", "samples",
    "seed", "language", "target", "targets", "else", "only", "also", "integer", "float",
    "text", "range", "path", "directory", "output", "growth", "install", "completion",
    "version", "shell", "labels", "messages", "central", "uncertain", "likely", "unlikely",
    "status", "sweep", "scenario", "year", "years", "chart", "charts", "report",
}


def english_words(help_text: str) -> set[str]:
    kept = []
    for line in help_text.splitlines():
        if line.strip().startswith(("clustersim ", "#", "error:", "--", "-w")):
            continue  # an example command line, a comment, a quoted error line
        kept.append(line)
    text = "\n".join(kept)
    text = re.sub(r"clustersim \w+", " ", text)  # command names
    text = re.sub(r"`[^`]*`", " ", text)  # quoted ids (column names)
    text = re.sub(r"(?m)^  [a-z]+(?=\s{2,}|\s*<)", " ", text)  # a command or argument name
    text = re.sub(r"<[^>]*\|[^>]*>|\{[^}]*\}|\[[^\]]*[:|][^\]]*\]", " ", text)  # choices, ids
    text = re.sub(r"--?[\w-]+(/--?[\w-]+)?", " ", text)  # option names
    text = re.sub(r"\S*[/._=\[\]]\S*", " ", text)  # paths, dotted ids, SERIES=KIND
    text = re.sub(r"\b[A-Z]{2,}\b", " ", text)  # placeholders: SCENARIO, YEAR, DATA
    words = {w.lower() for w in re.findall(r"[A-Za-z]+", text)}
    return words & ENGLISH


@pytest.mark.parametrize(
    "command", ["run", "check", "validate", "schema", "calibrate", "backtest", "bench",
                "report", "plot", "export", "import", "sweep", "serve"],
)
def test_zh_help_has_no_english_words(command: str) -> None:
    res = runner.invoke(app, ["--lang", "zh", command, "--help"], terminal_width=100)
    assert res.exit_code == 0, res.output
    assert "用法" in res.output and "选项" in res.output
    assert english_words(res.output) == set(), res.output


def test_zh_help_of_the_app() -> None:
    res = runner.invoke(app, ["--lang", "zh", "--help"], terminal_width=100)
    assert res.exit_code == 0, res.output
    assert "逐年预测地区产业集群并检查规划目标" in res.output
    assert english_words(res.output) == set(), res.output


def test_run_help_in_chinese_under_lang_zh_and_a_chinese_locale() -> None:
    by_option = runner.invoke(app, ["--lang", "zh", "run", "--help"]).output
    by_locale = runner.invoke(app, ["run", "--help"], env={"LANG": "zh_CN.UTF-8"}).output
    for out in (by_option, by_locale):
        assert "逐年预测情景 SCENARIO 并列出每个目标的状态" in out
        assert "每个不确定参数的蒙特卡洛样本数" in out
        assert "Project SCENARIO" not in out
    english = runner.invoke(app, ["run", "--help"]).output
    assert "Project SCENARIO year by year" in english and "用法" not in english


def test_run_help_in_chinese_when_the_config_says_zh(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clustersim.toml").write_text('lang = "zh"\n', encoding="utf-8")
    assert "逐年预测情景" in runner.invoke(app, ["run", "--help"]).output
    # the command line wins over the config
    assert "Project SCENARIO" in runner.invoke(app, ["--lang", "en", "run", "--help"]).output


def test_every_help_text_of_the_app_comes_from_the_table() -> None:
    """Each option's help, in English, is a ``help_*`` message (so it has a Chinese one)."""
    import typer

    from clustersim.cli._common import help_index

    index = help_index()
    group = typer.main.get_command(app)
    missing = []
    for name, cmd in group.commands.items():
        for p in cmd.params:
            text = getattr(p, "help", None)
            if text and text not in index:
                missing.append(f"{name} {p.name}: {text}")
    assert not missing


# --- sweep --scenario --------------------------------------------------------------------------


def test_sweep_scenario_runs_a_plain_monte_carlo(tmp_path: Path) -> None:
    sc = tmp_path / "uni.yaml"
    sc.write_text(UNI, encoding="utf-8")
    out = tmp_path / "out"
    res = runner.invoke(
        app, ["sweep", "--scenario", str(sc), "-n", "2000", "-s", "3", "-w", "1", "--out", str(out)]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert doc["method"] == "monte_carlo" and doc["samples"] == 2000 and doc["seed"] == 3
    got = {t["id"]: t["probability"] for t in doc["targets"]}
    for tid, p in EXPECTED_P.items():  # (0.2 - g) / 0.2, within 5 sd of 2,000 samples
        assert abs(got[tid] - p) < 0.04, tid


def test_sweep_needs_a_file_or_scenario(tmp_path: Path) -> None:
    res = runner.invoke(app, ["sweep", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "give a sweep file or --scenario FILE" in res.output and "Traceback" not in res.output


def test_a_scenario_given_as_sweep_file_says_so(tmp_path: Path) -> None:
    sc = tmp_path / "uni.yaml"
    sc.write_text(UNI, encoding="utf-8")
    out = tmp_path / "o"
    res = runner.invoke(app, ["sweep", str(sc), "--out", str(out)])
    assert res.exit_code == 2
    lines = [ln for ln in res.output.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1, res.output  # one line, not one per unknown key
    assert f"{sc}: this is a scenario file, not a sweep file" in lines[0]
    assert f"clustersim sweep --scenario {sc} -n SAMPLES" in lines[0]
    assert not out.exists()
    # sweep has --lang: the line is in the chosen language (both were printed before it had)
    zh = runner.invoke(app, ["sweep", str(sc), "--out", str(out), "--lang", "zh"])
    assert zh.stderr == f"错误：{sc}: " + (
        f"这是情景文件，不是参数扫描文件（对情景做蒙特卡洛请用 clustersim sweep --scenario {sc} "
        "-n 样本数）\n"
    )


def test_the_script_chooses_chinese_before_the_root_help(tmp_path: Path) -> None:
    """``clustersim --help`` under a Chinese locale: the script decides the language before
    click prints the top-level page (no command callback runs for it)."""
    import os
    import subprocess
    import sys

    env = {
        **os.environ,
        "LANG": "zh_CN.UTF-8",
        "CLUSTERSIM_CONFIG_DIR": str(tmp_path),
        "PYTHONPATH": str(SRC.parent),  # this clustersim, whichever one is installed
    }
    env.pop("LC_ALL", None)
    proc = subprocess.run(
        [sys.executable, "-m", "clustersim.cli", "--help"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("用法：clustersim [选项]")
    assert "逐年预测地区产业集群并检查规划目标" in proc.stdout
    assert english_words(proc.stdout) == set()
