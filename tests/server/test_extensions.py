"""What custom node packs publish to the frontend, against a real server with two packs.

`/extensions` and the packs' web files, `/i18n`, `/workflow_templates` and their files,
`/global_subgraphs`, and the core `/templates` index.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

PREFIXES = ["", "/api"]
WEB_PACK = "web pack"  # a space, so its extension URLs must be quoted


def write(path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def write_json(path, value) -> None:
    write(path, json.dumps(value))


@pytest.fixture(scope="module")
def base_dir(tmp_path_factory):
    base = tmp_path_factory.mktemp("packs")
    web_pack = base / "custom_nodes" / WEB_PACK
    write(web_pack / "__init__.py", 'NODE_CLASS_MAPPINGS = {}\nWEB_DIRECTORY = "./js"\nSECRET = "inside"\n')
    write(web_pack / "js" / "main.js", "export const main = 1;\n")
    write(web_pack / "js" / "lib" / "util.js", "export const util = 2;\n")
    write(web_pack / "js" / "style.css", "body {}\n")
    write_json(web_pack / "locales" / "en" / "main.json", {"nodeDefs": {"A": {"display_name": "A"}}, "tags": ["a"]})
    write_json(web_pack / "locales" / "en" / "commands.json", {"web.run": {"label": "Run"}})
    write_json(web_pack / "locales" / "fr" / "main.json", {"title": "Bonjour"})
    write_json(web_pack / "example_workflows" / "demo.json", {"nodes": [], "links": []})
    write_json(web_pack / "subgraphs" / "blueprint.json", {"definitions": {}})
    second = base / "custom_nodes" / "second_pack"
    write(second / "__init__.py", "NODE_CLASS_MAPPINGS = {}\n")
    write_json(second / "locales" / "en" / "main.json", {"nodeDefs": {"B": {"display_name": "B"}}, "tags": ["b"]})
    write(second / "locales" / "en" / "settings.json", "{not json")
    write_json(second / "workflows" / "older.json", {"nodes": []})
    return base


@pytest.fixture(scope="module")
def packs_server(start_module_server, base_dir):
    return start_module_server(base_dir=base_dir)


@pytest.fixture
def http(packs_server):
    with packs_server.client() as client:
        yield client


# -- web extensions ------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_extensions_lists_core_scripts_then_quoted_pack_scripts(http, prefix):
    urls = http.get(f"{prefix}/extensions").json()
    assert any(url.startswith("/extensions/core/") and url.endswith(".js") for url in urls)
    pack_urls = [url for url in urls if not url.startswith("/extensions/core/")]
    assert pack_urls == ["/extensions/web%20pack/lib/util.js", "/extensions/web%20pack/main.js"]


def test_a_pack_script_is_served_under_its_quoted_name_without_caching(http):
    reply = http.get("/extensions/web%20pack/lib/util.js")
    assert reply.status_code == 200
    assert reply.text == "export const util = 2;\n"
    assert "javascript" in reply.headers["content-type"]
    assert reply.headers["cache-control"] == "no-cache"


def test_every_listed_extension_url_is_served(http):
    for url in http.get("/api/extensions").json():
        assert http.get(url).status_code == 200, url


def test_pack_files_have_no_api_twin(http):
    assert http.get("/api/extensions/web%20pack/main.js").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/extensions/web%20pack/..%2F__init__.py", id="dot-dot"),
        pytest.param("/extensions/web%20pack/%2E%2E/__init__.py", id="encoded-dots"),
        pytest.param("/extensions/web%20pack/missing.js", id="missing"),
        pytest.param("/extensions/web%20pack/lib", id="directory"),
    ],
)
def test_a_pack_path_outside_its_web_folder_or_missing_is_404(http, path):
    reply = http.get(path)
    assert reply.status_code == 404
    assert "inside" not in reply.text


# -- translations ----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_i18n_merges_every_packs_locales_by_language(http, prefix):
    translations = http.get(f"{prefix}/i18n").json()
    assert translations["en"]["nodeDefs"] == {"B": {"display_name": "B"}, "A": {"display_name": "A"}}
    assert sorted(translations["en"]["tags"]) == ["a", "b"]
    assert translations["en"]["commands"] == {"web.run": {"label": "Run"}}
    assert "settings" not in translations["en"]  # the broken settings.json is skipped
    assert translations["fr"] == {"title": "Bonjour"}


# -- example workflows -----------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_workflow_templates_map_each_pack_folder_to_its_workflow_names(http, prefix):
    assert http.get(f"{prefix}/workflow_templates").json() == {WEB_PACK: ["demo"], "second_pack": ["older"]}


@pytest.mark.parametrize("pack, name", [(WEB_PACK, "demo"), ("second_pack", "older")])
def test_a_workflow_template_file_is_served_under_api_only(http, pack, name):
    reply = http.get(f"/api/workflow_templates/{pack}/{name}.json")
    assert reply.status_code == 200
    assert "nodes" in reply.json()
    assert http.get(f"/workflow_templates/{pack}/{name}.json").status_code == 404


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(f"/api/workflow_templates/{WEB_PACK}/..%2F__init__.py", id="dot-dot"),
        pytest.param("/api/workflow_templates/..%2F..%2Fcustom_nodes/x.json", id="pack-dot-dot"),
        pytest.param(f"/api/workflow_templates/{WEB_PACK}/nope.json", id="missing"),
    ],
)
def test_a_workflow_template_path_outside_its_folder_is_404(http, path):
    assert http.get(path).status_code == 404


# -- subgraph blueprints ---------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_global_subgraphs_list_pack_blueprints_without_their_data(http, prefix):
    blueprints = http.get(f"{prefix}/global_subgraphs").json()
    [(blueprint_id, entry)] = blueprints.items()
    assert len(blueprint_id) == 64
    assert entry == {"source": "custom_node", "name": "blueprint", "info": {"node_pack": f"custom_nodes.{WEB_PACK}"}}


def test_one_global_subgraph_carries_its_workflow_text(http):
    [blueprint_id] = http.get("/api/global_subgraphs").json()
    entry = http.get(f"/api/global_subgraphs/{blueprint_id}").json()
    assert json.loads(entry["data"]) == {"definitions": {}}
    assert entry["name"] == "blueprint" and "path" not in entry


def test_an_unknown_global_subgraph_is_null(http):
    reply = http.get("/api/global_subgraphs/0000")
    assert reply.status_code == 200 and reply.json() is None


# -- core templates --------------------------------------------------------------------------------

templates_missing = pytest.mark.skipif(
    importlib.util.find_spec("comfyui_workflow_templates") is not None,
    reason="the comfyui-workflow-templates package is installed here",
)


@templates_missing
@pytest.mark.parametrize("name", ["index.json", "index.fr.json"])
def test_without_the_templates_package_the_template_index_is_an_empty_json_list(http, name):
    reply = http.get(f"/templates/{name}")
    assert reply.status_code == 200
    assert reply.headers["content-type"].startswith("application/json")
    assert reply.json() == []


@templates_missing
def test_without_the_templates_package_other_template_files_are_404(http):
    assert http.get("/templates/index_logo.json").json() == {}
    assert http.get("/templates/sd15.json").status_code == 404
