"""The inverse normal CDF, compiled: Wichura's AS241 (PPND16), for drawing samples fast.

``scipy.special.ndtri`` (the NumPy engine's draws) costs ~15 ns a value (AS241 in NumPy,
:mod:`clustersim.sampling.normal_cdf`, about the same at large sizes); drawing the 21 sampled parameters of the
benchmark scenario with it took more time than projecting them with the fused kernel. This
one evaluates the central rational approximation (85% of draws) for all values in one SIMD
loop, then the tails (``|u - 0.5| > 0.425``) over just those, compacted: a gather, the C
library's ``log`` one value at a time in a loop of its own, then ``sqrt``, both tail
polynomials and a select in SIMD loops, and a scatter. ~3 ns a value on a loaded 2-core
machine (4.3 ns when each tail value took its own ``log``, ``sqrt`` and branches: the same
bits, the tests hold the passes to that one-value-at-a-time form). AS241 is accurate to about 1e-16 relative; it agrees with scipy's
to a few units in the last place (the tests hold it to 4e-15), so the engines that use
one or the other agree to float rounding, not to the bit.

Wichura, M. J. (1988). Algorithm AS 241: The percentage points of the normal
distribution. Applied Statistics 37(3), 477-484.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from llvmlite import ir  # type: ignore[import-untyped]
from numba import njit, types
from numba.extending import intrinsic
from numpy.typing import NDArray

from clustersim import compile as compile_module
from clustersim.accel._cache import install
from clustersim.sampling import columns, streams

install()  # numba's cache of this module goes to the user's cache folder, not the package

__all__ = ["COLUMN_KERNELS", "fill_streams", "fill_uniforms", "ndtri", "put_part", "warm"]


@njit(cache=True, nogil=True, fastmath={"contract"}, error_model="numpy")
def _ppnd16(u, z, tails, rs):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    n = u.shape[0]
    for i in range(n):
        q = u[i] - 0.5
        r = 0.180625 - q * q
        z[i] = (
            q
            * (
                (
                    (
                        (
                            (
                                (
                                    (2509.0809287301227 * r + 33430.57558358813) * r
                                    + 67265.7709270087
                                )
                                * r
                                + 45921.95393154987
                            )
                            * r
                            + 13731.69376550946
                        )
                        * r
                        + 1971.5909503065513
                    )
                    * r
                    + 133.14166789178438
                )
                * r
                + 3.3871328727963665
            )
            / (
                (
                    (
                        (
                            (
                                (
                                    (5226.495278852854 * r + 28729.085735721943) * r
                                    + 39307.89580009271
                                )
                                * r
                                + 21213.794301586597
                            )
                            * r
                            + 5394.196021424751
                        )
                        * r
                        + 687.1870074920579
                    )
                    * r
                    + 42.31333070160091
                )
                * r
                + 1.0
            )
        )
    k = 0
    for i in range(n):  # branchless compaction of the tail indices
        tails[k] = i
        k += abs(u[i] - 0.5) > 0.425
    # the tails, one pass per step over the compacted values: the gather and the
    # polynomials vectorise (both polynomials, then a select); the log stays the C
    # library's, one value at a time, in a loop with nothing else in it
    for j in range(k):
        x = u[tails[j]]
        rs[j] = x if x - 0.5 < 0.0 else 1.0 - x
    for j in range(k):
        rs[j] = -math.log(rs[j])
    for j in range(k):
        rs[j] = math.sqrt(rs[j])
    for j in range(k):
        r = rs[j]
        a = r - 1.6
        v1 = (
            (
                (
                    (
                        (
                            (
                                (0.0007745450142783414 * a + 0.022723844989269184) * a
                                + 0.2417807251774506
                            )
                            * a
                            + 1.2704582524523684
                        )
                        * a
                        + 3.6478483247632045
                    )
                    * a
                    + 5.769497221460691
                )
                * a
                + 4.630337846156546
            )
            * a
            + 1.4234371107496835
        ) / (
            (
                (
                    (
                        (
                            (
                                (1.0507500716444169e-09 * a + 0.0005475938084995345) * a
                                + 0.015198666563616457
                            )
                            * a
                            + 0.14810397642748008
                        )
                        * a
                        + 0.6897673349851
                    )
                    * a
                    + 1.6763848301838038
                )
                * a
                + 2.053191626637759
            )
            * a
            + 1.0
        )
        d = r - 5.0
        v2 = (
            (
                (
                    (
                        (
                            (
                                (2.0103343992922881e-07 * d + 2.7115555687434876e-05) * d
                                + 0.0012426609473880784
                            )
                            * d
                            + 0.026532189526576124
                        )
                        * d
                        + 0.29656057182850487
                    )
                    * d
                    + 1.7848265399172913
                )
                * d
                + 5.463784911164114
            )
            * d
            + 6.657904643501103
        ) / (
            (
                (
                    (
                        (
                            (
                                (2.0442631033899397e-15 * d + 1.421511758316446e-07) * d
                                + 1.8463183175100548e-05
                            )
                            * d
                            + 0.0007868691311456133
                        )
                        * d
                        + 0.014875361290850615
                    )
                    * d
                    + 0.1369298809227358
                )
                * d
                + 0.599832206555888
            )
            * d
            + 1.0
        )
        rs[j] = v1 if r <= 5.0 else v2
    for j in range(k):
        i = tails[j]
        v = rs[j]
        if not v < math.inf:  # u is 0, 1 or NaN: the limits, as scipy gives them
            x = u[i]
            z[i] = -math.inf if x == 0.0 else (math.inf if x == 1.0 else math.nan)
        else:
            z[i] = -v if u[i] - 0.5 < 0.0 else v


def ndtri(u: NDArray[np.float64]) -> NDArray[np.float64]:
    """Standard normal quantiles of ``u`` (any shape), like ``scipy.special.ndtri``."""
    a = np.ascontiguousarray(u, dtype=np.float64)
    flat = a.reshape(-1)
    z = np.empty_like(flat)
    _ppnd16(flat, z, np.empty(flat.shape[0], dtype=np.int64), np.empty_like(flat))
    return z.reshape(a.shape)


# --- PCG64 uniforms, compiled -------------------------------------------------------------------
#
# ``uniform_stream`` (clustersim.sampling.streams) draws ``Generator(PCG64(...)).random(n)``
# plus half a step. NumPy calls the bit generator through a function pointer per value; the loop
# below runs the same 128-bit LCG step and XSL-RR output inline: the same integers, so the same
# doubles (the tests compare them bit for bit), about twice as fast. Importing this module
# installs it in ``uniform_stream``, which still seeds and advances with NumPy's PCG64.

_MUL_HI = np.uint64(0x2360ED051FC65DA4)  # PCG64's 128-bit multiplier (PCG_DEFAULT_MULTIPLIER_128)
_MUL_LO = np.uint64(0x4385DF649FCCF645)
_U64 = 2**64 - 1


@intrinsic
def _lcg128(typingctx, hi, lo, mhi, mlo, ihi, ilo):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``(hi:lo) * (mhi:mlo) + (ihi:ilo)`` modulo 2**128, as ``(hi, lo)``: LLVM's i128."""
    u64 = types.uint64
    sig = types.UniTuple(u64, 2)(u64, u64, u64, u64, u64, u64)  # type: ignore[no-untyped-call]

    def codegen(context, builder, signature, args):  # type: ignore[no-untyped-def]
        i128 = ir.IntType(128)
        sixty_four = ir.Constant(i128, 64)

        def join(h: Any, low: Any) -> Any:
            return builder.or_(
                builder.shl(builder.zext(h, i128), sixty_four), builder.zext(low, i128)
            )

        r = builder.add(
            builder.mul(join(args[0], args[1]), join(args[2], args[3])), join(args[4], args[5])
        )
        low = builder.trunc(r, ir.IntType(64))
        high = builder.trunc(builder.lshr(r, sixty_four), ir.IntType(64))
        return context.make_tuple(builder, signature.return_type, [high, low])

    return sig, codegen


@njit(cache=True, inline="always")
def _pcg64_double(hi, lo):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """PCG64's XSL-RR output of state ``hi:lo`` as ``random()``'s double (its top 53 bits
    times 2**-53), plus the half step ``uniform_stream`` adds."""
    x = hi ^ lo
    rot = hi >> np.uint64(58)
    v = (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))
    return np.float64(v >> np.uint64(11)) * (1.0 / 9007199254740992.0) + 0.5 / 2.0**53


@njit(cache=True, nogil=True)
def _pcg64_fill(hi, lo, ihi, ilo, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    for i in range(out.shape[0]):
        # step, then output (as NumPy); the intrinsic's typing context is numba's argument
        hi, lo = _lcg128(hi, lo, _MUL_HI, _MUL_LO, ihi, ilo)  # type: ignore[call-arg]
        out[i] = _pcg64_double(hi, lo)


def fill_uniforms(bitgen: np.random.PCG64, out: NDArray[np.float64]) -> None:
    """``out[:] = Generator(bitgen).random(len(out)) + 0.5 / 2**53``, the same bits; ``bitgen``
    itself is not advanced."""
    st = bitgen.state["state"]
    s, inc = int(st["state"]), int(st["inc"])
    _pcg64_fill(
        np.uint64(s >> 64), np.uint64(s & _U64), np.uint64(inc >> 64), np.uint64(inc & _U64), out
    )


# --- many streams at once: SeedSequence and PCG64's seeding, compiled ----------------------------
#
# A sweep chunk draws one stream per sampled number (107 in zhenjiang-mc), each
# ``PCG64(SeedSequence(seed, spawn_key=(chunk, crc32(path))))``: NumPy's SeedSequence (~15 us)
# and PCG64 seeding (~13 us) cost more than drawing the 4,096 uniforms. The loop below is
# Melissa O'Neill's seed_seq mixing as NumPy implements it (``numpy/random/bit_generator.pyx``:
# ``mix_entropy`` of the assembled entropy words into a pool of 4, ``generate_state(4, uint64)``)
# and PCG64's ``pcg64_set_seed`` (``pcg_setseq_128_srandom_r``), then the fill above: the same
# state, so the same bits (the tests compare states and draws with NumPy's on many seeds).
# 32-bit arithmetic is done in 64-bit words, masked.

_M32 = np.uint64(0xFFFFFFFF)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_L = np.uint64(0xCA01F9DD)
_MIX_R = np.uint64(0x4973F715)
_SHIFT = np.uint64(16)


@njit(cache=True, nogil=True)
def _hashmix(value, h, mult):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """seed_seq's ``hashmix``: the mixed value and the next hash constant."""
    value = value ^ h
    h = (h * mult) & _M32
    value = (value * h) & _M32
    return value ^ (value >> _SHIFT), h


@njit(cache=True, nogil=True)
def _mix(x, y):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    r = (_MIX_L * x - _MIX_R * y) & _M32
    return r ^ (r >> _SHIFT)


@njit(cache=True, nogil=True)
def _seed_state(words, pool, state):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``PCG64(SeedSequence(entropy=words))``'s state and increment, as ``state[0..3]``
    (state high, low, increment high, low); ``words`` are the assembled entropy words."""
    n = words.shape[0]
    h = _INIT_A
    for i in range(4):
        pool[i], h = _hashmix(words[i] if i < n else np.uint64(0), h, _MULT_A)
    for src in range(4):
        for dst in range(4):
            if src != dst:
                v, h = _hashmix(pool[src], h, _MULT_A)
                pool[dst] = _mix(pool[dst], v)
    for src in range(4, n):
        for dst in range(4):
            v, h = _hashmix(words[src], h, _MULT_A)
            pool[dst] = _mix(pool[dst], v)
    # generate_state(4, uint64): 8 words from the pool, paired little-endian
    h = _INIT_B
    for k in range(4):
        lo, h = _hashmix(pool[(2 * k) % 4], h, _MULT_B)
        hi, h = _hashmix(pool[(2 * k + 1) % 4], h, _MULT_B)
        state[k] = lo | (hi << np.uint64(32))
    # pcg64_set_seed(seed = state[0:2], inc = state[2:4]): srandom_r
    ihi = (state[2] << np.uint64(1)) | (state[3] >> np.uint64(63))
    ilo = (state[3] << np.uint64(1)) | np.uint64(1)
    # state = 0; step (state = inc); state += seed; step
    hi, lo = _lcg128(ihi, ilo, np.uint64(0), np.uint64(1), state[0], state[1])  # type: ignore[call-arg]
    hi, lo = _lcg128(hi, lo, _MUL_HI, _MUL_LO, ihi, ilo)
    state[0], state[1], state[2], state[3] = hi, lo, ihi, ilo


_ZERO = np.uint64(0)
_ONE = np.uint64(1)


@njit(cache=True, nogil=True)
def _advance(state, delta):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """``PCG64.advance(delta)`` of ``state`` (high, low, increment high, low), in place: NumPy's
    ``pcg_advance_lcg_128``, the LCG's jump of ``delta`` steps by repeated squaring."""
    amh, aml = _ZERO, _ONE  # acc_mult
    aph, apl = _ZERO, _ZERO  # acc_plus
    cmh, cml = _MUL_HI, _MUL_LO  # cur_mult
    cph, cpl = state[2], state[3]  # cur_plus: the increment
    while delta > _ZERO:
        if delta & _ONE:
            amh, aml = _lcg128(amh, aml, cmh, cml, _ZERO, _ZERO)  # type: ignore[call-arg]
            aph, apl = _lcg128(aph, apl, cmh, cml, cph, cpl)
        th, tl = _lcg128(cmh, cml, _ZERO, _ONE, _ZERO, _ONE)  # type: ignore[call-arg,var-annotated]
        cph, cpl = _lcg128(th, tl, cph, cpl, _ZERO, _ZERO)
        cmh, cml = _lcg128(cmh, cml, cmh, cml, _ZERO, _ZERO)
        delta = delta >> _ONE
    state[0], state[1] = _lcg128(amh, aml, state[0], state[1], aph, apl)  # type: ignore[call-arg]


@njit(cache=True, nogil=True)
def _fill_rows(states, out):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """Row ``r`` of ``out`` from the PCG64 state ``states[r]``, four rows per loop: each
    stream's 128-bit multiplies wait on its last, so four independent streams keep the
    multiplier busy (~1.4x one at a time); the same values as :func:`_pcg64_fill`."""
    m, n = out.shape
    r = 0
    while r + 4 <= m:
        h0, l0, a0, b0 = states[r, 0], states[r, 1], states[r, 2], states[r, 3]
        h1, l1, a1, b1 = states[r + 1, 0], states[r + 1, 1], states[r + 1, 2], states[r + 1, 3]
        h2, l2, a2, b2 = states[r + 2, 0], states[r + 2, 1], states[r + 2, 2], states[r + 2, 3]
        h3, l3, a3, b3 = states[r + 3, 0], states[r + 3, 1], states[r + 3, 2], states[r + 3, 3]
        o0, o1, o2, o3 = out[r], out[r + 1], out[r + 2], out[r + 3]
        for i in range(n):
            h0, l0 = _lcg128(h0, l0, _MUL_HI, _MUL_LO, a0, b0)  # type: ignore[call-arg]
            h1, l1 = _lcg128(h1, l1, _MUL_HI, _MUL_LO, a1, b1)
            h2, l2 = _lcg128(h2, l2, _MUL_HI, _MUL_LO, a2, b2)
            h3, l3 = _lcg128(h3, l3, _MUL_HI, _MUL_LO, a3, b3)
            o0[i] = _pcg64_double(h0, l0)
            o1[i] = _pcg64_double(h1, l1)
            o2[i] = _pcg64_double(h2, l2)
            o3[i] = _pcg64_double(h3, l3)
        r += 4
    for k in range(r, m):
        _pcg64_fill(states[k, 0], states[k, 1], states[k, 2], states[k, 3], out[k])


@njit(cache=True, nogil=True)
def _fill_streams(words, offset, out):  # type: ignore[no-untyped-def]  # pragma: no cover
    """Seed row ``r``'s stream from ``words[r]``, advance it ``offset`` draws, fill ``out[r]``."""
    pool = np.empty(4, dtype=np.uint64)
    states = np.empty((out.shape[0], 4), dtype=np.uint64)
    for r in range(out.shape[0]):
        _seed_state(words[r], pool, states[r])
        if offset > _ZERO:
            _advance(states[r], offset)
    _fill_rows(states, out)


def _words(x: int) -> list[int]:
    """NumPy's ``_int_to_uint32_array``: 32-bit words, lowest first (``[0]`` for 0)."""
    if x < 0:
        raise ValueError("expected non-negative integer")
    out = [x & 0xFFFFFFFF]
    x >>= 32
    while x:
        out.append(x & 0xFFFFFFFF)
        x >>= 32
    return out


def fill_streams(
    seed: int,
    spawn_key: tuple[int, ...],
    keys: list[int],
    out: NDArray[np.float64],
    offset: int = 0,
) -> None:
    """``out[j] = Generator(PCG64(SeedSequence(seed, spawn_key=(*spawn_key, keys[j]))))
    .random(n) + 0.5 / 2**53`` for every row ``j`` of ``out`` ``(m, n)``, the generator first
    advanced ``offset`` draws (``PCG64.advance``): the same bits."""
    if not 0 <= offset < 2**64:
        raise ValueError(f"offset must be in [0, 2**64), got {offset}")
    skip = np.uint64(offset)
    run = _words(seed)
    if len(run) < 4:  # NumPy pads the run entropy when there is a spawn key (there always is)
        run += [0] * (4 - len(run))
    head = run + [w for k in spawn_key for w in _words(k)]
    rows = [head + _words(k) for k in keys]
    width = max((len(r) for r in rows), default=0)
    if any(len(r) != width for r in rows):  # keys of different word counts: one at a time
        for j, r in enumerate(rows):
            _fill_streams(np.array([r], dtype=np.uint64), skip, out[j : j + 1])
        return
    _fill_streams(np.array(rows, dtype=np.uint64).reshape(len(keys), width), skip, out)


# --- inverse CDFs of many columns (clustersim.sampling.columns), compiled ------------------------
#
# The same IEEE operations in the same order as the NumPy blocks there (no fastmath: nothing
# contracted into a fused multiply-add), so the same doubles; ``np.clip`` with scalar bounds
# (what each distribution's ppf calls) written out: a value equal to a bound is kept (a
# signed zero keeps its sign), NaN stays.


@njit(cache=True, inline="always")
def _clip(x, lo, hi):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    if x < lo:
        x = lo
    if x > hi:
        x = hi
    return x


@njit(cache=True, nogil=True, error_model="numpy")
def _triangular_cols(ut, idx, c, out_t):  # type: ignore[no-untyped-def]  # pragma: no cover
    n = ut.shape[1]
    for k in range(idx.shape[0]):
        fa, w, fc, a, b, ba, ca, bc, lo, hi = (
            c[k, 0], c[k, 1], c[k, 2], c[k, 3], c[k, 4], c[k, 5], c[k, 6], c[k, 7], c[k, 8], c[k, 9]
        )
        src = ut[idx[k]]
        dst = out_t[idx[k]]
        for i in range(n):
            q = src[i] * w + fa
            x = a + math.sqrt(q * ba * ca) if q < fc else b - math.sqrt((1.0 - q) * ba * bc)
            dst[i] = _clip(x, lo, hi)


@njit(cache=True, nogil=True, error_model="numpy")
def _normal_q(ut, idx, c, mirror, q):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``q[k] = a + u (b - a)``, or ``a2 + (1 - u)(b2 - a2)`` mirrored, of column ``idx[k]``."""
    n = ut.shape[1]
    for k in range(idx.shape[0]):
        a, w = c[k, 2], c[k, 3]
        src = ut[idx[k]]
        dst = q[k]
        if mirror:
            for i in range(n):
                dst[i] = (1.0 - src[i]) * w + a
        else:
            for i in range(n):
                dst[i] = src[i] * w + a


@njit(cache=True, nogil=True, error_model="numpy")
def _normal_out(z, idx, c, sign, clip, out_t):  # type: ignore[no-untyped-def]  # pragma: no cover
    """``out[idx[k]] = clip(centre + sign scale z[k], lo, hi)`` (no clip unless ``clip``)."""
    n = z.shape[1]
    for k in range(idx.shape[0]):
        m, sd, lo, hi = c[k, 0], c[k, 1], c[k, 4], c[k, 5]
        src = z[k]
        dst = out_t[idx[k]]
        for i in range(n):
            x = m + sd * src[i] if sign > 0 else m - sd * src[i]
            dst[i] = _clip(x, lo, hi) if clip else x


#: the compiled blocks :mod:`clustersim.sampling.columns` uses once this module is imported
COLUMN_KERNELS = (_triangular_cols, _normal_q, _normal_out)


@njit(cache=True, nogil=True)
def put_part(out, i, part):  # type: ignore[no-untyped-def]  # pragma: no cover (compiled)
    """``out[:, i, :] = part``, ``part`` ``(n or 1, T or 1)`` broadcast as NumPy does over
    ``out``'s ``n`` samples and ``T`` years: the compiler's stacking of cluster series
    (``compile.install_put``)."""
    n, t = out.shape[0], out.shape[2]
    ds = 1 if part.shape[0] > 1 else 0
    dk = 1 if part.shape[1] > 1 else 0
    for s in range(n):
        for k in range(t):
            out[s, i, k] = part[s * ds, k * dk]


def warm() -> None:
    """Load every compiled function of this module from numba's cache (a fresh worker
    process pays this once, before its first chunk, instead of inside it)."""
    out = np.empty((1, 8))
    fill_streams(1, (0,), [1], out)
    fill_uniforms(np.random.PCG64(1), out[0])
    ndtri(np.full(2, 0.5))
    u = np.full((8, 1), 0.5)
    ut = np.ascontiguousarray(u.T)
    c = np.array([[0.0, 1.0, 0.5, 0.0, 1.0, 1.0, 0.5, 0.5, 0.0, 1.0]])
    idx = np.zeros(1, dtype=np.int64)
    _triangular_cols(ut, idx, c, np.empty((1, 8)))
    q = np.empty((1, 8))
    _normal_q(ut, idx, c, False, q)
    _normal_q(ut, idx, c, True, q)
    _normal_out(q, idx, c, 1, True, np.empty((1, 8)))
    _normal_out(q, idx, c, -1, False, np.empty((1, 8)))
    put_part(np.empty((8, 1, 2)), 0, np.zeros((1, 2)))
    put_part(np.empty((8, 1, 2)), 0, np.zeros((8, 2)))


streams.install_filler(fill_uniforms)
streams.install_streams(fill_streams)
columns.install_kernels(COLUMN_KERNELS)
compile_module.install_put(put_part)
