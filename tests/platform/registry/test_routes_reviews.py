"""`POST /nodes/{id}/reviews?star=N`: one review per user and pack, `rating` is their mean; and
`GET /users`, the signed-in user as the registry sees them."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="module")
def pack(registry) -> str:
    owner = registry.user()
    publisher = registry.publisher(owner)
    pack_id = registry.pack_id()
    with registry.client(owner) as http:
        assert http.post(f"/publishers/{publisher}/nodes", json={"id": pack_id}).status_code == 201
    return pack_id


def review(registry, account, pack_id: str, star) -> tuple[int, dict]:
    with registry.client(account) as http:
        reply = http.post(f"/nodes/{pack_id}/reviews", params={"star": star})
    return reply.status_code, reply.json()


def test_reviews_update_the_rating(registry, pack):
    ada, grace = registry.user(), registry.user()
    assert review(registry, ada, pack, 5)[1]["rating"] == 5
    status, node = review(registry, grace, pack, 2)
    assert (status, node["id"], node["rating"]) == (200, pack, 3.5)
    assert registry.get(f"/nodes/{pack}").json()["rating"] == 3.5


def test_reviewing_again_replaces_the_users_stars(registry):
    owner = registry.user()
    publisher = registry.publisher(owner)
    pack_id = registry.pack_id()
    with registry.client(owner) as http:
        http.post(f"/publishers/{publisher}/nodes", json={"id": pack_id})
    ada, grace = registry.user(), registry.user()
    review(registry, ada, pack_id, 1)
    review(registry, grace, pack_id, 4)
    assert review(registry, ada, pack_id, 5)[1]["rating"] == 4.5


@pytest.mark.parametrize("star", [0, 6, -1])
def test_stars_outside_one_to_five_are_400(registry, pack, star):
    assert review(registry, registry.user(), pack, star)[0] == 400


def test_reviews_need_an_api_key(registry, pack):
    with registry.client() as http:
        assert http.post(f"/nodes/{pack}/reviews", params={"star": 3}).status_code == 401


def test_reviewing_an_unknown_pack_is_404(registry):
    assert review(registry, registry.user(), "no-such-pack", 3)[0] == 404


def test_get_user_describes_the_caller(registry):
    admin = registry.user(admin=True, name="Root")
    with registry.client(admin) as http:
        user = http.get("/users").json()
    assert user == {
        "id": admin.user_id,
        "email": admin.email,
        "name": "Root",
        "isApproved": True,
        "isAdmin": True,
    }
