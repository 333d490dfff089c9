"""Seeded uniform streams: one per parameter path, so draws do not depend on each other.

NumPy's ``Generator(PCG64)`` draws them, or, once :mod:`clustersim.accel.draws` is imported
(the numba engine imports it), a compiled loop of the same PCG64 giving the same bits
(:func:`install_filler`); seeding and ``advance`` are NumPy's either way.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

__all__ = ["install_filler", "uniform_stream"]

#: a compiled drawer of the same bits (``clustersim.accel.draws.fill_uniforms``), installed
#: when that module is imported (the numba engine imports it); None: NumPy's Generator
_FILLER: Callable[[np.random.PCG64, NDArray[np.float64]], None] | None = None
#: below this many uniforms NumPy's Generator is as fast
_FILL_FROM = 512


def install_filler(fill: Callable[[np.random.PCG64, NDArray[np.float64]], None] | None) -> None:
    """Draw with ``fill(bitgen, out)`` from now on (None: NumPy's Generator). ``fill`` must
    give exactly ``Generator(bitgen).random(len(out)) + 0.5 / 2**53``."""
    global _FILLER
    _FILLER = fill


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
