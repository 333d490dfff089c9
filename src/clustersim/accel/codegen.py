"""Generate one fused loop for a compiled model's targets, to be compiled by numba.

The NumPy core (:mod:`clustersim.core.blocked`) stays the reference; this module writes the
same computation as plain loops over *lanes*: the samples are taken ``LANES`` at a time,
and every per-sample statement is an innermost ``for b in range(LANES)`` loop of constant
length, which LLVM unrolls into SIMD instructions (one AVX-512 register holds 8 lanes). A
block's series are ``(T, C, LANES)`` scratch arrays that stay in L1 cache, every target is
evaluated on the spot, and no trajectory ever reaches memory. Series that do not vary by
sample are computed once, before the sample loop, without a lane axis.

The source depends only on the *structure* of the model (which ops, which elasticities,
which parameters vary by sample, the expression trees and target kinds); every number
(thresholds, goals, year indices, group members) is passed in at run time, so scenarios of
the same shape share one compiled kernel.

The generated function is ``kernel(S, T, C, arrays..., K, I, value, margin, met, err)``
for ``S`` a multiple of ``LANES`` (:func:`clustersim.accel.kernel.evaluate_targets` runs a
ragged tail as one padded block): ``K``/``I`` hold float and int constants,
``value``/``margin``/``met`` are ``(n_targets, S)`` outputs and ``err[0]`` is set to the
first (in program order) code of an op whose level fell below zero in any sample; the
caller checks that the values are finite.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import NDArray

from clustersim.core import expr as ex
from clustersim.core.blocked import target_needs
from clustersim.core.model import (
    WHOLE_CAP,
    WHOLE_TOL,
    ClusterTotal,
    Combine,
    Compound,
    IOSystem,
    Leontief,
    Model,
    Ratio,
    StockFlow,
    Tier,
    TierPipeline,
    Whole,
)
from clustersim.core.project import needed
from clustersim.core.targets import HistoryMissing, TargetSpec
from clustersim.errors import ScenarioError
from clustersim.kinds.targets import TARGET_KINDS

__all__ = ["LANES", "Generated", "generate"]

#: samples computed side by side in one SIMD pass (8 float64 fill an AVX-512 register)
LANES = 8
_TOP = " " * 8  # indent of code directly inside the sample-block loop
_NO_ERROR = 1 << 30  # the lanes' error code when nothing failed

Array = NDArray[np.float64]


@dataclass
class Generated:
    """Kernel source plus the run-time arguments it expects, in order."""

    source: str
    arrays: list[NDArray[np.generic]]
    sampled: list[bool]  # per array: its leading axis is the sample axis
    floats: Array  # the kernel's K
    ints: NDArray[np.int64]  # the kernel's I
    errors: list[str]  # message per error code - 1
    targets: list[str]
    invariant: list[str] = field(default_factory=list)
    #: per array: stored year first, ``(T, S, [C])``, its sample axis second (shocked rates)
    year_first: list[bool] = field(default_factory=list)
    #: per array: the object it was made from and how (``contiguous``, ``moveaxis``,
    #: ``swapaxes``), so another model of the same structure can fill the same arguments
    #: (:func:`generate_cached`)
    sources: list[tuple[object, str]] = field(default_factory=list)


_LANE_SCALAR = re.compile(r"\b([A-Za-z_]\w*)\[b\]")  # acc3[b]: a per-lane scalar
_LANE = re.compile(r"\bb\b")
_TEMPS = re.compile(r"\b(x|g|v|m|ok|w|mw|up|cv|val|mm)\b")  # a lane statement's temporaries


@functools.lru_cache(maxsize=65536)
def _lane_line(line: str, tag: int, lane: int) -> str:
    code = _LANE_SCALAR.sub(rf"\g<1>_{lane}", line)
    code = _TEMPS.sub(rf"\g<1>{tag}_{lane}", code)
    return _LANE.sub(str(lane), code)


class _Gen:
    """The generator; target kinds write their code through it (the
    :class:`~clustersim.kinds.targets.KernelWriter` protocol)."""

    top = _TOP

    def __init__(self, model: Model, specs: Sequence[TargetSpec], derived: Mapping[str, ex.Expr]):
        self.m = model
        self.specs = specs
        self.derived = dict(derived)
        self.arrays: list[NDArray[np.generic]] = []
        self.sources: list[tuple[object, str]] = []
        self.sampled: list[bool] = []
        self.year_first: list[bool] = []
        self.arg_names: list[str] = []
        self.K: list[float] = []
        self.I: list[int] = []
        self.errors: list[str] = []
        self.lane_arrays: list[str] = []  # (LANES,) float scratch, allocated once
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
        self.factors: list[str] = []  # (C, LANES) growth factors gathered per block
        # firm tier pipelines: one stock and one inflow array per pipeline (all its tiers),
        # ``tp<n>_n`` / ``tp<n>_i``, (T, K, LANES) or per cluster (T, C, K, LANES)
        self.pipes: dict[int, str] = {}
        self.pipes_done: set[int] = set()
        for op in model.ops:
            if isinstance(op, Tier) and id(op.pipeline) not in self.pipes:
                self.pipes[id(op.pipeline)] = f"tp{len(self.pipes)}"
        # input-output systems: every sector's output ``io<n>_x`` (T, n, LANES), solved once
        self.systems: dict[int, str] = {}
        self.systems_done: set[int] = set()
        for op in model.ops:
            if isinstance(op, Leontief) and id(op.system) not in self.systems:
                self.systems[id(op.system)] = f"io{len(self.systems)}"

    def _reads(self, name: str) -> set[str]:
        """Stored series an inlined value of ``name`` reads (through Combines)."""
        op = self.ops[name]
        if isinstance(op, Combine):
            return {r for a, b in op.terms for n in (a, b) if n is not None for r in self._reads(n)}
        return {name}

    # -- registries -------------------------------------------------------------------------
    def arg(
        self, a: NDArray[np.generic], stem: str, sampled: bool = False, fixed: bool = False
    ) -> str:
        """An array argument; ``fixed``: made from the structure and the specs alone (cluster
        indices), the same for every model of this structure."""
        name = f"{stem}_{len(self.arrays)}"
        self.arrays.append(np.ascontiguousarray(a))
        self.sources.append((a, "fixed" if fixed else "contiguous"))
        self.sampled.append(sampled and a.shape[0] > 1)
        self.year_first.append(False)
        self.arg_names.append(name)
        return name

    def shocked_rates(self, rates: NDArray[np.generic]) -> str | None:
        """Sampled rates of every year (shocked rates, issue 15) as an argument in the
        order they are stored, nothing copied: the code of the rate of sample ``{s}``
        (cluster ``{c}``) in year ``{t}``, a template for ``str.format``. Stored year first
        (``compile.year_major``) a C-ordered ``(T, S, [C])`` indexed ``[t, s, c]``; a
        cluster series' rates stored sample first (``compile.sample_major``, the layout
        this engine asks for) a C-ordered ``(S, T, C)`` indexed ``[s, t, c]``, which a
        lane block reads as one contiguous run. None for any other rates."""
        if rates.shape[0] == 1 or rates.shape[-1] == 1:
            return None
        moved = np.moveaxis(rates, -1, 0)
        if moved.flags.c_contiguous:
            stem, year_first, how = "ry", True, "moveaxis"
            index = "[{t}, {s}, {c}]" if rates.ndim == 3 else "[{t}, {s}]"
        elif rates.ndim == 3 and (moved := np.swapaxes(rates, 1, 2)).flags.c_contiguous:
            stem, index, year_first, how = "rs", "[{s}, {t}, {c}]", False, "swapaxes"
        else:
            return None
        name = f"{stem}_{len(self.arrays)}"
        self.arrays.append(moved)
        self.sources.append((rates, how))
        self.sampled.append(True)
        self.year_first.append(year_first)
        self.arg_names.append(name)
        return name + index

    def par(self, a: NDArray[np.generic], stem: str) -> str:
        """A parameter array with a leading sample axis (length S or 1)."""
        return self.arg(a, stem, sampled=True)

    def k(self, v: float) -> str:
        self.K.append(float(v))
        return f"k{len(self.K) - 1}_"

    def i(self, v: int) -> str:
        self.I.append(int(v))
        return f"i{len(self.I) - 1}_"

    def var(self, stem: str) -> str:
        self.n_var += 1
        return f"{stem}{self.n_var}"

    def lane(self, stem: str) -> str:
        """A new ``(LANES,)`` scratch array (a per-sample value kept between lane loops)."""
        name = self.var(stem)
        self.lane_arrays.append(name)
        return name

    def err(self, msg: str) -> int:
        self.errors.append(msg)
        return len(self.errors)

    def lanes(self, ind: str, *body: str) -> list[str]:
        """``body`` (statements for one sample ``b``) for each of the block's lanes.

        Unrolled by hand and statement by statement: all lanes of the first statement,
        then all lanes of the next. The loads of a statement then sit next to each other
        and its stores too, with no store of another lane between them, so LLVM's SLP
        vectoriser packs them into SIMD loads, arithmetic and stores without proving that
        arrays do not alias (which it cannot for numba's arrays). A value kept per lane
        between statements is a scalar per lane (``acc3[b]`` becomes ``acc3_0 ..
        acc3_7``), held in registers. The statements' temporaries get names of their own
        in every call (``v`` becomes ``v12_0``), so numba's SSA reconstruction has no
        redefinitions to untangle.
        """
        self.n_var += 1
        return [ind + _lane_line(line, self.n_var, k) for line in body for k in range(LANES)]

    @staticmethod
    def loop(ind: str, *body: str) -> list[str]:
        """``body`` as a loop over the block's lanes, for the targets' code.

        Its length ``NL`` (= LANES) is a run-time argument, so LLVM does not unroll the loop
        but vectorises it (with a run-time check that outputs and inputs do not overlap).
        Unrolled like the ops, the targets of a large plan would take numba minutes to
        compile; as loops they cost a few seconds and run about as fast. Values kept
        between loops are ``(LANES,)`` scratch arrays.
        """
        return [f"{ind}for b in range({LANES}):", *(f"{ind}    {line}" for line in body)]

    @staticmethod
    def si(a: NDArray[np.generic]) -> str:
        """Row of a parameter array for lane ``b`` of the block."""
        return "s0 + b" if a.shape[0] > 1 else "0"

    @staticmethod
    def fail(code: int, bad: str, unrolled: bool) -> str:
        """Record error ``code`` in the lane when ``bad`` holds (the first code wins); a
        product, not a conditional, which would cost numba a branch per lane. Unrolled
        lanes keep their codes in scalars (``eb_0`` ..), lane loops in an array ``ea``."""
        e = "eb" if unrolled else "ea"
        return f"{e}[b] = min({e}[b], {_NO_ERROR} - {_NO_ERROR - code} * ({bad}))"

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
            elif isinstance(op, Tier | Leontief):
                continue  # computed in the lanes, every series of a pipeline (system) at once
            else:
                arrays = []
            if all(a.shape[0] == 1 for a in arrays) and all(d in inv for d in op.deps):
                inv.add(op.name)
        return inv

    # -- series -------------------------------------------------------------------------------
    def val(self, name: str, t: str, c: str | None) -> str:
        """Code of series ``name`` in year index ``t`` (cluster ``c``) for lane ``b``.

        Per-sample series are ``(T, C, LANES)`` / ``(T, LANES)`` scratch arrays, the
        sample-invariant ones ``(T, C)`` / ``(T,)``; a Combine is inlined as its products,
        never stored.
        """
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
        if isinstance(op, Whole):  # inlined: core.model.whole
            x = self.val(op.source, t, c)
            tol = f"min({WHOLE_CAP!r}, {WHOLE_TOL!r} * max(1.0, abs({x})))"
            return f"np.floor({x} + {tol})"
        if isinstance(op, ClusterTotal) and op.name in self.fused_totals and op.rest is not None:
            # the fused loop stored the clusters' sum; the rest is added where it is read
            return f"(r_{name}[{t}, b] + {self.val(op.rest, t, None)})"
        if isinstance(op, Combine):
            terms = [
                self.val(a, t, c) if b is None else f"({self.val(a, t, c)} * {self.val(b, t, c)})"
                for a, b in op.terms
            ]
            return terms[0] if len(terms) == 1 else "(" + " + ".join(terms) + ")"
        if isinstance(op, Tier):  # a tier of a pipeline's stock or inflow array
            arr = f"{self.pipes[id(op.pipeline)]}_{'n' if op.what == 'stock' else 'i'}"
            k = self.i(op.index)
            if op.cluster:
                if c is None:
                    raise ex.ExprError(f"{name!r} is a cluster series here; reduce or pick it")
                return f"{arr}[{t}, {c}, {k}, b]"
            return f"{arr}[{t}, {k}, b]"
        if isinstance(op, Leontief):  # a sector's output in its system's array
            arr = f"{self.systems[id(op.system)]}_x"
            if op.cluster:
                if c is None:
                    raise ex.ExprError(f"{name!r} is a cluster series here; reduce or pick it")
                return f"{arr}[{t}, {c}, b]"
            return f"{arr}[{t}, {arr}.shape[1] - 1, b]"
        lane = "" if name in self.invariant else ", b"
        if op.cluster:
            if c is None:
                raise ex.ExprError(f"{name!r} is a cluster series here; reduce or pick it")
            return f"k_{name}[{t}, {c}{lane}]"
        return f"r_{name}[{t}{lane}]"

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

    # -- ops before the sample loop (no lanes) -----------------------------------------------
    def fixed_code(self, op: object) -> list[str]:
        """Code computing a sample-invariant ``op`` once, before the sample loop."""
        p = "    "
        if isinstance(op, Compound):
            x0, rt = self.arg(op.x0, "x0"), self.arg(op.rates, "rt")
            tt = "t" if op.rates.shape[-1] > 1 else "0"
            els = [(self.arg(e.elasticity, "el"), e.source) for e in op.elastic]
            code = self.err(
                f"{op.name} falls below zero (growth below -100% through an elasticity)"
            )
            c_ = ", c" if op.cluster else ""
            lead, q = ([f"{p}for c in range(C):"], p + "    ") if op.cluster else ([], p)
            pre = "k" if op.cluster else "r"
            lines = [*lead, f"{q}x = {x0}[0{c_}]", f"{q}{pre}_{op.name}[0{c_}] = x"]
            lines += [f"{q}for t in range(1, T):", f"{q}    g = {rt}[0{c_}, {tt}]"]
            cv = "c" if op.cluster else None
            for el, src in els:
                g_src = f"{self.val(src, 't', cv)} / {self.val(src, 't - 1', cv)} - 1.0"
                lines += [f"{q}    g += {el}[0{c_}] * ({g_src})"]
            lines += [f"{q}    x = x * (1.0 + g)", f"{q}    {pre}_{op.name}[t{c_}] = x"]
            if els:
                lines += [f"{q}    if not (x >= 0.0):", f"{q}        e0 = min(e0, {code})"]
            return lines
        if isinstance(op, StockFlow):
            s0, xr = self.arg(op.s0, "s0"), self.arg(op.exit_rate, "xr")
            c_ = ", c" if op.cluster else ""
            lead, q = ([f"{p}for c in range(C):"], p + "    ") if op.cluster else ([], p)
            pre = "k" if op.cluster else "r"
            lines = [
                *lead,
                f"{q}x = {s0}[0{c_}]",
                f"{q}keep = 1.0 - {xr}[0{c_}]",
                f"{q}{pre}_{op.name}[0{c_}] = x",
                f"{q}for t in range(1, T):",
                f"{q}    x = x * keep",
            ]
            if op.rates is not None:
                own = self.arg(op.rates, "ow")
                ot = "t" if op.rates.shape[-1] > 1 else "0"
                lines.append(f"{q}    x = x * (1.0 + {own}[0{c_}, {ot}])")
            flow = self.val(op.flow, "t", "c" if op.cluster else None)
            lines += [f"{q}    x = x + {flow}", f"{q}    {pre}_{op.name}[t{c_}] = x"]
            return lines
        if isinstance(op, Whole):
            return []  # inlined where it is read (see val)
        if isinstance(op, ClusterTotal):
            rest = "" if op.rest is None else f" + {self.val(op.rest, 't', None)}"
            return [
                f"{p}for t in range(T):",
                f"{p}    acc = 0.0",
                f"{p}    for c in range(C):",
                f"{p}        acc += {self.val(op.part, 't', 'c')}",
                f"{p}    r_{op.name}[t] = acc{rest}",
            ]
        if isinstance(op, Combine | Ratio):
            return []  # inlined where it is read (see val)
        raise TypeError(f"unknown op {op!r}")

    # -- ops inside the sample loop (lanes) -----------------------------------------------
    def lane_code(self, op: object, fused: Sequence[ClusterTotal] = ()) -> list[str]:
        """Code computing a per-sample ``op`` for the block's lanes; ``fused`` cluster
        totals are summed in its loop over clusters.

        Only a cluster compound (``C x T`` steps a sample, the bulk of the work) is unrolled
        over the lanes; region series, stocks and unfused totals are lane loops, which
        compile much faster and cost little at ``T`` steps a sample."""
        p = _TOP
        if isinstance(op, Compound):
            return self._compound_lanes(op, fused)
        if isinstance(op, StockFlow):
            s0, xr = self.par(op.s0, "s0"), self.par(op.exit_rate, "xr")
            own = None if op.rates is None else self.par(op.rates, "ow")
            c_ = ", c" if op.cluster else ""
            lead, q = ([f"{p}for c in range(C):"], p + "    ") if op.cluster else ([], p)
            store = f"k_{op.name}[{{t}}, c, b]" if op.cluster else f"r_{op.name}[{{t}}, b]"
            step = [f"x = {store.format(t='t - 1')} * (1.0 - {xr}[{self.si(op.exit_rate)}{c_}])"]
            if own is not None:
                assert op.rates is not None
                ot = "t" if op.rates.shape[-1] > 1 else "0"
                step.append(f"x = x * (1.0 + {own}[{self.si(op.rates)}{c_}, {ot}])")
            flow = self.val(op.flow, "t", "c" if op.cluster else None)
            step += [f"x = x + {flow}", f"{store.format(t='t')} = x"]
            return [
                *lead,
                *self.loop(q, f"{store.format(t='0')} = {s0}[{self.si(op.s0)}{c_}]"),
                f"{q}for t in range(1, T):",
                *self.loop(q + "    ", *step),
            ]
        if isinstance(op, ClusterTotal):
            if op.name in self.fused_totals:  # summed in its host loop; rest added when read
                return []
            rest = (
                [] if op.rest is None else [f"r_{op.name}[t, b] += {self.val(op.rest, 't', None)}"]
            )
            return [
                f"{p}for t in range(T):",
                *self.loop(p + "    ", f"r_{op.name}[t, b] = 0.0"),
                f"{p}    for c in range(C):",
                *self.loop(p + "        ", f"r_{op.name}[t, b] += {self.val(op.part, 't', 'c')}"),
                *(self.loop(p + "    ", *rest) if rest else []),
            ]
        if isinstance(op, Combine | Ratio | Whole):
            return []  # inlined where it is read (see val)
        if isinstance(op, Tier):
            if id(op.pipeline) in self.pipes_done:
                return []  # computed with the pipeline's first tier
            self.pipes_done.add(id(op.pipeline))
            return self._pipeline_lanes(op.pipeline)
        if isinstance(op, Leontief):
            if id(op.system) in self.systems_done:
                return []  # solved with the system's first series
            self.systems_done.add(id(op.system))
            return self._leontief_lanes(op.system)
        raise TypeError(f"unknown op {op!r}")

    def _leontief_lanes(self, sys: IOSystem) -> list[str]:
        """Output of every sector of an input-output system for the block's lanes, as
        :func:`clustersim.core.kernels.leontief_output`: the uncoupled paths ``d`` (the
        clusters', then the rest's), ``f[0] = (I - A) d[0]``, ``f[t] = f[0] d[t] / d[0]``
        (0 where that is not finite) and ``(I - A) x[t] = f[t]`` by an LU factorisation with
        partial pivoting, once per sample, and a forward and back substitution a year."""
        p = _TOP
        stem = self.systems[id(sys)]
        cf = self.par(sys.coef, "cf")
        si = self.si(sys.coef)
        lu, d, f0, y, piv, x = (f"{stem}_{w}" for w in ("lu", "d", "f0", "y", "pv", "x"))
        i_, j_, r_, q_ = (self.var(w) for w in ("ii", "jj", "rr", "qq"))
        acc, big, tmp, mul = (self.var(w) for w in ("acc", "big", "tmp", "mul"))
        sw = self.var("sw")
        nn = f"{lu}.shape[0]"
        body = [
            "for t in range(T):",
            "    for c in range(C):",
            f"        {d}[t, c] = {self.val(sys.demand, 't', 'c')}",
            f"    {d}[t, {nn} - 1] = {self.val(sys.rest_demand, 't', None)}",
            f"for {i_} in range({nn}):",
            f"    for {j_} in range({nn}):",
            f"        {lu}[{i_}, {j_}] = (1.0 if {i_} == {j_} else 0.0) - {cf}[{si}, {i_}, {j_}]",
            f"for {i_} in range({nn}):",
            f"    {acc} = 0.0",
            f"    for {j_} in range({nn}):",
            f"        {acc} += {lu}[{i_}, {j_}] * {d}[0, {j_}]",
            f"    {f0}[{i_}] = {acc}",
            f"    {piv}[{i_}] = {i_}",
            # LU with partial pivoting (the largest magnitude in the column; first on a tie)
            f"for {q_} in range({nn}):",
            f"    {r_} = {q_}",
            f"    {big} = abs({lu}[{q_}, {q_}])",
            f"    for {i_} in range({q_} + 1, {nn}):",
            f"        if abs({lu}[{i_}, {q_}]) > {big}:",
            f"            {big} = abs({lu}[{i_}, {q_}])",
            f"            {r_} = {i_}",
            f"    if {r_} != {q_}:",
            f"        for {j_} in range({nn}):",
            f"            {tmp} = {lu}[{q_}, {j_}]",
            f"            {lu}[{q_}, {j_}] = {lu}[{r_}, {j_}]",
            f"            {lu}[{r_}, {j_}] = {tmp}",
            f"        {sw} = {piv}[{q_}]",
            f"        {piv}[{q_}] = {piv}[{r_}]",
            f"        {piv}[{r_}] = {sw}",
            f"    for {i_} in range({q_} + 1, {nn}):",
            f"        {mul} = {lu}[{i_}, {q_}] / {lu}[{q_}, {q_}]",
            f"        {lu}[{i_}, {q_}] = {mul}",
            f"        for {j_} in range({q_} + 1, {nn}):",
            f"            {lu}[{i_}, {j_}] -= {mul} * {lu}[{q_}, {j_}]",
            "for t in range(T):",
            f"    for {i_} in range({nn}):",
            f"        {r_} = {piv}[{i_}]",
            f"        {tmp} = {f0}[{r_}] * ({d}[t, {r_}] / {d}[0, {r_}])",
            f"        if not (abs({tmp}) < np.inf):",
            f"            {tmp} = 0.0",
            f"        for {j_} in range({i_}):",
            f"            {tmp} -= {lu}[{i_}, {j_}] * {y}[{j_}]",
            f"        {y}[{i_}] = {tmp}",
            f"    for {i_} in range({nn} - 1, -1, -1):",
            f"        {tmp} = {y}[{i_}]",
            f"        for {j_} in range({i_} + 1, {nn}):",
            f"            {tmp} -= {lu}[{i_}, {j_}] * {x}[t, {j_}, b]",
            f"        {x}[t, {i_}, b] = {tmp} / {lu}[{i_}, {i_}]",
        ]
        return self.loop(p, *body)

    def _pipeline_lanes(self, pipe: TierPipeline) -> list[str]:
        """Every tier of a firm tier pipeline for the block's lanes, the step of
        :func:`clustersim.core.kernels.tier_pipeline`: per year, from the top tier down,
        ``arrivals`` (entries or promotions of the tier below a year earlier), ``kept``
        (the stock less promotions and exits, plus what the ceiling above refused) and the
        arrivals that fit under the ceiling (``min(a, max(cap - kept, 0))``, all of them
        without a ceiling: ``cap = inf``). A per-cluster pipeline runs the same step for
        each cluster, its entries gathered from each cluster's region series first."""
        p = _TOP
        stem = self.pipes[id(pipe)]
        n_, i_ = f"{stem}_n", f"{stem}_i"
        s0, pr = self.par(pipe.s0, "ts"), self.par(pipe.promote, "tpr")
        xr, cp = self.par(pipe.exit, "txr"), self.par(pipe.cap, "tcp")
        si = {a: self.si(getattr(pipe, w)) for a, w in ((s0, "s0"), (pr, "promote"))}
        si |= {xr: self.si(pipe.exit), cp: self.si(pipe.cap)}
        kk = self.var("kk")
        blk, arv, kept, got = (self.var(x) for x in ("blk", "arv", "kpt", "got"))
        lines: list[str] = []
        if isinstance(pipe.entries, tuple):
            ent = f"{stem}_e"
            for ci, name in enumerate(pipe.entries):
                if not name:
                    continue
                cci = self.i(ci)
                lines += [f"{p}for t in range(T):"]
                lines += self.loop(p + "    ", f"{ent}[t, {cci}, b] = {self.val(name, 't', None)}")
            lead, q, c_ = [f"{p}for c in range(C):"], p + "    ", "c, "
            entry = f"{ent}[{{t}}, c, b]"
        else:
            lead, q, c_ = [], p, ""
            entry = self.val(pipe.entries, "{t}", None)
        lines += lead
        first = [
            f"for {kk} in range({n_}.shape[-2]):",
            f"    {n_}[0, {c_}{kk}, b] = {s0}[{si[s0]}, {c_}{kk}]",
            f"    if {kk} == 0:",
            f"        {i_}[0, {c_}0, b] = {entry.format(t='0')}",
            "    else:",
            f"        {i_}[0, {c_}{kk}, b] = "
            f"{pr}[{si[pr]}, {c_}{kk} - 1] * {s0}[{si[s0]}, {c_}{kk} - 1]",
        ]
        lines += self.loop(q, *first)
        step = [
            f"{blk} = 0.0",
            f"for {kk} in range({n_}.shape[-2] - 1, -1, -1):",
            f"    if {kk} == 0:",
            f"        {arv} = {entry.format(t='t')}",
            "    else:",
            f"        {arv} = {pr}[{si[pr]}, {c_}{kk} - 1] * {n_}[t - 1, {c_}{kk} - 1, b]",
            f"    {kept} = {n_}[t - 1, {c_}{kk}, b] * "
            f"(1.0 - {pr}[{si[pr]}, {c_}{kk}] - {xr}[{si[xr]}, {c_}{kk}]) + {blk}",
            f"    {got} = min({arv}, max({cp}[{si[cp]}, {c_}{kk}] - {kept}, 0.0))",
            f"    {blk} = {arv} - {got}",
            f"    {i_}[t, {c_}{kk}, b] = {got}",
            f"    {n_}[t, {c_}{kk}, b] = {kept} + {got}",
        ]
        lines += [f"{q}for t in range(1, T):", *self.loop(q + "    ", *step)]
        return lines

    def _compound_lanes(self, op: Compound, fused: Sequence[ClusterTotal]) -> list[str]:
        p = _TOP
        x0 = self.par(op.x0, "x0")
        shocked = self.shocked_rates(op.rates)
        rt = "" if shocked is not None else self.par(op.rates, "rt")
        rs, xs = self.si(op.rates), self.si(op.x0)
        tt = "t" if op.rates.shape[-1] > 1 else "0"
        els = [(self.par(e.elasticity, "el"), self.si(e.elasticity), e.source) for e in op.elastic]
        code = self.err(f"{op.name} falls below zero (growth below -100% through an elasticity)")
        c_ = ", c" if op.cluster else ""
        cv = "c" if op.cluster else None
        store = f"k_{op.name}[{{t}}, c, b]" if op.cluster else f"r_{op.name}[{{t}}, b]"
        lines: list[str] = []
        # the growth of one year: a factor gathered once per block when it is the same in
        # every year (the common case), else the rate of year t plus the elasticities
        if not els and tt == "0" and rs != "0":
            f = self.var("f")
            self.factors.append(f)
            lines += [f"{p}for c in range({'C' if op.cluster else '1'}):"]
            gather = self.lanes if op.cluster else self.loop
            lines += gather(p + "    ", f"{f}[c, b] = 1.0 + {rt}[{rs}{c_}, 0]")
            grow = [f"x = {store.format(t='t - 1')} * {f}[{'c' if op.cluster else '0'}, b]"]
        else:
            if shocked is not None:
                grow = [f"g = {shocked.format(t=tt, s=rs, c='c')}"]
            else:
                grow = [f"g = {rt}[{rs}{c_}, {tt}]"]
            for el, es, src in els:
                g_src = f"{self.val(src, 't', cv)} / {self.val(src, 't - 1', cv)} - 1.0"
                grow.append(f"g += {el}[{es}{c_}] * ({g_src})")
            grow.append(f"x = {store.format(t='t - 1')} * (1.0 + g)")
        grow.append(f"{store.format(t='t')} = x")
        if els:
            grow.append(self.fail(code, "not (x >= 0.0)", unrolled=op.cluster))
        if not op.cluster:
            lines += self.loop(p, f"{store.format(t='0')} = {x0}[{xs}]")
            lines += [f"{p}for t in range(1, T):", *self.loop(p + "    ", *grow)]
            return lines
        # years outer, clusters inner, lanes innermost; the totals that read this series
        # are summed in the same pass
        # the sums are per-lane scalars (registers) while the clusters are walked
        accs = [self.var("tot") for _ in fused]  # unrolled: tot3[b] becomes tot3_0 ..
        zero = [f"{a}[b] = 0.0" for a in accs]
        add = [
            f"{a}[b] += {self.val(f.part, '{t}', 'c')}" for a, f in zip(accs, fused, strict=True)
        ]
        put = [f"r_{f.name}[{{t}}, b] = {a}[b]" for a, f in zip(accs, fused, strict=True)]
        lines += self.lanes(p, *zero)
        lines += [f"{p}for c in range(C):"]
        lines += self.lanes(
            p + "    ",
            f"{store.format(t='0')} = {x0}[{xs}, c]",
            *(a.format(t="0") for a in add),
        )
        lines += self.lanes(p, *(u.format(t="0") for u in put))
        lines += [f"{p}for t in range(1, T):"]
        lines += self.lanes(p + "    ", *zero)
        lines += [f"{p}    for c in range(C):"]
        lines += self.lanes(p + "        ", *grow, *(a.format(t="t") for a in add))
        lines += self.lanes(p + "    ", *(u.format(t="t") for u in put))
        return lines

    # -- expressions --------------------------------------------------------------------------
    def is_cluster(self, name: str) -> bool:
        if name in self.ops:
            return self.ops[name].cluster
        return False

    def expr(
        self, e: ex.Expr, yi: str, year: int | None, c: str | None, pre: list[str], ind: str
    ) -> str:
        """Code of ``e`` for lane ``b`` at year index ``yi`` (or history ``year`` when before
        the base), for cluster ``c`` (a loop variable or None); the loops of reductions go
        to ``pre``, at indent ``ind``, outside any lane loop."""
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
        if isinstance(e, ex.At):
            # the value in a fixed year, whatever year (or window loop) it is read in
            if e.year - self.base >= len(self.m.years):  # never read past the arrays
                raise ex.ExprError(f"@{e.year} is after the end year {int(self.m.years[-1])}")
            fy = "0" if e.year < self.base else self.i(e.year - self.base)
            return self.expr(e.operand, fy, e.year, c, pre, ind)
        if isinstance(e, ex.Reduce):
            # the same reduction in the same year at the top of the block loop (a share and
            # a group-sum target over one group, say) is computed once per block
            key = (e, year) if (year is not None and c is None and ind == _TOP) else None
            if key is not None and key in self.reduced:
                return self.reduced[key]
            members = (
                self.m.groups[e.group] if e.group is not None else np.arange(len(self.m.clusters))
            )
            if len(members) == 0:
                raise ex.ExprError(f"{e.func}() over an empty group {e.group!r}")
            g = self.arg(np.asarray(members, dtype=np.int64), "grp", fixed=e.group is None)
            acc, j, cc = self.lane("acc"), self.var("j"), self.var("c")
            init = {"sum": "0.0", "mean": "0.0", "min": "np.inf", "max": "-np.inf"}[e.func]
            body: list[str] = []
            val = self.expr(e.arg, yi, year, cc, body, ind + "    ")
            pre += self.loop(ind, f"{acc}[b] = {init}")
            pre += [f"{ind}for {j} in range({g}.shape[0]):", f"{ind}    {cc} = {g}[{j}]"]
            pre += body
            op = {
                "sum": f"{acc}[b] += {val}",
                "mean": f"{acc}[b] += {val}",
                "min": f"{acc}[b] = min({acc}[b], {val})",
                "max": f"{acc}[b] = max({acc}[b], {val})",
            }[e.func]
            pre += self.loop(ind + "    ", op)
            result = f"({acc}[b] / {g}.shape[0])" if e.func == "mean" else f"{acc}[b]"
            if key is not None:
                self.reduced[key] = result
            return result
        raise TypeError(e)

    def history(self, name: str, year: int, cl: str | None, pre: list[str], ind: str) -> str:
        h = self.m.history.get(name, {})
        if year in h:
            a = h[year]
            ha = self.par(a, "h")
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

    def target_code(self, n: int, spec: TargetSpec) -> list[str]:
        """Code of target ``n``: reductions and windows as loops around lane loops (written
        by the target's kind), then one lane loop that computes value, margin and met and
        stores them.

        Raises
        ------
        ScenarioError
            The kind has no compiled form (or is not registered): the engine refuses it by
            name rather than compute something else.
        """
        kind = TARGET_KINDS.get(spec.kind)
        tol = self.k(spec.bound.met_from)
        code = kind.kernel(self, spec, tol) if kind is not None else None
        if code is None:
            raise ScenarioError(
                f"target {spec.id}: the numba engine has no compiled form for target kind "
                f"{spec.kind!r}; run it with engine='numpy'"
            )
        lines, final = code
        # (a value that is not finite is found after the kernel, in the value rows)
        final = [
            *final,
            f"value[{n}, s0 + b] = v",
            f"margin[{n}, s0 + b] = m",
            f"met[{n}, s0 + b] = ok",
        ]
        return lines + self.loop(_TOP, *final)

    # -- the function -------------------------------------------------------------------------
    def build(self) -> Generated:
        order = [op for op in self.m.ops if op.name in self.need]
        pre_loop = [op for op in order if op.name in self.invariant]
        in_loop = [op for op in order if op.name not in self.invariant]
        body: list[str] = []
        for op in pre_loop:
            body += self.fixed_code(op)
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
            loop += self.lane_code(op, hosts.get(op.name, ()))
        for n, spec in enumerate(self.specs):
            loop += self.target_code(n, spec)
        for _, code in self.hoisted.values():
            body += code
        alloc: list[str] = []
        for op in self.m.ops:  # pipelines: every tier at once, with the first tier needed
            if not isinstance(op, Tier) or op.name not in self.need:
                continue
            stem, pipe = self.pipes[id(op.pipeline)], op.pipeline
            if f"    {stem}_n = " in "\n".join(alloc):
                continue
            dims = f"T, C, {pipe.n_tiers}" if pipe.per_cluster else f"T, {pipe.n_tiers}"
            alloc += [f"    {stem}_{w} = np.empty(({dims}, {LANES}))" for w in ("n", "i")]
            if pipe.per_cluster:
                alloc.append(f"    {stem}_e = np.zeros((T, C, {LANES}))")
        done_io: set[int] = set()
        for op in order:  # input-output systems: scratch of the solve and every output
            if not isinstance(op, Leontief) or id(op.system) in done_io:
                continue
            done_io.add(id(op.system))
            stem = self.systems[id(op.system)]
            alloc += [
                f"    {stem}_lu = np.empty((C + 1, C + 1))",
                f"    {stem}_d = np.empty((T, C + 1))",
                f"    {stem}_f0 = np.empty(C + 1)",
                f"    {stem}_y = np.empty(C + 1)",
                f"    {stem}_pv = np.empty(C + 1, dtype=np.int64)",
                f"    {stem}_x = np.empty((T, C + 1, {LANES}))",
            ]
        for op in order:
            if isinstance(op, Combine | Ratio | Whole | Tier | Leontief):
                continue
            lane = "" if op.name in self.invariant else f", {LANES}"
            if op.cluster:
                alloc.append(f"    k_{op.name} = np.empty((T, C{lane}))")
            else:
                alloc.append(f"    r_{op.name} = np.empty((T{lane}))")
        # (a region compound's factor is row 0: a scenario may have no clusters at all)
        alloc += [f"    {f} = np.empty((max(C, 1), {LANES}))" for f in self.factors]
        alloc += [f"    {a} = np.empty({LANES})" for a in self.lane_arrays]
        alloc += self.lanes("    ", f"eb[b] = {_NO_ERROR}")
        alloc.append(f"    ea = np.full({LANES}, {_NO_ERROR})")
        alloc.append(f"    e0 = {_NO_ERROR}")
        args = ", ".join(
            ["S", "T", "C", "NL", *self.arg_names, "K", "I", "value", "margin", "met", "err"]
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
            "@njit(cache=True, nogil=True, fastmath={'reassoc', 'contract'}, error_model='numpy')",
            f"def kernel({args}):",
            *consts,
            *alloc,
            *body,
            f"    for s0 in range(0, S, {LANES}):",
            *(loop or ["        pass"]),
            *self.lanes("    ", "e0 = min(e0, eb[b])"),
            *self.loop("    ", "e0 = min(e0, ea[b])"),
            f"    if e0 < {_NO_ERROR}:",
            "        err[0] = e0",
            "",
        ]
        return Generated(
            "\n".join(src),
            self.arrays,
            self.sampled,
            np.asarray(self.K, dtype=np.float64),
            np.asarray(self.I, dtype=np.int64),
            self.errors,
            [t.id for t in self.specs],
            sorted(self.invariant),
            self.year_first,
            self.sources,
        )


def generate(
    model: Model, specs: Sequence[TargetSpec], derived: Mapping[str, ex.Expr]
) -> Generated:
    """The kernel source and its arguments for ``model``'s targets ``specs``."""
    return _Gen(model, specs, derived).build()


# --- the same structure again: the arguments only ------------------------------------------------
#
# A sweep evaluates chunk after chunk of one scenario: the models differ in their sampled
# arrays only, so the kernel's source, constants and error messages are the same every time,
# and generating them again (walking every op and target, formatting ~10^4 lines) cost about
# 3 ms a chunk of zhenjiang-mc, half the kernel's own time. The generator reads the model's
# structure (op types and names, array shapes, dtypes and memory layout, which arrays are the
# same object) and never an array's values: those reach the kernel only as arguments. So a
# model with the same structure (the key below) gets the first one's Generated with its own
# arrays in the argument slots, found by position in a walk of the model. Every non-array
# value met in the walk (a name, an index, a flag) is part of the key, as are the specs and
# derived expressions (compared by value). An argument the generator made itself is kept
# from the first model only when it says it follows from the key alone (``arg(fixed=True)``:
# cluster indices of a spec or of all clusters); any other argument that is not an object of
# the model makes the structure generated afresh every time. The tests compare replayed and
# fresh Generated for every shipped scenario.

_REPLAY: dict[object, tuple[Generated, list[tuple[int, str]]] | None] = {}
_REPLAY_MAX = 64


_LEAVES = (str, int, float, bool, type(None), np.float64, np.int64, np.bool_)
_FIELDS: dict[type, tuple[str, ...]] = {}


def _walk(
    x: object, key: list[object], arrays: list[NDArray[np.generic]], seen: dict[int, int]
) -> None:
    """Append ``x``'s structure to ``key`` and its arrays (each once) to ``arrays``."""
    t = type(x)
    if t is np.ndarray:
        assert isinstance(x, np.ndarray)
        j = seen.get(id(x))
        if j is not None:  # the same object again: the generator may rely on it
            key.append(("same", j))
            return
        seen[id(x)] = len(arrays)
        arrays.append(x)
        key.append((x.shape, x.dtype.str, x.strides))
    elif t in _LEAVES:
        key.append(x)
    elif t is tuple or t is list:
        assert isinstance(x, tuple | list)
        key.append((t.__name__, len(x)))
        for v in x:
            _walk(v, key, arrays, seen)
    elif t is dict:
        assert isinstance(x, dict)
        key.append(("dict", len(x)))
        for k, v in x.items():
            key.append(k)
            _walk(v, key, arrays, seen)
    elif dataclasses.is_dataclass(x) and not isinstance(x, type):
        j = seen.get(id(x))
        if j is not None:
            key.append(("same-object", j))
            return
        seen[id(x)] = -1 - len(seen)
        key.append(("object", t.__qualname__, seen[id(x)]))
        names = _FIELDS.get(t)
        if names is None:
            names = _FIELDS[t] = tuple(f.name for f in dataclasses.fields(x))
        for name in names:
            _walk(getattr(x, name), key, arrays, seen)
    else:
        raise TypeError(f"no structure key for {t.__name__}")


#: the specs' and derived expressions' part of a key, by the identity of the objects (held
#: here, so an identity is not reused while its entry lives): hashing expression trees again
#: for every chunk would cost as much as the walk of the model. The part is a token, one per
#: distinct value of the specs and expressions (:data:`_SPEC_TOKENS`), so the model's key
#: hashes and compares an int, not 35 targets' trees (~0.1 ms a zhenjiang-mc chunk).
_SPEC_KEYS: dict[tuple[object, ...], tuple[object, int]] = {}
#: the token of each value of the specs and expressions; tokens are never reused (a cleared
#: table hands out new ones), so a replay entry keyed by an old token is only unreachable
_SPEC_TOKENS: dict[object, int] = {}
_NEXT_TOKEN = itertools.count()


def _specs_key(specs: Sequence[TargetSpec], derived: Mapping[str, ex.Expr]) -> int:
    ident = (tuple(id(s) for s in specs), tuple((k, id(e)) for k, e in derived.items()))
    got = _SPEC_KEYS.get(ident)
    if got is None:
        key = (tuple(specs), tuple(sorted(derived.items())))
        hash(key)  # TypeError when something in them cannot be a key
        if len(_SPEC_KEYS) >= _REPLAY_MAX:
            _SPEC_KEYS.clear()
        if len(_SPEC_TOKENS) >= _REPLAY_MAX:
            _SPEC_TOKENS.clear()
        token = _SPEC_TOKENS.get(key)
        if token is None:
            token = _SPEC_TOKENS[key] = next(_NEXT_TOKEN)
        got = _SPEC_KEYS[ident] = ((list(specs), dict(derived)), token)
    return got[1]


def generate_cached(
    model: Model, specs: Sequence[TargetSpec], derived: Mapping[str, ex.Expr]
) -> Generated:
    """:func:`generate`, or, for a model of a structure generated before, that Generated with
    this model's arrays as its arguments (the same source, constants and arguments a fresh
    :func:`generate` gives)."""
    key_parts: list[object] = []
    arrays: list[NDArray[np.generic]] = []
    try:
        _walk(model, key_parts, arrays, {})
        key: object = (tuple(key_parts), _specs_key(specs, derived))
        hash(key)
    except TypeError:  # something without a key: no replay
        return generate(model, specs, derived)
    try:  # one lookup: another thread may clear the table between a test and a read
        hit = _REPLAY[key]
    except KeyError:
        pass
    else:
        if hit is None:
            return generate(model, specs, derived)
        gen, slots = hit
        args = [
            first if j == -2 else _moved(arrays[j], how)
            for first, (j, how) in zip(gen.arrays, slots, strict=True)
        ]
        return dataclasses.replace(gen, arrays=args)
    gen = generate(model, specs, derived)
    where = {id(a): j for j, a in enumerate(arrays)}
    slots = [(-2 if how == "fixed" else where.get(id(src), -1), how) for src, how in gen.sources]
    if len(_REPLAY) >= _REPLAY_MAX:
        _REPLAY.clear()
    ok = all(j != -1 for j, _ in slots)
    _REPLAY[key] = (dataclasses.replace(gen, sources=[]), slots) if ok else None
    return gen


def _moved(a: NDArray[np.generic], how: str) -> NDArray[np.generic]:
    if how == "moveaxis":
        return np.moveaxis(a, -1, 0)
    if how == "swapaxes":
        return np.swapaxes(a, 1, 2)
    return np.ascontiguousarray(a)
