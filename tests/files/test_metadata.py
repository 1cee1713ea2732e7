"""Reading `__metadata__` from safetensors headers, including headers that are broken."""

from __future__ import annotations

import json
import struct

import pytest

from comfyd.files.metadata import safetensors_metadata


def write(path, header: bytes, declared: int | None = None):
    path.write_bytes(struct.pack("<Q", len(header) if declared is None else declared) + header)
    return path


def test_metadata_is_read_from_the_header(tmp_path):
    path = write(tmp_path / "m.safetensors", json.dumps({"__metadata__": {"k": "v"}}).encode())

    assert safetensors_metadata(path) == {"k": "v"}


@pytest.mark.parametrize(
    "header",
    [
        pytest.param(b"[1, 2]", id="not-an-object"),
        pytest.param(b"{not json", id="not-json"),
        pytest.param(b"\xff\xfe{}", id="not-utf8"),
        pytest.param(b"{}", id="no-metadata"),
    ],
)
def test_an_unusable_header_reads_as_no_metadata(tmp_path, header):
    assert safetensors_metadata(write(tmp_path / "m.safetensors", header)) is None


def test_a_file_shorter_than_its_length_prefix_reads_as_no_metadata(tmp_path):
    (tmp_path / "tiny.safetensors").write_bytes(b"\x01\x02")

    assert safetensors_metadata(tmp_path / "tiny.safetensors") is None


def test_a_header_over_the_cap_is_not_read(tmp_path):
    path = write(tmp_path / "m.safetensors", json.dumps({"__metadata__": {"k": "v"}}).encode())

    assert safetensors_metadata(path, max_header_bytes=8) is None
