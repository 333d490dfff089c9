"""Errors that teach (issue 20): every problem of a file in one pass, each at the line of the
offending value, in English and Chinese, with a fix where one is obvious."""

from __future__ import annotations

from pathlib import Path

import pytest

from clustersim.errors import MAX_SHOWN, Problem, ScenarioError
from clustersim.i18n import problem_lines
from clustersim.scenario.loader import load_scenario

FIVE = """\
id: five
name: {zh: 五处错误, en: Five mistakes}
base_year: 2023
end_year: 2026
unit: 亿元
region:
  gdp: {base: 5264, grwth: 0.05}
clusters:
  equipment:
    name: 高端装备
    output: {base: 700亿, growth: 0.1}
  materials:
    name: 新材料
    output: {base: 600, growth: {kind: logistc, rate: 0.1}}
groups:
  emerging: {name: 新兴产业, clusters: [equipment, materals]}
targets:
  gdp_big:
    kind: level
    label: GDP
    year: 2026
    metric: gpd
    at_least: 6000
  late:
    kind: level
    label: 晚
    metric: gdp
    year: 2030
    at_least: 1
"""


def line_of(text: str, needle: str) -> int:
    """1-based line of the first line containing ``needle``."""
    return next(i for i, ln in enumerate(text.splitlines(), 1) if needle in ln)


def refused(tmp_path: Path, text: str | bytes, name: str = "s.yaml") -> ScenarioError:
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(p)
    return info.value


def by_field(exc: ScenarioError) -> dict[str, Problem]:
    return {p.field or "": p for p in exc.items}


def test_five_mistakes_are_reported_together_each_at_its_line(tmp_path: Path) -> None:
    exc = refused(tmp_path, FIVE)
    got = by_field(exc)
    expected = {
        "region.gdp.grwth": ("grwth", "did you mean 'growth'"),
        "clusters.equipment.output.base": ("700亿", "'700亿'"),
        "clusters.materials.output.growth": ("logistc", "did you mean 'logistic'"),
        'groups.emerging.clusters[2] ("materals")': ("materals", "did you mean 'materials'"),
        "targets.gdp_big.metric": ("metric: gpd", "unknown series 'gpd'"),
        "targets.late.year": ("year: 2030", "2030 is after the end of the projection"),
    }
    assert set(got) == set(expected), [p.text() for p in exc.items]
    for field, (needle, says) in expected.items():
        p = got[field]
        assert p.line == line_of(FIVE, needle), (field, p.line)
        assert p.file == str(tmp_path / "s.yaml")
        assert says in p.message, p.message
        assert p.message_zh and p.message_zh != p.message
    # in the order of their lines, one line of text each
    assert [p.line for p in exc.items] == sorted(p.line or 0 for p in exc.items)
    assert len(str(exc).splitlines()) == len(expected)


def test_obvious_fixes_are_suggested(tmp_path: Path) -> None:
    got = by_field(refused(tmp_path, FIVE))
    year = got["targets.late.year"]
    assert year.hint == "raise end_year to 2030 or move the target into 2023-2026"
    assert year.hint_zh is not None and "end_year 提高到 2030" in year.hint_zh
    unit = got["clusters.equipment.output.base"]
    assert unit.hint is not None and unit.hint.startswith("write 700 and set unit: 亿元")
    assert unit.hint_zh is not None and "写成 700" in unit.hint_zh
    assert "; write 700 and set unit" in unit.text("en")


def test_chinese_text_of_the_problems(tmp_path: Path) -> None:
    got = by_field(refused(tmp_path, FIVE))
    assert "未知字段；是否应为 'growth'？" in got["region.gdp.grwth"].text("zh")
    assert "未知集群 'materals'" in got['groups.emerging.clusters[2] ("materals")'].text("zh")
    assert "未知序列 'gpd'" in got["targets.gdp_big.metric"].text("zh")
    assert "2030 年晚于预测期末年" in got["targets.late.year"].text("zh")
    assert "应为数字" in got["clusters.equipment.output.base"].text("zh")


def test_a_series_unknown_in_a_metric_points_at_the_metric_line(tmp_path: Path) -> None:
    text = FIVE.replace("    metric: gpd\n", "    metric: sum(outptu, group=emergin)\n")
    got = by_field(refused(tmp_path, text))
    metric = [p for p in got.values() if p.field == "targets.gdp_big.metric"]
    assert metric  # both names are reported, each at the metric line
    probs = [p for p in refused(tmp_path, text).items if p.field == "targets.gdp_big.metric"]
    assert {p.line for p in probs} == {line_of(text, "metric: sum(")}
    assert any("did you mean 'output'" in p.message for p in probs)
    assert any("unknown group 'emergin'" in p.message for p in probs)
    assert line_of(text, "metric: sum(") != line_of(text, "gdp_big:")


def test_problems_are_capped_with_a_count_of_the_rest(tmp_path: Path) -> None:
    members = ", ".join(f"c{i}" for i in range(MAX_SHOWN + 5))
    text = FIVE.replace("[equipment, materals]", f"[{members}]")
    exc = refused(tmp_path, text)
    assert len(exc.items) == MAX_SHOWN + 5 + 5  # the 25 members and the 5 other mistakes
    en = problem_lines(exc, "en")
    assert len(en) == MAX_SHOWN + 1 and en[-1] == "... and 10 more problems"
    assert problem_lines(exc, "zh")[-1] == "……另有 10 个问题未列出"
    doc = exc.to_json()
    assert len(doc["errors"]) == MAX_SHOWN and doc["more"] == 10


@pytest.mark.parametrize(
    ("text", "line", "en", "zh"),
    [
        ("id: a\nregion:\n\tgdp: 1\n", 3, "line 3 uses a tab; indent with spaces", "制表符"),
        ("id: a\nname: OK\n  base_year: 2023\n", 3, "line 3 is indented", "缩进"),
        ("id: a\nname: {zh: a, en: b\nbase_year: 1\n", 3, "the { opened on line 2", "没有闭合"),
        ("id: a\nname: 'abc\n", 3, "the quote opened on line 2", "引号"),
    ],
)
def test_yaml_syntax_errors_are_said_for_people(
    tmp_path: Path, text: str, line: int, en: str, zh: str
) -> None:
    (p,) = refused(tmp_path, text).items
    assert p.line == line
    assert en in p.message and zh in p.message_zh
    assert "YAML syntax error" in p.message


GBK_YAML = "id: gbk\nname: {zh: 镇江市产业集群, en: Zhenjiang}\nbase_year: 2023\n"


def test_a_gbk_file_is_refused_with_its_line_and_how_to_save_as_utf8(tmp_path: Path) -> None:
    raw = GBK_YAML.encode("gbk")
    raw.decode("gb18030")  # valid GB18030 ...
    with pytest.raises(UnicodeDecodeError):
        raw.decode("utf-8")  # ... and not UTF-8
    (p,) = refused(tmp_path, raw).items
    assert p.line == 2  # the first Chinese label
    assert "not UTF-8" in p.message and "GBK/GB18030" in p.message
    assert p.hint is not None and "Save As" in p.hint and "UTF-8" in p.hint
    assert p.hint_zh is not None and "另存为" in p.hint_zh
    assert f"(byte {raw.index('镇'.encode('gbk'))})" in p.message


def test_bytes_that_are_neither_utf8_nor_gbk_are_refused_at_their_line(tmp_path: Path) -> None:
    raw = b"id: x\nname: ok\nnote: \xff\xfe\xff\n"
    with pytest.raises(UnicodeDecodeError):
        raw.decode("gb18030")
    (p,) = refused(tmp_path, raw).items
    assert p.line == 3 and "not UTF-8" in p.message and "GBK" not in p.message
    assert p.hint is not None and "UTF-8" in p.hint


def test_a_gbk_csv_is_refused_the_same_way(tmp_path: Path) -> None:
    from clustersim.analysis.observed import DataError, load_observed

    text = "region,cluster,indicator,year,value,unit,source\n镇江,,GDP,2019,800,亿元,统计年鉴\n"
    p = tmp_path / "gbk.csv"
    p.write_bytes(text.encode("gbk"))
    with pytest.raises(DataError) as info:
        load_observed(p)
    (prob,) = info.value.items
    assert prob.line == 2 and "GBK/GB18030" in prob.message and prob.hint


def test_utf8_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    ok = Path(__file__).parents[1] / "hostile" / "corpus" / "ok.yaml"
    p = tmp_path / "bom.yaml"
    p.write_bytes(b"\xef\xbb\xbf" + ok.read_bytes())
    assert load_scenario(p).id == "ok"
