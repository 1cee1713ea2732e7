"""`UserSettings`: one JSON object per user (`comfyd/users/settings.py`)."""

from __future__ import annotations

import json

import pytest

from comfyd.users.errors import UnknownSettingsUser, UnknownUser


def test_settings_start_empty_and_keep_what_is_saved(users, ada):
    settings = users.settings
    assert settings.read(ada) == {}
    settings.update(ada, {"a": {"x": 1}, "b": 2})
    settings.update(ada, {"a": {"y": 1}})
    settings.put(ada, "c", None)
    assert settings.read(ada) == {"a": {"y": 1}, "b": 2, "c": None}
    assert settings.get(ada, "b") == 2
    assert settings.get(ada, "missing") is None


def test_settings_are_written_as_comfyui_writes_them(users, ada):
    users.settings.put(ada, "Comfy.Locale", "en")
    path = users.directory.root_of(ada) / "comfy.settings.json"
    assert path.read_text() == json.dumps({"Comfy.Locale": "en"}, indent=4)


def test_an_unknown_user_is_a_settings_specific_unknown_user(users):
    with pytest.raises(UnknownSettingsUser) as caught:
        users.settings.read("nobody")
    assert isinstance(caught.value, UnknownUser)
    assert caught.value.user_id == "nobody"
