"""``clustersim serve``: a local what-if page over one scenario.

- :mod:`clustersim.serve.knobs`: the numbers the page may move (every growth assumption and
  uncertain number), their ranges and applying a change (no web framework);
- :mod:`clustersim.serve.session`: the scenario loaded once, recomputed per change exactly as
  ``clustersim run --samples N --seed K``, the changed scenario as YAML;
- :mod:`clustersim.serve.app`: the Starlette app (``pip install 'clustersim[serve]'``) and the
  page, whose script, style sheet and CJK font ship in the package (no internet at run time).

>>> from clustersim.serve import Session, create_app              # doctest: +SKIP
>>> app = create_app(Session(Path("scenarios/example.yaml")))     # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from clustersim._lazy import attach

if TYPE_CHECKING:
    from clustersim.serve.app import create_app
    from clustersim.serve.session import Session

__all__ = ["Session", "create_app"]

__getattr__, __dir__ = attach(
    __name__,
    {"create_app": "clustersim.serve.app", "Session": "clustersim.serve.session"},
    __all__,
)
