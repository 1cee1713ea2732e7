"""Prompt validation: ComfyUI's error types and JSON, VALIDATE_INPUTS variants, coercion, and
which outputs a partially valid prompt still runs.

A rejected prompt is what ComfyUI answers with HTTP 400 `{"error", "node_errors"}`; the JSON is
compared after a JSON round trip, as a client would see it.
"""

import json

import pytest
from engine_client import PromptRejected, pixel_values

SEVENS = "7s are not allowed. I've never liked 7s."


@pytest.fixture
def client(classic_client):
    # Validation does not depend on the cache policy; one policy is enough.
    return classic_client


def rejection(client, graph, **kwargs):
    with pytest.raises(PromptRejected) as caught:
        client.run(graph, **kwargs)
    return json.loads(json.dumps(caught.value.error)), json.loads(json.dumps(caught.value.node_errors))


def error_details(node_errors, node):
    return sorted(error["details"] for error in node_errors[node.id]["errors"])


def error_types(node_errors, node):
    return sorted(error["type"] for error in node_errors[node.id]["errors"])


# -- VALIDATE_INPUTS with named inputs: constants reach it, the engine's checks are skipped ------


@pytest.mark.parametrize(
    "value, type_name",
    [pytest.param(5, "int", id="int"), pytest.param("foo", "str", id="string")],
)
def test_literal_rejected_by_validate_inputs_fails_for_each_input_it_takes(client, builder, value, type_name):
    validation = builder.node("TestCustomValidation1", input1=value, input2=3.0)
    save = builder.node("SaveImage", images=validation.out(0))

    error, node_errors = rejection(client, builder)

    message = f"Invalid type of input1: <class '{type_name}'>"
    assert error["type"] == "prompt_outputs_failed_validation"
    assert node_errors[validation.id]["class_type"] == "TestCustomValidation1"
    assert node_errors[validation.id]["dependent_outputs"] == [save.id]
    assert error_types(node_errors, validation) == ["custom_validation_failed"] * 2
    assert error_details(node_errors, validation) == [f"input1 - {message}", f"input2 - {message}"]
    first = node_errors[validation.id]["errors"][0]
    assert first["message"] == "Custom validation failed for node"
    assert first["extra_info"]["input_name"] in ("input1", "input2")


def test_literal_accepted_by_validate_inputs_runs(client, builder):
    validation = builder.node("TestCustomValidation1", input1=5.0, input2=3.0)
    save = builder.node("SaveImage", images=validation.out(0))

    result = client.run(builder)

    assert pixel_values(result.get_images(save)[0]) == (255, 255)


def test_linked_value_of_wrong_type_is_a_return_type_mismatch(client, builder):
    stub = builder.node("StubInt", value=5)
    validation = builder.node("TestCustomValidation1", input1=stub.out(0), input2=3.0)
    save = builder.node("SaveImage", images=validation.out(0))

    error, node_errors = rejection(client, builder)

    details = "input1, received_type(INT) mismatch input_type(IMAGE,FLOAT)"
    # The top-level details list only the output nodes' own errors; the save node has none.
    assert error == {
        "type": "prompt_outputs_failed_validation",
        "message": "Prompt outputs failed validation",
        "details": "",
        "extra_info": {},
    }
    assert node_errors == {
        validation.id: {
            "errors": [
                {
                    "type": "return_type_mismatch",
                    "message": "Return type mismatch between linked nodes",
                    "details": details,
                    "extra_info": {
                        "input_name": "input1",
                        "input_config": ["IMAGE,FLOAT", {}],
                        "received_type": "INT",
                        "linked_node": [stub.id, 0],
                    },
                }
            ],
            "dependent_outputs": [save.id],
            "class_type": "TestCustomValidation1",
        }
    }


def test_mask_linked_to_image_or_float_input_is_rejected(client, builder):
    stub = builder.node("StubMask", value=0.5, height=8, width=8, batch_size=1)
    validation = builder.node("TestCustomValidation1", input1=stub.out(0), input2=3.0)
    builder.node("SaveImage", images=validation.out(0))

    _, node_errors = rejection(client, builder)

    assert error_types(node_errors, validation) == ["return_type_mismatch"]


def test_comma_separated_input_type_accepts_any_of_its_types(client, builder):
    stub = builder.node("StubFloat", value=5.0)
    validation = builder.node("TestCustomValidation1", input1=stub.out(0), input2=3.0)
    save = builder.node("SaveImage", images=validation.out(0))

    result = client.run(builder)

    assert pixel_values(result.get_images(save)[0]) == (255, 255)


def named_range_graph(g, value, limit):
    image = g.node("StubImage", content="BLACK", height=8, width=8, batch_size=1)
    node = g.node("TestNamedRangeValidation", value=value, limit=limit, image=image.out(0))
    g.node("PreviewImage", images=node.out(0))
    return node


def test_inputs_named_by_validate_inputs_skip_min_and_max(client, builder, engine_registry):
    calls = engine_registry.get("TestNamedRangeValidation").validate_calls
    calls.clear()
    named_range_graph(builder, value=5.0, limit=1)

    result = client.run(builder)

    assert result.result.status_str == "success"
    # Constants arrive coerced; the linked image arrives as None.
    assert calls == [{"value": 5.0, "image": None}]


def test_inputs_not_named_by_validate_inputs_keep_min_and_max(client, builder):
    node = named_range_graph(builder, value=0.25, limit=11)

    _, node_errors = rejection(client, builder)

    assert error_types(node_errors, node) == ["value_bigger_than_max"]
    assert node_errors[node.id]["errors"][0]["details"] == "limit"


def test_validate_inputs_message_is_reported_for_each_input_it_takes(client, builder):
    node = named_range_graph(builder, value=0.5, limit=1)

    _, node_errors = rejection(client, builder)

    message = "halves are not allowed"
    assert error_details(node_errors, node) == [f"image - {message}", f"value - {message}"]
    assert sorted(e["extra_info"]["input_name"] for e in node_errors[node.id]["errors"]) == ["image", "value"]


# -- VALIDATE_INPUTS(input_types, ...): the node checks link types itself ----------------------


@pytest.mark.parametrize(
    "node_type", ["TestCustomValidation2", "TestCustomValidation3"], ids=["input_types", "variant-types"]
)
@pytest.mark.parametrize(
    "stub_type, value, accepted",
    [pytest.param("StubInt", 5, False, id="int"), pytest.param("StubFloat", 5.0, True, id="float")],
)
def test_validate_inputs_with_input_types_decides_link_types(
    client, builder, node_type, stub_type, value, accepted
):
    stub = builder.node(stub_type, value=value)
    validation = builder.node(node_type, input1=stub.out(0), input2=3.0)
    save = builder.node("SaveImage", images=validation.out(0))

    if accepted:
        assert len(client.run(builder).get_images(save)) == 1
        return
    _, node_errors = rejection(client, builder)
    # The engine skipped its own type check (no return_type_mismatch); the node refused instead.
    assert set(error_types(node_errors, validation)) == {"custom_validation_failed"}
    assert any("Invalid type of input1: INT" in d for d in error_details(node_errors, validation))


def test_validate_inputs_receives_received_types_of_links(client, builder):
    stub = builder.node("StubInt", value=5)
    validation = builder.node("TestCustomValidation2", input1=stub.out(0), input2=3.0)
    builder.node("SaveImage", images=validation.out(0))

    _, node_errors = rejection(client, builder)

    assert "input1 - Invalid type of input1: INT" in error_details(node_errors, validation)


@pytest.mark.parametrize(
    "stub_type, value, accepted",
    [pytest.param("StubInt", 5, False, id="int"), pytest.param("StubFloat", 5.0, True, id="float")],
)
def test_validate_inputs_without_input_types_keeps_the_link_type_check(
    client, builder, stub_type, value, accepted
):
    stub = builder.node(stub_type, value=value)
    validation = builder.node("TestCustomValidation4", input1=stub.out(0), input2=3.0)
    save = builder.node("SaveImage", images=validation.out(0))

    if accepted:
        assert len(client.run(builder).get_images(save)) == 1
        return
    _, node_errors = rejection(client, builder)
    assert error_types(node_errors, validation) == ["return_type_mismatch"]


# -- VALIDATE_INPUTS(**kwargs): min/max are the node's business -------------------------------


@pytest.mark.parametrize(
    "input2, accepted",
    [
        pytest.param(0.5, True, id="in-range"),
        pytest.param(5.0, True, id="above-declared-max"),
        pytest.param(7.0, False, id="refused-by-node"),
    ],
)
def test_validate_inputs_with_kwargs_skips_min_and_max(client, builder, input2, accepted):
    validation = builder.node("TestCustomValidation5", input1=0.0, input2=input2)
    save = builder.node("SaveImage", images=validation.out(0))

    if accepted:
        assert len(client.run(builder).get_images(save)) == 1
        return
    error, node_errors = rejection(client, builder)
    assert error_details(node_errors, validation) == [f"input1 - {SEVENS}", f"input2 - {SEVENS}"]


def test_async_validate_inputs_accepts_and_rejects(client, builder):
    validation = builder.node("TestAsyncValidation", value=5.0, threshold=10.0)
    builder.node("SaveImage", images=validation.out(0))
    assert client.run(builder).did_run(validation)

    validation.set_input("threshold", 3.0)
    _, node_errors = rejection(client, builder)

    assert error_details(node_errors, validation) == [
        "threshold - Value 5.0 exceeds threshold 3.0",
        "value - Value 5.0 exceeds threshold 3.0",
    ]


# -- the engine's own checks -------------------------------------------------------------------


def limits_graph(g, **overrides):
    inputs = {"count": 2, "ratio": 0.5, "mode": "first", "label": "x", "flag": False, **overrides}
    limits = g.node("TestLimits", **{k: v for k, v in inputs.items() if v is not None})
    g.node("PreviewImage", images=limits.out(0))
    return limits


@pytest.mark.parametrize(
    "overrides, expected",
    [
        pytest.param(
            {"count": 0},
            {
                "type": "value_smaller_than_min",
                "message": "Value 0 smaller than min of 1",
                "details": "count",
            },
            id="below-min",
        ),
        pytest.param(
            {"ratio": 1.5},
            {
                "type": "value_bigger_than_max",
                "message": "Value 1.5 bigger than max of 1.0",
                "details": "ratio",
            },
            id="above-max",
        ),
        pytest.param(
            {"mode": "fourth"},
            {
                "type": "value_not_in_list",
                "message": "Value not in list",
                "details": "mode: 'fourth' not in ['first', 'second', 'third']",
            },
            id="not-in-combo",
        ),
        pytest.param(
            {"mode": None},
            {"type": "required_input_missing", "message": "Required input is missing", "details": "mode"},
            id="required-missing",
        ),
    ],
)
def test_literal_widget_errors(client, builder, overrides, expected):
    limits = limits_graph(builder, **overrides)

    error, node_errors = rejection(client, builder)

    assert error["type"] == "prompt_outputs_failed_validation"
    [reported] = node_errors[limits.id]["errors"]
    assert {key: reported[key] for key in ("type", "message", "details")} == expected
    assert reported["extra_info"]["input_name"] == expected["details"].split(":")[0]


def test_min_max_error_carries_the_received_value_and_config(client, builder):
    limits = limits_graph(builder, count=11)

    _, node_errors = rejection(client, builder)

    [reported] = node_errors[limits.id]["errors"]
    assert reported["type"] == "value_bigger_than_max"
    assert reported["extra_info"] == {
        "input_name": "count",
        "input_config": ["INT", {"default": 1, "min": 1, "max": 10}],
        "received_value": 11,
    }


def test_widget_values_are_coerced_in_place(client, builder):
    limits = builder.node("TestLimits", count="3", ratio="0.25", mode="second", label=7, flag=1)
    builder.node("PreviewImage", images=limits.out(0))
    prompt = client.prompt_of(builder)

    validation = client.validate(prompt)

    assert validation.ok, validation
    inputs = prompt[limits.id]["inputs"]
    assert inputs == {"count": 3, "ratio": 0.25, "mode": "second", "label": "7", "flag": True}
    assert [type(inputs[k]) for k in ("count", "ratio", "label", "flag")] == [int, float, str, bool]


def test_value_that_cannot_be_coerced_is_an_invalid_input_type(client, builder):
    limits = limits_graph(builder, count="many")

    _, node_errors = rejection(client, builder)

    [reported] = node_errors[limits.id]["errors"]
    assert reported["type"] == "invalid_input_type"
    assert reported["message"] == "Failed to convert an input value to a INT value"
    assert reported["details"].startswith("count, many, ")


def test_wrapped_list_value_is_unwrapped(client, builder):
    output = builder.node("TestValueOutput", value={"__value__": [1, 2]})
    prompt = client.prompt_of(builder)

    validation = client.validate(prompt)

    assert validation.ok
    assert prompt[output.id]["inputs"]["value"] == [1, 2]


def test_list_that_is_not_a_link_is_a_bad_linked_input(client, builder):
    output = builder.node("TestValueOutput", value=["a", 0, 1])

    error, node_errors = rejection(client, builder)

    assert error_types(node_errors, output) == ["bad_linked_input"]
    # An output node's own errors are also summed up in the top-level details.
    assert error["details"] == "Bad linked input, must be a length-2 list of [node_id, slot_index]: value"


def test_missing_required_input_on_a_lazy_node_is_rejected(client, builder):
    # ComfyUI's "test_cycle_error": despite its name, the graph lacks a required input.
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    mask = g.node("StubMask", value=0.5, height=64, width=64, batch_size=1)
    mix1 = g.node("TestLazyMixImages", image1=black.out(0), mask=mask.out(0))
    mix2 = g.node("TestLazyMixImages", image1=mix1.out(0), image2=white.out(0), mask=mask.out(0))
    save = g.node("SaveImage", images=mix2.out(0))

    _, node_errors = rejection(client, g)

    assert node_errors[mix1.id]["errors"][0]["type"] == "required_input_missing"
    assert node_errors[mix1.id]["errors"][0]["details"] == "image2"
    assert node_errors[mix1.id]["dependent_outputs"] == [save.id]
    assert mix2.id not in node_errors  # invalid only because of its input, so not listed


def test_static_cycle_is_rejected(client, builder):
    g = builder
    mask = g.node("StubMask", value=0.5, height=64, width=64, batch_size=1)
    mix1 = g.node("TestLazyMixImages", mask=mask.out(0))
    mix2 = g.node("TestLazyMixImages", image1=mix1.out(0), image2=mix1.out(0), mask=mask.out(0))
    mix1.set_input("image1", mix2.out(0))
    mix1.set_input("image2", mix2.out(0))
    g.node("SaveImage", images=mix2.out(0))

    _, node_errors = rejection(client, g)

    assert {mix1.id, mix2.id} & set(node_errors)


# -- prompt-level errors ----------------------------------------------------------------------


def test_unknown_node_type_rejects_the_whole_prompt(client, builder):
    image = builder.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    builder.node("NoSuchNodeType", images=image.out(0))
    builder.node("SaveImage", images=image.out(0))

    error, node_errors = rejection(client, builder)

    assert error["type"] in ("invalid_prompt", "missing_node_type")
    assert "NoSuchNodeType" in error["message"] or error["extra_info"].get("class_type") == "NoSuchNodeType"
    assert node_errors == {}


def test_node_without_class_type_rejects_the_whole_prompt(client):
    prompt = {"1": {"inputs": {}}, "2": {"class_type": "TestValueOutput", "inputs": {"value": 1}}}

    error, _ = rejection(client, prompt)

    assert error["type"] in ("invalid_prompt", "missing_node_type")
    assert error["details"] == "Node ID '#1'"


def test_prompt_without_output_nodes_has_no_outputs(client, builder):
    builder.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)

    error, node_errors = rejection(client, builder)

    assert error == {
        "type": "prompt_no_outputs",
        "message": "Prompt has no outputs",
        "details": "",
        "extra_info": {},
    }
    assert node_errors == {}


def test_partially_valid_prompt_runs_the_valid_outputs_and_reports_the_rest(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    gone = g.node("StubImage", id="removeme", content="WHITE", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    mask = g.node("StubMask", value=0.5, height=64, width=64, batch_size=1)
    mix1 = g.node("TestLazyMixImages", image1=black.out(0), image2=gone.out(0), mask=mask.out(0))
    mix2 = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    save1 = g.node("SaveImage", images=mix1.out(0))
    save2 = g.node("SaveImage", images=mix2.out(0))
    g.remove_node("removeme")

    result = client.run(g)

    assert result.validation.outputs == [save2.id]
    assert list(result.validation.node_errors) == [mix1.id]
    assert result.validation.node_errors[mix1.id]["dependent_outputs"] == [save1.id]
    assert result.did_run(save2) and not result.did_run(save1) and not result.did_run(mix1)
    assert len(result.get_images(save2)) == 1 and result.get_images(save1) == []

    # The missing node put back, the same client runs both outputs.
    g.node("StubImage", id="removeme", content="WHITE", height=64, width=64, batch_size=1)
    assert len(client.run(g).get_images(save1)) == 1


def test_partially_valid_prompt_skips_outputs_with_invalid_widgets(client, builder):
    bad = limits_graph(builder, count=0)
    good = builder.node("TestValueOutput", value=1)

    result = client.run(builder)

    assert result.validation.outputs == [good.id]
    assert error_types(result.validation.node_errors, bad) == ["value_smaller_than_min"]
    assert result.get_output(good) == {"values": [1]}
    assert not result.did_run(bad)
