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

from clustersim.cli._common import err, h, out
from clustersim.cli.render import bench_table

__all__ = ["COMMANDS", "bench"]


def bench(
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
    if compare_to is not None:
        try:
            baseline = load_report(compare_to)
        except ValueError as exc:
            err.print(f"error: {exc}", markup=False)
            raise typer.Exit(2) from None
    workloads = list(QUICK) if quick else full_suite()
    show = err.is_terminal and not as_json
    if show:
        with err.status("measuring the reference kernel...") as status:
            doc = run_suite(workloads, progress=lambda n: status.update(f"measuring {n}..."))
    else:
        doc = run_suite(workloads)
    if save is not None:
        save.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    if as_json:
        sys.stdout.write(json.dumps(doc, indent=2) + "\n")
    else:
        out.print(bench_table(doc))
    if baseline is not None:
        rows, slow = compare(doc, baseline, max_slowdown)
        for c in rows:
            flag = "SLOWER" if c in slow else "ok"
            err.print(
                f"{flag:6} {c.name}: {c.current:.4f} vs baseline {c.baseline:.4f} ({c.ratio:.2f}x)",
                markup=False,
            )
        if slow:
            err.print(
                f"{len(slow)} workload(s) more than {max_slowdown:g}x slower than {compare_to}",
                markup=False,
            )
            raise typer.Exit(1)


#: the commands of this group, by name
COMMANDS = {"bench": bench}
