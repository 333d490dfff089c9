"""The rolling-origin backtest as a one-file HTML page: the table and the PIT histogram.

The histogram is an inline SVG of rectangles (no text inside it: the labels are HTML around
it, so the page needs no font embedding for them); the dashed line marks the 10% a bin holds
when the predictive distributions are calibrated. Nothing on the page refers to the network.
"""

from __future__ import annotations

import html
from pathlib import Path

from clustersim.analysis.rolling import LEVELS, MIN_FIT, RollingBacktest
from clustersim.atomic import write_bytes
from clustersim.i18n import word

__all__ = ["pit_svg", "render_backtest_html", "write_backtest_html"]

_CSS = """
body { font-family: 'Noto Sans SC', 'PingFang SC', 'Microsoft YaHei', 'Helvetica Neue', Arial,
       sans-serif; color: #1d2733; margin: 0 auto; max-width: 1400px; padding: 1.5rem 2rem; }
table { border-collapse: collapse; font-size: .86rem; }
th, td { border-bottom: 1px solid #d9dee4; padding: .3rem .5rem; text-align: right; }
th:first-child, td:first-child { text-align: left; }
tr.pooled td { font-weight: 600; border-top: 2px solid #1d2733; }
.note { color: #5b6673; font-size: .85rem; max-width: 60rem; }
.axis { display: flex; justify-content: space-between; width: 420px; color: #5b6673;
        font-size: .78rem; }
"""


def pit_svg(shares: tuple[float, ...], *, width: int = 420, height: int = 160) -> str:
    """An SVG bar chart of PIT histogram ``shares`` (one bar per bin, heights as shares)."""
    n = len(shares)
    top = max(max(shares, default=0.0), 2.0 / n) * 1.1
    bw = width / n
    bars = []
    for i, sh in enumerate(shares):
        h = height * sh / top
        bars.append(
            f'<rect x="{i * bw + 1:.1f}" y="{height - h:.1f}" width="{bw - 2:.1f}" '
            f'height="{h:.1f}" fill="#1f5fa8"><title>{sh:.0%}</title></rect>'
        )
    y_ideal = height - height * (1.0 / n) / top
    bars.append(
        f'<line x1="0" x2="{width}" y1="{y_ideal:.1f}" y2="{y_ideal:.1f}" stroke="#c62828" '
        'stroke-dasharray="5,4"/>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img">' + "".join(bars) + "</svg>"
    )


def render_backtest_html(bt: RollingBacktest, *, lang: str = "en") -> str:
    """The page as a string."""
    e = html.escape
    head, rows = bt.table_rows(lang)
    table = ["<table><thead><tr>" + "".join(f"<th>{e(h)}</th>" for h in head) + "</tr></thead>"]
    for i, r in enumerate(rows):
        cls = ' class="pooled"' if i == len(rows) - 1 else ""
        table.append(f"<tr{cls}>" + "".join(f"<td>{e(c)}</td>" for c in r) + "</tr>")
    table.append("</table>")
    pooled = bt.pooled
    cover = ", ".join(
        f"{word('rb_cover', lang, level=lv)} {pooled.coverage[lv]:.0%}" for lv in LEVELS
    )
    title = e(bt.title(lang))
    body = [
        f"<h1>{title}</h1>",
        "\n".join(table),
        f"<h2>{e(word('rb_pit', lang))}</h2>",
        pit_svg(pooled.pit),
        '<div class="axis"><span>0</span><span>0.5</span><span>1</span></div>',
        f'<p class="note">{e(cover)}</p>',
        f'<p class="note">{e(word("rb_method", lang, min_fit=MIN_FIT))}</p>',
    ]
    body += [f'<p class="note">{e(word("rb_skipped", lang, what=x))}</p>' for x in bt.skipped]
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n"
        + "\n".join(body)
        + "\n</body>\n</html>\n"
    )


def write_backtest_html(bt: RollingBacktest, path: str | Path, *, lang: str = "en") -> Path:
    """Write the page to ``path`` atomically."""
    return write_bytes(Path(path), render_backtest_html(bt, lang=lang).encode("utf-8"))
