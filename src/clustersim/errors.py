"""Errors and warnings raised by clustersim.

Every error a user can cause derives from :class:`ClusterSimError`; the CLI prints
its message (no traceback) and exits with status 2. Messages name the file, line and
field path where one is known, the bad value and what is allowed.

A :class:`ScenarioError` holds structured :class:`Problem` s: where (file, line, column,
field path), what (the message in English and Chinese) and, where one is obvious, how to
fix it (the hint). ``str()`` of the error is the English text, one line per problem;
:meth:`ScenarioError.lines` renders either language and :meth:`ScenarioError.to_json` the
JSON error document of ``--json``. The loader writes both languages from the one table
(:mod:`clustersim.i18n`); a problem written as plain text elsewhere has English only and
shows it in both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

__all__ = [
    "MAX_SHOWN",
    "ClusterSimError",
    "ClusterSimWarning",
    "ModelError",
    "Problem",
    "ScenarioError",
]

#: most problems shown for one file; the rest are counted ("and N more problems")
MAX_SHOWN = 20

# "FILE:LINE[:COL]: [FIELD: ]message", the shape of every plain-text problem line
_TEXT = re.compile(
    r"^(?P<file>[^\s:][^:\n]*?):(?P<line>\d+)(?::(?P<col>\d+))?: "
    r"(?:(?P<field>[^\s:]+): )?(?P<msg>.*)$",
    re.S,
)


class ClusterSimError(Exception):
    """Base class of every error caused by user input."""


class ClusterSimWarning(UserWarning):
    """A warning about a suspicious but usable input."""


@dataclass(frozen=True)
class Problem:
    """One problem in an input file.

    Attributes
    ----------
    message, message_zh : str
        What is wrong, in English and in Chinese (``message_zh`` empty: English only).
    file : str or None
        The file (as the user named it).
    line, column : int or None
        1-based line and column of the offending value.
    field : str or None
        The field path, list items by 1-based position and value
        (``groups.emerging.clusters[2] ("ict")``).
    hint, hint_zh : str or None
        A suggested fix, in English and Chinese.
    place : str or None
        The location as its origin prints itself, when that is not ``FILE:LINE`` (a
        workbook's ``FILE: sheet 'S', cell C7``).
    prefix : str
        The references that led to the file (``a.yaml:2: extends: ``), printed first.
    show_column : bool
        Print the column in the one-line text (YAML syntax errors, where it matters).
    """

    message: str
    message_zh: str = ""
    file: str | None = None
    line: int | None = None
    column: int | None = None
    field: str | None = None
    hint: str | None = None
    hint_zh: str | None = None
    place: str | None = None
    prefix: str = ""
    show_column: bool = False

    @classmethod
    def from_text(cls, text: str) -> Problem:
        """A problem from a ``FILE:LINE: field: message`` line (English only)."""
        m = _TEXT.match(text)
        if m is None:
            return cls(message=text)
        col = m.group("col")
        return cls(
            message=m.group("msg"),
            file=m.group("file"),
            line=int(m.group("line")),
            column=int(col) if col else None,
            field=m.group("field"),
            show_column=col is not None,
        )

    def where(self) -> str:
        """``FILE:LINE`` (``FILE:LINE:COL`` for syntax errors), ``FILE`` or ``""``."""
        if self.place is not None:
            return self.place
        if self.file is None:
            return ""
        at = self.file
        if self.line is not None:
            at += f":{self.line}"
            if self.show_column and self.column is not None:
                at += f":{self.column}"
        return at

    def text(self, lang: str = "en") -> str:
        """The one-line message in ``lang``: ``FILE:LINE: field: message; hint``."""
        zh = lang == "zh" and bool(self.message_zh)
        msg = self.message_zh if zh else self.message
        hint = self.hint_zh if zh and self.hint_zh else self.hint
        parts = [p for p in (self.where(), self.field) if p]
        body = msg + (("；" if zh else "; ") + hint if hint else "")
        return self.prefix + ": ".join([*parts, body])

    def to_dict(self) -> dict[str, Any]:
        """The problem as one entry of the JSON error document."""
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "message": self.prefix + self.message,
            "message_zh": self.prefix + (self.message_zh or self.message),
            "hint": self.hint,
            "hint_zh": self.hint_zh or self.hint,
        }


class ScenarioError(ClusterSimError):
    """A scenario file that cannot be loaded or validated.

    Parameters
    ----------
    problems : Problem, str, or a list of them
        One per problem; a string is read as ``file:line: field: message``.
    """

    def __init__(self, problems: list[Problem | str] | list[Problem] | list[str] | Problem | str):
        items = [problems] if isinstance(problems, str | Problem) else list(problems)
        self.items: list[Problem] = [
            p if isinstance(p, Problem) else Problem.from_text(p) for p in items
        ]
        super().__init__("\n".join(self.problems))

    @property
    def problems(self) -> list[str]:
        """One English line per problem (every one, uncapped)."""
        return [p.text("en") for p in self.items]

    def prefixed(self, prefix: str) -> ScenarioError:
        """The same problems, each led by ``prefix`` (the reference that named the file)."""
        return ScenarioError([replace(p, prefix=prefix + p.prefix) for p in self.items])

    def lines(self, lang: str = "en", *, cap: int = MAX_SHOWN) -> tuple[list[str], int]:
        """The first ``cap`` problems in ``lang``, and how many more there are (the caller
        words the count: :func:`clustersim.i18n.problem_lines`)."""
        return [p.text(lang) for p in self.items[:cap]], max(0, len(self.items) - cap)

    def to_json(self, *, cap: int = MAX_SHOWN) -> dict[str, Any]:
        """The JSON error document: ``{"ok": false, "errors": [...], "more": N}``."""
        return error_document(self.items, cap=cap)


def error_document(items: list[Problem], *, cap: int = MAX_SHOWN) -> dict[str, Any]:
    """``{"ok": false, "errors": [problem, ...], "more": N}`` for ``items`` (the first ``cap``)."""
    return {
        "ok": False,
        "errors": [p.to_dict() for p in items[:cap]],
        "more": max(0, len(items) - cap),
    }


class ModelError(ClusterSimError):
    """A scenario that validates but cannot be projected (NaN, negative stock, cycle...)."""
