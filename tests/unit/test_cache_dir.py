"""The kernel cache folder (issue 20 part 6): the user's cache folder via platformdirs,
$CLUSTERSIM_CACHE to override, never inside the package."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import clustersim
from clustersim.accel.kernel import cache_dir
from clustersim.errors import ClusterSimError


@pytest.mark.skipif(sys.platform != "linux", reason="platformdirs reads XDG_CACHE_HOME on Linux")
def test_the_users_cache_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLUSTERSIM_CACHE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    # platformdirs on Linux: $XDG_CACHE_HOME/<app>
    assert cache_dir() == tmp_path / "xdg" / "clustersim"


def test_the_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLUSTERSIM_CACHE", str(tmp_path / "mine"))
    assert cache_dir() == tmp_path / "mine"


def test_never_inside_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    inside = Path(clustersim.__file__).resolve().parent / "accel" / "cache"
    monkeypatch.setenv("CLUSTERSIM_CACHE", str(inside))
    with pytest.raises(ClusterSimError, match="inside the clustersim package"):
        cache_dir()
