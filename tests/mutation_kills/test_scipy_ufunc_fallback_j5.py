"""When scipy's compiled ufuncs module is not at hand on its own but ``scipy.special`` is
imported, the ufunc comes from the package the ordinary way (the same function)."""

from __future__ import annotations

import sys

import pytest
import scipy.special

from clustersim.sampling import normal_cdf


def test_ndtr_from_the_package_when_the_module_is_not_loaded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing cached, no ``scipy.special._ufuncs`` in sys.modules, ``scipy.special`` there
    (so no loading the module alone): the package's ndtr, and ndtr(0) = 1/2, ndtr(inf) = 1."""
    monkeypatch.setattr(normal_cdf, "_UFUNCS", {})
    monkeypatch.delitem(sys.modules, "scipy.special._ufuncs", raising=False)
    assert "scipy.special" in sys.modules
    f = normal_cdf._scipy_ufunc("ndtr")
    assert f is scipy.special.ndtr
    assert f(0.0) == 0.5
    assert f(float("inf")) == 1.0
