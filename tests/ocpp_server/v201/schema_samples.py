"""A complete, valid example of any OCPP 2.0.1 message, made from its official JSON schema.

Every property is filled in (not only the required ones), so that a handler meets every field it
may be sent: enums take their first value, strings a short text within maxLength ("date-time"
strings a fixed instant), numbers their minimum or 1, arrays one item. ``customData`` is left out:
it is the vendors' extension point and no handler reads it.
"""

from __future__ import annotations

from typing import Any

from ocpp_server.schemas import OCPP_201, read_schema

INSTANT = "2025-06-02T09:30:00Z"
"""Before the tests' clock (tests/ocpp_server/support.py NOW): no sample is dropped as from the future."""


def sample_payload(action: str, *, response: bool = False) -> dict[str, Any]:
    """A valid, complete payload of ``action``'s request (or response) in wire form."""
    schema = read_schema(OCPP_201, f"{action}{'Response' if response else 'Request'}.json")
    value = _instance(schema, schema.get("definitions", {}), name="")
    assert isinstance(value, dict)
    return value


def _instance(schema: dict[str, Any], definitions: dict[str, Any], *, name: str) -> Any:
    if "$ref" in schema:
        return _instance(definitions[schema["$ref"].rsplit("/", 1)[-1]], definitions, name=name)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        return {
            key: _instance(sub, definitions, name=key)
            for key, sub in schema.get("properties", {}).items()
            if key != "customData"
        }
    if kind == "array":
        return [_instance(schema["items"], definitions, name=name) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "string":
        if schema.get("format") == "date-time":
            return INSTANT
        return ("s-" + name)[: schema.get("maxLength", 36)] or "s"
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1.0))
    if kind == "boolean":
        return False
    # An untyped field (DataTransfer's data): any JSON.
    return "s-" + name
