"""The engine interface: what every way of projecting a compiled chunk must do."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, runtime_checkable

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from clustersim.compile import Compiled, RatesLayout
    from clustersim.core.targets import Outcome
    from clustersim.sampling import InverseNormal

__all__ = ["Buffers", "Engine"]

#: result buffers an engine may write into: ``value``, ``margin`` (float64) and ``met``
#: (bool), each ``(n_targets, >= S)``; see :func:`clustersim.core.targets.result_buffers`
Buffers = Mapping[str, "NDArray[Any]"]


@runtime_checkable
class Engine(Protocol):
    """Projects a compiled chunk of samples and evaluates every target per sample.

    Engines are interchangeable: on the same compiled chunk they return the same outcomes
    to 1e-12 relative (tests/engines/test_contract.py holds every registered engine to the
    independent reference engine on every target kind and growth kind).
    """

    #: the name users pass (``--engine``, ``engine=``) and the sweep manifest records
    name: ClassVar[str]
    #: one line for ``--help`` and docs
    summary: ClassVar[str]
    #: whether chunks may be compiled and evaluated on two threads at once
    #: (:func:`clustersim.engine.run_targets`): its kernel releases the GIL for its whole
    #: call, so two of them run side by side (NumPy's blocks do not gain from a second
    #: thread: it only compiles the next chunk beside them)
    parallel_chunks: ClassVar[bool]

    def available(self) -> bool:
        """Whether the engine can run here (its optional dependency is installed)."""
        ...

    def unsupported(self, kinds: Sequence[str]) -> list[str]:
        """The target kinds among ``kinds`` this engine cannot evaluate (empty: all)."""
        ...

    def inverse_normal(self) -> InverseNormal | None:
        """The inverse normal CDF its draws use (None: scipy's compiled ``ndtri``,
        :func:`clustersim.sampling.normal_cdf.cephes_ndtri`)."""
        ...

    def rates_layout(self) -> RatesLayout:
        """How its compiled chunks should store shocked cluster rates
        (:data:`clustersim.compile.RatesLayout`): only its speed depends on it."""
        ...

    def evaluate(
        self, comp: Compiled, *, block: int | None = None, out: Buffers | None = None
    ) -> dict[str, Outcome]:
        """Per-sample ``Outcome`` of every target of ``comp`` (``(S,)`` arrays each).

        ``out`` optionally gives result buffers to write into (the outcomes are then views
        of them, valid until the next call); ``block`` a sample-block size hint.
        """
        ...
