"""Keep numba's on-disk cache of clustersim's own compiled functions in the user's cache.

numba's ``cache=True`` writes ``__pycache__/*.nbi|nbc`` beside the source file; for an
editable install that is the source tree, and for a system-wide install a folder the user
may not write. The generated kernels already live in :func:`clustersim.accel.kernel.cache_dir`
(their cache goes beside them); this locator sends the cache of the package's hand-written
functions (:mod:`clustersim.accel.draws`) to ``cache_dir() / "numba"`` as well, and leaves
every other library's numba cache alone. It is installed once, before those functions are
decorated.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from numba.core import caching

from clustersim.accel.kernel import cache_dir

__all__ = ["install"]

_PACKAGE = str(Path(__file__).resolve().parents[1])


class _UserCacheLocator(caching.UserProvidedCacheLocator):
    """numba's user-directory locator, pointed at clustersim's cache, for our files only."""

    def __init__(self, py_func: Any, py_file: str) -> None:
        self._py_file = py_file
        self._lineno = py_func.__code__.co_firstlineno
        self._cache_path = os.path.join(
            str(cache_dir() / "numba"),
            self.get_suitable_cache_subpath(py_file),  # type: ignore[no-untyped-call]
        )

    @classmethod
    def from_function(cls, py_func: Any, py_file: str) -> Any:
        if not os.path.abspath(py_file).startswith(_PACKAGE + os.sep):
            return None
        if not os.path.exists(py_file):  # pragma: no cover - frozen or zipped install
            return None
        return cls(py_func, py_file)


def install() -> None:
    """Put the locator first in numba's list (idempotent)."""
    classes: list[Any] = caching.CacheImpl._locator_classes
    if _UserCacheLocator not in classes:
        classes.insert(0, _UserCacheLocator)
