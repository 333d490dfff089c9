"""The standard normal CDF and its inverse: scipy's compiled ufuncs without ``scipy.special``'s
import, and AS241 in NumPy.

:func:`ndtri` is Wichura's AS241 (PPND16), the algorithm the compiled engine also uses
(:mod:`clustersim.accel.draws`), vectorised: the central rational approximation
(``|u - 0.5| <= 0.425``, 85% of uniform draws) over the whole array in blocks that stay in
cache, written in place (no temporaries per coefficient), then the two tail
approximations over just the tail values. Accurate to about 1e-16 relative; it agrees with
``scipy.special.ndtri`` to a few units in the last place (the tests hold it to 4e-15 on a
dense grid including both tails).

:func:`ndtr` of a scalar (the truncation bounds of a distribution, needed by every run
that draws) is ``0.5 * erfc(-x / sqrt(2))`` with the C library's ``erfc`` (Python's
``math.erfc``). Of an array (only the Gaussian copula of correlated numbers: one value
per sample and correlated number) it is scipy's ``ndtr``, imported then: ``math.erfc``
one value at a time costs ~200 ns a value against scipy's ~20.

:func:`cephes_ndtri` is the draws' default in NumPy: scipy's compiled ``ndtri``, one pass a
value, which on the 4,096-value columns of a sweep chunk costs about half of AS241 in NumPy
(two dozen array passes each; the benchmark gate's ``sweep_targets`` counted 1.15x the
instructions with it). It loads ``scipy.special._ufuncs`` alone (0.04 s), not the
``scipy.special`` package, which pulls in scipy's array-API layer and NumPy's f2py, testing
and typing modules (0.3 s of a cold ``clustersim run``). AS241 here stays the reference for
the compiled engine's copy (:mod:`clustersim.accel.draws`), bit for bit.

Wichura, M. J. (1988). Algorithm AS 241: The percentage points of the normal
distribution. Applied Statistics 37(3), 477-484.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy as np
from numpy.typing import NDArray

__all__ = ["cephes_ndtri", "ndtr", "ndtri"]

Array = NDArray[np.float64]

# AS241 coefficients, highest power first (Horner order)
_A = (
    2509.0809287301227,
    33430.57558358813,
    67265.7709270087,
    45921.95393154987,
    13731.69376550946,
    1971.5909503065513,
    133.14166789178438,
    3.3871328727963665,
)
_B = (
    5226.495278852854,
    28729.085735721943,
    39307.89580009271,
    21213.794301586597,
    5394.196021424751,
    687.1870074920579,
    42.31333070160091,
    1.0,
)
_C = (
    0.0007745450142783414,
    0.022723844989269184,
    0.2417807251774506,
    1.2704582524523684,
    3.6478483247632045,
    5.769497221460691,
    4.630337846156546,
    1.4234371107496835,
)
_D = (
    1.0507500716444169e-09,
    0.0005475938084995345,
    0.015198666563616457,
    0.14810397642748008,
    0.6897673349851,
    1.6763848301838038,
    2.053191626637759,
    1.0,
)
_E = (
    2.0103343992922881e-07,
    2.7115555687434876e-05,
    0.0012426609473880784,
    0.026532189526576124,
    0.29656057182850487,
    1.7848265399172913,
    5.463784911164114,
    6.657904643501103,
)
_F = (
    2.0442631033899397e-15,
    1.421511758316446e-07,
    1.8463183175100548e-05,
    0.0007868691311456133,
    0.014875361290850615,
    0.1369298809227358,
    0.599832206555888,
    1.0,
)

#: values per block: the block's arrays stay in L2 through the central and tail passes
BLOCK = 32768


def _horner(x: Array, coef: tuple[float, ...], out: Array) -> Array:
    """``coef[0] x^n + ... + coef[n]`` into ``out``, in place."""
    np.multiply(x, coef[0], out=out)
    for c in coef[1:-1]:
        out += c
        out *= x
    out += coef[-1]
    return out


def _tails(u: Array, q: Array) -> Array:
    """AS241's tail approximations for values with ``|u - 0.5| > 0.425``."""
    lower = q < 0.0
    r = np.where(lower, u, 1.0 - u)
    with np.errstate(divide="ignore", invalid="ignore"):
        np.log(r, out=r)
        np.negative(r, out=r)
        np.sqrt(r, out=r)
    v = np.empty_like(r)
    near = r <= 5.0
    if near.all():
        x = r - 1.6
        _horner(x, _C, v)
        v /= _horner(x, _D, r)
    else:
        if near.any():
            x = r[near] - 1.6
            v[near] = _horner(x, _C, np.empty_like(x)) / _horner(x, _D, np.empty_like(x))
        far = ~near
        x = r[far] - 5.0
        with np.errstate(invalid="ignore"):
            v[far] = _horner(x, _E, np.empty_like(x)) / _horner(x, _F, np.empty_like(x))
        # u of 0, 1 (or outside [0, 1], or NaN): the limits and NaN, as scipy gives them
        v[u == 0.0] = math.inf
        v[u == 1.0] = math.inf
        v[~((u >= 0.0) & (u <= 1.0))] = math.nan
    np.negative(v, out=v, where=lower)
    return v


def _block(u: Array, z: Array, q: Array, r: Array, den: Array) -> None:
    """:func:`ndtri` of one block ``u`` into ``z`` (``q``, ``r``, ``den``: scratch)."""
    np.subtract(u, 0.5, out=q)
    np.multiply(q, q, out=r)
    np.subtract(0.180625, r, out=r)
    _horner(r, _A, z)
    _horner(r, _B, den)
    z *= q
    z /= den
    np.abs(q, out=den)
    tail = np.flatnonzero(~(den <= 0.425))
    if len(tail):
        z[tail] = _tails(u[tail], q[tail])


def ndtri(u: Any) -> Array:
    """Standard normal quantiles of ``u`` (any shape, values in [0, 1]), like
    ``scipy.special.ndtri``: -inf at 0, +inf at 1, NaN outside [0, 1]."""
    a = np.asarray(u, dtype=np.float64)
    flat = np.ascontiguousarray(a).reshape(-1)
    n = flat.shape[0]
    z = np.empty_like(flat)
    q, r, den = (np.empty(min(n, BLOCK)) for _ in range(3))
    for i in range(0, n, BLOCK):
        j = min(i + BLOCK, n)
        _block(flat[i:j], z[i:j], q[: j - i], r[: j - i], den[: j - i])
    return z.reshape(a.shape)


_SQRT1_2 = math.sqrt(0.5)

_UFUNCS: dict[str, Any] = {}


def _scipy_ufunc(name: str) -> Any:
    """scipy's compiled ufunc ``name`` (``ndtri``, ``ndtr``) from ``scipy.special._ufuncs``,
    loaded without running ``scipy/special/__init__.py``.

    The package's ``__init__`` imports scipy's array-API shim, ``numpy.f2py`` and
    ``numpy.testing``: 0.3 s of a cold run, against 0.04 s for the extension module alone.
    The function is the same object either way (the package re-exports it), so the values
    are scipy's to the bit. When the layout is not the expected one (another scipy), the
    package is imported the ordinary way.
    """
    if name in _UFUNCS:
        return _UFUNCS[name]
    mod = sys.modules.get("scipy.special._ufuncs")
    if mod is None and "scipy.special" not in sys.modules:
        mod = _load_ufuncs_alone()
    if mod is None:
        import scipy.special

        mod = scipy.special
    _UFUNCS[name] = getattr(mod, name)
    return _UFUNCS[name]


def _load_ufuncs_alone() -> Any:
    """``scipy.special._ufuncs`` under a temporary stand-in for its package (so its own
    imports of sibling extension modules resolve); None when that is not possible."""
    import importlib.machinery
    import importlib.util
    import types

    try:
        spec = importlib.util.find_spec("scipy")
        if spec is None or spec.origin is None:
            return None
        folder = os.path.join(os.path.dirname(spec.origin), "special")
        files = [f for f in os.listdir(folder) if f.startswith("_ufuncs.") and f.endswith(".so")]
        if len(files) != 1:
            return None
        stand_in = types.ModuleType("scipy.special")
        stand_in.__path__ = [folder]
        sys.modules["scipy.special"] = stand_in
        try:
            name = "scipy.special._ufuncs"
            loader = importlib.machinery.ExtensionFileLoader(name, os.path.join(folder, files[0]))
            mod_spec = importlib.util.spec_from_loader(name, loader)
            if mod_spec is None:
                return None
            mod = importlib.util.module_from_spec(mod_spec)
            loader.exec_module(mod)
            sys.modules[name] = mod
        finally:
            # the real package is imported, whole, by whoever asks for it later; it finds
            # this extension module in sys.modules and re-exports the same ufuncs
            if sys.modules.get("scipy.special") is stand_in:
                del sys.modules["scipy.special"]
        return mod
    except Exception:  # any surprise: fall back to the ordinary import
        return None


def cephes_ndtri(u: Any) -> Array:
    """Standard normal quantiles with scipy's ``ndtri`` (cephes, compiled): the draws' default
    in NumPy. One compiled pass a value, so it stays fast on the 4,096-value columns of a sweep
    chunk, where :func:`ndtri` (AS241 in NumPy, two dozen array passes) costs about twice as
    much (the benchmark gate's ``sweep_targets``: 1.15x the instructions)."""
    return np.asarray(_scipy_ufunc("ndtri")(np.asarray(u, dtype=np.float64)), dtype=np.float64)


def ndtr(x: Any) -> Any:
    """Standard normal CDF: a float for a scalar (``0.5 * erfc(-x / sqrt(2))``), else an
    array of ``x``'s shape (``scipy.special.ndtr``)."""
    if np.ndim(x) == 0:
        return 0.5 * math.erfc(-float(x) * _SQRT1_2)
    return np.asarray(_scipy_ufunc("ndtr")(np.asarray(x, dtype=np.float64)), dtype=np.float64)
