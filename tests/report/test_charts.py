"""Charts: PNG/SVG files of sensible size, Chinese rendered with real glyphs, both languages."""

from __future__ import annotations

import io
import warnings
import xml.etree.ElementTree as ET

import numpy as np
import pytest

from clustersim.report.charts import PNG_DPI, charts_of, figure_bytes, write_charts
from clustersim.report.data import from_result
from clustersim.report.fonts import FAMILY, FONT_FILE, font_charmap, matplotlib_rc, missing_glyphs

from .conftest import SCENARIOS, run_of

ZH_TITLE = "镇江市战略性新兴产业占规上工业产值比重达43%（千亿级集群：高端装备制造、新材料）"


def _decode_png(blob: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(blob)) as im:
        assert im.format == "PNG"
        return np.asarray(im.convert("RGB"))


def test_plot_writes_png_and_svg_of_sensible_size(example_path, tmp_path):
    data = from_result(run_of(example_path, samples=200))
    paths = write_charts(data, tmp_path, lang="zh")
    keys = [c.key for c in charts_of(data)]
    assert sorted(p.name for p in paths) == sorted(f"{k}.{f}" for k in keys for f in ("png", "svg"))
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(p.name for p in paths)  # no temps
    for p in paths:
        size = p.stat().st_size
        assert 5_000 < size < 2_000_000, (p.name, size)
        if p.suffix == ".png":
            px = _decode_png(p.read_bytes())
            h, w, _ = px.shape
            if p.stem.startswith("series-") or p.stem.startswith("target-"):
                assert (w, h) == (6.4 * PNG_DPI, 3.6 * PNG_DPI)  # 960 x 540: half a slide
            else:
                assert w == 7.2 * PNG_DPI and 300 < h < 3000
            # not blank: ink covers a real share of the picture, yet most of it is background
            ink = np.any(px < 200, axis=2).mean()
            assert 0.01 < ink < 0.6, (p.name, ink)
        else:
            svg = p.read_text(encoding="utf-8")
            ET.fromstring(svg)
            assert "<text" not in svg  # text as paths: the file shows the same everywhere


def test_chinese_title_renders_with_real_glyphs():
    """No glyph of a Chinese title falls back to the missing-glyph box."""
    from matplotlib import font_manager
    from matplotlib.figure import Figure

    assert missing_glyphs(ZH_TITLE) == []  # the shipped font's cmap has every character
    assert FONT_FILE.stat().st_size < 3_000_000  # a subset: keeps the package small
    import matplotlib

    with matplotlib.rc_context(matplotlib_rc()):
        # matplotlib resolves the family to the shipped file, not a fallback
        found = font_manager.findfont(font_manager.FontProperties(family=FAMILY))
        assert font_manager.FontProperties(fname=found).get_name() == FAMILY
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig = Figure(figsize=(6, 2))
            fig.add_subplot().set_title(ZH_TITLE)
            png = figure_bytes(fig, "png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert missing == []
    assert _decode_png(png).shape[0] > 0


def test_the_glyph_check_would_see_boxes_without_the_font():
    """The control: with only DejaVu Sans, matplotlib reports the missing glyphs (drawn as
    boxes), so the test above does detect a chart without a CJK font."""
    import matplotlib
    from matplotlib.figure import Figure

    with (
        matplotlib.rc_context({"font.family": ["DejaVu Sans"]}),
        warnings.catch_warnings(record=True) as caught,
    ):
        warnings.simplefilter("always")
        fig = Figure(figsize=(6, 2))
        fig.add_subplot().set_title(ZH_TITLE)
        fig.savefig(io.BytesIO(), format="png")
    missing = [str(w.message) for w in caught if "missing from font" in str(w.message)]
    assert len(missing) >= 10
    assert ord("镇") in font_charmap()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_label_of_every_shipped_scenario_has_a_glyph(path):
    """Every Chinese label a chart of a shipped scenario can show is in the shipped font."""
    data = from_result(run_of(path))
    texts = [c.title.zh for c in data.charts] + [r.label.zh for r in data.targets]
    if data.clusters is not None:
        texts += [lab.zh for lab in data.clusters.labels]
    assert missing_glyphs("".join(texts)) == []


def test_chart_text_follows_lang(example_path):
    data = from_result(run_of(example_path, samples=50))
    for chart in charts_of(data)[:4]:
        for lang in ("zh", "en"):
            (ax, *_) = chart.draw(lang).axes
            title = ax.get_title(loc="left").replace("\n", "")
            assert title == chart.caption.text(lang).replace("\n", "")
            legend = [t.get_text() for t in ax.get_legend().get_texts()]
            if lang == "zh":
                assert "中位数" in legend and "median" not in legend
            else:
                assert "median" in legend and "中位数" not in legend
    bars = data.clusters
    assert bars is not None
    labels = {
        lang: [
            t.get_text()
            for t in next(c for c in charts_of(data) if c.key == bars.key)
            .draw(lang)
            .axes[0]
            .get_yticklabels()
        ]
        for lang in ("zh", "en")
    }
    assert "新材料" in labels["zh"] and "New materials" in labels["en"]


def test_unknown_format_is_refused_before_anything_is_written(example_path, tmp_path):
    from clustersim.errors import ClusterSimError

    data = from_result(run_of(example_path))
    with pytest.raises(ClusterSimError, match="'pdf' is not one of png, svg"):
        write_charts(data, tmp_path / "c", formats=("png", "pdf"))
    assert not (tmp_path / "c").exists()
