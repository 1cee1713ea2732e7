"""`/system_stats`, `/features`, `/info` and `/config` against a real server."""

from __future__ import annotations

import importlib.metadata
import json
import uuid

import pytest
from websockets.sync.client import connect

PREFIXES = ["", "/api"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_system_stats_has_comfyuis_shape_with_one_cpu_device(http, prefix):
    reply = http.get(f"{prefix}/system_stats")
    assert reply.status_code == 200
    stats = reply.json()
    system = stats["system"]
    assert system["comfyui_version"] == "0.3.64"
    assert system["comfyd_version"]
    assert system["os"] in ("posix", "nt")
    assert system["ram_total"] >= system["ram_free"] > 0
    assert system["embedded_python"] is False
    assert isinstance(system["python_version"], str) and isinstance(system["pytorch_version"], str)
    assert "serve" in system["argv"]
    assert system["required_frontend_version"] == importlib.metadata.version("comfyui-frontend-package")
    [device] = stats["devices"]
    assert device["name"] == "cpu" and device["type"] == "cpu" and device["index"] is None
    assert device["vram_total"] == device["torch_vram_total"] == system["ram_total"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_features_turn_off_telemetry_and_cloud_sign_in(http, prefix):
    features = http.get(f"{prefix}/features").json()
    assert features["enable_telemetry"] is False
    assert features["local_web_sso"] is False
    assert features["supports_preview_metadata"] is True
    assert features["max_upload_size"] == 100 * 1024 * 1024


def test_features_include_every_flag_the_socket_announces(server, http):
    with connect(f"{server.ws_url}?clientId={uuid.uuid4().hex}") as ws:
        ws.recv(timeout=10)  # status
        ws.send(json.dumps({"type": "feature_flags", "data": {"supports_preview_metadata": True}}))
        socket_flags = json.loads(ws.recv(timeout=10))["data"]
    features = http.get("/api/features").json()
    assert socket_flags and all(features[key] == value for key, value in socket_flags.items())


@pytest.mark.parametrize("prefix", PREFIXES)
def test_info_names_the_server_and_the_comfyui_version_it_follows(http, prefix):
    info = http.get(f"{prefix}/info").json()
    assert info["name"] == "comfyd"
    assert info["comfyui_version"] == "0.3.64"
    assert info["api_prefixes"] == ["", "/api"]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_config_shows_the_effective_configuration(server, http, prefix):
    config = http.get(f"{prefix}/config").json()
    assert config["port"] == server.port
    assert config["base_directory"] == str(server.base_dir)
    assert config["multi_user"] is False

