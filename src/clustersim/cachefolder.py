"""The user's cache folder of clustersim: generated kernels, numba's compiled code and the
validated scenarios of ``clustersim run`` (:mod:`clustersim.scenario.cache`) live under it."""

from __future__ import annotations

import os
from pathlib import Path

from clustersim.errors import ClusterSimError

__all__ = ["cache_dir"]


def cache_dir() -> Path:
    """Where generated kernels, numba's compiled code and validated scenarios are kept
    between runs.

    ``$CLUSTERSIM_CACHE`` if set, else the user's cache folder for clustersim
    (platformdirs: ``$XDG_CACHE_HOME/clustersim`` or ``~/.cache/clustersim`` on Linux,
    ``~/Library/Caches/clustersim`` on macOS, ``%LOCALAPPDATA%\\clustersim\\Cache`` on
    Windows). Never inside the installed package: a folder there is refused.
    """
    env = os.environ.get("CLUSTERSIM_CACHE")
    if env:
        path = Path(env)
    else:
        import platformdirs

        path = Path(platformdirs.user_cache_dir("clustersim", appauthor=False))
    package = Path(__file__).resolve().parent
    if path.resolve().is_relative_to(package):
        raise ClusterSimError(
            f"cache folder {path} is inside the clustersim package ({package}): set "
            "CLUSTERSIM_CACHE to a folder of your own"
        )
    return path
