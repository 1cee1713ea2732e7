"""Node expansion: nodes that return a subgraph, loops built from it, and what the events say
about the ephemeral nodes an expansion adds."""

import pytest
from engine_client import ExecutionFailed, pixel_values

from comfyd.engine.events import Executing


@pytest.mark.parametrize("iterations", [1, 2, 4])
def test_for_loop_repeats_its_body(client, builder, iterations):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    is_changed = g.node("TestCustomIsChanged", should_change=True, image=white.out(0))
    for_open = g.node("TestForLoopOpen", remaining=iterations, initial_value1=is_changed.out(0))
    average = g.node("TestVariadicAverage", input1=black.out(0), input2=for_open.out(2))
    for_close = g.node("TestForLoopClose", flow_control=for_open.out(0), initial_value1=average.out(0))
    save = g.node("SaveImage", images=for_close.out(0))

    result = client.run(g)

    expected = 255 // (2**iterations)
    assert pixel_values(result.get_images(save)[0]) == (expected, expected)
    assert result.did_run(is_changed)


def test_for_loop_reruns_with_a_new_count_on_the_same_client(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    is_changed = g.node("TestCustomIsChanged", should_change=True, image=white.out(0))
    for_open = g.node("TestForLoopOpen", remaining=1, initial_value1=is_changed.out(0))
    average = g.node("TestVariadicAverage", input1=black.out(0), input2=for_open.out(2))
    for_close = g.node("TestForLoopClose", flow_control=for_open.out(0), initial_value1=average.out(0))
    save = g.node("SaveImage", images=for_close.out(0))

    for iterations in range(1, 5):
        for_open.set_input("remaining", iterations)
        result = client.run(g)
        expected = 255 // (2**iterations)
        assert pixel_values(result.get_images(save)[0]) == (expected, expected), iterations


def counting_while_loop(g, limit):
    """A while loop that adds 1 to a counter until it reaches `limit`; returns its nodes."""
    start = g.node("StubInt", value=0)
    loop_open = g.node("TestWhileLoopOpen", condition=True, initial_value0=start.out(0))
    add = g.node("TestIntMathOperation", a=loop_open.out(1), b=1, operation="add")
    below = g.node("TestIntConditions", a=add.out(0), b=limit, operation="<")
    loop_close = g.node(
        "TestWhileLoopClose", flow_control=loop_open.out(0), condition=below.out(0), initial_value0=add.out(0)
    )
    output = g.node("TestValueOutput", value=loop_close.out(0))
    return {"open": loop_open, "add": add, "below": below, "close": loop_close, "output": output}


def test_while_loop_runs_until_its_condition_fails(client, builder):
    nodes = counting_while_loop(builder, limit=5)

    result = client.run(builder)

    assert result.get_output(nodes["output"]) == {"values": [5]}


def test_loop_copies_show_their_progress_on_the_original_nodes(client, builder):
    nodes = counting_while_loop(builder, limit=3)

    result = client.run(builder)

    prompt_ids = {node.id for node in builder.nodes.values()}
    ephemeral = [e for e in result.events_of(Executing) if e.node not in prompt_ids]
    assert ephemeral, "the loop body never ran as expanded nodes"
    assert all(e.display_node in prompt_ids for e in ephemeral)
    add_copies = [e for e in ephemeral if e.display_node == nodes["add"].id]
    assert len(add_copies) == 2  # iterations 2 and 3 run copies of the "add" node


def test_expanded_nodes_run_with_ids_under_the_expanding_node(client, builder):
    values = builder.node("TestMakeListNode", value1=0.3)
    mixed = builder.node("TestMixedExpansionReturns", input1=values.out(0))
    builder.node("SaveImage", images=mixed.out(0))

    result = client.run(builder)

    prompt_ids = {node.id for node in builder.nodes.values()}
    expanded = [e for e in result.events_of(Executing) if e.node not in prompt_ids]
    assert {e.display_node for e in expanded} == {mixed.id}
    assert all(e.node.startswith(f"{mixed.id}.") for e in expanded)


def test_mixed_expansion_returns_merge_per_call_results(client, builder):
    values = builder.node("TestMakeListNode", value1=0.1, value2=0.2, value3=0.3)
    mixed = builder.node("TestMixedExpansionReturns", input1=values.out(0))
    dynamic = builder.node("SaveImage", images=mixed.out(0))
    literal = builder.node("SaveImage", images=mixed.out(1))

    result = client.run(builder)

    assert [pixel_values(img) for img in result.get_images(dynamic)] == [(25, 25), (51, 51), (76, 76)]
    assert [pixel_values(img) for img in result.get_images(literal)] == [(255, 255)] * 3


def test_expansion_results_are_reused_when_the_prompt_repeats(client, builder):
    values = builder.node("TestMakeListNode", value1=0.3)
    mixed = builder.node("TestMixedExpansionReturns", input1=values.out(0))
    save = builder.node("SaveImage", images=mixed.out(0))
    first = client.run(builder)

    again = client.run(builder)

    assert [pixel_values(i) for i in again.get_images(save)] == [
        pixel_values(i) for i in first.get_images(save)
    ]
    assert again.did_run(mixed) != client.caches_across_prompts


def test_error_inside_an_expansion_is_reported_on_the_expanding_node(client, builder):
    g = builder
    big = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    small = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    parallel = g.node(
        "TestParallelSleep",
        image1=big.out(0),
        image2=small.out(0),
        image3=big.out(0),
        sleep1=0.0,
        sleep2=0.0,
        sleep3=0.0,
    )
    g.node("SaveImage", images=parallel.out(0))

    with pytest.raises(ExecutionFailed) as caught:
        client.run(g)

    assert caught.value.data["node_id"] == parallel.id
    assert caught.value.data["node_type"] == "TestParallelSleep"
