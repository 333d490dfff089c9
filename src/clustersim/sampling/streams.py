"""Seeded uniform streams: one per parameter path, so draws do not depend on each other."""

from __future__ import annotations

import zlib

import numpy as np
from numpy.typing import NDArray

__all__ = ["uniform_stream"]


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
    out: NDArray[np.float64] = np.random.Generator(bitgen).random(n)
    out += 0.5 / 2.0**53
    return out
