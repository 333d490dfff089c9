"""Load scenario YAML safely, resolve ``extends:``, keep where every value came from.

Deep-merge rules for ``extends:`` (the child is the file that says ``extends``):

- mappings merge key by key, recursively (``clusters``, ``targets``, ``region``...);
- a child value that is not a mapping (number, string, list) replaces the parent's;
- a mapping whose ``kind`` or ``dist`` differs from the parent's replaces it whole
  (switching a growth from ``constant`` to ``logistic`` drops the old ``rate``);
- ``null`` (``~``) deletes the key (a null for a key the parent does not have stays, so
  validation can name it: it is often a stray key from an unquoted comma);
- ``extends`` paths are relative to the file that names them; chains are allowed,
  cycles are errors.

Every leaf keeps its provenance (file, line, and the values it overrode: a
:class:`~clustersim.scenario.provenance.Provenance`), shown by
``clustersim validate --explain PATH``.
"""

from __future__ import annotations

import copy
import re
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from clustersim.errors import ScenarioError
from clustersim.scenario.limits import MAX_DEPTH, MAX_NODES, read_input
from clustersim.scenario.models import Scenario
from clustersim.scenario.provenance import Key, Origin, Provenance
from clustersim.suggest import did_you_mean
from clustersim.values.numbers import NUM_TAGS

__all__ = [
    "format_validation_error",
    "load",
    "load_data",
    "load_scenario",
    "provenance",
    "read_yaml",
    "validate_loaded",
]

_SafeLoader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_AT = re.compile(r"^\[at ([\w.]+)\] (.*)$", re.S)
MERGE_TAGS = ("kind", "dist")


def read_yaml(
    path: Path, *, where: str = "", max_bytes: int | None = None
) -> tuple[dict[str, Any], dict[Key, Origin]]:
    """Parse one YAML file with safe loading; return data and per-path origins.

    Only a regular file of at most the size cap is read (:func:`~clustersim.scenario.limits.
    read_input`); a document whose aliases expand past :data:`~clustersim.scenario.limits.
    MAX_NODES` nodes or :data:`~clustersim.scenario.limits.MAX_DEPTH` levels is refused before
    it is composed, and a tag outside YAML 1.2's core schema (``!!set``, ``!!python/...``,
    ``!custom``) is refused with its line.

    Parameters
    ----------
    path : Path
        The file.
    where : str, optional
        ``FILE:LINE: field`` of the reference that named this file (``extends:``,
        ``scenario:``), prefixed to every message about the file.
    max_bytes : int, optional
        Size cap; default ``$CLUSTERSIM_MAX_FILE_MB`` or 10 MB.

    Raises
    ------
    ScenarioError
        ``FILE:LINE: message`` for every refusal.
    """
    name = str(path)
    pre = f"{where}: " if where else ""
    raw = read_input(path, where=where, max_bytes=max_bytes)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ScenarioError(
            f"{pre}{name}:{line}: not UTF-8 text ({exc.reason} at byte {exc.start}); "
            "is it a YAML file?"
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ScenarioError(f"{pre}{name}:{line}: a NUL byte: this is a binary file, not YAML")
    try:
        # count the expanded nodes on the event stream first: composing a billion-laughs
        # document is cheap, but walking or constructing it is not
        checker = _SafeLoader(text)
        try:
            check_yaml_events(checker, name)
        finally:
            checker.dispose()
        # libyaml's C parser when PyYAML has it (it is several times faster), same safe loading
        loader = _SafeLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                raise ScenarioError(f"{name}:1: the file is empty")
            origins: dict[Key, Origin] = {}
            _walk(node, (), name, origins)
            data = loader.construct_document(node)
        finally:
            loader.dispose()
    except ScenarioError as exc:
        if pre:
            raise ScenarioError([pre + p for p in exc.problems]) from None
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        if mark is not None and "nesting depth" in str(exc.problem or ""):
            # PyYAML >= 6.0.4 refuses deep nesting itself, sometimes before our event walk
            # reaches MAX_DEPTH (it scans a flow collection ahead): the same message either way
            raise ScenarioError(
                f"{pre}{name}:{mark.line + 1}: the document nests more than {MAX_DEPTH} "
                "levels deep (aliases expanded)"
            ) from None
        at = f"{name}:{mark.line + 1}:{mark.column + 1}" if mark else name
        raise ScenarioError(f"{pre}{at}: YAML syntax error: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{pre}{name}: YAML error: {exc}") from None
    except (ValueError, OverflowError, RecursionError) as exc:  # a constructor refusing a value
        raise ScenarioError(f"{pre}{name}: cannot read a value: {exc}") from None
    if not isinstance(data, dict):
        raise ScenarioError(f"{pre}{name}:1: a scenario must be a mapping of keys to values")
    return _unshare(data), origins


#: longest integer literal read from YAML (a float holds about 308 digits)
MAX_DIGITS = 100

#: the tags of YAML 1.2's core schema (and ``<<`` merge keys, which the scenarios use)
CORE_TAGS = frozenset(
    f"tag:yaml.org,2002:{t}" for t in ("str", "int", "float", "bool", "null", "map", "seq", "merge")
)


def _tag_problem(node: yaml.Node) -> str | None:
    """Why ``node``'s tag is refused, or None for a core tag."""
    tag = str(node.tag)
    if tag in CORE_TAGS:
        return None
    if tag == "tag:yaml.org,2002:timestamp":
        return f"{node.value!r} reads as a date; put it in quotes to keep it as text"
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return (
        f"the YAML tag {short!r} is not allowed (only the YAML 1.2 core types: strings, "
        "numbers, booleans, null, mappings and lists)"
    )


def check_yaml_events(
    loader: Any, name: str, *, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH
) -> None:
    """Walk the events of ``loader`` (a fresh loader on the document) and refuse a document
    whose expanded size or depth passes the limits, before any node is composed.

    Each anchored node's expanded size and height are remembered, so an alias costs what it
    would copy: the count grows exactly as the expanded tree would, without building it.

    Raises
    ------
    ScenarioError
        ``FILE:LINE: ...`` naming the line where a limit was passed.
    """
    sizes: dict[str, tuple[int, int]] = {}  # anchor -> (expanded nodes, height)
    # one frame per open collection: its expanded nodes so far (itself included), the
    # tallest child, its anchor
    counts: list[int] = []
    heights: list[int] = []
    anchors: list[str | None] = []
    total = 0
    while loader.check_event():
        ev = loader.get_event()
        if isinstance(ev, yaml.AliasEvent):
            n, h = sizes.get(str(ev.anchor), (1, 0))
        elif isinstance(ev, yaml.ScalarEvent):
            n, h = 1, 0
            if ev.anchor is not None:
                sizes[str(ev.anchor)] = (1, 0)
        elif isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            n, h = 1, 1
        elif isinstance(ev, yaml.SequenceEndEvent | yaml.MappingEndEvent):
            n, h = counts.pop(), heights.pop() + 1
            anchor = anchors.pop()
            if anchor is not None:
                sizes[anchor] = (n, h)
            if counts:  # the nodes are already in ``total``; the parent's own count grows
                counts[-1] += n
                heights[-1] = max(heights[-1], h)
            continue
        else:
            continue
        total += n
        if total > max_nodes:
            raise ScenarioError(
                f"{name}:{_line(ev.start_mark)}: the document expands to more than "
                f"{max_nodes:,} YAML nodes (an alias counts as the nodes it copies): refused, "
                "it looks like an alias bomb"
            )
        if len(counts) + h > max_depth:
            raise ScenarioError(
                f"{name}:{_line(ev.start_mark)}: the document nests more than {max_depth} "
                "levels deep (aliases expanded)"
            )
        if isinstance(ev, yaml.SequenceStartEvent | yaml.MappingStartEvent):
            counts.append(1)
            heights.append(0)
            anchors.append(None if ev.anchor is None else str(ev.anchor))
        elif counts:
            counts[-1] += n
            heights[-1] = max(heights[-1], h)


def _line(mark: yaml.Mark | None) -> int:
    return mark.line + 1 if mark is not None else 1


def _unshare(obj: Any) -> Any:
    """A copy in which no two places share an object (YAML aliases become copies), so an
    ``extends:`` override of one place cannot leak into its aliases."""
    if isinstance(obj, dict):
        return {k: _unshare(v) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_unshare(v) for v in obj]
    return obj


def _walk(
    node: yaml.Node,
    key: Key,
    name: str,
    origins: dict[Key, Origin],
    _open: frozenset[int] = frozenset(),
) -> None:
    if id(node) in _open:
        raise ScenarioError(
            f"{name}:{node.start_mark.line + 1}: {'.'.join(key)}: a YAML alias refers to itself"
        )
    _open = _open | {id(node)}
    bad_tag = _tag_problem(node)
    if bad_tag is None and node.tag == "tag:yaml.org,2002:int" and len(node.value) > MAX_DIGITS:
        # int() of it is slow (quadratic) or refused (Python's 4,300-digit limit), and no
        # float holds it: refuse before constructing
        bad_tag = f"an integer of {len(node.value):,} characters (at most {MAX_DIGITS} allowed)"
    if bad_tag is not None:
        field = ".".join(key) or "(top level)"
        raise ScenarioError(f"{name}:{node.start_mark.line + 1}: {field}: {bad_tag}")
    origins[key] = Origin(name, node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        seen: dict[str, int] = {}
        merges: list[yaml.Node] = []
        for knode, vnode in node.value:
            if knode.tag == "tag:yaml.org,2002:merge":  # `<<: *anchor`, resolved below
                merges.extend(vnode.value if isinstance(vnode, yaml.SequenceNode) else [vnode])
                continue
            key_tag = _tag_problem(knode)
            if key_tag is not None or not isinstance(knode, yaml.ScalarNode):
                field = ".".join(key) or "(top level)"
                raise ScenarioError(
                    f"{name}:{knode.start_mark.line + 1}: {field}: "
                    + (key_tag or "a key must be plain text, not a mapping or list")
                )
            k = str(knode.value)
            if k in seen:
                raise ScenarioError(
                    f"{name}:{knode.start_mark.line + 1}: duplicate key {'.'.join((*key, k))!r} "
                    f"(first at line {seen[k]})"
                )
            seen[k] = knode.start_mark.line + 1
            _walk(vnode, (*key, k), name, origins, _open)
            origins[(*key, k)] = Origin(
                name, knode.start_mark.line + 1, knode.start_mark.column + 1
            )
        for m in merges:  # merged keys: explicit keys win, the first merge wins
            if isinstance(m, yaml.MappingNode):
                for knode, vnode in m.value:
                    k = str(knode.value)
                    if k not in seen:
                        seen[k] = knode.start_mark.line + 1
                        _walk(vnode, (*key, k), name, origins, _open)
                        origins[(*key, k)] = Origin(
                            name, knode.start_mark.line + 1, knode.start_mark.column + 1
                        )
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, (*key, str(i)), name, origins, _open)


def load_data(path: str | Path, _stack: tuple[Path, ...] = (), *, where: str = "") -> Provenance:
    """Read ``path`` and the chain of files it ``extends``: the merged data and where each
    value was written.

    A problem in a parent file is prefixed with the ``extends:`` line of each file below it
    (``a.yaml:3: extends: b.yaml:7: field: ...``); a cycle names every file in it.
    ``where`` (``FILE:LINE: field`` of the reference that named ``path``, e.g. a sweep's
    ``scenario:``) prefixes every message about reading the files.
    """
    _where = where
    p = Path(path)
    if "\x00" in str(p):  # the OS cannot open it, and pathlib raises ValueError
        raise ScenarioError(f"{where + ': ' if where else ''}{str(p)!r}: not a valid file name")
    resolved = p.resolve()
    if resolved in _stack:
        chain = " -> ".join(str(s) for s in (*_stack, resolved))
        raise ScenarioError(f"{_where or p}: extends cycle: {chain}")
    data, origins = read_yaml(p, where=_where)
    parent_ref = data.get("extends")
    if parent_ref is None:
        return Provenance(data, origins, {}, (str(p),))
    at = f"{origins.get(('extends',)) or p}: extends"
    if not isinstance(parent_ref, str) or not parent_ref.strip() or "\x00" in parent_ref:
        raise ScenarioError(
            f"{_where + ': ' if _where else ''}{at}: must be a file path, got {parent_ref!r}"
        )
    parent_path = (
        (p.parent / parent_ref) if not Path(parent_ref).is_absolute() else Path(parent_ref)
    )
    if _where:
        at = f"{_where}: {at}"
    if not parent_path.exists():
        raise ScenarioError(f"{at}: file not found: {parent_ref} (looked for {parent_path})")
    if parent_path.resolve() in (*_stack, resolved):
        chain = " -> ".join(str(x) for x in (*_stack, resolved, parent_path.resolve()))
        raise ScenarioError(f"{at}: cycle: {chain}")
    parent = load_data(parent_path, (*_stack, resolved), where=at)
    merged = copy.deepcopy(parent.data)
    merged.pop("extends", None)
    out_origins = dict(parent.origins)
    overridden = {k: list(v) for k, v in parent.overridden.items()}
    _merge(merged, data, (), out_origins, origins, overridden)
    merged["extends"] = parent_ref
    return Provenance(
        merged,
        out_origins,
        {k: tuple(v) for k, v in overridden.items()},
        (*parent.files, str(p)),
    )


def _merge(
    base: dict[str, Any],
    child: Mapping[str, Any],
    key: Key,
    origins: dict[Key, Origin],
    child_origins: dict[Key, Origin],
    overridden: dict[Key, list[Origin]],
) -> None:
    for k, v in child.items():
        kk = (*key, str(k))  # origins use text keys; YAML year keys load as int
        old = base.get(k)
        if k in base and kk in origins:
            overridden.setdefault(kk, []).append(origins[kk])
        if v is None:
            if k in base:
                base.pop(k)
                _drop(origins, kk)
            else:  # deletes nothing: keep it so validation names it (often a stray comma)
                base[k] = None
                origins.update({p: o for p, o in child_origins.items() if p[: len(kk)] == kk})
            continue
        if isinstance(v, dict) and isinstance(old, dict) and not _retagged(old, v):
            origins[kk] = child_origins.get(kk, origins.get(kk, Origin("?", 0)))
            _merge(old, v, kk, origins, child_origins, overridden)
        else:
            base[k] = copy.deepcopy(v)
            _drop(origins, kk)
            origins.update({p: o for p, o in child_origins.items() if p[: len(kk)] == kk})


def _retagged(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    return any(t in new and old.get(t) != new[t] for t in MERGE_TAGS)


def _drop(origins: dict[Key, Origin], key: Key) -> None:
    for p in [p for p in origins if p[: len(key)] == key]:
        del origins[p]


def load_scenario(path: str | Path) -> Scenario:
    """Load and validate a scenario file (with its ``extends`` chain).

    The scenario's :attr:`~clustersim.scenario.models.Scenario.provenance` says where each
    value was written; :func:`load` returns it beside the scenario.

    Raises
    ------
    ScenarioError
        With one ``file:line: field.path: message`` line per problem.
    """
    return validate_loaded(load_data(path))


def load(path: str | Path) -> tuple[Scenario, Provenance]:
    """Load and validate a scenario file: the scenario and where each value was written.

    Raises
    ------
    ScenarioError
        With one ``file:line: field.path: message`` line per problem.
    """
    prov = load_data(path)
    return validate_loaded(prov), prov


def validate_loaded(loaded: Provenance) -> Scenario:
    """Validate merged data; errors name the file and line each field was written at."""
    try:
        sc = Scenario.model_validate(loaded.data)
    except ValidationError as exc:
        raise ScenarioError(format_validation_error(exc, loaded)) from exc
    sc._provenance = loaded  # the one place it is set
    return sc


def provenance(sc: Scenario) -> Provenance | None:
    """Where each value of ``sc`` was written, if it came from a file."""
    return sc.provenance


def format_validation_error(exc: ValidationError, loaded: Provenance) -> list[str]:
    """One line per pydantic error: ``file:line: field.path: message``."""
    lines: list[str] = []
    seen: set[tuple[Key, str]] = set()
    errors = [(_data_path(e["loc"], loaded.data), e) for e in exc.errors(include_url=False)]
    # keep the most specific error of a union (a label that is neither str nor {zh, en})
    locs = {loc for loc, _ in errors}
    errors = [
        (loc, e)
        for loc, e in errors
        if not (
            e["type"].endswith("_type") and any(o[: len(loc)] == loc and o != loc for o in locs)
        )
    ]
    for loc, err in errors:
        msg = _message(err, loc, loaded.data)
        at = _AT.match(msg)
        if at:  # a whole-model check naming the field it is about
            loc = tuple(at.group(1).split("."))
            msg = at.group(2)
        if (loc, msg) in seen:
            continue
        seen.add((loc, msg))
        origin = loaded.where(loc)
        dotted = ".".join(loc) or "(top level)"
        lines.append(f"{origin or loaded.files[-1]}: {dotted}: {msg}")
    return lines


def _data_path(loc: tuple[int | str, ...], data: Any) -> Key:
    """Drop pydantic's union tags from ``loc`` so it addresses the YAML data."""
    out: list[str] = []
    cur = data
    for part in loc:
        s = str(part)
        if isinstance(cur, dict) and s in cur:
            out.append(s)
            cur = cur[s]
        elif isinstance(cur, list) and isinstance(part, int) and part < len(cur):
            out.append(s)
            cur = cur[part]
        elif isinstance(cur, dict) and s not in cur and not _is_tag(s):
            out.append(s)  # a missing or extra field
            cur = None
        # else: a union tag or a function-validator marker; skip
    return tuple(out)


def _is_tag(s: str) -> bool:
    return (
        s in (*NUM_TAGS, "str", "int", "float", "BiLabel")
        or "[" in s
        or s.startswith("function-")
        or s in _ALL_TAGS
    )


def _message(err: Any, loc: Key, data: Any = None) -> str:
    typ = err["type"]
    if typ == "extra_forbidden":
        allowed = _allowed_fields(loc[:-1], data)
        hint = did_you_mean(loc[-1], allowed, cutoff=0.5) if loc else ""
        if loc and (loc[-1][:1].isdigit() or allowed == ["zh", "en"]):
            hint += " (a comma inside {zh: ..., en: ...} splits the text: put it in quotes)"
        return f"unknown field{hint}" + (f" (allowed: {', '.join(allowed)})" if allowed else "")
    if typ == "missing":
        return "required field missing"
    if typ == "union_tag_invalid":
        ctx = err.get("ctx", {})
        tags = [t.strip(" '") for t in str(ctx.get("expected_tags", "")).split(",")]
        hint = did_you_mean(str(ctx.get("tag")), tags)
        disc = str(ctx.get("discriminator", "kind")).strip("'")
        return f"unknown {disc} {ctx.get('tag')!r}{hint} (allowed: {', '.join(tags)})"
    if typ == "union_tag_not_found":
        return f"needs {err.get('ctx', {}).get('discriminator', 'kind')}"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    val = err.get("input")
    if typ not in ("model_type",) and not isinstance(val, dict | list) and val is not None:
        msg += f" (got {val!r})"
    return msg


# --- finding the model class at a data path, for "did you mean" suggestions --------------


def _tags(tp: Any) -> dict[str, type[BaseModel]]:
    out: dict[str, type[BaseModel]] = {}
    for m in _members(tp):
        if isinstance(m, type) and issubclass(m, BaseModel):
            for tag_field in MERGE_TAGS:
                f = m.model_fields.get(tag_field)
                if f is not None:
                    for v in typing.get_args(f.annotation) or (f.default,):
                        if isinstance(v, str):
                            out[v] = m
    return out


def _members(tp: Any) -> list[Any]:
    origin = typing.get_origin(tp)
    if origin is typing.Annotated:
        return _members(typing.get_args(tp)[0])
    if origin in (typing.Union, types.UnionType):
        return [x for a in typing.get_args(tp) for x in _members(a)]
    return [tp]


_ALL_TAGS: frozenset[str] = frozenset()


def _allowed_fields(loc: Key, data: Any = None) -> list[str]:
    """Field names of the model at ``loc`` in the scenario, best effort.

    Where the model is one of a tagged union (a growth or target kind), the tag in
    ``data`` at ``loc`` picks the member.
    """
    cur: list[Any] = [Scenario]
    node = data
    for part in loc:
        node = node.get(part) if isinstance(node, dict) else None
        nxt: list[Any] = []
        for tp in cur:
            for m in _members(tp):
                if isinstance(m, type) and issubclass(m, BaseModel):
                    f = m.model_fields.get(part)
                    if f is not None:
                        nxt.append(f.annotation)
                elif typing.get_origin(m) is dict:
                    nxt.append(typing.get_args(m)[1])
                elif typing.get_origin(m) in (list, tuple):
                    nxt.append(typing.get_args(m)[0])
        cur = nxt
        if not cur:
            return []
    members = [
        m for tp in cur for m in _members(tp) if isinstance(m, type) and issubclass(m, BaseModel)
    ]
    if isinstance(node, dict):
        for tag in MERGE_TAGS:
            chosen = [m for m in members if tag in node and _tags(m).get(str(node[tag])) is m]
            if chosen:
                members = chosen
                break
    names: list[str] = []
    for m in members:
        names.extend(n for n in m.model_fields if n not in names)
    return names


def _collect_tags() -> frozenset[str]:
    from clustersim.kinds.growth import Growth
    from clustersim.scenario.models import Indicator, Target
    from clustersim.values.numbers import Dist

    tags: set[str] = set()
    for tp in (Growth, Target, Indicator, Dist):
        tags.update(_tags(tp))
    return frozenset(tags)


_ALL_TAGS = _collect_tags()
