"""Typer's coercion of command-line values, without building a pydantic TypeAdapter for the
plain values a command line carries.

Typer 0.2x coerces every parameter it parses that is not a boolean flag through a pydantic
``TypeAdapter`` built for it when it is first parsed, defaults and ``--help`` included. That
imports the adapters' module and, through pydantic's plugin loader, ``importlib.metadata``,
and builds ~18 adapters for ``clustersim run``: 0.017 s of CPU of a cold cache-hit run of
0.56 s (``benchmarks/cold_run.py``, ``benchmarks/README.md``, eleventh pass).

:func:`install` gives each parameter of a command tree a coercion of its own (``_Fast``).
It reads the values typer's adapter would read the same way: an ``int`` or ``float`` written
plainly, a flag's ``bool``, a path, a string, a choice of an ``Enum``, a list of those, or a
default already of its type. Anything else goes to typer's own coercion, built only then: a
value out of a parameter's range, a malformed number, a choice not offered, a form this
module does not know. So what a command accepts, the values it gets and the messages of its
errors are typer's (``tests/cli/test_coercion.py`` compares them on every parameter of every
command). With a typer without this machinery (``typer._coercion``), :func:`install` does
nothing.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from pathlib import Path
from typing import Any

__all__ = ["install"]

#: what a plain integer and a plain decimal number look like on a command line: anything
#: else (spaces, ``1_000``, ``1.0`` for an int, ``inf``) goes to typer's own coercion
_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?")


class _Defer(Exception):
    """The value is not one :class:`_Fast` reads: typer's own coercion decides."""


def _leaf(annotation: Any, info: Any, value: Any, ctx: Any, param: Any) -> Any:
    """One value of ``annotation`` as typer's adapter would give it, or :class:`_Defer`."""
    from typer import _param_types as pt

    if annotation is str:
        if isinstance(value, str):
            return value
        raise _Defer
    if annotation is bool:  # a flag's value is a bool already; a word goes to typer
        if isinstance(value, bool):
            return value
        raise _Defer
    if annotation is int or annotation is float:
        if getattr(info, "clamp", False):
            raise _Defer
        if type(value) is int or (annotation is float and type(value) is float):
            got: int | float = annotation(value)
        elif isinstance(value, str) and (_INT if annotation is int else _FLOAT).fullmatch(value):
            got = annotation(value)
        else:
            raise _Defer
        lo, hi = getattr(info, "min", None), getattr(info, "max", None)
        if (lo is not None and got < lo) or (hi is not None and got > hi):
            raise _Defer  # typer says how it is out of range
        return got
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        try:
            return pt.coerce_cli_choice(
                value, choices=list(annotation), case_sensitive=info.case_sensitive, ctx=ctx
            )
        except ValueError:
            raise _Defer from None
    if annotation is Path and info.path_type is None:
        if isinstance(value, str) and value:
            value = Path(value)
        if not isinstance(value, Path):
            raise _Defer
        return pt.coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
    raise _Defer


def _item(annotation: Any) -> Any:
    """The item type of a ``list[X]`` annotation; None for any other."""
    args = getattr(annotation, "__args__", None)
    if getattr(annotation, "__origin__", None) is list and args is not None and len(args) == 1:
        return args[0]
    return None


def _fast_annotation(annotation: Any, info: Any) -> bool:
    """Whether :func:`_leaf` (or a list of it) may read values of ``annotation``."""
    if getattr(info, "parser", None) is not None:
        return False
    item = _item(annotation)
    if item is not None:
        annotation = item
    if annotation in (str, bool, int, float):
        return True
    if annotation is Path:
        return info.path_type is None
    return isinstance(annotation, type) and issubclass(annotation, enum.Enum)


def install(command: Any) -> int:
    """Give every parameter of ``command`` (a click command or group built by typer, and its
    subcommands) whose values :class:`_Fast` reads a coercion of its own; the number of
    parameters given one. Nothing happens with a typer that coerces otherwise."""
    try:
        from typer import _coercion
    except ImportError:  # typer before 0.2x: click's types coerce, no adapters
        return 0
    base = getattr(_coercion, "RuntimeParam", None)
    build = getattr(_coercion, "build_runtime_param", None)
    if not isinstance(base, type) or build is None or not dataclasses.is_dataclass(base):
        return 0
    fast = _fast_class(base, build)

    def give(p: Any) -> bool:
        td = getattr(p, "type_descriptor", None)
        if td is None or getattr(p, "_runtime_param", ...) is not None:
            return False
        if td.file_annotation is not None or not _fast_annotation(td.annotation, td.parameter_info):
            return False
        try:
            p._runtime_param = fast(
                parameter_info=td.parameter_info, annotation=td.annotation, descriptor=td
            )
        except TypeError:  # a typer whose RuntimeParam takes other fields: typer's own
            return False
        return True

    def with_help(get: Any) -> Any:
        def get_help_option(ctx: Any) -> Any:
            option = get(ctx)
            if option is not None:
                give(option)
            return option

        return get_help_option

    done = 0
    stack = [command]
    while stack:
        cmd = stack.pop()
        stack.extend(getattr(cmd, "commands", {}).values())
        done += sum(give(p) for p in getattr(cmd, "params", ()))
        # click makes a command's --help option when it first parses (and keeps it)
        get = getattr(cmd, "get_help_option", None)
        if get is not None and getattr(cmd, "_help_option", ...) is None:
            cmd.get_help_option = with_help(get)
    return done


_CLASSES: dict[type, type] = {}


def _fast_class(base: type, build: Any) -> Any:
    """:class:`_Fast` on this typer's ``RuntimeParam`` (made once)."""
    got = _CLASSES.get(base)
    if got is not None:
        return got

    @dataclasses.dataclass(frozen=True)
    class _Fast(base):  # type: ignore[misc]
        """A parameter's coercion: plain values here, the rest by typer's (built on demand)."""

        descriptor: Any = None

        def _coerce_value(self, value: Any, param: Any, ctx: Any) -> Any:
            info, annotation = self.parameter_info, self.annotation
            try:
                item = _item(annotation)
                if item is None:
                    return _leaf(annotation, info, value, ctx, param)
                if not isinstance(value, list | tuple):
                    raise _Defer
                return [_leaf(item, info, v, ctx, param) for v in value]
            except _Defer:
                return build(self.descriptor)._coerce_value(value, param=param, ctx=ctx)

    _CLASSES[base] = _Fast
    return _Fast
