"""``clustersim bench``: projection throughput, normalised by a machine reference.

:mod:`clustersim.cli` registers :data:`COMMANDS`; the benchmark runner is imported inside
the command.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from clustersim.cli._common import LangOpt, err, fail, h, out, resolve_lang, settings
from clustersim.cli.render import bench_table
from clustersim.errors import ClusterSimError
from clustersim.i18n import word

__all__ = ["COMMANDS", "bench"]


def bench(
    ctx: typer.Context,
    quick: Annotated[
        bool, typer.Option("--quick", help=h("bench_quick"))
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help=h("bench_json"))
    ] = False,
    compare_to: Annotated[
        Path | None,
        typer.Option(
            "--compare",
            help=h("bench_compare"),
        ),
    ] = None,
    max_slowdown: Annotated[
        float,
        typer.Option(
            "--max-slowdown", min=1.0, help=h("bench_max_slowdown")
        ),
    ] = 1.3,
    save: Annotated[
        Path | None, typer.Option("--save", help=h("bench_save"))
    ] = None,
    lang: LangOpt = None,
) -> None:
    """Measure cluster-years per second of each workload and a machine reference.

    The normalised figure (workload rate / reference rate, both measured in this process)
    is what --compare checks, so a slower or busier machine does not read as a regression.

    Examples:

      clustersim bench --quick

      clustersim bench --quick --json > bench.json

      clustersim bench --quick --compare benchmarks/baseline.json --max-slowdown 1.3
    """
    from clustersim.bench.runner import QUICK, compare, full_suite, load_report, run_suite

    baseline = None
    try:
        lang_ = resolve_lang(ctx, lang, settings())
        if compare_to is not None:
            baseline = load_report(compare_to)
    except ClusterSimError as exc:  # a config or baseline that cannot be read: --lang, --json
        raise fail(exc) from None
    workloads = list(QUICK) if quick else full_suite()
    show = err.is_terminal and not as_json
    if show:
        with err.status(word("bench_measuring_reference", lang_)) as status:
            doc = run_suite(
                workloads,
                progress=lambda n: status.update(word("bench_measuring", lang_, name=n)),
            )
    else:
        doc = run_suite(workloads)
    if save is not None:
        save.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        out.print(bench_table(doc, lang_))
    if baseline is not None:
        rows, slow = compare(doc, baseline, max_slowdown)
        flags = {True: word("bench_slower", lang_), False: word("bench_ok", lang_)}
        width = max(len(f) for f in flags.values())
        for c in rows:
            line = word(
                "bench_compare_line",
                lang_,
                flag=flags[c in slow].ljust(width),
                name=c.name,
                current=c.current,
                baseline=c.baseline,
                ratio=c.ratio,
            )
            err.print(line, markup=False)
        if slow:
            err.print(
                word(
                    "bench_slow_total", lang_, n=len(slow), max=max_slowdown, baseline=compare_to
                ),
                markup=False,
            )
            raise typer.Exit(1)


#: the commands of this group, by name
COMMANDS = {"bench": bench}
