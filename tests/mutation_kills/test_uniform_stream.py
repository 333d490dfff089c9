"""A parameter's uniforms: the top 53 bits of its own PCG64 stream, k / 2^53, shifted half
a step (2^-54) so that 0 is never drawn and 1 never reached; chunks continue the stream."""

from __future__ import annotations

import zlib

import numpy as np
from numpy.testing import assert_array_equal

from clustersim.sampling.streams import uniform_stream


def _by_hand(seed: int, path: str, n: int, offset: int = 0) -> np.ndarray:
    ss = np.random.SeedSequence(seed, spawn_key=(zlib.crc32(path.encode()),))
    bits = np.random.PCG64(ss)
    raw = bits.random_raw(offset + n)[offset:]  # one 64-bit draw per uniform
    k = (raw >> np.uint64(11)).astype(np.float64)  # its top 53 bits
    return (k + 0.5) / 2.0**53


def test_uniforms_are_the_top_53_bits_shifted_half_a_step() -> None:
    got = uniform_stream(7, (), "region.gdp.growth", 5)
    assert_array_equal(got, _by_hand(7, "region.gdp.growth", 5))
    assert np.all((got > 0) & (got < 1))
    # drawing from offset 3 continues the same stream
    assert_array_equal(uniform_stream(7, (), "region.gdp.growth", 2, offset=3), got[3:])
