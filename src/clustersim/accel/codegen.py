"""Generate one fused loop for a compiled model's targets, to be compiled by numba.

The NumPy core (:mod:`clustersim.core.blocked`) stays the reference; this module writes the
same computation as plain loops, one sample at a time, keeping each sample's series in small
scratch arrays that stay in L1 cache and evaluating every target on the spot, so no
trajectory ever reaches memory. The source depends only on the *structure* of the model
(which ops, which elasticities, which parameters vary by sample, the expression trees and
target kinds); every number (thresholds, goals, year indices, group members) is passed in
at run time, so scenarios of the same shape share one compiled kernel.

The generated function is ``kernel(S, T, C, arrays..., K, I, value, margin, met, err)``:
``K``/``I`` hold float and int constants, ``value``/``margin``/``met`` are ``(n_targets, S)``
outputs and ``err[0]`` is set to a nonzero op or target code on a negative level or a
non-finite value.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.blocked import target_needs
from clustersim.core.model import ClusterTotal, Combine, Compound, Model, Ratio, StockFlow
from clustersim.core.project import needed
from clustersim.core.targets import EVERY_YEAR, MET_RTOL, HistoryMissing, TargetSpec

__all__ = ["Generated", "generate"]

_TOP = " " * 8  # indent of code directly inside the sample loop

Array = NDArray[np.float64]


@dataclass
class Generated:
    """Kernel source plus the run-time arguments it expects, in order."""

    source: str
    arrays: list[NDArray[np.generic]]
    floats: Array  # the kernel's K
    ints: NDArray[np.int64]  # the kernel's I
    errors: list[str]  # message per error code - 1
    targets: list[str]
    invariant: list[str] = field(default_factory=list)


class _Gen:
    def __init__(self, model: Model, specs: Sequence[TargetSpec], derived: Mapping[str, ex.Expr]):
        self.m = model
        self.specs = specs
        self.derived = dict(derived)
        self.arrays: list[NDArray[np.generic]] = []
        self.arg_names: list[str] = []
        self.K: list[float] = []
        self.I: list[int] = []
        self.errors: list[str] = []
        self.n_var = 0
        self.base = model.base_year
        self.cidx = {c: i for i, c in enumerate(model.clusters)}
        self.ops = {op.name: op for op in model.ops}
        need = [n for n in target_needs(specs, self.derived) if n in self.ops]
        self.need = needed(model, need)
        self.invariant = self._invariant_ops()
        self.fused_totals: set[str] = set()
        self.hoisted: dict[tuple[str, ...], tuple[str, list[str]]] = {}
        self.reduced: dict[tuple[ex.Expr, int], str] = {}

    def _reads(self, name: str) -> set[str]:
        """Stored series an inlined value of ``name`` reads (through Combines)."""
        op = self.ops[name]
        if isinstance(op, Combine):
            return {r for a, b in op.terms for n in (a, b) if n is not None for r in self._reads(n)}
        return {name}

    # -- registries -------------------------------------------------------------------------
    def arg(self, a: NDArray[np.generic], stem: str) -> str:
        name = f"{stem}_{len(self.arrays)}"
        self.arrays.append(np.ascontiguousarray(a))
        self.arg_names.append(name)
        return name

    def k(self, v: float) -> str:
        self.K.append(float(v))
        return f"k{len(self.K) - 1}_"

    def i(self, v: int) -> str:
        self.I.append(int(v))
        return f"i{len(self.I) - 1}_"

    def var(self, stem: str) -> str:
        self.n_var += 1
        return f"{stem}{self.n_var}"

    def err(self, msg: str) -> int:
        self.errors.append(msg)
        return len(self.errors)

    @staticmethod
    def si(a: NDArray[np.generic]) -> str:
        return "s" if a.shape[0] > 1 else "0"

    # -- which ops do not vary by sample ------------------------------------------------------
    def _invariant_ops(self) -> set[str]:
        inv: set[str] = set()
        for op in self.m.ops:
            if op.name not in self.need:
                continue
            if isinstance(op, Compound):
                arrays = [op.x0, op.rates, *(e.elasticity for e in op.elastic)]
            elif isinstance(op, StockFlow):
                arrays = [op.s0, op.exit_rate] + ([] if op.rates is None else [op.rates])
            else:
                arrays = []
            if all(a.shape[0] == 1 for a in arrays) and all(d in inv for d in op.deps):
                inv.add(op.name)
        return inv

    # -- ops ----------------------------------------------------------------------------------
    def val(self, name: str, t: str, c: str | None) -> str:
        """Code of series ``name`` in year index ``t`` (cluster ``c``): scratch arrays are
        ``(T, C)`` / ``(T,)``; a Combine is inlined as its products, never stored."""
        op = self.ops[name]
        chain = self._product_factors(name)
        if chain is not None and len(chain) > 1:
            # a pure product: multiply the sample-invariant factors once, before the sample
            # loop (energy = energy_per_va * output * va_ratio reads output * w[t, c])
            fixed = sorted(f for f in chain if f in self.invariant)
            moving = [f for f in chain if f not in self.invariant]
            if fixed and moving:  # (all-fixed products are computed before the loop anyway)
                w = self._hoist(tuple(fixed), op.cluster)
                parts = [self.val(f, t, c) for f in moving]
                parts.append(f"{w}[{t}, {c}]" if op.cluster else f"{w}[{t}]")
                return "(" + " * ".join(parts) + ")" if len(parts) > 1 else parts[0]
        if isinstance(op, Ratio):  # inlined too: read at a few years, never stored
            return f"({self.val(op.num, t, c)} / {self.val(op.den, t, c)})"
        if isinstance(op, ClusterTotal) and op.name in self.fused_totals and op.rest is not None:
            # the fused loop stored the clusters' sum; the rest is added where it is read
            return f"(r_{name}[{t}] + {self.val(op.rest, t, None)})"
        if isinstance(op, Combine):
            terms = [
                self.val(a, t, c) if b is None else f"({self.val(a, t, c)} * {self.val(b, t, c)})"
                for a, b in op.terms
            ]
            return terms[0] if len(terms) == 1 else "(" + " + ".join(terms) + ")"
        if op.cluster:
            if c is None:
                raise ex.ExprError(f"{name!r} is a cluster series here; reduce or pick it")
            return f"k_{name}[{t}, {c}]"
        return f"r_{name}[{t}]"

    def _product_factors(self, name: str) -> list[str] | None:
        """The stored series whose product ``name`` is, or None if it is not a pure product."""
        op = self.ops[name]
        if not isinstance(op, Combine):
            return [name]
        if len(op.terms) != 1 or op.terms[0][1] is None:
            return None
        a, b = op.terms[0]
        fa, fb = self._product_factors(a), self._product_factors(b)  # type: ignore[arg-type]
        return None if fa is None or fb is None else fa + fb

    def _hoist(self, factors: tuple[str, ...], cluster: bool) -> str:
        """Name of a precomputed product of sample-invariant series (computed once)."""
        if factors not in self.hoisted:
            name = f"w{len(self.hoisted)}"
            idx = "t, c" if cluster else "t"
            prod = " * ".join(f"{'k' if cluster else 'r'}_{f}[{idx}]" for f in factors)
            if cluster:
                code = [
                    f"    {name} = np.empty((T, C))",
                    "    for t in range(T):",
                    "        for c in range(C):",
                    f"            {name}[t, c] = {prod}",
                ]
            else:
                code = [
                    f"    {name} = np.empty(T)",
                    "    for t in range(T):",
                    f"        {name}[t] = {prod}",
                ]
            self.hoisted[factors] = (name, code)
        return self.hoisted[factors][0]

    def op_code(self, op: object, ind: str, fused: Sequence[ClusterTotal] = ()) -> list[str]:
        """Code computing ``op``; ``fused`` cluster totals are accumulated in its loop."""
        p = ind
        if isinstance(op, Compound):
            x0 = self.arg(op.x0, "x0")
            rt = self.arg(op.rates, "rt")
            rs, tt = self.si(op.rates), ("t" if op.rates.shape[-1] > 1 else "0")
            xs = self.si(op.x0)
            els = [
                (self.arg(e.elasticity, "el"), self.si(e.elasticity), e.source) for e in op.elastic
            ]
            code = self.err(
                f"{op.name} falls below zero (growth below -100% through an elasticity)"
            )
            lines = []
            if op.cluster:
                # years outer, clusters inner: each step is one contiguous (C,) row; the
                # totals that read this series are summed in the same pass
                accs = [self.var("acc") for _ in fused]
                parts = [f.part for f in fused]
                init = [f"{p}    {a} = 0.0" for a in accs]
                add = [
                    f"{p}        {a} += {self.val(n, 't', 'c')}"
                    for a, n in zip(accs, parts, strict=True)
                ]
                put = [f"{p}    r_{f.name}[t] = {a}" for a, f in zip(accs, fused, strict=True)]
                lines += [f"{p}{a} = 0.0" for a in accs]
                lines += [f"{p}for c in range(C):", f"{p}    k_{op.name}[0, c] = {x0}[{xs}, c]"]
                lines += [
                    f"{p}    {a} += {self.val(n, '0', 'c')}"
                    for a, n in zip(accs, parts, strict=True)
                ]
                lines += [f"{p}r_{f.name}[0] = {a}" for a, f in zip(accs, fused, strict=True)]
                lines += [
                    f"{p}for t in range(1, T):",
                    *init,
                    f"{p}    for c in range(C):",
                    f"{p}        g = {rt}[{rs}, c, {tt}]",
                ]
                for el, es, src in els:
                    g_src = f"{self.val(src, 't', 'c')} / {self.val(src, 't - 1', 'c')} - 1.0"
                    lines += [
                        f"{p}        e = {el}[{es}, c]",
                        f"{p}        if e != 0.0:",
                        f"{p}            g += e * ({g_src})",
                    ]
                lines += [
                    f"{p}        x = k_{op.name}[t - 1, c] * (1.0 + g)",
                    f"{p}        k_{op.name}[t, c] = x",
                ]
                if els:
                    lines += [f"{p}        if not (x >= 0.0):", f"{p}            err[0] = {code}"]
                lines += add + put
            else:
                lines += [
                    f"{p}x = {x0}[{xs}]",
                    f"{p}r_{op.name}[0] = x",
                    f"{p}for t in range(1, T):",
                    f"{p}    g = {rt}[{rs}, {tt}]",
                ]
                for el, es, src in els:
                    g_src = f"{self.val(src, 't', None)} / {self.val(src, 't - 1', None)} - 1.0"
                    lines += [f"{p}    g += {el}[{es}] * ({g_src})"]
                lines += [f"{p}    x = x * (1.0 + g)", f"{p}    r_{op.name}[t] = x"]
                if els:
                    lines += [f"{p}    if not (x >= 0.0):", f"{p}        err[0] = {code}"]
            return lines
        if isinstance(op, Combine):
            return []  # inlined where it is read (see val)
        if isinstance(op, StockFlow):
            s0 = self.arg(op.s0, "s0")
            xr = self.arg(op.exit_rate, "xr")
            own = None if op.rates is None else self.arg(op.rates, "ow")
            if op.cluster:
                lead = [f"{p}for c in range(C):"]
                q = p + "    "
            else:
                lead, q = [], p
            sidx = f"{self.si(op.s0)}, c" if op.cluster else self.si(op.s0)
            xidx = f"{self.si(op.exit_rate)}, c" if op.cluster else self.si(op.exit_rate)
            pre = "k" if op.cluster else "r"
            lines = [
                *lead,
                f"{q}x = {s0}[{sidx}]",
                f"{q}keep = 1.0 - {xr}[{xidx}]",
                f"{q}{pre}_{op.name}[{'0, c' if op.cluster else '0'}] = x",
                f"{q}for t in range(1, T):",
                f"{q}    x = x * keep",
            ]
            if own is not None:
                assert op.rates is not None
                oidx = self.si(op.rates) + (", c" if op.cluster else "")
                ot = "t" if op.rates.shape[-1] > 1 else "0"
                lines.append(f"{q}    x = x * (1.0 + {own}[{oidx}, {ot}])")
            flow = self.val(op.flow, "t", "c" if op.cluster else None)
            lines += [
                f"{q}    x = x + {flow}",
                f"{q}    {pre}_{op.name}[{'t, c' if op.cluster else 't'}] = x",
            ]
            return lines
        if isinstance(op, ClusterTotal):
            rest = "" if op.rest is None else f" + {self.val(op.rest, 't', None)}"
            if op.name in self.fused_totals:  # summed in its host loop; rest added when read
                return []
            return [
                f"{p}for t in range(T):",
                f"{p}    acc = 0.0",
                f"{p}    for c in range(C):",
                f"{p}        acc += {self.val(op.part, 't', 'c')}",
                f"{p}    r_{op.name}[t] = acc{rest}",
            ]
        if isinstance(op, Ratio):
            return []  # inlined where it is read (see val)
        raise TypeError(f"unknown op {op!r}")

    # -- expressions --------------------------------------------------------------------------
    def is_cluster(self, name: str) -> bool:
        if name in self.ops:
            return self.ops[name].cluster
        return False

    def expr(
        self, e: ex.Expr, yi: str, year: int | None, c: str | None, pre: list[str], ind: str
    ) -> str:
        """Code of ``e`` at year index ``yi`` (or history ``year`` when before the base),
        for cluster ``c`` (a loop variable or None); loops for reductions go to ``pre``."""
        if isinstance(e, ex.Const):
            return self.k(e.value)
        if isinstance(e, ex.Neg):
            return f"(-{self.expr(e.operand, yi, year, c, pre, ind)})"
        if isinstance(e, ex.Bin):
            a = self.expr(e.left, yi, year, c, pre, ind)
            b = self.expr(e.right, yi, year, c, pre, ind)
            return f"({a} {e.op} {b})"
        if isinstance(e, ex.Name | ex.Pick):
            name = e.id if isinstance(e, ex.Name) else e.name
            cl = c if isinstance(e, ex.Name) else self.i(self.cidx[e.cluster])
            if year is not None and year < self.base:
                return self.history(name, year, cl, pre, ind)
            if name in self.derived and name not in self.ops:
                inner = self.derived[name]
                return self.expr(inner, yi, year, cl, pre, ind)
            return self.val(name, yi, cl if self.is_cluster(name) else None)
        if isinstance(e, ex.Reduce):
            # the same reduction in the same year at the top of the sample loop (a share and a
            # group-sum target over one group, say) is computed once per sample
            key = (e, year) if (year is not None and c is None and ind == _TOP) else None
            if key is not None and key in self.reduced:
                return self.reduced[key]
            members = (
                self.m.groups[e.group] if e.group is not None else np.arange(len(self.m.clusters))
            )
            if len(members) == 0:
                raise ex.ExprError(f"{e.func}() over an empty group {e.group!r}")
            g = self.arg(np.asarray(members, dtype=np.int64), "grp")
            acc, j, cc = self.var("acc"), self.var("j"), self.var("c")
            init = {"sum": "0.0", "mean": "0.0", "min": "np.inf", "max": "-np.inf"}[e.func]
            body: list[str] = []
            val = self.expr(e.arg, yi, year, cc, body, ind + "    ")
            pre += [
                f"{ind}{acc} = {init}",
                f"{ind}for {j} in range({g}.shape[0]):",
                f"{ind}    {cc} = {g}[{j}]",
            ]
            pre += body
            op = {
                "sum": f"{acc} += {val}",
                "mean": f"{acc} += {val}",
                "min": f"{acc} = min({acc}, {val})",
                "max": f"{acc} = max({acc}, {val})",
            }[e.func]
            pre.append(f"{ind}    {op}")
            result = f"({acc} / {g}.shape[0])" if e.func == "mean" else acc
            if key is not None:
                self.reduced[key] = result
            return result
        raise TypeError(e)

    def history(self, name: str, year: int, cl: str | None, pre: list[str], ind: str) -> str:
        h = self.m.history.get(name, {})
        if year in h:
            a = h[year]
            ha = self.arg(a, "h")
            if a.ndim == 2:
                if cl is None:
                    raise ex.ExprError(f"{name!r} is a cluster series here; reduce or pick it")
                return f"{ha}[{self.si(a)}, {cl}]"
            return f"{ha}[{self.si(a)}]"
        if name in self.derived:
            return self.expr(self.derived[name], "0", year, cl, pre, ind)
        raise HistoryMissing(
            f"no history for {name!r} in {year} (the base year is {self.base}); add it under history"
        )

    # -- targets ------------------------------------------------------------------------------
    def at(self, e: ex.Expr, year: int, pre: list[str], ind: str, c: str | None = None) -> str:
        yi = "0" if year < self.base else self.i(year - self.base)
        return self.expr(e, yi, year, c, pre, ind)

    def margin(self, spec: TargetSpec, v: str) -> str:
        b = spec.bound
        if b.lo is not None and b.hi is not None:
            return f"min({v} - {self.k(b.lo)}, {self.k(b.hi)} - {v})"
        if b.lo is not None:
            return f"({v} - {self.k(b.lo)})"
        return f"({self.k(b.hi if b.hi is not None else math.nan)} - {v})"

    def target_code(self, n: int, spec: TargetSpec, ind: str) -> list[str]:
        p = ind
        lines: list[str] = []
        tol = self.k(-MET_RTOL * spec.bound.scale)
        if spec.kind == "count_over":
            members = self.m.groups[spec.group] if spec.group else np.arange(len(self.m.clusters))
            g = self.arg(np.asarray(members, dtype=np.int64), "grp")
            cc, j = self.var("c"), self.var("j")
            if not spec.tiers:
                assert spec.threshold is not None
                thr = self.k(spec.threshold - MET_RTOL * max(1.0, abs(spec.threshold)))
                lines += [
                    f"{p}cnt = 0.0",
                    f"{p}for {j} in range({g}.shape[0]):",
                    f"{p}    {cc} = {g}[{j}]",
                ]
                body: list[str] = []
                val = self.at(spec.metric, spec.year, body, p + "    ", cc)
                # branchless: which side of the threshold varies from sample to sample
                lines += [*body, f"{p}    cnt += 1.0 if {val} >= {thr} else 0.0"]
                mg = self.margin(spec, "cnt")
                lines += [f"{p}v = cnt", f"{p}m = {mg}", f"{p}ok = m >= 0.0"]
            else:
                tiers = sorted(spec.tiers, key=lambda x: -x.threshold)
                cnts = [self.var("cnt") for _ in tiers]
                lines += [f"{p}{c_} = 0.0" for c_ in cnts]
                lines += [f"{p}for {j} in range({g}.shape[0]):", f"{p}    {cc} = {g}[{j}]"]
                body = []
                val = self.at(spec.metric, spec.year, body, p + "    ", cc)
                lines += [*body, f"{p}    val = {val}"]
                upper = "np.inf"
                for tier, cv in zip(tiers, cnts, strict=True):
                    thr = self.k(tier.threshold - MET_RTOL * max(1.0, abs(tier.threshold)))
                    cond = f"(val >= {thr})" + (f" & (val < {upper})" if spec.bands else "")
                    lines += [f"{p}    {cv} += 1.0 if {cond} else 0.0"]
                    upper = thr
                # value: the count of the binding tier (first smallest margin), margin its margin
                lines += [f"{p}m = np.inf", f"{p}v = 0.0"]
                for tier, cv in zip(tiers, cnts, strict=True):
                    mm = f"({cv} - {self.k(tier.at_least)})"
                    lines += [f"{p}if {mm} < m:", f"{p}    m = {mm}", f"{p}    v = {cv}"]
                lines += [f"{p}ok = m >= 0.0"]
        elif spec.kind in EVERY_YEAR:
            assert spec.start is not None
            lines += [f"{p}m = np.inf", f"{p}v = np.nan"]
            lag = 0 if spec.kind == "flow_every_year" else 1
            first = spec.start + lag
            # years that read history are unrolled; the projected rest is one run-time loop,
            # so windows of any length share the kernel
            loop_from = max(first, self.base + lag)
            for y in range(first, min(spec.year, loop_from - 1) + 1):
                pre: list[str] = []
                cur = self.at(spec.metric, y, pre, p)
                prev = self.at(spec.metric, y - 1, pre, p) if lag else ""
                lines += pre + self._window_step(spec, cur, prev, p)
            if loop_from <= spec.year:
                yy = self.var("yy")
                a, b = self.i(loop_from - self.base), self.i(spec.year - self.base)
                pre = []
                cur = self.expr(spec.metric, yy, None, None, pre, p + "    ")
                if lag:  # carry the previous year's value instead of computing it twice
                    pv, cv = self.var("pv"), self.var("cv")
                    first_pre: list[str] = []
                    before = self.expr(spec.metric, f"{a} - 1", None, None, first_pre, p)
                    lines += [*first_pre, f"{p}{pv} = {before}"]
                    lines += [f"{p}for {yy} in range({a}, {b} + 1):", *pre, f"{p}    {cv} = {cur}"]
                    lines += self._window_step(spec, cv, pv, p + "    ")
                    lines.append(f"{p}    {pv} = {cv}")
                else:
                    lines += [f"{p}for {yy} in range({a}, {b} + 1):", *pre]
                    lines += self._window_step(spec, cur, "", p + "    ")
            lines += [f"{p}ok = {self.margin(spec, 'v')} >= {tol}"]
        else:
            pre = []
            if spec.kind == "cagr":
                assert spec.start is not None
                a = self.at(spec.metric, spec.start, pre, p)
                b = self.at(spec.metric, spec.year, pre, p)
                v = f"(({b}) / ({a})) ** {self.k(1.0 / (spec.year - spec.start))} - 1.0"
            elif spec.kind == "change_vs":
                assert spec.start is not None
                a = self.at(spec.metric, spec.start, pre, p)
                b = self.at(spec.metric, spec.year, pre, p)
                v = f"({b}) / ({a}) - 1.0"
            else:
                v = self.at(spec.metric, spec.year, pre, p)
            lines += [
                *pre,
                f"{p}v = {v}",
                f"{p}m = {self.margin(spec, 'v')}",
                f"{p}ok = m >= {tol}",
            ]
        code = self.err(f"target {spec.id}: the value is not finite")
        lines += [
            f"{p}if not (v - v == 0.0):",
            f"{p}    err[0] = {code}",
            f"{p}value[{n}, s] = v",
            f"{p}margin[{n}, s] = m",
            f"{p}met[{n}, s] = ok",
        ]
        return lines

    def _window_step(self, spec: TargetSpec, cur: str, prev: str, p: str) -> list[str]:
        """One year of an every-year target: keep the value with the smallest margin."""
        if spec.kind == "flow_every_year":
            w = cur
        elif spec.kind == "growth_every_year":
            w = f"({cur} / {prev} - 1.0)"
        else:
            w = f"({cur} - {prev})"
        return [
            f"{p}w = {w}",
            f"{p}mw = {self.margin(spec, 'w')}",
            f"{p}if mw < m or (mw != mw and m == np.inf):",
            f"{p}    m = mw",
            f"{p}    v = w",
        ]

    # -- the function -------------------------------------------------------------------------
    def build(self) -> Generated:
        order = [op for op in self.m.ops if op.name in self.need]
        pre_loop = [op for op in order if op.name in self.invariant]
        in_loop = [op for op in order if op.name not in self.invariant]
        body: list[str] = []
        for op in pre_loop:
            body += self.op_code(op, "    ")
        # fuse each cluster total into the loop of the last cluster compound it reads
        hosts: dict[str, list[ClusterTotal]] = {}
        position = {op.name: k for k, op in enumerate(order)}
        for op in in_loop:
            if not isinstance(op, ClusterTotal):
                continue
            reads = [n for n in self._reads(op.part) if n not in self.invariant]
            host = max(reads, key=position.__getitem__, default=None)
            if host is not None and isinstance(self.ops[host], Compound) and self.ops[host].cluster:
                hosts.setdefault(host, []).append(op)
                self.fused_totals.add(op.name)
        loop: list[str] = []
        for op in in_loop:
            loop += self.op_code(op, _TOP, hosts.get(op.name, ()))
        for n, spec in enumerate(self.specs):
            loop += self.target_code(n, spec, _TOP)
        for _, code in self.hoisted.values():
            body += code
        alloc = []
        for op in order:
            if isinstance(op, Combine | Ratio):
                continue
            if op.cluster:
                alloc.append(f"    k_{op.name} = np.empty((T, C))")
            else:
                alloc.append(f"    r_{op.name} = np.empty(T)")
        args = ", ".join(
            ["S", "T", "C", *self.arg_names, "K", "I", "value", "margin", "met", "err"]
        )
        # constants as locals read once: loads from K/I inside the loops could alias the
        # output arrays, which forces LLVM to reload them after every store
        consts = [f"    k{j}_ = K[{j}]" for j in range(len(self.K))]
        consts += [f"    i{j}_ = I[{j}]" for j in range(len(self.I))]
        src = [
            "import numpy as np",
            "from numba import njit",
            "",
            "",
            "@njit(cache=True, fastmath={'reassoc', 'contract'}, error_model='numpy')",
            f"def kernel({args}):",
            *consts,
            *alloc,
            *body,
            "    for s in range(S):",
            *(loop or ["        pass"]),
            "",
        ]
        return Generated(
            "\n".join(src),
            self.arrays,
            np.asarray(self.K, dtype=np.float64),
            np.asarray(self.I, dtype=np.int64),
            self.errors,
            [t.id for t in self.specs],
            sorted(self.invariant),
        )


def generate(
    model: Model, specs: Sequence[TargetSpec], derived: Mapping[str, ex.Expr]
) -> Generated:
    """The kernel source and its arguments for ``model``'s targets ``specs``."""
    return _Gen(model, specs, derived).build()
