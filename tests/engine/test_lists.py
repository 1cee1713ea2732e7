"""List semantics: OUTPUT_IS_LIST outputs map the nodes downstream over their items,
INPUT_IS_LIST nodes take whole lists, and ui dicts of mapped calls are concatenated."""

from engine_client import pixel_values


def int_list(g, *values):
    stubs = [g.node("StubInt", value=v) for v in values]
    return g.node("TestMakeListNode", **{f"value{i}": s.out(0) for i, s in enumerate(stubs, start=1)})


def test_list_output_maps_the_next_node_over_each_item(client, builder):
    numbers = int_list(builder, 1, 2, 3)
    added = builder.node("TestIntMathOperation", a=numbers.out(0), b=10, operation="add")
    output = builder.node("TestValueOutput", value=added.out(0))

    result = client.run(builder)

    assert result.get_output(output) == {"values": [11, 12, 13]}


def test_shorter_list_repeats_its_last_item(client, builder):
    a = int_list(builder, 1, 2, 3)
    b = int_list(builder, 10, 20)
    added = builder.node("TestIntMathOperation", a=a.out(0), b=b.out(0), operation="add")
    output = builder.node("TestValueOutput", value=added.out(0))

    result = client.run(builder)

    assert result.get_output(output) == {"values": [11, 22, 23]}


def test_input_is_list_node_receives_the_whole_list_once(client, builder):
    numbers = int_list(builder, 4, 5, 6)
    accumulation = builder.node("TestListToAccumulationNode", list=numbers.out(0))
    length = builder.node("TestAccumulationGetLengthNode", accumulation=accumulation.out(0))
    output = builder.node("TestValueOutput", value=length.out(0))

    result = client.run(builder)

    assert result.get_output(output) == {"values": [3]}


def test_accumulation_round_trips_through_a_list(client, builder):
    g = builder
    first = g.node("TestAccumulateNode", to_add=g.node("StubInt", value=1).out(0))
    second = g.node("TestAccumulateNode", to_add=g.node("StubInt", value=2).out(0), accumulation=first.out(0))
    third = g.node("TestAccumulateNode", to_add=g.node("StubInt", value=3).out(0), accumulation=second.out(0))
    head = g.node("TestAccumulationHeadNode", accumulation=third.out(0))
    items = g.node("TestAccumulationToListNode", accumulation=head.out(0))
    doubled = g.node("TestIntMathOperation", a=items.out(0), b=2, operation="multiply")
    rest = g.node("TestValueOutput", value=doubled.out(0))
    first_item = g.node("TestValueOutput", value=head.out(1))

    result = client.run(g)

    assert result.get_output(rest) == {"values": [4, 6]}
    assert result.get_output(first_item) == {"values": [1]}


def test_accumulation_get_and_set_item(client, builder):
    g = builder
    numbers = int_list(g, 7, 8, 9)
    accumulation = g.node("TestListToAccumulationNode", list=numbers.out(0))
    replaced = g.node(
        "TestAccumulationSetItemNode",
        accumulation=accumulation.out(0),
        index=1,
        value=g.node("StubInt", value=0).out(0),
    )
    tail = g.node("TestAccumulationTailNode", accumulation=replaced.out(0))
    item = g.node("TestAccumulationGetItemNode", accumulation=tail.out(0), index=1)
    last = g.node("TestValueOutput", value=tail.out(1))
    middle = g.node("TestValueOutput", value=item.out(0))

    result = client.run(g)

    assert result.get_output(last) == {"values": [9]}
    assert result.get_output(middle) == {"values": [0]}


def test_output_node_over_a_list_of_images_saves_each(client, builder):
    g = builder
    images = [g.node("StubImage", content=c, height=32, width=32, batch_size=1) for c in ("BLACK", "WHITE")]
    image_list = g.node("TestMakeListNode", value1=images[0].out(0), value2=images[1].out(0))
    preview = g.node("PreviewImage", images=image_list.out(0))

    result = client.run(g)

    assert [pixel_values(img) for img in result.get_images(preview)] == [(0, 0), (255, 255)]
    assert [record["type"] for record in result.get_output(preview)["images"]] == ["temp", "temp"]


def test_mapped_lazy_node_and_rebatch_images(client, builder):
    g = builder
    values = g.node("TestMakeListNode", value1=0.0, value2=0.5, value3=1.0)
    mask = g.node("StubMask", value=values.out(0), height=64, width=64, batch_size=1)
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    rebatch = g.node("RebatchImages", images=mix.out(0), batch_size=3)
    save = g.node("SaveImage", images=rebatch.out(0))

    result = client.run(g)

    assert [pixel_values(img) for img in result.get_images(save)] == [(0, 0), (127, 127), (255, 255)]


def test_rebatch_images_splits_a_batch_into_a_list(client, builder):
    g = builder
    batch = g.node("StubImage", content="WHITE", height=16, width=16, batch_size=5)
    rebatch = g.node("RebatchImages", images=batch.out(0), batch_size=2)
    first_pixels = g.node("TestValueOutput", value=rebatch.out(0))

    result = client.run(g)

    # Three batches (2, 2, 1): the output node is called once for each.
    assert result.get_output(first_pixels) == {"values": [1.0, 1.0, 1.0]}
