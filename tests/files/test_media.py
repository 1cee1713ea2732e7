"""Content types and Content-Disposition for served files."""

from __future__ import annotations

import pytest

from comfyd.files.media import content_disposition, media_type


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("image.png", "image/png"),
        ("image.webp", "image/webp"),
        ("clip.mp4", "video/mp4"),
        ("notes.txt", "text/plain"),
        ("model.safetensors", "application/octet-stream"),
        ("page.html", "application/octet-stream"),
        ("drawing.svg", "application/octet-stream"),
        ("feed.rss", "application/octet-stream"),
        ("style.xsl", "application/octet-stream"),
    ],
)
def test_media_type_serves_active_content_as_octet_stream(name, expected):
    assert media_type(name) == expected


def test_content_disposition_keeps_plain_names_as_comfyui_sends_them():
    assert content_disposition("ComfyUI_00001_.png") == 'filename="ComfyUI_00001_.png"'


def test_content_disposition_never_lets_a_name_break_the_header():
    value = content_disposition('a"\r\nSet-Cookie: x.png')

    assert "\r" not in value and "\n" not in value
    assert value.startswith('filename="a___Set-Cookie: x.png"; filename*=UTF-8\'\'')
