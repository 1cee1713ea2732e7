"""The SDK's request and response models against the real server's `/openapi.json`: the comfyd
server's (for `ComfyClient` and the platform services: customer events, releases, workspaces)
and the registry app's, mounted by it at `/registry` (for the registry services). Each check is also run on a copy of the schema with one thing renamed or
removed, which must be reported: the test fails when the server changes what the SDK reads.
"""

from __future__ import annotations

import copy

import httpx
import pytest
from openapi_drift import drift

from comfyd.client import RegistryService, _customer_events, _releases, _workspaces
from comfyd.client._calls import ENDPOINTS as COMFY_ENDPOINTS
from comfyd.client._registry import OPERATIONS

REGISTRY_ENDPOINTS = [operation.endpoint for operation in OPERATIONS]
PLATFORM_ENDPOINTS = [
    operation.endpoint
    for operation in _customer_events.OPERATIONS + _releases.OPERATIONS + _workspaces.OPERATIONS
]


@pytest.fixture(scope="module")
def comfyd_schema(server) -> dict:
    return httpx.get(f"{server.url}/openapi.json", timeout=30).raise_for_status().json()


@pytest.fixture(scope="module")
def registry_schema(server) -> dict:
    return httpx.get(f"{server.url}/registry/openapi.json", timeout=30).raise_for_status().json()


def component(document: dict, method: str, path: str) -> dict:
    """The schema component that `method path` answers with."""
    schema = document["paths"][path][method]["responses"]["200"]["content"]["application/json"]["schema"]
    while "items" in schema:
        schema = schema["items"]
    return document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]


def renamed(document: dict, method: str, path: str, field: str, new_name: str) -> dict:
    changed = copy.deepcopy(document)
    properties = component(changed, method, path)["properties"]
    properties[new_name] = properties.pop(field)
    return changed


def test_comfy_client_models_match_the_comfyd_servers_schema(comfyd_schema):
    assert drift(comfyd_schema, COMFY_ENDPOINTS, strip="api/") == []


def test_registry_service_models_match_the_registry_apps_schema(registry_schema):
    assert drift(registry_schema, REGISTRY_ENDPOINTS) == []


def test_a_renamed_comfyd_answer_field_is_reported(comfyd_schema):
    changed = renamed(comfyd_schema, "post", "/prompt", "prompt_id", "promptId")

    assert drift(changed, COMFY_ENDPOINTS, strip="api/") == [
        "POST /prompt answer: QueuedPrompt.prompt_id is not in the server's schema"
    ]


def test_a_renamed_field_deep_in_a_registry_answer_is_reported(registry_schema):
    changed = renamed(registry_schema, "get", "/nodes/{node_id}", "latest_version", "latestVersion")

    problems = drift(changed, REGISTRY_ENDPOINTS)
    assert "GET /nodes/{pack_id} answer: Node.latest_version is not in the server's schema" in problems
    assert "GET /nodes answer.nodes[]: Node.latest_version is not in the server's schema" in problems


def test_a_changed_type_a_dropped_query_parameter_and_a_renamed_body_field_are_reported(registry_schema):
    changed = copy.deepcopy(registry_schema)
    component(changed, "get", "/nodes/{node_id}/versions")["properties"]["version"] = {"type": "integer"}
    search = changed["paths"]["/nodes/search"]["get"]
    search["parameters"] = [p for p in search["parameters"] if p["name"] != "comfy_node_search"]
    identifier = changed["components"]["schemas"]["NodeVersionIdentifier"]
    identifier["properties"]["nodeId"] = identifier["properties"].pop("node_id")

    problems = drift(changed, REGISTRY_ENDPOINTS)

    assert (
        "GET /nodes/{pack_id}/versions answer[].version: the SDK reads str, the server sends integer"
        in problems
    )
    assert "GET /nodes/search: the server does not declare query parameter 'comfy_node_search'" in problems
    assert (
        "POST /bulk/nodes/versions body.node_versions[]: NodeVersionIdentifier.node_id is not in the server's schema"
        in problems
    )


def test_platform_service_models_match_the_comfyd_servers_schema(comfyd_schema):
    assert len(PLATFORM_ENDPOINTS) == 24
    assert drift(comfyd_schema, PLATFORM_ENDPOINTS) == []


def test_renamed_fields_in_platform_answers_are_reported(comfyd_schema):
    changed = renamed(comfyd_schema, "get", "/customers/events", "totalPages", "total_pages")
    changed = renamed(changed, "get", "/releases", "published_at", "publishedAt")
    workspace = changed["components"]["schemas"]["WorkspaceWithRole"]["properties"]
    workspace["workspace_role"] = workspace.pop("role")

    problems = drift(changed, PLATFORM_ENDPOINTS)

    assert sorted(problems) == [
        "GET /api/workspaces answer.workspaces[]: WorkspaceWithRole.role is not in the server's schema",
        "GET /customers/events answer: CustomerEventsResponse.totalPages is not in the server's schema",
        "GET /releases answer[]: ReleaseNote.published_at is not in the server's schema",
        "PATCH /api/workspaces/{workspace_id} answer: WorkspaceWithRole.role is not in the server's schema",
        "POST /api/workspaces answer: WorkspaceWithRole.role is not in the server's schema",
    ]


def test_platform_types_bodies_queries_and_required_fields_are_checked(comfyd_schema):
    changed = copy.deepcopy(comfyd_schema)
    schemas = changed["components"]["schemas"]
    schemas["BillingBalanceResponse"]["properties"]["amount_micros"] = {"type": "string"}
    schemas["InviteCreate"]["properties"]["mail"] = schemas["InviteCreate"]["properties"].pop("email")
    schemas["WorkspaceTokenResponse"]["required"].remove("token")
    events = changed["paths"]["/customers/events"]["get"]
    events["parameters"] = [p for p in events["parameters"] if p["name"] != "filter"]

    problems = drift(changed, PLATFORM_ENDPOINTS)

    assert sorted(problems) == [
        "GET /api/billing/balance answer.amount_micros: the SDK reads int, the server sends string",
        "GET /customers/events: the server does not declare query parameter 'filter'",
        "POST /api/auth/token answer: the SDK requires WorkspaceTokenResponse.token, which the server may leave out",
        "POST /api/workspace/invites body: InviteCreate.email is not in the server's schema",
    ]


def test_a_registry_service_reaches_the_registry_mounted_in_comfyd_serve(server):
    with RegistryService(f"{server.url}/registry") as registry:
        page = registry.list_all_packs(limit=5)

    assert registry.error is None and page is not None and page.limit == 5
