"""ComfyUI's origin check, CORS mode and cache headers, against a real server."""

from __future__ import annotations

import importlib.resources
from pathlib import Path

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

WEB_ROOT = Path(str(importlib.resources.files("comfyui_frontend_package") / "static"))
FOREIGN = "http://elsewhere.example"


# -- the default origin check ----------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/prompt", "/api/prompt", "/internal/logs", "/"])
def test_a_foreign_origin_to_a_loopback_host_is_refused_with_an_empty_403(http, path):
    reply = http.get(path, headers={"Origin": FOREIGN})
    assert reply.status_code == 403
    assert reply.content == b""


def test_a_foreign_origin_cannot_queue_a_prompt(http):
    reply = http.post("/prompt", json={"prompt": {}}, headers={"Origin": FOREIGN})
    assert reply.status_code == 403


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("{url}", id="same-origin"),
        pytest.param("http://127.0.0.1", id="origin-without-port"),
        pytest.param("null", id="opaque-origin"),
    ],
)
def test_a_matching_or_portless_origin_passes(server, http, origin):
    reply = http.get("/prompt", headers={"Origin": origin.format(url=server.url)})
    assert reply.status_code == 200


def test_a_request_without_origin_passes(http):
    assert http.get("/prompt").status_code == 200


def test_a_loopback_alias_host_is_checked_too(server, http):
    reply = http.get("/prompt", headers={"Host": f"localhost:{server.port}", "Origin": FOREIGN})
    assert reply.status_code == 403


def test_a_non_loopback_host_is_not_checked(http):
    reply = http.get("/prompt", headers={"Host": "comfy.example.test", "Origin": FOREIGN})
    assert reply.status_code == 200


def test_options_is_answered_200_with_no_body(http):
    reply = http.options("/prompt")
    assert reply.status_code == 200
    assert reply.content == b""


def test_a_foreign_origin_cannot_open_the_websocket(server):
    with pytest.raises(InvalidStatus) as refused:
        connect(server.ws_url, origin=FOREIGN, open_timeout=10)
    assert refused.value.response.status_code == 403


def test_the_same_origin_can_open_the_websocket(server):
    with connect(server.ws_url, origin=server.url, open_timeout=10) as ws:
        assert '"status"' in ws.recv(timeout=10)


# -- --enable-cors-header --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def cors_server(start_module_server):
    return start_module_server("--enable-cors-header")


@pytest.fixture(scope="module")
def one_origin_server(start_module_server):
    return start_module_server("--enable-cors-header", "https://app.example")


def test_cors_mode_allows_any_origin_by_default(cors_server):
    with cors_server.client() as http:
        reply = http.post("/prompt", json={"prompt": {}}, headers={"Origin": FOREIGN})
    assert reply.status_code == 400  # reached the route: an empty prompt is invalid
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-allow-methods"] == "POST, GET, DELETE, PUT, PATCH, OPTIONS"
    assert reply.headers["access-control-allow-headers"] == (
        "Content-Type, Authorization, X-API-KEY, Comfy-Env, Comfy-Workspace-Id"
    )
    assert reply.headers["access-control-allow-credentials"] == "true"


def test_cors_mode_answers_preflights_with_the_headers(one_origin_server):
    with one_origin_server.client() as http:
        reply = http.options("/api/prompt", headers={"Origin": "https://app.example"})
    assert reply.status_code == 200
    assert reply.content == b""
    assert reply.headers["access-control-allow-origin"] == "https://app.example"


# -- cache headers ---------------------------------------------------------------------------------


def test_an_image_that_exists_is_cacheable_for_a_day(http):
    image = next(WEB_ROOT.rglob("*.png"))
    reply = http.get("/" + image.relative_to(WEB_ROOT).as_posix())
    assert reply.status_code == 200
    assert reply.headers["cache-control"] == "public, max-age=86400"


def test_a_missing_image_is_cacheable_for_an_hour(http):
    reply = http.get("/no-such-image.webp")
    assert reply.status_code == 404
    assert reply.headers["cache-control"] == "public, max-age=3600"


@pytest.mark.parametrize("path", ["/templates/index.json", "/extensions/core/nothing.js", "/x.css"])
def test_scripts_styles_and_index_json_are_never_cached(http, path):
    assert http.get(path).headers["cache-control"] == "no-cache"


def test_other_responses_get_no_cache_header_from_the_middleware(http):
    assert "cache-control" not in http.get("/api/system_stats").headers
