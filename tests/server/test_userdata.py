"""`/userdata`, `/v2/userdata`, `/userdata/{file}` and `/userdata/{file}/move/{dest}`, against a real
server: the wire shapes, every error status, and that no path reaches outside the user's directory.
"""

from __future__ import annotations

import json

import pytest
from accounts import PREFIXES, client_as, create_user, user_root

INVALID_FILENAME = 'Invalid filename. Please avoid special characters like :\\/*?"<>|'


@pytest.fixture(scope="module")
def multi_user(start_module_server):
    return start_module_server("--multi-user")


@pytest.fixture
def user_id(multi_user) -> str:
    """A fresh user, so every test starts with an empty user directory."""
    return create_user(multi_user)


@pytest.fixture
def home(multi_user, user_id):
    """The fresh user's directory on disk (not created until something is saved)."""
    return user_root(multi_user, user_id)


@pytest.fixture
def http(multi_user, user_id):
    with client_as(multi_user, user_id) as client:
        yield client


@pytest.fixture
def secret(multi_user):
    """A file beside the user directory (`<base>/secret.txt`) that no user may read or replace."""
    path = multi_user.base_dir / "secret.txt"
    path.write_text("top secret")
    return path


def put(home, name: str, content: str = "{}") -> None:
    path = home / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(content)


# --- one file -----------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_posted_file_is_stored_raw_under_the_user_and_read_back(http, home, prefix):
    content = b"\x00\x01binary\xff"
    reply = http.post(f"{prefix}/userdata/workflows%2Fa%20b.json", content=content)
    assert reply.status_code == 200
    assert reply.json() == "workflows/a b.json"
    assert (home / "workflows" / "a b.json").read_bytes() == content
    read = http.get(f"{prefix}/userdata/workflows%2Fa%20b.json")
    assert read.status_code == 200
    assert read.content == content


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_with_full_info_answers_path_size_modified_and_created(http, home, prefix):
    reply = http.post(f"{prefix}/userdata/workflows%2Fx.json?full_info=true", content=b"12345")
    assert reply.status_code == 200
    info = reply.json()
    stat = (home / "workflows" / "x.json").stat()
    assert info == {"path": "workflows/x.json", "size": 5, "modified": stat.st_mtime, "created": stat.st_ctime}


def test_post_overwrites_by_default_and_with_any_overwrite_value_but_false(http, home):
    http.post("/userdata/a.json", content=b"one")
    assert http.post("/userdata/a.json", content=b"two").status_code == 200
    assert http.post("/userdata/a.json?overwrite=False", content=b"three").status_code == 200
    assert (home / "a.json").read_text() == "three"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_post_with_overwrite_false_answers_409_for_an_existing_file_and_keeps_it(http, home, prefix):
    assert http.post(f"{prefix}/userdata/a.json?overwrite=false", content=b"first").status_code == 200
    reply = http.post(f"{prefix}/userdata/a.json?overwrite=false", content=b"second")
    assert reply.status_code == 409
    assert reply.text == "File already exists"
    assert (home / "a.json").read_text() == "first"


def test_a_name_encoded_twice_is_decoded_twice(http, home):
    put(home, "workflows/twice.json", "2")
    assert http.get("/userdata/workflows%252Ftwice.json").text == "2"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_get_and_delete_of_a_missing_file_answer_404(http, prefix):
    assert http.get(f"{prefix}/userdata/missing.json").status_code == 404
    assert http.delete(f"{prefix}/userdata/missing.json").status_code == 404


@pytest.mark.parametrize("prefix", PREFIXES)
def test_delete_removes_the_file_and_answers_204(http, home, prefix):
    put(home, "workflows/gone.json")
    reply = http.delete(f"{prefix}/userdata/workflows%2Fgone.json")
    assert reply.status_code == 204
    assert not (home / "workflows" / "gone.json").exists()
    assert http.get(f"{prefix}/userdata/workflows%2Fgone.json").status_code == 404


def test_get_and_delete_of_a_directory_answer_404_and_keep_it(http, home):
    put(home, "workflows/a.json")
    assert http.get("/userdata/workflows").status_code == 404
    assert http.delete("/userdata/workflows").status_code == 404
    assert (home / "workflows" / "a.json").exists()


def test_post_under_a_path_whose_parent_is_a_file_answers_400_invalid_filename(http, home):
    put(home, "a.json", "keep")
    reply = http.post("/userdata/a.json%2Fb.json", content=b"x")
    assert reply.status_code == 400
    assert reply.text == INVALID_FILENAME
    assert (home / "a.json").read_text() == "keep"


def test_post_with_an_empty_name_answers_400(http):
    reply = http.post("/userdata/", content=b"x")
    assert reply.status_code == 400
    assert reply.text == "File not provided"


def test_a_file_path_of_more_than_one_raw_segment_is_not_a_userdata_route(http, home):
    put(home, "a/b.json")
    assert http.get("/userdata/a/b.json").status_code == 404


# --- moving -------------------------------------------------------------------------------------


@pytest.mark.parametrize("prefix", PREFIXES)
def test_move_renames_the_file_and_answers_its_new_path(http, home, prefix):
    put(home, "workflows/a.json", "A")
    reply = http.post(f"{prefix}/userdata/workflows%2Fa.json/move/archive%2Fb.json")
    assert reply.status_code == 200
    assert reply.json() == "archive/b.json"
    assert not (home / "workflows" / "a.json").exists()
    assert (home / "archive" / "b.json").read_text() == "A"


def test_move_with_full_info_answers_the_destination_info(http, home):
    put(home, "a.json", "abc")
    reply = http.post("/userdata/a.json/move/b.json?full_info=true")
    assert reply.status_code == 200
    info = reply.json()
    assert info["path"] == "b.json"
    assert info["size"] == 3
    assert set(info) == {"path", "size", "modified", "created"}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_move_of_a_missing_source_answers_404(http, home, prefix):
    reply = http.post(f"{prefix}/userdata/missing.json/move/b.json")
    assert reply.status_code == 404
    assert not (home / "b.json").exists()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_move_onto_an_existing_file_answers_409_without_overwrite_and_replaces_it_by_default(http, home, prefix):
    put(home, "a.json", "A")
    put(home, "b.json", "B")
    reply = http.post(f"{prefix}/userdata/a.json/move/b.json?overwrite=false")
    assert reply.status_code == 409
    assert reply.text == "File already exists"
    assert (home / "a.json").read_text() == "A"
    assert (home / "b.json").read_text() == "B"
    assert http.post(f"{prefix}/userdata/a.json/move/b.json").status_code == 200
    assert not (home / "a.json").exists()
    assert (home / "b.json").read_text() == "A"


# --- listing ------------------------------------------------------------------------------------


@pytest.fixture
def workflows(home):
    for name in ("workflows/b.json", "workflows/a.json", "workflows/sub/c.json", "workflows/.hidden.json"):
        put(home, name, "x" * len(name))
    (home / "workflows" / "empty").mkdir()


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_answers_the_files_in_a_directory_without_subdirectories(http, workflows, prefix):
    reply = http.get(f"{prefix}/userdata", params={"dir": "workflows"})
    assert reply.status_code == 200
    assert sorted(reply.json()) == ["a.json", "b.json"]


def test_list_with_recurse_includes_files_in_subdirectories(http, workflows):
    reply = http.get("/userdata", params={"dir": "workflows", "recurse": "true"})
    assert sorted(reply.json()) == ["a.json", "b.json", "sub/c.json"]


def test_list_with_split_answers_the_path_and_its_parts(http, workflows):
    reply = http.get("/userdata", params={"dir": "workflows", "recurse": "TRUE", "split": "true"})
    assert sorted(reply.json()) == [["a.json", "a.json"], ["b.json", "b.json"], ["sub/c.json", "sub", "c.json"]]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_with_full_info_answers_path_size_modified_and_created(http, home, workflows, prefix):
    query = {"dir": "workflows", "recurse": "true", "split": "true", "full_info": "true"}
    rows = sorted(http.get(f"{prefix}/userdata", params=query).json(), key=lambda r: r["path"])
    assert [r["path"] for r in rows] == ["a.json", "b.json", "sub/c.json"]
    stat = (home / "workflows" / "sub" / "c.json").stat()
    assert rows[2] == {"path": "sub/c.json", "size": stat.st_size, "modified": stat.st_mtime, "created": stat.st_ctime}


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_without_a_directory_answers_400(http, prefix):
    for query in ({}, {"dir": ""}):
        reply = http.get(f"{prefix}/userdata", params=query)
        assert reply.status_code == 400
        assert reply.text == "Directory not provided"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_list_of_a_missing_directory_answers_404(http, prefix):
    reply = http.get(f"{prefix}/userdata", params={"dir": "workflows"})
    assert reply.status_code == 404
    assert reply.text == "Directory not found"


@pytest.mark.parametrize("directory", ["..", "../..", "/etc", "%2e%2e", "workflows/../../.."])
def test_list_of_a_directory_outside_the_user_answers_403(http, directory):
    reply = http.get("/api/userdata", params={"dir": directory})
    assert reply.status_code == 403
    assert reply.text == "Invalid directory"


@pytest.mark.parametrize("prefix", PREFIXES)
def test_browse_lists_directories_first_then_names_case_insensitively(http, home, prefix):
    for name in ("b.json", "A.json", "Zdir/x.json", "adir/Y.json"):
        put(home, name, "12")
    reply = http.get(f"{prefix}/v2/userdata")
    assert reply.status_code == 200
    rows = reply.json()
    assert [(r["type"], r["path"]) for r in rows] == [
        ("directory", "adir"),
        ("directory", "Zdir"),
        ("file", "A.json"),
        ("file", "b.json"),
        ("file", "Zdir/x.json"),
        ("file", "adir/Y.json"),
    ]
    stat = (home / "b.json").stat()
    assert rows[3] == {"name": "b.json", "path": "b.json", "type": "file", "size": 2, "modified": stat.st_mtime}
    assert rows[0] == {"name": "adir", "path": "adir", "type": "directory"}


def test_browse_of_a_subdirectory_answers_paths_relative_to_the_user_directory(http, home):
    put(home, "workflows/sub/a.json")
    rows = http.get("/v2/userdata", params={"path": "workflows"}).json()
    assert [r["path"] for r in rows] == ["workflows/sub", "workflows/sub/a.json"]


def test_browse_for_a_user_without_a_directory_answers_an_empty_list(http, home):
    assert not home.exists()
    assert http.get("/v2/userdata").json() == []


@pytest.mark.parametrize(
    "path, status, text",
    [
        pytest.param("missing", 404, "Path not found", id="missing"),
        pytest.param("a.json", 400, "Requested path is not a directory", id="file"),
        pytest.param("..", 400, "Invalid path requested", id="parent"),
        pytest.param("/etc", 400, "Invalid path requested", id="absolute"),
        pytest.param("%2e%2e%2f%2e%2e", 400, "Invalid path requested", id="encoded"),
    ],
)
@pytest.mark.parametrize("prefix", PREFIXES)
def test_browse_answers_the_error_for_a_path_it_cannot_list(http, home, prefix, path, status, text):
    put(home, "a.json")
    reply = http.get(f"{prefix}/v2/userdata", params={"path": path})
    assert reply.status_code == status
    assert reply.text == text


# --- staying inside the user's directory --------------------------------------------------------

ESCAPING_NAMES = [
    pytest.param("..%2F..%2Fsecret.txt", id="dot-dot"),
    pytest.param("%2E%2E%2F%2E%2E%2Fsecret.txt", id="encoded-dots"),
    pytest.param("%252e%252e%252f%252e%252e%252fsecret.txt", id="double-encoded"),
    pytest.param("workflows%2F..%2F..%2F..%2Fsecret.txt", id="down-then-up"),
    pytest.param("{base}%2Fsecret.txt", id="absolute"),
]


def escaping(name: str, server) -> str:
    return name.format(base=str(server.base_dir).replace("/", "%2F"))


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("name", ESCAPING_NAMES)
def test_a_file_name_that_escapes_the_user_directory_answers_403_and_touches_nothing(
    http, multi_user, secret, home, prefix, name
):
    name = escaping(name, multi_user)
    put(home, "mine.json", "mine")
    read = http.get(f"{prefix}/userdata/{name}")
    assert (read.status_code, read.text) == (403, "Invalid file")
    assert http.post(f"{prefix}/userdata/{name}", content=b"overwritten").status_code == 403
    assert http.delete(f"{prefix}/userdata/{name}").status_code == 403
    assert http.post(f"{prefix}/userdata/{name}/move/stolen.txt").status_code == 403
    assert http.post(f"{prefix}/userdata/mine.json/move/{name}").status_code == 403
    assert secret.read_text() == "top secret"
    assert not (home / "stolen.txt").exists()
    assert (home / "mine.json").read_text() == "mine"


def test_a_file_written_beside_the_users_json_is_refused(http, multi_user):
    users_file = multi_user.base_dir / "user" / "users.json"
    before = users_file.read_bytes()
    assert http.post("/userdata/..%2Fusers.json", content=b"{}").status_code == 403
    assert http.get("/userdata/..%2Fusers.json").status_code == 403
    assert users_file.read_bytes() == before


def test_the_user_directory_itself_cannot_be_written_deleted_or_moved(http, home):
    put(home, "a.json")
    # "%2E" because clients normalise a literal "." segment away before sending.
    assert http.post("/userdata/%2E", content=b"x").status_code == 403
    assert http.delete("/userdata/%2E").status_code == 403
    assert http.post("/userdata/%2E/move/elsewhere").status_code == 403
    assert http.post("/userdata/a.json/move/%2E").status_code == 403
    assert http.post("/userdata/a.json/move/sub%2F..").status_code == 403
    assert (home / "a.json").exists()


@pytest.fixture
def outside(tmp_path):
    """A directory outside the server, with a file a symlink in the user directory will point at."""
    (tmp_path / "leak.txt").write_text("outside")
    return tmp_path


@pytest.fixture
def links(home, outside):
    home.mkdir(parents=True)
    (home / "linked-dir").symlink_to(outside, target_is_directory=True)
    (home / "linked-file.txt").symlink_to(outside / "leak.txt")
    put(home, "own.json", "own")


def test_a_symlink_to_outside_is_not_followed_to_read_write_or_delete(http, outside, links):
    for name in ("linked-file.txt", "linked-dir%2Fleak.txt"):
        assert http.get(f"/userdata/{name}").status_code == 403
        assert http.post(f"/userdata/{name}", content=b"changed").status_code == 403
        assert http.delete(f"/userdata/{name}").status_code == 403
        assert http.post(f"/userdata/{name}/move/taken.txt").status_code == 403
    assert http.post("/userdata/linked-dir%2Fnew.txt", content=b"planted").status_code == 403
    assert http.post("/userdata/own.json/move/linked-dir%2Fown.json").status_code == 403
    assert sorted(p.name for p in outside.iterdir()) == ["leak.txt"]
    assert (outside / "leak.txt").read_text() == "outside"


def test_listings_leave_out_symlinks_that_point_outside(http, links):
    assert http.get("/userdata", params={"dir": ".", "recurse": "true"}).json() == ["own.json"]
    assert http.get("/userdata", params={"dir": "linked-dir"}).status_code == 403
    assert [r["path"] for r in http.get("/v2/userdata").json()] == ["own.json"]
    assert http.get("/v2/userdata", params={"path": "linked-dir"}).status_code == 400


def test_two_users_cannot_see_or_touch_each_others_files(start_server):
    server = start_server("--multi-user")
    alice, bob = create_user(server, "alice"), create_user(server, "bob")
    with client_as(server, alice) as as_alice, client_as(server, bob) as as_bob:
        assert as_alice.post("/userdata/workflows%2Fplan.json", content=b'{"alice": 1}').status_code == 200
        assert as_bob.get("/userdata/workflows%2Fplan.json").status_code == 404
        assert as_bob.delete("/api/userdata/workflows%2Fplan.json").status_code == 404
        assert as_bob.get("/userdata", params={"dir": "workflows"}).status_code == 404
        assert as_bob.get("/v2/userdata").json() == []
        via_parent = f"..%2F{alice}%2Fworkflows%2Fplan.json"
        assert as_bob.get(f"/userdata/{via_parent}").status_code == 403
        assert as_bob.post(f"/userdata/{via_parent}", content=b"bob was here").status_code == 403
        assert as_bob.delete(f"/userdata/{via_parent}").status_code == 403
        assert as_bob.get("/userdata", params={"dir": f"../{alice}/workflows"}).status_code == 403
        assert as_bob.get("/v2/userdata", params={"path": f"../{alice}"}).status_code == 400
        assert as_alice.get("/api/userdata", params={"dir": "workflows"}).json() == ["plan.json"]
    assert json.loads((user_root(server, alice) / "workflows" / "plan.json").read_text()) == {"alice": 1}
    assert not (user_root(server, bob) / "workflows").exists()


def test_single_user_server_keeps_userdata_in_the_default_user_directory(server):
    with server.client() as http:
        assert http.post("/api/userdata/workflows%2Fsingle.json", content=b"1").status_code == 200
        assert http.get("/userdata", params={"dir": "workflows"}).json() == ["single.json"]
    assert (user_root(server, "default") / "workflows" / "single.json").read_text() == "1"
