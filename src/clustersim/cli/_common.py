"""What every command group shares: the consoles, option types, choice checks, one-line
errors and status lines on a terminal.

Light on purpose (typer, rich and the standard library): every command module imports it,
so nothing here may slow ``clustersim --help`` down.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from clustersim.errors import ClusterSimError
from clustersim.i18n import LANGS

__all__ = [
    "LangOpt",
    "Progress",
    "SamplesOpt",
    "ScenarioArg",
    "SeedOpt",
    "check_choice",
    "err",
    "fail",
    "out",
    "projecting",
    "run_guarded",
]

out = Console(highlight=False, soft_wrap=False)
if not out.is_terminal:  # pipes and CI logs: wide enough for the target table
    out = Console(highlight=False, soft_wrap=False, width=160)
err = Console(stderr=True, highlight=False, soft_wrap=True)

ScenarioArg = Annotated[
    Path,
    typer.Argument(help="Scenario YAML file (see docs/scenario-format.md).", show_default=False),
]
SamplesOpt = Annotated[
    int,
    typer.Option(
        "--samples",
        "-n",
        min=1,
        help="Monte Carlo samples of every uncertain number (1: central values).",
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", "-s", help="Root random seed; the same seed gives the same numbers."),
]
LangOpt = Annotated[str, typer.Option("--lang", help=f"Label language: {' or '.join(LANGS)}.")]

#: from this many samples on, a run shows a status line on a terminal
STATUS_SAMPLES = 20000


def fail(exc: ClusterSimError) -> typer.Exit:
    """Print ``exc`` as ``error: ...`` lines on stderr (in the command's ``--lang``; a JSON
    error document on stdout under ``--json``, :mod:`clustersim.cli.errors`); the exit
    (status 2) to raise."""
    from clustersim.cli.errors import report

    report(exc, err)
    return typer.Exit(2)


def check_choice(opt: str, value: str, allowed: Sequence[str]) -> None:
    """Refuse ``value`` of option ``opt`` unless it is one of ``allowed``."""
    if value not in allowed:
        raise ClusterSimError(f"{opt}: {value!r} is not one of {', '.join(allowed)}")


def projecting(samples: int) -> AbstractContextManager[Any]:
    """A status line while ``samples`` samples are projected (large runs on a terminal)."""
    if samples >= STATUS_SAMPLES and err.is_terminal:
        return err.status(f"projecting {samples:,} samples...")
    return nullcontext()


class Progress:
    """``progress(done, total, what)`` shown as a status line on a terminal's stderr."""

    def __init__(self, verb: str) -> None:
        self.verb = verb
        self.status = err.status(f"{verb}...") if err.is_terminal else None

    def __call__(self, done: int, total: int, what: str) -> None:
        if self.status is not None:
            self.status.update(f"{self.verb} {done}/{total}: {what}")

    def __enter__(self) -> Callable[[int, int, str], None]:
        if self.status is not None:
            self.status.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.status is not None:
            self.status.stop()


def run_guarded(fn: Callable[[], Iterator[str]]) -> None:
    """Run ``fn`` (which yields lines to print); user errors become one line and exit 2."""
    try:
        lines = list(fn())
    except ClusterSimError as exc:
        raise fail(exc) from None
    except OSError as exc:  # said like any other bad input (--lang, --json)
        name = f"{exc.filename}: " if exc.filename else ""
        raise fail(ClusterSimError(f"{name}{exc.strerror or exc}")) from None
    for line in lines:
        out.print(line, markup=False)
