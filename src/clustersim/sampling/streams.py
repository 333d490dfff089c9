"""Seeded uniform streams: one per parameter path, so draws do not depend on each other.

NumPy's ``Generator(PCG64)`` draws them, or, once :mod:`clustersim.accel.draws` is imported
(the numba engine imports it), compiled code giving the same bits: a seeder, ``advance`` and
drawer of the same PCG64 (:func:`install_streams`), or a loop drawing from NumPy's seeded
generator (:func:`install_filler`).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["install_filler", "install_streams", "uniform_stream", "uniform_streams"]

#: a compiled drawer of the same bits (``clustersim.accel.draws.fill_uniforms``), installed
#: when that module is imported (the numba engine imports it); None: NumPy's Generator
_FILLER: Callable[[np.random.PCG64, NDArray[np.float64]], None] | None = None
#: below this many uniforms NumPy's Generator is as fast
_FILL_FROM = 512
#: a compiled seeder and drawer of many streams (``clustersim.accel.draws.fill_streams``),
#: installed with the filler; None: one NumPy SeedSequence and Generator per stream
_STREAMS: Callable[[int, tuple[int, ...], list[int], NDArray[np.float64], int], None] | None = None


def install_filler(fill: Callable[[np.random.PCG64, NDArray[np.float64]], None] | None) -> None:
    """Draw with ``fill(bitgen, out)`` from now on (None: NumPy's Generator). ``fill`` must
    give exactly ``Generator(bitgen).random(len(out)) + 0.5 / 2**53``."""
    global _FILLER
    _FILLER = fill


def install_streams(
    fill: Callable[[int, tuple[int, ...], list[int], NDArray[np.float64], int], None] | None,
) -> None:
    """Draw many streams with ``fill(seed, spawn_key, keys, out, offset)`` from now on (None:
    NumPy). ``fill`` must give exactly ``uniform_stream``'s numbers: row ``j`` of ``out``
    ``(m, n)`` the stream of spawn key ``(*spawn_key, keys[j])`` from draw ``offset`` on."""
    global _STREAMS
    _STREAMS = fill


def uniform_streams(
    seed: int,
    spawn_key: tuple[int, ...],
    paths: Sequence[str],
    n: int,
    offset: int = 0,
    out: NDArray[np.float64] | None = None,
) -> NDArray[np.float64]:
    """``uniform_stream(seed, spawn_key, path, n, offset)`` of every path, as the columns of
    an ``(n, len(paths))`` Fortran-ordered array (each column contiguous): ``out`` when
    given (of that shape and order), else a new one. With the compiled seeder installed all
    streams are seeded, advanced and drawn in one compiled call (the same bits)."""
    if out is None:
        out = np.empty((n, len(paths)), order="F")
    elif out.shape != (n, len(paths)) or not out.flags.f_contiguous or out.dtype != np.float64:
        raise ValueError(f"out must be a Fortran-ordered float64 array of shape {(n, len(paths))}")
    if _STREAMS is not None and n >= _FILL_FROM:
        _STREAMS(seed, spawn_key, [zlib.crc32(p.encode()) for p in paths], out.T, offset)
        return out
    for j, path in enumerate(paths):
        ss = np.random.SeedSequence(seed, spawn_key=(*spawn_key, zlib.crc32(path.encode())))
        bitgen = np.random.PCG64(ss)
        if offset:
            bitgen.advance(offset)
        col = out[:, j]
        np.random.Generator(bitgen).random(n, out=col)
        col += 0.5 / 2.0**53
    return out


def uniform_stream(
    seed: int, spawn_key: tuple[int, ...], path: str, n: int, offset: int = 0
) -> NDArray[np.float64]:
    """Uniforms in (0, 1) for parameter ``path``: a stream of its own, keyed by the path.

    The stream is ``PCG64(SeedSequence(seed, spawn_key=(*spawn_key, crc32(path))))``, so
    adding a parameter does not change the draws of the others.

    Parameters
    ----------
    seed : int
        Root seed of the run.
    spawn_key : tuple of int
        Extra spawn key (a sweep's chunk index) so chunks draw independent streams.
    path : str
        Dotted scenario path of the parameter.
    n : int
        Number of uniforms.
    offset : int
        Index of the first: samples ``offset .. offset + n - 1`` of the stream. Each
        uniform takes exactly one 64-bit draw (``random()`` uses its top 53 bits), so the
        generator is advanced past the first ``offset`` and drawing in chunks gives the
        same numbers as drawing at once.

    Returns
    -------
    ndarray, shape (n,)
    """
    if _STREAMS is not None and n >= _FILL_FROM:
        # seeded, advanced and drawn in one compiled call (the same bits): NumPy's
        # SeedSequence and PCG64 objects cost ~20 us a path, a fifth of 25,000 draws
        return uniform_streams(seed, spawn_key, (path,), n, offset)[:, 0]
    ss = np.random.SeedSequence(seed, spawn_key=(*spawn_key, zlib.crc32(path.encode())))
    bitgen = np.random.PCG64(ss)
    if offset:
        bitgen.advance(offset)
    # k / 2**53 from random(), shifted half a step so that 0 is never drawn
    if _FILLER is not None and n >= _FILL_FROM:
        out = np.empty(n)
        _FILLER(bitgen, out)
        return out
    out = np.random.Generator(bitgen).random(n)
    out += 0.5 / 2.0**53
    return out
