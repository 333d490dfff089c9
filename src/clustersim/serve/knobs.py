"""The numbers a what-if page may move ("knobs"), their ranges, and applying a change.

A knob is one number of a loaded scenario, addressed by its dotted path (the path
:func:`clustersim.sweep.plan.replace_number` and the compiler's draws use):

- every uncertain number (a ``dist:``): the knob moves its **central value** and keeps its
  spread, so Monte Carlo still draws around it. Normal, uniform and triangular
  distributions are shifted (every location field moves by the same amount, ``sd``
  stays); a lognormal is scaled (``median``, ``low`` and ``high`` times the same factor,
  ``sigma`` stays), so it stays a lognormal. Its range is the distribution's own support
  as the scenario states it: quantiles 0 and 1 where finite, else 0.5% and 99.5%,
  within the field's bounds;
- every fixed number of a growth block (``rate``, ``rates.<year>``, ``elasticity``,
  ``capacity``, ``value``, ``start``, ``end``): the knob replaces it. The scenario gives no
  range for a fixed number, so the range is a what-if window around it:
  :data:`RATE_WINDOW` either side of a rate, half the value either side of an elasticity
  or a level (at least :data:`ELASTICITY_WINDOW` for an elasticity).

No web framework here: the app (:mod:`clustersim.serve.app`) and the tests call these
functions directly.
"""

from __future__ import annotations

import dataclasses
import math
import unicodedata
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel

from clustersim.compile import Param, uncertain_parameters
from clustersim.i18n import Bi, bi, series_label, word
from clustersim.kinds.growth import RATE_LO
from clustersim.kinds.growth.base import GrowthKind
from clustersim.scenario.models import Scenario
from clustersim.sweep.plan import replace_number
from clustersim.values.numbers import Observed, _Dist, parse_number

__all__ = [
    "ELASTICITY_WINDOW",
    "RATE_WINDOW",
    "Knob",
    "KnobError",
    "apply",
    "knobs_of",
    "parse_values",
]

#: a fixed growth rate's what-if window: this much either side (5 percentage points)
RATE_WINDOW = 0.05
#: a fixed elasticity's window: at least this much either side
ELASTICITY_WINDOW = 0.5
#: quantiles bounding a distribution with infinite support
TAIL = 0.005
#: the distributions a knob scales instead of shifting (they live on the positive axis)
MULTIPLICATIVE = frozenset({"lognormal"})
#: distribution fields that hold a spread, not a location: a knob leaves them alone
SPREAD_FIELDS = frozenset({"sd", "sigma"})

Role = Literal["rate", "elasticity", "level"]


@dataclass(frozen=True)
class Knob:
    """One number the page may move.

    Attributes
    ----------
    path : str
        Dotted scenario path (``region.gdp.growth.rate``).
    label : Bi
        What it is, in Chinese and English (``GDP · growth rate``).
    role : {"rate", "elasticity", "level"}
        Rates show as percentages.
    uncertain : bool
        A distribution (the knob moves its central value) or a fixed number.
    dist : str or None
        The distribution's name.
    value : float
        Its central value in the scenario as loaded.
    lo, hi : float
        The range the knob accepts, inclusive.
    """

    path: str
    label: Bi
    role: Role
    uncertain: bool
    dist: str | None
    value: float
    lo: float
    hi: float

    @property
    def percent(self) -> bool:
        return self.role == "rate"

    def show(self, v: float) -> str:
        """``v`` as the page shows it: ``6.82%`` for a rate, ``1,900`` or ``0.39`` else."""
        if self.percent:
            return f"{v * 100:.2f}%"
        if abs(v) >= 100:
            return f"{v:,.1f}"
        return f"{v:.4g}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "label": {"zh": self.label.zh, "en": self.label.en},
            "role": self.role,
            "percent": self.percent,
            "uncertain": self.uncertain,
            "dist": self.dist,
            "value": self.value,
            "lo": self.lo,
            "hi": self.hi,
            "text": self.show(self.value),
            "range": f"{self.show(self.lo)} – {self.show(self.hi)}",
        }


class KnobError(ValueError):
    """Bad values for some knobs: ``problems`` maps each path to its bilingual message."""

    def __init__(self, problems: Mapping[str, Bi]) -> None:
        self.problems = dict(problems)
        super().__init__("; ".join(f"{p}: {m.en}" for p, m in self.problems.items()))


# --- finding the knobs -------------------------------------------------------------------------


def _walk(obj: Any, path: tuple[str, ...], in_growth: bool) -> Iterator[tuple[str, Any, bool]]:
    """``(dotted path, value, inside a growth block)`` of every leaf under ``obj``."""
    if isinstance(obj, _Dist):
        yield ".".join(path), obj, in_growth
        return
    if isinstance(obj, Observed):  # a sourced observation is data, not an assumption
        return
    if isinstance(obj, BaseModel):
        grows = in_growth or isinstance(obj, GrowthKind)
        for name in type(obj).model_fields:
            yield from _walk(getattr(obj, name), (*path, name), grows)
        return
    if isinstance(obj, Mapping):
        for k, v in obj.items():
            yield from _walk(v, (*path, str(k)), in_growth)
        return
    if isinstance(obj, float):  # numbers are floats; ints are years and counts of settings
        yield ".".join(path), obj, in_growth


def _role(path: str) -> Role:
    parts = path.split(".")
    if "growth" in parts:
        field = parts[parts.index("growth") + 1] if parts.index("growth") + 1 < len(parts) else ""
        if field in ("rate", "rates", "start", "end"):  # linear: start and end are rates
            return "rate"
        if field == "elasticity":
            return "elasticity"
    return "level"


def _label(sc: Scenario, path: str) -> Bi:
    """``GDP · growth rate``, ``新材料 · 产值 · 基年值``: the series, then the field."""
    parts = path.split(".")
    head: Bi | None = None
    rest = parts[1:]
    if parts[0] == "region" and len(parts) > 1:
        head, rest = series_label(parts[1], sc), parts[2:]
    elif parts[0] == "clusters" and len(parts) > 2 and parts[1] in sc.clusters:
        name = bi(sc.clusters[parts[1]].name, parts[1])
        head, rest = name + Bi(" · ", " · ") + series_label(parts[2], sc), parts[3:]
    elif parts[0] == "indicators" and len(parts) > 1:
        head, rest = series_label(parts[1], sc), parts[2:]
        if rest[:1] == ["flow"]:
            head, rest = series_label(f"{parts[1]}_flow", sc), rest[1:]
    if head is None:
        return Bi(path, path)
    tail = [p for p in rest if p != "growth"]
    words: list[Bi] = []
    i = 0
    while i < len(tail):
        part = tail[i]
        if part == "rates" and i + 1 < len(tail):
            words.append(_bi_word("serve_knob_rate_year", year=tail[i + 1]))
            i += 2
            continue
        if part in _PART_WORDS:
            words.append(_bi_word(_PART_WORDS[part]))
        else:
            words.append(series_label(part, sc))
        i += 1
    what = Bi("", "")
    for n, w in enumerate(words):
        what = what + (Bi(" · ", " · ") if n else Bi("", "")) + w
    return head + Bi(" · ", " · ") + what


#: the last parts of a knob's path, as words
_PART_WORDS = {
    "base": "serve_knob_base",
    "rate": "serve_knob_rate",
    "elasticity": "serve_knob_elasticity",
    "start": "serve_knob_start",
    "end": "serve_knob_end",
    "share_of_output": "serve_knob_share",
    "capacity": "serve_knob_capacity",
    "value": "serve_knob_value",
}


def _bi_word(key: str, **fmt: object) -> Bi:
    return Bi(word(key, "zh", **fmt), word(key, "en", **fmt))


def _dist_range(p: Param) -> tuple[float, float]:
    """The distribution's own support (quantiles 0 and 1) where it is finite, else its
    TAIL quantiles; within the field's bounds. A multiplicative distribution's 0 is not a
    central value it can be scaled to, so its lower end is always the TAIL quantile."""
    sampler = p.dist.sampler
    own = np.asarray(sampler.ppf(np.array([0.0, 1.0])), dtype=np.float64)
    tails = np.asarray(sampler.ppf(np.array([TAIL, 1.0 - TAIL]), p.lo, p.hi), dtype=np.float64)
    scaled = p.dist.dist in MULTIPLICATIVE
    lo = float(own[0]) if math.isfinite(own[0]) and not (scaled and own[0] <= 0) else tails[0]
    hi = float(own[1]) if math.isfinite(own[1]) else float(tails[1])
    return max(float(lo), p.lo), min(hi, p.hi)


def _window(role: Role, v: float) -> tuple[float, float]:
    if role == "rate":
        return max(v - RATE_WINDOW, RATE_LO + 1e-3), v + RATE_WINDOW
    half = abs(v) / 2
    if role == "elasticity":
        half = max(half, ELASTICITY_WINDOW)
        return v - half, v + half
    if v == 0:
        return 0.0, 1.0
    return v - half, v + half


def knobs_of(sc: Scenario) -> tuple[Knob, ...]:
    """Every knob of ``sc``, in the scenario's order (region, clusters, indicators...)."""
    params = uncertain_parameters(sc)
    out: list[Knob] = []
    seen: set[str] = set()
    for path, value, in_growth in _walk(sc, (), False):
        if path in params:
            p = params[path]
            central = float(p.dist.sampler.central_within(p.lo, p.hi))
            lo, hi = _dist_range(p)
            lo, hi = min(lo, central), max(hi, central)
            out.append(
                Knob(path, _label(sc, path), _role(path), True, p.dist.dist, central, lo, hi)
            )
            seen.add(path)
        elif in_growth and isinstance(value, float):
            role = _role(path)
            lo, hi = _window(role, value)
            out.append(Knob(path, _label(sc, path), role, False, None, value, lo, hi))
            seen.add(path)
    return tuple(out)


# --- reading and applying values ---------------------------------------------------------------


def _allowed(k: Knob) -> Bi:
    fmt = {"lo": k.show(k.lo), "hi": k.show(k.hi)}
    key = "serve_allowed_pct" if k.percent else "serve_allowed"
    return Bi(word(key, "zh", **fmt), word(key, "en", **fmt))


def _problem(k: Knob, key: str, text: str) -> Bi:
    allowed = _allowed(k)
    return Bi(
        word(key, "zh", field=k.label.zh, value=text) + allowed.zh,
        word(key, "en", field=k.label.en, value=text) + allowed.en,
    )


def parse_values(knobs: Mapping[str, Knob], values: Mapping[str, Any]) -> dict[str, float]:
    """The new value of each knob named in ``values`` (a number, or text such as ``"5.8%"``,
    ``"0.058"``, ``"1,900"`` or full-width ``"５.８％"``), checked against its range.

    Raises
    ------
    KnobError
        Naming every path that is unknown, not a number, or outside its knob's range.
    """
    out: dict[str, float] = {}
    problems: dict[str, Bi] = {}
    for path, raw in values.items():
        k = knobs.get(path)
        if k is None:
            problems[str(path)] = Bi(
                word("serve_unknown_knob", "zh", path=path),
                word("serve_unknown_knob", "en", path=path),
            )
            continue
        # full-width digits and signs from a Chinese input method read as ASCII: ５.８％ is 5.8%
        if isinstance(raw, str):
            raw = unicodedata.normalize("NFKC", raw)
        text = str(raw).strip() if raw is not None else ""
        v = parse_number(raw) if not isinstance(raw, bool) else raw
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v):
            problems[path] = _problem(k, "serve_not_number", text)
            continue
        v = float(v)
        # a value shown rounded on the page (6.82%) may sit a rounding step past an edge
        tol = 1e-9 * max(1.0, abs(k.lo), abs(k.hi))
        if not (k.lo - tol <= v <= k.hi + tol):
            problems[path] = _problem(k, "serve_out_of_range", text)
            continue
        out[path] = min(max(v, k.lo), k.hi)
    if problems:
        raise KnobError(problems)
    return out


def _moved(dist: _Dist, new_central: float, old_central: float) -> _Dist:
    """``dist`` with its central value moved to ``new_central``, its spread kept."""
    fields = [
        f.name
        for f in dataclasses.fields(dist.sampling)
        if f.name not in SPREAD_FIELDS and getattr(dist, f.name) is not None
    ]
    if dist.sampling.name in MULTIPLICATIVE:
        k = new_central / old_central
        update = {f: getattr(dist, f) * k for f in fields}
    else:
        d = new_central - old_central
        update = {f: getattr(dist, f) + d for f in fields}
    # through validation: the sampler checks the moved parameters
    return type(dist).model_validate({**dist.model_dump(exclude_none=True), **update})


def apply(sc: Scenario, knobs: Mapping[str, Knob], values: Mapping[str, float]) -> Scenario:
    """A copy of ``sc`` with each knob in ``values`` set (see the module docstring); the
    loaded scenario is not re-read and not changed. ``values`` come from :func:`parse_values`.
    """
    out = sc
    for path, v in values.items():
        k = knobs[path]
        if v == k.value:
            continue
        if k.uncertain:
            current = _current(sc, path)
            if not isinstance(current, _Dist):
                raise TypeError(f"{path} is not a distribution")
            new: Any = _moved(current, v, k.value)
        else:
            new = v
        out = replace_number(out, path, new)
    return out


def _current(sc: Scenario, path: str) -> Any:
    obj: Any = sc
    for part in path.split("."):
        if isinstance(obj, BaseModel):
            obj = getattr(obj, part)
        else:
            obj = next(v for key, v in obj.items() if str(key) == part)
    return obj
