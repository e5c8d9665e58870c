"""`extends: parent.yaml`: a scenario file built on another by deep merge.

Mappings are merged key by key; lists and scalars in the child replace the parent's. A
child mapping that names all of its parent's keys sets their order (which matters for hub
stages and priority classes); otherwise the parent's order stands and new keys follow. A
mapping of shares (priority classes, routes, staff groups) replaces the parent's whole. A
mapping whose tag (`kind`, `type`, `action` or `mode`) differs from the parent's replaces it
whole, so switching a distribution from gamma to exponential does not inherit `shape`. The
parent path is relative to the child's file; chains may be any length but not cycles.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sim.scenario.problems import KeyPath, Problem, ScenarioError
from sim.scenario.yaml_source import Document, read_yaml

EXTENDS = "extends"
TAG_KEYS = ("kind", "type", "action", "mode")
SHARE_MAPS = (
    ("hub", "priority_classes"),
    ("hub", "stages", "*", "routes", "*"),
    ("workforce", "sectors", "*", "staff_group_shares"),
    ("external", "*", "routes"),
    ("external", "*", "background_priority"),
)
"""Mappings of shares that must sum to 1: a child's replaces the parent's whole (merging
them would mix two sets of shares)."""


def _is_share_map(path: KeyPath) -> bool:
    return any(
        len(pattern) == len(path)
        and all(p in ("*", key) for p, key in zip(pattern, path, strict=True))
        for pattern in SHARE_MAPS
    )


def read_scenario_document(file: Path, chain: tuple[Path, ...] = ()) -> Document:
    """Read a scenario file and everything it extends, merged into one document."""
    file = Path(file)
    document = read_yaml(file)
    if not isinstance(document.data, dict):
        found = (
            "a list"
            if isinstance(document.data, list)
            else "an empty document"
            if document.data is None
            else repr(document.data)[:60]  # a whole text file, perhaps
        )
        raise ScenarioError(
            [Problem(file, 1, (), f"expected a mapping of scenario sections, found {found}")]
        )
    if EXTENDS not in document.data:
        return document
    parent_name = document.data[EXTENDS]
    line = document.lines[(EXTENDS,)][1]
    if not isinstance(parent_name, str) or not parent_name.strip():
        raise ScenarioError(
            [
                Problem(
                    file,
                    line,
                    (EXTENDS,),
                    f"expected the path of a scenario file, found {parent_name!r}",
                )
            ]
        )
    try:
        parent = (file.parent / parent_name).resolve()
        missing = "" if parent.is_file() else "is a directory" if parent.is_dir() else "not found"
    except (OSError, ValueError, RuntimeError) as error:
        # a name too long for the system, a NUL byte, or a loop of symbolic links
        reason = error.strerror if isinstance(error, OSError) else str(error)
        if isinstance(error, RuntimeError):
            reason = "a loop of symbolic links"
        raise ScenarioError(
            [Problem(file, line, (EXTENDS,), f"extends {parent_name[:60]!r}: {reason}")]
        ) from None
    here = file.resolve()
    if parent in (*chain, here):
        cycle = " -> ".join(p.name for p in (*chain, here, parent))
        raise ScenarioError([Problem(file, line, (EXTENDS,), f"extends forms a cycle: {cycle}")])
    if missing:
        raise ScenarioError(
            [Problem(file, line, (EXTENDS,), f"extends '{parent_name}': {missing} ({parent})")]
        )
    base = read_scenario_document(parent, (*chain, here))
    child_data = {key: value for key, value in document.data.items() if key != EXTENDS}
    child_lines = {path: at for path, at in document.lines.items() if path[:1] != (EXTENDS,)}
    return merge(base, Document(child_data, child_lines))


def merge(base: Document, child: Document) -> Document:
    """Deep-merge `child` onto `base`, keeping the file and line each value came from."""
    data, replaced = merge_value(base.data, child.data, ())
    lines = {
        path: at
        for path, at in base.lines.items()
        if not any(path[: len(r)] == r and len(path) > len(r) for r in replaced)
    }
    lines.update(child.lines)
    return Document(data, lines)


def merge_value(base: Any, child: Any, path: KeyPath) -> tuple[Any, list[KeyPath]]:
    """`child` merged onto `base` by the rules above, as the value at key `path` (which
    decides whether it is a mapping of shares), and the key paths whose value `child`
    replaced whole."""
    replaced: list[KeyPath] = []
    return _merge_data(base, child, path, replaced), replaced


def _merge_data(base: Any, child: Any, path: KeyPath, replaced: list[KeyPath]) -> Any:
    both_maps = isinstance(base, dict) and isinstance(child, dict)
    if both_maps and not (_retagged(base, child) or _is_share_map(path)):
        # Order matters (stages in pathway order, classes most urgent first): a child that
        # names every key of the parent's mapping sets the order; otherwise the parent's
        # order stands and new keys follow it.
        merged = dict.fromkeys(child) if base.keys() <= child.keys() else dict(base)
        merged.update({key: base[key] for key in base if key not in merged})
        for key, value in child.items():
            merged[key] = (
                _merge_data(base[key], value, (*path, key), replaced) if key in base else value
            )
        return merged
    replaced.append(path)
    return child


def _retagged(base: dict, child: dict) -> bool:
    return any(key in child and key in base and child[key] != base[key] for key in TAG_KEYS)
