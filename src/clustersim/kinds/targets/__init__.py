"""Target kinds: one module per kind, one class per module, and the one registry of them.

:data:`TARGET_KINDS` maps a kind's name (its ``kind:`` in scenario files) to its class. The
scenario model's tagged union, compile, both engines, required growth, the reports and
the docs table all read it; nothing else lists the kinds. The registry is filled by
importing every module of this package (in name order) and taking each
:class:`TargetKind` subclass that declares ``kind: Literal["<name>"]``: adding a kind is
one new module here (see docs/architecture-target-kinds.md).
"""

from __future__ import annotations

import importlib
import pkgutil
import typing
from typing import Any

from clustersim.core import expr as ex
from clustersim.core.targets import Bound, TargetSpec
from clustersim.kinds.targets._base import (
    GOALS,
    About,
    ClusterScope,
    EveryYearKind,
    KernelCode,
    KernelWriter,
    Lever,
    PointKind,
    TargetKind,
)

__all__ = [
    "GOALS",
    "TARGET_KINDS",
    "About",
    "ClusterScope",
    "EveryYearKind",
    "KernelCode",
    "KernelWriter",
    "Lever",
    "PointKind",
    "TargetKind",
    "docs_table",
    "kind_name",
    "register",
    "target_kind",
    "target_spec",
]

#: kind name -> class, in the order of the modules' names
TARGET_KINDS: dict[str, type[TargetKind]] = {}


def kind_name(cls: type[TargetKind]) -> str:
    """The name a kind class declares in ``kind: Literal["<name>"]``."""
    field = cls.model_fields.get("kind")
    args = typing.get_args(field.annotation) if field is not None else ()
    if len(args) != 1 or not isinstance(args[0], str):
        raise TypeError(f"{cls.__name__} must declare kind: Literal['<name>']")
    return args[0]


def register(cls: type[TargetKind]) -> type[TargetKind]:
    """Add a kind class to :data:`TARGET_KINDS` (done for every module of this package)."""
    name = kind_name(cls)
    if TARGET_KINDS.get(name, cls) is not cls:
        raise ValueError(f"target kind {name!r} is defined twice")
    TARGET_KINDS[name] = cls
    return cls


def target_kind(name: str) -> type[TargetKind]:
    """The class of kind ``name``; a ``KeyError`` names the kinds there are."""
    try:
        return TARGET_KINDS[name]
    except KeyError:
        raise KeyError(f"unknown target kind {name!r}; known: {', '.join(TARGET_KINDS)}") from None


def target_spec(
    tid: str, kind: str, metric: ex.Expr, year: int, bound: Bound | None = None, **fields: Any
) -> TargetSpec:
    """A compiled target of kind ``kind`` built by hand (tests, benchmarks): the arguments
    of :class:`~clustersim.core.targets.TargetSpec`, with the kind's evaluation set."""
    return target_kind(kind).spec(tid, metric, year, bound, **fields)


def docs_table() -> str:
    """The table of target kinds in docs/scenario-format.md, from the registry."""
    rows = ["| kind | fields | value |", "|---|---|---|"]
    rows += [f"| `{n}` | {c.doc_fields} | {c.doc_value} |" for n, c in TARGET_KINDS.items()]
    return "\n".join(rows)


def _discover() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, TargetKind)
                and obj.__module__ == module.__name__
                and "kind" in obj.model_fields
            ):
                register(obj)


_discover()
