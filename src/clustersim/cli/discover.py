"""``clustersim discover`` and ``decompose``: scenario discovery on a sweep's samples and the
LMDI decomposition of intensity change (:mod:`clustersim.cli` registers :data:`COMMANDS`).

The numerical modules (:mod:`clustersim.analysis.discover`, :mod:`clustersim.analysis.lmdi`)
are imported inside the commands, so ``clustersim --help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.table import Table

from clustersim.cli._common import (
    LangOpt,
    SamplesOpt,
    SeedOpt,
    check_choice,
    fail,
    h,
    out,
    projecting,
    resolve_lang,
    settings,
)
from clustersim.errors import ClusterSimError
from clustersim.i18n import word

if TYPE_CHECKING:
    from clustersim.analysis.discover import Discovery, Restriction

__all__ = [
    "COMMANDS",
    "consistency",
    "covering_table",
    "decompose",
    "discover",
    "discovery_tables",
]


def _restriction_table(restrictions: list[Restriction], title: str, lang: str) -> Table:
    tbl = Table(title=title, header_style="bold")
    for key in ("input", "lower", "upper", "sampled_range", "qp_lower", "qp_upper"):
        tbl.add_column(word(key, lang), justify="left" if key == "input" else "right")
    for r in restrictions:
        tbl.add_row(
            escape(r.input),
            "-" if r.lower is None else f"{r.lower:.6g}",
            "-" if r.upper is None else f"{r.upper:.6g}",
            f"{r.min:.4g} – {r.max:.4g}",
            "-" if r.qp_lower is None else f"{r.qp_lower:.2g}",
            "-" if r.qp_upper is None else f"{r.qp_upper:.2g}",
        )
    return tbl


def covering_table(d: Discovery, lang: str) -> Table:
    """One row per box of covering: its coverage (of all cases of interest), density, mass,
    points, the points its search had left, and its restricted inputs."""
    tbl = Table(title=word("covering_title", lang, n=len(d.covered)), header_style="bold")
    for key in ("box", "coverage", "density", "mass", "points", "searched", "restricted_inputs"):
        tbl.add_column(word(key, lang), justify="left" if key == "restricted_inputs" else "right")
    total = 0.0
    for cb in d.covered:
        total += cb.coverage
        tbl.add_row(
            str(cb.number),
            f"{cb.coverage:.1%}",
            f"{cb.density:.1%}",
            f"{cb.mass:.1%}",
            f"{cb.n:,}",
            f"{cb.n_searched:,}",
            escape(", ".join(r.input for r in cb.restrictions) or "-"),
        )
    tbl.add_section()
    tbl.add_row("Σ", f"{total:.1%}", "", "", "", "", "")
    return tbl


def discovery_tables(d: Discovery, lang: str, *, trajectory: bool = False) -> list[Table | str]:
    """The chosen PRIM box (its restrictions), optionally the whole trade-off curve, and the
    CART rules, as rich tables and lines."""
    from clustersim.analysis.discover import box_text

    chosen = d.prim.boxes[d.box]
    title = d.title(lang)
    parts: list[Table | str] = [title]
    if len(d.covered) > 1:
        parts.append(covering_table(d, lang))
    box_title = box_text(d.box, chosen, lang)
    if d.restrictions:
        parts.append(_restriction_table(d.restrictions, box_title, lang))
    else:
        parts += [box_title, word("prim_no_restriction", lang)]
    for cb in d.covered[1:]:
        parts.append(
            _restriction_table(
                cb.restrictions,
                word(
                    "covered_box_title",
                    lang,
                    number=cb.number,
                    coverage=f"{cb.coverage:.1%}",
                    density=f"{cb.density:.1%}",
                    searched=f"{cb.n_searched:,}",
                ),
                lang,
            )
        )
    if trajectory:
        tr = Table(title=word("tradeoff", lang), header_style="bold")
        for key in ("box", "phase", "coverage", "density", "mass", "restricted"):
            tr.add_column(word(key, lang), justify="right")
        for row in d.trajectory():
            tr.add_row(
                str(row["box"]) + (" *" if row["box"] == d.box else ""),
                row["phase"],
                f"{row['coverage']:.1%}",
                f"{row['density']:.1%}",
                f"{row['mass']:.1%}",
                str(row["restricted"]),
            )
        parts.append(tr)
    if d.cart:
        if d.rules:
            rt = Table(title=word("cart_rules", lang), header_style="bold")
            for key in ("rule", "points", "density", "coverage"):
                rt.add_column(word(key, lang), justify="left" if key == "rule" else "right")
            for rule in d.rules:
                rt.add_row(
                    escape(rule.text()),
                    f"{rule.n:,}",
                    f"{rule.density:.1%}",
                    f"{rule.coverage:.1%}",
                )
            parts.append(rt)
        else:
            parts.append(word("cart_none", lang))
    return parts


def discover(
    ctx: typer.Context,
    sweep_dir: Annotated[
        Path,
        typer.Argument(help=h("discover_dir"), show_default=False),
    ],
    target: Annotated[
        str | None,
        typer.Option("--target", "-t", help=h("discover_target")),
    ] = None,
    all_met: Annotated[
        bool,
        typer.Option("--all-met", help=h("discover_all_met")),
    ] = False,
    cases: Annotated[
        str | None,
        typer.Option(
            "--cases",
            help=h("discover_cases"),
        ),
    ] = None,
    box: Annotated[
        int | None,
        typer.Option("--box", help=h("discover_box")),
    ] = None,
    min_coverage: Annotated[
        float,
        typer.Option(
            "--min-coverage",
            help=h("discover_min_coverage"),
        ),
    ] = 0.5,
    cart: Annotated[bool, typer.Option("--cart/--no-cart", help=h("discover_cart"))] = True,
    inputs: Annotated[
        str,
        typer.Option(
            "--inputs",
            help=h("discover_inputs"),
        ),
    ] = "all",
    trajectory: Annotated[
        bool, typer.Option("--trajectory", help=h("discover_trajectory"))
    ] = False,
    boxes: Annotated[int, typer.Option("--boxes", help=h("discover_boxes"))] = 1,
    html: Annotated[
        Path | None,
        typer.Option("--html", help=h("discover_html")),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help=h("discover_json"))] = False,
    lang: LangOpt = None,
) -> None:
    """Scenario discovery: which ranges of the swept inputs make a target fail (or the whole
    plan hold)? PRIM (peeling and pasting, the coverage-density trade-off curve, the chosen
    box's restrictions with quasi-p values) and CART rules as a second view.

    Examples:

      clustersim sweep sweeps/example-lhs.yaml --out out/lhs

      clustersim discover out/lhs --target clusters_1000

      clustersim discover out/lhs --all-met --trajectory --html discover.html

      clustersim discover out/lhs --target gdp_cagr --box 12 --json

      clustersim discover out/lhs --target clusters_1000 --boxes 3

      clustersim discover out/zj --target emerging_clusters_1000 --inputs factors
    """
    from clustersim.analysis.discover import discover as run_discover

    try:
        lang_ = resolve_lang(ctx, lang, settings())
        if target is not None and all_met:
            raise ClusterSimError("--target and --all-met: give one of them")
        if cases is not None:
            check_choice("--cases", cases, ("missed", "met"))
        d = run_discover(
            sweep_dir,
            target=target,
            cases=cases,
            box=box,
            min_coverage=min_coverage,
            cart=cart,
            inputs=inputs,
            boxes=boxes,
        )
        if html is not None:
            from clustersim.report.discover import write_discover_html

            written = write_discover_html(d, html, lang=lang_)
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(d.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    for part in discovery_tables(d, lang_, trajectory=trajectory):
        if isinstance(part, str):
            out.print(part, markup=False)
        else:
            out.print(part)
    if html is not None:
        out.print(word("wrote", lang_, path=written), markup=False)


def _growth(v: float | None) -> str:
    return "-" if v is None else f"{v:+.2%}/yr"


def consistency(scenario: Path, *, as_json: bool, quiet: bool, lang: str) -> None:
    """``clustersim check --consistency SCENARIO``: the linear-programme pre-check.

    Exit 0 when the checked targets can hold together, 1 on a conflict, 2 invalid input.
    """
    from clustersim.analysis.consistency import check_consistency

    try:
        res = check_consistency(scenario)
    except ClusterSimError as exc:
        raise fail(exc) from None
    if as_json:
        sys.stdout.write(json.dumps(res.to_dict(), ensure_ascii=False, indent=2) + "\n")
    elif not quiet:
        out.print(word("consistency_title", lang), markup=False)
        for c in res.conflicts:
            names = ", ".join(c.targets)
            key = "consistency_conflict" if len(c.targets) > 1 else "consistency_alone"
            line = word(key, lang, targets=names, target=names)
            out.print(f"[red]{escape(line)}[/red]")
            tbl = Table(header_style="bold")
            for k in ("target", "series", "year", "needs", "allowed_range"):
                tbl.add_column(
                    word(k, lang), justify="left" if k in ("target", "series") else "right"
                )
            for n in c.needs:
                need = (
                    f">= {_growth(n.needs_at_least)}"
                    if n.needs_at_most is None
                    else f"<= {_growth(n.needs_at_most)}"
                    if n.needs_at_least is None
                    else f"{_growth(n.needs_at_least)} – {_growth(n.needs_at_most)}"
                )
                tbl.add_row(
                    escape(n.target),
                    escape(n.series),
                    f"{n.years[0]}-{n.years[1]}",
                    need,
                    f"{_growth(n.allowed[0])} – {_growth(n.allowed[1])}",
                )
            out.print(tbl)
        if res.consistent:
            out.print(word("consistency_ok", lang, n=len(res.checked)), markup=False)
        if res.relaxed:
            out.print(
                word("consistency_relaxed", lang, targets=", ".join(sorted(res.relaxed))),
                markup=False,
            )
        if res.skipped:
            out.print(
                word("consistency_skipped", lang, targets=", ".join(sorted(res.skipped))),
                markup=False,
            )
    raise typer.Exit(0 if res.consistent else 1)


def _pct(d: dict[str, float], mc: bool, scale: float) -> str:
    mid = f"{d['p50'] * scale:+.4g}"
    return f"{mid} ({d['p5'] * scale:+.3g} – {d['p95'] * scale:+.3g})" if mc else mid


def decompose(
    ctx: typer.Context,
    source: Annotated[
        Path,
        typer.Argument(
            help=h("decompose_source"),
            show_default=False,
        ),
    ],
    metric: Annotated[
        str,
        typer.Option("--metric", "-m", help=h("decompose_metric")),
    ] = "energy_intensity",
    start: Annotated[int | None, typer.Option("--from", help=h("decompose_from"))] = None,
    end: Annotated[int | None, typer.Option("--to", help=h("decompose_to"))] = None,
    samples: SamplesOpt = 1,
    seed: SeedOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help=h("discover_json"))] = False,
    lang: LangOpt = None,
) -> None:
    """Additive LMDI-I decomposition of the change in regional energy intensity (or R&D
    intensity) into each cluster's structure effect (its share of GDP: value added for
    energy, output for R&D) and intensity effect (energy per value added, R&D per output),
    plus the change outside the clusters; per year and over the window; with --samples,
    the median and the 5th-95th percentiles over Monte Carlo samples. The effects sum to
    the total change exactly.

    Examples:

      clustersim decompose scenarios/example.yaml

      clustersim decompose scenarios/example.yaml --metric rd_intensity -n 1000 -s 1

      clustersim run scenarios/example.yaml -n 500 -s 1 --out out/ex && clustersim decompose out/ex --json
    """
    from clustersim.analysis.lmdi import METRICS, decompose_series

    try:
        lang_ = resolve_lang(ctx, lang, settings())
        check_choice("--metric", metric, tuple(METRICS))
        if source.is_dir():
            from clustersim.io.readers import read_result_tables

            tables = read_result_tables(source)
            series, years, clusters, sid = (
                tables.series,
                tables.years,
                tables.clusters,
                tables.scenario_id,
            )
        elif not source.exists():
            raise ClusterSimError(f"{source}: no such file or directory")
        else:
            from clustersim.api import load_and_run

            with projecting(samples):
                result = load_and_run(source, samples=samples, seed=seed, required=False)
            series, years, clusters, sid = (
                result.series,
                result.years,
                result.clusters,
                result.scenario_id,
            )
        d = decompose_series(
            series, years, clusters, metric=metric, start=start, end=end, scenario=sid
        )
    except ClusterSimError as exc:
        raise fail(exc) from None
    doc = d.to_dict()
    if as_json:
        sys.stdout.write(json.dumps(doc, ensure_ascii=False, indent=2) + "\n")
        return
    mc = d.samples > 1
    pct = metric == "rd_intensity"
    scale = 100.0 if pct else 1.0  # R&D intensity in percentage points
    unit = " (pp)" if pct else ""
    from clustersim.i18n import series_label

    name = series_label(metric).text(lang_)
    title = word("decompose_title", lang_, metric=name, start=doc["from"], end=doc["to"]) + unit
    tbl = Table(title=title, header_style="bold")
    for key in ("cluster", "effect_structure", "effect_intensity"):
        tbl.add_column(word(key, lang_), justify="left" if key == "cluster" else "right")
    for row in doc["window"]["clusters"]:
        tbl.add_row(
            escape(row["cluster"]),
            _pct(row["structure"], mc, scale),
            _pct(row["intensity"], mc, scale),
        )
    w = doc["window"]
    tbl.add_section()
    tbl.add_row("Σ", _pct(w["structure"], mc, scale), _pct(w["intensity"], mc, scale))
    out.print(tbl)
    yt = Table(header_style="bold")
    for key in ("year", "effect_structure", "effect_intensity", "effect_rest", "effect_total"):
        yt.add_column(word(key, lang_), justify="right")
    for row in doc["per_year"]:
        yt.add_row(
            f"{row['from']}-{row['to']}",
            *(_pct(row[k], mc, scale) for k in ("structure", "intensity", "rest", "total")),
        )
    yt.add_section()
    yt.add_row(
        f"{doc['from']}-{doc['to']}",
        *(_pct(w[k], mc, scale) for k in ("structure", "intensity", "rest", "total")),
    )
    out.print(yt)


COMMANDS = {"discover": discover, "decompose": decompose}
