"""The one table of user-facing words in Chinese and English, for the reports and the CLI.

Column names, status words, chart legends, titles, summary lines and the names of the
built-in series: every word the terminal tables, the HTML report, the charts and the
workbooks show comes from :data:`WORDS` (looked up with :func:`word`), from
:data:`SERIES_LABELS`, or from the scenario's own bilingual labels
(``name: {zh: ..., en: ...}``), so ``--lang zh|en`` switches all of them at once.

Standard library only at import time, so the command line reads it without loading the
scenario models.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, get_args

if TYPE_CHECKING:
    from clustersim.scenario.models import Scenario
    from clustersim.values.names import Label

__all__ = ["LANGS", "SERIES_LABELS", "WORDS", "Bi", "Lang", "bi", "series_label", "word"]

Lang = Literal["en", "zh"]
#: the languages of ``--lang``
LANGS: tuple[Lang, ...] = get_args(Lang)


@dataclass(frozen=True)
class Bi:
    """A text in Chinese and English (each falls back to the other when missing)."""

    zh: str
    en: str

    def text(self, lang: str) -> str:
        """The text in ``lang`` (``"zh"`` or ``"en"``)."""
        return self.zh if lang == "zh" else self.en

    def __add__(self, other: Bi) -> Bi:
        return Bi(self.zh + other.zh, self.en + other.en)


def bi(label: Label | Bi | None, default: str = "") -> Bi:
    """A scenario label (``str`` or ``{zh, en}``) as a :class:`Bi`."""
    # imported here: the scenario models (pydantic) are not needed to read the table
    from clustersim.values.names import label_text

    if isinstance(label, Bi):
        return label
    if label is None:
        return Bi(default, default)
    return Bi(label_text(label, "zh", default), label_text(label, "en", default))


#: every word of the terminal tables, charts, HTML report and workbooks, by message id:
#: ``Bi(Chinese, English)``; ``{name}`` fields are filled by :func:`word`
WORDS: Mapping[str, Bi] = {
    "target": Bi("目标", "target"),
    "id": Bi("编号", "id"),
    "year": Bi("年份", "year"),
    "status": Bi("状态", "status"),
    "value": Bi("预测值", "value"),
    "value_median": Bi("预测值（中位数）", "value (median)"),
    "goal": Bi("目标值", "goal"),
    "margin": Bi("差额", "margin"),
    "probability": Bi("达成概率", "P(met)"),
    "p5_p95": Bi("5%–95%分位", "p5–p95"),
    "required": Bi("所需增速", "required growth"),
    "required_series": Bi("所需增速对应序列", "required growth series"),
    "source": Bi("出处", "source"),
    "kind": Bi("类型", "kind"),
    "met": Bi("达成", "met"),
    "missed": Bi("未达成", "missed"),
    "to": Bi("至", "to"),
    "per_year": Bi("/年", "/yr"),
    "none_in_range": Bi("范围内无解", "none in range"),
    "aspirational": Bi("力争", "aspirational"),
    "binding": Bi("确保", "binding"),
    "joint_line": Bi(
        "联合目标 {id}（{targets}）：全部达成概率 {probability}",
        "joint goal {id} ({targets}): P(all met) {probability}",
    ),
    "strength_line": Bi(
        "{strength}目标：{met}/{n} 个达成", "{strength} targets: {met} of {n} met"
    ),
    "from_year_short": Bi("自{year}年", "from {year}"),
    "audit": Bi("假设审计", "audit"),
    "audit_to_target": Bi(
        "{path}：to_target 增长取目标值 {value} 与目标年份 {year}",
        "{path}: growth to_target set to the target's own value {value} and year {year}",
    ),
    "audit_rate": Bi(
        "{path}：增速 {rate} 等于目标增速", "{path}: growth rate {rate} equals the target rate"
    ),
    "audit_base": Bi(
        "{path}：基年值以目标值 {value} 为中心且不增长",
        "{path}: base centred on the target value {value} with no growth",
    ),
    "audit_no_spread": Bi(
        "各样本差额相同（{margin}），不确定性不影响结果",
        "the margin is the same in every sample ({margin}): uncertainty does not move it",
    ),
    "audit_plan": Bi("规划假设", "plan assumption"),
    "audit_none": Bi("没有目标由情景自身假设决定", "no target is decided by the scenario's own assumptions"),
    "median": Bi("中位数", "median"),
    "band50": Bi("50%区间", "50% band"),
    "band90": Bi("90%区间", "90% band"),
    "history": Bi("历史值", "history"),
    "goal_marker": Bi("目标", "goal"),
    "goal_path": Bi("目标路径", "goal path"),
    "target_year": Bi("目标年份", "target year"),
    "base_year": Bi("基年", "base year"),
    "targets": Bi("规划目标", "Plan targets"),
    "trajectories": Bi("关键指标走势", "Key series"),
    "cluster_output": Bi("产业集群规模", "Cluster output"),
    "sweep": Bi("参数扫描", "Sweep"),
    "sweep_probabilities": Bi("各目标达成概率", "Probability each target is met"),
    "sensitivity": Bi("敏感性（Sobol指数）", "Sensitivity (Sobol indices)"),
    "first_order": Bi("一阶指数 S1", "first order S1"),
    "total_order": Bi("总效应指数 ST", "total ST"),
    "parameter": Bi("参数", "parameter"),
    "samples": Bi("样本", "samples"),
    "seed": Bi("随机种子", "seed"),
    "plain_run": Bi("中心值情景（不抽样）", "central values (no sampling)"),
    "targets_met": Bi("{met}/{n} 个目标达成", "{met} of {n} targets met"),
    "generated": Bi("由 clustersim {version} 生成", "generated by clustersim {version}"),
    "horizon": Bi("预测期", "horizon"),
    "unit": Bi("单位", "unit"),
    "base": Bi("基年值", "base year"),
    "in_year": Bi("{year}年", "{year}"),
    "thresholds_title": Bi(
        "{year}年各集群产值与千亿级门槛",
        "Cluster output in {year} against the 1,000 / 5,000 / 10,000 亿 thresholds",
    ),
    "threshold": Bi("{value}亿：{count}个集群", "{value} 亿: {count} clusters"),
    "vs_year": Bi("（较{year}年）", "vs {year}"),
    "every_year": Bi("（每年）", "every year"),
    "no_chart": Bi("（无图）", "(no chart)"),
    "chart": Bi("图", "chart"),
    "read_me": Bi(
        "差额为正表示达成；所需增速是该序列自基年起需保持的年均增速（中心值情景），"
        "负值表示可容许的下降幅度。区间带为蒙特卡洛抽样的50%和90%分位区间。",
        "A positive margin means the target is met. Required growth is the constant annual "
        "rate, from the base year, that the named series would need to just meet the target "
        "(central values); a negative rate on a met target is the slack. Bands are the 50% and "
        "90% ranges over Monte Carlo samples.",
    ),
    "from_results": Bi("结果目录", "results directory"),
    "no_scenario_note": Bi(
        "未提供情景文件：图中不标注目标；加 --scenario 文件可显示目标标记和双语名称。",
        "No scenario file given: charts carry no target markers; pass --scenario FILE for "
        "target markers and bilingual names.",
    ),
    "sweep_only_note": Bi(
        "该目录只有参数扫描汇总（summary.json）。",
        "This directory holds a sweep summary (summary.json) only.",
    ),
    "method": Bi("方法", "method"),
    "series": Bi("指标", "series"),
    "cluster": Bi("集群", "cluster"),
    "stat": Bi("统计量", "stat"),
    "all_met": Bi("全部目标同时达成的概率", "probability all targets are met"),
    "factors": Bi("扫描参数", "swept factors"),
    # the terminal tables and summary lines of ``clustersim run``
    "run_title_samples": Bi(
        "，{samples:,} 个样本（随机种子 {seed}）", ", {samples:,} samples (seed {seed})"
    ),
    "value_terminal": Bi("预测值", "value"),
    "value_median_terminal": Bi("预测值", "value (median)"),
    "p5_p95_terminal": Bi("5%-95%分位", "p5-p95"),
    "key_series": Bi("关键指标", "key series"),
    "median_suffix": Bi("（中位数）", " (median)"),
    "run_targets_met": Bi("{n} 个目标中 {met} 个达成。", "{met} of {n} targets met."),
}


def word(key: str, lang: str, **fmt: object) -> str:
    """The word with message id ``key`` in ``lang`` (``"zh"`` or ``"en"``), formatted with ``fmt``.

    >>> word("targets_met", "en", met=3, n=4)
    '3 of 4 targets met'
    """
    text = WORDS[key].text(lang)
    return text.format(**fmt) if fmt else text


#: names of the built-in series (see docs/scenario-format.md §11)
SERIES_LABELS: dict[str, Bi] = {
    "gdp": Bi("地区生产总值", "GDP"),
    "population": Bi("常住人口", "Population"),
    "industrial_output": Bi("规上工业产值", "Above-scale industrial output"),
    "rd_rest": Bi("集群外研发投入", "R&D outside the clusters"),
    "energy_rest": Bi("集群外能源消费", "Energy use outside the clusters"),
    "rd_total": Bi("全社会研发投入", "R&D spending"),
    "energy_total": Bi("能源消费总量", "Energy use"),
    "rd_intensity": Bi("研发投入强度（占GDP比重）", "R&D intensity (share of GDP)"),
    "energy_intensity": Bi("单位GDP能耗", "Energy per unit of GDP"),
    "cluster_output": Bi("集群产值合计", "Cluster output, total"),
    "output": Bi("产值", "Output"),
    "value_added": Bi("增加值", "Value added"),
    "va_ratio": Bi("增加值率", "Value-added ratio"),
    "rd": Bi("研发投入", "R&D spending"),
    "rd_share": Bi("研发投入占产值比重", "R&D share of output"),
    "rd_own": Bi("研发投入", "R&D spending"),
    "energy_per_va": Bi("单位增加值能耗", "Energy per value added"),
    "energy": Bi("能源消费", "Energy use"),
    "entries": Bi("新进入企业数", "Firm entries"),
    "firms": Bi("企业数", "Firms"),
}


def series_label(name: str, scenario: Scenario | None = None) -> Bi:
    """The bilingual name of a series: a metric's label, an indicator's name, a built-in
    series name, ``<indicator>_flow`` as the indicator's annual flow, else the id."""
    if scenario is not None:
        m = scenario.metrics.get(name)
        if m is not None and m.label is not None:
            return bi(m.label)
        ind = scenario.indicators.get(name)
        if ind is not None:
            return bi(ind.name)
        if name.endswith("_flow") and name[: -len("_flow")] in scenario.indicators:
            parent = bi(scenario.indicators[name[: -len("_flow")]].name)
            return parent + Bi("（年度新增）", " (annual flow)")
        grp = scenario.groups.get(name)
        if grp is not None:
            return bi(grp.name)
    if name in SERIES_LABELS:
        return SERIES_LABELS[name]
    return Bi(name, name)
