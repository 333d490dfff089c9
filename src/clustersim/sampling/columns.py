"""Inverse CDFs of many columns at once: what a sweep chunk draws, without a call per number.

A sweep chunk turns ``d`` columns of quantiles (one per sampled number: 107 in
``sweeps/zhenjiang-mc.yaml``) into values. Called column by column, :meth:`Distribution.ppf`
spends most of its time in per-call overhead and boolean-mask indexing on 4,096 values:
~8 ms a chunk on this machine. :class:`Columns` groups the columns by distribution and by
the branch of its inverse CDF (truncated or not, mirrored upper tail or not) and works each
column's constants out once (each distribution's ``constants``/``branch``, what its ``ppf``
uses); :meth:`Columns.ppf`
then applies the same element-wise expressions to a whole block of columns, the constants
broadcast along each column's values (the blocks are column-major, so NumPy's inner loops
run over whole columns). Once :mod:`clustersim.accel.draws` is imported (the numba engine)
compiled loops do the blocks' arithmetic (:func:`install_kernels`).

Every column is exactly ``dist.ppf(u[:, j], lo_j, hi_j, inverse_normal=...)``, bit for bit:
each element goes through the same IEEE operations in the same order (a product with a
broadcast constant is the product of the same two doubles; the compiled loops contract
nothing into a fused multiply-add), ``sqrt`` is correctly rounded, NumPy's ``exp`` (kept in
both paths) and the inverse normal are element-wise functions of their input alone, the
clip is ``np.clip``'s with scalar bounds, and ``np.where`` of two branches computed
everywhere picks the same doubles as computing each branch only where it is taken (both
branches are finite for every quantile in ``[0, 1]``). The tests compare the two element
by element on every distribution and branch.

A distribution without a block form here (``Uniform``, ``Choice``) is drawn column by
column; a column whose constants are refused (no mass between the bounds) is drawn by its
own ``ppf``, so its error is the one ``ppf`` raises.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.sampling.base import Array, Distribution, InverseNormal
from clustersim.sampling.base import ndtri as default_ndtri
from clustersim.sampling.lognormal import LogNormal
from clustersim.sampling.normal import Normal
from clustersim.sampling.triangular import Triangular

__all__ = ["Column", "Columns", "install_kernels", "ppf_columns"]

#: one column: its distribution and the bounds of the field it sits in
Column = tuple[Distribution, float, float]

#: compiled blocks (``clustersim.accel.draws.COLUMN_KERNELS``: triangular, normal quantiles,
#: normal values), installed when that module is imported; None: the NumPy blocks below
_KERNELS: tuple[Any, Any, Any] | None = None


def install_kernels(kernels: tuple[Any, Any, Any] | None) -> None:
    """Use compiled blocks from now on (None: NumPy). They must give the NumPy blocks' bits."""
    global _KERNELS
    _KERNELS = kernels


@dataclass(frozen=True)
class _Block:
    """Columns ``idx`` of one branch (``kind``) and their constants, one row each."""

    kind: str
    idx: NDArray[np.int64]
    consts: Array

    def col(self, i: int) -> Array:
        """Constant ``i`` of each column, as a column vector ``(m, 1)`` against ``(m, n)``."""
        return self.consts[:, i : i + 1]


class Columns:
    """Columns prepared once (their branches and constants), drawn chunk after chunk.

    Parameters
    ----------
    cols : sequence of (Distribution, lo, hi)
        One per column of the quantiles :meth:`ppf` will be given.
    """

    def __init__(self, cols: Sequence[Column]) -> None:
        self.cols = list(cols)
        found: dict[str, tuple[list[int], list[tuple[float, ...]]]] = {}
        #: columns drawn by their own ``ppf`` (no block form here, or refused constants)
        self.alone: list[int] = []
        for j, (d, lo, hi) in enumerate(self.cols):
            # each distribution's own constants (what its ppf works out); a column without
            # a block form here, or without mass between its bounds, is drawn by its ppf
            try:
                if type(d) is Triangular:
                    kind, c = "triangular", d.constants(lo, hi)
                elif type(d) is Normal or type(d) is LogNormal:
                    kind, c = d.branch(lo, hi)
                else:
                    self.alone.append(j)
                    continue
            except ValueError:
                self.alone.append(j)
                continue
            found.setdefault(kind, ([], []))
            found[kind][0].append(j)
            found[kind][1].append(c)
        self.blocks = [
            _Block(kind, np.array(js, dtype=np.int64), np.array(cs, dtype=np.float64))
            for kind, (js, cs) in found.items()
        ]

    def ppf(
        self, u: Array, *, inverse_normal: InverseNormal | None = None, out: Array | None = None
    ) -> Array:
        """Values of every column: ``out[:, j] = cols[j][0].ppf(u[:, j], cols[j][1],
        cols[j][2])``, bit for bit (see :func:`ppf_columns`)."""
        u = np.asarray(u, dtype=np.float64)
        n, d = u.shape
        if len(self.cols) != d:
            raise ValueError(f"{len(self.cols)} columns described for {d} columns of quantiles")
        res = np.empty((n, d), order="F") if out is None else out
        ndtri = inverse_normal or default_ndtri
        ut = u.T
        kernels = _KERNELS
        if kernels is not None and not (ut.flags.c_contiguous and res.T.flags.c_contiguous):
            kernels = None  # the compiled blocks read and write whole contiguous columns
        for j in self.alone:  # no block form, or refused: the column's own ppf (and its error)
            d_, lo, hi = self.cols[j]
            res[:, j] = d_.ppf(u[:, j], lo, hi, inverse_normal=inverse_normal)
        if n:
            for b in self.blocks:
                if kernels is not None:
                    _compiled_block(kernels, b, ut, res, ndtri)
                elif b.kind == "triangular":
                    res[:, b.idx] = _triangular_block(b, ut).T
                else:
                    res[:, b.idx] = _normal_block(b, ut, ndtri).T
        return res


def _clip(res: Array, lo: Array, hi: Array) -> Array:
    """``res`` clipped in place to each row's ``[lo, hi]`` (``(m, 1)`` each) as ``np.clip``
    clips to scalar bounds (what each ``ppf`` does): a value equal to a bound is kept, so a
    signed zero keeps its sign, and NaN stays. (``np.clip`` with array bounds returns the
    bound instead, which differs on signed zeros.)"""
    np.copyto(res, np.broadcast_to(lo, res.shape), where=res < lo)
    np.copyto(res, np.broadcast_to(hi, res.shape), where=res > hi)
    return res


def _triangular_block(b: _Block, ut: Array) -> Array:
    """``q = F(lo) + u (F(hi) - F(lo))``, then the left or right root, clipped: ``(m, n)``."""
    q = ut[b.idx]
    q *= b.col(1)
    q += b.col(0)
    left = q * b.col(5)
    left *= b.col(6)
    np.sqrt(left, out=left)
    left += b.col(3)  # a + sqrt(...): addition is commutative, bit for bit
    right = 1.0 - q
    right *= b.col(5)
    right *= b.col(7)
    np.sqrt(right, out=right)
    np.subtract(b.col(4), right, out=right)
    res = np.where(q < b.col(2), left, right)
    return _clip(res, b.col(8), b.col(9))


def _normal_block(b: _Block, ut: Array, ndtri: InverseNormal) -> Array:
    """Normal or lognormal columns of one branch: ``(m, n)``."""
    q = ut[b.idx]
    if b.kind.endswith("free"):  # x = mean + sd * ndtri(u)
        z = ndtri(q)
        z *= b.col(1)
        z += b.col(0)
        res = z
    elif b.kind.endswith("tail"):  # mirrored: x = mean - sd * ndtri(a2 + (1 - u)(b2 - a2))
        q = 1.0 - q
        q *= b.col(3)
        q += b.col(2)
        z = ndtri(q)
        z *= b.col(1)
        res = np.subtract(b.col(0), z, out=z)
    else:  # x = mean + sd * ndtri(a + u (b - a))
        q *= b.col(3)
        q += b.col(2)
        z = ndtri(q)
        z *= b.col(1)
        res = np.add(b.col(0), z, out=z)
    if b.kind.startswith("log"):
        np.exp(res, out=res)
    if not b.kind.endswith("free"):
        _clip(res, b.col(4), b.col(5))
    return res


def _compiled_block(
    kernels: tuple[Any, Any, Any], b: _Block, ut: Array, out: Array, ndtri: InverseNormal
) -> None:
    """A block with the compiled kernels, written into ``out``'s columns: the triangular
    roots in one pass; for a normal, its quantiles, ``ndtri`` of them all at once, then
    ``centre +- scale z`` and the clip (NumPy's ``exp`` between the two for a lognormal, so
    its bits stay NumPy's)."""
    triangular, q_block, out_block = kernels
    if b.kind == "triangular":
        triangular(ut, b.idx, b.consts, out.T)
        return
    if b.kind.endswith("free"):
        z = ndtri(ut[b.idx])
    else:
        q = np.empty((len(b.idx), ut.shape[1]))
        q_block(ut, b.idx, b.consts, b.kind.endswith("tail"), q)
        z = ndtri(q)
    sign = -1 if b.kind.endswith("tail") else 1
    if not b.kind.startswith("log"):
        out_block(z, b.idx, b.consts, sign, not b.kind.endswith("free"), out.T)
        return
    res = np.empty_like(z)
    out_block(z, np.arange(len(b.idx), dtype=np.int64), b.consts, sign, False, res)
    np.exp(res, out=res)
    out[:, b.idx] = _clip(res, b.col(4), b.col(5)).T


def ppf_columns(
    cols: Sequence[Column],
    u: Array,
    *,
    inverse_normal: InverseNormal | None = None,
    out: Array | None = None,
) -> Array:
    """Values of every column: ``out[:, j] = cols[j][0].ppf(u[:, j], cols[j][1], cols[j][2])``.

    ``Columns(cols).ppf(u, ...)``; prepare a :class:`Columns` once to draw many chunks.

    Parameters
    ----------
    cols : sequence of (Distribution, lo, hi)
        One per column of ``u``.
    u : array (n, d)
        Quantiles in (0, 1); Fortran order (each column contiguous) is read fastest.
    inverse_normal : callable, optional
        As :meth:`Distribution.ppf`'s (:func:`clustersim.sampling.base.ndtri` when None).
    out : array (n, d), optional
        Written in place (any memory order); a new Fortran-ordered array when None.

    Returns
    -------
    array (n, d)
        Bit for bit the values of calling each column's ``ppf``.

    Raises
    ------
    ValueError
        What the first column whose distribution has no mass between its bounds raises.
    """
    return Columns(cols).ppf(u, inverse_normal=inverse_normal, out=out)
