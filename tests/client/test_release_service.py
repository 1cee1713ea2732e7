"""`ReleaseService` and `AsyncReleaseService` against a real `comfyd serve`: release notes added
with `comfyd admin release add`, newest first and in the caller's locale; the seed's error
strings for each status; `is_loading`/`error`; and cancellation.

Statuses the server gives for no request the SDK can make (a 409, a 500) come from
`StatusServer`, a real HTTP server told what to answer.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from status_server import StatusServer
from tcp_proxy import TcpProxy
from twins import in_thread, port_of, surface

from admin_accounts import comfyd_admin
from comfyd.client import AsyncReleaseService, CancelToken, ReleaseNote, ReleaseService

NOTES = [
    ("0.3.60", "low", "en", "2025-01-10T12:00:00", "Older note"),
    ("0.3.65", "high", "en", "2025-02-10T12:00:00", "## New\n\nFaster queue"),
    ("0.3.65", "high", "zh", "2025-02-10T12:00:00", "## 新功能"),
]


@pytest.fixture(scope="module")
def url(server) -> str:
    for version, attention, locale, published_at, content in NOTES:
        comfyd_admin(
            server.base_dir,
            "release",
            "add",
            *("--version", version, "--attention", attention, "--locale", locale),
            *("--published-at", published_at, "--content", content),
        )
    return server.url


@pytest.fixture
def releases(twin, url):
    """A `ReleaseService`, then an `AsyncReleaseService`, on the test server."""
    return twin(url, sync=ReleaseService, async_=AsyncReleaseService)


@pytest.fixture
def answering(twin) -> Iterator[tuple]:
    """A `StatusServer` and a release service (each twin) pointed at it."""
    server = StatusServer()
    yield server, twin(server.url, sync=ReleaseService, async_=AsyncReleaseService)
    server.close()


# -- the call -----------------------------------------------------------------------------------


def test_get_releases_returns_the_notes_newest_first(releases):
    notes = releases.get_releases(project="comfyui", current_version="0.3.64", form_factor="git-linux")

    assert releases.error is None and releases.is_loading is False
    assert [note.version for note in notes] == ["0.3.65", "0.3.60"]
    latest = notes[0]
    assert isinstance(latest, ReleaseNote) and isinstance(latest.id, int)
    assert (latest.project, latest.attention, latest.content) == ("comfyui", "high", "## New\n\nFaster queue")
    assert latest.published_at == datetime(2025, 2, 10, 12, tzinfo=UTC)


def test_a_locale_gets_its_own_notes_and_english_where_it_has_none(releases):
    notes = releases.get_releases(project="comfyui", current_version="0.3.64", locale="zh")

    assert [(note.version, note.content) for note in notes] == [
        ("0.3.65", "## 新功能"),
        ("0.3.60", "Older note"),
    ]


def test_a_project_without_notes_has_an_empty_list(releases):
    assert releases.get_releases(project="desktop", current_version="1.0.0") == []
    assert releases.error is None


# -- the seed's error strings -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("project", "version"), [("nope", "0.3.64"), ("comfyui", "not a version")], ids=["project", "version"]
)
def test_a_bad_project_or_version_is_the_route_message(releases, project, version):
    assert releases.get_releases(project=project, current_version=version) is None
    assert releases.error == "Invalid project or version parameter"


def test_a_404_is_not_found(twin, url):
    elsewhere = twin(f"{url}/no-platform-here", sync=ReleaseService, async_=AsyncReleaseService)

    assert elsewhere.get_releases(project="comfyui", current_version="0.3.64") is None
    assert elsewhere.error == "Not found: Resource not found"


GENERIC = [
    pytest.param(400, {"message": "ignored"}, "Invalid project or version parameter", id="400"),
    pytest.param(401, {"message": "ignored"}, "Unauthorized: Authentication required", id="401"),
    pytest.param(403, {"message": "blocked"}, "Forbidden: blocked", id="403"),
    pytest.param(404, {"message": "gone"}, "Not found: gone", id="404"),
    pytest.param(409, {"message": "busy"}, "Failed to get releases: busy", id="409-no-case"),
    pytest.param(409, {}, "Failed to get releases: Request failed with status code 409", id="409-no-message"),
    pytest.param(500, {"message": "db down"}, "Server error: db down", id="500"),
    pytest.param(500, "not json", "Server error: Internal server error", id="500-not-json"),
    pytest.param(502, {"message": "bad gateway"}, "Failed to get releases: bad gateway", id="other"),
]


@pytest.mark.parametrize(("status", "body", "expected"), GENERIC)
def test_statuses_get_the_release_services_wording(answering, status, body, expected):
    server, service = answering
    server.answer(status, body.encode() if isinstance(body, str) else body)

    assert service.get_releases(project="comfyui", current_version="1.2.3", locale="en") is None
    assert service.error == expected
    assert server.requests == ["GET /releases?project=comfyui&current_version=1.2.3&locale=en"]


def test_an_unreachable_server_gives_the_context_and_the_reason(twin):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    service = twin(url, sync=ReleaseService, async_=AsyncReleaseService)

    assert service.get_releases(project="comfyui", current_version="1.0.0") is None
    assert service.error.startswith("Failed to get releases: ") and len(service.error) > len(
        "Failed to get releases: "
    )


def test_an_answer_of_the_wrong_shape_is_an_error(answering):
    server, service = answering
    server.answer(200, [{"id": "not a number"}])

    assert service.get_releases(project="comfyui", current_version="1.0.0") is None
    assert service.error.startswith("Failed to get releases: the answer is not the expected JSON")


# -- is_loading, error and cancellation ---------------------------------------------------------


@pytest.fixture
def held(twin, url) -> Iterator[tuple]:
    """A release service behind a `TcpProxy` that can hold the server's answers back."""
    proxy = TcpProxy(port_of(url))
    yield proxy, twin(proxy.url, sync=ReleaseService, async_=AsyncReleaseService, timeout=None)
    proxy.close()


def test_is_loading_while_a_call_runs_and_error_clears_when_the_next_starts(held):
    proxy, service = held
    assert service.get_releases(project="nope", current_version="1.0.0") is None and service.error
    proxy.hold()

    thread, outcome = in_thread(service.get_releases, project="comfyui", current_version="0.3.64")
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    assert service.is_loading is True and service.error is None
    proxy.release()
    thread.join(30)

    assert [note.version for note in outcome["result"]] == ["0.3.65", "0.3.60"]
    assert service.is_loading is False and service.error is None


def test_a_cancelled_call_returns_none_leaves_error_unset_and_closes_its_connection(held):
    proxy, service = held
    proxy.hold()
    token = CancelToken()

    thread, outcome = in_thread(
        service.get_releases, project="comfyui", current_version="0.3.64", cancel=token
    )
    proxy.wait_until(lambda: proxy.held_bytes > 0, "the server's answer")
    token.cancel()
    thread.join(30)

    assert not thread.is_alive() and outcome == {"result": None}
    assert service.error is None and service.is_loading is False
    proxy.wait_until(lambda: proxy.connections() == 0, "the service to close its connection")


@pytest.mark.anyio
async def test_an_async_call_cancelled_as_a_task_stops_loading(url):
    proxy = TcpProxy(port_of(url))
    try:
        async with AsyncReleaseService(proxy.url, timeout=None) as service:
            proxy.hold()
            task = asyncio.create_task(service.get_releases(project="comfyui", current_version="0.3.64"))
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


def test_sync_and_async_release_services_have_the_same_methods_and_parameters():
    sync, async_ = surface(ReleaseService), surface(AsyncReleaseService)

    assert sync.pop("close") == async_.pop("aclose")
    assert sync == async_ and "get_releases" in sync
