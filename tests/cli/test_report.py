"""The report, plot, export and import commands in process: exit codes, messages, files;
``--lang`` in the terminal table."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from clustersim.cli import app

runner = CliRunner()


@pytest.mark.parametrize("command", ["report", "plot", "export", "import"])
def test_help_has_examples(command):
    res = runner.invoke(app, [command, "--help"])
    assert res.exit_code == 0
    assert "Examples:" in res.output and f"clustersim {command} " in res.output


def test_report_and_plot_write_their_files(example_path, tmp_path):
    res = runner.invoke(
        app,
        [
            "report",
            str(example_path),
            "-n",
            "100",
            "-s",
            "1",
            "--out",
            str(tmp_path / "r.html"),
            "--lang",
            "zh",
        ],
    )
    assert res.exit_code == 0, res.output
    # a Monte Carlo run's statuses come from P(met), as in run, and are said in Chinese
    assert res.stdout.startswith("蒙特卡洛：100 个样本（随机种子 1）")
    assert "13 个目标中" in res.output and "已写入" in res.output
    assert (tmp_path / "r.html").stat().st_size > 50_000
    res = runner.invoke(
        app, ["plot", str(example_path), "--out", str(tmp_path / "c"), "--format", "png"]
    )
    assert res.exit_code == 0, res.output
    pngs = sorted(p.name for p in (tmp_path / "c").iterdir())
    assert "series-gdp.png" in pngs and "clusters-output.png" in pngs
    assert all(p.endswith(".png") for p in pngs)


def test_bad_input_is_one_error_line_exit_2_and_nothing_written(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "id: bad\nname: Bad\nbase_year: 2023\nend_year: 2026\nregion:\n  gdp: {base: 1, grwth: 0.05}\n"
    )
    for args in (
        ["report", str(bad), "--out", str(tmp_path / "r.html")],
        ["plot", str(bad), "--out", str(tmp_path / "c")],
        ["export", str(bad), "--xlsx", str(tmp_path / "x.xlsx")],
    ):
        res = runner.invoke(app, args)
        assert res.exit_code == 2, res.output
        assert "error: " in res.output and "region.gdp.grwth: unknown field" in res.output
        assert "Traceback" not in res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["report", "{ex}", "--out", "{tmp}/r.html", "--lang", "fr"],
            "'fr' is not one of 'en', 'zh'",
        ),
        (
            ["plot", "{ex}", "--out", "{tmp}/c", "--format", "png,gif"],
            "--format: 'gif' is not one of png, svg",
        ),
        (["export", "{ex}", "--xlsx", "{tmp}/plan.xls"], "the file name must end in .xlsx"),
        (["report", "{tmp}/nowhere.yaml", "--out", "{tmp}/r.html"], "no such file or directory"),
        (["report", "{tmp}", "--out", "{tmp}/r.html"], "no trajectories.parquet"),
        (
            ["report", "{ex}", "--scenario", "{ex}", "--out", "{tmp}/r.html"],
            "--scenario goes with a results directory",
        ),
    ],
)
def test_option_errors(example_path, tmp_path, args, message):
    argv = [a.format(ex=example_path, tmp=tmp_path) for a in args]
    res = runner.invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert message in res.output and "Traceback" not in res.output
    assert not (tmp_path / "r.html").exists()


def test_export_then_import_round_trip_by_the_cli(example_path, tmp_path):
    xlsx, out = tmp_path / "plan.xlsx", tmp_path / "plan.yaml"
    res = runner.invoke(app, ["export", str(example_path), "--xlsx", str(xlsx), "--no-results"])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["import", str(xlsx), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "5 clusters, 3 groups, 3 indicators, 13 targets" in res.output
    res = runner.invoke(app, ["validate", str(out)])
    assert res.exit_code == 0, res.output


def test_terminal_table_follows_lang(example_path):
    zh = runner.invoke(
        app, ["run", str(example_path), "-n", "50", "-s", "1", "--lang", "zh"]
    ).output
    en = runner.invoke(
        app, ["run", str(example_path), "-n", "50", "-s", "1", "--lang", "en"]
    ).output
    for w in ("目标", "状态", "达成概率", "所需增速", "关键指标", "地区生产总值", "个样本", "/年"):
        assert w in zh, w
    assert "不太可能达成" in zh and "unlikely" not in zh and "key series" not in zh
    assert "/yr" not in zh and "4 至 5" in zh
    for w in (
        "target",
        "status",
        "P(met)",
        "required growth",
        "key series",
        "samples",
        "/yr",
        "4 to 5",
    ):
        assert w in en, w
    # target labels from the scenario's bilingual names (the label column may fold them)
    assert "研发投入占GDP" in zh and "R&D spending" in en and "R&D spending" not in zh


# --- the honest default of run: Monte Carlo when the scenario has uncertain numbers ----------


def test_report_plot_export_run_monte_carlo_by_default_and_print_the_seed(example_path, tmp_path):
    """Without --samples the scenario (it has uncertain numbers) is run as 'clustersim run'
    runs it: 1,000 samples, a fresh seed printed; --central is the one central path."""
    res = runner.invoke(app, ["report", str(example_path), "--out", str(tmp_path / "r.html")])
    assert res.exit_code == 0, res.output
    first = res.stdout.splitlines()[0]
    assert first.startswith("Monte Carlo: 1,000 samples (seed ") and "status from P(met)" in first
    assert "targets likely," in res.stdout
    seed = int(first.split("(seed ")[1].split(")")[0])
    # the printed seed repeats the run: the same page
    again = runner.invoke(
        app, ["report", str(example_path), "-s", str(seed), "--out", str(tmp_path / "s.html")]
    )
    assert again.stdout.splitlines()[0] == first

    def page(name: str) -> bytes:  # the embedded font subset carries a timestamp
        return re.sub(
            rb"font/[a-z0-9]+;base64,[A-Za-z0-9+/=]+", b"", (tmp_path / name).read_bytes()
        )

    assert page("r.html") == page("s.html")
    central = runner.invoke(
        app, ["report", str(example_path), "--central", "--out", str(tmp_path / "c.html")]
    )
    assert central.stdout.startswith("central path: ")
    assert "of 13 targets met." in central.stdout
    zh = runner.invoke(
        app,
        [
            "plot",
            str(example_path),
            "--central",
            "--lang",
            "zh",
            "-f",
            "png",
            "-o",
            str(tmp_path / "p"),
        ],
    )
    assert zh.exit_code == 0, zh.output
    assert zh.stdout.startswith("中心路径：")
    iamc = runner.invoke(
        app, ["export", str(example_path), "-s", "3", "--iamc", str(tmp_path / "x.csv")]
    )
    assert iamc.stdout.startswith("Monte Carlo: 1,000 samples (seed 3)")
    n = runner.invoke(
        app, ["export", str(example_path), "-n", "20", "-s", "3", "--iamc", str(tmp_path / "y.csv")]
    )
    assert n.stdout.startswith("Monte Carlo: 20 samples (seed 3)")
