"""Caching across prompts: results are keyed by input signature, and IS_CHANGED takes part in it.

Under the no-cache policy nothing is reused between prompts, so the same graphs must run again.
"""

from engine_client import pixel_values

from comfyd.engine.events import Executed


def mix_graph(g, mask_value=0.5):
    """Two images mixed by a mask and saved; returns the nodes by role."""
    black = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    noise = g.node("StubImage", content="NOISE", height=64, width=64, batch_size=1)
    mask = g.node("StubMask", value=mask_value, height=64, width=64, batch_size=1)
    mix = g.node("TestLazyMixImages", image1=black.out(0), image2=noise.out(0), mask=mask.out(0))
    save = g.node("SaveImage", images=mix.out(0))
    return {"black": black, "noise": noise, "mask": mask, "mix": mix, "save": save}


def test_identical_prompt_is_served_from_the_cache(client, builder):
    nodes = mix_graph(builder)
    client.run(builder)

    again = client.run(builder)

    for name, node in nodes.items():
        assert again.did_run(node) != client.caches_across_prompts, name
        assert again.was_cached(node) == client.caches_across_prompts, name


def test_cached_output_node_still_reports_its_ui(client, builder):
    nodes = mix_graph(builder)
    first = client.run(builder)

    again = client.run(builder)

    assert len(again.get_images(nodes["save"])) == 1
    if client.caches_across_prompts:
        assert again.get_output(nodes["save"]) == first.get_output(nodes["save"])
    executed = [e for e in again.events_of(Executed) if e.node == nodes["save"].id]
    assert len(executed) == 1
    assert executed[0].output == again.get_output(nodes["save"])


def test_changed_input_reruns_only_the_nodes_downstream_of_it(client, builder):
    nodes = mix_graph(builder)
    client.run(builder)
    nodes["mask"].set_input("value", 0.4)

    again = client.run(builder)

    for unchanged in ("black", "noise"):
        assert again.did_run(nodes[unchanged]) != client.caches_across_prompts, unchanged
    for downstream in ("mask", "mix", "save"):
        assert again.did_run(nodes[downstream]), downstream


def test_is_changed_nan_makes_a_node_run_every_time(client, builder):
    g = builder
    # Adding the consumer before its inputs once broke ComfyUI; keep this order.
    save = g.node("SaveImage")
    is_changed = g.node("TestCustomIsChanged", should_change=False)
    image = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    save.set_input("images", is_changed.out(0))
    is_changed.set_input("image", image.out(0))

    first = client.run(g)
    second = client.run(g)
    is_changed.set_input("should_change", True)
    third = client.run(g)
    fourth = client.run(g)

    assert first.did_run(is_changed)
    assert second.did_run(is_changed) != client.caches_across_prompts
    assert third.did_run(is_changed)
    assert fourth.did_run(is_changed)
    assert fourth.did_run(save)
    assert fourth.did_run(image) != client.caches_across_prompts


def test_is_changed_is_called_with_constant_inputs_only(client, builder, engine_registry):
    calls = engine_registry.get("TestIsChangedWithConstants").is_changed_calls
    calls.clear()
    g = builder
    image = g.node("StubConstantImage", value=0.5, height=64, width=64, batch_size=1)
    scaled = g.node("TestIsChangedWithConstants", image=image.out(0), value=0.5)
    output = g.node("PreviewImage", images=scaled.out(0))

    first = client.run(g)
    second = client.run(g)

    for result in (first, second):
        assert [pixel_values(image) for image in result.get_images(output)] == [(63, 63)]
    assert second.did_run(scaled) != client.caches_across_prompts
    if client.caches_across_prompts:
        assert calls, "IS_CHANGED was never called"
    assert all(call["image"] is None and call["value"] == 0.5 for call in calls)


def test_identical_subgraphs_under_other_ids_share_cache_entries(client, make_builder):
    first_graph = make_builder("first_")
    mix_graph(first_graph)
    client.run(first_graph)
    second_graph = make_builder("second_")
    nodes = mix_graph(second_graph)

    result = client.run(second_graph)

    for name in ("black", "noise", "mask", "mix"):
        assert result.did_run(nodes[name]) != client.caches_across_prompts, name


def test_async_node_results_are_cached(client, builder):
    g = builder
    image = g.node("StubImage", content="BLACK", height=64, width=64, batch_size=1)
    sleep = g.node("TestSleep", value=image.out(0), seconds=0.05)
    g.node("SaveImage", images=sleep.out(0))

    assert client.run(g).did_run(sleep)
    assert client.run(g).did_run(sleep) != client.caches_across_prompts


def test_switching_graphs_keeps_earlier_results_only_under_a_large_lru(client, make_builder, cache_policy):
    # classic keeps only what the current prompt uses; LRU(0) evicts everything older than it;
    # LRU(100) still holds the first graph's results when that graph comes back.
    keeps_earlier_results = cache_policy == "lru100"
    graph_a = make_builder("a_")
    image = graph_a.node("StubImage", content="WHITE", height=64, width=64, batch_size=1)
    graph_a.node("PreviewImage", images=image.out(0))
    graph_b = make_builder("b_")
    other = graph_b.node("StubImage", content="BLACK", height=32, width=32, batch_size=1)
    graph_b.node("PreviewImage", images=other.out(0))

    client.run(graph_a)
    client.run(graph_b)
    again = client.run(graph_a)

    assert again.did_run(image) != keeps_earlier_results


def test_executor_reset_drops_cached_results(client, builder):
    nodes = mix_graph(builder)
    client.run(builder)
    client.executor.reset()

    again = client.run(builder)

    assert all(again.did_run(node) for node in nodes.values())
    assert not again.cached
