"""`AccountService` on a real SQLite file: users, API keys, and authenticating with a key."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import sqlite3
from datetime import UTC, datetime

import pytest

from comfyd.platform.accounts.errors import ApiKeyNotFound, UserExists, UserNotFound
from comfyd.platform.accounts.identity import Identity

pytestmark = pytest.mark.anyio


def database_bytes(database_path) -> bytes:
    """The database file and its WAL side files, as another process would find them on disk."""
    return b"".join(path.read_bytes() for path in sorted(database_path.parent.glob(database_path.name + "*")))


async def test_create_user_makes_an_active_non_admin_user_created_now_in_utc(accounts):
    before = datetime.now(UTC)
    user = await accounts.create_user(email="ada@example.com", name="Ada")

    stored = await accounts.get_user(user.id)
    assert (stored.email, stored.name, stored.is_admin, stored.status) == (
        "ada@example.com",
        "Ada",
        False,
        "ACTIVE",
    )
    assert stored.created_at.tzinfo is not None
    assert before <= stored.created_at <= datetime.now(UTC)


async def test_create_user_refuses_an_email_that_differs_only_in_case(accounts, ada):
    with pytest.raises(UserExists) as caught:
        await accounts.create_user(email="  ADA@example.com")
    assert caught.value.email == "ada@example.com"


async def test_get_user_raises_user_not_found_for_an_unknown_id(accounts):
    with pytest.raises(UserNotFound, match="User nobody was not found."):
        await accounts.get_user("nobody")


async def test_find_user_by_email_ignores_case_and_answers_none_for_a_stranger(accounts, ada):
    assert (await accounts.find_user_by_email("Ada@Example.com")).id == ada.id
    assert await accounts.find_user_by_email("stranger@example.com") is None


async def test_list_users_lists_everyone_oldest_first(accounts, ada, grace):
    assert [user.email for user in await accounts.list_users()] == [ada.email, grace.email]


async def test_create_api_key_returns_a_comfyui_key_and_stores_only_its_prefix_and_hash(accounts, ada):
    key, record = await accounts.create_api_key(user_id=ada.id, name="laptop", description="for tests")

    assert re.fullmatch(r"comfyui-[0-9a-f]{64}", key)
    assert record.prefix == key[:16]
    assert record.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert (record.user_id, record.name, record.description) == (ada.id, "laptop", "for tests")
    assert record.last_used_at is None and record.revoked_at is None


async def test_create_api_key_makes_a_different_key_each_time(accounts, ada):
    keys = {(await accounts.create_api_key(user_id=ada.id))[0] for _ in range(5)}
    assert len(keys) == 5


async def test_api_keys_are_never_stored_in_plain_text(accounts, ada, engine, database_path):
    key, record = await accounts.create_api_key(user_id=ada.id, name="laptop")
    assert await accounts.authenticate_api_key(key) is not None
    await accounts.drain()
    await engine.dispose()  # closes the connections, so SQLite checkpoints the WAL into the file

    stored = database_bytes(database_path)
    assert record.key_hash.encode() in stored  # the bytes read are the ones the service wrote
    assert key.encode() not in stored
    assert key[len("comfyui-") :].encode() not in stored


async def test_create_api_key_for_an_unknown_user_raises_user_not_found(accounts):
    with pytest.raises(UserNotFound):
        await accounts.create_api_key(user_id="nobody")


async def test_authenticate_api_key_answers_the_identity_of_the_keys_owner(accounts):
    user = await accounts.create_user(email="root@example.com", name="Root", is_admin=True)
    key, _ = await accounts.create_api_key(user_id=user.id)

    identity = await accounts.authenticate_api_key(key)

    assert identity == Identity(user_id=user.id, email="root@example.com", name="Root", is_admin=True)


@pytest.mark.parametrize(
    "make_key",
    [
        pytest.param(lambda key: "comfyui-" + "0" * 64, id="unknown"),
        pytest.param(lambda key: key[:-1] + ("0" if key[-1] != "0" else "1"), id="one-digit-changed"),
        pytest.param(lambda key: key[len("comfyui-") :], id="without-scheme"),
        pytest.param(lambda key: key.upper(), id="upper-case"),
        pytest.param(lambda key: key[:16], id="prefix-only"),
        pytest.param(lambda key: "", id="empty"),
    ],
)
async def test_authenticate_api_key_refuses_a_key_it_did_not_issue(accounts, ada, make_key):
    key, _ = await accounts.create_api_key(user_id=ada.id)
    assert await accounts.authenticate_api_key(make_key(key)) is None


async def test_authenticate_api_key_refuses_a_revoked_key(accounts, ada):
    key, record = await accounts.create_api_key(user_id=ada.id)
    revoked = await accounts.revoke_api_key(user_id=ada.id, key_id=record.id)

    assert revoked.revoked_at is not None
    assert await accounts.authenticate_api_key(key) is None


async def test_authenticate_api_key_refuses_the_keys_of_a_banned_user(accounts, ada):
    key, _ = await accounts.create_api_key(user_id=ada.id)
    banned = await accounts.ban_user(ada.id)

    assert banned.status == "BANNED" and (await accounts.get_user(ada.id)).is_banned
    assert await accounts.authenticate_api_key(key) is None


async def test_ban_user_raises_user_not_found_for_an_unknown_id(accounts):
    with pytest.raises(UserNotFound):
        await accounts.ban_user("nobody")


async def test_authenticate_api_key_records_when_the_key_was_last_used(accounts, ada):
    key, _ = await accounts.create_api_key(user_id=ada.id)
    before = datetime.now(UTC)

    await accounts.authenticate_api_key(key)
    await accounts.drain()

    [record] = await accounts.list_api_keys(ada.id)
    assert before <= record.last_used_at <= datetime.now(UTC)


async def test_a_key_used_again_within_a_minute_keeps_its_recorded_last_use(accounts, ada):
    key, _ = await accounts.create_api_key(user_id=ada.id)
    await accounts.authenticate_api_key(key)
    await accounts.drain()
    [first] = await accounts.list_api_keys(ada.id)

    await accounts.authenticate_api_key(key)
    await accounts.drain()

    [second] = await accounts.list_api_keys(ada.id)
    assert second.last_used_at == first.last_used_at


async def test_authenticate_api_key_does_not_wait_for_a_locked_database_to_record_the_use(
    accounts, ada, database_path
):
    key, _ = await accounts.create_api_key(user_id=ada.id)
    locker = sqlite3.connect(database_path, isolation_level=None)
    locker.execute("BEGIN IMMEDIATE")  # another writer holds the database
    try:
        identity = await asyncio.wait_for(accounts.authenticate_api_key(key), timeout=10)
        assert identity is not None and identity.user_id == ada.id
    finally:
        locker.execute("ROLLBACK")
        locker.close()
    await accounts.drain()
    [record] = await accounts.list_api_keys(ada.id)
    assert record.last_used_at is not None


async def test_a_failure_to_record_the_use_is_logged_and_authentication_still_succeeds(
    accounts, ada, database_path, caplog
):
    key, _ = await accounts.create_api_key(user_id=ada.id)
    with sqlite3.connect(database_path) as connection:
        connection.execute(
            "CREATE TRIGGER refuse_updates BEFORE UPDATE ON api_keys BEGIN SELECT RAISE(ABORT, 'read-only'); END"
        )

    with caplog.at_level(logging.ERROR, logger="comfyd.platform.accounts.service"):
        identity = await accounts.authenticate_api_key(key)
        await accounts.drain()

    assert identity is not None and identity.user_id == ada.id
    assert any("Could not record the use of API key" in r.getMessage() for r in caplog.records)
    [record] = await accounts.list_api_keys(ada.id)
    assert record.last_used_at is None


async def test_list_api_keys_lists_the_users_live_keys_only(accounts, ada, grace):
    _, first = await accounts.create_api_key(user_id=ada.id, name="first")
    _, revoked = await accounts.create_api_key(user_id=ada.id, name="revoked")
    _, last = await accounts.create_api_key(user_id=ada.id, name="last")
    await accounts.create_api_key(user_id=grace.id, name="grace's")
    await accounts.revoke_api_key(user_id=ada.id, key_id=revoked.id)

    assert [record.id for record in await accounts.list_api_keys(ada.id)] == [first.id, last.id]


async def test_revoke_api_key_refuses_another_users_key(accounts, ada, grace):
    key, record = await accounts.create_api_key(user_id=ada.id)

    with pytest.raises(ApiKeyNotFound) as caught:
        await accounts.revoke_api_key(user_id=grace.id, key_id=record.id)

    assert caught.value.key_id == record.id
    assert await accounts.authenticate_api_key(key) is not None


@pytest.mark.parametrize(
    "key_id", [pytest.param(None, id="already-revoked"), pytest.param("nope", id="unknown")]
)
async def test_revoke_api_key_raises_api_key_not_found_without_a_live_key(accounts, ada, key_id):
    _, record = await accounts.create_api_key(user_id=ada.id)
    await accounts.revoke_api_key(user_id=ada.id, key_id=record.id)

    with pytest.raises(ApiKeyNotFound):
        await accounts.revoke_api_key(user_id=ada.id, key_id=key_id or record.id)
