"""The Chinese report (issue 20): no English left in its text or its charts outside ids,
units and a short allow-list, and sources named by their documents' titles, not by file."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from tests.report.conftest import ROOT, run_of

import clustersim as cs
from clustersim.i18n import SEED_DOCUMENTS, source_text

pytest.importorskip("matplotlib")

#: the plan scenarios (the tutorial ``example.yaml`` is written in English on purpose)
PLANS = ["zhenjiang-2026.yaml", "shenzhen-2025.yaml", "ezhou-2029.yaml", "jiangxi-2025.yaml"]
#: English a Chinese page may show: acronyms, product and method names, the tool's name
ALLOWED = {"GDP", "AI", "Sobol", "clustersim", "pp"}
SEEDS = Path("/work/shared/seeds")


def english_words(text: str, ids: set[str]) -> list[str]:
    """Words of ``text`` in Latin letters that are not ids (``series_id``, ``a.b.c``, file
    names, ``[cluster]`` selections, the scenario's own ids) or allowed."""
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"[\w./-]*[_./][\w./-]*", " ", text)
    return [w for w in re.findall(r"[A-Za-z]{2,}", text) if w not in ALLOWED and w not in ids]


def visible_text(page: str) -> str:
    """What a reader sees of an HTML page: no markup, styles, scripts or ``<code>`` ids."""
    page = re.sub(r"<(style|script|code|title)[^>]*>.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


def scenario_ids(sc: cs.Scenario) -> set[str]:
    return {*sc.clusters, *sc.groups, *sc.targets, *sc.metrics, *sc.indicators, sc.id}


@pytest.mark.parametrize("name", PLANS)
def test_the_chinese_report_has_no_english_words(name: str) -> None:
    from clustersim.report import from_result, render_html

    sc = cs.load_scenario(ROOT / "scenarios" / name)
    page = render_html(from_result(run_of(ROOT / "scenarios" / name, samples=20)), lang="zh")
    found = english_words(visible_text(page), scenario_ids(sc))
    assert not found, sorted(set(found))


@pytest.mark.parametrize("name", PLANS)
def test_every_chart_text_is_chinese(name: str) -> None:
    import matplotlib
    from matplotlib.text import Text

    matplotlib.use("Agg")
    from clustersim.report import from_result
    from clustersim.report.charts import charts_of

    sc = cs.load_scenario(ROOT / "scenarios" / name)
    data = from_result(run_of(ROOT / "scenarios" / name, samples=20))
    texts: list[str] = []
    for chart in charts_of(data):
        fig = chart.draw("zh")
        texts += [t.get_text() for t in fig.findobj(Text) if t.get_text()]
    assert texts  # titles, axis labels, legends, tick labels
    found = english_words("\n".join(texts), scenario_ids(sc))
    assert not found, sorted(set(found))


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sources_name_the_document_not_the_file(lang: str) -> None:
    """Also: the word check finds English when there is some (the English page)."""
    from clustersim.report import from_result, render_html

    path = ROOT / "scenarios" / "zhenjiang-2026.yaml"
    page = visible_text(render_html(from_result(run_of(path, samples=20)), lang=lang))
    assert not re.search(r"seed \d{3}|[0-9a-f]{16}\.txt", page)
    assert SEED_DOCUMENTS["000"].text(lang) in page and SEED_DOCUMENTS["003"].text(lang) in page
    sc = cs.load_scenario(path)
    assert (len(english_words(page, scenario_ids(sc))) > 50) == (lang == "en")


def test_source_text_keeps_the_clause_and_quote() -> None:
    src = "seed 000_613bb036317d362a.txt §一(二): 到2026年,全社会研发投入占地区生产总值比重达3.0%"
    assert source_text(src, "zh") == (
        "《镇江市因地制宜发展新质生产力实施意见(征求意见稿)》 §一(二): "
        "到2026年,全社会研发投入占地区生产总值比重达3.0%"
    )
    assert source_text("seed 999 §一", "zh") == "seed 999 §一"  # an unknown document stays
    assert source_text("assumption: flat", "zh") == "assumption: flat"


def _document_title(text: str) -> str:
    """The plan's own title, read from the document: the 《...》 that names an implementation
    plan or opinions of the region (not a province's, not the notice that issues it), else the
    '关于...实施方案' of its heading (where the city's name is blanked)."""
    names = [
        t
        for t in re.findall(r"《([^》]*)》", text)
        if re.search("实施(方案|意见)", t) and not t.endswith("通知") and not t.startswith("省")
    ]
    if names:
        return max(names, key=len)
    head = re.search(r"关于[^\n,。]*?实施方案", text[:500])
    assert head is not None
    return head.group(0)


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not on this machine")
def test_the_titles_are_the_documents_own() -> None:
    files = sorted(SEEDS.glob("[0-9][0-9][0-9]_*.txt"))
    assert [f.name[:3] for f in files] == sorted(SEED_DOCUMENTS)
    for f in files:
        title = _document_title(f.read_text(encoding="utf-8"))
        assert f"《{title}》" in SEED_DOCUMENTS[f.name[:3]].zh, (f.name, title)
