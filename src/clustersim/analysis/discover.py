"""Scenario discovery on a sweep's stored samples: under which inputs is a target missed?

:func:`discover` reads a sweep's inputs and met flags (:mod:`clustersim.io.sweep_samples`),
marks the cases of interest (a target missed, or every target met), runs PRIM
(:mod:`clustersim.analysis.prim`) for the coverage-density trade-off curve and one chosen box
with the significance of each restriction, and fits a classification tree (CART,
scikit-learn) whose leaves dense in cases of interest read as rules.

Which box is chosen: ``box=`` picks an entry of the trajectory; by default, the densest box
whose coverage is at least ``min_coverage`` (:data:`MIN_COVERAGE`, one half: a box should
explain most of the cases it describes; Bryant & Lempert 2010 show the curve and leave the
choice to the analyst), ties to the higher coverage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from clustersim.analysis.prim import MASS_MIN, CoveringBox, PrimResult, prim_covering, quasi_p
from clustersim.errors import ClusterSimError
from clustersim.i18n import word
from clustersim.io.sweep_samples import SweepSamples, read_sweep_samples

__all__ = [
    "CART_DEPTH",
    "MIN_COVERAGE",
    "CartRule",
    "CoveredBox",
    "Discovery",
    "Restriction",
    "box_text",
    "cart_rules",
    "choose_box",
    "discover",
    "discover_arrays",
]

#: the default box is the densest with at least this coverage
MIN_COVERAGE = 0.5
#: depth of the classification tree (2^3 = 8 leaves at most: rules stay readable)
CART_DEPTH = 3
#: ``--cases`` values
CASES = ("missed", "met")
#: ``--inputs`` values
INPUTS = ("all", "factors")
#: CART is fitted on at most this many samples (a seeded random subset; its rules are then
#: counted on every sample): a depth-3 tree needs no more, and sorting 10^6 x 100 inputs
#: at every node would take minutes
CART_MAX_SAMPLES = 200_000


@dataclass(frozen=True)
class Restriction:
    """One restricted input of the chosen box: its bounds (None where a side is open), the
    full sampled range, and each side's quasi-p value."""

    input: str
    lower: float | None
    upper: float | None
    min: float
    max: float
    qp_lower: float | None
    qp_upper: float | None

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class CartRule:
    """A leaf of the tree where cases of interest are the majority: its conditions
    (``(input, op, threshold)``, ``op`` ``<=`` or ``>``, merged per input), its points,
    cases of interest, density and coverage."""

    conditions: tuple[tuple[str, str, float], ...]
    n: int
    k: int
    density: float
    coverage: float

    def text(self) -> str:
        return " and ".join(f"{name} {op} {value:.6g}" for name, op, value in self.conditions)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.text(),
            "conditions": [list(c) for c in self.conditions],
            "n": self.n,
            "k": self.k,
            "density": self.density,
            "coverage": self.coverage,
        }


@dataclass(frozen=True)
class CoveredBox:
    """One box of a covering run (``--boxes N``): where it sits on its own trajectory, its
    coverage (of *all* cases of interest), density and mass, the points and cases of
    interest its search had left (those no earlier box holds), and its restrictions with
    quasi-p values computed on those points."""

    number: int
    index: int
    coverage: float
    density: float
    mass: float
    n: int
    k: int
    n_searched: int
    k_searched: int
    restrictions: list[Restriction]

    def to_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["restrictions"] = [r.to_dict() for r in self.restrictions]
        return d


@dataclass
class Discovery:
    """What :func:`discover` found.

    ``trajectory`` is PRIM's coverage-density curve (one dict per box: coverage, density,
    mass, n, k, restricted count); ``box`` the index chosen in it; ``restrictions`` that
    box's restricted inputs; ``rules`` CART's (empty when scikit-learn is not installed and
    ``cart=False``); ``covered`` every box of covering, the first being ``prim``'s chosen
    one (one entry unless ``boxes`` > 1 was asked for).
    """

    source: str
    outcome: str
    cases: str
    inputs: tuple[str, ...]
    n: int
    k: int
    prim: PrimResult
    box: int
    restrictions: list[Restriction]
    rules: list[CartRule] = field(default_factory=list)
    cart: bool = True
    covered: list[CoveredBox] = field(default_factory=list)

    def title(self, lang: str) -> str:
        """What was explained, in words: the outcome, which cases and how many."""
        cases = word(f"cases_{self.cases}", lang)
        return word("discover_title", lang, outcome=self.outcome, cases=cases, k=self.k, n=self.n)

    def trajectory(self) -> list[dict[str, Any]]:
        return [
            {
                "box": i,
                "coverage": b.coverage,
                "density": b.density,
                "mass": b.mass,
                "n": b.n,
                "k": b.k,
                "restricted": len(b.restricted),
                "phase": "start" if i == 0 else ("peel" if i <= self.prim.peels else "paste"),
            }
            for i, b in enumerate(self.prim.boxes)
        ]

    def to_dict(self) -> dict[str, Any]:
        chosen = self.prim.boxes[self.box]
        return {
            "source": self.source,
            "outcome": self.outcome,
            "cases": self.cases,
            "samples": self.n,
            "cases_of_interest": self.k,
            "inputs": list(self.inputs),
            "prim": {
                "box": self.box,
                "coverage": chosen.coverage,
                "density": chosen.density,
                "mass": chosen.mass,
                "restrictions": [r.to_dict() for r in self.restrictions],
                "trajectory": self.trajectory(),
            },
            "boxes": [b.to_dict() for b in self.covered],
            "cart": [r.to_dict() for r in self.rules] if self.cart else None,
        }


def choose_box(
    result: PrimResult, min_coverage: float = MIN_COVERAGE, k_searched: int | None = None
) -> int:
    """Index of the densest box with coverage >= ``min_coverage`` (ties: higher coverage,
    then the earlier box); box 0 (everything) when none qualifies.

    ``k_searched``: the cases of interest a covering search had left (later boxes); the
    coverage compared with ``min_coverage`` is then the share of those, ``k / k_searched``,
    so a second box must explain at least that share of what the first left unexplained."""
    best, pick = (-1.0, -1.0), 0
    scale = 1.0 if k_searched is None or not result.k_total else result.k_total / k_searched
    for i, b in enumerate(result.boxes):
        cov = b.coverage * scale
        if cov >= min_coverage and (b.density, cov) > best:
            best, pick = (b.density, cov), i
    return pick


def cart_rules(
    x: NDArray[np.float64],
    y: NDArray[np.bool_],
    inputs: tuple[str, ...],
    *,
    max_depth: int = CART_DEPTH,
    min_leaf: float = MASS_MIN,
    max_samples: int = CART_MAX_SAMPLES,
) -> list[CartRule]:
    """Rules of a classification tree (scikit-learn's ``DecisionTreeClassifier``, Gini,
    ``max_depth``, leaves of at least ``min_leaf`` of the points, as the EMA Workbench's
    ``cart`` sets ``mass_min``): one rule per leaf where cases of interest are the
    majority, densest first. Fitted on at most ``max_samples`` samples (a seeded random
    subset); each rule's points, density and coverage are counted on all of them.

    Raises
    ------
    ClusterSimError
        When scikit-learn is not installed.
    """
    try:
        from sklearn.tree import DecisionTreeClassifier
    except ImportError as exc:
        raise ClusterSimError(
            "CART rules need scikit-learn: pip install 'clustersim[discover]' "
            "(or pass --no-cart for PRIM alone)"
        ) from exc
    n = x.shape[0]
    k_total = int(np.count_nonzero(y))
    if k_total in (0, n):
        return []
    fit_x, fit_y = x, y
    if n > max_samples:  # a seeded subset (the same rules every run)
        pick = np.sort(np.random.default_rng(0).choice(n, size=max_samples, replace=False))
        fit_x, fit_y = x[pick], y[pick]
    clf = DecisionTreeClassifier(
        max_depth=max_depth,
        min_samples_leaf=max(1, int(min_leaf * fit_x.shape[0])),
        random_state=0,
    )
    clf.fit(fit_x, fit_y)
    tree = clf.tree_
    # counted on every sample, 2^17 rows at a time (the tree reads float32 copies)
    leaf = np.concatenate(
        [
            clf.apply(np.ascontiguousarray(x[a : a + 131072], dtype=np.float32))
            for a in range(0, n, 131072)
        ]
    )
    n_leaf = np.bincount(leaf, minlength=tree.node_count)
    k_leaf = np.bincount(leaf, weights=y.astype(np.float64), minlength=tree.node_count)
    rules: list[CartRule] = []

    def walk(node: int, bounds: dict[int, list[float]]) -> None:
        left, right = int(tree.children_left[node]), int(tree.children_right[node])
        if left < 0:  # a leaf
            nn, kk = int(n_leaf[node]), int(k_leaf[node])
            if nn and kk / nn > 0.5:
                conds: list[tuple[str, str, float]] = []
                for f in sorted(bounds):
                    lo, hi = bounds[f]
                    if np.isfinite(lo):
                        conds.append((inputs[f], ">", lo))
                    if np.isfinite(hi):
                        conds.append((inputs[f], "<=", hi))
                rules.append(CartRule(tuple(conds), nn, kk, kk / nn, kk / k_total))
            return
        f, t = int(tree.feature[node]), float(tree.threshold[node])
        lo, hi = bounds.get(f, [-np.inf, np.inf])
        walk(left, {**bounds, f: [lo, min(hi, t)]})
        walk(right, {**bounds, f: [max(lo, t), hi]})

    walk(0, {})
    rules.sort(key=lambda r: (-r.density, -r.coverage))
    return rules


def _restrictions(
    x: NDArray[np.float64],
    y: NDArray[np.bool_],
    res: PrimResult,
    pick: int,
    inputs: tuple[str, ...],
) -> list[Restriction]:
    """The restricted inputs of box ``pick`` of ``res``, most significant first."""
    chosen = res.boxes[pick]
    qp = quasi_p(x, y, chosen, res.init)
    out = []
    for j in chosen.restricted:
        lo_r = bool(chosen.limits[j, 0] != res.init[j, 0])
        hi_r = bool(chosen.limits[j, 1] != res.init[j, 1])
        out.append(
            Restriction(
                inputs[j],
                float(chosen.limits[j, 0]) if lo_r else None,
                float(chosen.limits[j, 1]) if hi_r else None,
                float(res.init[j, 0]),
                float(res.init[j, 1]),
                float(qp[j, 0]) if lo_r else None,
                float(qp[j, 1]) if hi_r else None,
            )
        )
    # most significant first (the smaller of a restriction's two quasi-p values)
    out.sort(key=lambda r: min(v for v in (r.qp_lower, r.qp_upper) if v is not None))
    return out


def discover_arrays(
    x: NDArray[np.float64],
    y: NDArray[np.bool_],
    inputs: tuple[str, ...],
    *,
    source: str = "",
    outcome: str = "",
    cases: str = "missed",
    box: int | None = None,
    min_coverage: float = MIN_COVERAGE,
    cart: bool = True,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = MASS_MIN,
    boxes: int = 1,
) -> Discovery:
    """PRIM and CART on bare arrays (``x`` (N, D), ``y`` (N,) the cases of interest).

    ``boxes`` > 1: covering (:func:`~clustersim.analysis.prim.prim_covering`). Each later
    box is chosen on its own trajectory as the first is (:func:`choose_box`, with
    ``min_coverage`` a share of the cases of interest its search had left); covering stops
    before ``boxes`` when no case of interest is left or a search restricts nothing."""
    k = int(np.count_nonzero(y))
    if k == 0:
        raise ClusterSimError(
            f"{source}: {outcome}: no sample is a case of interest ({cases}); nothing to discover"
        )
    if boxes < 1:
        raise ClusterSimError(f"--boxes: {boxes} is not a positive number of boxes")

    searches = [0]

    def choose(res: PrimResult, k_searched: int) -> int:
        searches[0] += 1
        if box is None or searches[0] > 1:  # --box picks on the first trajectory only
            return choose_box(res, min_coverage, k_searched)
        if not 0 <= box < len(res.boxes):
            raise ClusterSimError(
                f"--box: {box} is not on the trajectory (boxes 0 to {len(res.boxes) - 1})"
            )
        return box

    found: list[CoveringBox] = prim_covering(
        x,
        y,
        boxes,
        choose,
        peel_alpha=peel_alpha,
        paste_alpha=paste_alpha,
        mass_min=mass_min,
    )
    covered = []
    for number, f in enumerate(found, start=1):
        xs, ys = (x, y) if number == 1 else (x[f.searched], y[f.searched])
        c = f.chosen
        covered.append(
            CoveredBox(
                number,
                f.box,
                c.coverage,
                c.density,
                c.mass,
                c.n,
                c.k,
                f.n_searched,
                f.k_searched,
                _restrictions(xs, ys, f.result, f.box, inputs),
            )
        )
    res, pick = found[0].result, found[0].box
    rules = cart_rules(x, y, inputs, min_leaf=mass_min) if cart else []
    return Discovery(
        source,
        outcome,
        cases,
        inputs,
        x.shape[0],
        k,
        res,
        pick,
        covered[0].restrictions,
        rules,
        cart,
        covered,
    )


def discover(
    directory: str | Path,
    *,
    target: str | None = None,
    cases: str | None = None,
    box: int | None = None,
    min_coverage: float = MIN_COVERAGE,
    cart: bool = True,
    inputs: str = "all",
    boxes: int = 1,
) -> Discovery:
    """Scenario discovery on the sweep written to ``directory``.

    Parameters
    ----------
    target : str, optional
        The target whose outcome is explained; None: every target met (``all_met``).
    cases : {"missed", "met"}, optional
        Which samples are the cases of interest; default ``missed`` for a target (where
        does it fail?) and ``met`` for ``all_met`` (where does the whole plan hold?).
    box, min_coverage, cart, boxes
        See :func:`discover_arrays`.
    inputs : {"all", "factors"}
        Explain by every sampled number (the sweep's factors and the scenario's own
        uncertain numbers) or by the factors the sweep file names only.

    Raises
    ------
    ClusterSimError
        Not a sweep directory, an unknown target (with a suggestion), no case of interest.
    """
    from clustersim.suggest import did_you_mean

    if inputs not in INPUTS:
        raise ClusterSimError(f"--inputs: {inputs!r} is not one of {', '.join(INPUTS)}")
    samples: SweepSamples = read_sweep_samples(directory, factors_only=inputs == "factors")
    outcome = "all_met" if target is None else target
    if outcome not in samples.met:
        raise ClusterSimError(
            f"{samples.directory}: --target: unknown target {outcome!r}"
            f"{did_you_mean(outcome, samples.targets)} (allowed: {', '.join(samples.targets)})"
        )
    if cases is None:
        cases = "missed" if target is not None else "met"
    if cases not in CASES:
        raise ClusterSimError(f"--cases: {cases!r} is not one of {', '.join(CASES)}")
    if not 0.0 <= min_coverage <= 1.0:
        raise ClusterSimError(f"--min-coverage: {min_coverage} is not in [0, 1]")
    met = samples.met[outcome]
    y = ~met if cases == "missed" else met
    return discover_arrays(
        samples.x,
        y,
        samples.inputs,
        source=str(samples.directory),
        outcome=outcome,
        cases=cases,
        box=box,
        min_coverage=min_coverage,
        cart=cart,
        boxes=boxes,
    )


def box_text(index: int, box: Any, lang: str) -> str:
    """One PRIM box in words: its index on the trade-off curve, coverage, density, mass."""
    return word(
        "prim_box",
        lang,
        box=index,
        coverage=f"{box.coverage:.1%}",
        density=f"{box.density:.1%}",
        mass=f"{box.mass:.1%}",
    )
