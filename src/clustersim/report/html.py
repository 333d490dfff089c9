"""The one-file HTML report: target table, charts, cluster bars, sweep summary.

The page is self-contained: charts are SVG images in ``data:`` URLs (text drawn as paths),
the CSS is inline and the subset of the CJK font the page uses is embedded as WOFF, so it
opens offline on any machine, with or without a CJK font, and can be mailed as one file.
Nothing on the page refers to the network.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path

from clustersim.errors import ClusterSimError
from clustersim.i18n import source_text, unit_text, word
from clustersim.report.charts import Progress, iter_rendered
from clustersim.report.data import ReportData, TargetRow
from clustersim.report.fmt import goal_text, num, required_text
from clustersim.report.page import _CSS, _e, atomic_write_bytes

__all__ = ["render_html", "write_html"]

#: a target's status: met / missed of one path, or (Monte Carlo with a status rule, see
#: :class:`clustersim.results.StatusRule`) likely / uncertain / unlikely from P(met)
STATUSES = ("met", "missed", "likely", "uncertain", "unlikely")


def _status(row: TargetRow, lang: str) -> str:
    if row.status not in STATUSES:
        return '<span class="status none">-</span>'
    return f'<span class="status {row.status}">{_e(word(row.status, lang))}</span>'


def _source(text: str | None, lang: str) -> str:
    text = source_text(text, lang)  # seed files named by their documents' titles
    if not text:
        return ""
    if len(text) <= 140:
        return _e(text)
    return f"<details><summary>{_e(text[:110])}…</summary>{_e(text)}</details>"


def _target_table(data: ReportData, lang: str) -> str:
    mc = data.samples > 1
    sweep_only = not data.charts and data.sweep is not None and not data.clusters
    heads = ["target", "year", "status", "value_median" if mc else "value", "goal", "margin"]
    if mc or sweep_only:
        heads.append("probability")
    if mc:
        heads.append("p5_p95")
    heads.append("required")
    audited = any(r.audit is not None for r in data.targets)
    if audited:  # the assumption audit's column, only when a target is marked
        heads.append("audit")
    heads.append("source")
    out = ["<table>", "<thead><tr>"]
    out += [f"<th>{_e(word(h, lang))}</th>" for h in heads]
    out.append("</tr></thead><tbody>")
    for r in data.targets:
        pct, pp = r.percent, r.pp
        label = _e(r.label.text(lang))
        if r.chart:
            label = f'<a href="#chart-{_e(r.chart)}">{label}</a>'
        cells = [
            f"<td>{label}<br><code>{_e(r.id)}</code></td>",
            f'<td class="n">{r.year or "-"}</td>',
            f"<td>{_status(r, lang)}</td>",
            f'<td class="n">{_e(num(r.value, pct, pp))}</td>',
            f'<td class="n">{_e(_goal(r, lang))}</td>',
            f'<td class="n">{_e(num(r.margin, pct, pp))}</td>',
        ]
        if mc or sweep_only:
            p = r.probability
            cells.append(f'<td class="n">{"-" if math.isnan(p) else f"{p:.1%}"}</td>')
        if mc:
            cells.append(f'<td class="n">{_e(num(r.p5, pct, pp))} – {_e(num(r.p95, pct, pp))}</td>')
        cells.append(f"<td>{_e(required_text(r.required, lang))}</td>")
        if audited:
            cells.append(_audit(r, lang))
        cells.append(f'<td class="source">{_source(r.source, lang)}</td>')
        out.append(f'<tr id="target-{_e(r.id)}" data-target="{_e(r.id)}">{"".join(cells)}</tr>')
    out.append("</tbody></table>")
    return "\n".join(out)


def _audit(r: TargetRow, lang: str) -> str:
    """The audit cell: the short mark, the findings on hover and under a fold."""
    if r.audit is None:
        return "<td></td>"
    mark = _e(word(f"audit_marker_{r.audit}", lang))
    notes = r.audit_notes.text(lang) if r.audit_notes is not None else ""
    return (
        f'<td class="audit {_e(r.audit)}" data-audit="{_e(r.audit)}">'
        f"<details><summary>{mark}</summary>{_e(notes)}</details></td>"
    )


def _goal(r: TargetRow, lang: str) -> str:
    if r.lo is None and r.hi is None and not r.tiers:
        return "-"
    return goal_text(r.lo, r.hi, r.tiers, lang, pct=r.percent, pp=r.pp, strict=r.strict)


def _meta(data: ReportData, lang: str) -> str:
    parts = [f"<code>{_e(data.scenario_id)}</code>"]
    if data.base_year:
        parts.append(f"{word('horizon', lang)} {data.base_year}–{data.end_year}")
    sweep_only = data.sweep is not None and not data.charts and data.clusters is None
    if sweep_only:
        pass  # the sweep's own sample count follows
    elif data.samples > 1:
        seed = f", {word('seed', lang)} {data.seed}" if data.seed is not None else ""
        parts.append(f"{data.samples:,} {word('samples', lang)}{seed}")
    elif data.samples == 1:
        parts.append(word("plain_run", lang))
    if data.sweep is not None and data.sweep.method:
        n = f", {data.sweep.samples:,} {word('samples', lang)}" if data.sweep.samples else ""
        parts.append(f"{word('sweep', lang)}: {_e(data.sweep.method)}{n}")
    if data.unit:
        parts.append(f"{word('unit', lang)}: {_e(unit_text(data.unit, lang))}")
    if data.origin:
        parts.append(_e(data.origin))
    return " · ".join(parts)


def render_html(data: ReportData, *, lang: str = "en", progress: Progress | None = None) -> str:
    """The report as one HTML document (a string); see the module docstring."""
    from clustersim._version import __version__
    from clustersim.report.fonts import css_font_face

    figures: dict[str, str] = {}
    captions: dict[str, str] = {}
    for chart, enc in iter_rendered(data, lang, ("svg",), progress):
        figures[chart.key] = base64.b64encode(enc["svg"]).decode("ascii")
        captions[chart.key] = chart.caption.text(lang)
    on_chart: dict[str, list[TargetRow]] = {}
    for r in data.targets:
        if r.chart:
            on_chart.setdefault(r.chart, []).append(r)

    def figure(key: str, wide: bool = False) -> str:
        ids = on_chart.get(key, [])
        links = [
            f'<a href="#target-{_e(r.id)}">{_e(r.label.text(lang))}</a> <code>{_e(r.id)}</code>'
            for r in ids
        ]
        text = "<br>".join(links) if links else _e(captions[key])
        cls = ' class="wide"' if wide else ""
        return (
            f'<figure id="chart-{_e(key)}"{cls}><img alt="{_e(captions[key])}" '
            f'src="data:image/svg+xml;base64,{figures[key]}">'
            f"<figcaption>{text}</figcaption></figure>"
        )

    met = sum(r.status == "met" for r in data.targets)
    body: list[str] = [
        "<header>",
        f"<h1>{_e(data.title.text(lang))}</h1>",
        f'<p class="meta">{_meta(data, lang)}</p>',
    ]
    if data.targets and any(r.status for r in data.targets):
        body.append(
            f'<p class="summary">{_e(word("targets_met", lang, met=met, n=len(data.targets)))}</p>'
        )
    for note in data.notes:
        body.append(f'<p class="note">{_e(word(note, lang))}</p>')
    body.append("</header>")
    sections = [("targets", word("targets", lang))]
    if data.charts:
        sections.append(("charts", word("trajectories", lang)))
    if data.clusters is not None:
        sections.append(("clusters", word("cluster_output", lang)))
    if data.sweep is not None:
        sections.append(("sweep", word("sweep", lang)))
    if data.discovery is not None:
        sections.append(("discovery", word("report_discovery", lang)))
    body.append("<nav>" + "".join(f'<a href="#{k}">{_e(t)}</a>' for k, t in sections) + "</nav>")
    body += [
        f'<section id="targets"><h2>{_e(word("targets", lang))}</h2>',
        _target_table(data, lang),
        f'<p class="note">{_e(word("read_me", lang))}</p></section>',
    ]
    if data.charts:
        body.append(f'<section id="charts"><h2>{_e(word("trajectories", lang))}</h2>')
        body.append('<div class="grid">')
        body += [figure(c.key) for c in data.charts]
        body.append("</div></section>")
    if data.clusters is not None:
        body.append(f'<section id="clusters"><h2>{_e(word("cluster_output", lang))}</h2>')
        body.append(figure(data.clusters.key, wide=True))
        body.append("</section>")
    if data.sweep is not None:
        body.append(f'<section id="sweep"><h2>{_e(word("sweep", lang))}</h2>')
        sw = data.sweep
        facts = []
        if sw.all_met is not None:
            facts.append(f"{_e(word('all_met', lang))}: {sw.all_met:.1%}")
        if sw.parameters:
            facts.append(
                f"{_e(word('factors', lang))}: "
                + ", ".join(f"<code>{_e(f)}</code>" for f in sw.parameters)
            )
        if sw.sensitivity_method:
            facts.append(f"{_e(word('method', lang))}: {_e(sw.sensitivity_method)}")
        if facts:
            body.append('<p class="note">' + "<br>".join(facts) + "</p>")
        keys = [k for k in figures if k.startswith("sweep-")]
        body.append('<div class="grid">' + "".join(figure(k) for k in keys) + "</div>")
        body.append("</section>")
    if data.discovery is not None:
        from clustersim.report.discover import discovery_section

        body.append(discovery_section(data.discovery, lang))
    body.append(f"<footer>{_e(word('generated', lang, version=__version__))}</footer>")
    body_html = "\n".join(body)
    title = _e(data.title.text(lang))
    font = css_font_face(title + body_html)
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{"zh-CN" if lang == "zh" else "en"}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f'<meta name="generator" content="clustersim {_e(__version__)}">\n'
        f"<title>{title}</title>\n<style>{font}\n{_CSS}</style>\n</head>\n<body>\n"
        f"{body_html}\n</body>\n</html>\n"
    )


def write_html(
    data: ReportData, path: str | Path, *, lang: str = "en", progress: Progress | None = None
) -> Path:
    """Write the report to ``path`` atomically (a temporary file, then a rename)."""
    text = render_html(data, lang=lang, progress=progress)
    p = Path(path)
    if p.parent and not p.parent.exists():
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ClusterSimError(f"{p.parent}: cannot create the directory: {exc}") from exc
    return atomic_write_bytes(p, text.encode("utf-8"))
