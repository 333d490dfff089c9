"""A small YAML writer for scenario data (mappings, lists, strings, numbers, booleans, null).

YAML parsing stays in :mod:`clustersim.scenario.loader`; writing a scenario needs only this:
block mappings, short mappings of scalars in flow style (``{zh: 新材料, en: New
materials}``), literal blocks for multi-line text, and double-quoted strings wherever a plain
scalar could be misread (numbers, booleans, ``:``, ``#``, leading symbols...). Floats are
written so that YAML 1.1 loaders (PyYAML) read them back as the same float.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["dump_yaml"]

#: plain (unquoted) scalars: a letter first, none of YAML's indicators inside
_SAFE = re.compile(r"^[A-Za-z_\u0080-\uffff][^\n:#{}\[\],&*!|>'\"%@`?]*$")
_RESERVED = re.compile(
    r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF"
    r"|null|Null|NULL|~|[-+]?\.?(?:inf|Inf|INF|nan|NaN|NAN))$"
)
_NUMBERISH = re.compile(r"^[-+]?[0-9_.,:]+(?:[eE][-+]?[0-9]+)?$|^0[xob]")
FLOW_WIDTH = 100


def _float(v: float) -> str:
    if not math.isfinite(v):
        raise ValueError(f"cannot write {v!r}: scenarios hold finite numbers only")
    text = repr(float(v))
    if "e" in text or "E" in text:
        mant, _, exp = text.lower().partition("e")
        if "." not in mant:
            mant += ".0"  # YAML 1.1 needs a dot: 1e-05 would load as a string
        text = f"{mant}e{'+' if not exp.startswith(('-', '+')) else ''}{exp}"
    return text


def _string(s: str) -> str:
    if (
        s
        and _SAFE.match(s)
        and not _RESERVED.match(s)
        and not _NUMBERISH.match(s)
        and s == s.strip()
        and "  " not in s
        and all(c.isprintable() for c in s)
    ):
        return s
    return json.dumps(s, ensure_ascii=False)


def _scalar(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return _float(v)
    if isinstance(v, str):
        return _string(v)
    raise TypeError(f"cannot write {type(v).__name__} to YAML")


def _key(k: Any) -> str:
    if isinstance(k, bool) or not isinstance(k, int | str):
        raise TypeError(f"cannot write key {k!r}")
    return str(k) if isinstance(k, int) else _string(k)


def _is_scalar(v: Any) -> bool:
    return v is None or isinstance(v, bool | int | float | str)


def _literal_ok(s: str) -> bool:
    """Multi-line text that a literal block (``|``) reproduces exactly."""
    return (
        "\n" in s.rstrip("\n")
        and not s.startswith((" ", "\n"))
        and "\r" not in s
        and not s.endswith(" ")
        and all(c.isprintable() or c == "\n" for c in s)
        and not any(line.endswith((" ", "\t")) for line in s.split("\n"))
    )


def _literal(s: str, indent: int) -> list[str]:
    body = s.rstrip("\n")
    trailing = len(s) - len(body)
    chomp = "-" if trailing == 0 else ("" if trailing == 1 else "+")
    pad = " " * indent
    lines = [f"|{chomp}"]
    lines += [(pad + line) if line else "" for line in body.split("\n")]
    lines += [""] * (trailing - 1 if trailing > 1 else 0)
    return lines


def _folded_ok(s: str) -> bool:
    """Long one-line text (with at most one final newline) that a folded block (``>``)
    reproduces exactly: breaks go at single spaces only."""
    body = s[:-1] if s.endswith("\n") else s
    return (
        len(body) > FLOW_WIDTH - 20
        and "\n" not in body
        and body == body.strip()
        and "  " not in body
        and " " in body
        and all(c.isprintable() for c in body)
    )


def _folded(s: str, indent: int) -> list[str]:
    body = s[:-1] if s.endswith("\n") else s
    width = max(40, FLOW_WIDTH - indent)
    lines: list[str] = []
    cur = ""
    for w in body.split(" "):
        if cur and len(cur) + 1 + len(w) > width:
            lines.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    lines.append(cur)
    pad = " " * indent
    return [">" if s.endswith("\n") else ">-", *(pad + line for line in lines)]


def _flow(value: Mapping[Any, Any]) -> str | None:
    if not value or not all(_is_scalar(v) for v in value.values()):
        return None
    parts = []
    for k, v in value.items():
        if isinstance(v, str) and "\n" in v:
            return None
        parts.append(f"{_key(k)}: {_scalar(v)}")
    return "{" + ", ".join(parts) + "}"


def _emit(value: Any, indent: int, out: list[str], prefix: str) -> None:
    """Append ``value`` to ``out``.

    ``prefix`` is the text already on the value's first line (``""`` at the top, ``"key: "``
    or ``"- "`` with their indentation); ``indent`` is the column of the value's nested lines.
    """
    pad = " " * indent
    if isinstance(value, Mapping):
        if not value:
            out.append(prefix + "{}")
            return
        flow = _flow(value)
        if flow is not None and prefix and len(prefix) + len(flow) <= FLOW_WIDTH:
            out.append(prefix + flow)
            return
        if prefix:
            out.append(prefix.rstrip())
        for k, v in value.items():
            _emit(v, indent + 2, out, f"{pad}{_key(k)}: ")
        return
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            out.append(prefix + "[]")
            return
        if all(_is_scalar(v) and not (isinstance(v, str) and "\n" in v) for v in value):
            flow = "[" + ", ".join(_scalar(v) for v in value) + "]"
            if len(prefix) + len(flow) <= FLOW_WIDTH:
                out.append(prefix + flow)
                return
        if prefix:
            out.append(prefix.rstrip())
        for v in value:
            flow_item = _flow(v) if isinstance(v, Mapping) else None
            fits = flow_item is not None and indent + 2 + len(flow_item) <= FLOW_WIDTH
            if isinstance(v, Mapping) and v and not fits:
                for i, (k, item) in enumerate(v.items()):
                    lead = f"{pad}- " if i == 0 else f"{pad}  "
                    _emit(item, indent + 4, out, f"{lead}{_key(k)}: ")
            else:
                _emit(v, indent + 2, out, f"{pad}- ")
        return
    if isinstance(value, str) and (_literal_ok(value) or _folded_ok(value)):
        lines = _literal(value, indent) if _literal_ok(value) else _folded(value, indent)
        out.append(prefix + lines[0])
        out.extend(lines[1:])
        return
    out.append(prefix + _scalar(value))


def dump_yaml(data: Mapping[str, Any], header: str = "") -> str:
    """``data`` as a YAML document, optionally after ``header`` comment lines.

    Parameters
    ----------
    data : mapping
        Nested mappings and lists of str, int, float, bool and None (int or str keys).
    header : str
        Text put before the document as ``#`` comments, one per line.
    """
    out = [f"# {line}".rstrip() for line in header.splitlines()]
    for k, v in data.items():
        _emit(v, 2, out, f"{_key(k)}: ")
    return "\n".join(out) + "\n"
