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
decided before the help is printed: ``--lang`` (an eager option of ``clustersim`` itself, or
the command's own anywhere after its name, which :class:`_RootGroup` notes before the root
callback runs), else the config file, else the locale (``LC_ALL`` / ``LANG`` starting with
``zh``). click's own usage errors follow the same language (:func:`_localize_usage_error`).

Exit codes: 0 success (``check``: every target met), 1 a target missed (``check``),
2 invalid input (bad YAML, schema error, unknown name...). Errors print one line per
problem, ``file:line: field.path: message``, and never a traceback.
"""

from __future__ import annotations

import copy
import importlib
import logging
import os
import re
import sys
from typing import Annotated, Any

import typer
import typer.core

from clustersim._version import __version__
from clustersim.cli import coercion
from clustersim.cli._common import Lang, fail, h, help_index, help_text, log, resolve_lang
from clustersim.cli.config import load_settings
from clustersim.errors import ClusterSimError
from clustersim.i18n import WORDS, word

__all__ = [
    "BLAS_THREAD_TIMEOUT",
    "COMMAND_MODULES",
    "GC_THRESHOLD",
    "app",
    "build_app",
    "localize",
    "main",
]

#: every command and the module of :mod:`clustersim.cli` that defines it, in the order
#: ``clustersim --help`` lists them (each module's ``COMMANDS``; tests/cli hold the two
#: equal). Listed here so that running one command imports and builds only that one.
COMMAND_MODULES: dict[str, str] = {
    "run": "run",
    "check": "run",
    "validate": "run",
    "schema": "run",
    "calibrate": "analysis",
    "backtest": "analysis",
    "bench": "bench",
    "report": "report",
    "plot": "report",
    "export": "report",
    "import": "report",
    "sweep": "sweep",
    "discover": "discover",
    "decompose": "discover",
    "serve": "serve",
}


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


#: where :class:`_RootGroup` leaves a command's own ``--lang`` for :func:`_root`
_SUB_LANG = "clustersim.sub_lang"
#: where :func:`_root` leaves the language it chose (for click's usage errors)
_LANG = "clustersim.lang"


def _ctx_lang(ctx: Any) -> str | None:
    """The language :func:`_root` chose; before it ran (an unknown command), the root's or the
    command's ``--lang``, else the config's or the locale's."""
    chosen = ctx.meta.get(_LANG)
    if chosen is None:
        given = ctx.params.get("lang") or ctx.meta.get(_SUB_LANG)
        try:
            chosen = resolve_lang(None, given, load_settings())
        except ClusterSimError:
            chosen = None
    return None if chosen is None else str(chosen)


def _localize_usage_error(exc: BaseException, lang: str | None) -> None:
    """Make click's usage error ``exc`` (unknown option, missing argument, bad value...) print
    in Chinese when ``lang`` is zh: the usage line (already the Chinese formatter's), the
    hint and the message (:data:`clustersim.i18n.TRANSLATIONS`). Other exceptions untouched."""
    if lang != "zh" or not (hasattr(exc, "show") and hasattr(exc, "format_message")):
        return
    if type(exc).__name__ not in ("UsageError", "BadParameter", "MissingParameter", "NoSuchOption",
                                  "BadOptionUsage", "BadArgumentUsage"):
        return
    from clustersim.i18n import translate

    def show(file: Any = None) -> None:
        ctx = getattr(exc, "ctx", None)
        text = str(exc.format_message())
        m = re.fullmatch(r"Invalid value for (?P<p>.+?): (?P<m>.*)", text, flags=re.S)
        if m is not None:
            text = word("usage_invalid", "zh", param=m["p"], message=translate(m["m"]))
        else:
            text = translate(text)
        stream = file if file is not None else sys.stderr
        if ctx is not None:
            # the usage line by the Chinese formatter, also before _root localised the app
            zh: Any = _zh_context(_plain_context(type(ctx)))
            ctx.formatter_class = zh.formatter_class
            hint = ""
            if ctx.command.get_help_option(ctx) is not None:
                hint = word(
                    "usage_try", "zh", command=ctx.command_path, option=ctx.help_option_names[0]
                ) + "\n"
            stream.write(f"{ctx.get_usage()}\n{hint}\n")
        stream.write(word("error_prefix", "zh") + text + "\n")

    setattr(exc, "show", show)  # noqa: B010 (an instance's own show, not the class's)


class _RootGroup(typer.core.TyperGroup):
    """The ``clustersim`` group: it notes the ``--lang`` given after the command name
    (``clustersim report --help --lang zh``) for :func:`_root`.

    click runs the group's callback before it parses the command's own options, so without
    this :func:`_root` saw no ``--lang``, chose the config's or the locale's language and put
    the whole help back in English before the command printed it."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except Exception as exc:  # the root's own options (clustersim --lnag zh ...)
            _localize_usage_error(exc, _argv_lang(args))
            raise

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except Exception as exc:  # a command's options, parsed after _root chose the language
            _localize_usage_error(exc, _ctx_lang(ctx))
            raise

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        rest = super().parse_args(ctx, args)
        # click >= 8.2 (and the click typer ships) keeps the command's name in ``_protected_args`` (8.1: ``protected_args``)
        protected = getattr(ctx, "_protected_args", None)
        if protected is None:
            protected = ctx.protected_args
        sub = [*protected, *ctx.args][1:]  # after the command's name
        if "--" in sub:
            sub = sub[: sub.index("--")]
        ctx.meta[_SUB_LANG] = _argv_lang(sub)
        return rest


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
    sub_lang = ctx.meta.get(_SUB_LANG)
    chosen = resolve_lang(None, lang if sub_lang not in ("en", "zh") else sub_lang, conf)
    ctx.obj = {"lang": lang.value if lang is not None else None}
    ctx.meta[_LANG] = chosen
    localize(ctx.command, chosen)
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(verbose, 2)]
    _logging(level, chosen)


def _logging(level: int, lang: str = "en") -> None:
    """The ``clustersim`` logger to stderr at ``level`` (standard :mod:`logging`)."""
    for handler in list(log.handlers):
        log.removeHandler(handler)
    # the stream stderr's rich console writes to (``err.file``), without making the console
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        _ZhLevelFormatter("%(levelname)s：%(message)s")
        if lang == "zh"
        else logging.Formatter("%(levelname)s: %(message)s")
    )
    log.addHandler(handler)
    log.setLevel(level)
    log.propagate = False


class _ZhLevelFormatter(logging.Formatter):
    """The level of a log line in Chinese (``信息：`` for ``INFO:``), the rest as logging's."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        key = f"log_{record.levelname}"
        if key not in WORDS:
            return super().formatMessage(record)
        # a copy: the record itself is left as the other handlers see it
        renamed = copy.copy(record)
        renamed.levelname = word(key, "zh")
        return super().formatMessage(renamed)


def build_app(only: str | None = None) -> typer.Typer:
    """The ``clustersim`` typer app: every command group, shell completion, ``--version``,
    ``--lang``, ``-v`` / ``-q``.

    ``only``: just that command (a key of :data:`COMMAND_MODULES`) beside the root options,
    for :func:`main` when no help is asked: typer then reads one command's signature
    instead of fifteen, and the other command modules are not imported.
    """
    new = typer.Typer(
        name="clustersim",
        help=word("help_app", "en"),
        no_args_is_help=True,
        add_completion=True,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        cls=_RootGroup,
    )
    new.callback()(_root)
    # the order ``clustersim --help`` lists the commands in
    for name, module in COMMAND_MODULES.items():
        if only is not None and name != only:
            continue
        group = importlib.import_module(f"clustersim.cli.{module}")
        new.command(name, help=word(f"help_cmd_{name}", "en"))(group.COMMANDS[name])
    return new


_APP: typer.Typer | None = None


def __getattr__(name: str) -> Any:
    """:data:`app`, every command, built on first use (``from clustersim.cli import app``)."""
    global _APP
    if name == "app":
        if _APP is None:
            _APP = build_app()
        return _APP
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

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


#: root options that take a value (the next argument is not the command)
_ROOT_VALUED = frozenset({"--lang"})


def _argv_command(argv: list[str]) -> str | None:
    """The command ``argv`` runs when it asks for no help and no shell completion (then
    only that command needs building); None otherwise."""
    if any(a in ("--help", "-h") for a in argv) or any(
        k.startswith("_") and k.endswith("_COMPLETE") for k in os.environ
    ):
        return None
    skip = False
    for a in argv:
        if skip:
            skip = False
            continue
        if a == "--":
            return None
        if a.startswith("-"):
            skip = a in _ROOT_VALUED
            continue
        return a if a in COMMAND_MODULES else None
    return None


#: the command line's first-generation threshold of the cyclic garbage collector
GC_THRESHOLD = 100_000


def _fewer_collections() -> None:
    """Let the cyclic garbage collector wait for :data:`GC_THRESHOLD` new container objects
    instead of Python's 700 (issue 21, part 4). A command's start allocates hundreds of
    thousands of objects that live as long as the process (NumPy, pydantic, typer, ~55 model
    classes and ~75 dataclasses, the scenario) and almost no garbage cycles, and at 700 the
    collector scanned them ~125 times: 0.07-0.08 s of a cold ``clustersim run``. Cycles are
    still collected, later; only the command line's process is changed (not the library)."""
    import gc

    first, *rest = gc.get_threshold()
    if 0 < first < GC_THRESHOLD:  # 0: collection turned off; leave it so
        gc.set_threshold(GC_THRESHOLD, *rest)


#: OpenBLAS's idle worker threads spin 2**n CPU cycles before they sleep; the command line
#: sets n to OpenBLAS's minimum unless ``$OPENBLAS_THREAD_TIMEOUT`` is set
BLAS_THREAD_TIMEOUT = "4"


def _idle_blas_threads_sleep() -> None:
    """Ask OpenBLAS (NumPy's and scipy's BLAS) to put its idle worker threads to sleep at
    once instead of spinning 2**28 cycles (its default) when NumPy loads it: on this
    project's 2-core machines the spinning was 0.06-0.07 s of CPU per cold
    ``clustersim run`` (NumPy's import 0.13 -> 0.07 s, scipy's ``ndtri`` 0.035 -> 0.02 s),
    while a run does next to no BLAS work. The number of threads and how work is split
    among them stay as they were, so every result is the same to the bit. Set before NumPy
    is imported (the command line imports it only inside a command); a value the user set
    is kept, and child processes (a sweep's workers) inherit it."""
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", BLAS_THREAD_TIMEOUT)


def main() -> None:
    """Entry point of the ``clustersim`` script: the language of ``--help`` is chosen from
    the command line, the config file and the locale before the app runs.

    Without ``--help`` only the command being run is built (and its help texts are put in
    the chosen language only when that is Chinese, for click's usage errors); the whole
    app, localised, when help is asked or the command is not recognised."""
    _fewer_collections()
    _idle_blas_threads_sleep()
    argv = sys.argv[1:]
    only = _argv_command(argv)
    command = typer.main.get_command(build_app(only))
    coercion.install(command)  # plain values without typer's pydantic adapters
    try:
        lang = _argv_lang(argv) or resolve_lang(None, None, load_settings())
    except ClusterSimError:
        lang = "en"  # the command itself reports the config file's errors
    lang = lang if lang in ("en", "zh") else "en"
    if only is None or lang != "en":
        localize(command, lang)
    command(prog_name="clustersim")
