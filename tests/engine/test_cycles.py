"""Dependency cycles that only appear at run time, when an expansion links its nodes in a loop."""

import pytest
from engine_client import ExecutionFailed

from comfyd.engine.events import ExecutionError

# A cycle the engine misses can make it loop forever; fail the test instead of the whole run.
pytestmark = pytest.mark.timeout(30)


def test_cycle_created_by_an_expansion_fails_on_the_expanding_node(client, builder):
    g = builder
    black = g.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    white = g.node("StubImage", content="WHITE", height=32, width=32, batch_size=1)
    generator = g.node("TestDynamicDependencyCycle", input1=black.out(0), input2=white.out(0))
    save = g.node("SaveImage", images=generator.out(0))

    with pytest.raises(ExecutionFailed) as caught:
        client.run(g)

    data = caught.value.data
    assert data["prompt_id"] == caught.value.outcome.prompt_id
    assert data["node_id"] == generator.id
    assert data["node_type"] == "TestDynamicDependencyCycle"
    assert data["exception_type"] == "graph.DependencyCycleError"
    outcome = caught.value.outcome
    assert not outcome.did_run(save)
    assert outcome.result.status_str == "error"
    assert len(outcome.events_of(ExecutionError)) == 1


def test_executor_runs_the_next_prompt_after_a_cycle(client, builder, make_builder):
    black = builder.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    generator = builder.node("TestDynamicDependencyCycle", input1=black.out(0), input2=black.out(0))
    builder.node("SaveImage", images=generator.out(0))
    with pytest.raises(ExecutionFailed):
        client.run(builder)

    g = make_builder("after_")
    save = g.node(
        "SaveImage", images=g.node("StubImage", content="WHITE", height=8, width=8, batch_size=1).out(0)
    )

    assert len(client.run(g).get_images(save)) == 1
