"""``normal_cdf._scipy_ufunc`` / ``_load_ufuncs_alone`` in this process, so coverage sees
them (tests/sampling checks the fresh-interpreter load in a subprocess): the stand-alone
load gives scipy's own ufunc, every way it can give up returns None and leaves
``sys.modules`` as it was, and with ``scipy.special`` already imported the package's ufunc
is used. Quantiles checked: Phi^-1(0.975) = 1.959963984540054, Phi^-1(0.5) = 0."""

from __future__ import annotations

import importlib.util
import os
import sys
from typing import Any

import pytest

from clustersim.sampling import normal_cdf as ncdf

Z975 = 1.959963984540054


@pytest.fixture
def no_special(monkeypatch: pytest.MonkeyPatch) -> Any:
    """``scipy.special`` and its ``_ufuncs`` out of ``sys.modules`` (put back after), and
    an empty ufunc cache."""
    import scipy.special  # noqa: F401  (so its _ufuncs is in sys.modules)

    real = sys.modules["scipy.special._ufuncs"]
    monkeypatch.delitem(sys.modules, "scipy.special")
    monkeypatch.delitem(sys.modules, "scipy.special._ufuncs")
    monkeypatch.setattr(ncdf, "_UFUNCS", {})
    return real


def test_loaded_alone_is_scipys_ufunc_and_the_stand_in_package_is_removed(
    no_special: Any,
) -> None:
    f = ncdf._scipy_ufunc("ndtri")
    assert f is no_special.ndtri  # the same extension module, so the same ufunc
    assert abs(float(f(0.975)) - Z975) < 1e-15
    assert float(f(0.5)) == 0.0
    assert "scipy.special" not in sys.modules  # the stand-in is gone
    assert sys.modules["scipy.special._ufuncs"] is no_special
    assert ncdf._scipy_ufunc("ndtri") is f  # cached


def test_package_already_imported_gives_its_ufunc(monkeypatch: pytest.MonkeyPatch) -> None:
    import scipy.special

    monkeypatch.delitem(sys.modules, "scipy.special._ufuncs")
    monkeypatch.setattr(ncdf, "_UFUNCS", {})
    assert ncdf._scipy_ufunc("ndtr") is scipy.special.ndtr
    assert abs(float(ncdf._scipy_ufunc("ndtr")(Z975)) - 0.975) < 1e-15


def test_no_scipy_spec_gives_none(monkeypatch: pytest.MonkeyPatch, no_special: Any) -> None:
    monkeypatch.setattr(importlib.util, "find_spec", lambda name: None)
    assert ncdf._load_ufuncs_alone() is None
    assert "scipy.special" not in sys.modules


def test_not_exactly_one_ufuncs_file_gives_none(
    monkeypatch: pytest.MonkeyPatch, no_special: Any
) -> None:
    monkeypatch.setattr(os, "listdir", lambda folder: ["_ufuncs.a.so", "_ufuncs.b.so"])
    assert ncdf._load_ufuncs_alone() is None
    monkeypatch.setattr(os, "listdir", lambda folder: [])
    assert ncdf._load_ufuncs_alone() is None
    assert "scipy.special" not in sys.modules


def test_no_module_spec_gives_none_and_removes_the_stand_in(
    monkeypatch: pytest.MonkeyPatch, no_special: Any
) -> None:
    monkeypatch.setattr(importlib.util, "spec_from_loader", lambda name, loader: None)
    assert ncdf._load_ufuncs_alone() is None
    assert "scipy.special" not in sys.modules
    assert "scipy.special._ufuncs" not in sys.modules


def test_any_exception_gives_none(monkeypatch: pytest.MonkeyPatch, no_special: Any) -> None:
    def boom(name: str) -> None:
        raise OSError("no such folder")

    monkeypatch.setattr(importlib.util, "find_spec", boom)
    assert ncdf._load_ufuncs_alone() is None


def test_stand_in_replaced_by_another_package_is_left_in_place(
    monkeypatch: pytest.MonkeyPatch, no_special: Any
) -> None:
    """If loading the extension put another ``scipy.special`` in ``sys.modules`` (not the
    stand-in), the ``finally`` leaves it there; the loaded module is still returned, and
    when loading fails the other package stays too."""
    import importlib.machinery

    loader_cls = importlib.machinery.ExtensionFileLoader
    real_exec = loader_cls.exec_module
    other = type(sys)("scipy.special")

    def exec_and_swap(self: Any, module: Any) -> None:
        real_exec(self, module)
        sys.modules["scipy.special"] = other

    monkeypatch.setattr(loader_cls, "exec_module", exec_and_swap)
    mod = ncdf._load_ufuncs_alone()
    assert mod is no_special
    assert sys.modules["scipy.special"] is other

    def swap_and_fail(self: Any, module: Any) -> None:
        sys.modules["scipy.special"] = other
        raise ImportError("stop")

    monkeypatch.delitem(sys.modules, "scipy.special")
    monkeypatch.setattr(loader_cls, "exec_module", swap_and_fail)
    assert ncdf._load_ufuncs_alone() is None
    assert sys.modules["scipy.special"] is other
