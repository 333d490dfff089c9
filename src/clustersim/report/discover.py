"""A scenario-discovery page: PRIM's trade-off curve, the chosen box's restricted ranges and
CART's rules (``clustersim discover SWEEP_DIR --html FILE``).

One self-contained HTML file like the report's (SVG charts inline, the CJK font subset
embedded), drawn with matplotlib on bare figures as :mod:`clustersim.report.charts` draws.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from clustersim.analysis.discover import box_text
from clustersim.i18n import word
from clustersim.report.charts import _new_figure, figure_bytes
from clustersim.report.page import _CSS, _e, atomic_write_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from clustersim.analysis.discover import Discovery, Restriction

__all__ = [
    "boxes_figure",
    "discovery_section",
    "render_discover_html",
    "tradeoff_figure",
    "write_discover_html",
]

BOX, RANGE, CHOSEN = "#1f5fa8", "#d9d9d9", "#c62828"


def tradeoff_figure(d: Discovery, lang: str) -> Figure:
    """Coverage (x) against density (y) of every box on PRIM's trajectory, coloured by the
    number of restricted inputs; the chosen box ringed."""
    fig = _new_figure(6.4, 4.2)
    ax = fig.add_subplot()
    boxes = d.prim.boxes
    cov = [b.coverage for b in boxes]
    den = [b.density for b in boxes]
    res = [len(b.restricted) for b in boxes]
    pts = ax.scatter(cov, den, c=res, cmap="viridis", s=18, zorder=2)
    ax.scatter([cov[d.box]], [den[d.box]], s=120, facecolors="none", edgecolors=CHOSEN, zorder=3)
    ax.annotate(
        f"{word('box', lang)} {d.box}",
        (cov[d.box], den[d.box]),
        xytext=(6, -12),
        textcoords="offset points",
        color=CHOSEN,
    )
    ax.set_xlabel(word("coverage", lang))
    ax.set_ylabel(word("density", lang))
    ax.set_xlim(0, 1.05)
    ax.set_ylim(0, 1.05)
    ax.grid(True, alpha=0.3)
    fig.colorbar(pts, ax=ax, label=word("restricted", lang))
    ax.set_title(word("tradeoff", lang))
    return fig


def boxes_figure(d: Discovery, lang: str, number: int = 1) -> Figure:
    """One row per restricted input: the sampled range (grey) and the box's range (blue),
    scaled to the sampled range, the bounds written beside, the quasi-p in the label.
    ``number``: which box of covering (1: the first, ``d.restrictions``)."""
    rows = d.restrictions if number == 1 else d.covered[number - 1].restrictions
    fig = _new_figure(7.2, 0.6 + 0.55 * max(1, len(rows)))
    ax = fig.add_subplot()
    for i, r in enumerate(rows):
        y = len(rows) - 1 - i
        span = (r.max - r.min) or 1.0
        lo = 0.0 if r.lower is None else (r.lower - r.min) / span
        hi = 1.0 if r.upper is None else (r.upper - r.min) / span
        ax.barh(y, 1.0, left=0.0, color=RANGE, height=0.6)
        ax.barh(y, hi - lo, left=lo, color=BOX, height=0.6)
        ax.text(-0.01, y, f"{r.min:.4g}", ha="right", va="center", fontsize=8)
        ax.text(1.01, y, f"{r.max:.4g}", ha="left", va="center", fontsize=8)
        if r.lower is not None:
            ax.text(lo, y + 0.38, f"{r.lower:.4g}", ha="center", fontsize=8, color=BOX)
        if r.upper is not None:
            ax.text(hi, y + 0.38, f"{r.upper:.4g}", ha="center", fontsize=8, color=BOX)
    qps = [min(v for v in (r.qp_lower, r.qp_upper) if v is not None) for r in rows]
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([f"{r.input} (qp {q:.2g})" for r, q in zip(rows, qps, strict=True)][::-1])
    ax.set_xlim(-0.12, 1.12)
    ax.set_ylim(-0.6, max(1, len(rows)) - 0.2)
    ax.set_xticks([])
    title = word("restricted_ranges", lang)
    ax.set_title(title if len(d.covered) < 2 else f"{word('box', lang)} {number}: {title}")
    return fig


def _svg(fig: Figure) -> str:
    return base64.b64encode(figure_bytes(fig, "svg")).decode("ascii")


def render_discover_html(d: Discovery, *, lang: str = "en") -> str:
    """The page as an HTML string."""
    import matplotlib

    from clustersim._version import __version__
    from clustersim.report.fonts import css_font_face, matplotlib_rc

    with matplotlib.rc_context(cast(Any, matplotlib_rc())):
        figs = [tradeoff_figure(d, lang)]
        if d.restrictions:
            figs.append(boxes_figure(d, lang))
        images = [_svg(f) for f in figs]
    title = d.title(lang)
    chosen = d.prim.boxes[d.box]
    body = [
        f"<header><h1>{_e(title)}</h1>",
        f'<p class="meta"><code>{_e(d.source)}</code></p>',
        '<p class="summary">'
        + _e(box_text(d.box, chosen, lang))
        + "</p></header>",
        '<section id="prim"><div class="grid">',
        *(
            f'<figure><img alt="PRIM" src="data:image/svg+xml;base64,{im}"></figure>'
            for im in images
        ),
        "</div>",
    ]
    if d.restrictions:
        body.append(_restriction_rows(list(d.restrictions), lang))
    else:
        body.append(f'<p class="note">{_e(word("prim_no_restriction", lang))}</p>')
    body.append("</section>")
    if len(d.covered) > 1:
        body.append(discovery_section(d, lang, later_only=True))
    if d.cart:
        body.append(f'<section id="cart"><h2>{_e(word("cart_rules", lang))}</h2>')
        if d.rules:
            rule_head = ("rule", "points", "density", "coverage")
            body.append(
                "<table><thead><tr>"
                + "".join(f"<th>{_e(word(h, lang))}</th>" for h in rule_head)
                + "</tr></thead><tbody>"
            )
            for rule in d.rules:
                body.append(
                    f"<tr><td><code>{_e(rule.text())}</code></td><td>{rule.n:,}</td>"
                    f"<td>{rule.density:.1%}</td><td>{rule.coverage:.1%}</td></tr>"
                )
            body.append("</tbody></table>")
        else:
            body.append(f'<p class="note">{_e(word("cart_none", lang))}</p>')
        body.append("</section>")
    body.append(f"<footer>{_e(word('generated', lang, version=__version__))}</footer>")
    body_html = "\n".join(body)
    font = css_font_face(title + body_html)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        f"<title>{_e(title)}</title>\n<style>{font}\n{_CSS}</style>\n</head>\n<body>\n"
        f"{body_html}\n</body>\n</html>\n"
    )


def _restriction_rows(rows: list[Restriction], lang: str) -> str:
    head = ("input", "lower", "upper", "sampled_range", "qp_lower", "qp_upper")
    out = ["<table><thead><tr>" + "".join(f"<th>{_e(word(h, lang))}</th>" for h in head)]
    out.append("</tr></thead><tbody>")
    for r in rows:
        cells = [
            f"<code>{_e(r.input)}</code>",
            "-" if r.lower is None else f"{r.lower:.6g}",
            "-" if r.upper is None else f"{r.upper:.6g}",
            f"{r.min:.6g} – {r.max:.6g}",
            "-" if r.qp_lower is None else f"{r.qp_lower:.2g}",
            "-" if r.qp_upper is None else f"{r.qp_upper:.2g}",
        ]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def discovery_section(d: Discovery, lang: str, *, later_only: bool = False) -> str:
    """The report's discovery section (``clustersim report SWEEP_DIR``): what was explained,
    each box of covering with its coverage and density, the restricted-range box plots and
    the restrictions' table, the trade-off curve of the first box. ``later_only``: the
    covering table and boxes 2 to N only (the discover page shows the first box itself)."""
    import matplotlib

    from clustersim.report.fonts import matplotlib_rc

    with matplotlib.rc_context(cast(Any, matplotlib_rc())):
        shown = d.covered[1:] if later_only else d.covered
        plots = [
            (cb.number, _svg(boxes_figure(d, lang, cb.number))) for cb in shown if cb.restrictions
        ]
        curve = "" if later_only else _svg(tradeoff_figure(d, lang))
    title = d.title(lang)
    if later_only:
        body = [
            f'<section id="covering"><h2>{_e(word("covering_title", lang, n=len(d.covered)))}</h2>'
        ]
    else:
        body = [
            f'<section id="discovery"><h2>{_e(word("report_discovery", lang))}</h2>',
            f'<p class="note">{_e(title)}</p>',
        ]
    if len(d.covered) > 1:
        head = ("box", "coverage", "density", "mass", "points", "searched")
        body.append(
            f"<table><caption>{_e(word('covering_title', lang, n=len(d.covered)))}</caption>"
            "<thead><tr>" + "".join(f"<th>{_e(word(h, lang))}</th>" for h in head)
        )
        body.append("</tr></thead><tbody>")
        for cb in d.covered:
            body.append(
                f"<tr><td>{cb.number}</td><td>{cb.coverage:.1%}</td><td>{cb.density:.1%}</td>"
                f"<td>{cb.mass:.1%}</td><td>{cb.n:,}</td><td>{cb.n_searched:,}</td></tr>"
            )
        body.append("</tbody></table>")
    for cb in shown:
        summary = box_text(cb.index, cb, lang)
        if len(d.covered) > 1:
            summary = f"{word('box', lang)} {cb.number} · {summary}"
        body.append(f"<h3>{_e(summary)}</h3>")
        if cb.restrictions:
            im = dict(plots)[cb.number]
            body.append(
                f'<figure class="wide"><img alt="{_e(word("restricted_ranges", lang))}" '
                f'src="data:image/svg+xml;base64,{im}"></figure>'
            )
            body.append(_restriction_rows(cb.restrictions, lang))
        else:
            body.append(f'<p class="note">{_e(word("prim_no_restriction", lang))}</p>')
    if curve:
        body.append(
            f'<figure><img alt="{_e(word("tradeoff", lang))}" '
            f'src="data:image/svg+xml;base64,{curve}"></figure>'
        )
    body.append("</section>")
    return "\n".join(body)


def write_discover_html(d: Discovery, path: str | Path, *, lang: str = "en") -> Path:
    """Write the page to ``path`` atomically."""
    return atomic_write_bytes(Path(path), render_discover_html(d, lang=lang).encode("utf-8"))
