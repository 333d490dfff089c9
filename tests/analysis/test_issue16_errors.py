"""Errors of discover, check --consistency, decompose and export --iamc in both languages:
one ``error:`` line (``错误：`` in Chinese) through ``fail()``, exit 2, no English left in
the Chinese line but the names the user typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from clustersim.cli import app

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = str(ROOT / "scenarios" / "example.yaml")


def _cases(tmp: Path) -> list[tuple[list[str], str, str]]:
    nowhere = str(tmp / "nowhere.yaml")
    return [
        (
            ["discover", str(tmp)],
            f"{tmp}: not a sweep's output directory (no manifest.json or samples/)",
            f"{tmp}：不是参数扫描的输出目录（没有 manifest.json 或 samples/）",
        ),
        (
            ["discover", str(tmp), "-t", "x", "--all-met"],
            "--target and --all-met: give one of them",
            "--target 与 --all-met 只能给出其一",
        ),
        (
            ["discover", str(tmp), "--cases", "maybe"],
            "--cases: 'maybe' is not one of missed, met",
            "--cases：'maybe' 不是可选值（可选：missed, met）",
        ),
        (
            ["check", "--consistency", nowhere],
            f"{nowhere}: file not found",
            f"{nowhere}: 找不到文件",
        ),
        (
            ["decompose", nowhere],
            f"{nowhere}: no such file or directory",
            f"{nowhere}：没有这个文件或目录",
        ),
        (
            ["decompose", EXAMPLE, "--metric", "foo"],
            "--metric: 'foo' is not one of energy_intensity, rd_intensity",
            "--metric：'foo' 不是可选值（可选：energy_intensity, rd_intensity）",
        ),
        (
            ["decompose", EXAMPLE, "--from", "1990"],
            "--from/--to: 1990-2030 is not a window of the projection 2023-2030",
            "--from/--to：1990-2030 不是预测期 2023-2030 之内的窗口",
        ),
        (
            ["export", EXAMPLE, "--iamc", str(tmp / "x.txt")],
            f"--iamc: {tmp / 'x.txt'}: the file name must end in .csv or .xlsx",
            f"--iamc：{tmp / 'x.txt'}：文件名须以 .csv 或 .xlsx 结尾",
        ),
        (
            ["export", EXAMPLE, "--iamc", str(tmp / "no" / "x.csv")],
            f"--iamc: {tmp / 'no'}: no such directory",
            f"--iamc：{tmp / 'no'}：没有这个目录",
        ),
        (
            ["export", EXAMPLE, "--iamc", str(tmp / "x.csv"), "--xlsx", str(tmp / "y.xlsx")],
            "--xlsx and --iamc: give one of them",
            "--xlsx 与 --iamc 只能给出其一",
        ),
    ]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_errors_in_both_languages(tmp_path: Path, lang: str) -> None:
    for args, en, zh in _cases(tmp_path):
        res = runner.invoke(app, [*args, "--lang", lang])
        assert res.exit_code == 2, (args, res.output)
        want = ("error: " + en) if lang == "en" else ("错误：" + zh)
        assert res.stderr.startswith(want), (args, res.stderr)
        assert len(res.stderr.strip().splitlines()) == 1 and "Traceback" not in res.output


def test_json_error_document_carries_both(tmp_path: Path) -> None:
    import json

    res = runner.invoke(app, ["discover", str(tmp_path), "--all-met", "--json"])
    assert res.exit_code == 2
    (err,) = json.loads(res.stdout)["errors"]
    assert err["message"].startswith(f"{tmp_path}: not a sweep's output directory")
    assert err["message_zh"].startswith(f"{tmp_path}：不是参数扫描的输出目录")
