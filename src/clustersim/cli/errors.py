"""How every command says that input was bad: ``error: FILE:LINE: field: message`` lines on
stderr in the language of ``--lang``, or, under ``--json``, one JSON error document on
stdout; exit status 2 either way.

The command's own options are read from the click context, so a command needs no code of
its own for this: ``fail(exc)`` in :mod:`clustersim.cli._common` calls :func:`report`.

The JSON error document (documented in README.md, "Output files")::

    {"ok": false,
     "errors": [{"file", "line", "column", "field", "message", "message_zh", "hint",
                 "hint_zh"}, ...],
     "more": 0}

``errors`` holds at most :data:`~clustersim.errors.MAX_SHOWN` problems; ``more`` counts the
rest. A field that is not known is ``null``.
"""

from __future__ import annotations

import importlib
import json
import sys
from contextvars import ContextVar
from typing import Any

from rich.console import Console

from clustersim.errors import ClusterSimError, Problem, ScenarioError, error_document
from clustersim.i18n import LANGS, localize, problem_lines, word

__all__ = ["DEFAULT_LANG", "error_json", "options", "report", "validation_json"]

#: the language of errors of a command without ``--lang`` when set (code embedding the CLI,
#: tests); unset, the config file's or the locale's choice applies, else English
DEFAULT_LANG: ContextVar[str | None] = ContextVar("clustersim_error_lang", default=None)


def options() -> tuple[str, bool]:
    """``(lang, as_json)`` of the running command: its ``--lang``, else ``clustersim --lang``,
    else :data:`DEFAULT_LANG` when set, else the language the root chose from the config
    file or the locale (the context's ``clustersim.lang``), else English; and ``--json``."""
    ctx: Any = _current_context()
    lang: str | None = None
    chosen = None if ctx is None else ctx.meta.get("clustersim.lang")  # meta: one per run
    as_json = False
    while ctx is not None:
        params = ctx.params or {}
        if lang is None and params.get("lang") in LANGS:
            lang = str(params["lang"])
        if params.get("as_json"):
            as_json = True
        ctx = ctx.parent
    if lang is None:
        lang = DEFAULT_LANG.get()
    if lang is None and chosen in LANGS:
        lang = str(chosen)
    return lang or "en", as_json


def _current_context() -> Any:
    """The running click context: typer >= 0.22 runs its own copy of click (``typer._click``),
    older typer runs click itself."""
    try:
        mod = importlib.import_module("typer._click.globals")
    except ImportError:  # typer < 0.22
        mod = importlib.import_module("click")
    return mod.get_current_context(silent=True)


def _items(exc: ClusterSimError) -> list[Problem]:
    if isinstance(exc, ScenarioError):
        return exc.items
    return [Problem.from_text(line) for line in str(exc).splitlines() or [str(exc)]]


def error_json(exc: ClusterSimError) -> dict[str, Any]:
    """The JSON error document of ``exc``."""
    return error_document([localize(p) for p in _items(exc)])


def report(exc: ClusterSimError, console: Console) -> None:
    """Print ``exc`` for the running command: JSON on stdout under ``--json``, else one
    ``error: ...`` line per problem on ``console`` in the command's ``--lang``."""
    lang, as_json = options()
    if as_json:
        sys.stdout.write(json.dumps(error_json(exc), ensure_ascii=False, indent=2) + "\n")
        return
    lines = problem_lines(
        exc if isinstance(exc, ScenarioError) else ScenarioError(_items(exc)), lang
    )
    prefix = word("error_prefix", lang)
    for line in lines:
        console.print(f"{prefix}{line}", markup=False)


def validation_json(v: Any, found: Any, lang: str) -> dict[str, Any]:
    """The JSON document of a valid scenario (``validate --json``): the same shape as the
    error document, ``ok`` true and no errors, and what ``validate`` counts."""
    sc = v.scenario
    doc: dict[str, Any] = {
        "ok": True,
        "errors": [],
        "more": 0,
        "scenario": sc.id,
        "files": list(v.files),
        "clusters": len(sc.clusters),
        "groups": len(sc.groups),
        "indicators": len(sc.indicators),
        "targets": len(sc.targets),
        "uncertain": v.uncertain,
    }
    if v.unsourced is not None:
        doc["unsourced"] = list(v.unsourced)
    if found is not None:
        doc["audit"] = {"clean": found.clean, "findings": [f.text(lang) for f in found.findings]}
    return doc
