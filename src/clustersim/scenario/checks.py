"""The references of a scenario, checked on the merged data before (and beside) the schema,
so one run reports every problem of a file: group members and parents that name no cluster,
names in expressions (metrics and target metrics) that name no series, cluster or group, and
target years outside the projection.

The checks read the raw data and skip whatever is malformed (the schema reports that), so
they can run whatever else is wrong. A name is reported only when no scenario could define
it (it is not a built-in series, a cluster, a group, a metric or an indicator of the file):
whether a series a file could define is defined for every cluster it is read for stays the
compiler's check. Each problem points at the line of the offending value (an unknown series
in a target's metric at its ``metric:`` line) and names list items by their 1-based position
and value (``groups.emerging.clusters[2] ("ict")``).
"""

from __future__ import annotations

import json
import re
from typing import Any

from clustersim.core import expr as ex
from clustersim.errors import Problem
from clustersim.i18n import Bi, did_you_mean, msg
from clustersim.scenario.models import RESERVED
from clustersim.scenario.provenance import Key, Origin, Provenance

__all__ = ["check_references", "display_path", "number_with_unit", "origin_place"]

#: a number written with its unit: ``700亿``, ``5,264 亿元``, ``3.5万亿``, ``120 万吨``
_WITH_UNIT = re.compile(
    r"^\s*(?P<num>[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?)\s*"
    r"(?P<unit>(?:万亿|亿|万|千)?(?:元|吨标准煤|吨|家|个|人|项|件)?|亿元|tce|yuan|bn|%)\s*$"
)


def number_with_unit(value: object) -> tuple[str, str] | None:
    """``("700", "亿元")`` for a text such as ``"700亿"`` (a number with its unit written in),
    else None. Percentages are not a unit here (``"5%"`` is a valid number)."""
    if not isinstance(value, str):
        return None
    m = _WITH_UNIT.match(value)
    if m is None or not m.group("unit") or m.group("unit") == "%":
        return None
    unit = m.group("unit")
    return m.group("num").replace(",", ""), "亿元" if unit == "亿" else unit  # the plans' unit


def display_path(loc: Key, data: Any) -> str:
    """The field path for people: list items by 1-based position, and the item's value when
    the path ends at a scalar item (``groups.emerging.clusters[2] ("ict")``)."""
    out = ""
    cur = data
    for part in loc:
        if isinstance(cur, list) and part.isdigit():
            i = int(part)
            out += f"[{i + 1}]"
            cur = cur[i] if i < len(cur) else None
        else:
            out += f".{part}" if out else part
            cur = cur.get(part, cur.get(_int(part))) if isinstance(cur, dict) else None
    scalar = isinstance(cur, str | int | float) and not isinstance(cur, bool)
    if loc and scalar and out.endswith("]"):
        out += f" ({json.dumps(cur, ensure_ascii=False)})"
    return out


def origin_place(o: Origin | None) -> str | None:
    """The origin's own text when it is not ``FILE:LINE`` (a workbook cell)."""
    if o is None or str(o) == f"{o.file}:{o.line}":
        return None
    return str(o)


def _int(s: str) -> int | str:
    return int(s) if s.isdigit() else s


def _dict(x: Any) -> dict[str, Any]:
    return x if isinstance(x, dict) else {}


class _Checker:
    def __init__(self, loaded: Provenance) -> None:
        self.loaded = loaded
        self.data = loaded.data
        self.out: list[Problem] = []
        d = self.data
        self.clusters = [str(c) for c in _dict(d.get("clusters"))]
        self.groups = [str(g) for g in _dict(d.get("groups"))]
        inds = [str(i) for i in _dict(d.get("indicators"))]
        # firm tier pipelines (issue 17): <pipeline>_entries, each tier and <tier>_in
        tiers: set[str] = set()
        for pid, pipe in _dict(d.get("pipelines")).items():
            tiers.add(f"{pid}_entries")
            for tid in _dict(_dict(pipe).get("tiers")):
                tiers |= {str(tid), f"{tid}_in"}
        # input-output coupling (issue 17)
        io = {"demand", "io_rest_demand", "io_rest_output"} if d.get("io") else set()
        self.series = sorted(
            set(RESERVED) - set(ex.REDUCERS) - {"all"}
            | set(_dict(d.get("metrics")))
            | set(inds)
            | {f"{i}_flow" for i in inds}
            | tiers
            | io
            | set(self.clusters)
            | set(self.groups)
        )

    def add(self, loc: Key, text: Bi, hint: Bi | None = None) -> None:
        o = self.loaded.where(loc)
        self.out.append(
            Problem(
                text.en,
                text.zh,
                file=o.file if o else (self.loaded.files[-1] if self.loaded.files else None),
                line=o.line if o else None,
                column=o.column if o else None,
                place=origin_place(o),
                field=display_path(loc, self.data),
                hint=hint.en if hint else None,
                hint_zh=hint.zh if hint else None,
            )
        )

    def cluster(self, loc: Key, name: Any) -> None:
        if isinstance(name, str) and name not in self.clusters:
            self.add(
                loc,
                msg(
                    "err_unknown_cluster",
                    name=repr(name),
                    hint=did_you_mean(name, self.clusters),
                    known=msg("known", names=", ".join(self.clusters)),
                ),
            )

    def group(self, loc: Key, name: Any) -> None:
        if isinstance(name, str) and name not in self.groups and name != "all":
            self.add(
                loc,
                msg(
                    "err_unknown_group",
                    name=repr(name),
                    hint=did_you_mean(name, self.groups),
                    known=msg("known", names=", ".join(self.groups)),
                ),
            )

    def expression(self, loc: Key, text: Any) -> None:
        if not isinstance(text, str):
            return
        try:
            tree = ex.parse(text)
        except ex.ExprError as exc:
            if exc.key is not None:  # a message with both languages (x@YEAR)
                self.add(loc, msg(exc.key, **exc.fields))
            return  # else the schema or the compiler says what is wrong with it
        shown = repr(text.strip()) if len(text) <= 60 else repr(text.strip()[:57] + "...")
        for kind, name in _names(tree):
            if kind == "series" and name not in self.series:
                hint = did_you_mean(name, self.series)
                self.add(loc, msg("err_unknown_series", name=repr(name), expr=shown, hint=hint))
            elif kind == "cluster" and name not in self.clusters:
                hint = did_you_mean(name, self.clusters)
                self.add(loc, msg("err_unknown_cluster_in", name=repr(name), expr=shown, hint=hint))
            elif kind == "group" and name not in self.groups and name != "all":
                hint = did_you_mean(name, self.groups)
                self.add(loc, msg("err_unknown_group_in", name=repr(name), expr=shown, hint=hint))
        self.at_years(loc, tree, shown)

    def first_year(self) -> int | None:
        """The earliest year the scenario has a value for: its earliest history year, else
        the base year (None when the base year is malformed)."""
        d = self.data
        base = d.get("base_year")
        if not isinstance(base, int) or isinstance(base, bool):
            return None
        hists = [_dict(_dict(d.get("region")).get("history"))]
        hists += [_dict(_dict(c).get("history")) for c in _dict(d.get("clusters")).values()]
        years: list[int] = [
            y
            for h in hists
            for by_year in h.values()
            if isinstance(by_year, dict)
            for y in by_year
            if isinstance(y, int) and not isinstance(y, bool)
        ]
        return min([base, *years])

    def at_years(self, loc: Key, tree: ex.Expr, shown: str) -> None:
        """Every ``x@year`` of ``tree`` reads a year from the first history year to end_year."""
        first, end = self.first_year(), self.data.get("end_year")
        if first is None or not isinstance(end, int) or isinstance(end, bool):
            return
        for y in ex.years_in(tree):
            hint = msg("hint_at_year_range", first=first, end=end)
            if y > end:
                self.add(loc, msg("err_at_year_after_end", expr=shown, year=y, end=end), hint)
            elif y < first:
                text = msg("err_at_year_before_history", expr=shown, year=y, first=first)
                self.add(loc, text, hint)

    def year(self, loc: Key, year: Any, base: Any, end: Any) -> None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (year, base, end)):
            return
        if year > end:
            self.add(
                loc,
                msg("err_year_after_end", year=year, end=end),
                msg("hint_year_after_end", year=year, base=base, end=end),
            )
        elif year < base:
            self.add(
                loc,
                msg("err_year_before_base", year=year, base=base),
                msg("hint_year_before_base", base=base, end=end),
            )

    def run(self) -> list[Problem]:
        d = self.data
        for gid, grp in _dict(d.get("groups")).items():
            members = _dict(grp).get("clusters")
            if isinstance(members, list):
                for i, c in enumerate(members):
                    self.cluster(("groups", str(gid), "clusters", str(i)), c)
        for cid, cl in _dict(d.get("clusters")).items():
            parent = _dict(cl).get("parent")
            if parent is not None:
                self.cluster(("clusters", str(cid), "parent"), parent)
        for mid, m in _dict(d.get("metrics")).items():
            if isinstance(m, str):
                self.expression(("metrics", str(mid)), m)
            else:
                self.expression(("metrics", str(mid), "expr"), _dict(m).get("expr"))
        base, end = d.get("base_year"), d.get("end_year")
        if isinstance(base, int) and isinstance(end, int) and end <= base:
            self.add(("end_year",), msg("err_end_before_base", end=end, base=base))
            end = None  # no year is outside a horizon that is not there
        for tid, t in _dict(d.get("targets")).items():
            t = _dict(t)
            at: Key = ("targets", str(tid))
            self.expression((*at, "metric"), t.get("metric"))
            for other in ("numerator", "denominator", "variable"):  # x@year there too
                text = t.get(other)
                if isinstance(text, str) and "@" in text:
                    try:
                        tree = ex.parse(text)
                    except ex.ExprError:
                        continue
                    self.at_years((*at, other), tree, repr(text.strip()))
            self.year((*at, "year"), t.get("year"), base, end)
            if t.get("group") is not None:
                self.group((*at, "group"), t.get("group"))
            self._lever(at, t.get("lever"))
        return self.out

    def _lever(self, at: Key, lever: Any) -> None:
        items = lever if isinstance(lever, list) else [lever]
        for i, lv in enumerate(items):
            loc: Key = (*at, "lever", str(i)) if isinstance(lever, list) else (*at, "lever")
            short = (
                re.fullmatch(r"\s*(\w+)\s*(?:\[\s*(\w+)\s*\])?\s*", lv)
                if isinstance(lv, str)
                else None
            )
            if short is not None:  # ``series`` or ``series[cluster]``, as the lever field reads it
                if short.group(1) not in self.series:
                    hint = did_you_mean(short.group(1), self.series)
                    name = repr(short.group(1))
                    self.add(loc, msg("err_unknown_series", name=name, expr=repr(lv), hint=hint))
                if short.group(2) is not None:
                    self.cluster(loc, short.group(2))
                continue
            series = lv if isinstance(lv, str) else _dict(lv).get("series")
            if isinstance(series, str) and series not in self.series:
                hint = did_you_mean(series, self.series)
                self.add(
                    loc if isinstance(lv, str) else (*loc, "series"),
                    msg("err_unknown_series", name=repr(series), expr=repr(series), hint=hint),
                )
            if isinstance(lv, dict):
                if lv.get("group") is not None:
                    self.group((*loc, "group"), lv.get("group"))
                members = lv.get("clusters")
                if isinstance(members, list):
                    for j, c in enumerate(members):
                        self.cluster((*loc, "clusters", str(j)), c)


def _names(e: ex.Expr) -> list[tuple[str, str]]:
    """``(kind, name)`` of every series, cluster (``output[c]``) and group
    (``sum(x, group=g)``) that ``e`` names, left to right."""
    if isinstance(e, ex.Name):
        return [("series", e.id)]
    if isinstance(e, ex.Pick):
        return [("series", e.name), ("cluster", e.cluster)]
    if isinstance(e, ex.Neg | ex.At):
        return _names(e.operand)
    if isinstance(e, ex.Bin):
        return _names(e.left) + _names(e.right)
    if isinstance(e, ex.Reduce):
        return _names(e.arg) + ([("group", e.group)] if e.group else [])
    return []


def check_references(loaded: Provenance) -> list[Problem]:
    """Every reference problem of ``loaded``'s data (see the module docstring)."""
    return _Checker(loaded).run()
