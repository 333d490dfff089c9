"""What every command group shares: the consoles, option types, choice checks, one-line
errors and status lines on a terminal.

Light on purpose (typer, rich and the standard library): every command module imports it,
so nothing here may slow ``clustersim --help`` down.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from clustersim.cli.config import Settings, load_settings
from clustersim.errors import ClusterSimError
from clustersim.i18n import LANGS, WORDS, word

if TYPE_CHECKING:
    from rich.console import Console

    from clustersim.results import StatusRule

__all__ = [
    "EngineChoice",
    "Format",
    "Lang",
    "LangOpt",
    "Progress",
    "SamplesOpt",
    "ScenarioArg",
    "SeedOpt",
    "StatusFrom",
    "check_choice",
    "describe",
    "err",
    "fail",
    "h",
    "help_index",
    "help_text",
    "locale_lang",
    "log",
    "out",
    "projecting",
    "resolve_lang",
    "run_guarded",
    "settings",
    "status_rule",
]

#: the fields each help text was formatted with (``h("plot_format", formats=...)``), so
#: :func:`help_text` can give the same text in the other language
_HELP_FIELDS: dict[str, dict[str, object]] = {}


def h(key: str, **fmt: object) -> str:
    """The English help text ``help_<key>`` of the i18n table, as options are declared;
    :func:`clustersim.cli.localize` swaps it for the chosen language when the app is built."""
    _HELP_FIELDS[f"help_{key}"] = fmt
    return word(f"help_{key}", "en", **fmt)


def help_index() -> dict[str, str]:
    """Every help text of the table, in either language, to its message id."""
    index: dict[str, str] = {}
    for key in WORDS:
        if key.startswith("help_"):
            fmt = _HELP_FIELDS.get(key, {})
            try:
                for lang in LANGS:
                    index[word(key, lang, **fmt)] = key
            except KeyError:  # a text with fields no option has used yet
                continue
    return index


def help_text(key: str, lang: str) -> str:
    """The help text ``key`` in ``lang``, with the fields it was declared with."""
    return word(key, lang, **_HELP_FIELDS.get(key, {}))


class _Lazy:
    """A rich console made on first use: importing rich (and the command modules that
    print with it) is not needed to parse a command line or to write ``--json``."""

    def __init__(self, make: Callable[[], Console]) -> None:
        self._make = make
        self._console: Console | None = None

    def real(self) -> Console:
        """The console itself (for rich objects that keep a reference to it)."""
        if self._console is None:
            self._console = self._make()
        return self._console

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real(), name)


def real_console(console: Console) -> Console:
    """``console`` itself: :data:`out` and :data:`err` are made on first use."""
    return console.real() if isinstance(console, _Lazy) else console


def _out() -> Console:
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=False)
    if not console.is_terminal:  # pipes and CI logs: wide enough for the target table
        console = Console(highlight=False, soft_wrap=False, width=160)
    return console


def _err() -> Console:
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


#: standard output and standard error (rich consoles, made when first used)
out: Console = _Lazy(_out)  # type: ignore[assignment]
err: Console = _Lazy(_err)  # type: ignore[assignment]

ScenarioArg = Annotated[
    Path,
    typer.Argument(help=h("scenario_arg"), show_default=False),
]
SamplesOpt = Annotated[
    int,
    typer.Option(
        "--samples",
        "-n",
        min=1,
        help=h("samples"),
    ),
]
SeedOpt = Annotated[
    int | None,
    typer.Option("--seed", "-s", help=h("seed")),
]


# --- choices: one Enum each, so ``--help`` lists them and typer refuses anything else;
# tests/cli/test_look.py holds each to the registry it mirrors

class Lang(StrEnum):
    """The languages of ``--lang`` (:data:`clustersim.i18n.LANGS`)."""

    en = "en"
    zh = "zh"


class Format(StrEnum):
    """Output file formats (:data:`clustersim.formats.FORMATS`)."""

    parquet = "parquet"
    csv = "csv"
    json = "json"


class EngineChoice(StrEnum):
    """``--engine``: ``auto`` or a name of :data:`clustersim.engines.ENGINES`."""

    auto = "auto"
    numpy = "numpy"
    numba = "numba"
    projection = "projection"


class StatusFrom(StrEnum):
    """Where a Monte Carlo target's status comes from."""

    probability = "probability"
    median = "median"


LangOpt = Annotated[
    Lang | None,
    typer.Option(
        "--lang",
        help=h("lang"),
        show_default=False,
    ),
]

#: the logger of the command line; -v shows its INFO lines, -vv DEBUG, -q only errors
log = logging.getLogger("clustersim")


def settings() -> Settings:
    """The config files' defaults (:mod:`clustersim.cli.config`), read for each command."""
    return load_settings()


def locale_lang(environ: Mapping[str, str] | None = None) -> str | None:
    """``"zh"`` when the locale (``LC_ALL``, then ``LC_MESSAGES``, then ``LANG``) is Chinese,
    ``"en"`` when it names another language, None when unset."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value and value not in ("C", "POSIX", "C.UTF-8"):
            return "zh" if value.lower().startswith("zh") else "en"
    return None


def resolve_lang(ctx: typer.Context | None, lang: Lang | str | None, conf: Settings) -> str:
    """The language of a command: its ``--lang``, then ``clustersim --lang``, then the
    config files, then the locale, then English."""
    if lang is not None:
        return lang.value if isinstance(lang, Lang) else str(lang)
    root = ctx.find_root().obj if ctx is not None else None
    if isinstance(root, dict) and root.get("lang"):
        return str(root["lang"])
    if "lang" in conf.origin:
        return conf.lang
    return locale_lang() or conf.lang


def status_rule(likely: float | None, unlikely: float | None, conf: Settings) -> StatusRule:
    """The thresholds of a Monte Carlo status: the options, else the config's, else 80/20%."""
    from clustersim.results import StatusRule

    return StatusRule(
        likely=conf.likely if likely is None else likely,
        unlikely=conf.unlikely if unlikely is None else unlikely,
    )


def describe(conf: Settings, lang: str = "en") -> str:
    """The settings a config file set, for ``-v``: ``samples=1000 (clustersim.toml)``."""
    if not conf.origin:
        return word("log_no_config", lang)
    return ", ".join(f"{k}={getattr(conf, k)!r} ({f})" for k, f in conf.origin.items())

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
        from clustersim.cli.errors import options

        return err.status(word("status_projecting", options()[0], n=f"{samples:,}"))
    return nullcontext()


class Progress:
    """A rich progress bar on a terminal's stderr, fed as ``progress(done, total[, what])``:
    the sweep's samples, the report's charts. Nothing is drawn off a terminal or when
    ``enabled`` is False.
    """

    def __init__(self, what: str, *, enabled: bool = True) -> None:
        """``what``: ``"chart"`` or ``"sweep"`` (the label ``progress_<what>`` of the i18n
        table, in the running command's ``--lang``)."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as RichProgress

        from clustersim.cli.errors import options

        self.verb = word(f"progress_{what}", options()[0])
        self.bar = RichProgress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=real_console(err),
            transient=True,
            disable=not (enabled and err.is_terminal),
        )
        self.task: Any = None

    def __call__(self, done: int, total: int, what: str = "") -> None:
        text = f"{self.verb}: {what}" if what else self.verb
        if self.task is None:
            self.task = self.bar.add_task(text, total=total, completed=done)
        else:
            self.bar.update(self.task, total=total, completed=done, description=text)

    def __enter__(self) -> Progress:
        self.bar.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


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
