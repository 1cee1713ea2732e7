"""`/object_info`, `/object_info/{class}` and `/nodes`: the node catalogue over HTTP."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from prompting import with_slow_pack

PREFIXES = pytest.mark.parametrize("prefix", ["", "/api"], ids=["plain", "api"])


@pytest.fixture(scope="module")
def catalogue_server(start_module_server, tmp_path_factory):
    return start_module_server(base_dir=with_slow_pack(tmp_path_factory.mktemp("comfyd")))


@pytest.fixture
def client(catalogue_server):
    with catalogue_server.client() as http:
        yield http


@PREFIXES
def test_object_info_lists_builtin_and_pack_nodes_in_comfyui_shape(client, prefix):
    reply = client.get(f"{prefix}/object_info")
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/json"
    nodes = reply.json()
    save = nodes["SaveImage"]
    assert save["input"]["required"]["images"][0] == "IMAGE"
    assert save["input"]["hidden"] == {"prompt": "PROMPT", "extra_pnginfo": "EXTRA_PNGINFO"}
    assert save["input_order"] == {"required": ["images", "filename_prefix"], "hidden": ["prompt", "extra_pnginfo"]}
    assert (save["output"], save["output_is_list"], save["output_name"]) == ([], [], [])
    assert save["output_node"] is True and save["python_module"] == "nodes" and save["category"] == "image"
    assert nodes["SlowImage"]["python_module"] == "custom_nodes.slow_pack"


@PREFIXES
def test_nodes_route_answers_the_same_catalogue_as_object_info(client, prefix):
    assert client.get(f"{prefix}/nodes").content == client.get(f"{prefix}/object_info").content


@PREFIXES
def test_object_info_for_one_class_and_for_an_unknown_class(client, prefix):
    one = client.get(f"{prefix}/object_info/ImageInvert").json()
    assert list(one) == ["ImageInvert"]
    assert one["ImageInvert"]["output"] == ["IMAGE"]
    missing = client.get(f"{prefix}/object_info/NoSuchNode")
    assert missing.status_code == 200 and missing.json() == {}


def test_object_info_lists_an_input_image_uploaded_after_it_was_first_served(client):
    before = client.get("/object_info").json()["LoadImage"]["input"]["required"]["image"][0]
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "blue").save(buffer, format="PNG")
    upload = client.post("/upload/image", files={"image": ("catalogue_new.png", buffer.getvalue(), "image/png")})
    assert upload.status_code == 200, upload.text
    after = client.get("/object_info").json()["LoadImage"]["input"]["required"]["image"][0]
    assert "catalogue_new.png" not in before
    assert "catalogue_new.png" in after
