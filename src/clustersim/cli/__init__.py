"""The ``clustersim`` command line: a thin shell over the Python API (:mod:`clustersim.api`).

One module per command group, each exposing ``COMMANDS`` (name -> function); this module
registers them on :data:`app`, so no command module imports this one back:

- :mod:`clustersim.cli.run`: ``run``, ``check``, ``validate``, ``schema``;
- :mod:`clustersim.cli.analysis`: ``calibrate``, ``backtest``;
- :mod:`clustersim.cli.bench`: ``bench``;
- :mod:`clustersim.cli.report`: ``report``, ``plot``, ``export``, ``import``;
- :mod:`clustersim.cli.sweep`: ``sweep``.

Shared option types, consoles and the one-line error exit are in
:mod:`clustersim.cli._common`, the tables in :mod:`clustersim.cli.render`. Command modules
import their heavy dependencies (the models, numpy, pyarrow, matplotlib) inside the command
functions, so ``clustersim --help`` starts fast.

Exit codes: 0 success (``check``: every target met), 1 a target missed (``check``),
2 invalid input (bad YAML, schema error, unknown name...). Errors print one line per
problem, ``file:line: field.path: message``, and never a traceback.
"""

from __future__ import annotations

import typer

from clustersim.cli import analysis, bench, discover, report, run, serve, sweep

__all__ = ["app", "main"]

app = typer.Typer(
    name="clustersim",
    help=(
        "Project regional industrial clusters year by year and check plan targets.\n\n"
        "Examples:\n\n"
        "  clustersim run scenarios/example.yaml\n\n"
        "  clustersim run scenarios/example.yaml --samples 1000 --seed 1 --out results/\n\n"
        "  clustersim check scenarios/example.yaml --samples 1000 --min-probability 0.8\n\n"
        "  clustersim validate scenarios/example.yaml --explain region.gdp.base\n\n"
        "  clustersim schema > scenario.schema.json"
    ),
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)

# the order ``clustersim --help`` lists the commands in
for _group in (run, analysis, bench, report, sweep, discover, serve):
    for _name, _command in _group.COMMANDS.items():
        app.command(_name)(_command)


def main() -> None:
    """Entry point of the ``clustersim`` script."""
    app()
