"""`UserDirectory`: users.json, user ids and where each user's files live."""

from __future__ import annotations

import json

import pytest

from comfyd.users.directory import UserDirectory, signed_in_key
from comfyd.users.errors import (
    DuplicateUsername,
    InvalidUsername,
    PathOutsideUserRoot,
    UnknownUser,
    UsersFileCorrupt,
    UsersManagedByAccounts,
)


def test_single_user_directory_has_only_the_default_user(user_dir):
    directory = UserDirectory(user_dir, multi_user=False)
    assert directory.users == {"default": "default"}
    assert directory.root_of("default") == (user_dir / "default").resolve()
    assert not directory.is_migrated
    (user_dir / "default").mkdir()
    assert directory.is_migrated


def test_single_user_directory_ignores_users_json(user_dir):
    (user_dir / "users.json").write_text('{"someone": "Someone"}')
    with pytest.raises(UnknownUser):
        UserDirectory(user_dir, multi_user=False).root_of("someone")


def test_add_saves_users_json_that_a_new_directory_reads_back(users, user_dir):
    user_id = users.directory.add("  Ada Lovelace  ")
    assert user_id.startswith("Ada-Lovelace_")
    assert json.loads((user_dir / "users.json").read_text()) == {user_id: "Ada Lovelace"}
    assert UserDirectory(user_dir, multi_user=True).users == {user_id: "Ada Lovelace"}
    assert [p.name for p in user_dir.iterdir()] == ["users.json"]  # no temporary file left behind


def test_add_compares_names_after_trimming_them(users):
    users.directory.add("Ada")
    with pytest.raises(DuplicateUsername) as caught:
        users.directory.add(" Ada ")
    assert caught.value.username == "Ada"


def test_add_keeps_the_id_a_legal_file_name_for_a_very_long_name(users):
    user_id = users.directory.add("x" * 1000)
    assert len(user_id) == 200 + 1 + 36
    assert users.directory.root_of(user_id).name == user_id


@pytest.mark.parametrize("name", [None, "", "  ", 3, ["Ada"]])
def test_add_rejects_a_name_that_is_not_a_non_empty_string(users, name):
    with pytest.raises(InvalidUsername):
        users.directory.add(name)


@pytest.mark.parametrize(
    "content",
    [pytest.param("{oops", id="garbage"), pytest.param("[]", id="list"), pytest.param('{"a": 1}', id="non-string-name")],
)
def test_a_corrupt_users_json_stops_the_directory_from_opening(user_dir, content):
    (user_dir / "users.json").write_text(content)
    with pytest.raises(UsersFileCorrupt) as caught:
        UserDirectory(user_dir, multi_user=True)
    assert caught.value.path == user_dir / "users.json"


@pytest.mark.parametrize("user_id", ["..", ".", "", "a/b", "a\\b", "/abs"])
def test_root_of_refuses_an_id_that_is_not_one_path_segment_even_when_listed(user_dir, user_id):
    (user_dir / "users.json").write_text(json.dumps({user_id: "listed"}))
    with pytest.raises(UnknownUser):
        UserDirectory(user_dir, multi_user=True).root_of(user_id)


@pytest.mark.parametrize("name", ["../x", "/etc/passwd", "a/../../x", "a\0b"])
def test_path_of_refuses_a_name_that_leaves_the_user_directory(users, ada, name):
    with pytest.raises(PathOutsideUserRoot):
        users.directory.path_of(ada, name)


def test_path_of_follows_symlinks_before_deciding(users, ada, tmp_path):
    root = users.directory.root_of(ada)
    root.mkdir()
    (root / "inside").mkdir()
    (root / "to-inside").symlink_to(root / "inside")
    (root / "to-outside").symlink_to(tmp_path)
    assert users.directory.path_of(ada, "to-inside/a.json") == root / "inside" / "a.json"
    with pytest.raises(PathOutsideUserRoot):
        users.directory.path_of(ada, "to-outside/a.json")


# -- signed-in users (the server requires sign-in) ----------------------------------------------------


def test_a_signed_in_user_has_a_directory_per_workspace(user_dir):
    (user_dir / "users.json").write_text('{"someone": "Someone"}')
    directory = UserDirectory(user_dir, multi_user=False, signed_in=True)
    assert directory.is_multi_user
    key = signed_in_key("u1", "w1")
    assert directory.root_of(key) == (user_dir / "u1@w1").resolve()
    assert directory.root_of(key) != directory.root_of(signed_in_key("u1", "w2"))
    with pytest.raises(UnknownUser):
        directory.root_of("someone")  # users.json names nobody here
    with pytest.raises(UnknownUser):
        directory.root_of("default")


@pytest.mark.parametrize(("user", "workspace"), [("..", "w1"), ("u1", "../w"), ("u/1", "w1"), ("", "w1")])
def test_ids_that_cannot_name_a_directory_are_refused(user, workspace):
    with pytest.raises(UnknownUser):
        signed_in_key(user, workspace)


def test_users_cannot_be_added_when_they_are_the_accounts(user_dir):
    directory = UserDirectory(user_dir, multi_user=True, signed_in=True)
    with pytest.raises(UsersManagedByAccounts):
        directory.add("Ada")
    assert not (user_dir / "users.json").exists()
