"""`UserData`: listing, writing and moving files inside one user's directory."""

from __future__ import annotations

import pytest

from comfyd.users.errors import InvalidFilename, PathNotProvided, UserDataNotFound, UserFileExists


@pytest.fixture
def home(users, ada):
    root = users.directory.root_of(ada)
    root.mkdir()
    return root


def put(home, name, content="x"):
    path = home / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


def test_list_files_skips_dot_names_and_does_not_follow_symlinked_directories(users, ada, home):
    put(home, "w/a.json")
    put(home, "w/.tmp")
    put(home, "w/.git/config")
    put(home, "other/b.json")
    (home / "w" / "alias").symlink_to(home / "other", target_is_directory=True)
    (home / "w" / "b-link.json").symlink_to(home / "other" / "b.json")
    listed = users.data.list_files(ada, "w", recurse=True)
    assert [f.path for f in listed] == ["a.json", "b-link.json"]


def test_list_files_of_a_file_is_empty_as_in_comfyui(users, ada, home):
    put(home, "a.json")
    assert users.data.list_files(ada, "a.json") == []


def test_list_files_needs_a_directory_name(users, ada):
    with pytest.raises(PathNotProvided) as caught:
        users.data.list_files(ada, "")
    assert caught.value.kind == "directory"


def test_write_without_overwrite_refuses_an_existing_file(users, ada, home):
    users.data.write(ada, "a.json", b"1", overwrite=False)
    with pytest.raises(UserFileExists):
        users.data.write(ada, "a.json", b"2", overwrite=False)
    assert (home / "a.json").read_text() == "1"


def test_write_of_a_name_the_system_refuses_is_an_invalid_filename(users, ada, home):
    with pytest.raises(InvalidFilename):
        users.data.write(ada, "x" * 300, b"1")
    put(home, "dir/inner.json")
    with pytest.raises(InvalidFilename):
        users.data.write(ada, "dir", b"1")
    assert [p.name for p in home.iterdir()] == ["dir"]  # no temporary file left behind


def test_move_renames_a_whole_directory(users, ada, home):
    put(home, "old/a.json", "A")
    info = users.data.move(ada, "old", "new/place")
    assert info.path == "new/place"
    assert (home / "new" / "place" / "a.json").read_text() == "A"


def test_move_of_a_directory_into_itself_is_an_invalid_filename(users, ada, home):
    put(home, "d/a.json")
    with pytest.raises(InvalidFilename):
        users.data.move(ada, "d", "d/inner")
    assert (home / "d" / "a.json").exists()


def test_browse_of_a_missing_subdirectory_is_not_found(users, ada, home):
    with pytest.raises(UserDataNotFound) as caught:
        users.data.browse(ada, "missing")
    assert caught.value.kind == "path"
