"""Prompt validation with ComfyUI's rules and error JSON (`execution.validate_prompt`).

Validation starts from the output nodes (optionally narrowed by `partial_execution_targets`) and
follows links through declared inputs. Widget values are coerced in place (INT, FLOAT, STRING,
BOOLEAN) and checked against min, max and COMBO lists unless the node's `VALIDATE_INPUTS` takes
them over. A prompt is accepted when at least one output is valid; the others are reported in
`node_errors`.

The walk is iterative, so a long chain does not hit Python's recursion limit, and a static cycle
is reported as `dependency_cycle` instead of overflowing the stack.
"""

from __future__ import annotations

import inspect
import logging
import traceback
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from comfyd.engine.blocker import ExecutionBlocker
from comfyd.engine.calls import gather_inputs, map_node_over_list, resolve_results
from comfyd.engine.classinfo import ClassInfo
from comfyd.engine.prompt import Prompt
from comfyd.engine.registry import NodeRegistry, input_info
from comfyd.engine.typecheck import types_match

logger = logging.getLogger(__name__)

ErrorDict = dict[str, Any]


def error(type_: str, message: str, details: str = "", extra_info: dict | None = None) -> ErrorDict:
    return {"type": type_, "message": message, "details": details, "extra_info": extra_info or {}}


def full_type_name(cls: type) -> str:
    """`module.QualName`, or just the name for builtins, as ComfyUI reports exception types."""
    module = cls.__module__
    return cls.__qualname__ if module == "builtins" else f"{module}.{cls.__qualname__}"


@dataclass
class ValidationResult:
    """`ok` with the outputs to run, or `error`; `node_errors` may be non-empty either way."""

    ok: bool
    error: ErrorDict | None
    outputs: list[str] = field(default_factory=list)
    node_errors: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class _Verdict:
    valid: bool
    errors: list[ErrorDict]


async def validate_prompt(
    registry: NodeRegistry,
    prompt: Prompt,
    *,
    prompt_id: str,
    partial_execution_targets: Iterable[str] | None = None,
) -> ValidationResult:
    """Validate `prompt` (coercing its widget values in place) and pick the outputs to run."""
    targets = None if partial_execution_targets is None else set(partial_execution_targets)
    outputs = []
    for node_id, node in prompt.items():
        problem = _check_node_type(registry, node_id, node)
        if problem is not None:
            return ValidationResult(False, problem)
        if getattr(registry.classes[node["class_type"]], "OUTPUT_NODE", False) is True:
            if targets is None or node_id in targets:
                outputs.append(node_id)
    if not outputs:
        return ValidationResult(False, error("prompt_no_outputs", "Prompt has no outputs"))
    return await _Validator(registry, prompt, prompt_id).run(outputs)


def _check_node_type(registry: NodeRegistry, node_id: str, node: Any) -> ErrorDict | None:
    if not isinstance(node, dict) or "class_type" not in node:
        title = node.get("_meta", {}).get("title") if isinstance(node, dict) else None
        return error(
            "missing_node_type",
            f"Node '{title or f'ID #{node_id}'}' has no class_type. "
            "The workflow may be corrupted or a custom node is missing.",
            f"Node ID '#{node_id}'",
            {"node_id": node_id, "class_type": None, "node_title": title},
        )
    class_type = node["class_type"]
    if class_type not in registry:
        title = (node.get("_meta") or {}).get("title") or class_type
        return error(
            "missing_node_type",
            f"Node '{title}' not found. The custom node may not be installed.",
            f"Node ID '#{node_id}'",
            {"node_id": node_id, "class_type": class_type, "node_title": title},
        )
    if not isinstance(node.get("inputs", {}), dict):
        return error("invalid_prompt", "Node inputs must be an object.", f"Node ID '#{node_id}'")
    node.setdefault("inputs", {})
    return None


class _Validator:
    def __init__(self, registry: NodeRegistry, prompt: Prompt, prompt_id: str) -> None:
        self.registry = registry
        self.info = ClassInfo(registry)
        self.prompt = prompt
        self.prompt_id = prompt_id
        self.verdicts: dict[str, _Verdict] = {}

    async def run(self, outputs: list[str]) -> ValidationResult:
        good, failed = [], []
        node_errors: dict[str, dict[str, Any]] = {}
        for output in outputs:
            try:
                verdict = await self.validate(output)
            except Exception as exc:
                verdict = self.verdicts[output] = _Verdict(False, [_exception_error(exc, inner=False)])
            if verdict.valid:
                good.append(output)
                continue
            failed.append((output, verdict.errors))
            for node_id in self._upstream(output):
                found = self.verdicts.get(node_id)
                if found is not None and not found.valid and found.errors:
                    entry = node_errors.setdefault(
                        node_id,
                        {"errors": found.errors, "dependent_outputs": [], "class_type": self.prompt[node_id]["class_type"]},
                    )
                    entry["dependent_outputs"].append(output)
            logger.error("Failed to validate prompt for output %s; it will be ignored", output)
        if not good:
            details = "\n".join(f"{e['message']}: {e['details']}" for _, errors in failed for e in errors)
            problem = error("prompt_outputs_failed_validation", "Prompt outputs failed validation", details)
            return ValidationResult(False, problem, [], node_errors)
        return ValidationResult(True, None, good, node_errors)

    def _upstream(self, output: str) -> list[str]:
        """`output` and every node it reaches through linked inputs (whatever their verdict)."""
        seen, stack = {output}, [output]
        while stack:
            node = self.prompt.get(stack.pop())
            for value in (node or {}).get("inputs", {}).values():
                if isinstance(value, list) and len(value) == 2 and value[0] in self.prompt and value[0] not in seen:
                    seen.add(value[0])
                    stack.append(value[0])
        return list(seen)

    async def validate(self, root: str) -> _Verdict:
        """Validate `root` and what it links to, dependencies first."""
        stack: list[tuple[str, bool]] = [(root, False)]
        on_path: set[str] = set()
        while stack:
            node_id, deps_done = stack.pop()
            if node_id in self.verdicts:
                continue
            if deps_done:
                on_path.discard(node_id)
                try:
                    verdict = await self._validate_node(node_id)
                except Exception as exc:
                    verdict = _Verdict(False, [_exception_error(exc, inner=node_id != root)])
                self.verdicts[node_id] = verdict
                continue
            on_path.add(node_id)
            stack.append((node_id, True))
            for _, dep in self._followed_links(node_id):
                if dep in on_path:
                    self.verdicts[node_id] = _Verdict(False, [_cycle_error(dep, on_path)])
                    break
                if dep not in self.verdicts:
                    stack.append((dep, False))
        return self.verdicts[root]

    def _followed_links(self, node_id: str) -> list[tuple[str, str]]:
        """The `(input, upstream node)` pairs validation descends into: well-formed, type-correct links."""
        node = self.prompt[node_id]
        class_def = self.info.class_def(node["class_type"])
        valid_inputs = self.info.input_types(node["class_type"])
        checks_types = "input_types" not in _validate_params(class_def)[0]
        followed = []
        for name in _declared_inputs(valid_inputs):
            value = node["inputs"].get(name)
            if not (isinstance(value, list) and len(value) == 2) or value[0] not in self.prompt:
                continue
            received = self._return_type(value)
            expected, _, _ = input_info(class_def, name, valid_inputs)
            if received is not _MISSING and (not checks_types or types_match(received, expected)):
                followed.append((name, value[0]))
        return followed

    def _return_type(self, link: list) -> Any:
        source = self.prompt[link[0]]
        class_def = self.registry.get(source.get("class_type")) if isinstance(source, dict) else None
        try:
            return class_def.RETURN_TYPES[link[1]]
        except (AttributeError, IndexError, TypeError):
            return _MISSING

    async def _validate_node(self, node_id: str) -> _Verdict:
        node = self.prompt[node_id]
        class_def = self.info.class_def(node["class_type"])
        valid_inputs = self.info.input_types(node["class_type"])
        params, has_kwargs = _validate_params(class_def)
        errors: list[ErrorDict] = []
        valid = True
        received_types: dict[str, Any] = {}
        inputs = node["inputs"]
        for name in _declared_inputs(valid_inputs):
            input_type, category, options = input_info(class_def, name, valid_inputs)
            if name not in inputs:
                if category == "required":
                    errors.append(error("required_input_missing", "Required input is missing", name, {"input_name": name}))
                continue
            value = inputs[name]
            config = [input_type, options]
            if isinstance(value, list):
                problem, upstream_valid = self._check_link(name, value, input_type, config, params, received_types)
                valid = valid and upstream_valid
            else:
                problem = _check_constant(inputs, name, input_type, options, config, params, has_kwargs)
            if problem is not None:
                errors.append(problem)
        if params or has_kwargs:
            errors.extend(await self._custom_validation(node_id, class_def, valid_inputs, params, has_kwargs, received_types))
        return _Verdict(valid and not errors, errors)

    def _check_link(self, name, value, input_type, config, params, received_types) -> tuple[ErrorDict | None, bool]:
        if len(value) != 2:
            return error(
                "bad_linked_input",
                "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                name,
                {"input_name": name, "input_config": config, "received_value": value},
            ), True
        source_id = value[0]
        if source_id not in self.prompt:
            return error(
                "exception_during_validation",
                "Exception when validating node",
                f"Input '{name}' is linked to node '{source_id}', which is not in the prompt",
                {"input_name": name, "exception_type": "KeyError", "traceback": [], "linked_node": value},
            ), True
        received = self._return_type(value)
        if received is _MISSING:
            return error(
                "bad_linked_input",
                "Bad linked input, must be a length-2 list of [node_id, slot_index]",
                f"{name}: node '{source_id}' has no output {value[1]}",
                {"input_name": name, "input_config": config, "received_value": value},
            ), True
        received_types[name] = received
        if "input_types" not in params and not types_match(received, input_type):
            return error(
                "return_type_mismatch",
                "Return type mismatch between linked nodes",
                f"{name}, received_type({received}) mismatch input_type({input_type})",
                {"input_name": name, "input_config": config, "received_type": received, "linked_node": value},
            ), True
        upstream = self.verdicts.get(source_id)
        return None, upstream is None or upstream.valid

    async def _custom_validation(self, node_id, class_def, valid_inputs, params, has_kwargs, received_types):
        data, _ = gather_inputs(self.prompt[node_id]["inputs"], class_def, valid_inputs, node_id)
        chosen = {name: values for name, values in data.items() if has_kwargs or name in params}
        if "input_types" in params:
            chosen["input_types"] = [received_types]
        try:
            results = await resolve_results(
                await map_node_over_list(self.prompt_id, node_id, class_def, chosen, "VALIDATE_INPUTS")
            )
        except Exception as exc:
            return [_exception_error(exc, inner=False)]
        errors = []
        for name in chosen:
            for result in results:
                if result is True or isinstance(result, ExecutionBlocker):
                    continue
                details = name if result is False else f"{name} - {result}"
                errors.append(error("custom_validation_failed", "Custom validation failed for node", details, {"input_name": name}))
        return errors


_MISSING = object()


def _declared_inputs(valid_inputs: dict[str, dict[str, Any]]) -> list[str]:
    names = list(valid_inputs.get("required") or {})
    names += [n for n in (valid_inputs.get("optional") or {}) if n not in names]
    return names


def _validate_params(class_def: type) -> tuple[list[str], bool]:
    """The argument names of `VALIDATE_INPUTS` and whether it takes `**kwargs`."""
    func = getattr(class_def, "VALIDATE_INPUTS", None)
    if func is None:
        return [], False
    spec = inspect.getfullargspec(func)
    return spec.args, spec.varkw is not None


def _check_constant(inputs, name, input_type, options, config, params, has_kwargs) -> ErrorDict | None:
    """Coerce a widget value in place and check min, max and COMBO membership."""
    value = inputs[name]
    try:
        if isinstance(value, dict) and "__value__" in value:
            value = inputs[name] = value["__value__"]
        converter = _CONVERTERS.get(input_type) if isinstance(input_type, str) else None
        if converter is not None:
            value = inputs[name] = converter(value)
    except Exception as exc:
        return error(
            "invalid_input_type",
            f"Failed to convert an input value to a {input_type} value",
            f"{name}, {value}, {exc}",
            {"input_name": name, "input_config": config, "received_value": value, "exception_message": str(exc)},
        )
    if name in params or has_kwargs:
        return None
    extra = {"input_name": name, "input_config": config, "received_value": value}
    if "min" in options and value < options["min"]:
        return error("value_smaller_than_min", f"Value {value} smaller than min of {options['min']}", name, extra)
    if "max" in options and value > options["max"]:
        return error("value_bigger_than_max", f"Value {value} bigger than max of {options['max']}", name, extra)
    combo = input_type if isinstance(input_type, list) else options.get("options") if input_type == "COMBO" else None
    if combo is not None and value not in combo:
        if len(combo) > 20:
            listing, extra = f"(list of length {len(combo)})", {**extra, "input_config": None}
        else:
            listing = str(combo)
        return error("value_not_in_list", "Value not in list", f"{name}: '{value}' not in {listing}", extra)
    return None


_CONVERTERS = {"INT": int, "FLOAT": float, "STRING": str, "BOOLEAN": bool}


def _exception_error(exc: BaseException, *, inner: bool) -> ErrorDict:
    kind = "exception_during_inner_validation" if inner else "exception_during_validation"
    message = "Exception when validating inner node" if inner else "Exception when validating node"
    return error(
        kind,
        message,
        str(exc),
        {
            "exception_type": full_type_name(type(exc)),
            "exception_message": str(exc),
            "traceback": traceback.format_tb(exc.__traceback__),
        },
    )


def _cycle_error(node_id: str, on_path: set[str]) -> ErrorDict:
    return error(
        "dependency_cycle",
        "Dependency cycle detected",
        f"Node '{node_id}' depends on itself through its inputs",
        {"cycle_nodes": sorted(on_path)},
    )
