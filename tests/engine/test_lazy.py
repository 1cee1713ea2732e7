"""Lazy inputs: an input declared `{"lazy": True}` is only evaluated if `check_lazy_status` asks."""

from engine_client import pixel_values


def test_lazy_input_that_is_not_needed_is_never_evaluated(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    mask = g.node("StubMask", value=0.0, height=64, width=64, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    output = g.node("SaveImage", images=mix.out(0))

    result = client.run(g)

    assert pixel_values(result.get_images(output)[0]) == (0, 0)
    assert result.did_run(black)
    assert not result.did_run(white)
    assert result.did_run(mask)
    assert result.did_run(mix)


def test_lazy_inputs_that_are_needed_are_evaluated(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    mask = g.node("StubMask", value=0.5, height=64, width=64, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    output = g.node("SaveImage", images=mix.out(0))

    result = client.run(g)

    assert pixel_values(result.get_images(output)[0]) == (127, 127)
    assert result.did_run(black) and result.did_run(white)


def test_only_the_second_lazy_input_is_evaluated_for_a_full_mask(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    mask = g.node("StubMask", value=1.0, height=64, width=64, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask.out(0))
    output = g.node("SaveImage", images=mix.out(0))

    result = client.run(g)

    assert pixel_values(result.get_images(output)[0]) == (255, 255)
    assert not result.did_run(black)
    assert result.did_run(white)


def test_async_check_lazy_status_chooses_the_inputs_to_evaluate(client, builder):
    g = builder
    first = g.node("StubInt", value=1)
    second = g.node("StubInt", value=2)
    choose = g.node("TestAsyncLazyCheck", input1=first.out(0), input2=second.out(0), condition=False)
    output = g.node("TestValueOutput", value=choose.out(0))

    result = client.run(g)

    assert result.get_output(output) == {"values": [2]}
    assert result.did_run(second)
    assert not result.did_run(first)


def test_a_lazily_skipped_async_node_never_runs(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    mask = g.node("StubMask", value=0.0, height=64, width=64, batch_size=1)
    sleep1 = g.node("TestSleep", value=black.out(0), seconds=0.05)
    sleep2 = g.node("TestSleep", value=white.out(0), seconds=0.05)
    mix = g.node("TestLazyMixImages", image1=sleep1.out(0), image2=sleep2.out(0), mask=mask.out(0))
    g.node("SaveImage", images=mix.out(0))

    result = client.run(g)

    assert result.did_run(sleep1)
    assert not result.did_run(sleep2)
    assert not result.did_run(white)
