"""Where every value of a scenario was written: file, line, and the ``extends`` chain.

The loader (:mod:`clustersim.scenario.loader`) returns a :class:`Provenance` beside the
validated scenario (:func:`~clustersim.scenario.loader.load`); it travels with the
scenario as its declared ``provenance`` (set once by the loader) and is read where a
message or an explanation names a place: validation and compile errors
(``file:line: field.path: message``), ``clustersim validate --explain``, sweep plans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Key", "Origin", "Provenance"]

#: a field path in the scenario data, as text keys: ``("region", "gdp", "base")``
Key = tuple[str, ...]


@dataclass(frozen=True)
class Origin:
    """Where a value was written: file and 1-based line and column."""

    file: str
    line: int
    column: int = 1

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Provenance:
    """A scenario's data as its files wrote it, and where each value was written.

    Attributes
    ----------
    data : dict
        The merged mapping before validation (what ``--explain`` shows; year keys are
        ints as YAML loads them).
    origins : mapping of Key to Origin
        Where each path, mapping and leaf alike, was last written.
    overridden : mapping of Key to tuple of Origin
        For a path a file in the ``extends`` chain overrode: the origins it overrode,
        oldest first.
    files : tuple of str
        The ``extends`` chain: the root file first, the file that was loaded last.
    """

    data: dict[str, Any]
    origins: Mapping[Key, Origin]
    overridden: Mapping[Key, tuple[Origin, ...]] = field(default_factory=dict)
    files: tuple[str, ...] = ()

    def where(self, loc: Key) -> Origin | None:
        """Origin of ``loc`` or of its nearest ancestor that has one."""
        for n in range(len(loc), -1, -1):
            o = self.origins.get(loc[:n])
            if o is not None:
                return o
        return None

    def at(self, loc: Key) -> str:
        """``file:line: a.b.c`` for path ``loc`` (the loaded file when nothing closer)."""
        o = self.where(loc)
        return f"{o if o else self.files[-1] if self.files else '?'}: {'.'.join(loc)}"

    def chain(self, loc: Key) -> tuple[str, ...]:
        """The ``extends`` chain from the loaded file down to the file that set ``loc``.

        ``(child.yaml, parent.yaml)`` for a value the child inherits from its parent;
        ``(child.yaml,)`` for one it sets itself; empty when ``loc`` has no origin.
        """
        o = self.where(loc)
        if o is None or o.file not in self.files:
            return ()
        i = self.files.index(o.file)
        return tuple(reversed(self.files[i:]))
