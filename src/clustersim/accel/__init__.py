"""Optional accelerator: a fused numba kernel per model structure (``pip install 'clustersim[accel]'``).

Imported lazily; :func:`available` tells whether numba can be used. The NumPy core stays the
reference, and the tests hold the two to 1e-12 relative.
"""

from __future__ import annotations

import importlib.util

__all__ = ["available"]


def available() -> bool:
    """True when numba is installed (the accelerated path can be used)."""
    return importlib.util.find_spec("numba") is not None
