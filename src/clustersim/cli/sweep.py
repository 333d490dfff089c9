"""``clustersim sweep``: run a sweep file (:mod:`clustersim.cli` registers :data:`COMMANDS`).

Heavy imports (numpy, scipy, pyarrow, dask) happen inside the command, so ``clustersim
--help`` stays fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

from clustersim.cli._common import err, fail, out
from clustersim.engines import ENGINES
from clustersim.errors import ClusterSimError

__all__ = ["COMMANDS", "sweep"]


def sweep(
    sweep_file: Annotated[
        Path,
        typer.Argument(help="Sweep YAML file (see docs/sweeps.md).", show_default=False),
    ],
    out_dir: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Output directory: samples/ (Parquet dataset), manifest.json, summary.json, "
            "summary/.",
            show_default=False,
        ),
    ],
    samples: Annotated[
        int | None,
        typer.Option("--samples", "-n", min=1, help="Samples (sobol: base points, a power of 2)."),
    ] = None,
    seed: Annotated[
        int | None, typer.Option("--seed", "-s", min=0, help="Root seed (overrides the file's).")
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Local worker processes (default: all cores; 1 runs in this process). "
            "With --dask local: workers of the local cluster.",
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            help="Run on Dask: a scheduler address (tcp://host:8786) or 'local' for a "
            "LocalCluster (needs clustersim[dask]).",
        ),
    ] = None,
    chunk_size: Annotated[
        int | None,
        typer.Option("--chunk-size", min=1, help="Samples per chunk (default 4096)."),
    ] = None,
    resume: Annotated[
        bool,
        typer.Option(
            "--resume", help="Continue an interrupted sweep in --out: skip finished parts."
        ),
    ] = False,
    keep: Annotated[
        list[str] | None,
        typer.Option(
            "--keep",
            help="Also write 'trajectories': every projected series of every sample.",
        ),
    ] = None,
    summary_only: Annotated[
        bool,
        typer.Option(
            "--summary-only",
            help="Store nothing per sample, only the summary (the sweep file's "
            "store: summary_only).",
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            help="How targets are computed: auto (numba when installed and the sweep is large, "
            "else numpy; a resume keeps the sweep's engine); "
            + "; ".join(f"{e.name}: {e.summary}" for e in ENGINES.values())
            + ".",
        ),
    ] = "auto",
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="No progress bar and no summary text.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print summary.json on stdout instead of the text.")
    ] = False,
) -> None:
    """Sweep assumptions of a scenario: probability of each target, sensitivity, what must hold.

    Samples are projected in chunks, each written atomically as a Parquet part under
    OUT/samples/; the same seed gives bit-identical results on any number of workers or on
    Dask, and an interrupted sweep continues with --resume.

    Examples:

      clustersim sweep sweeps/example-lhs.yaml --out out/example-lhs

      clustersim sweep sweeps/zhenjiang-mc.yaml --out out/zj --samples 1000000 --workers 2

      clustersim sweep sweeps/example-sobol.yaml --out out/sobol --dask local

      clustersim sweep sweeps/example-grid.yaml --out out/grid --keep trajectories

      clustersim sweep sweeps/zhenjiang-mc.yaml --out out/zj --samples 1000000 --resume

    Read the samples with pandas (pd.read_parquet("out/zj/samples")), pyarrow.dataset or
    DuckDB (SELECT avg("met.rd_intensity_3pct"::INT) FROM 'out/zj/samples/*.parquet').
    Exit status: 0 done, 2 invalid input or a sweep that would not fit, 130 interrupted.
    """
    from clustersim.sweep.runner import run_sweep

    progress = None if not quiet and not as_json else False
    try:
        res = run_sweep(
            sweep_file,
            out=out_dir,
            workers=workers,
            dask=dask,
            resume=resume,
            keep=tuple(keep or ()),
            progress=progress,
            samples=samples,
            seed=seed,
            chunk_size=chunk_size,
            engine=engine,
            store=() if summary_only else None,
        )
    except ClusterSimError as exc:
        raise fail(exc) from None
    except KeyboardInterrupt:
        err.print(
            f"interrupted: finished parts are kept in {out_dir}; continue with --resume",
            markup=False,
        )
        raise typer.Exit(130) from None
    if as_json:
        sys.stdout.write(json.dumps(res.summary.to_dict(), ensure_ascii=False, indent=2) + "\n")
        return
    if quiet:
        return
    sc = res.plan.scenario
    run = res.summary.extra.get("run", {})
    skipped = f", {res.chunks_skipped} already done" if res.chunks_skipped else ""
    out.print(
        f"sweep {sweep_file} over {sc.id}: {res.plan.n_chunks} chunks of "
        f"{res.plan.chunk_size:,} ({res.chunks_run} run{skipped}) on {res.executor}, "
        f"{res.seconds:.1f} s ({run.get('samples_per_second') or 0:,.0f} samples/s)",
        markup=False,
    )
    out.print(res.summary.format_text(), markup=False)
    for p in res.written[:2]:
        out.print(f"wrote {p}", markup=False)
    out.print(
        f"wrote {res.out}/samples/ ({res.plan.n_chunks} parts) and {res.out}/summary/", markup=False
    )


#: the commands of this group, by name
COMMANDS = {"sweep": sweep}
