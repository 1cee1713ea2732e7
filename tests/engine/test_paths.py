"""Containment checks for file names that come from prompts and requests."""

from __future__ import annotations

import pytest

from comfyd.engine.paths import PathEscapesRoot, clean_relative, is_inside, resolve_inside


def test_resolve_inside_joins_and_resolves_paths_below_root(tmp_path):
    assert resolve_inside(tmp_path, "a", "b.png") == tmp_path.resolve() / "a" / "b.png"
    assert resolve_inside(tmp_path, "a/../b.png") == tmp_path.resolve() / "b.png"
    assert resolve_inside(tmp_path) == tmp_path.resolve()


@pytest.mark.parametrize(
    "parts",
    [
        pytest.param(("..",), id="parent"),
        pytest.param(("a", "../../x"), id="climbs-out"),
        pytest.param(("/etc/passwd",), id="absolute"),
        pytest.param(("../root-sibling",), id="sibling-with-common-prefix"),
    ],
)
def test_resolve_inside_rejects_paths_leaving_root(tmp_path, parts):
    root = tmp_path / "root"
    root.mkdir()

    assert resolve_inside(root, *parts) is None


def test_resolve_inside_rejects_symlink_pointing_outside(tmp_path):
    root = tmp_path / "root"
    root.mkdir()
    (tmp_path / "secret").write_text("s")
    (root / "link").symlink_to(tmp_path / "secret")

    assert resolve_inside(root, "link") is None
    assert not is_inside(root, root / "link")


def test_resolve_inside_accepts_symlinked_root(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "real", target_is_directory=True)

    assert resolve_inside(tmp_path / "alias", "f.png") == tmp_path.resolve() / "real" / "f.png"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a/b.pt", "a/b.pt"),
        ("../../b.pt", "b.pt"),
        ("/abs/b.pt", "abs/b.pt"),
        ("a/./../b.pt", "b.pt"),
        ("", None),
        ("..", None),
    ],
)
def test_clean_relative_keeps_names_inside_their_folder(name, expected):
    assert clean_relative(name) == expected


def test_path_escapes_root_is_a_value_error_naming_both_paths(tmp_path):
    error = PathEscapesRoot(tmp_path / "x", tmp_path / "out")

    assert isinstance(error, ValueError)
    assert str(tmp_path / "x") in str(error) and str(tmp_path / "out") in str(error)


def test_resolve_inside_treats_a_nul_byte_as_outside(tmp_path):
    assert resolve_inside(tmp_path, "x\x00.png") is None


def test_resolve_inside_treats_a_symlink_loop_as_outside(tmp_path):
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")

    assert resolve_inside(tmp_path, "a") is None
