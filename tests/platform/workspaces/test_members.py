"""`/api/workspace/members…` over HTTP: listing with pagination, removing members, changing roles,
and the role checks on each."""

from __future__ import annotations


def test_members_are_listed_in_the_order_they_joined_with_the_fields_the_frontend_reads(cloud):
    ada, grace = cloud.user("Ada"), cloud.user("Grace")
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    body = cloud.request(ada, "GET", "/api/workspace/members", workspace=team).json()

    assert body["pagination"] == {"offset": 0, "limit": 50, "total": 2, "has_more": False}
    owner, member = body["members"]
    assert (owner["id"], owner["name"], owner["email"], owner["role"]) == (
        ada.user_id,
        "Ada",
        ada.email,
        "owner",
    )
    assert owner["is_original_owner"] is True and member["is_original_owner"] is False
    assert (member["id"], member["role"]) == (grace.user_id, "member")
    # What Ada (an owner) may do to each: nothing to herself, everything to Grace.
    assert owner["capabilities"] == {
        "can_change_role": False,
        "can_remove": False,
        "can_set_credit_limit": False,
    }
    assert member["capabilities"]["can_remove"] is True and member["capabilities"]["can_change_role"] is True


def test_members_page_with_offset_and_limit(cloud):
    ada = cloud.user()
    team = cloud.team(ada)
    others = [cloud.user() for _ in range(3)]
    for other in others:
        cloud.join(ada, team, other)

    first = cloud.request(ada, "GET", "/api/workspace/members", workspace=team, params={"limit": 3}).json()
    rest = cloud.request(
        ada, "GET", "/api/workspace/members", workspace=team, params={"offset": 3, "limit": 3}
    ).json()

    assert first["pagination"] == {"offset": 0, "limit": 3, "total": 4, "has_more": True}
    assert rest["pagination"] == {"offset": 3, "limit": 3, "total": 4, "has_more": False}
    listed = [m["id"] for m in first["members"] + rest["members"]]
    assert listed == [ada.user_id, *(o.user_id for o in others)]


def test_bad_paging_parameters_are_refused(cloud):
    ada = cloud.user()
    for params in [{"offset": -1}, {"limit": 0}, {"limit": 101}, {"limit": "many"}]:
        cloud.refused(
            cloud.request(ada, "GET", "/api/workspace/members", params=params), 400, "invalid_request"
        )


def test_a_member_reads_the_member_list_without_managing_anyone(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    body = cloud.request(grace, "GET", "/api/workspace/members", workspace=team).json()

    assert {m["id"] for m in body["members"]} == {ada.user_id, grace.user_id}
    assert all(not m["capabilities"]["can_remove"] for m in body["members"])


def test_a_non_member_cannot_read_the_member_list(cloud):
    ada, mallory = cloud.user(), cloud.user()
    team = cloud.team(ada)

    reply = cloud.request(mallory, "GET", "/api/workspace/members", workspace=team)

    cloud.refused(reply, 403, "no_workspace_access")
    assert ada.email not in reply.text


def test_the_owner_removes_a_member(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    reply = cloud.request(ada, "DELETE", f"/api/workspace/members/{grace.user_id}", workspace=team)

    assert reply.status_code == 204
    assert cloud.member_roles(team) == {ada.user_id: "owner"}
    assert team not in cloud.workspace_ids(grace)


def test_a_member_cannot_remove_anyone(cloud):
    ada, grace, alan = cloud.user(), cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)
    cloud.join(ada, team, alan)

    for target in [ada, alan]:
        reply = cloud.request(grace, "DELETE", f"/api/workspace/members/{target.user_id}", workspace=team)
        cloud.refused(reply, 403, "forbidden")

    assert cloud.member_roles(team) == {ada.user_id: "owner", grace.user_id: "member", alan.user_id: "member"}


def test_an_owner_cannot_remove_themselves_or_a_stranger(cloud):
    ada, stranger = cloud.user(), cloud.user()
    team = cloud.team(ada)

    own = cloud.request(ada, "DELETE", f"/api/workspace/members/{ada.user_id}", workspace=team)
    other = cloud.request(ada, "DELETE", f"/api/workspace/members/{stranger.user_id}", workspace=team)

    cloud.refused(own, 400, "invalid_action")
    cloud.refused(other, 404, "member_not_found")
    assert cloud.member_roles(team) == {ada.user_id: "owner"}


def test_the_owner_promotes_a_member_and_cannot_demote_the_last_owner(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    cloud.refused(
        cloud.request(
            ada, "PATCH", f"/api/workspace/members/{ada.user_id}", workspace=team, json={"role": "member"}
        ),
        409,
        "last_owner",
    )
    promoted = cloud.request(
        ada, "PATCH", f"/api/workspace/members/{grace.user_id}", workspace=team, json={"role": "owner"}
    )

    assert promoted.status_code == 200 and promoted.json()["role"] == "owner"
    assert cloud.member_roles(team) == {ada.user_id: "owner", grace.user_id: "owner"}


def test_a_member_cannot_change_roles(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    reply = cloud.request(
        grace, "PATCH", f"/api/workspace/members/{grace.user_id}", workspace=team, json={"role": "owner"}
    )

    cloud.refused(reply, 403, "forbidden")
    assert cloud.member_roles(team)[grace.user_id] == "member"


def test_a_role_must_be_owner_or_member(cloud):
    ada, grace = cloud.user(), cloud.user()
    team = cloud.team(ada)
    cloud.join(ada, team, grace)

    reply = cloud.request(
        ada, "PATCH", f"/api/workspace/members/{grace.user_id}", workspace=team, json={"role": "admin"}
    )

    cloud.refused(reply, 400, "invalid_request")
    assert cloud.member_roles(team)[grace.user_id] == "member"
