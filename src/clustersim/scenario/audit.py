"""Audit a scenario for numbers and targets that do not say where they come from."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

from clustersim.scenario.models import Scenario
from clustersim.values.numbers import Observed

__all__ = ["unsourced"]

_STRUCTURAL = frozenset(
    {"base_year", "end_year", "year", "from_year", "to_year", "relative_to", "months"}
)


def _has_source(obj: Any) -> bool:
    return bool(getattr(obj, "source", None))


def unsourced(sc: Scenario) -> list[str]:
    """Dotted paths of numbers (and targets) with no ``source`` on them or an enclosing block.

    A ``source`` on a block (the region, a cluster, a series, a growth, an indicator, a
    target) covers every number inside it; an observation or distribution may carry its
    own. The scenario's top-level ``source`` describes the file and covers nothing, and
    defaults not written in the file are not listed.
    """
    out: list[str] = []
    for tid, t in sc.targets.items():
        if not _has_source(t):
            out.append(f"targets.{tid}")
    _walk(sc, "", False, out, skip_targets=True)
    return out


def _walk(obj: Any, path: str, covered: bool, out: list[str], skip_targets: bool = False) -> None:
    if isinstance(obj, Observed) or (isinstance(obj, BaseModel) and hasattr(obj, "dist")):
        if not (covered or _has_source(obj)):
            out.append(path)
        return
    if isinstance(obj, BaseModel):
        here = covered or (_has_source(obj) and not isinstance(obj, Scenario))
        for name in type(obj).model_fields:
            if name not in obj.model_fields_set:
                continue  # a default, not written in the file
            if name in _STRUCTURAL or (skip_targets and name == "targets"):
                continue
            _walk(getattr(obj, name), f"{path}.{name}" if path else name, here, out)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            _walk(v, f"{path}.{k}", covered, out)
    elif isinstance(obj, list | tuple):
        for i, v in enumerate(obj):
            _walk(v, f"{path}.{i}", covered, out)
    elif isinstance(obj, float) and not isinstance(obj, bool) and not covered:
        out.append(path)
