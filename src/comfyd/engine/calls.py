"""Calling node functions: gathering inputs, mapping calls over lists, merging what they return.

Every node output is stored as a list of per-call values. A node is called once per element of
its longest input list (shorter lists repeat their last element), or once with whole lists when it
sets `INPUT_IS_LIST`. Outputs flagged in `OUTPUT_IS_LIST` are concatenated across calls.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from comfyd.engine.blocker import ExecutionBlocker
from comfyd.engine.context import check_interrupt, executing_node
from comfyd.engine.graph_builder import is_link
from comfyd.engine.registry import input_info

if TYPE_CHECKING:
    from comfyd.engine.prompt import DynamicPrompt
    from comfyd.engine.scheduler import ExecutionList

InputData = dict[str, list[Any]]

_HIDDEN_FROM_EXTRA_DATA = {
    "EXTRA_PNGINFO": "extra_pnginfo",
    "AUTH_TOKEN_COMFY_ORG": "auth_token_comfy_org",
    "API_KEY_COMFY_ORG": "api_key_comfy_org",
}


def gather_inputs(
    inputs: dict[str, Any],
    class_def: type,
    valid_inputs: dict[str, dict[str, Any]],
    unique_id: str,
    execution_list: ExecutionList | None = None,
    dynprompt: DynamicPrompt | None = None,
    extra_data: dict[str, Any] | None = None,
) -> tuple[InputData, set[str]]:
    """Resolve a node's inputs to per-call value lists; returns them and the unresolved names.

    Links resolve through the execution list (without one, as during validation, they are
    missing and read as None). Undeclared links are passed through (variadic nodes rely on it);
    undeclared constants are dropped. Hidden inputs are filled from the run.
    """
    data: InputData = {}
    missing: set[str] = set()
    for name, value in inputs.items():
        _, category, options = input_info(class_def, name, valid_inputs)
        if is_link(value) and not (options and options.get("rawLink", False)):
            cached = None if execution_list is None else execution_list.get_cache(value[0], unique_id)
            if cached is None or value[1] >= len(cached.outputs):
                missing.add(name)
                data[name] = [None]
            else:
                data[name] = cached.outputs[int(value[1])]
        elif category is not None:
            data[name] = [value]
    hidden = valid_inputs.get("hidden")
    if hidden:
        extra_data = extra_data or {}
        for name, kind in hidden.items():
            if kind == "PROMPT":
                data[name] = [dynprompt.get_original_prompt() if dynprompt is not None else {}]
            elif kind == "DYNPROMPT":
                data[name] = [dynprompt]
            elif kind == "UNIQUE_ID":
                data[name] = [unique_id]
            elif kind in _HIDDEN_FROM_EXTRA_DATA:
                data[name] = [extra_data.get(_HIDDEN_FROM_EXTRA_DATA[kind])]
    return data, missing


def _first_blocker(inputs: dict[str, Any], input_is_list: bool) -> ExecutionBlocker | None:
    for value in inputs.values():
        if input_is_list:
            for element in value:
                if isinstance(element, ExecutionBlocker):
                    return element
        elif isinstance(value, ExecutionBlocker):
            return value
    return None


async def map_node_over_list(
    prompt_id: str,
    unique_id: str,
    obj: Any,
    input_data: InputData,
    func_name: str,
    *,
    allow_interrupt: bool = False,
    on_block: Callable[[ExecutionBlocker], Any] | None = None,
    before_call: Callable[[int], None] | None = None,
) -> list[Any]:
    """Call `obj.<func_name>` once per list element (or once with lists); returns per-call results.

    An async function's call becomes a task; one that does not finish at once is returned as the
    pending `asyncio.Task`, so independent async nodes run concurrently.
    """
    input_is_list = getattr(obj, "INPUT_IS_LIST", False)
    func = getattr(obj, func_name)
    is_async = inspect.iscoroutinefunction(func)
    results: list[Any] = []

    async def call(inputs: dict[str, Any], index: int | None) -> None:
        if allow_interrupt:
            check_interrupt()
        blocker = _first_blocker(inputs, input_is_list)
        if blocker is not None:
            results.append(on_block(blocker) if on_block is not None else blocker)
            return
        if before_call is not None and index is not None:
            before_call(index)
        if is_async:
            results.append(await _start_task(func, inputs, prompt_id, unique_id, index))
        else:
            with executing_node(prompt_id, unique_id, index):
                results.append(func(**inputs))

    if input_is_list:
        await call(input_data, 0)
    else:
        count = max((len(values) for values in input_data.values()), default=0)
        if count == 0:
            await call({}, None)
        for index in range(count):
            await call({k: v[index if index < len(v) else -1] for k, v in input_data.items()}, index)
    return results


async def _start_task(func: Callable, inputs: dict[str, Any], prompt_id: str, unique_id: str, index: int | None):
    async def run() -> Any:
        with executing_node(prompt_id, unique_id, index):
            return await func(**inputs)

    task = asyncio.create_task(run())
    # Give the task one chance to finish without a round trip through the scheduler.
    await asyncio.sleep(0)
    return task.result() if task.done() else task


async def resolve_results(results: list[Any]) -> list[Any]:
    """Await any pending tasks among per-call results."""
    return [await r if isinstance(r, asyncio.Task) else r for r in results]


def has_pending_tasks(results: list[Any]) -> bool:
    return any(isinstance(r, asyncio.Task) and not r.done() for r in results)


def _blocked_tuple(result: Any, class_def: Any) -> Any:
    if isinstance(result, ExecutionBlocker):
        return tuple([result] * len(class_def.RETURN_TYPES))
    return result


def outputs_from_returns(returns: list[Any], class_def: Any) -> tuple[Any, dict[str, list], bool]:
    """Split per-call return values into `(outputs, merged ui, has_expansion)`.

    A call may return a tuple, an `ExecutionBlocker` (fills every output), or a dict with
    `result`, `ui` and/or `expand`. With an expansion, outputs are `[(graph | None, result)]`
    per call, to be resolved once the expanded nodes have run.
    """
    results: list[Any] = []
    uis: list[dict] = []
    expansions: list[tuple[Any, Any]] = []
    has_expansion = False
    for value in returns:
        if isinstance(value, dict):
            if "ui" in value:
                uis.append(value["ui"])
            if "expand" in value:
                has_expansion = True
                expansions.append((value["expand"], _blocked_tuple(value.get("result"), class_def)))
            elif "result" in value:
                result = _blocked_tuple(value.get("result"), class_def)
                results.append(result)
                expansions.append((None, result))
        else:
            result = _blocked_tuple(value, class_def)
            results.append(result)
            expansions.append((None, result))
    if has_expansion:
        outputs: Any = expansions
    elif results:
        outputs = merge_results(results, class_def)
    else:
        outputs = []
    ui = {key: [item for u in uis for item in u[key]] for key in uis[0]} if uis else {}
    return outputs, ui, has_expansion


def merge_results(results: list[Any], class_def: Any) -> list[list[Any]]:
    """Turn per-call result tuples into per-output value lists, concatenating list outputs."""
    width = len(results[0])
    is_list = getattr(class_def, "OUTPUT_IS_LIST", None) or (False,) * width
    merged = []
    for index, flagged in zip(range(width), is_list):
        if flagged:
            values: list[Any] = []
            for result in results:
                item = result[index]
                if isinstance(item, ExecutionBlocker):
                    values.append(item)
                else:
                    values.extend(item)
            merged.append(values)
        else:
            merged.append([result[index] for result in results])
    return merged
