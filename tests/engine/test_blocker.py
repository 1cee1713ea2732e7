"""ExecutionBlocker: an output value that stops the nodes consuming it, silently or with one
`execution_error` of type "ExecutionBlocked" that does not end the run."""

from engine_client import pixel_values

from comfyd.engine.events import ExecutionError, ExecutionSuccess


def test_blocker_in_a_list_blocks_only_its_item(client, builder):
    g = builder
    images = [
        g.node("StubImage", content=content, height=32, width=32, batch_size=1)
        for content in ("BLACK", "WHITE", "BLACK")
    ]
    image_list = g.node("TestMakeListNode", **{f"value{i}": img.out(0) for i, img in enumerate(images, 1)})
    ints = [g.node("StubInt", value=v) for v in (1, 2, 3)]
    int_list = g.node("TestMakeListNode", **{f"value{i}": n.out(0) for i, n in enumerate(ints, 1)})
    is_two = g.node("TestIntConditions", a=int_list.out(0), b=2, operation="==")
    blocker = g.node("TestExecutionBlocker", input=image_list.out(0), block=is_two.out(0), verbose=False)
    relisted = g.node("TestMakeListNode", value1=blocker.out(0))
    output = g.node("PreviewImage", images=relisted.out(0))

    result = client.run(g)

    assert result.did_run(output)
    assert [pixel_values(img) for img in result.get_images(output)] == [(0, 0), (0, 0)]
    assert result.blocks == []


def test_blocked_async_item_is_left_out_of_the_output(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    sleep1 = g.node("TestSleep", value=black.out(0), seconds=0.05)
    sleep2 = g.node("TestSleep", value=white.out(0), seconds=0.05)
    image_list = g.node("TestMakeListNode", value1=sleep1.out(0), value2=sleep2.out(0))
    ints = g.node(
        "TestMakeListNode", value1=g.node("StubInt", value=1).out(0), value2=g.node("StubInt", value=2).out(0)
    )
    is_two = g.node("TestIntConditions", a=ints.out(0), b=2, operation="==")
    blocker = g.node("TestExecutionBlocker", input=image_list.out(0), block=is_two.out(0), verbose=False)
    output = g.node("PreviewImage", images=blocker.out(0))

    result = client.run(g)

    assert [pixel_values(img) for img in result.get_images(output)] == [(0, 0)]


def blocked_chain(g, *, verbose):
    image = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    blocker = g.node("TestExecutionBlocker", input=image.out(0), block=True, verbose=verbose)
    consumer = g.node("TestCustomIsChanged", image=blocker.out(0))
    blocked_output = g.node("PreviewImage", images=consumer.out(0))
    other_output = g.node("SaveImage", images=image.out(0))
    return {"consumer": consumer, "blocked_output": blocked_output, "other_output": other_output}


def test_silent_blocker_stops_everything_downstream(client, builder):
    nodes = blocked_chain(builder, verbose=False)

    result = client.run(builder)

    assert result.get_output(nodes["blocked_output"]) is None
    assert len(result.get_images(nodes["other_output"])) == 1
    assert result.blocks == []
    assert result.result.status_str == "success"


def test_blocker_with_a_message_reports_once_and_the_run_goes_on(client, builder):
    nodes = blocked_chain(builder, verbose=True)

    result = client.run(builder)

    [block] = result.blocks
    assert block.node_id == nodes["consumer"].id
    assert block.node_type == "TestCustomIsChanged"
    assert block.exception_message == "Execution Blocked: Blocked Execution"
    assert block.data()["current_inputs"] == [] and block.data()["current_outputs"] == []
    assert block.data()["traceback"] == []
    assert "timestamp" not in block.data()
    assert block.data()["prompt_id"] == result.prompt_id
    assert result.get_output(nodes["blocked_output"]) is None
    assert len(result.get_images(nodes["other_output"])) == 1
    assert isinstance(result.events[-1], ExecutionSuccess)
    assert result.result.status_str == "success"
    assert not [e for e in result.events_of(ExecutionError) if e.exception_type != "ExecutionBlocked"]


def test_blocker_returned_for_the_whole_result_blocks_every_output(client, builder):
    g = builder
    value = g.node("StubInt", value=1)
    block = g.node("TestBlockOutputs", value=value.out(0), message="")
    first = g.node("TestValueOutput", value=block.out(0))
    second = g.node("TestValueOutput", value=block.out(1))
    unaffected = g.node("TestValueOutput", value=value.out(0))

    result = client.run(g)

    assert result.get_output(first) is None
    assert result.get_output(second) is None
    assert result.get_output(unaffected) == {"values": [1]}
