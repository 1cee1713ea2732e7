"""The official frontend (PyPI comfyui-frontend-package) in headless Chromium against comfyd serve.

The page loads, a workflow of built-in nodes is queued from the UI, and the output image is
fetched through `/api/view`. Console errors fail the test, except the two kinds the frontend
itself produces against any ComfyUI server: 404s on resources it documents as optional (user
CSS, legacy template file, user folders not created yet), and requests to third-party hosts
that comfyd's Content-Security-Policy blocks on purpose (no telemetry or outside calls).
"""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest
from chromium import CHROMIUM, CHROMIUM_FLAGS, needs_chromium

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is a test dependency (pip install -e '.[test]')")

OPTIONAL_RESOURCES = (
    "/user.css",
    "/api/userdata/user.css",
    "/api/userdata/comfy.templates.json",
    "/api/userdata?dir=workflows",
    "/api/userdata?dir=subgraphs",
)
WORKFLOW = {
    "1": {
        "class_type": "EmptyImage",
        "inputs": {"width": 64, "height": 64, "batch_size": 1, "color": 16711680},
        "_meta": {"title": "Empty Image"},
    },
    "2": {"class_type": "ImageInvert", "inputs": {"image": ["1", 0]}, "_meta": {"title": "Invert"}},
    "3": {
        "class_type": "SaveImage",
        "inputs": {"images": ["2", 0], "filename_prefix": "browser"},
        "_meta": {"title": "Save"},
    },
}


def _is_expected(message, base_url: str) -> bool:
    text = message.text
    url = (message.location or {}).get("url", "")
    if text.startswith("Failed to load resource") and "404" in text:
        path = url[len(base_url):] if url.startswith(base_url) else url
        return path.startswith(OPTIONAL_RESOURCES)
    if "violates the following Content Security Policy directive" in text and "connect-src" in text:
        blocked = text.split("Connecting to '", 1)[-1].split("'", 1)[0]
        return urlsplit(blocked).hostname not in ("127.0.0.1", "localhost")
    return False


@needs_chromium
def test_frontend_queues_a_workflow_of_builtin_nodes_and_shows_the_output(server):
    # First-run dialogs (the template browser) would cover the Run button.
    httpx.post(f"{server.url}/api/settings", json={"Comfy.TutorialCompleted": True}).raise_for_status()
    problems: list[str] = []
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page()
            page.on("console", lambda m: problems.append(m.text) if m.type == "error" and not _is_expected(m, server.url) else None)
            page.on("pageerror", lambda error: problems.append(f"pageerror: {error}"))
            page.goto(server.url + "/")
            page.wait_for_function("() => window.app && window.app.graph", timeout=60_000)
            page.evaluate("async (workflow) => { await window.app.loadApiJson(workflow, 'builtin.json') }", WORKFLOW)
            with page.expect_response(
                lambda r: "/api/view?" in r.url and "browser_" in r.url, timeout=60_000
            ) as viewed:
                page.locator("[data-testid='queue-button']").first.click()
            assert viewed.value.status == 200
            assert viewed.value.headers["content-type"] == "image/png"
        finally:
            browser.close()
    assert problems == []
    jobs = httpx.get(f"{server.url}/api/jobs?status=completed").json()["jobs"]
    assert any(job.get("preview_output", {}).get("filename", "").startswith("browser_") for job in jobs)
