"""`partial_execution_targets`: run only the named output nodes and what they depend on."""

import pytest
from engine_client import PromptRejected


def test_included_output_runs_and_the_others_do_not(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    output1 = g.node("SaveImage", images=black.out(0))
    output2 = g.node("SaveImage", images=white.out(0))

    result = client.run(g, partial_execution_targets=[output1.id])

    assert result.was_executed(black) and result.was_executed(output1)
    assert not result.did_run(white) and not result.did_run(output2)
    assert len(result.get_images(output1)) == 1
    assert result.get_images(output2) == []
    assert result.validation.outputs == [output1.id]


def test_excluded_outputs_do_not_run(client, builder):
    g = builder
    inputs = [
        g.node("StubImage", content=c, height=32, width=32, batch_size=1) for c in ("BLACK", "WHITE", "NOISE")
    ]
    outputs = [g.node("SaveImage", images=image.out(0)) for image in inputs]

    result = client.run(g, partial_execution_targets=[outputs[0].id, outputs[2].id])

    assert result.was_executed(inputs[0]) and result.was_executed(inputs[2])
    assert result.was_executed(outputs[0]) and result.was_executed(outputs[2])
    assert not result.did_run(inputs[1]) and not result.did_run(outputs[1])


def test_output_nodes_a_target_depends_on_still_run(client, builder):
    g = builder
    image = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    socket_output = g.node("TestOutputNodeWithSocketOutput", image=image.out(0), value=2.0)
    mask = g.node("StubMask", value=0.5, height=32, width=32, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=socket_output.out(0), image2=image.out(0), mask=mask.out(0))
    final = g.node("SaveImage", images=mix.out(0))

    result = client.run(g, partial_execution_targets=[final.id])

    for node in (image, socket_output, mix, final):
        assert result.was_executed(node)


def test_lazy_evaluation_still_applies_to_targets(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    noise = g.node("StubImage", content="NOISE", height=32, width=32, batch_size=1)
    mask1 = g.node("StubMask", value=0.0, height=32, width=32, batch_size=1)
    mask2 = g.node("StubMask", value=0.5, height=32, width=32, batch_size=1)
    mix1 = g.node("TestLazyMixImages", image1=black.out(0), image2=white.out(0), mask=mask1.out(0))
    mix2 = g.node("TestLazyMixImages", image1=white.out(0), image2=noise.out(0), mask=mask2.out(0))
    output1 = g.node("SaveImage", images=mix1.out(0))
    output2 = g.node("SaveImage", images=mix2.out(0))

    result = client.run(g, partial_execution_targets=[output1.id])

    for node in (black, mask1, mix1, output1):
        assert result.was_executed(node)
    for node in (white, noise, mask2, mix2, output2):
        assert not result.did_run(node)


def test_chained_output_nodes_run_only_up_to_the_target(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    output_node1 = g.node("TestOutputNodeWithSocketOutput", image=black.out(0), value=1.5)
    output_node2 = g.node("TestOutputNodeWithSocketOutput", image=output_node1.out(0), value=2.0)
    save1 = g.node("SaveImage", images=output_node1.out(0))
    save2 = g.node("SaveImage", images=output_node2.out(0))
    save3 = g.node("SaveImage", images=white.out(0))

    result = client.run(g, partial_execution_targets=[save2.id])

    for node in (black, output_node1, output_node2, save2):
        assert result.was_executed(node)
    for node in (white, save1, save3):
        assert not result.did_run(node)


@pytest.mark.parametrize(
    "targets", [pytest.param([], id="empty"), pytest.param(["not-a-node"], id="unknown-id")]
)
def test_targets_that_select_no_output_are_rejected(client, builder, targets):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    builder.node("SaveImage", images=image.out(0))

    with pytest.raises(PromptRejected) as caught:
        client.run(builder, partial_execution_targets=targets)

    assert caught.value.error["type"] == "prompt_no_outputs"


def test_target_that_is_not_an_output_node_selects_nothing(client, builder):
    image = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    builder.node("SaveImage", images=image.out(0))

    with pytest.raises(PromptRejected) as caught:
        client.run(builder, partial_execution_targets=[image.id])

    assert caught.value.error["type"] == "prompt_no_outputs"
