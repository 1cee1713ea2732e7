"""`RegistryService` and `AsyncRegistryService` against a real `comfyd registry`: the seed's
operations, its error strings for each status, `is_loading`/`error`, and cancellation.

The registry runs in a subprocess (the harness of `tests/platform/registry/conftest.py`, loaded
by path) with one published pack, one banned pack and a publisher. Statuses that registry gives
for no request the SDK can make (a 409, a 500) come from `StatusServer`, a real HTTP server told
what to answer.
"""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from status_server import StatusServer
from tcp_proxy import TcpProxy
from twins import in_thread, port_of, surface

from comfyd.client import (
    AsyncRegistryService,
    CancelToken,
    ListAllNodesResponse,
    Node,
    NodeVersion,
    NodeVersionIdentifier,
    RegistryService,
)
from comfyd_process import RegistryServer
from registry_harness import Registry

ACTIVE = "NodeVersionStatusActive"


@dataclass
class World:
    url: str
    key: str  # a user's API key, for reviews
    publisher: str
    pack: str
    banned: str
    node_class: str


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Iterator[World]:
    process = RegistryServer(tmp_path_factory.mktemp("registry")).start()
    registry = Registry(process.url, process.database_url)
    ada, admin = registry.user(), registry.user(admin=True)
    publisher = registry.publisher(ada)
    token = registry.token(ada, publisher)
    node_class = f"SdkShout{uuid.uuid4().hex[:8]}"
    pack, banned = registry.pack_id("sdk"), registry.pack_id("banned")
    registry.publish(token, publisher, pack, "1.0.0", registry.node_pack(node_class))
    registry.publish(token, publisher, banned, "1.0.0", registry.node_pack(f"Banned{node_class}"))
    assert registry.wait_checked(pack, "1.0.0")["status"] == ACTIVE
    registry.wait_checked(banned, "1.0.0")
    with registry.client(admin) as http:
        assert http.post(f"/publishers/{publisher}/nodes/{banned}/ban").status_code == 204
    yield World(process.url, ada.key, publisher, pack, banned, node_class)
    process.stop()


@pytest.fixture
def registry(twin, world):
    """A `RegistryService`, then an `AsyncRegistryService`, on the test registry."""
    return twin(world.url, sync=RegistryService, async_=AsyncRegistryService, api_key=world.key)


@pytest.fixture
def answering(twin) -> Iterator[tuple]:
    """A `StatusServer` and a registry service (each twin) pointed at it."""
    server = StatusServer()
    yield server, twin(server.url, sync=RegistryService, async_=AsyncRegistryService)
    server.close()


def settled(service) -> None:
    assert service.is_loading is False


# -- the operations -----------------------------------------------------------------------------


def test_pack_reads_return_the_published_pack(registry, world):
    page = registry.list_all_packs(node_ids=[world.pack, world.banned], page=1, limit=10)
    assert isinstance(page, ListAllNodesResponse) and sorted(n.id for n in page.nodes) == sorted(
        [world.pack, world.banned]
    )
    pack = registry.get_pack_by_id(world.pack)
    assert isinstance(pack, Node) and pack.publisher.id == world.publisher
    assert pack.latest_version.version == "1.0.0" and pack.latest_version.status == ACTIVE

    [version] = registry.get_pack_versions(world.pack, statuses=[ACTIVE], include_status_reason=True)
    assert isinstance(version, NodeVersion) and version.version == "1.0.0"
    assert registry.get_pack_by_version(world.pack, "1.0.0").id == version.id
    install = registry.get_install_info(world.pack, version="1.0.0")
    assert install.downloadUrl and install.node_id == world.pack
    assert registry.error is None
    settled(registry)


def test_search_finds_a_pack_by_its_id_and_by_a_node_class_name(registry, world):
    by_text = registry.search(search=world.pack, limit=5, offset=0)
    by_class = registry.search(comfy_node_search=world.node_class, limit=5)

    assert by_text.nodes[0].id == world.pack and by_text.limit == 5
    assert [node.id for node in by_class.nodes] == [world.pack]
    assert registry.infer_pack_from_node_name(world.node_class).id == world.pack


def test_node_definitions_of_a_version(registry, world):
    defs = registry.get_node_defs(world.pack, "1.0.0", page=1, limit=10)
    [shout] = defs.comfy_nodes
    assert shout.comfy_node_name == world.node_class and '"STRING"' in shout.return_types
    assert defs.totalNumberOfPages == 1
    one = registry.get_comfy_node(world.pack, "1.0.0", world.node_class)
    assert one.function == "run" and one.category == "text/tests"


def test_bulk_versions_say_which_identifiers_were_found(registry, world):
    answer = registry.get_bulk_node_versions(
        [(world.pack, "1.0.0"), NodeVersionIdentifier(node_id=world.pack, version="9.9.9")]
    )

    assert list(answer.found()) == [(world.pack, "1.0.0")]
    assert [item.status for item in answer.node_versions] == ["success", "not_found"]


def test_publisher_and_its_packs(registry, world):
    publisher = registry.get_publisher_by_id(world.publisher)
    listed = registry.list_packs_for_publisher(world.publisher)
    with_banned = registry.list_packs_for_publisher(world.publisher, include_banned=True)

    assert publisher.id == world.publisher and publisher.name == world.publisher
    assert world.pack in [node.id for node in listed]
    assert sorted(node.id for node in with_banned) == sorted([world.pack, world.banned])


def test_post_pack_review_returns_the_pack_with_its_rating(registry, world):
    assert registry.post_pack_review(world.pack, 4).rating == 4.0
    assert registry.post_pack_review(world.pack, 2).rating == 2.0  # one review per user: replaced


def test_a_registry_service_defaults_to_api_comfy_org():
    with RegistryService() as service:
        assert str(service.base_url) == "https://api.comfy.org/"
        assert (service.is_loading, service.error) == (False, None)


# -- the seed's error strings -------------------------------------------------------------------

Call = Callable[[object, World], object]
MISSING = "no-such-thing"

ROUTE_ERRORS = [
    pytest.param(
        lambda s, w: s.get_node_defs(w.banned, "1.0.0"),
        lambda w: "This pack has been banned and its definition is not available",
        id="getNodeDefs-403",
    ),
    pytest.param(
        lambda s, w: s.get_node_defs(MISSING, "1.0.0"),
        lambda w: "The requested node, version, or comfy node does not exist",
        id="getNodeDefs-404",
    ),
    pytest.param(
        lambda s, w: s.get_comfy_node(w.pack, "1.0.0", "NoSuchClass"),
        lambda w: "The requested node, version, or comfy node does not exist",
        id="getComfyNode-404",
    ),
    pytest.param(
        lambda s, w: s.get_pack_versions(w.banned),
        lambda w: "This pack has been banned and its versions are not available",
        id="getPackVersions-403",
    ),
    pytest.param(
        lambda s, w: s.get_pack_versions(MISSING),
        lambda w: f"Pack not found: Pack with ID {MISSING} does not exist",
        id="getPackVersions-404",
    ),
    pytest.param(
        lambda s, w: s.get_pack_by_version(w.banned, "1.0.0"),
        lambda w: "This pack has been banned and its versions are not available",
        id="getPackByVersion-403",
    ),
    pytest.param(
        lambda s, w: s.get_pack_by_version(w.pack, "9.9.9"),
        lambda w: f"Pack not found: Pack with ID {w.pack} does not exist",
        id="getPackByVersion-404",
    ),
    pytest.param(
        lambda s, w: s.get_pack_by_id(MISSING),
        lambda w: f"Pack not found: The pack with ID {MISSING} does not exist",
        id="getPackById-404",
    ),
    pytest.param(
        lambda s, w: s.get_pack_by_id(w.banned),
        lambda w: "Forbidden: Node Banned",
        id="getPackById-403-generic",
    ),
    pytest.param(
        lambda s, w: s.get_publisher_by_id(MISSING),
        lambda w: f"Publisher not found: The publisher with ID {MISSING} does not exist",
        id="getPublisherById-404",
    ),
    pytest.param(
        lambda s, w: s.list_packs_for_publisher(MISSING),
        lambda w: f"Publisher not found: The publisher with ID {MISSING} does not exist",
        id="listPacksForPublisher-404",
    ),
    pytest.param(
        lambda s, w: s.post_pack_review(w.pack, 9),
        lambda w: "Bad request: Invalid review",
        id="postPackReview-400",
    ),
    pytest.param(
        lambda s, w: s.post_pack_review(MISSING, 3),
        lambda w: f"Pack not found: Pack with ID {MISSING} does not exist",
        id="postPackReview-404",
    ),
    pytest.param(
        lambda s, w: s.infer_pack_from_node_name("NoSuchClass"),
        lambda w: "Comfy node not found: The node with name NoSuchClass does not exist in the registry",
        id="inferPackFromNodeName-404",
    ),
]


@pytest.mark.parametrize(("call", "expected"), ROUTE_ERRORS)
def test_a_failed_call_returns_none_and_sets_the_seeds_message(registry, world, call, expected):
    assert call(registry, world) is None

    assert registry.error == expected(world)
    settled(registry)


def test_a_review_without_an_api_key_is_unauthorized(twin, world):
    anonymous = twin(world.url, sync=RegistryService, async_=AsyncRegistryService)

    assert anonymous.post_pack_review(world.pack, 5) is None
    assert anonymous.error == "Unauthorized: Authentication required"


def test_a_400_without_a_route_message_shows_the_servers_message(registry, world):
    with Registry(world.url, "").client() as http:
        message = http.get("/nodes", params={"sort": "nope"}).json()["message"]

    assert registry.list_all_packs(sort=["nope"]) is None
    assert registry.error == f"Bad request: {message}"


GENERIC = [
    pytest.param(400, {"message": "bad page"}, "Bad request: bad page", id="400"),
    pytest.param(400, {}, "Bad request: Invalid input", id="400-no-message"),
    pytest.param(401, {"message": "ignored"}, "Unauthorized: Authentication required", id="401"),
    pytest.param(403, {"message": "not yours"}, "Forbidden: not yours", id="403"),
    pytest.param(403, {}, "Forbidden: Access denied", id="403-no-message"),
    pytest.param(404, {"message": "gone"}, "Not found: gone", id="404"),
    pytest.param(404, "not json", "Not found: Resource not found", id="404-not-json"),
    pytest.param(409, {"message": "taken"}, "Conflict: taken", id="409"),
    pytest.param(409, {}, "Conflict: Resource conflict", id="409-no-message"),
    pytest.param(500, {"message": "db down"}, "Server error: db down", id="500"),
    pytest.param(500, {"message": ""}, "Server error: Internal server error", id="500-empty-message"),
    pytest.param(
        418, {"message": "short and stout"}, "Failed to perform search: short and stout", id="other"
    ),
    pytest.param(
        503, {}, "Failed to perform search: Request failed with status code 503", id="other-no-message"
    ),
]


@pytest.mark.parametrize(("status", "body", "expected"), GENERIC)
def test_statuses_without_a_route_message_get_the_generic_one(answering, status, body, expected):
    server, service = answering
    server.answer(status, body.encode() if isinstance(body, str) else body)

    assert service.search(search="x") is None
    assert service.error == expected
    assert server.requests == ["GET /nodes/search?search=x"]


def test_route_messages_for_statuses_the_registry_never_sends_them_for(answering):
    server, service = answering
    server.answer(400, {"message": "whatever the server says"})

    assert service.list_packs_for_publisher("p") is None
    assert service.error == "Bad request: Invalid input data"
    assert service.get_bulk_node_versions([("a", "1")]) is None
    assert service.error == "Bad request: Invalid node version identifiers provided"


def test_an_unreachable_registry_gives_the_context_and_the_reason(twin):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = twin(url, sync=RegistryService, async_=AsyncRegistryService)

    assert service.list_all_packs() is None
    assert service.error.startswith("Failed to list packs: ") and len(service.error) > len(
        "Failed to list packs: "
    )


def test_an_answer_of_the_wrong_shape_is_an_error(answering):
    server, service = answering
    server.answer(200, {"nodes": "not a list"})

    assert service.search() is None
    assert service.error.startswith("Failed to perform search: the answer is not the expected JSON")


# -- is_loading, error and cancellation ---------------------------------------------------------


@pytest.fixture
def held(twin, world) -> Iterator[tuple]:
    """A registry service behind a `TcpProxy` that can hold the registry's answers back."""
    proxy = TcpProxy(port_of(world.url))
    yield proxy, twin(proxy.url, sync=RegistryService, async_=AsyncRegistryService, timeout=None)
    proxy.close()




def test_is_loading_while_a_call_runs_and_error_clears_when_the_next_starts(held, world):
    proxy, service = held
    assert service.get_pack_by_id(MISSING) is None and service.error is not None
    proxy.hold()

    thread, outcome = in_thread(service.get_pack_by_id, world.pack)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the registry's answer")
    assert service.is_loading is True and service.error is None
    proxy.release()
    thread.join(30)

    assert outcome["result"].id == world.pack
    assert service.is_loading is False and service.error is None


def test_a_cancelled_call_returns_none_leaves_error_unset_and_closes_its_connection(held, world):
    proxy, service = held
    proxy.hold()
    token = CancelToken()

    thread, outcome = in_thread(service.search, search=world.pack, cancel=token)
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the registry's answer")
    token.cancel()
    thread.join(30)

    assert not thread.is_alive() and outcome == {"result": None}
    assert service.error is None and service.is_loading is False
    proxy.wait_until(lambda: proxy.connections() == 0, "the service to close its connection")


@pytest.mark.anyio
async def test_an_async_service_call_cancelled_as_a_task_stops_loading(world):
    import asyncio

    proxy = TcpProxy(port_of(world.url))
    try:
        async with AsyncRegistryService(proxy.url, timeout=None) as service:
            proxy.hold()
            task = asyncio.create_task(service.get_pack_by_id(world.pack))
            await asyncio.to_thread(proxy.wait_until, lambda: proxy.held_bytes > 0, "the answer")
            assert service.is_loading
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

            assert service.is_loading is False and service.error is None
            await asyncio.to_thread(
                proxy.wait_until, lambda: proxy.connections() == 0, "the connection to close"
            )
    finally:
        proxy.close()


# -- the twins ----------------------------------------------------------------------------------




def test_sync_and_async_registry_services_have_the_same_methods_and_parameters():
    sync, async_ = surface(RegistryService), surface(AsyncRegistryService)

    assert sync.pop("close") == async_.pop("aclose")
    assert sync == async_
    assert {
        "get_node_defs",
        "search",
        "get_publisher_by_id",
        "list_packs_for_publisher",
        "post_pack_review",
        "list_all_packs",
    } <= set(sync)
