"""The ``clustersim`` command line: a thin shell over the Python API (:mod:`clustersim.api`).

One module per command group, each exposing ``COMMANDS`` (name -> function); this module
registers them on :data:`app`, so no command module imports this one back:

- :mod:`clustersim.cli.run`: ``run``, ``check``, ``validate``, ``schema``;
- :mod:`clustersim.cli.analysis`: ``calibrate``, ``backtest``;
- :mod:`clustersim.cli.bench`: ``bench``;
- :mod:`clustersim.cli.report`: ``report``, ``plot``, ``export``, ``import``;
- :mod:`clustersim.cli.sweep`: ``sweep``;
- :mod:`clustersim.cli.serve`: ``serve``.

Shared option types, consoles and the one-line error exit are in
:mod:`clustersim.cli._common`, the tables in :mod:`clustersim.cli.render`, the config file
in :mod:`clustersim.cli.config`. Command modules import their heavy dependencies (the
models, numpy, pyarrow, matplotlib) inside the command functions, so ``clustersim --help``
starts fast.

Every help text is a message of the i18n table (``help_*``): options are declared with the
English text (``h("run_samples")``) and :func:`localize` swaps each for the chosen language
in the built click command. typer builds help from the declarations, so the language is
decided before the help is printed: ``--lang`` (an eager option of ``clustersim`` itself),
else the config file, else the locale (``LC_ALL`` / ``LANG`` starting with ``zh``).

Exit codes: 0 success (``check``: every target met), 1 a target missed (``check``),
2 invalid input (bad YAML, schema error, unknown name...). Errors print one line per
problem, ``file:line: field.path: message``, and never a traceback.
"""

from __future__ import annotations

import logging
import re
import sys
from typing import Annotated, Any

import typer

from clustersim._version import __version__
from clustersim.cli import analysis, bench, discover, report, run, serve, sweep
from clustersim.cli._common import Lang, err, fail, h, help_index, help_text, log, resolve_lang
from clustersim.cli.config import load_settings
from clustersim.errors import ClusterSimError
from clustersim.i18n import word

__all__ = ["app", "localize", "main"]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"clustersim {__version__}")
        raise typer.Exit(0)


def _lang_now(ctx: Any, param: Any, value: Any) -> Any:
    """``--lang`` is eager: it localises the help before any ``--help`` is printed."""
    if value is not None:
        lang = str(getattr(value, "value", value))
        localize(ctx.command, lang)
        # this context already exists: give it the formatter of the language too
        ctx.formatter_class = ctx.command.context_class.formatter_class
    return value


def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help=word("help_version", "en")
        ),
    ] = False,
    lang: Annotated[
        Lang | None,
        typer.Option(
            "--lang", callback=_lang_now, is_eager=True, help=h("lang"), show_default=False
        ),
    ] = None,
    verbose: Annotated[
        int,
        typer.Option("--verbose", "-v", count=True, help=word("help_verbose", "en")),
    ] = 0,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help=word("help_quiet_log", "en"))
    ] = False,
) -> None:
    try:
        conf = load_settings()
    except ClusterSimError as exc:
        raise fail(exc) from None
    chosen = resolve_lang(None, lang, conf)
    ctx.obj = {"lang": lang.value if lang is not None else None}
    localize(ctx.command, chosen)
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    _logging(level)


def _logging(level: int) -> None:
    """The ``clustersim`` logger to stderr at ``level`` (standard :mod:`logging`)."""
    for handler in list(log.handlers):
        log.removeHandler(handler)
    handler = logging.StreamHandler(err.file)
    handler.setFormatter(logging.Formatter("%(levelname)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


def build_app() -> typer.Typer:
    """The ``clustersim`` typer app: every command group, shell completion, ``--version``,
    ``--lang``, ``-v`` / ``-q``."""
    new = typer.Typer(
        name="clustersim",
        help=word("help_app", "en"),
        no_args_is_help=True,
        add_completion=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
    )
    new.callback()(_root)
    # the order ``clustersim --help`` lists the commands in
    for group in (run, analysis, bench, report, sweep, discover, serve):
        for name, command in group.COMMANDS.items():
            new.command(name, help=word(f"help_cmd_{name}", "en"))(command)
    return new


app = build_app()

# --- the language of --help -----------------------------------------------------------------

#: click's own words in a help page, and their message ids
_CLICK_WORDS = {
    "Options": "help_options",
    "Arguments": "help_arguments",
    "Commands": "help_commands",
}
_METAVARS = {
    "INTEGER": "help_metavar_integer",
    "INT": "help_metavar_integer",
    "OPTIONS": "help_options",
    "COMMAND": "help_metavar_command",
    "ARGS": "help_metavar_args",
    "FLOAT": "help_metavar_float",
    "TEXT": "help_metavar_text",
    "PATH": "help_metavar_path",
    "RANGE": "help_metavar_range",
    "FILE": "help_metavar_file",
}
_BUILTIN_HELP = {
    "help": "help_help",
    "install_completion": "help_install_completion",
    "show_completion": "help_show_completion",
}


def _metavars(text: str, lang: str) -> str:
    """Type names in a usage line or option term (``INTEGER``, ``<int range>``, ``[OPTIONS]``)
    in ``lang``."""
    return re.sub(
        r"\b(INTEGER|INT|FLOAT|TEXT|PATH|RANGE|FILE|OPTIONS|COMMAND|ARGS)\b",
        lambda m: word(_METAVARS[m[1].upper()], lang),
        text,
        flags=re.IGNORECASE,
    )


_ZH_CONTEXTS: dict[type, type] = {}


def _zh_context(base: type) -> type:
    """A subclass of the context class ``base`` (click's, or the one typer ships) whose
    help formatter writes click's own words (Usage, Options, default...) in Chinese."""
    if base in _ZH_CONTEXTS.values():
        return base
    if base not in _ZH_CONTEXTS:
        fmt_base: Any = base.formatter_class  # type: ignore[attr-defined]

        class Formatter(fmt_base):  # type: ignore[misc]
            def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
                super().write_usage(prog, _metavars(args, "zh"), word("help_usage", "zh"))

            def write_heading(self, heading: str) -> None:
                key = _CLICK_WORDS.get(heading)
                super().write_heading(word(key, "zh") if key else heading)

            def write_dl(self, rows: Any, col_max: int = 30, col_spacing: int = 2) -> None:
                out = []
                for term, text in rows:
                    text = text.replace("[default: ", f"[{word('help_default', 'zh')}: ")
                    text = text.replace("[required]", f"[{word('help_required', 'zh')}]")
                    if text == word("help_help", "en"):  # click's own --help option
                        text = word("help_help", "zh")
                    out.append((_metavars(term, "zh"), text))
                super().write_dl(out, col_max, col_spacing)

        _ZH_CONTEXTS[base] = type("ZhContext", (base,), {"formatter_class": Formatter})
    return _ZH_CONTEXTS[base]


def _plain_context(cls: type) -> type:
    """The context class a Chinese one was made from (itself otherwise)."""
    for base, zh in _ZH_CONTEXTS.items():
        if cls is zh:
            return base
    return cls


def localize(command: Any, lang: str) -> None:
    """Put every help text of ``command`` (a click command built by typer, and its
    subcommands) in ``lang``: the i18n table's ``help_*`` messages, and click's own words
    through a Chinese help formatter."""
    index = help_index()

    def one(cmd: Any, name: str | None) -> None:
        if name is None:
            cmd.help = word("help_app", lang)
        elif f"help_cmd_{name}" in index.values():
            cmd.help = word(f"help_cmd_{name}", lang)
        for p in cmd.params:
            if not hasattr(p, "help"):
                continue
            if p.name in _BUILTIN_HELP:
                p.help = word(_BUILTIN_HELP[p.name], lang)
            elif p.help is not None and p.help in index:
                p.help = help_text(index[p.help], lang)
        plain = _plain_context(cmd.context_class)
        cmd.context_class = _zh_context(plain) if lang == "zh" else plain
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            one(sub, sub_name)

    one(command, None)


def _argv_lang(argv: list[str]) -> str | None:
    """``--lang X`` or ``--lang=X`` anywhere on the command line."""
    for i, a in enumerate(argv):
        if a == "--lang" and i + 1 < len(argv):
            return argv[i + 1]
        if a.startswith("--lang="):
            return a.split("=", 1)[1]
    return None


def main() -> None:
    """Entry point of the ``clustersim`` script: the language of ``--help`` is chosen from
    the command line, the config file and the locale before the app runs."""
    command = typer.main.get_command(app)
    try:
        lang = _argv_lang(sys.argv[1:]) or resolve_lang(None, None, load_settings())
    except ClusterSimError:
        lang = "en"  # the command itself reports the config file's errors
    localize(command, lang if lang in ("en", "zh") else "en")
    command(prog_name="clustersim")
