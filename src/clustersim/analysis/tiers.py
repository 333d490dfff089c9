"""Entries, promotion and exit rates of a firm tier pipeline from published tier counts
(``clustersim calibrate --tiers FILE.csv``, issue 17).

The pipeline of docs/scenario-format.md §9a without ceilings, rates constant over the panel
(``n[k, t]`` the stock of tier ``k`` at the end of year ``t``, ``p`` promotion to the next
tier, ``x`` exit, ``E`` entries into the first tier)::

    n[0, t] - n[0, t-1] = E[t]               - (p[0] + x[0]) n[0, t-1]
    n[k, t] - n[k, t-1] = p[k-1] n[k-1, t-1] - (p[k] + x[k]) n[k, t-1]      (k >= 1)

Each tier's equation is read from the top tier down, so the promotion out of a tier is known
(from the tier above) when its own equation is solved: for tier ``k >= 1`` the unknowns are
``p[k-1]`` and ``x[k]``, for the first tier ``E`` (constant, unless the file gives entries)
and ``x[0]``. A *transition* is a year ``t`` with the counts the equation needs in ``t`` and
``t - 1``. Then, per equation:

- two or more transitions: least squares (ordinary, with standard errors when there are more
  transitions than unknowns);
- one transition: the exit rate is the prior given in the file (``exit_prior``) and the other
  unknown is solved from the one equation (thin data, said so);
- none: nothing is estimated (said so).

An estimate outside [0, 1] (a rate) or below 0 (entries) means constant rates do not fit the
counts (a registry growing faster every year, say); it is reported, flagged, and the exit
prior is used instead when there is one. Published statistics give stocks only, never
promotions or exits, so these are the rates the counts imply under the model, not observed.

The file: one row per count, columns ``pipeline, tier, year, count`` and optional
``exit_prior`` (on any row of the tier) and ``source``. Tiers are listed lowest first (the
order of their first rows within the pipeline). The tier name ``entries`` gives the firms
entering the first tier in a year, when published.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from clustersim.errors import Problem, ScenarioError
from clustersim.grid import Grid
from clustersim.i18n import word

__all__ = ["TierCalibration", "TierRate", "calibrate_tiers", "read_tier_counts"]

ENTRIES = "entries"


@dataclass
class Panel:
    """Counts of one pipeline: tier ids lowest first, ``counts[tier][year]``, entries by
    year, exit priors by tier, sources."""

    pipeline: str
    tiers: list[str] = field(default_factory=list)
    counts: dict[str, dict[int, float]] = field(default_factory=dict)
    entries: dict[int, float] = field(default_factory=dict)
    priors: dict[str, float] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)


@dataclass
class TierRate:
    """The estimates of one tier: its exit rate, the promotion into it from the tier below
    (``promotion_in``, None for the first tier) and, for the first tier, the entries."""

    pipeline: str
    tier: str
    exit_rate: float | None
    exit_se: float | None
    promotion_in: float | None
    promotion_in_se: float | None
    entries: float | None
    entries_se: float | None
    transitions: int
    #: how it was estimated and what to watch: message keys of clustersim.i18n and their
    #: fields, read in a language with :meth:`method_text` / :meth:`flag_texts`
    method: tuple[str, dict[str, Any]] = ("tiers_m_none", {})
    flags: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def method_text(self, lang: str = "en") -> str:
        return word(self.method[0], lang, **self.method[1])

    def flag_texts(self, lang: str = "en") -> list[str]:
        return [word(k, lang, **fmt) for k, fmt in self.flags]

    def to_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "tier": self.tier,
            "exit_rate": self.exit_rate,
            "exit_se": self.exit_se,
            "promotion_in": self.promotion_in,
            "promotion_in_se": self.promotion_in_se,
            "entries": self.entries,
            "entries_se": self.entries_se,
            "transitions": self.transitions,
            "method": self.method_text("en"),
            "method_zh": self.method_text("zh"),
            "flags": self.flag_texts("en"),
            "flags_zh": self.flag_texts("zh"),
        }


@dataclass
class TierCalibration:
    """Every pipeline's tiers, lowest first, with the rates their counts give."""

    source: str
    rates: list[TierRate]

    def promotion(self, pipeline: str, tier: str) -> float | None:
        """Promotion out of ``tier`` (estimated with the tier above), None if not known."""
        mine = [r for r in self.rates if r.pipeline == pipeline]
        ids = [r.tier for r in mine]
        k = ids.index(tier)
        return mine[k + 1].promotion_in if k + 1 < len(mine) else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "tiers": [r.to_dict() for r in self.rates]}

    def table(self, lang: str = "en") -> Grid:
        """pipeline/tier, promotion into it (entries for the first tier), exit rate,
        transitions, method."""

        def num(v: float | None, se: float | None) -> str:
            if v is None:
                return "-"
            return f"{v:.4g}" + ("" if se is None else f" ± {se:.2g}")

        rows = []
        for r in self.rates:
            into = num(r.promotion_in, r.promotion_in_se)
            if r.entries is not None:
                into = num(r.entries, r.entries_se) + word("tiers_entries_unit", lang)
            rows.append(
                (
                    f"{r.pipeline}/{r.tier}",
                    into,
                    num(r.exit_rate, r.exit_se),
                    str(r.transitions),
                    r.method_text(lang),
                )
            )
        keys = (
            "tiers_col_tier",
            "tiers_col_in",
            "tiers_col_exit",
            "tiers_col_n",
            "tiers_col_method",
        )
        return Grid(tuple(word(k, lang) for k in keys), tuple(rows), align="lrrrl")

    def notes(self, lang: str = "en") -> list[str]:
        """The flags of every tier, then what the rates are (and are not)."""
        out = [f"{r.pipeline}/{r.tier}: {f}" for r in self.rates for f in r.flag_texts(lang)]
        return [*out, word("tiers_note", lang)]


def _bad(path: Path, line: int | None, key: str, **fmt: Any) -> ScenarioError:
    """A problem of the tier-count file, in English and Chinese."""
    return ScenarioError(
        Problem(word(key, "en", **fmt), word(key, "zh", **fmt), file=str(path), line=line)
    )


def read_tier_counts(path: Path) -> list[Panel]:
    """The pipelines of a tier-count CSV (see the module docstring)."""
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            lines = [(n, row) for n, row in enumerate(fh, start=1)]
    except OSError as exc:
        raise _bad(path, None, "tiers_e_read", detail=str(exc)) from None
    kept = [(n, row) for n, row in lines if not row.lstrip().startswith("#")]
    rows = list(csv.DictReader(row for _, row in kept))
    need = {"pipeline", "tier", "year", "count"}
    if not rows or not need <= set(rows[0]):
        raise _bad(path, kept[0][0] if kept else None, "tiers_e_columns")
    panels: dict[str, Panel] = {}
    for (i, _), row in zip(kept[1:], rows, strict=False):
        pid, tier = (row["pipeline"] or "").strip(), (row["tier"] or "").strip()
        try:
            year = int(str(row["year"]).strip())
            value = float(str(row["count"]).strip())
            prior_text = (row.get("exit_prior") or "").strip()
            prior = float(prior_text) if prior_text else None
        except ValueError as exc:
            raise _bad(path, i, "tiers_e_value", detail=str(exc)) from None
        if not pid or not tier:
            raise _bad(path, i, "tiers_e_ids")
        if not math.isfinite(value) or value < 0:
            raise _bad(path, i, "tiers_e_count", value=value)
        if prior is not None and not 0.0 <= prior <= 1.0:
            raise _bad(path, i, "tiers_e_prior", value=prior)
        p = panels.setdefault(pid, Panel(pid))
        src = (row.get("source") or "").strip()
        if src and src not in p.sources:
            p.sources.append(src)
        if tier == ENTRIES:
            p.entries[year] = value
            continue
        if tier not in p.counts:
            p.tiers.append(tier)
            p.counts[tier] = {}
        if year in p.counts[tier]:
            raise _bad(path, i, "tiers_e_twice", pipeline=pid, tier=tier, year=year)
        p.counts[tier][year] = value
        if prior is not None:
            p.priors[tier] = prior
    return list(panels.values())


def _ols(y: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Least-squares coefficients and their standard errors (None when exactly
    identified)."""
    beta, *_ = np.linalg.lstsq(x, y, rcond=None)
    n, k = x.shape
    if n <= k:
        return beta, None
    resid = y - x @ beta
    s2 = float(resid @ resid) / (n - k)
    cov = s2 * np.linalg.inv(x.T @ x)
    return beta, np.sqrt(np.clip(np.diag(cov), 0.0, None))


def _rate_ok(v: float) -> bool:
    return 0.0 <= v <= 1.0


def _tier(panel: Panel, k: int, p_out: float | None) -> TierRate:
    """Tier ``k``'s equation given the promotion out of it ``p_out`` (None: unknown)."""
    tid = panel.tiers[k]
    own = panel.counts[tid]
    below = panel.counts[panel.tiers[k - 1]] if k > 0 else None
    prior = panel.priors.get(tid)
    years = sorted(t for t in own if t - 1 in own and (below is None or t - 1 in below))
    first = k == 0
    given = first and bool(years) and all(t in panel.entries for t in years)
    flags: list[tuple[str, dict[str, Any]]] = []
    out = TierRate(panel.pipeline, tid, None, None, None, None, None, None, len(years))
    if p_out is None:
        flags.append(("tiers_f_no_above", {}))
        p_out = 0.0
    # y = change + p_out n[t-1] = (p_in n_below[t-1] or E) - x n[t-1]
    y = np.array([own[t] - own[t - 1] + p_out * own[t - 1] for t in years])
    lag = np.array([own[t - 1] for t in years])
    if given:
        y = y - np.array([panel.entries[t] for t in years])
        x = -lag[:, None]
        cols = ["exit"]
    else:
        feed = np.ones(len(years)) if first else np.array([below[t - 1] for t in years])  # type: ignore[index]
        x = np.column_stack([feed, -lag])
        cols = ["feed", "exit"]
    n_unknown = len(cols)
    if len(years) >= n_unknown:
        beta, se = _ols(y, x)
        est = dict(zip(cols, beta.tolist(), strict=True))
        err = dict(zip(cols, se.tolist(), strict=True)) if se is not None else {}
        out.method = ("tiers_m_ls" if se is not None else "tiers_m_exact", {"n": len(years)})
        bad = not _rate_ok(est["exit"]) or (
            "feed" in est and (est["feed"] < 0 or (not first and not _rate_ok(est["feed"])))
        )
        got = ", ".join(f"{c} {v:.4g}" for c, v in est.items())
        if bad and prior is not None:
            flags.append(("tiers_f_misfit_prior", {"got": got, "prior": prior}))
            est, err = _with_prior(y, x, cols, prior)
            out.method = ("tiers_m_prior", {"n": len(years), "prior": prior})
        elif bad:
            flags.append(("tiers_f_misfit", {"got": got}))
    elif years and prior is not None:
        est, err = _with_prior(y, x, cols, prior)
        out.method = ("tiers_m_prior", {"n": len(years), "prior": prior})
        flags.append(("tiers_f_thin_prior", {"n": len(years), "k": n_unknown}))
    elif years:
        flags.append(("tiers_f_thin_none", {"n": len(years), "k": n_unknown}))
        out.method = ("tiers_m_none", {})
        return _flagged(out, flags)
    else:
        have = ", ".join(map(str, sorted(own))) or "-"
        flags.append(("tiers_f_no_years" if first else "tiers_f_no_years2", {"years": have}))
        out.method = ("tiers_m_none", {})
        out.exit_rate = prior
        if prior is not None:
            out.method = ("tiers_m_prior_only", {"prior": prior})
        return _flagged(out, flags)
    out.exit_rate, out.exit_se = est["exit"], err.get("exit")
    if "feed" in est:
        if first:
            out.entries, out.entries_se = est["feed"], err.get("feed")
        else:
            out.promotion_in, out.promotion_in_se = est["feed"], err.get("feed")
    return _flagged(out, flags)


def _with_prior(
    y: np.ndarray, x: np.ndarray, cols: list[str], prior: float
) -> tuple[dict[str, float], dict[str, float]]:
    """The unknowns with the exit rate fixed at ``prior``: the feed (if any) by least
    squares on what is left."""
    est = {"exit": prior}
    err: dict[str, float] = {}
    if "feed" in cols:
        rest = y - x[:, 1] * prior
        beta, se = _ols(rest, x[:, :1])
        est["feed"] = float(beta[0])
        if se is not None:
            err["feed"] = float(se[0])
    return est, err


def _flagged(out: TierRate, flags: list[tuple[str, dict[str, Any]]]) -> TierRate:
    out.flags = flags
    return out


def calibrate_tiers(path: Path) -> TierCalibration:
    """Rates of every pipeline in the tier-count file ``path``, each tier from the top
    down (see the module docstring)."""
    out: list[TierRate] = []
    for panel in read_tier_counts(path):
        got: list[TierRate] = []
        p_out: float | None = 0.0  # the top tier promotes no one
        for k in reversed(range(len(panel.tiers))):
            r = _tier(panel, k, p_out)
            got.append(r)
            p_out = r.promotion_in if k > 0 else None
        out += reversed(got)
    return TierCalibration(str(path), out)
