"""Bad input under ``--lang zh`` and ``--json`` (issue 20): the same problems, in Chinese on
stderr, or as one JSON error document on stdout; exit 2 and nothing else either way."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from tests.scenario.test_errors_teach import FIVE, line_of
from typer.testing import CliRunner

from clustersim.cli import app

#: the JSON error document, as README.md ("Output files") documents it
ERROR_DOCUMENT: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "required": ["ok", "errors", "more"],
    "properties": {
        "ok": {"const": False},
        "more": {"type": "integer", "minimum": 0},
        "errors": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": [
                    "file",
                    "line",
                    "column",
                    "field",
                    "message",
                    "message_zh",
                    "hint",
                    "hint_zh",
                ],
                "properties": {
                    "file": {"type": ["string", "null"]},
                    "line": {"type": ["integer", "null"], "minimum": 1},
                    "column": {"type": ["integer", "null"], "minimum": 1},
                    "field": {"type": ["string", "null"]},
                    "message": {"type": "string", "minLength": 1},
                    "message_zh": {"type": "string", "minLength": 1},
                    "hint": {"type": ["string", "null"]},
                    "hint_zh": {"type": ["string", "null"]},
                },
            },
        },
    },
}

#: English words a Chinese message may hold besides ids: names of formats, encodings and
#: programs, and the YAML keys a fix names
ALLOWED = {"YAML", "UTF", "GBK", "GB", "Excel", "CSV", "Windows", "Tab", "kind", "unit"}


def english_words(text: str) -> set[str]:
    """The English words of a Chinese message line, outside its file and field path, quoted
    ids, ``key: value`` examples and the lists of allowed or known ids."""
    body = text.split(": ", 2)[-1] if text.startswith("错误：") else text
    body = re.sub(r"'[^']*'|\"[^\"]*\"", " ", body)
    body = re.sub(r"（(可用|已有)：[^）]*）", " ", body)
    body = re.sub(r"\b(end_year|base_year|unit: \S+)", " ", body)
    return {w for w in re.findall(r"[A-Za-z]{2,}", body) if w not in ALLOWED}


@pytest.fixture
def five(tmp_path: Path) -> Path:
    p = tmp_path / "five.yaml"
    p.write_text(FIVE, encoding="utf-8")
    return p


def test_validate_json_prints_the_error_document(five: Path) -> None:
    res = CliRunner().invoke(app, ["validate", str(five), "--json"])
    assert res.exit_code == 2
    assert res.stderr == ""
    doc = json.loads(res.stdout)
    jsonschema.Draft202012Validator(ERROR_DOCUMENT).validate(doc)
    lines = {e["field"]: e["line"] for e in doc["errors"]}
    assert lines["targets.gdp_big.metric"] == line_of(FIVE, "metric: gpd")
    assert lines['groups.emerging.clusters[2] ("materals")'] == line_of(FIVE, "materals")
    assert len(doc["errors"]) == 6 and doc["more"] == 0
    year = next(e for e in doc["errors"] if e["field"] == "targets.late.year")
    assert year["hint"].startswith("raise end_year to 2030")


@pytest.mark.parametrize(
    "args",
    [
        ["run", "{f}", "--json"],
        ["check", "{f}", "--json"],
        ["backtest", "{csv}", "--scenario", "{f}", "--until", "2024", "--json"],
    ],
)
def test_every_command_under_json_prints_errors_as_json(
    five: Path, tmp_path: Path, args: list[str]
) -> None:
    csv = tmp_path / "obs.csv"
    csv.write_text(
        "region,cluster,indicator,year,value,unit,source\nR,,gdp,2023,100,亿元,s\n", "utf-8"
    )
    argv = [a.format(f=five, csv=csv) for a in args]
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 2, res.output
    doc = json.loads(res.stdout)
    jsonschema.Draft202012Validator(ERROR_DOCUMENT).validate(doc)
    assert any(e["field"] == "region.gdp.grwth" for e in doc["errors"])


def test_validate_json_of_a_valid_file(tmp_path: Path) -> None:
    ok = Path(__file__).parents[1] / "hostile" / "corpus" / "ok.yaml"
    res = CliRunner().invoke(app, ["validate", str(ok), "--json"])
    assert res.exit_code == 0
    doc = json.loads(res.stdout)
    assert doc["ok"] is True and doc["errors"] == [] and doc["targets"] == 1


def test_errors_in_chinese_under_lang_zh(five: Path) -> None:
    res = CliRunner().invoke(app, ["validate", str(five), "--lang", "zh"])
    assert res.exit_code == 2 and res.stdout == ""
    lines = res.stderr.splitlines()
    assert len(lines) == 6
    assert all(ln.startswith(f"错误：{five}:") for ln in lines)
    for ln in lines:
        assert not english_words(ln), ln
    assert "将 end_year 提高到 2030" in res.stderr


@pytest.mark.parametrize(
    "text",
    [
        "id: a\nregion:\n\tgdp: 1\n",
        "id: a\nname: OK\n  base_year: 2023\n",
        "id: a\nname: {zh: a, en: b\nbase_year: 1\n",
        "id: a\nname: 'abc\n",
        "",
    ],
)
def test_yaml_errors_in_chinese_hold_no_english(tmp_path: Path, text: str) -> None:
    p = tmp_path / "s.yaml"
    p.write_text(text, encoding="utf-8")
    res = CliRunner().invoke(app, ["validate", str(p), "--lang", "zh"])
    assert res.exit_code == 2
    (line,) = res.stderr.splitlines()
    assert not english_words(line), line


def test_a_gbk_file_in_chinese(tmp_path: Path) -> None:
    p = tmp_path / "gbk.yaml"
    p.write_bytes("id: g\nname: 镇江\n".encode("gbk"))
    res = CliRunner().invoke(app, ["validate", str(p), "--lang", "zh"])
    assert res.exit_code == 2
    (line,) = res.stderr.splitlines()
    assert line.startswith(f"错误：{p}:2: ") and "另存为" in line
    assert not english_words(line), line


def test_commands_without_lang_take_the_default_language(tmp_path: Path) -> None:
    from clustersim.cli.errors import DEFAULT_LANG

    p = tmp_path / "empty.yaml"
    p.write_text("", encoding="utf-8")
    token = DEFAULT_LANG.set("zh")
    try:
        # sweep given no --lang
        res = CliRunner().invoke(app, ["sweep", str(p), "--out", str(tmp_path / "o")])
        explicit = CliRunner().invoke(app, ["validate", str(p), "--lang", "en"])
    finally:
        DEFAULT_LANG.reset(token)
    assert res.exit_code == 2 and res.stderr == f"错误：{p}:1: 文件为空\n"
    assert explicit.stderr == f"error: {p}:1: the file is empty\n"


def test_validate_explain_of_a_missing_path_follows_lang_and_json() -> None:
    """``validate --explain`` of a path the scenario does not have is an error like any
    other: in the command's --lang, and the JSON error document under --json."""
    ex = Path(__file__).resolve().parents[2] / "scenarios" / "example.yaml"
    cli = CliRunner()
    en = cli.invoke(app, ["validate", str(ex), "--explain", "regoin.gdp.base", "--lang", "en"])
    assert en.exit_code == 2
    assert en.stderr == (
        f"error: --explain regoin.gdp.base: no such path in {ex}; did you mean 'region'?\n"
    )
    zh = cli.invoke(app, ["validate", str(ex), "--explain", "targets.nope", "--lang", "zh"])
    assert zh.exit_code == 2
    assert zh.stderr == f"错误：--explain targets.nope：{ex} 中没有这个路径\n"
    js = cli.invoke(app, ["validate", str(ex), "--explain", "targets.nope", "--json"])
    assert js.exit_code == 2 and js.stderr == ""
    doc = json.loads(js.stdout)
    jsonschema.validate(doc, ERROR_DOCUMENT)
    (e,) = doc["errors"]
    assert e["message"] == f"--explain targets.nope: no such path in {ex}"
    assert e["message_zh"] == f"--explain targets.nope：{ex} 中没有这个路径"
    good = cli.invoke(app, ["validate", str(ex), "--explain", "region.gdp.base", "--json"])
    assert good.exit_code == 0
    (item,) = json.loads(good.stdout)["explain"]
    assert item["path"] == "region.gdp.base" and "example.yaml:" in item["origin"]
    ok = cli.invoke(app, ["validate", str(ex), "--explain", "region.gdp.base", "--lang", "zh"])
    assert ok.exit_code == 0 and "  来自 " in ok.stdout
