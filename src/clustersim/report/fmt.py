"""Numbers as the reports print them (the same conventions as the terminal table).

Shares and rates are fractions in the model and percentages in print (``0.03`` ->
``3.00%``); a change in percentage points prints as ``+1.00 pp``; large levels get
thousands separators.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

from clustersim.i18n import SERIES_LABELS, word
from clustersim.kinds.targets import TARGET_KINDS

__all__ = ["goal_text", "is_percent", "is_pp", "num", "required_text"]


def is_percent(kind: str, goal: Any, value: float) -> bool:
    """Whether a target's value reads as a percentage, as its kind says
    (:meth:`~clustersim.kinds.targets.TargetKind.is_percent`): rates and shares always; a
    ``level`` target whose goal is below 1 and whose value is below 1.5 is taken for a
    share too (``rd_intensity >= 0.03``). False for a kind not known (an old results file).
    """
    cls = TARGET_KINDS.get(kind)
    return cls is not None and cls.is_percent(goal, value)


def is_pp(kind: str) -> bool:
    """Whether a target's value is a change in percentage points (``+1.00 pp``)."""
    cls = TARGET_KINDS.get(kind)
    return cls is not None and cls.pp


def num(v: float | None, pct: bool = False, pp: bool = False) -> str:
    """``v`` as text: ``3.27%`` (pct), ``+0.99 pp`` (pp), ``1,500``, ``0.473``, ``88.18``."""
    if v is None or not math.isfinite(v):
        return "-"
    if pp:
        return f"{v * 100:+.2f} pp"
    if pct:
        return f"{v * 100:.2f}%"
    if abs(v) >= 100 or float(v).is_integer():
        return f"{v:,.0f}"
    return f"{v:,.3g}" if abs(v) < 1 else f"{v:,.2f}"


def goal_text(
    lo: float | None,
    hi: float | None,
    tiers: Sequence[tuple[float, int]],
    lang: str,
    *,
    pct: bool = False,
    pp: bool = False,
    strict: bool = False,
) -> str:
    """The goal as text: ``>= 3.00%``, ``<= -14.00%``, ``> 500`` (strict), ``4 to 5``,
    ``4 ≥ 10,000, 4 ≥ 5,000``."""
    if tiers:
        return ", ".join(f"{n} ≥ {num(t)}" for t, n in tiers)
    if lo is not None and hi is not None:
        return f"{num(lo, pct, pp)} {word('to', lang)} {num(hi, pct, pp)}"
    if lo is not None:
        return (">" if strict else ">=") + " " + num(lo, pct, pp)
    return ("<" if strict else "<=") + " " + num(hi, pct, pp)


def required_text(required: dict[str, Any] | None, lang: str) -> str:
    """``+10.78%/yr rd_rest``, ``none in range (output)`` or ``-``."""
    if not required:
        return "-"
    series = series_text(str(required.get("series") or ""), lang)
    rate = required.get("rate")
    if rate is None or (isinstance(rate, float) and not math.isfinite(rate)):
        return f"{word('none_in_range', lang)} ({series})"
    text = f"{float(rate) * 100:+.2f}%{word('per_year', lang)} {series}".rstrip()
    if required.get("from_year") is not None:
        text += f" ({word('from_year_short', lang, year=required['from_year'])})"
    return text


def series_text(series: str, lang: str) -> str:
    """A required-growth series (``output[manufacturing]``, ``rd_share[3 clusters]``) with a
    built-in series named in ``lang`` (``产值[manufacturing]``, ``研发投入占产值比重[3个集群]``);
    ids stay as written."""
    m = re.fullmatch(r"(\w+)(.*)", series)
    if m is None:
        return series
    name, rest = m.groups()
    if lang != "zh":  # English keeps the ids the tables and scripts show
        return series
    if name in SERIES_LABELS:
        name = SERIES_LABELS[name].zh
    rest = re.sub(
        r"\[(\d+) clusters\]", lambda c: word("n_clusters", lang, n=int(c.group(1))), rest
    )
    return name + rest
