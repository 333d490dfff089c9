"""Which series a target reads: the names in its metric (and lever), through the scenario's
metrics and the built-in series. The assumption audit and the statistical-scope breaks ask it."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["BUILTIN_INPUTS", "series_read"]

#: the series a built-in series is computed from (docs/scenario-format.md §11)
BUILTIN_INPUTS: dict[str, tuple[str, ...]] = {
    "rd_total": ("rd_rest", "rd", "rd_share", "rd_own", "output"),
    "rd_intensity": ("rd_total", "gdp"),
    "energy_total": ("energy_rest", "energy", "energy_per_va", "value_added"),
    "energy_intensity": ("energy_total", "gdp"),
    "cluster_output": ("output",),
    "value_added": ("output", "va_ratio"),
    "rd": ("rd_share", "rd_own", "output"),
    "energy": ("energy_per_va", "value_added"),
    "firms": ("entries",),
}

_NAME = re.compile(r"[A-Za-z_]\w*")


def series_read(metrics: Mapping[str, Any], target: Any) -> set[str]:
    """Every name ``target``'s metric and lever read (series, clusters, groups), following
    ``metrics`` (id -> a metric with ``expr``) and the built-in series' inputs."""
    todo = _NAME.findall(str(getattr(target, "metric", "") or ""))
    todo += _NAME.findall(str(getattr(target, "lever", "") or ""))
    seen: set[str] = set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        m = metrics.get(name)
        if m is not None:
            todo += _NAME.findall(str(getattr(m, "expr", "")))
        todo += BUILTIN_INPUTS.get(name, ())
        if name.endswith("_flow"):
            todo.append(name[: -len("_flow")])
    return seen
