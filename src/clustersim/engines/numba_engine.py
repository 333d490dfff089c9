"""The numba engine: one fused kernel generated per model structure (:mod:`clustersim.accel`)."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from typing import TYPE_CHECKING, ClassVar

from clustersim.kinds.targets import TARGET_KINDS, TargetKind

if TYPE_CHECKING:
    from clustersim.compile import Compiled, RatesLayout
    from clustersim.core.targets import Outcome
    from clustersim.engines.base import Buffers
    from clustersim.sampling import InverseNormal

__all__ = ["NumbaEngine"]


def _compiled_form(kind: str) -> bool:
    """A kind runs on the kernel when its class writes kernel code (overrides ``kernel``)."""
    cls = TARGET_KINDS.get(kind)
    if cls is None:
        return False
    return cls.kernel.__func__ is not TargetKind.kernel.__func__  # type: ignore[attr-defined]


class NumbaEngine:
    """Samples 8 at a time in SIMD lanes; compiled once per structure, cached on disk.

    Draws normal quantiles with a compiled AS241 inverse CDF (:mod:`clustersim.accel.draws`),
    so it agrees with the NumPy engine to 1e-12 relative, not to the bit; importing that
    module also makes ``uniform_stream`` draw PCG64 uniforms in compiled code (the same
    bits as NumPy's generator). A target kind
    without a compiled form is refused by name (never evaluated as another kind).
    """

    name: ClassVar[str] = "numba"
    summary: ClassVar[str] = "a fused compiled kernel, needs pip install 'clustersim[accel]'"
    parallel_chunks: ClassVar[bool] = True  # the kernel and the compiled draws release the GIL

    def available(self) -> bool:
        return importlib.util.find_spec("numba") is not None

    def unsupported(self, kinds: Sequence[str]) -> list[str]:
        # the pseudo-kinds "pipelines" and "io" (a scenario with firm tier pipelines or
        # input-output coupling) have compiled forms (accel.codegen: _pipeline_lanes,
        # _leontief_lanes)
        structural = ("pipelines", "io")
        return [k for k in dict.fromkeys(kinds) if k not in structural and not _compiled_form(k)]

    def inverse_normal(self) -> InverseNormal | None:
        from clustersim.accel.draws import ndtri

        return ndtri

    def rates_layout(self) -> RatesLayout:
        return "sample"  # a lane block's rates of every year one contiguous run

    def evaluate(
        self, comp: Compiled, *, block: int | None = None, out: Buffers | None = None
    ) -> dict[str, Outcome]:
        from clustersim.accel.kernel import evaluate_targets

        specs = [ct.spec for ct in comp.targets.values()]
        return evaluate_targets(comp.model, specs, comp.metrics, out=out)
