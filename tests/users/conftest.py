"""Fixtures for the users domain: services over a temporary user directory, no server."""

from __future__ import annotations

import pytest

from comfyd.users.service import UserServices


@pytest.fixture
def user_dir(tmp_path):
    path = tmp_path / "user"
    path.mkdir()
    return path


@pytest.fixture
def users(user_dir) -> UserServices:
    """Multi-user services with no users yet."""
    return UserServices.open(user_dir, multi_user=True)


@pytest.fixture
def ada(users) -> str:
    return users.directory.add("Ada")
