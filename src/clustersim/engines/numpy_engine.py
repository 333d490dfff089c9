"""The NumPy engine: the blocked, time-major targets-only core (:mod:`clustersim.core.blocked`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from clustersim.core.blocked import evaluate_targets

if TYPE_CHECKING:
    from clustersim.compile import Compiled, RatesLayout
    from clustersim.core.targets import Outcome
    from clustersim.engines.base import Buffers
    from clustersim.sampling import InverseNormal

__all__ = ["NumpyEngine"]


class NumpyEngine:
    """Cache-sized blocks of samples, years in the outer loop, every target kind."""

    name: ClassVar[str] = "numpy"
    summary: ClassVar[str] = "the NumPy core in cache-sized sample blocks, always available"
    # two NumPy kernels on two threads take as long as one after the other (the GIL between
    # their array operations, and memory): the second thread only compiles the next chunk
    parallel_chunks: ClassVar[bool] = False

    def available(self) -> bool:
        return True

    def unsupported(self, kinds: Sequence[str]) -> list[str]:
        return []

    def inverse_normal(self) -> InverseNormal | None:
        return None

    def rates_layout(self) -> RatesLayout:
        return "year"  # each year's rates one slab of a sample block

    def evaluate(
        self, comp: Compiled, *, block: int | None = None, out: Buffers | None = None
    ) -> dict[str, Outcome]:
        specs = [ct.spec for ct in comp.targets.values()]
        return evaluate_targets(comp.model, specs, comp.metrics, block=block, out=out)
