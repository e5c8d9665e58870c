"""JSON Schema of a scenario file, for completion and checking in a planner's editor.

A file either is complete, or names a parent with `extends` and then may give any part of a
scenario (every key optional, since the parent supplies the rest).
"""

from __future__ import annotations

import copy
from typing import Any

from sim.scenario.extends import EXTENDS
from sim.scenario.model import Scenario

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_EXTENDS_PROPERTY = {
    "type": "string",
    "description": "Path of a scenario file this one builds on (deep merge; lists replace).",
}


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema that every scenario file (complete or `extends`) satisfies."""
    complete = Scenario.model_json_schema()
    definitions = complete.pop("$defs", {})
    partial = _without_required(copy.deepcopy(complete), prefix="Partial")
    partial["properties"][EXTENDS] = _EXTENDS_PROPERTY
    partial["required"] = [EXTENDS]
    partial_definitions = {
        f"Partial{name}": _without_required(copy.deepcopy(body), prefix="Partial")
        for name, body in definitions.items()
    }
    return {
        "$schema": SCHEMA_DIALECT,
        "title": "hubsim scenario",
        "description": Scenario.__doc__,
        "anyOf": [complete, partial],
        "$defs": definitions | partial_definitions,
    }


def _without_required(node: Any, prefix: str) -> Any:
    """Relax a schema node for files that extend another.

    Drops `required` everywhere, points `$ref`s at the partial copies, and turns `oneOf`
    into `anyOf` (partial alternatives may overlap).
    """
    if isinstance(node, dict):
        node.pop("required", None)
        node.pop("discriminator", None)
        if "oneOf" in node:
            node["anyOf"] = node.pop("oneOf")
        if isinstance(node.get("$ref"), str):
            node["$ref"] = node["$ref"].replace("#/$defs/", f"#/$defs/{prefix}")
        for value in node.values():
            _without_required(value, prefix)
    elif isinstance(node, list):
        for item in node:
            _without_required(item, prefix)
    return node
