"""AS241's split points belong to the inner approximation (Wichura's PPND16:
``IF (ABS(Q) .LE. SPLIT1)`` central, ``IF (R .LE. SPLIT2)`` near tail): at
``|u - 0.5| = 0.425`` exactly the central rational function gives the quantile, at
``sqrt(-log(u)) = 5`` exactly the near-tail one. The approximations on either side of a
split differ in the last bits there, so which one is taken shows in the value.

Each rational function is evaluated here one value at a time in Python floats (Horner,
highest power first, with the module's coefficient tables), then compared bit for bit."""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

from clustersim.sampling import normal_cdf


def _poly(coef: tuple[float, ...], x: float) -> float:
    out = x * coef[0]
    for c in coef[1:-1]:
        out = (out + c) * x
    return out + coef[-1]


def test_the_central_approximation_at_its_split() -> None:
    """u = 0.075: u - 0.5 = -0.425 exactly (the float 0.075 is 0.07499999999999999722...,
    and the difference rounds to the float 0.425); r = 0.180625 - q^2,
    z = q A(r) / B(r)."""
    u = 0.075
    q = u - 0.5
    assert abs(q) == 0.425
    r = 0.180625 - q * q
    want = q * _poly(normal_cdf._A, r) / _poly(normal_cdf._B, r)
    got = float(normal_cdf.ndtri(np.array([u]))[0])
    assert got == want
    assert math.isclose(got, NormalDist().inv_cdf(u), rel_tol=1e-15)


def test_the_near_tail_approximation_at_its_split() -> None:
    """The first float above exp(-25) - 3000 ulps whose sqrt(-log(u)) is 5.0 exactly (there
    are dozens around exp(-25)): x = r - 1.6, z = -C(x) / D(x) (lower tail)."""
    start = math.exp(-25.0)
    step = math.ulp(start)
    u = next(
        v for v in (start + k * step for k in range(-3000, 3000)) if math.sqrt(-math.log(v)) == 5.0
    )
    x = 5.0 - 1.6
    want = -(_poly(normal_cdf._C, x) / _poly(normal_cdf._D, x))
    got = float(normal_cdf.ndtri(np.array([u]))[0])
    assert got == want
    assert math.isclose(got, NormalDist().inv_cdf(u), rel_tol=1e-14)
