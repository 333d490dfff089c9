"""One scenario served to a what-if page: loaded once, recomputed for each set of values.

:class:`Session` holds the loaded scenario (YAML is parsed once, at start), its knobs
(:mod:`clustersim.serve.knobs`) and the series the fan chart can show. ``compute`` applies
the page's values to a copy of the scenario, runs it exactly as ``clustersim run
--samples N --seed K`` does (:func:`clustersim.engine.run`, then the required growth of
each target on the central scenario), and returns plain JSON data: the target table in both
languages and the fan chart of one series; ``required`` the required growth of each target
(a search on the central scenario, asked for after the table). ``yaml`` and ``save`` write the changed
scenario as a standalone YAML file that ``clustersim run`` accepts.

No web framework here: :mod:`clustersim.serve.app` maps these calls to HTTP.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from clustersim.atomic import write_bytes
from clustersim.compile import compile_scenario
from clustersim.core import expr as ex
from clustersim.engine import required_growths, run
from clustersim.errors import ClusterSimError
from clustersim.i18n import Bi, bi, series_label, word
from clustersim.report.excel import scenario_yaml
from clustersim.report.fmt import goal_text, is_percent, is_pp, num, required_text
from clustersim.results import Result, TargetResult
from clustersim.scenario.loader import load_scenario
from clustersim.scenario.models import Scenario
from clustersim.serve.knobs import Knob, KnobError, apply, knobs_of, parse_values

__all__ = ["DEFAULT_SAMPLES", "DEFAULT_SEED", "RequestError", "Session"]

#: Monte Carlo samples per recompute unless ``--samples`` says otherwise
DEFAULT_SAMPLES = 10_000
DEFAULT_SEED = 1
#: answers kept for repeated values (a toggle back, a language switch): small JSON only
CACHE_SIZE = 64
PERCENTILES = (5, 25, 50, 75, 95)
#: a file name ``save`` accepts: one plain name, no folder, ending in .yaml or .yml
SAFE_NAME = re.compile(r"^[\w][\w.\-]{0,120}\.ya?ml$")


class RequestError(ValueError):
    """A request the page must correct: ``problems`` maps a field (a knob's path,
    ``series``, ``name``) to its bilingual message; ``status`` is the HTTP status."""

    def __init__(self, problems: Mapping[str, Bi], status: int = 422) -> None:
        self.problems = dict(problems)
        self.status = status
        super().__init__("; ".join(f"{k}: {m.en}" for k, m in self.problems.items()))


def _w(key: str, **fmt: object) -> Bi:
    return Bi(word(key, "zh", **fmt), word(key, "en", **fmt))


def _d(b: Bi) -> dict[str, str]:
    return {"zh": b.zh, "en": b.en}


@dataclass(frozen=True)
class SeriesOption:
    """A series the fan chart can show: ``gdp``, or ``output:new_materials`` for a cluster."""

    key: str
    name: str
    cluster: int | None
    label: Bi


class Session:
    """A scenario file loaded once and served (see the module docstring).

    Parameters
    ----------
    path : Path
        The scenario YAML file (its ``extends:`` chain is followed).
    samples : int
        Monte Carlo samples per recompute.
    seed : int
        Root seed: the page's numbers equal ``clustersim run --samples N --seed K``'s.
    out : Path or None
        The only folder ``save`` writes to; None: nothing is ever written.

    Raises
    ------
    ClusterSimError
        For an invalid scenario file, as ``clustersim run``.
    """

    def __init__(
        self,
        path: Path,
        *,
        samples: int = DEFAULT_SAMPLES,
        seed: int = DEFAULT_SEED,
        out: Path | None = None,
    ) -> None:
        if samples < 1:
            raise ClusterSimError(f"--samples: {samples} must be at least 1")
        self.path = Path(path)
        self.scenario: Scenario = load_scenario(self.path)
        self.samples = samples
        self.seed = seed
        self.out = out.resolve() if out is not None else None
        if self.out is not None and self.out.exists() and not self.out.is_dir():
            raise ClusterSimError(f"--out: {out} is a file, not a folder")
        self.knobs: dict[str, Knob] = {k.path: k for k in knobs_of(self.scenario)}
        self.series = self._series_options()
        self.default_series = self._default_series()
        self._cache: OrderedDict[Any, dict[str, Any]] = OrderedDict()
        self._required: OrderedDict[Any, dict[str, Any]] = OrderedDict()
        self._lock = threading.Lock()

    # --- what the page starts from -------------------------------------------------------------

    def _series_options(self) -> dict[str, SeriesOption]:
        plain = run(self.scenario, samples=1, required=False)
        sc = self.scenario
        cids = list(sc.clusters)
        out: dict[str, SeriesOption] = {}
        for name, arr in plain.series.items():
            if arr.ndim == 2:
                if np.all(np.isfinite(arr)):
                    out[name] = SeriesOption(name, name, None, series_label(name, sc))
                continue
            for i, cid in enumerate(cids):
                if i < arr.shape[1] and np.all(np.isfinite(arr[:, i, :])):
                    label = bi(sc.clusters[cid].name, cid) + Bi(" · ", " · ")
                    key = f"{name}:{cid}"
                    out[key] = SeriesOption(key, name, i, label + series_label(name, sc))
        return out

    def _default_series(self) -> str:
        """The series the first target reads, else GDP, else the first one."""
        for t in self.scenario.targets.values():
            metric = getattr(t, "metric", None)
            if isinstance(metric, str) and metric in self.series:
                return metric
        return "gdp" if "gdp" in self.series else next(iter(self.series), "")

    def describe(self) -> dict[str, Any]:
        """The page's starting data: the scenario, its knobs, the series, the words."""
        sc = self.scenario
        return {
            "scenario": {
                "id": sc.id,
                "name": _d(bi(sc.name, sc.id)),
                "file": self.path.name,
                "base_year": sc.base_year,
                "end_year": sc.end_year,
            },
            "samples": self.samples,
            "seed": self.seed,
            "can_save": self.out is not None,
            "knobs": [k.to_dict() for k in self.knobs.values()],
            "series": [{"key": s.key, "label": _d(s.label)} for s in self.series.values()],
            "default_series": self.default_series,
        }

    # --- recomputing -------------------------------------------------------------------------

    def changed(self, values: Mapping[str, Any]) -> tuple[Scenario, dict[str, float]]:
        """The scenario with ``values`` applied, and the parsed values.

        Raises
        ------
        RequestError
            Naming each bad value (not a number, out of range, unknown knob).
        """
        try:
            parsed = parse_values(self.knobs, values)
        except KnobError as exc:
            raise RequestError(exc.problems) from exc
        try:
            return apply(self.scenario, self.knobs, parsed), parsed
        except (ValueError, TypeError) as exc:
            raise RequestError({"values": _w("serve_model_error", detail=str(exc))}) from exc

    def compute(self, values: Mapping[str, Any], series: str | None = None) -> dict[str, Any]:
        """The target table and the fan chart of ``series`` with ``values`` applied: the
        Monte Carlo run of ``clustersim run --samples N --seed K``. Required growth (a
        search on the central scenario) comes from :meth:`required`, which the page asks
        for next, so the probabilities answer first; it is included here when already
        known for these values (``required`` is then not None).

        Raises
        ------
        RequestError
            For bad values, an unknown series, or values under which the scenario
            cannot be projected (the engine's message, after a bilingual lead).
        """
        series = series or self.default_series
        if series not in self.series:
            raise RequestError({"series": _w("serve_unknown_series", series=series)})
        sc, parsed = self.changed(values)
        vkey = tuple(sorted(parsed.items()))
        doc = self._cached(self._cache, (vkey, series))
        if doc is None:
            start = time.perf_counter()
            try:
                result = run(sc, samples=self.samples, seed=self.seed, required=False)
            except ClusterSimError as exc:
                raise RequestError({"values": _w("serve_model_error", detail=str(exc))}) from exc
            doc = {
                "targets": [_row(t) for t in result.targets],
                "met": sum(t.status == "met" for t in result.targets),
                "chart": self._chart(result, series),
                "changed": len([p for p, v in parsed.items() if v != self.knobs[p].value]),
                "values": parsed,
                "samples": self.samples,
                "seed": self.seed,
                "ms": round((time.perf_counter() - start) * 1000),
            }
            self._store(self._cache, (vkey, series), doc)
            doc = {**doc, "cached": False}
        req = self._cached(self._required, vkey)
        return {**doc, "required": None if req is None else req["required"]}

    def required(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Required growth of every target with ``values`` applied: the constant rate of its
        lever series that just meets it on the central scenario, as ``clustersim run``
        reports it (:func:`clustersim.engine.required_growths`, first lever).

        Raises
        ------
        RequestError
            As :meth:`compute`.
        """
        sc, parsed = self.changed(values)
        vkey = tuple(sorted(parsed.items()))
        doc = self._cached(self._required, vkey)
        if doc is not None:
            return doc
        start = time.perf_counter()
        try:
            point = compile_scenario(sc, samples=1)
            found = {tid: required_growths(point, ct) for tid, ct in point.targets.items()}
        except ClusterSimError as exc:
            raise RequestError({"values": _w("serve_model_error", detail=str(exc))}) from exc
        out: dict[str, Any] = {}
        for tid, levers in found.items():
            first = levers[0] if levers else None
            out[tid] = {
                "zh": required_text(first, "zh"),
                "en": required_text(first, "en"),
                "rate": finite((first or {}).get("rate")),
            }
        doc = {"required": out, "ms": round((time.perf_counter() - start) * 1000)}
        self._store(self._required, vkey, doc)
        return {**doc, "cached": False}

    def _cached(self, cache: OrderedDict[Any, dict[str, Any]], key: Any) -> dict[str, Any] | None:
        with self._lock:
            hit = cache.get(key)
            if hit is None:
                return None
            cache.move_to_end(key)
            return {**hit, "cached": True}

    def _store(
        self, cache: OrderedDict[Any, dict[str, Any]], key: Any, doc: dict[str, Any]
    ) -> None:
        with self._lock:
            cache[key] = doc
            while len(cache) > CACHE_SIZE:
                cache.popitem(last=False)

    def _chart(self, result: Result, key: str) -> dict[str, Any]:
        opt = self.series[key]
        arr = result.series[opt.name]
        traj = arr if opt.cluster is None else arr[:, opt.cluster, :]
        q = np.percentile(traj, PERCENTILES, axis=0)
        med = q[2]
        percent = bool(
            np.all(np.abs(q) <= 1.5)
            and re.search(r"(share|intensity|rate|ratio)$", opt.name) is not None
        )
        markers = []
        comp = result.compiled
        if comp is not None and opt.cluster is None:
            for t in result.targets:
                metric = comp.targets[t.id].spec.metric
                if isinstance(metric, ex.Name) and metric.id == opt.name and t.kind == "level":
                    goal = t.bound.lo if t.bound.lo is not None else t.bound.hi
                    if goal is not None:
                        markers.append(
                            {"year": t.year, "goal": goal, "label": _d(bi(t.label, t.id))}
                        )
        return {
            "key": key,
            "label": _d(opt.label),
            "years": [int(y) for y in result.years],
            "bands": {f"p{p}": [finite(float(v)) for v in q[i]] for i, p in enumerate(PERCENTILES)},
            "median": [finite(float(v)) for v in med],
            "percent": percent,
            "markers": markers,
        }

    # --- the changed scenario as a file ------------------------------------------------------

    def yaml(self, values: Mapping[str, Any]) -> tuple[str, str]:
        """``(file name, YAML text)`` of the scenario with ``values`` applied: standalone
        (the ``extends:`` chain merged in), loadable by ``clustersim run``."""
        sc, parsed = self.changed(values)
        changes = [
            f"{p} = {self.knobs[p].show(v)} ({self.knobs[p].show(self.knobs[p].value)})"
            for p, v in parsed.items()
            if v != self.knobs[p].value
        ]
        header = "\n".join(
            [
                word("serve_yaml_header", "zh", file=self.path.name, changes=len(changes)),
                word("serve_yaml_header", "en", file=self.path.name, changes=len(changes)),
                *changes,
            ]
        )
        name = re.sub(r"[^\w.\-]", "_", f"{sc.id}-whatif.yaml")
        return name, scenario_yaml(sc, header)

    def save(self, values: Mapping[str, Any], name: str) -> Path:
        """Write the changed scenario to ``out/name``; only a plain file name inside the
        ``--out`` folder is accepted.

        Raises
        ------
        RequestError
            403 without ``--out``; 422 for a name with a folder, ``..``, a leading dot, a
            wrong suffix, or one that resolves outside the folder (a symbolic link).
        """
        if self.out is None:
            raise RequestError({"name": _w("serve_no_out")}, status=403)
        if not isinstance(name, str) or not SAFE_NAME.match(name) or ".." in name:
            raise RequestError({"name": _w("serve_bad_name", name=str(name)[:200])})
        dest = (self.out / name).resolve()
        if dest.parent != self.out or dest.name != name:
            raise RequestError({"name": _w("serve_bad_name", name=name)})
        _, text = self.yaml(values)
        self.out.mkdir(parents=True, exist_ok=True)
        return write_bytes(dest, text.encode("utf-8"))


def _row(t: TargetResult) -> dict[str, Any]:
    """One row of the target table, every text in both languages (the numbers of
    ``clustersim run``'s table: medians, P(met), p5-p95; required growth comes apart)."""
    value = t.median_value
    margin = t.median_margin  # once: the status property would take the median again
    if len(t.met) == 1:
        status = "met" if bool(t.met[0]) else "missed"
    else:
        status = "met" if bool(t.bound.reached(np.asarray(margin))) else "missed"
    pct = is_percent(t.kind, t.goal, value)
    pp = is_pp(t.kind)
    p = t.percentiles()
    tiers = tuple((x.threshold, x.at_least) for x in t.tiers)

    def goal(lang: str) -> str:
        return goal_text(t.bound.lo, t.bound.hi, tiers, lang, pct=pct, pp=pp, strict=t.bound.strict)

    return {
        "id": t.id,
        "label": _d(bi(t.label, t.id)),
        "year": t.year,
        "status": status,
        "status_text": _d(_w(status)),
        "probability": t.probability,
        "value": num(value, pct, pp),
        "goal": {"zh": goal("zh"), "en": goal("en")},
        "margin": num(margin, pct, pp),
        "p5_p95": f"{num(p['p5'], pct, pp)} – {num(p['p95'], pct, pp)}",
        "strength": t.strength,
    }


def finite(v: float | None) -> float | None:
    """``v``, or None when it is not a finite number (JSON has no NaN)."""
    return v if v is not None and math.isfinite(v) else None
