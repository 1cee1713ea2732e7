"""Checks the SDK's endpoints (`Endpoint`: method, path, query, body and response models)
against a server's OpenAPI document, and says where they drifted apart.

For every endpoint the server must have the operation; every query parameter the SDK sends
must be declared (when the operation declares its query at all: ComfyUI routes that read it by
hand declare none); and every field of the SDK's request and response models must exist, under
the same wire name and a compatible JSON type, in the server's schema, all the way down. A
field the SDK requires must be one the server always sends.
"""

from __future__ import annotations

import datetime
import re
import types
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from pydantic import BaseModel

from comfyd.client._calls import Endpoint

JSON_TYPES: dict[Any, set[str]] = {
    str: {"string"},
    int: {"integer"},
    float: {"number", "integer"},
    bool: {"boolean"},
    datetime.datetime: {"string"},
}


def drift(document: dict, endpoints: Iterable[Endpoint], *, strip: str = "") -> list[str]:
    """Every mismatch between `endpoints` and `document`; `strip` is a path prefix the server's
    document leaves out (ComfyUI's `api/` twins are not in the schema)."""
    problems: list[str] = []
    for endpoint in endpoints:
        path = endpoint.path.removeprefix(strip)
        where = f"{endpoint.method} /{path}"
        operation = _operation(document, endpoint.method, path)
        if operation is None:
            problems.append(f"{where}: the server has no such operation")
            continue
        problems += _check_query(operation, endpoint, where)
        checker = _Checker(document)
        if endpoint.body is not None:
            problems += checker.compare(endpoint.body, _request_schema(operation), f"{where} body")
        if endpoint.response is not None:
            schema = _response_schema(operation)
            if not schema:
                problems.append(f"{where}: the server declares no response schema")
            else:
                problems += checker.compare(endpoint.response, schema, f"{where} answer")
    return problems


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", "/" + path.strip("/"))


def _operation(document: dict, method: str, path: str) -> dict | None:
    for candidate, item in document.get("paths", {}).items():
        if _shape(candidate) == _shape(path) and method.lower() in item:
            return item[method.lower()]
    return None


def _check_query(operation: dict, endpoint: Endpoint, where: str) -> list[str]:
    declared = {p["name"] for p in operation.get("parameters", []) if p.get("in") == "query"}
    if not declared:
        return []
    return [
        f"{where}: the server does not declare query parameter {name!r}"
        for name in endpoint.query
        if name not in declared
    ]


def _request_schema(operation: dict) -> dict:
    return operation.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})


def _response_schema(operation: dict) -> dict:
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            return response.get("content", {}).get("application/json", {}).get("schema", {})
    return {}


class _Checker:
    def __init__(self, document: dict) -> None:
        self.schemas = document.get("components", {}).get("schemas", {})

    def resolve(self, schema: Mapping[str, Any]) -> dict:
        while "$ref" in schema:
            schema = self.schemas[schema["$ref"].rsplit("/", 1)[-1]]
        return dict(schema)

    def compare(self, kind: Any, schema: Mapping[str, Any], where: str) -> list[str]:
        schema = self.resolve(schema)
        kind = _without_none(kind)
        if kind is Any or not schema:
            return []
        alternatives = [self.resolve(s) for s in schema.get("anyOf", schema.get("oneOf", []))]
        alternatives = [s for s in alternatives if s.get("type") != "null"]
        if alternatives:
            outcomes = [self.compare(kind, option, where) for option in alternatives]
            return [] if any(not outcome for outcome in outcomes) else min(outcomes, key=len)
        if isinstance(kind, type) and issubclass(kind, BaseModel):
            return self._model(kind, schema, where)
        return self._value(kind, schema, where)

    def _value(self, kind: Any, schema: dict, where: str) -> list[str]:
        origin, args = typing.get_origin(kind), typing.get_args(kind)
        if origin in (typing.Union, types.UnionType):
            outcomes = [self.compare(arg, schema, where) for arg in args]
            return [] if any(not outcome for outcome in outcomes) else outcomes[0]
        if origin is typing.Literal:
            return []
        if origin in (list, Sequence):
            if schema.get("type") != "array":
                return [f"{where}: the SDK reads a list, the server sends {schema.get('type')}"]
            return self.compare(args[0], schema.get("items", {}), f"{where}[]")
        if origin is dict:
            if schema.get("type") != "object":
                return [f"{where}: the SDK reads an object, the server sends {schema.get('type')}"]
            values = schema.get("additionalProperties")
            return self.compare(args[1], values, f"{where}{{}}") if isinstance(values, dict) else []
        if origin is tuple:
            return self._positions(list(args), schema, where)
        expected = JSON_TYPES.get(kind)
        if expected is not None and schema.get("type") not in expected:
            return [f"{where}: the SDK reads {kind.__name__}, the server sends {schema.get('type')}"]
        return []

    def _positions(self, kinds: list[Any], schema: dict, where: str) -> list[str]:
        items = schema.get("prefixItems")
        if schema.get("type") != "array" or not isinstance(items, list) or len(items) < len(kinds):
            return [f"{where}: the SDK reads a {len(kinds)}-item array, the server sends {schema}"]
        return [p for i, kind in enumerate(kinds) for p in self.compare(kind, items[i], f"{where}[{i}]")]

    def _model(self, model: type[BaseModel], schema: dict, where: str) -> list[str]:
        order = getattr(model, "WIRE_ORDER", None)
        if order:  # a model the SDK builds from an array
            kinds = [model.model_fields[name].annotation for name in order]
            return self._positions(kinds, schema, where)
        if schema.get("type") != "object":
            return [f"{where}: the SDK reads {model.__name__}, the server sends {schema.get('type')}"]
        properties, required = schema.get("properties", {}), set(schema.get("required", []))
        problems = []
        for name, field in model.model_fields.items():
            wire = field.alias or name
            if wire not in properties:
                problems.append(f"{where}: {model.__name__}.{wire} is not in the server's schema")
                continue
            if field.is_required() and wire not in required:
                problems.append(
                    f"{where}: the SDK requires {model.__name__}.{wire}, which the server may leave out"
                )
            problems += self.compare(field.annotation, properties[wire], f"{where}.{wire}")
        return problems


def _without_none(kind: Any) -> Any:
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        rest = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        if len(rest) == 1:
            return rest[0]
        if len(rest) < len(typing.get_args(kind)):
            return typing.Union[tuple(rest)]  # noqa: UP007 (built from a runtime tuple)
    return kind
