"""`/view`, `/viewvideo`, uploads, `/view_metadata` and `/internal/files` against a real server.

Traversal tests keep a secret file next to input/output/temp (in the base directory) and check on
disk that nothing outside those directories was served, created or changed.
"""

from __future__ import annotations

import io
import json
import os
import struct
from pathlib import Path

import pytest
from PIL import Image
from PIL.PngImagePlugin import PngInfo
from prompting import image_graph, queue_prompt, wait_for_history

SECRET = b"the secret next to the roots"
SAFETY = {"x-content-type-options": "nosniff", "content-security-policy": "sandbox"}


# -- helpers --------------------------------------------------------------------------------------


def png(size: tuple[int, int] = (4, 4), color=(255, 0, 0, 128), *, mode: str = "RGBA", text: dict | None = None) -> bytes:
    info = PngInfo()
    for key, value in (text or {}).items():
        info.add_text(key, value)
    buffer = io.BytesIO()
    Image.new(mode, size, color).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def put(server, kind: str, name: str, data: bytes, subfolder: str = "") -> Path:
    path = server.base_dir / kind / subfolder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def secret(server) -> Path:
    path = server.base_dir / "secret.txt"
    path.write_bytes(SECRET)
    return path


def files_under(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in directory.rglob("*") if p.is_file() and not p.is_symlink()}


def outside_roots(server) -> dict[str, bytes]:
    """Every file where an escaping upload could land: the base directory outside
    input/output/temp/user, and the top of the folder around it. (The other folders there are
    other tests' base directories, whose servers may still be writing.)"""
    skip = ("input", "output", "temp", "user")
    around = server.base_dir.parent
    found = {p.name: p.read_bytes() for p in around.iterdir() if p.is_file() and not p.is_symlink()}
    found.update(
        (f"{server.base_dir.name}{os.sep}{name}", data)
        for name, data in files_under(server.base_dir).items()
        if name.split(os.sep)[0] not in skip
    )
    return {name: data for name, data in found.items() if not name.endswith(".log")}


def upload(http, name: str, data: bytes, route: str = "/upload/image", **fields: str):
    return http.post(route, files={"image": (name, data, "image/png")}, data=fields)


def multipart(fields: dict[str, str], filename: str, data: bytes, boundary: str = "comfydtestboundary") -> bytes:
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{k}"\r\n\r\n{v}\r\n'.encode() for k, v in fields.items()]
    head = f'--{boundary}\r\nContent-Disposition: form-data; name="image"; filename="{filename}"\r\nContent-Type: image/png\r\n\r\n'
    return b"".join(parts) + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()


def decoded(reply) -> Image.Image:
    return Image.open(io.BytesIO(reply.content))


# -- /view ----------------------------------------------------------------------------------------


def test_view_serves_an_image_a_prompt_saved_at_both_prefixes(server, http):
    prompt_id = queue_prompt(http, image_graph("files_view"))
    image = wait_for_history(http, prompt_id)["outputs"]["3"]["images"][0]
    on_disk = (server.base_dir / "output" / image["subfolder"] / image["filename"]).read_bytes()
    for prefix in ("", "/api"):
        query = {"filename": image["filename"], "subfolder": image["subfolder"], "type": image["type"]}
        reply = http.get(f"{prefix}/view", params=query)
        assert reply.status_code == 200
        assert reply.content == on_disk
        assert reply.headers["content-type"] == "image/png"
        assert reply.headers["content-disposition"] == f'filename="{image["filename"]}"'
        assert SAFETY.items() <= reply.headers.items()


def test_view_finds_files_by_type_subfolder_and_annotation(server, http):
    put(server, "input", "in.png", b"input bytes")
    put(server, "temp", "tmp.png", b"temp bytes", subfolder="a/b")
    put(server, "output", "out.png", b"output bytes")
    assert http.get("/view", params={"filename": "in.png", "type": "input"}).content == b"input bytes"
    assert http.get("/view", params={"filename": "tmp.png", "type": "temp", "subfolder": "a/b"}).content == b"temp bytes"
    assert http.get("/view", params={"filename": "out.png"}).content == b"output bytes"
    # An annotation wins over `type`.
    assert http.get("/view", params={"filename": "in.png [input]", "type": "output"}).content == b"input bytes"


def test_view_without_filename_or_file_answers_404(http):
    assert http.get("/view").status_code == 404
    reply = http.get("/view", params={"filename": "nothing-here.png"})
    assert reply.status_code == 404
    assert "nothing-here.png" in reply.json()["error"]


def test_view_of_a_directory_answers_404(server, http):
    (server.base_dir / "output" / "a_directory").mkdir()
    assert http.get("/view", params={"filename": "a_directory"}).status_code == 404


@pytest.mark.parametrize("type_name", ["user", "models", "", "../input"])
def test_view_with_an_unknown_type_answers_400(http, type_name):
    reply = http.get("/view", params={"filename": "x.png", "type": type_name})
    assert reply.status_code == 400
    assert reply.json() == {"error": "Invalid directory type"}


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("filename=../secret.txt&type=input", id="dot-dot"),
        pytest.param("filename=%2e%2e%2fsecret.txt&type=input", id="encoded-dot-dot"),
        pytest.param("filename=%2E%2E%2Fsecret.txt&type=input", id="encoded-upper-case"),
        pytest.param("filename=..%5csecret.txt&type=input", id="backslash"),
        pytest.param("filename=%2Ftmp%2Fsecret.txt&type=input", id="absolute"),
        pytest.param("filename=/secret.txt%20[input]", id="absolute-annotated"),
        pytest.param("filename=sub/../../secret.txt&type=input", id="nested-dot-dot"),
        pytest.param("filename=&type=input", id="empty"),
        pytest.param("filename=%20[output]", id="only-an-annotation"),
        pytest.param("filename=x%00.png&type=input", id="nul-byte"),
    ],
)
def test_view_rejects_unsafe_filenames_with_400(server, http, query):
    secret(server)
    reply = http.get(f"/view?{query}")
    assert reply.status_code == 400, reply.text
    assert SECRET not in reply.content
    assert reply.json()["error"]


@pytest.mark.parametrize(
    "subfolder",
    [
        pytest.param("..", id="parent"),
        pytest.param("%2e%2e", id="encoded-parent"),
        pytest.param("sub%2F..%2F..", id="encoded-slash"),
        pytest.param("../..", id="grandparent"),
        pytest.param("/", id="filesystem-root"),
        pytest.param("a/../../", id="nested"),
    ],
)
def test_view_with_a_subfolder_outside_its_directory_answers_403(server, http, subfolder):
    secret(server)
    reply = http.get(f"/view?filename=secret.txt&type=input&subfolder={subfolder}")
    assert reply.status_code == 403, reply.text
    assert SECRET not in reply.content
    assert "outside" in reply.json()["error"]


def test_view_refuses_a_symlink_in_input_that_points_outside(server, http):
    (server.base_dir / "input" / "leak.txt").symlink_to(secret(server))
    reply = http.get("/view", params={"filename": "leak.txt", "type": "input"})
    assert reply.status_code == 403
    assert SECRET not in reply.content


def test_view_refuses_a_symlinked_subfolder_that_points_outside(server, http):
    secret(server)
    (server.base_dir / "input" / "escape").symlink_to(server.base_dir, target_is_directory=True)
    reply = http.get("/view", params={"filename": "secret.txt", "type": "input", "subfolder": "escape"})
    assert reply.status_code == 403
    assert SECRET not in reply.content


def test_view_follows_a_symlink_that_stays_inside(server, http):
    real = put(server, "input", "real.png", b"real bytes", subfolder="originals")
    (server.base_dir / "input" / "alias.png").symlink_to(real)
    reply = http.get("/view", params={"filename": "alias.png", "type": "input"})
    assert reply.status_code == 200
    assert reply.content == b"real bytes"
    assert reply.headers["content-disposition"] == 'filename="alias.png"'


@pytest.mark.parametrize(
    "name",
    ["page.html", "page.htm", "page.xhtml", "drawing.svg", "script.js", "module.mjs", "style.css", "feed.xml"],
)
def test_view_serves_active_content_as_opaque_bytes(server, http, name):
    put(server, "output", name, b"<script>alert(1)</script>")
    reply = http.get("/view", params={"filename": name})
    assert reply.status_code == 200
    assert reply.headers["content-type"] == "application/octet-stream"
    assert SAFETY.items() <= reply.headers.items()


def test_view_content_disposition_carries_names_http_headers_cannot(server, http):
    put(server, "output", 'café "quoted".png', b"bytes")
    reply = http.get("/view", params={"filename": 'café "quoted".png'})
    assert reply.status_code == 200
    assert reply.headers["content-disposition"] == (
        "filename=\"caf_ _quoted_.png\"; filename*=UTF-8''caf%C3%A9%20%22quoted%22.png"
    )


def test_view_sends_no_cache_control_as_comfyui_does(server, http):
    # ComfyUI's cache middleware matches image extensions on the URL path, which for /view is
    # "/view": an input overwritten by the mask editor must show at once under the same URL.
    put(server, "output", "fresh.png", png())
    assert "cache-control" not in http.get("/view", params={"filename": "fresh.png"}).headers
    assert "cache-control" not in http.get("/view", params={"filename": "absent.png"}).headers


# -- /view previews and channels ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("preview", "channel", "image_format"),
    [
        pytest.param("webp;50", None, "webp", id="webp"),
        pytest.param("jpeg;80", None, "jpeg", id="jpeg"),
        pytest.param("jpeg", None, "jpeg", id="jpeg-default-quality"),
        pytest.param("png;90", None, "webp", id="unknown-format-becomes-webp"),
        pytest.param("jpeg;80", "a", "webp", id="alpha-forces-webp"),
        pytest.param("webp;90", "rgb", "webp", id="webp-rgb"),
    ],
)
def test_view_preview_reencodes_the_image(server, http, preview, channel, image_format):
    put(server, "output", "preview.png", png((6, 5)))
    query = {"filename": "preview.png", "preview": preview, **({"channel": channel} if channel else {})}
    reply = http.get("/view", params=query)
    assert reply.status_code == 200
    assert reply.headers["content-type"] == f"image/{image_format}"
    assert reply.headers["content-disposition"] == 'filename="preview.png"'
    image = decoded(reply)
    assert (image.format.lower(), image.size) == (image_format, (6, 5))
    if image_format == "jpeg" or channel == "rgb":
        assert image.mode == "RGB"


def test_view_channel_rgb_drops_the_alpha(server, http):
    put(server, "output", "rgba.png", png(color=(10, 20, 30, 40)))
    reply = http.get("/view", params={"filename": "rgba.png", "channel": "rgb"})
    assert reply.headers["content-type"] == "image/png"
    image = decoded(reply)
    assert image.mode == "RGB" and image.getpixel((0, 0)) == (10, 20, 30)


def test_view_channel_a_keeps_only_the_alpha(server, http):
    put(server, "output", "alpha.png", png(color=(10, 20, 30, 40)))
    image = decoded(http.get("/view", params={"filename": "alpha.png", "channel": "a"}))
    assert image.mode == "RGBA" and image.getpixel((0, 0)) == (0, 0, 0, 40)


def test_view_channel_a_of_an_opaque_image_is_fully_opaque(server, http):
    put(server, "output", "opaque.png", png(color=(10, 20, 30), mode="RGB"))
    image = decoded(http.get("/view", params={"filename": "opaque.png", "channel": "a"}))
    assert image.getpixel((0, 0)) == (0, 0, 0, 255)


def test_view_channel_rgba_serves_the_file_unchanged(server, http):
    data = put(server, "output", "raw.png", png()).read_bytes()
    assert http.get("/view", params={"filename": "raw.png", "channel": "rgba"}).content == data


def test_view_preview_of_a_file_that_is_not_an_image_answers_400(server, http):
    put(server, "output", "notes.png", b"not an image at all")
    reply = http.get("/view", params={"filename": "notes.png", "preview": "webp;90"})
    assert reply.status_code == 400
    assert "notes.png" in reply.json()["error"]


# -- /viewvideo -----------------------------------------------------------------------------------

VIDEO = bytes(range(256)) * 8


def test_viewvideo_answers_a_range_request_with_206_and_exactly_those_bytes(server, http):
    put(server, "output", "clip.mp4", VIDEO)
    for prefix in ("", "/api"):
        reply = http.get(f"{prefix}/viewvideo", params={"filename": "clip.mp4"}, headers={"Range": "bytes=100-299"})
        assert reply.status_code == 206
        assert reply.content == VIDEO[100:300]
        assert reply.headers["content-range"] == f"bytes 100-299/{len(VIDEO)}"
        assert reply.headers["accept-ranges"] == "bytes"
        assert reply.headers["content-type"] == "video/mp4"
        assert SAFETY.items() <= reply.headers.items()


def test_viewvideo_serves_suffix_ranges_and_whole_files(server, http):
    put(server, "input", "tail.webm", VIDEO, subfolder="clips")
    query = {"filename": "tail.webm", "type": "input", "subfolder": "clips"}
    tail = http.get("/viewvideo", params=query, headers={"Range": "bytes=-16"})
    assert (tail.status_code, tail.content) == (206, VIDEO[-16:])
    whole = http.get("/viewvideo", params=query)
    assert (whole.status_code, whole.content) == (200, VIDEO)
    assert whole.headers["accept-ranges"] == "bytes"


def test_viewvideo_answers_head_with_the_length_and_no_body(server, http):
    put(server, "output", "probe.mp4", VIDEO)
    reply = http.head("/viewvideo", params={"filename": "probe.mp4"})
    assert reply.status_code == 200
    assert reply.headers["content-length"] == str(len(VIDEO))
    assert reply.content == b""


def test_viewvideo_answers_416_to_a_range_past_the_end(server, http):
    put(server, "output", "short.mp4", VIDEO)
    reply = http.get("/viewvideo", params={"filename": "short.mp4"}, headers={"Range": f"bytes={len(VIDEO) + 10}-"})
    assert reply.status_code == 416
    assert reply.headers["content-range"] == f"bytes */{len(VIDEO)}"


def test_viewvideo_applies_the_same_path_rules_as_view(server, http):
    (server.base_dir / "input" / "video-leak.mp4").symlink_to(secret(server))
    assert http.get("/viewvideo?filename=%2e%2e%2fsecret.txt&type=input").status_code == 400
    assert http.get("/viewvideo?filename=secret.txt&type=input&subfolder=..").status_code == 403
    assert http.get("/viewvideo?filename=video-leak.mp4&type=input", headers={"Range": "bytes=0-3"}).status_code == 403
    assert http.get("/viewvideo?filename=absent.mp4").status_code == 404


# -- /upload/image --------------------------------------------------------------------------------


def test_upload_image_stores_the_file_in_input_at_both_prefixes(server, http):
    for prefix, name in (("", "plain.png"), ("/api", "plain-api.png")):
        reply = upload(http, name, b"pixels", route=f"{prefix}/upload/image")
        assert reply.status_code == 200
        assert reply.json() == {"name": name, "subfolder": "", "type": "input"}
        assert (server.base_dir / "input" / name).read_bytes() == b"pixels"


def test_upload_image_stores_into_a_subfolder_of_temp_or_output(server, http):
    reply = upload(http, "t.png", b"temp", type="temp", subfolder="nested/deeper")
    assert reply.json() == {"name": "t.png", "subfolder": "nested/deeper", "type": "temp"}
    assert (server.base_dir / "temp" / "nested" / "deeper" / "t.png").read_bytes() == b"temp"
    assert upload(http, "o.png", b"out", type="output").json()["type"] == "output"
    assert (server.base_dir / "output" / "o.png").read_bytes() == b"out"


def test_upload_image_with_identical_content_reuses_the_existing_name(server, http):
    first = upload(http, "same.png", b"identical").json()
    second = upload(http, "same.png", b"identical").json()
    assert first["name"] == second["name"] == "same.png"
    assert sorted(p.name for p in (server.base_dir / "input").glob("same*")) == ["same.png"]


def test_upload_image_with_a_clashing_name_is_numbered(server, http):
    names = [upload(http, "clash.png", content).json()["name"] for content in (b"one", b"two", b"three", b"two")]
    assert names == ["clash.png", "clash (1).png", "clash (2).png", "clash (1).png"]
    assert (server.base_dir / "input" / "clash (2).png").read_bytes() == b"three"


@pytest.mark.parametrize("flag", ["true", "1"])
def test_upload_image_with_overwrite_replaces_the_file(server, http, flag):
    name = f"over-{flag}.png"
    upload(http, name, b"old")
    reply = upload(http, name, b"new", overwrite=flag)
    assert reply.json()["name"] == name
    assert (server.base_dir / "input" / name).read_bytes() == b"new"
    assert not list((server.base_dir / "input").glob(f"over-{flag} (*"))


def test_upload_image_overwrite_other_than_true_or_1_numbers_instead(server, http):
    upload(http, "keep.png", b"old")
    assert upload(http, "keep.png", b"new", overwrite="yes").json()["name"] == "keep (1).png"
    assert (server.base_dir / "input" / "keep.png").read_bytes() == b"old"


@pytest.mark.parametrize("type_name", ["user", "models", "", "../output"])
def test_upload_image_with_an_unknown_type_answers_400_and_writes_nothing(server, http, type_name):
    reply = upload(http, "typed.png", b"x", type=type_name)
    assert reply.status_code == 400
    assert reply.json() == {"error": "Invalid directory type"}
    assert not list(server.base_dir.parent.rglob("typed.png"))


def test_upload_image_without_a_file_answers_400(http):
    assert http.post("/upload/image", data={"type": "input"}).status_code == 400
    assert http.post("/upload/image", data={"image": "just text"}).status_code == 400
    reply = http.post("/upload/image", files={"image": ("", b"data", "image/png")})
    assert reply.status_code == 400
    assert "image" in reply.json()["error"]


@pytest.mark.parametrize(
    "subfolder",
    [
        pytest.param("..", id="parent"),
        pytest.param("../..", id="grandparent"),
        pytest.param("a/../../..", id="nested"),
        pytest.param("/tmp", id="absolute"),
    ],
)
def test_upload_image_into_a_subfolder_outside_input_answers_400_and_writes_nothing(server, http, subfolder):
    before = outside_roots(server)
    reply = upload(http, "evil-sub.png", b"payload", subfolder=subfolder)
    assert reply.status_code == 400, reply.text
    assert "would leave its directory" in reply.json()["error"]
    assert outside_roots(server) == before
    assert not Path("/tmp/evil-sub.png").exists()


def test_upload_image_takes_percent_escapes_in_form_fields_literally(server, http):
    # Form fields are not URL-decoded, so "%2e%2e" is a directory with that name, inside input.
    reply = upload(http, "escaped.png", b"payload", subfolder="%2e%2e")
    assert reply.status_code == 200
    assert (server.base_dir / "input" / "%2e%2e" / "escaped.png").read_bytes() == b"payload"


@pytest.mark.parametrize(
    "filename",
    [
        pytest.param("../evil-name.png", id="dot-dot"),
        pytest.param("../../evil-name.png", id="grandparent"),
        pytest.param("/tmp/evil-name.png", id="absolute"),
        pytest.param("sub/evil-name.png", id="with-a-directory"),
        pytest.param("..\\evil-name.png", id="backslash"),
        pytest.param("..", id="only-dot-dot"),
    ],
)
def test_upload_image_with_a_path_for_a_name_answers_400_and_writes_nothing(server, http, filename):
    before, inputs = outside_roots(server), files_under(server.base_dir / "input")
    reply = upload(http, filename, b"payload")
    assert reply.status_code == 400, reply.text
    assert outside_roots(server) == before
    assert files_under(server.base_dir / "input") == inputs
    assert not Path("/tmp/evil-name.png").exists()


def test_upload_image_refuses_a_symlinked_subfolder_that_points_outside(server, http):
    (server.base_dir / "input" / "out-link").symlink_to(server.base_dir, target_is_directory=True)
    before = outside_roots(server)
    reply = upload(http, "via-link.png", b"payload", subfolder="out-link")
    assert reply.status_code == 400
    assert outside_roots(server) == before


def test_upload_image_never_writes_or_reads_through_a_symlink_that_points_outside(server, http):
    target = secret(server)
    (server.base_dir / "input" / "trap.png").symlink_to(target)
    # Without overwrite the link is a clash like any other name; its target is not hashed.
    assert upload(http, "trap.png", SECRET).json()["name"] == "trap (1).png"
    # With overwrite, writing would go through the link: refused.
    reply = upload(http, "trap.png", b"clobber", overwrite="true")
    assert reply.status_code == 400
    assert target.read_bytes() == SECRET
    assert (server.base_dir / "input" / "trap.png").is_symlink()


# -- /upload/mask ---------------------------------------------------------------------------------


def mask_ref(filename: str, subfolder: str = "", type_name: str = "input") -> str:
    return json.dumps({"filename": filename, "subfolder": subfolder, "type": type_name})


def test_upload_mask_replaces_the_alpha_and_keeps_the_png_text(server, http):
    put(server, "input", "photo.png", png((4, 2), (200, 100, 50), mode="RGB", text={"workflow": '{"nodes": []}'}))
    mask = Image.new("RGBA", (4, 2), (0, 0, 0, 255))
    mask.putpixel((1, 0), (0, 0, 0, 0))
    buffer = io.BytesIO()
    mask.save(buffer, format="PNG")
    reply = upload(http, "photo-mask.png", buffer.getvalue(), route="/upload/mask", original_ref=mask_ref("photo.png"), subfolder="clipspace")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"name": "photo-mask.png", "subfolder": "clipspace", "type": "input"}
    result = Image.open(server.base_dir / "input" / "clipspace" / "photo-mask.png")
    assert result.format == "PNG" and result.mode == "RGBA"
    assert result.getpixel((0, 0)) == (200, 100, 50, 255)
    assert result.getpixel((1, 0)) == (200, 100, 50, 0)
    assert result.text == {"workflow": '{"nodes": []}'}


def test_upload_mask_finds_the_original_in_output_by_default(server, http):
    put(server, "output", "rendered.png", png((2, 2)), subfolder="run")
    ref = json.dumps({"filename": "rendered.png", "subfolder": "run"})
    reply = upload(http, "rendered-mask.png", png((2, 2), (0, 0, 0, 7)), route="/upload/mask", original_ref=ref)
    assert reply.status_code == 200
    assert Image.open(server.base_dir / "input" / "rendered-mask.png").getpixel((0, 0))[3] == 7


@pytest.mark.parametrize(
    ("ref", "status"),
    [
        pytest.param(mask_ref("../secret.txt"), 400, id="dot-dot-name"),
        pytest.param(mask_ref("/etc/passwd"), 400, id="absolute-name"),
        pytest.param(mask_ref("secret.txt", subfolder=".."), 403, id="dot-dot-subfolder"),
        pytest.param(mask_ref("secret.txt", subfolder="/"), 403, id="absolute-subfolder"),
        pytest.param(mask_ref("mask-leak.png"), 403, id="symlink-outside"),
        pytest.param(mask_ref("secret.txt", type_name="user"), 400, id="unknown-type"),
        pytest.param(mask_ref("absent.png"), 404, id="missing-original"),
        pytest.param("{not json", 400, id="not-json"),
        pytest.param('["photo.png"]', 400, id="not-an-object"),
    ],
)
def test_upload_mask_with_a_bad_original_ref_answers_4xx_and_writes_nothing(server, http, ref, status):
    secret(server)
    link = server.base_dir / "input" / "mask-leak.png"
    if not link.is_symlink():
        link.symlink_to(server.base_dir / "secret.txt")
    before, inputs = outside_roots(server), files_under(server.base_dir / "input")
    reply = upload(http, "bad-ref-mask.png", png(), route="/upload/mask", original_ref=ref)
    assert reply.status_code == status, reply.text
    assert SECRET not in reply.content
    assert outside_roots(server) == before
    assert files_under(server.base_dir / "input") == inputs


def test_upload_mask_without_original_ref_answers_400(http):
    reply = upload(http, "no-ref.png", png(), route="/upload/mask")
    assert reply.status_code == 400
    assert "original_ref" in reply.json()["error"]


def test_upload_mask_of_another_size_answers_400(server, http):
    put(server, "input", "small.png", png((2, 2)))
    reply = upload(http, "big-mask.png", png((3, 3)), route="/upload/mask", original_ref=mask_ref("small.png"))
    assert reply.status_code == 400
    assert "must match" in reply.json()["error"]
    assert not (server.base_dir / "input" / "big-mask.png").exists()


def test_upload_mask_with_an_escaping_name_answers_400(server, http):
    put(server, "input", "base.png", png((2, 2)))
    before = outside_roots(server)
    reply = upload(http, "../mask-escape.png", png((2, 2)), route="/upload/mask", original_ref=mask_ref("base.png"))
    assert reply.status_code == 400
    assert outside_roots(server) == before


# -- body size limit ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_server(start_module_server):
    return start_module_server("--max-upload-size", "1")


def test_upload_over_the_size_limit_answers_413_and_writes_nothing(small_server):
    with small_server.client() as http:
        reply = upload(http, "huge.png", b"x" * (1024 * 1024 + 1))
        assert reply.status_code == 413
        assert "1048576" in reply.json()["error"]
    assert not list((small_server.base_dir / "input").iterdir())


def test_chunked_upload_over_the_size_limit_answers_413_and_writes_nothing(small_server):
    body = multipart({"type": "input"}, "chunked.png", b"y" * (2 * 1024 * 1024))
    chunks = (body[i : i + 65536] for i in range(0, len(body), 65536))
    with small_server.client() as http:
        reply = http.post(
            "/upload/image", content=chunks, headers={"Content-Type": "multipart/form-data; boundary=comfydtestboundary"}
        )
        assert reply.request.headers.get("transfer-encoding") == "chunked"
        assert "content-length" not in reply.request.headers
        assert reply.status_code == 413
        assert "error" in reply.json()
    assert not list((small_server.base_dir / "input").iterdir())


def test_every_request_body_over_the_size_limit_answers_413(small_server):
    with small_server.client() as http:
        reply = http.post("/prompt", json={"prompt": {}, "padding": "p" * (1024 * 1024)})
        assert reply.status_code == 413
        assert "error" in reply.json()


def test_upload_under_the_size_limit_still_succeeds(small_server):
    with small_server.client() as http:
        reply = upload(http, "fits.png", b"z" * (512 * 1024))
        assert reply.status_code == 200
    assert (small_server.base_dir / "input" / "fits.png").stat().st_size == 512 * 1024


# -- /view_metadata -------------------------------------------------------------------------------


def safetensors(header: dict | bytes, *, declared: int | None = None) -> bytes:
    raw = header if isinstance(header, bytes) else json.dumps(header).encode()
    return struct.pack("<Q", len(raw) if declared is None else declared) + raw + b"\0" * 16


def test_view_metadata_answers_the_safetensors_metadata(server, http):
    metadata = {"ss_network_dim": "16", "modelspec.title": "tiny"}
    put(server, "models", "tiny.safetensors", safetensors({"__metadata__": metadata, "w": {}}), subfolder="loras")
    for prefix in ("", "/api"):
        reply = http.get(f"{prefix}/view_metadata/loras", params={"filename": "tiny.safetensors"})
        assert reply.status_code == 200
        assert reply.json() == metadata


@pytest.mark.parametrize(
    ("folder", "filename"),
    [
        pytest.param("loras", "plain.ckpt", id="not-safetensors"),
        pytest.param("loras", "absent.safetensors", id="missing"),
        pytest.param("loras", "bare.safetensors", id="no-metadata"),
        pytest.param("loras", "huge-header.safetensors", id="header-over-the-cap"),
        pytest.param("loras", "truncated.safetensors", id="truncated"),
        pytest.param("no_such_folder", "tiny.safetensors", id="unknown-folder"),
        pytest.param("loras", "", id="no-filename"),
    ],
)
def test_view_metadata_answers_404_when_there_is_nothing_to_show(server, http, folder, filename):
    put(server, "models", "plain.ckpt", safetensors({"__metadata__": {"a": "b"}}), subfolder="loras")
    put(server, "models", "bare.safetensors", safetensors({"w": {}}), subfolder="loras")
    put(server, "models", "huge-header.safetensors", safetensors({"__metadata__": {}}, declared=2 * 1024 * 1024), subfolder="loras")
    put(server, "models", "truncated.safetensors", struct.pack("<Q", 100) + b'{"__meta', subfolder="loras")
    reply = http.get(f"/view_metadata/{folder}", params={"filename": filename})
    assert reply.status_code == 404
    assert reply.json()["error"]


def test_view_metadata_cannot_climb_out_of_the_model_folder(server, http):
    put(server, "input", "outside.safetensors", safetensors({"__metadata__": {"leak": "yes"}}))
    reply = http.get("/view_metadata/loras", params={"filename": "../../input/outside.safetensors"})
    assert reply.status_code == 404


# -- /internal/files ------------------------------------------------------------------------------


def test_internal_files_lists_names_newest_first_without_directories(start_server):
    server = start_server()
    for age, name in enumerate(["newest.png", "middle.txt", "oldest.png"]):
        path = put(server, "temp", name, b"x")
        os.utime(path, (1_700_000_000 - age * 100, 1_700_000_000 - age * 100))
    put(server, "temp", "nested.png", b"x", subfolder="sub")
    with server.client() as http:
        reply = http.get("/internal/files/temp")
        assert reply.status_code == 200
        assert reply.json() == ["newest.png", "middle.txt", "oldest.png"]
        assert http.get("/internal/files/input").json() == []


def test_internal_files_with_an_unknown_type_answers_400(http):
    reply = http.get("/internal/files/models")
    assert reply.status_code == 400
    assert reply.json() == {"error": "Invalid directory type"}


def test_internal_files_is_not_mounted_under_api(http):
    assert http.get("/api/internal/files/output").status_code == 404
