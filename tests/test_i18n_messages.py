"""Every message in both languages (issue 20): each message id the code uses is in the one
table with Chinese and English; each English message raised where it happens has its Chinese
in :data:`clustersim.i18n.TRANSLATIONS`; the hostile corpus is refused in Chinese under
``--lang zh`` with no English words outside ids, file names and format keywords."""

from __future__ import annotations

import ast
import os
import re
import string
from pathlib import Path

import pytest
import yaml

from clustersim.i18n import TRANSLATIONS, WORDS, translate

SRC = Path(__file__).resolve().parents[1] / "src" / "clustersim"
CORPUS = Path(__file__).resolve().parent / "hostile" / "corpus"
CJK = re.compile(r"[\u4e00-\u9fff]")


def _used_keys() -> set[tuple[str, str]]:
    """``(file, key)`` of every ``msg("key")`` / ``word("key", ...)`` call with a literal key."""
    out: set[tuple[str, str]] = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Name)
                and node.func.id in ("msg", "word")
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                out.add((path.name, node.args[0].value))
    return out


def test_every_message_id_used_is_in_the_table_in_both_languages() -> None:
    used = _used_keys()
    assert len(used) > 50  # the scan sees the calls
    missing = sorted((f, k) for f, k in used if k not in WORDS)
    assert not missing
    for _, key in used:
        assert CJK.search(WORDS[key].zh) or not re.search("[A-Za-z]{4,}", WORDS[key].zh), key


@pytest.mark.parametrize("i", range(len(TRANSLATIONS)))
def test_every_translation_is_chinese_with_the_patterns_fields(i: int) -> None:
    pattern, zh = TRANSLATIONS[i]
    assert CJK.search(zh), zh
    fields = {name for _, name, _, _ in string.Formatter().parse(zh) if name}
    assert fields <= set(pattern.groupindex), (pattern.pattern, fields)


def test_translate_fills_fields_and_keeps_unknown_text() -> None:
    assert (
        translate("duplicate key 'a.b' (first at line 3)") == "重复的键 'a.b'（首次出现在第 3 行）"
    )
    assert (
        translate("unknown series 'gpd'; did you mean 'gdp'? (known: gdp, output)")
        == "未知序列 'gpd'；是否应为 'gdp'？（已有：gdp, output）"
    )
    assert translate("-2 is not allowed: a growth rate must be above -100% (got -2)") == (
        "-2 不允许：增速须大于 -100%（实际为 -2）"
    )
    assert translate("b.yaml:7: clusters: a key must be plain text, not a mapping or list") == (
        "b.yaml:7: clusters: 键必须是文字，不能是映射或列表"
    )
    assert translate("s.yaml:12: clusters.a.output.growth.capacity: the capacity must be > 0") == (
        "s.yaml:12: clusters.a.output.growth.capacity: 容量（capacity）须大于 0"
    )
    assert translate("something new") == "something new"


#: words of the scenario format a Chinese message names as they are written in a file
FORMAT_WORDS = {
    "extends",
    "base",
    "growth",
    "kind",
    "path",
    "linear",
    "to_target",
    "unit",
    "gdp",
    "output",
    "cluster",
    "group",
    "sum",
    "mean",
    "min",
    "max",
    "inf",
    "nan",
    "NUL",
    "YAML",
    "UTF",
    "Excel",
    "CSV",
    "Windows",
    "Tab",
    "metrics",
    "end_year",
    "base_year",
}


def english_words(line: str) -> list[str]:
    """English in an error line outside its location and field, file names, paths, ids,
    quoted values and the format's own words."""
    line = re.sub(r"^(错误：|error: )", "", line)
    line = re.sub(r"\S+?:\d+(:\d+)?: (?:[\w.\[\]]+: )?", " ", line)  # FILE:LINE: field:
    line = re.sub(r"'[^']*'|\"[^\"]*\"", " ", line)
    line = re.sub(r"\S*[_./\\\[\]*&]\S*|\S+:\d\S*", " ", line)
    return [w for w in re.findall(r"[A-Za-z]{2,}", line) if w not in FORMAT_WORDS]


def _yaml_cases() -> list[str]:
    cases = yaml.safe_load((CORPUS.parent / "cases.yaml").read_text(encoding="utf-8"))
    return [c[0] for c in cases["run"] if len(c) == 4 and "fifo" not in c[0]]


@pytest.mark.parametrize("name", _yaml_cases())
def test_the_hostile_corpus_is_refused_in_chinese(name: str) -> None:
    from typer.testing import CliRunner

    from clustersim.cli import app

    cwd = os.getcwd()
    os.chdir(CORPUS)
    try:
        res = CliRunner().invoke(app, ["validate", name, "--lang", "zh"])
        en = CliRunner().invoke(app, ["validate", name])
    finally:
        os.chdir(cwd)
    assert res.exit_code == 2
    first = res.stderr.splitlines()[0]
    assert first.startswith(f"错误：{name}"), first
    assert CJK.search(first.split(": ", 1)[-1]), first
    assert not english_words(first), first
    # the check sees English where there is some: the same refusal in English
    assert english_words(en.stderr.splitlines()[0])
