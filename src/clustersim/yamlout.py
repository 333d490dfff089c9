"""The one YAML writer: scenario files from ``clustersim import``, calibrated fragments from
``clustersim calibrate``.

It is PyYAML's safe dumper (``yaml.SafeDumper``, what ``yaml.safe_dump`` uses): plain data
only (mappings, lists, strings, numbers, booleans, null), quoting chosen by PyYAML, so
whatever it writes PyYAML's safe loader reads back as the same data. One addition, for
people reading the file: multi-line text as a literal block (``|``). Short mappings and lists
of scalars are written in flow style (``{zh: 新材料, en: New materials}``), the rest in block
style; keys keep their order. Why not ruamel.yaml: these files are written whole from data
(a scenario read back from a workbook, a fragment built from fits), never edited in place,
so round-trip comment keeping buys nothing and would add a dependency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

__all__ = ["dump_yaml"]

#: lines longer than this are folded (flow collections wrap, plain text folds)
WIDTH = 100


class _Dumper(yaml.SafeDumper):
    """The safe dumper; multi-line strings as literal blocks; no anchors for repeats."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def _str(dumper: yaml.SafeDumper, s: str) -> yaml.ScalarNode:
    # a literal block keeps text exactly, unless a line ends in spaces or holds controls
    multi = "\n" in s.rstrip("\n") and all(c == "\n" or c.isprintable() for c in s)
    if multi and not any(line != line.rstrip() for line in s.split("\n")):
        return dumper.represent_scalar("tag:yaml.org,2002:str", s, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", s)


_Dumper.add_representer(str, _str)


def _plain(value: Any) -> Any:
    """Tuples as lists and mappings as dicts (what the safe dumper knows)."""
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def dump_yaml(data: Mapping[str, Any], header: str = "") -> str:
    """``data`` as YAML text, after ``header`` written as ``#`` comment lines.

    Raises
    ------
    ValueError
        For a value the safe dumper cannot write (an object that is not plain data).
    """
    try:
        body = yaml.dump(
            _plain(data),
            Dumper=_Dumper,
            allow_unicode=True,
            sort_keys=False,
            default_flow_style=None,
            width=WIDTH,
        )
    except yaml.representer.RepresenterError as exc:
        raise ValueError(f"cannot write to YAML: {exc}") from exc
    head = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    return head + ("" if body.strip() in ("{}", "null", "") else body)
