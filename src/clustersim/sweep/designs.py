"""Experimental designs: quantiles in (0, 1) for rows ``start .. stop - 1`` of a sweep.

Every design is a pure function of ``(layout, seed, chunk, start, stop)``: the quantiles of
a row never depend on which worker computes it, how many workers there are, or which
other rows are computed with it, so a sweep can be split into chunks and run anywhere.
Each returns an array ``(stop - start, d)`` for the ``d`` sampled numbers, in the order of
:attr:`Design.paths`; the scenario's distributions turn quantiles into values by inverse
CDF (``ppf``).

- ``monte_carlo``: independent uniforms; chunk ``k`` draws number ``path`` from
  ``SeedSequence(seed, spawn_key=(k, crc32(path)))``, the stream
  :func:`clustersim.compile.compile_scenario` draws with ``spawn_key=(k,)``.
- ``lhs``: a Latin hypercube of all ``N`` rows (not of each chunk): column ``j`` puts row
  ``i`` in stratum ``pi_j(i)`` of ``N`` equal strata, ``u = (pi_j(i) + v) / N``, with
  ``pi_j`` a keyed pseudo-random permutation evaluated row by row (a Feistel network with
  cycle walking, so no array of ``N`` is ever built) and the jitter ``v`` from the
  Monte Carlo stream of the chunk.
- ``sobol``: Saltelli's design for Sobol' indices from one scrambled Sobol' sequence of
  dimension ``2d`` (``scipy.stats.qmc.Sobol``): base point ``i`` gives rows ``A_i`` (first
  ``d`` columns), ``B_i`` (last ``d``) and ``AB^(g)_i`` (``A_i`` with the columns of group
  ``g`` taken from ``B_i``), interleaved: row ``r`` is block ``r % (G + 2)`` of base point
  ``r // (G + 2)``.
- ``grid``: the Cartesian product of each factor's levels, the last factor varying
  fastest, each point repeated ``replications`` times; level ``l`` of ``L`` is quantile
  ``(l + 0.5) / L``. Numbers that are not factors are drawn as in ``monte_carlo``.

References
----------
.. [1] McKay, Beckman, Conover (1979), "A comparison of three methods for selecting values
   of input variables in the analysis of output from a computer code", Technometrics 21.
.. [2] Saltelli et al. (2010), "Variance based sensitivity analysis of model output. Design
   and estimator for the total sensitivity index", Comput. Phys. Commun. 181, 259-270.
.. [3] Black, Rogaway (2002), "Ciphers with arbitrary finite domains" (cycle walking).
"""

from __future__ import annotations

import math
import warnings
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from clustersim.sampling.streams import uniform_streams

__all__ = [
    "DESIGNS",
    "LHS_KEY",
    "SOBOL_KEY",
    "Design",
    "feistel_permutation",
    "quantiles",
    "uniform_stream",
]

Array = NDArray[np.float64]
U64 = NDArray[np.uint64]

#: spawn-key roots of the design-wide streams, above any chunk index
LHS_KEY = 2**32
SOBOL_KEY = 2**32 + 1
_FEISTEL_ROUNDS = 6
_EPS = 2.0**-53  # Sobol' points may be exactly 0; ppf(0) of a normal is -inf
_HALF_STEP = 0.5 / 2.0**53  # uniforms are shifted by half a step so that 0 is never drawn


@dataclass(frozen=True)
class Design:
    """The geometry of a sweep's design (everything but the distributions).

    Attributes
    ----------
    method : {"grid", "lhs", "sobol", "monte_carlo"}
    paths : tuple of str
        The sampled numbers, one column each: the swept factors first.
    rows : int
        ``N``, the number of samples (model evaluations).
    levels : tuple of int
        Grid only: the number of levels of each factor (the first ``len(levels)`` paths).
    replications : int
        Grid only: samples per grid point.
    groups : tuple of tuple of int
        Sobol only: the columns of each group ``g``; ``AB^(g)`` takes them from ``B``.
    """

    method: Literal["grid", "lhs", "sobol", "monte_carlo"]
    paths: tuple[str, ...]
    rows: int
    levels: tuple[int, ...] = ()
    replications: int = 1
    groups: tuple[tuple[int, ...], ...] = ()

    @property
    def d(self) -> int:
        return len(self.paths)

    @property
    def blocks(self) -> int:
        """Rows per base point: ``G + 2`` for sobol (A, B, one AB per group), else 1."""
        return len(self.groups) + 2 if self.method == "sobol" else 1


def uniform_stream(seed: int, chunk: int, path: str, n: int) -> Array:
    """Uniforms in (0, 1) for number ``path`` in chunk ``chunk``: ``(n,)``.

    The stream is ``PCG64(SeedSequence(seed, spawn_key=(chunk, crc32(path))))``, one 64-bit
    draw per uniform (``random()``'s top 53 bits), shifted half a step so that 0 is never
    drawn: the numbers :func:`clustersim.compile.compile_scenario` draws for ``path`` with
    ``spawn_key=(chunk,)``.
    """
    ss = np.random.SeedSequence(seed, spawn_key=(chunk, zlib.crc32(path.encode())))
    out: Array = np.random.Generator(np.random.PCG64(ss)).random(n) + _HALF_STEP
    return out


# --- random-access permutations ----------------------------------------------------------------


def _mix(x: U64) -> U64:
    """splitmix64's finaliser: a bijective 64-bit mixing of ``x`` (wrapping arithmetic)."""
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _feistel(x: U64, keys: U64, half: int) -> U64:
    mask = np.uint64((1 << half) - 1)
    sh = np.uint64(half)
    left, right = x >> sh, x & mask
    for key in keys:
        left, right = right, left ^ (_mix(right ^ key) & mask)
    out: U64 = (left << sh) | right
    return out


def feistel_permutation(index: NDArray[np.int64], n: int, keys: U64) -> NDArray[np.int64]:
    """``pi(index)`` for a keyed pseudo-random permutation ``pi`` of ``0 .. n - 1``.

    A balanced Feistel network on ``2h`` bits (``4**h >= n``) is a permutation of
    ``0 .. 4**h - 1``; cycle walking (apply it again while the result is ``>= n``) makes it
    one of ``0 .. n - 1``. Any row is evaluated on its own, so a chunk of a Latin
    hypercube needs no array of ``n``.

    Parameters
    ----------
    index : int array (m,)
        Values in ``0 .. n - 1``.
    n : int
        Size of the permuted set (up to ``2**62``).
    keys : uint64 array (rounds,)
        Round keys.

    Returns
    -------
    int array (m,)
    """
    if n <= 1:
        return np.zeros_like(index)
    half = max(1, math.ceil((n - 1).bit_length() / 2))
    x = _feistel(index.astype(np.uint64), keys, half)
    out = x >= np.uint64(n)
    while out.any():  # expected < 4 rounds: the domain is less than 4n
        x[out] = _feistel(x[out], keys, half)
        out = x >= np.uint64(n)
    return x.astype(np.int64)


def _lhs_keys(seed: int, path: str) -> U64:
    ss = np.random.SeedSequence(seed, spawn_key=(LHS_KEY, zlib.crc32(path.encode())))
    return np.asarray(ss.generate_state(_FEISTEL_ROUNDS, np.uint64), dtype=np.uint64)


# --- the designs -------------------------------------------------------------------------------


def _monte_carlo(design: Design, seed: int, chunk: int, start: int, stop: int, lo: int) -> Array:
    if start == lo:
        # column-major: each number's uniforms are drawn straight into their own contiguous
        # column (compiled, every stream seeded and drawn in one call, when numba is loaded)
        return uniform_streams(seed, (chunk,), design.paths, stop - start)
    out = np.empty((stop - start, design.d), order="F")
    for j, path in enumerate(design.paths):
        out[:, j] = uniform_stream(seed, chunk, path, stop - lo)[start - lo :]
    return out


def _lhs(design: Design, seed: int, chunk: int, start: int, stop: int, lo: int) -> Array:
    jitter = _monte_carlo(design, seed, chunk, start, stop, lo)
    rows = np.arange(start, stop, dtype=np.int64)
    n = design.rows
    for j, path in enumerate(design.paths):
        strata = feistel_permutation(rows, n, _lhs_keys(seed, path))
        jitter[:, j] = (strata + jitter[:, j]) / n
    return jitter


def _sobol_points(design: Design, seed: int, first: int, count: int) -> Array:
    """Base points ``first .. first + count - 1`` of the scrambled ``2d``-dimensional sequence."""
    from scipy.stats import qmc

    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(SOBOL_KEY,)))
    try:
        engine = qmc.Sobol(2 * design.d, scramble=True, rng=rng)
    except TypeError:  # pragma: no cover - scipy < 1.15 calls it seed
        engine = qmc.Sobol(2 * design.d, scramble=True, seed=rng)
    if first:
        engine.fast_forward(first)
    with warnings.catch_warnings():
        # a chunk is a slice of a power-of-2 sequence: the balance warning does not apply
        warnings.filterwarnings("ignore", message=".*balance properties.*")
        pts: Array = engine.random(count)
    return np.clip(pts, _EPS, 1.0 - _EPS)


def _sobol(design: Design, seed: int, chunk: int, start: int, stop: int, lo: int) -> Array:
    b, d = design.blocks, design.d
    first, last = start // b, -(-stop // b)
    pts = _sobol_points(design, seed, first, last - first)  # (m, 2d)
    a_, b_ = pts[:, :d], pts[:, d:]
    rows = np.empty((last - first, b, d))
    rows[:, 0] = a_
    rows[:, 1] = b_
    for g, cols in enumerate(design.groups):
        rows[:, 2 + g] = a_
        rows[:, 2 + g, list(cols)] = b_[:, list(cols)]
    flat = rows.reshape(-1, d)
    return flat[start - first * b : stop - first * b]


def _grid(design: Design, seed: int, chunk: int, start: int, stop: int, lo: int) -> Array:
    out = _monte_carlo(design, seed, chunk, start, stop, lo)  # non-factors: Monte Carlo
    point = np.arange(start, stop, dtype=np.int64) // design.replications
    idx = np.unravel_index(point, design.levels) if design.levels else ()
    for j, (lv, i) in enumerate(zip(design.levels, idx, strict=True)):
        out[:, j] = (i + 0.5) / lv
    return out


Quantiles = Callable[[Design, int, int, int, int, int], Array]
#: method -> quantile function; a new design is one function and one entry here
DESIGNS: dict[str, Quantiles] = {
    "monte_carlo": _monte_carlo,
    "lhs": _lhs,
    "sobol": _sobol,
    "grid": _grid,
}


def quantiles(
    design: Design, seed: int, chunk: int, start: int, stop: int, chunk_start: int | None = None
) -> Array:
    """Quantiles of rows ``start .. stop - 1`` of chunk ``chunk``: ``(stop - start, d)``.

    Parameters
    ----------
    design : Design
    seed : int
        Root seed of the sweep.
    chunk : int
        Index of the chunk the rows belong to: its streams feed the random parts.
    start, stop : int
        Global row range, inside the chunk.
    chunk_start : int, optional
        The chunk's first row (default ``start``): stream draws are numbered from it.

    Returns
    -------
    array (stop - start, d)
        Values in (0, 1).
    """
    lo = start if chunk_start is None else chunk_start
    if not 0 <= lo <= start <= stop <= design.rows:
        raise ValueError(f"rows {start}..{stop} are outside the design (0..{design.rows})")
    return DESIGNS[design.method](design, seed, chunk, start, stop, lo)
