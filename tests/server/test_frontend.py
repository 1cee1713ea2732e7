"""The official frontend served at `/`, and the page's Content-Security-Policy, against a real server."""

from __future__ import annotations

import base64
import hashlib
import importlib.resources
from pathlib import Path

import pytest

WEB_ROOT = Path(str(importlib.resources.files("comfyui_frontend_package") / "static"))


def directives(policy: str) -> dict[str, list[str]]:
    parsed = {}
    for directive in filter(None, (part.strip() for part in policy.split(";"))):
        name, *values = directive.split()
        parsed[name] = values
    return parsed


def sha256_source(script: str) -> str:
    return f"'sha256-{base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()}'"


def test_root_serves_the_packages_index_page_uncached(http):
    reply = http.get("/")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("text/html")
    assert reply.content == (WEB_ROOT / "index.html").read_bytes()
    assert reply.headers["cache-control"] == "no-cache"
    assert reply.headers["pragma"] == "no-cache"


def test_index_page_policy_lets_it_connect_only_to_this_server(server, http):
    policy = directives(http.get("/").headers["content-security-policy"])
    host = f"127.0.0.1:{server.port}"
    assert policy["connect-src"] == ["'self'", f"ws://{host}", f"wss://{host}", "data:", "blob:"]
    assert policy["default-src"] == ["'self'"]
    for name, sources in policy.items():
        assert "*" not in sources and "https:" not in sources, name
        assert not any("sentry" in s or "datadog" in s for s in sources), name


def test_index_page_policy_allows_its_own_assets_images_fonts_and_workers(http):
    policy = directives(http.get("/").headers["content-security-policy"])
    assert {"'self'", "'wasm-unsafe-eval'"} <= set(policy["script-src"])
    assert "'unsafe-eval'" not in policy["script-src"]
    assert {"'self'", "data:", "blob:"} <= set(policy["img-src"])
    assert {"'self'", "data:"} <= set(policy["font-src"])
    assert {"'self'", "blob:"} <= set(policy["worker-src"])
    assert policy["object-src"] == ["'none'"]


@pytest.mark.parametrize("path", ["/index.html", "/assets/..%2Findex.html", "/%2E/index.html"])
def test_the_page_never_goes_out_without_its_policy(http, path):
    reply = http.get(path)
    assert reply.status_code == 200
    assert reply.content == (WEB_ROOT / "index.html").read_bytes()
    assert "connect-src 'self'" in reply.headers["content-security-policy"]


def test_the_page_is_not_reachable_through_the_extensions_folder(http):
    assert http.get("/extensions/..%2Findex.html").status_code == 404


@pytest.mark.parametrize("pattern", ["assets/*.js", "assets/*.css"])
def test_scripts_and_styles_of_the_web_root_are_served_uncached(http, pattern):
    asset = next(WEB_ROOT.glob(pattern))
    reply = http.get("/" + asset.relative_to(WEB_ROOT).as_posix())
    assert reply.status_code == 200
    assert reply.content == asset.read_bytes()
    assert reply.headers["cache-control"] == "no-cache"
    assert "content-security-policy" not in reply.headers


def test_api_routes_win_over_the_web_root(http):
    reply = http.get("/prompt")
    assert reply.headers["content-type"].startswith("application/json")
    assert "exec_info" in reply.json()


@pytest.mark.parametrize("path", ["/no-such-file.js", "/assets/..%2F..%2F__init__.py"])
def test_a_path_outside_or_missing_from_the_web_root_is_404(http, path):
    assert http.get(path).status_code == 404


def test_a_configured_front_end_root_is_served_with_hashes_of_its_inline_scripts(start_server, tmp_path):
    root = tmp_path / "web"
    inline = "window.answer = 42;"
    (root / "extensions" / "core").mkdir(parents=True)
    (root / "index.html").write_text(f"<html><script>{inline}</script><script src='app.js'></script></html>")
    (root / "app.js").write_text("console.log('app')")
    (root / "extensions" / "core" / "mine.js").write_text("")
    with start_server("--front-end-root", str(root)).client() as http:
        page = http.get("/")
        assert page.text.startswith("<html><script>window.answer")
        script_src = directives(page.headers["content-security-policy"])["script-src"]
        assert script_src == ["'self'", "'wasm-unsafe-eval'", sha256_source(inline)]
        assert http.get("/app.js").text == "console.log('app')"
        assert http.get("/api/extensions").json() == ["/extensions/core/mine.js"]
        assert http.get("/extensions/core/mine.js").status_code == 200
